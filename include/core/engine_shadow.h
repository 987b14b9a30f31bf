/* engine_shadow.h -- observers and adoption for a shadow pass: a caller that follows an engine's tracker from outside, times flows itself, and hands the engine a flow where the two part. The live path has no use for it. */
#ifndef NATBOX_ENGINE_SHADOW_H
#define NATBOX_ENGINE_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* The engine's timer wheel ticks every 2^ENGINE_WHEEL_TICK_SHIFT ns. A
 * flow (or tombstone) is reaped before a packet iff its deadline fell in
 * an earlier tick, whenever the wheel last ran and however the flow came
 * to it: a caller timing flows outside the engine knows from that alone
 * which of them the engine's table would still hold. */
#define ENGINE_WHEEL_TICK_SHIFT	23

/* Observers: the tracker's view of each packet of a flow the engine has.
 * before: the flow as it was before the packet (called before the
 * history and the tracker see it); after: the tracker's result, the flow
 * updated but still in the table whatever the outcome (the engine acts
 * on it next). tag is the packet's (engine_process_timed()), else
 * EV_TAG_NONE. Either may be NULL. Called synchronously; must not
 * re-enter e. */
struct engine_watch {
	void (*before)(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
	    enum flow_dir dir, uint64_t now);
	void (*after)(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
	    enum flow_dir dir, const struct nb_packet *p,
	    const struct tcp_result *r, uint64_t now);
	void *ctx;
	/* ahead: a hint, some packets before the engine gets to it: the
	 * flow first in the packet's hash chain, most likely its own (its
	 * lines already on their way), so the observer can fetch what it
	 * keeps for that flow. May be another flow, or never come. */
	void (*ahead)(void *ctx, const struct flow *f);
	/* related: an ICMP error about live flow idx (going dir within it),
	 * which takes the flow's verdict and changes nothing of it: neither
	 * before nor after sees it. Called before the verdict. May be NULL. */
	void (*related)(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
	    enum flow_dir dir, uint64_t now);
};
void engine_set_watch(struct engine *e, const struct engine_watch *w);

/* Flows held for e elsewhere (a shadow's) that count against its
 * max_flows as if in its table: a full table drops or evicts as it would
 * with them in it. 0 unless set. */
void engine_set_outside(struct engine *e, uint32_t n);

/* Whether e has a flow, live or a tombstone, for p's 4-tuple (hash from
 * engine_prepare() or flowtab_hash() with e's key). */
bool engine_has_flow(struct engine *e, const struct nb_packet *p, uint32_t hash);
/* Prefetch the table bucket a lookup of hash will read. */
void engine_prefetch(const struct engine *e, uint32_t hash);

/* A packet of a 4-tuple the caller knows e holds no flow for, not even a
 * tombstone (a shadow that saw e refuse the flow's earlier packets): if
 * the verdict needs no lookup, because the packet cannot start a flow
 * (not a bare SYN, unknown flows not picked up), give it (counted as
 * engine_process_timed() counts it, fn called) and return true; else do
 * nothing and return false. Due expiries wait for e's next call, which
 * reaps them at their own deadlines. */
bool engine_no_flow(struct engine *e, const struct engine_tpkt *tp,
    engine_verdict_fn fn, void *ctx);

/* Take over a flow another engine tracked: src's tuple, tracker state
 * (k: its kernel memory, struct tcp_last, when the track has TTF_KERN)
 * and last_seen, with this engine's timer (timer_state, deadline). No
 * event. Returns its pool index, FLOW_NIL if the table is full. If its
 * deadline's tick is over, the engine's next call reaps it (at its
 * deadline, events and all), as it would have reaped it by then had it
 * had the flow all along. */
uint32_t engine_adopt(struct engine *e, const struct flow *src, const struct tcp_last *k,
    uint8_t timer_state, uint64_t deadline);

#endif
