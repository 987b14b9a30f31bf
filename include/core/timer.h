/* timer.h -- hashed timing wheel over the flow pool, with lazy re-arm. */
#ifndef NATBOX_TIMER_H
#define NATBOX_TIMER_H

#include <stdint.h>

#include "flowtab.h"

/* A flow's timer is its deadline field. The wheel keeps each armed flow
 * in the slot of some time <= its deadline; a refresh that only pushes
 * the deadline later leaves the flow where it is, and the wheel re-files
 * it when that slot comes due (lazy re-arm). */
struct wheel {
	struct flow *pool;
	uint32_t *heads;	/* nslots + 1 list heads; the last is "pending" */
	uint32_t mask;		/* nslots - 1 */
	unsigned shift;		/* tick = 1 << shift ns */
	uint64_t cur;		/* first tick not yet processed */
	uint32_t armed;		/* flows on the wheel */
};

/* slots_log2 in [4, 20]; tick_shift in [10, 40]. start: now at creation. */
int wheel_init(struct wheel *w, struct flow *pool, unsigned slots_log2,
    unsigned tick_shift, uint64_t start);
void wheel_free(struct wheel *w);

/* Put flow idx on the wheel for its current deadline. Not armed before. */
void wheel_arm(struct wheel *w, uint32_t idx);
/* Take flow idx off the wheel (no-op if not armed). */
void wheel_disarm(struct wheel *w, uint32_t idx);
/* The caller changed pool[idx].deadline from old_deadline. Moves the flow
 * only if the deadline came earlier; a later one costs nothing. */
void wheel_update(struct wheel *w, uint32_t idx, uint64_t old_deadline);

/* Pop one flow whose deadline's tick is before now's (so a flow is reaped
 * at the first call in a later tick, however it was filed), disarmed, or
 * FLOW_NIL when none is due or *budget reached 0. Each flow looked at costs one from *budget,
 * whether due or re-filed, so the work per call is bounded. */
uint32_t wheel_pop_due(struct wheel *w, uint64_t now, unsigned *budget);

/* True when wheel_pop_due(w, now) would find nothing to look at: no tick
 * before now's is left to process and nothing is pending. Inline, for a
 * caller that asks before every packet. */
static inline int
wheel_idle(const struct wheel *w, uint64_t now)
{
	return w->cur >= (now >> w->shift) && w->heads[w->mask + 1] == FLOW_NIL;
}

#endif
