/* privdrop.h -- what `natbox run` keeps once its queues and sockets are
 * open: a few capabilities, maybe another user, no new privileges. */
#ifndef NATBOX_PRIVDROP_H
#define NATBOX_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

struct privdrop {
	bool switch_user;	/* uid/gid below are to be taken */
	uid_t uid;
	gid_t gid;
	bool keep_net_raw;	/* CAP_NET_RAW stays (see privdrop.c) */
};

/* Close every descriptor above 2: what natbox inherited. Call before
 * opening anything. */
void privdrop_close_inherited(void);
/* --user NAME: its uid and primary gid into p. -1 (logged) if unknown. */
int privdrop_lookup_user(struct privdrop *p, const char *name);
/* Keep CAP_NET_ADMIN (and CAP_NET_RAW if asked) in the permitted and
 * effective sets and the bounding set, drop every other capability, switch
 * user if asked, set no_new_privs. Before any thread starts: capabilities
 * are per thread and threads inherit the creator's. 0, or -1 (logged):
 * the caller must not go on. */
int privdrop_apply(const struct privdrop *p);

#endif
