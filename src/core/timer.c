/* timer.c -- hashed timing wheel (Varghese & Lauck scheme 6) with lazy re-arm. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "timer.h"

/*
 * Lists are doubly linked through the flows' wnext/wprev pool indices, so
 * the wheel itself is only nslots + 1 heads. To unlink the first entry in
 * O(1) without searching for its slot, the first entry's wprev names its
 * list instead of a flow: WHEEL_HEAD | list, where list is a slot number
 * or nslots for "pending". Lists number at most 2^20 + 1 and pool indices
 * stay below 2^31 (asserted in wheel_arm), so a tagged value can never be
 * mistaken for a flow, nor for FLOW_NIL (which has every bit set). A flow
 * that is not on the wheel has wprev == wnext == FLOW_NIL.
 */
#define WHEEL_HEAD	0x80000000u
#define IS_HEAD(prev)	((prev) != FLOW_NIL && ((prev) & WHEEL_HEAD))

static inline uint32_t
wheel_pending(const struct wheel *w)
{
	return w->mask + 1;
}

static void
wheel_push(struct wheel *w, uint32_t list, uint32_t idx)
{
	struct flow *f = &w->pool[idx];
	uint32_t first = w->heads[list];

	f->wnext = first;
	f->wprev = WHEEL_HEAD | list;
	if (first != FLOW_NIL)
		w->pool[first].wprev = idx;
	w->heads[list] = idx;
}

static void
wheel_unlink(struct wheel *w, uint32_t idx)
{
	struct flow *f = &w->pool[idx];

	if (IS_HEAD(f->wprev))
		w->heads[f->wprev & ~WHEEL_HEAD] = f->wnext;
	else
		w->pool[f->wprev].wnext = f->wnext;
	if (f->wnext != FLOW_NIL)
		w->pool[f->wnext].wprev = f->wprev;
	f->wnext = f->wprev = FLOW_NIL;
}

/* File into the slot of its deadline's tick; one whose tick is already
 * done (a tombstone re-armed while a pass catches up, a flow adopted with
 * an old deadline) goes to "pending", so the pass under way or the next
 * one reaps it: never a tick later than its deadline says. */
static void
wheel_file(struct wheel *w, uint32_t idx)
{
	uint64_t tick = w->pool[idx].deadline >> w->shift;

	if (tick < w->cur)
		wheel_push(w, wheel_pending(w), idx);
	else
		wheel_push(w, (uint32_t)(tick & w->mask), idx);
}

int
wheel_init(struct wheel *w, struct flow *pool, unsigned slots_log2,
    unsigned tick_shift, uint64_t start)
{
	size_t n;

	memset(w, 0, sizeof(*w));
	if (pool == NULL || slots_log2 < 4 || slots_log2 > 20 ||
	    tick_shift < 10 || tick_shift > 40)
		return -1;
	n = ((size_t)1 << slots_log2) + 1;
	if ((w->heads = calloc(n, sizeof(*w->heads))) == NULL)
		return -1;
	memset(w->heads, 0xff, n * sizeof(*w->heads));	/* FLOW_NIL */
	w->pool = pool;
	w->mask = (1u << slots_log2) - 1;
	w->shift = tick_shift;
	w->cur = start >> tick_shift;
	return 0;
}

void
wheel_free(struct wheel *w)
{
	free(w->heads);
	w->heads = NULL;
}

void
wheel_arm(struct wheel *w, uint32_t idx)
{
	assert(idx < WHEEL_HEAD);
	assert(w->pool[idx].wprev == FLOW_NIL &&
	    w->pool[idx].wnext == FLOW_NIL);
	wheel_file(w, idx);
	w->armed++;
}

void
wheel_disarm(struct wheel *w, uint32_t idx)
{
	if (w->pool[idx].wprev == FLOW_NIL)
		return;
	wheel_unlink(w, idx);
	w->armed--;
}

/*
 * Per-packet path: a later deadline leaves the flow in a slot that comes
 * round earlier, which is allowed; wheel_pop_due() re-files it then. Only
 * an earlier deadline must move it (RST, FIN shortening the timeout). A
 * flow that is not armed stays unarmed.
 */
void
wheel_update(struct wheel *w, uint32_t idx, uint64_t old_deadline)
{
	struct flow *f = &w->pool[idx];

	if (f->deadline >= old_deadline || f->wprev == FLOW_NIL)
		return;
	wheel_unlink(w, idx);
	wheel_file(w, idx);
}

