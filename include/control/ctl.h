/* ctl.h -- natbox run's control socket server: open it, add each worker, run its thread. */
#ifndef NATBOX_CTL_H
#define NATBOX_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_proto.h"
#include "ctl_work.h"	/* the workers' hooks; struct ctl_wstats, which ctl_worker_add takes */
#include "evsink.h"

#define CTL_HISTORY_DEFAULT	65536	/* events each worker keeps for explain */

struct ctl;

/* Bind the control socket (mode 0600; a missing directory is made 0755)
 * before any thread starts (the umask changes briefly). NULL with errno;
 * EADDRINUSE if a running natbox answers on path. sink (may be NULL)
 * only feeds the event-line counters of stats. */
struct ctl *ctl_open(const char *path, struct evsink *sink);
const char *ctl_path(const struct ctl *c);
/* --ctl-group: the socket becomes 0660 with that group, whose members may
 * run the reading commands (flows, stats, explain, mappings, policy
 * without an argument, help); changes stay root's and natbox's own uid's
 * (SO_PEERCRED, ctl_peer.c). Before ctl_start(). 0, or -1 with errno. */
int ctl_set_group(struct ctl *c, gid_t group);

/* Add a worker: its queue, flow table capacity, events kept for explain
 * (0: none), and the callback that fills its figures (called on the
 * worker's thread). NULL on ENOMEM. */
struct ctl_worker *ctl_worker_add(struct ctl *c, uint16_t queue, uint32_t max_flows,
    unsigned history, void (*wstats)(void *ctx, struct ctl_wstats *out), void *ctx);

/* How many packets reached natbox's queue rules and never got a verdict
 * from it, since it started (natbox run's queue watch fills it). */
struct ctl_qstats {
	bool counter;		/* the rules' counter is read: matched, bypassed hold */
	char name[32];		/* the counter (nfacct object) looked for */
	uint64_t matched;	/* packets that reached the rules */
	uint64_t bypassed;	/* accepted unjudged (--fail-open, queue or socket full) */
	uint64_t dropped;	/* dropped by the kernel: queue full */
	uint64_t user_dropped;	/* dropped by the kernel: socket buffer full */
};

/* Where stats gets the figures above (called on the control thread; fn
 * must be thread-safe). Before ctl_start(). */
void ctl_set_qstats(struct ctl *c, void (*fn)(void *ctx, struct ctl_qstats *out), void *ctx);

/* The control thread (signals must be blocked by the caller, as for
 * workers). ctl_stop() ends it, closes every client and removes the
 * socket; ctl_free() after the workers are joined. */
int ctl_start(struct ctl *c);
void ctl_stop(struct ctl *c);
void ctl_free(struct ctl *c);

#endif
