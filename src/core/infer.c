/* infer.c -- a timer from noisy observations: geometric rounds until a flow dies, then rounds spread over the interval left.
 *
 * Each round runs per_round flows in parallel (a real probe waits the
 * longest idle of the round, so parallel flows buy accuracy for free);
 * the estimate is the split of all observations so far that the fewest
 * contradict, so one flow lost for another reason moves nothing. O(n^2)
 * over at most INFER_OBS_MAX observations: nothing next to the minutes a
 * round waits.
 */
#include <string.h>

#include "infer.h"

#define W_ALIVE	2	/* a false life costs this many false deaths */

void
infer_init(struct infer *s, uint64_t first, uint64_t max, uint64_t resolution,
    unsigned per_round, unsigned rounds_max)
{
	memset(s, 0, sizeof(*s));
	s->first = first > 0 ? first : 1;
	s->max = max > s->first ? max : s->first;
	s->resolution = resolution > 0 ? resolution : 1;
	s->per_round = per_round > 0 ? per_round : 1;
	s->rounds_max = rounds_max;
}

void
infer_add(struct infer *s, uint64_t d, bool alive)
{
	if (s->n < INFER_OBS_MAX)
		s->obs[s->n++] = (struct infer_obs){ d, alive };
}

/* The cost of "dead iff d >= t". */
static unsigned
cost(const struct infer *s, uint64_t t)
{
	unsigned c = 0;

	for (unsigned i = 0; i < s->n; i++)
		if (s->obs[i].alive && s->obs[i].d >= t)
			c += W_ALIVE;
		else if (!s->obs[i].alive && s->obs[i].d < t)
			c += 1;
	return c;
}

/* A split at t stands when two more deaths close above it agree: one
 * flow lost for another reason, with nothing tried just above it, would
 * otherwise pass for the timer. */
static bool
confirmed(const struct infer *s, uint64_t t)
{
	unsigned dead = 0;

	for (unsigned i = 0; i < s->n; i++)
		if (!s->obs[i].alive && s->obs[i].d >= t && s->obs[i].d - t <= s->resolution)
			dead++;
	return dead >= 3;
}

/* The smallest idle tried above x, or max. */
static uint64_t
next_above(const struct infer *s, uint64_t x)
{
	uint64_t m = s->max > x ? s->max : x;

	for (unsigned i = 0; i < s->n; i++)
		if (s->obs[i].d > x && s->obs[i].d < m)
			m = s->obs[i].d;
	return m;
}

void
infer_estimate(const struct infer *s, struct infer_est *e)
{
	unsigned best = cost(s, INFER_NEVER), c;
	uint64_t t = INFER_NEVER;

	/* candidate splits: at each dead observation's idle (the smallest
	 * cost; among equals the largest split, as lives weigh more) */
	for (unsigned i = 0; i < s->n; i++) {
		if (s->obs[i].alive)
			continue;
		c = cost(s, s->obs[i].d);
		if (c < best || (c == best && t != INFER_NEVER && s->obs[i].d > t)) {
			best = c;
			t = s->obs[i].d;
		}
	}
	e->lo = 0;
	e->hi = t;
	e->total = s->n;
	e->agreed = 0;
	for (unsigned i = 0; i < s->n; i++) {
		const struct infer_obs *o = &s->obs[i];

		if (o->d < t && o->d > e->lo)
			e->lo = o->d;	/* the largest idle below the split */
		if (o->alive == (o->d < t))
			e->agreed++;
	}
	e->done = s->rounds >= s->rounds_max || s->n + s->per_round > INFER_OBS_MAX ||
	    (t == INFER_NEVER ? s->rounds > 0 && e->lo >= s->max :
	    t - e->lo <= s->resolution && confirmed(s, t));
}

