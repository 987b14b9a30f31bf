/* ctl_proto.h -- what both ends of the control socket agree on: where it is, how long a request may be, the columns of a flows dump. */
#ifndef NATBOX_CTL_PROTO_H
#define NATBOX_CTL_PROTO_H

#include <stddef.h>
#include <stdio.h>

/* A request is one line of words (a backslash escapes the next
 * character); the answer is the body, then one status line, "ok" or
 * "error: MESSAGE". */
#define CTL_DIR			"/run/natbox"
#define CTL_REQUEST_MAX		4096	/* bytes in a request line, its newline included */

/* "/run/natbox/natbox-Q.sock" for first queue Q. */
static inline void
ctl_default_path(unsigned queue, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/natbox-%u.sock", CTL_DIR, queue);
}

/* The fields of a `flows` dump line, tab-separated, in this order
 * (natbox(8) lists them; a newer daemon may add fields at the end only).
 * The daemon writes each line by walking this list and the client reads
 * fields by their place in it; the names are the fields' keys in the JSON
 * form and in explain's [FLOW] line. The nat_* fields are a translated
 * flow's outside tuple ("-" for one that is not translated). */
#define CTL_FLOW_COLUMNS(X)						\
	X(QUEUE, "queue") X(FLOW, "flow")				\
	X(SRC, "src") X(SPORT, "sport") X(DST, "dst") X(DPORT, "dport")	\
	X(STATE, "state") X(TIMER, "timer") X(LEFT, "left")		\
	X(TIMEOUT, "timeout") X(REFRESH, "refresh")			\
	X(FIN_ORIG, "fin_orig") X(FIN_REPLY, "fin_reply")		\
	X(PKTS_ORIG, "pkts_orig") X(BYTES_ORIG, "bytes_orig")		\
	X(PKTS_REPLY, "pkts_reply") X(BYTES_REPLY, "bytes_reply")	\
	X(DROPS, "drops") X(AGE, "age") X(IDLE, "idle")			\
	X(STATUS, "status") X(HISTORY, "history") X(PROFILE, "profile")	\
	X(SERIAL, "serial") X(PROTO, "proto")				\
	X(NAT_SRC, "nat_src") X(NAT_SPORT, "nat_sport")			\
	X(NAT_DST, "nat_dst") X(NAT_DPORT, "nat_dport")

enum ctl_flow_col {
#define CTL_FLOW_COL_ID(id, name) FL_##id,
	CTL_FLOW_COLUMNS(CTL_FLOW_COL_ID)
#undef CTL_FLOW_COL_ID
	FL__COUNT
};

#endif
