/* engine_int.h -- an engine's insides, shared by the files that make it (core-internal). */
#ifndef NATBOX_ENGINE_INT_H
#define NATBOX_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "engine_shadow.h"
#include "nat.h"
#include "timer.h"

/* Wheel geometry: 2^23 ns ticks (~8 ms), 65536 slots (~9 min a turn),
 * so a flow idle for hours is re-filed a handful of times, not hundreds.
 * A flow's deadline is exact regardless: lookups compare it directly,
 * the wheel only decides when idle flows are reaped (within a tick). */
#define WHEEL_SLOTS_LOG2	16
#define WHEEL_TICK_SHIFT	ENGINE_WHEEL_TICK_SHIFT

/* Translation: each side's external address (pool index + 1; 0: that
 * side is not translated) and port, by direction: [DIR_ORIG] the
 * originator's, [DIR_REPLY] the responder's (reached through a pool
 * address). One per flow table slot, only when translation is on. */
struct flow_nat {
	uint16_t ai[2], port[2];
};

/* The packet being processed, as translation sees it (engine_nat.c). */
struct nat_pkt {
	bool active;		/* set for the packet engine_nat_process() runs */
	bool out;		/* its source is inside: a new flow takes a mapping */
	bool norm;		/* its destination was a mapping's: looked up inside */
	bool inview;		/* from outside to an inside address (a capture taken
				 * inside): as if it came through that endpoint's
				 * mapping, if it starts a flow */
	uint16_t xdport;	/* its destination as it arrived */
	uint32_t xdst;
	uint32_t m_in;		/* the mapping its destination came through */
};

struct engine {
	const struct policy *pol;
	struct engine_ops ops;
	struct flowtab *ft;
	struct tcp_last *klast;	/* the table's kernel memory, one per slot
				 * (flowtab_last()), once in kernel mode */
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
	bool lazy;		/* its table is lazy (offline): nothing backed ahead */
	uint64_t grace_until;	/* unknown flows picked up before it (engine_set_grace()) */
	uint32_t evmask;	/* event types ops.event gets (1u << EV_*) */
	struct nat_table *nat;	/* NULL: no translation */
	struct flow_nat *fnat;	/* by pool slot */
	struct nat_pkt nc;
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

/* Are packets of unknown flows picked up now: the profile says so, or a
 * restart's grace period runs (engine_set_grace()). */
static inline bool
engine_picks_up(const struct engine *e, uint64_t now)
{
	return e->pol->unknown_flow == LATE_PICKUP || now < e->grace_until;
}

/* A packet that finds no flow and cannot start one: not a bare SYN, and
 * unknown flows are not picked up (flow_start(), engine_no_flow()). */
static inline bool
refused_unknown(const struct engine *e, const struct nb_packet *p, uint64_t now)
{
	if (engine_picks_up(e, now))
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
	v->icmp_unreach = 0;
	v->rw.set = 0;
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
/* [INVALID]: p (of flow f, or of none) was called invalid and passes. */
void engine_emit_invalid(struct engine *e, const struct nb_packet *p, const struct flow *f,
    enum flow_dir dir, uint16_t reason, uint64_t now);

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

/* Count and give an accept verdict. */
static inline enum verdict_action
engine_accept(struct engine *e, struct verdict *v)
{
	e->st.accepted++;
	v->action = V_ACCEPT;
	return V_ACCEPT;
}

/* A packet that did not decode: skipped (not a protocol tracked, a later
 * fragment) or malformed, by malformed.action; a transport the kernel
 * calls INVALID, passed, is an [INVALID] event (engine_entry.c). p is
 * what decode_packet() left. */
enum verdict_action engine_undecoded(struct engine *e, const struct nb_packet *p,
    enum decode_err err, uint64_t now, struct verdict *v);

/* An ICMP message of a type no flow is kept for: invalid, no flow (engine.c). */
enum verdict_action engine_icmp_invalid(struct engine *e, const struct nb_packet *p,
    uint64_t now, struct verdict *v);

/* Everything after decoding and hashing, translation aside (engine.c). */
enum verdict_action engine_track(struct engine *e, const struct nb_packet *p,
    uint32_t hash, uint64_t now, struct verdict *v);

/* Translation (engine_nat.c), used only when e->nat is set. */
int engine_nat_init(struct engine *e, const struct policy *p, const uint64_t seed[2]);
void engine_nat_fini(struct engine *e);
/* The verdict path for an IPv4 packet: engine_track() between looking
 * at the packet from the inside and the rewrite its verdict carries. */
enum verdict_action engine_nat_process(struct engine *e, const struct nb_packet *p,
    uint32_t hash, uint64_t now, struct verdict *v);
/* Where p's flow will be looked up (its hash under the inside view when
 * its destination is a live mapping's), for a burst's prefetches only. */
uint32_t engine_nat_prehash(const struct engine *e, const struct nb_packet *p, uint32_t hash);
/* flow_start()'s steps: filtering before the flow is made (R_NONE or
 * R_NAT_FILTERED), then its mappings (R_NONE, R_NAT_PORTS or R_NAT_QUOTA:
 * the flow is to be taken back). */
uint16_t engine_nat_admit(struct engine *e, const struct nb_packet *p);
uint16_t engine_nat_flow_start(struct engine *e, struct flow *f, const struct nb_packet *p,
    uint64_t now);
enum verdict_action engine_nat_refuse(struct engine *e, struct verdict *v,
    const struct nb_packet *p, uint16_t reason, uint64_t now);
/* A flow leaves: its mappings lose it (the last user frees one). */
void engine_nat_release(struct engine *e, const struct flow *f, uint64_t now);
/* The rewrite for a packet of f going dir. */
void engine_nat_rewrite(const struct engine *e, const struct flow *f, enum flow_dir dir,
    struct verdict *v);
/* A RST natbox sends to side `to` of f comes, as the receiver expects,
 * from the other side's outside address and port when that side is
 * translated. */
void engine_nat_rst(const struct engine *e, const struct flow *f, enum flow_dir to,
    struct rst_spec *r);
/* The outside tuple into a flow's event. */
void engine_nat_event(const struct engine *e, const struct flow *f, struct event *ev);

/* After a profile change (e->retime), the table's next slots re-timed
 * under the new profile (engine_admin.c). Returns how many expired. */
unsigned retime_flows(struct engine *e, uint64_t now);

#endif