unsigned
infer_plan(struct infer *s, uint64_t *d, unsigned cap)
{
	struct infer_est e;
	unsigned k = 0, want = s->per_round < cap ? s->per_round : cap;

	infer_estimate(s, &e);
	if (e.done || want == 0)
		return 0;
	if (e.hi == INFER_NEVER) {
		/* geometric from the largest idle that lived, up to max */
		uint64_t x = e.lo > 0 ? e.lo * 2 : s->first;

		while (k < want) {
			d[k++] = x < s->max ? x : s->max;
			if (x >= s->max)
				break;
			x *= 2;
		}
	} else {
		/* spread over (lo, hi), evenly, and two above hi: just
		 * above (two deaths there confirm it) and halfway to
		 * the next idle tried (a life there unmasks a flow lost for
		 * another reason) */
		uint64_t span = e.hi - e.lo, up = next_above(s, e.hi + s->resolution);
		unsigned inside = want > 3 ? want - 3 : 1;

		for (unsigned i = 1; i <= inside && e.hi - e.lo > s->resolution; i++) {
			uint64_t x = e.lo + span * i / (inside + 1);

			if (x > e.lo && x < e.hi && (k == 0 || x > d[k - 1]))
				d[k++] = x;
		}
		if (k < want)
			d[k++] = e.hi + s->resolution / 3;
		if (k < want)
			d[k++] = e.hi + s->resolution * 2 / 3;
		if (k < want && up > e.hi + s->resolution)
			d[k++] = e.hi + (up - e.hi) / 2;
		if (k == 0)
			return 0;
	}
	s->rounds++;
	return k;
}

enum infer_hc
infer_half_start(const struct infer_est *est, const struct infer_est *half, uint64_t slack)
{
	if (est->total == 0 || half->total == 0)
		return INFER_HC_UNKNOWN;
	if (est->hi == INFER_NEVER || half->hi == INFER_NEVER) {
		/* one ran out within max-wait, the other did not: different
		 * timers; neither: nothing tells them apart */
		if (est->hi == half->hi)
			return INFER_HC_UNKNOWN;
		return INFER_HC_AT_FIN;
	}
	return half->lo < est->hi + slack && est->lo < half->hi + slack ?
	    INFER_HC_BOTH_FINS : INFER_HC_AT_FIN;
}

bool
infer_same_timer(const struct infer_est *a, const struct infer_est *b, uint64_t slack)
{
	if (a->hi == INFER_NEVER || b->hi == INFER_NEVER)
		return a->hi == b->hi;
	return a->lo < b->hi + slack && b->lo < a->hi + slack;
}

enum infer_hc
infer_close_start(const struct infer_est *est, const struct infer_est *fin_wait,
    const struct infer_est *close_wait, uint64_t slack)
{
	if (est->total == 0 || fin_wait->total == 0 || close_wait->total == 0)
		return INFER_HC_UNKNOWN;
	if (est->hi == INFER_NEVER && fin_wait->hi == INFER_NEVER && close_wait->hi == INFER_NEVER)
		return INFER_HC_UNKNOWN;
	if (!infer_same_timer(est, fin_wait, slack))
		return INFER_HC_AT_FIN;
	return infer_same_timer(est, close_wait, slack) ? INFER_HC_BOTH_FINS : INFER_HC_FIN_ACKED;
}

int
infer_refresh_dir(const unsigned kept[2], const unsigned lost[2])
{
	if (kept[0] + lost[0] == 0 || kept[1] + lost[1] == 0)
		return -1;
	return (kept[0] > lost[0] ? INFER_RD_ORIG : 0) | (kept[1] > lost[1] ? INFER_RD_REPLY : 0);
}

/* One search's remaining rounds against a timer t (INFER_NEVER: one that
 * never runs out), each round's longest idle into len[]; how many. */
static unsigned
rounds_against(const struct infer *s, uint64_t t, uint64_t *len, unsigned cap)
{
	struct infer sim = *s;
	uint64_t d[64];
	unsigned r = 0, m;

	while (r < cap && (m = infer_plan(&sim, d, 64)) > 0) {
		len[r++] = d[m - 1];
		for (unsigned i = 0; i < m; i++)
			infer_add(&sim, d[i], t == INFER_NEVER || d[i] < t);
	}
	return r;
}

uint64_t
infer_time_left(const struct infer *const *s, unsigned n)
{
	uint64_t round_len[INFER_LEFT_ROUNDS] = { 0 }, len[INFER_LEFT_ROUNDS], total = 0;

	for (unsigned k = 0; k < n; k++) {
		struct infer_est e;
		uint64_t t;
		unsigned r;

		infer_estimate(s[k], &e);
		if (e.done)
			continue;
		t = e.hi == INFER_NEVER ? INFER_NEVER : e.lo + (e.hi - e.lo) / 2;
		r = rounds_against(s[k], t, len, INFER_LEFT_ROUNDS);
		for (unsigned i = 0; i < r; i++)
			round_len[i] = len[i] > round_len[i] ? len[i] : round_len[i];
	}
	for (unsigned i = 0; i < INFER_LEFT_ROUNDS; i++)
		total += round_len[i];
	return total;
}
