/* engine_int.h -- an engine's insides, shared by the files that make it (core-internal). */
#ifndef NATBOX_ENGINE_INT_H
#define NATBOX_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "engine_shadow.h"
#include "timer.h"

/* Wheel geometry: 2^23 ns ticks (~8 ms), 65536 slots (~9 min a turn),
 * so a flow idle for hours is re-filed a handful of times, not hundreds.
 * A flow's deadline is exact regardless: lookups compare it directly,
 * the wheel only decides when idle flows are reaped (within a tick). */
#define WHEEL_SLOTS_LOG2	16
#define WHEEL_TICK_SHIFT	ENGINE_WHEEL_TICK_SHIFT

struct engine {
	const struct policy *pol;
	struct engine_ops ops;
	struct flowtab *ft;
	struct wheel wheel;
	struct engine_stats st;
	uint64_t rng;		/* fault RNG state (splitmix64) */
	uint64_t rng_seed;	/* the profile seed rng was started from */
	uint32_t serial;
	uint32_t max_flows;
	uint32_t tag;		/* of the packet being processed (timed bursts) */
	uint64_t keyid;		/* of the hash key (engine_prep) */
	bool retime;		/* the profile changed: re-time live flows */
	uint32_t retime_next;	/* the next pool slot to re-time */
	uint64_t old_timeout[TRK_STATE_MAX];	/* the previous profile's, by tracker state */
	struct engine_watch watch;
	uint32_t outside;	/* flows held for it elsewhere (a shadow's) */
	bool untimed;		/* no timers (engine_set_untimed()) */
	uint32_t evmask;	/* event types ops.event gets (1u << EV_*) */
};

/* Set a flow's deadline, keeping the wheel's invariant. */
static inline void
set_deadline(struct engine *e, struct flow *f, uint64_t deadline)
{
	uint64_t old = f->deadline;

	f->deadline = deadline;
	wheel_update(&e->wheel, flowtab_index(e->ft, f), old);
}

static inline void
flow_remove(struct engine *e, struct flow *f)
{
	wheel_disarm(&e->wheel, flowtab_index(e->ft, f));
	flowtab_remove(e->ft, f);
}

/* A packet that finds no flow and cannot start one: not a bare SYN, and
 * unknown flows are not picked up (flow_start(), engine_no_flow()). */
static inline bool
refused_unknown(const struct policy *pol, const struct nb_packet *p)
{
	if (pol->unknown_flow == LATE_PICKUP)
		return false;
	if (p->kind != NBK_TCP || p->icmp_error)
		return !decode_may_start(p);
	return (p->flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN;
}

static inline void
verdict_init(struct engine *e, struct verdict *v)
{
	v->action = V_ACCEPT;
	v->nrst = 0;
	v->reason = R_NONE;
	v->dir = DIR_ORIG;
	v->flow = FLOW_NIL;
	v->ip_len = 0;
	e->st.packets++;
}

/* Whether an event of this type goes anywhere: if not, it is counted
 * (engine_emit_none()) and not built. */
static inline bool
engine_wants(const struct engine *e, uint8_t type)
{
	return e->ops.event != NULL && (e->evmask >> type & 1);
}

static inline void
engine_emit_none(struct engine *e, uint8_t type)
{
	e->st.events[type]++;
}

/* Events (engine_event.c): counted, tagged and handed to ops.event; the
 * fields of a flow's or a packet's (the type's own fields are the
 * caller's). */
void engine_emit(struct engine *e, struct event *ev);
void engine_event_of_flow(struct engine *e, const struct flow *f, uint8_t type,
    uint64_t ts, struct event *ev);
void engine_event_of_packet(const struct nb_packet *p, uint8_t type, uint64_t ts,
    struct event *ev);

/* The verdict path's steps (engine.c) that the other files take too. */

/* A live flow leaves the table (or becomes a tombstone): its end event. */
void flow_end(struct engine *e, struct flow *f, uint16_t reason, uint64_t ts);
/* A timer ran out at f->deadline (f is off the wheel). */
void flow_expire(struct engine *e, struct flow *f);
/* A packet of a dead or unknown flow, by the profile's action for it:
 * dropped, or dropped and its sender reset. */
enum verdict_action late_verdict(struct engine *e, struct verdict *v,
    const struct nb_packet *p, const struct flow *f, enum flow_dir dir,
    uint8_t action, uint16_t reason, uint64_t now);

/* After a profile change (e->retime), the table's next slots re-timed
 * under the new profile (engine_admin.c). Returns how many expired. */
unsigned retime_flows(struct engine *e, uint64_t now);

#endif
