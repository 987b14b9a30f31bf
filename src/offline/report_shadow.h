/* report_shadow.h -- a profile's shadow: its rows, timers and own tracker, shared by the shadow's packet path (report_shadow.c) and its life (report_shadow_life.c). Not an interface. */
#ifndef NATBOX_REPORT_SHADOW_H
#define NATBOX_REPORT_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "report_pass.h"
#include "shtimer.h"

/* Not in the shadow, and the engine holds nothing for the flow's tuple:
 * it refused the flow's last packet without a flow (engine_no_flow()). */
#define SH_NO_STATE	1ULL

/* A profile's view of one reference flow is its timer (shtimer.h: the
 * tracker state is the reference's), or 0 (the engine's, or gone), or
 * SH_NO_STATE. One with a tracker of its own also keeps the state here,
 * and in kernel mode the track's kernel memory (as the flow table keeps
 * it, beside the track: k is the row's once trk has TTF_KERN). */
struct __attribute__((aligned(64))) shown {
	struct tcp_track trk;
	struct tcp_last k;
	uint64_t last_seen;
};

struct shprof {
	struct rprof *p;
	const struct policy *pol;
	struct tcp_conf tc;	/* its tracker's knobs (policy_tcp_conf()) */
	bool own;		/* its own tracker (the knobs differ) */
	bool aborted;		/* judged again in a pass of its own */
	uint64_t *row;		/* per reference slot */
	struct shown *orow;	/* own: per reference slot */
	uint32_t rows;
	uint64_t pkts;		/* packets it took in the shadow */
	uint64_t icmp_errors;	/* of them, ICMP errors about a live flow */
	uint64_t no_flow;	/* given to engine_no_flow() */
	struct verdict last;	/* the engine's last, by prof_verdict() */
	/* the profile's timers for the rows, and the shadows the table
	 * would still hold (tm.live) */
	struct shtimer tm;
};

#endif