/*
 * Invariant: every armed flow sits in the slot of a tick t with
 * cur <= t (t may be rotations ahead, then it simply waits for its
 * slot to come round again), and t <= tick(deadline) unless the flow was
 * overdue when it was filed. Ticks before cur are done.
 *
 * A tick is processed only when it lies wholly in the past (cur < tick
 * of now): its slot list moves to "pending" in O(1), cur advances, and
 * the pending entries are then looked at one by one, each costing one
 * from *budget. A due one (its deadline's tick is before now's) is
 * returned; any other is early because of a lazy refresh or because it is
 * rotations ahead, and is re-filed at its real tick. Re-filed entries
 * land at ticks >= tick(now), beyond what this call will process, so
 * nothing is looked at twice in one pass. A flow due in the tick still
 * running waits until that tick ends, wherever it was filed: at most one
 * tick late, and the engine checks deadlines at lookup anyway.
 *
 * Big jumps of now (an offline capture with a day's gap): if cur lags
 * tick(now) by more than one rotation, cur jumps to tick(now) - nslots
 * first. That is sound: an entry filed at a tick t < the new cur has
 * slot t & mask, which the following nslots ticks (all < tick(now))
 * visit exactly once, so it is looked at in this catch-up, later than
 * planned but no later than if every skipped tick had been walked, and
 * then returned (it is due) or re-filed at its real tick. The catch-up
 * therefore costs at most nslots head reads plus one look per armed
 * flow, whatever the gap. Empty slots cost no budget: a head read is
 * cheaper than the bookkeeping to avoid it, and it is bounded by nslots.
 * With nothing armed, cur just moves to tick(now).
 *
 * now may go backwards (a capture merged out of order): flows are then
 * judged against the smaller now. Pending entries that are not due by it
 * cannot be re-filed (their tick is before cur: they would land in
 * pending again, round and round until the budget ran out), so they are
 * only looked at, and stay until now catches up (clock_back()).
 */
/* now's tick is before cur: return a pending entry due by now, if any;
 * the others stay. At most one look per pending entry and call. */
static uint32_t
clock_back(struct wheel *w, uint64_t target, unsigned *budget)
{
	uint32_t idx;

	for (idx = w->heads[wheel_pending(w)]; idx != FLOW_NIL; idx = w->pool[idx].wnext) {
		if (*budget == 0)
			return FLOW_NIL;
		(*budget)--;
		if ((w->pool[idx].deadline >> w->shift) < target) {
			wheel_unlink(w, idx);
			w->armed--;
			return idx;
		}
	}
	return FLOW_NIL;
}

uint32_t
wheel_pop_due(struct wheel *w, uint64_t now, unsigned *budget)
{
	const uint32_t pend = wheel_pending(w);
	const uint64_t target = now >> w->shift;
	uint32_t idx, slot;

	if (__builtin_expect(target < w->cur, 0))
		return clock_back(w, target, budget);
	for (;;) {
		while ((idx = w->heads[pend]) != FLOW_NIL) {
			if (*budget == 0)
				return FLOW_NIL;
			(*budget)--;
			wheel_unlink(w, idx);
			/* The next one, while the caller works on this one: a
			 * list walk over a big pool misses on every entry. */
			if (w->heads[pend] != FLOW_NIL)
				__builtin_prefetch(&w->pool[w->heads[pend]]);
			/* Due once its deadline's tick is over, however it
			 * was filed: the time a flow is reaped depends on its
			 * deadline alone (flows timed outside the engine
			 * count on that). */
			if ((w->pool[idx].deadline >> w->shift) < target) {
				w->armed--;
				return idx;
			}
			wheel_file(w, idx);
		}
		if (w->cur >= target)
			return FLOW_NIL;
		if (w->armed == 0) {
			w->cur = target;
			return FLOW_NIL;
		}
		if (target - w->cur > (uint64_t)w->mask + 1)
			w->cur = target - ((uint64_t)w->mask + 1);
		if (*budget == 0)
			return FLOW_NIL;

		/* Skip empty slots; move the next non-empty one to pending. */
		do {
			slot = (uint32_t)(w->cur++ & w->mask);
		} while (w->heads[slot] == FLOW_NIL && w->cur < target);
		if ((idx = w->heads[slot]) != FLOW_NIL) {
			w->heads[slot] = FLOW_NIL;
			w->heads[pend] = idx;
			w->pool[idx].wprev = WHEEL_HEAD | pend;
		}
	}
}
