/* shtimer.h -- flows timed outside the engine as its wheel would time them: a profile's timer by tracker state, and how many of those flows its table would still hold. */
#ifndef NATBOX_SHTIMER_H
#define NATBOX_SHTIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine_shadow.h"
#include "policy.h"
#include "tcpfsm.h"
#include "timeout.h"

/*
 * A caller that follows an engine's tracker from outside (a shadow)
 * keeps, per flow, the timer the engine would run: one word,
 * SHTIMER_SET | timer state << SHTIMER_TS_SHIFT | deadline, or 0 for
 * none. The timer moves on by the profile's table, exactly as
 * policy_timer_next() moves the engine's. And because the engine reaps a
 * flow before a packet iff its deadline fell in an earlier wheel tick,
 * the timed flows are counted by the tick they would leave the engine's
 * table in (deadline, plus a tombstone's time), so that the count of
 * those the table would still hold at any time is known (live). When the
 * profile's longest timer outruns what wheel ticks can cover, buckets of
 * ~1 s are used instead and live is only an upper bound (exact false).
 * Pure: no clock, no I/O.
 */
#define SHTIMER_SET		(1ULL << 63)
#define SHTIMER_TS_SHIFT	56
#define SHTIMER_DL_MAX		((1ULL << SHTIMER_TS_SHIFT) - 1)	/* latest deadline */

static inline uint64_t
shtimer_pack(uint8_t ts, uint64_t dl)
{
	return SHTIMER_SET | (uint64_t)ts << SHTIMER_TS_SHIFT | dl;
}

static inline uint8_t
shtimer_ts(uint64_t t)
{
	return (uint8_t)((t >> SHTIMER_TS_SHIFT) & 0x7f);
}

static inline uint64_t
shtimer_dl(uint64_t t)
{
	return t & SHTIMER_DL_MAX;
}

/* The engine would have reaped a flow with timer t by a call at now
 * (its deadline's tick is over). */
static inline bool
shtimer_due(uint64_t t, uint64_t now)
{
	return (shtimer_dl(t) >> ENGINE_WHEEL_TICK_SHIFT) < (now >> ENGINE_WHEEL_TICK_SHIFT);
}

/* A profile's timer for a tracker state, by policy_timer_key() */
struct shtimer_key {
	uint64_t to;		/* policy_timeout() */
	uint8_t ts;		/* policy_timer_state() */
	uint8_t rule;		/* its refresh rule */
};

struct shtimer {
	/* timed flows by the bucket of the time they leave the table */
	uint32_t *bins;
	unsigned bshift;	/* a bucket is 2^bshift ns */
	uint64_t bmask, bin_cur;	/* bin_cur: now's bucket */
	uint64_t live;		/* flows the table would still hold */
	uint64_t hold;		/* tombstone time after expiry, or 0 */
	bool exact;		/* buckets are wheel ticks: live is exact */
	bool kern;		/* kernel mode: a packet that does not refresh
				 * keeps the timer across a state change */
	uint8_t refresh[TRK_STATE_MAX];	/* the profile's refresh rules */
	struct shtimer_key tk[POLICY_TIMER_KEYS];
};

/* For profile pol: 0; 1 if its flows cannot be timed outside the engine
 * exactly (faults draw from the engine's RNG on every packet, adaptive
 * timeouts scale with its count, timers longer than buckets can cover);
 * -1 out of memory. */
int shtimer_init(struct shtimer *st, const struct policy *pol);
void shtimer_free(struct shtimer *st);

/*
 * The timer (*ts, *dl) after a packet the tracker took (TO_OK) going
 * dir, that left the flow in a state with timer key key:
 * policy_timer_next() by the table.
 */
static inline void
shtimer_next(const struct shtimer *st, unsigned key, uint8_t dir, bool refresh,
    uint64_t now, uint8_t *ts, uint64_t *dl)
{
	const struct shtimer_key *k = &st->tk[key];

	if (k->ts != *ts && !refresh && st->kern) {
		*ts = k->ts;
	} else if (k->ts != *ts) {
		uint64_t ndl = now + k->to;

		if (k->rule == REFRESH_NONE && st->refresh[*ts] == REFRESH_NONE &&
		    *dl < ndl)
			ndl = *dl;
		*ts = k->ts;
		*dl = ndl;
	} else if (refresh && (k->rule == REFRESH_ANY ||
	    (k->rule == REFRESH_ORIG && dir == DIR_ORIG) ||
	    (k->rule == REFRESH_REPLY && dir == DIR_REPLY))) {
		*dl = now + k->to;
	}
}

/* The buckets move on to now's: the flows gone from the table by then
 * leave live. shtimer_advance() first, before a deadline is counted. */
void shtimer_catch_up(struct shtimer *st, uint64_t now);

static inline void
shtimer_advance(struct shtimer *st, uint64_t now)
{
	if ((now >> st->bshift) > st->bin_cur)
		shtimer_catch_up(st, now);
}

/* A flow timed to deadline dl is counted (add) or no longer (del): it
 * holds a table slot until it is reaped, and a profile that keeps
 * tombstones holds it that much longer. */
static inline void
shtimer_add(struct shtimer *st, uint64_t dl)
{
	dl += st->hold;
	if ((dl >> st->bshift) >= st->bin_cur) {
		st->bins[(dl >> st->bshift) & st->bmask]++;
		st->live++;
	}
}

static inline void
shtimer_del(struct shtimer *st, uint64_t dl)
{
	dl += st->hold;
	if ((dl >> st->bshift) >= st->bin_cur) {
		st->bins[(dl >> st->bshift) & st->bmask]--;
		st->live--;
	}
}

/* A flow's timer *t moves from deadline dl to (ts, ndl), its count from
 * dl's bucket to ndl's. */
static inline void
shtimer_move(struct shtimer *st, uint64_t *t, uint64_t dl, uint8_t ts, uint64_t ndl)
{
	if (((dl + st->hold) ^ (ndl + st->hold)) >> st->bshift) {
		shtimer_del(st, dl);
		shtimer_add(st, ndl);
	}
	*t = shtimer_pack(ts, ndl);
}

/* A flow's timer *t (or none) is dropped. */
static inline void
shtimer_clear(struct shtimer *st, uint64_t *t)
{
	if (*t & SHTIMER_SET)
		shtimer_del(st, shtimer_dl(*t));
	*t = 0;
}

#endif
