/* shtimer.c -- flows timed outside the engine as its wheel would time them: the profile's table and the buckets. */
#include <stdlib.h>
#include <string.h>

#include "shtimer.h"

#define TICK_SHIFT	ENGINE_WHEEL_TICK_SHIFT
#define BIN_COARSE	30		/* ~1.07 s buckets: an upper bound */
#define BINS_MAX	(1u << 22)

static uint64_t
hold_of(const struct policy *pol)
{
	return pol->after_expiry != LATE_PICKUP ? pol->tombstone : 0;
}

/* Whether the profile's flows can be timed outside exactly (not with
 * faults, adaptive timeouts or translation), and the
 * buckets: wheel ticks if they cover its longest timeout in BINS_MAX,
 * else ~1 s. */
static bool
timeable(const struct policy *pol, unsigned *shift, uint64_t *nbins)
{
	uint64_t max = 0, n;

	for (unsigned k = 0; k < FAULT__MAX; k++)
		if (pol->fault[k] > 0.0)
			return false;
	if (pol->adaptive_start != 0)
		return false;
	/* A translating profile's engine must see every packet: its mapping
	 * table decides inbound packets the reference has no say on
	 * (filtering, no mapping) and which port a flow gets. */
	if (nat_on(&pol->nat))
		return false;
	/* every tracker's timers: TCP's, and the UDP, ICMP and other
	 * protocols' (a shadow follows those flows too) */
	for (unsigned st = TCP_SYN_SENT; st < TRK_STATE_MAX; st++)
		if (pol->timeout[st] > max)
			max = pol->timeout[st];
	max += hold_of(pol);
	*shift = (max >> TICK_SHIFT) + 3 <= BINS_MAX ? TICK_SHIFT : BIN_COARSE;
	if ((max >> *shift) + 3 > BINS_MAX)
		return false;
	for (n = 16; n < (max >> *shift) + 3; n <<= 1)
		;
	*nbins = n;
	return true;
}

/* The profile's timer for every timer key of a real tracker state, of
 * any protocol */
static void
tk_fill(struct shtimer *st, const struct policy *pol)
{
	struct tcp_track trk;

	for (unsigned key = 0; key < POLICY_TIMER_KEYS; key++) {
		struct shtimer_key *k = &st->tk[key];

		policy_timer_key_trk(key, &trk);
		if (trk.state >= TRK_STATE_MAX)
			continue;
		k->ts = (uint8_t)policy_timer_state(pol, &trk);
		k->to = policy_timeout(pol, &trk, k->ts, 0);
		k->rule = pol->refresh[k->ts];
	}
}

int
shtimer_init(struct shtimer *st, const struct policy *pol)
{
	uint64_t nbins;
	unsigned shift;

	memset(st, 0, sizeof(*st));
	if (!timeable(pol, &shift, &nbins))
		return 1;
	if ((st->bins = calloc(nbins, sizeof(*st->bins))) == NULL)
		return -1;
	st->bmask = nbins - 1;
	st->bshift = shift;
	st->hold = hold_of(pol);
	st->exact = shift == TICK_SHIFT;
	st->kern = pol->window_tracking;
	memcpy(st->refresh, pol->refresh, sizeof(st->refresh));
	tk_fill(st, pol);
	return 0;
}

void
shtimer_free(struct shtimer *st)
{
	free(st->bins);
	st->bins = NULL;
}

void
shtimer_catch_up(struct shtimer *st, uint64_t now)
{
	uint64_t target = now >> st->bshift;

	if (target <= st->bin_cur)
		return;
	if (target - st->bin_cur > st->bmask) {
		/* every timed flow is reaped by now */
		memset(st->bins, 0, (st->bmask + 1) * sizeof(*st->bins));
		st->live = 0;
		st->bin_cur = target;
		return;
	}
	while (st->bin_cur < target) {
		uint32_t *b = &st->bins[st->bin_cur++ & st->bmask];

		st->live -= *b;
		*b = 0;
	}
}
