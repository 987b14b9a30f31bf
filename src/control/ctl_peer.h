/* ctl_peer.h -- who is on the other end of a control connection, and what
 * they may do (SO_PEERCRED; private to src/control). */
#ifndef NATBOX_CTL_PEER_H
#define NATBOX_CTL_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum ctl_access { CTL_ACCESS_NONE, CTL_ACCESS_READ, CTL_ACCESS_ALL };

/* uid 0 and natbox's own uid may do everything; with a read group
 * (have_group), a peer whose gid is it, or who has it among its
 * supplementary groups, may read. Anyone else: nothing (the socket's mode
 * keeps them out already; this is the second lock). */
enum ctl_access ctl_peer_access(int fd, bool have_group, gid_t group);

/* The "Groups:" line of a /proc/PID/status text lists g. Pure. */
bool ctl_peer_status_has_group(const char *status, size_t len, gid_t g);

#endif
