/* check_shtimer.c -- flows timed outside the engine: the table gives the engine's timer step, the count the engine's table. */
#include <check.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_shadow.h"
#include "engine_tb.h"
#include "shtimer.h"
#include "suites.h"

#define TICK	(1ULL << ENGINE_WHEEL_TICK_SHIFT)

/* Every timeout short: buckets are wheel ticks. */
static void
short_profile(struct policy *p)
{
	policy_defaults(p);
	for (unsigned s = TCP_SYN_SENT; s < TCP_STATE_MAX; s++)
		if (p->timeout[s] > S(60))
			p->timeout[s] = S(60);
}

/* Which profiles can be timed outside the engine, and how exactly. */
START_TEST(test_init)
{
	static struct shtimer st;
	struct policy p;

	short_profile(&p);
	ck_assert_int_eq(shtimer_init(&st, &p), 0);
	ck_assert(st.exact);
	ck_assert_uint_eq(st.live, 0);
	ck_assert_uint_eq(st.hold, 0);		/* expire.later = pickup */
	shtimer_free(&st);
	p.after_expiry = LATE_DROP;
	p.tombstone = S(5);
	ck_assert_int_eq(shtimer_init(&st, &p), 0);
	ck_assert_uint_eq(st.hold, S(5));
	shtimer_free(&st);
	/* Linux's 5-day established timer outruns the wheel's ticks: ~1 s
	 * buckets, an upper bound */
	policy_defaults(&p);
	ck_assert_int_eq(shtimer_init(&st, &p), 0);
	ck_assert(!st.exact);
	shtimer_free(&st);
	/* longer than even those cover */
	p.timeout[TCP_ESTABLISHED] = S(100 * 86400);
	ck_assert_int_eq(shtimer_init(&st, &p), 1);
	/* faults and adaptive timeouts depend on every packet, every flow */
	short_profile(&p);
	p.fault[FAULT_DROP_FIN_ACK] = 0.5;
	ck_assert_int_eq(shtimer_init(&st, &p), 1);
	short_profile(&p);
	p.adaptive_start = 60;
	p.adaptive_end = 120;
	ck_assert_int_eq(shtimer_init(&st, &p), 1);
}
END_TEST

/* shtimer_next() is policy_timer_next() for every tracker state (by its
 * key), earlier timer, direction and refresh. */
static void
next_matches(const struct policy *p)
{
	static struct shtimer st;
	const uint64_t now = S(1000);
	const uint64_t before[] = { now - S(5), now + S(1), now + S(1000) };
	struct tcp_track trk;

	ck_assert_int_eq(shtimer_init(&st, p), 0);
	for (unsigned key = 0; key < POLICY_TIMER_KEYS; key++) {
		policy_timer_key_trk(key, &trk);
		if (trk.state >= TCP_STATE_MAX)
			continue;
		/* the kernel mode's four facts (keys 512 up): one at a time
		 * or all, from the flow's own state, to keep the run short */
		unsigned kf = key >> 9;

		if (kf && (kf & (kf - 1)) && kf != 0xf)
			continue;
		for (unsigned ts0 = TCP_NONE; ts0 < TCP_STATE_MAX; ts0++) {
			if (kf && ts0 != trk.state)
				continue;
			for (unsigned i = 0; i < sizeof(before) / sizeof(before[0]); i++)
				for (unsigned dir = DIR_ORIG; dir <= DIR_REPLY; dir++)
					for (int refresh = 0; refresh <= 1; refresh++) {
						uint8_t ts_a = (uint8_t)ts0, ts_b = (uint8_t)ts0;
						uint64_t dl_a = before[i], dl_b = before[i];

						shtimer_next(&st, key, (uint8_t)dir, refresh,
						    now, &ts_a, &dl_a);
						policy_timer_next(p, &trk, (enum flow_dir)dir,
						    refresh, now, 0, &ts_b, &dl_b);
						ck_assert_uint_eq(ts_a, ts_b);
						ck_assert_uint_eq(dl_a, dl_b);
					}
		}
	}
	shtimer_free(&st);
}

START_TEST(test_next_is_policy_timer_next)
{
	struct policy p;

	short_profile(&p);
	next_matches(&p);
	/* absolute timers from the first FIN; orig-only refresh */
	fin_kills_mapping(&p, S(2));
	p.refresh[TCP_ESTABLISHED] = REFRESH_ORIG;
	next_matches(&p);
	short_profile(&p);
	p.half_close_start = HC_BOTH_FINS;
	p.refresh[TCP_ESTABLISHED] = REFRESH_REPLY;
	p.unacknowledged = S(30);
	p.window_tracking = true;
	next_matches(&p);
	short_profile(&p);
	p.half_close_start = HC_FIN_ACKED;
	for (unsigned s = TCP_SYN_SENT; s < TCP_STATE_MAX; s++)
		p.refresh[s] = REFRESH_NONE;
	next_matches(&p);
}
END_TEST

/* A timer moved within its bucket or across, and cleared: the count
 * follows. */
START_TEST(test_move_clear)
{
	static struct shtimer st;
	struct policy p;
	uint64_t t, now = S(10);

	short_profile(&p);
	ck_assert_int_eq(shtimer_init(&st, &p), 0);
	shtimer_advance(&st, now);
	t = shtimer_pack(TCP_ESTABLISHED, now + S(1));
	shtimer_add(&st, shtimer_dl(t));
	ck_assert_uint_eq(st.live, 1);
	ck_assert_uint_eq(shtimer_ts(t), TCP_ESTABLISHED);
	shtimer_move(&st, &t, shtimer_dl(t), TCP_FIN_WAIT, now + S(1) + 1);
	ck_assert_uint_eq(shtimer_ts(t), TCP_FIN_WAIT);
	ck_assert_uint_eq(shtimer_dl(t), now + S(1) + 1);
	shtimer_move(&st, &t, shtimer_dl(t), TCP_FIN_WAIT, now + S(3));
	ck_assert_uint_eq(st.live, 1);
	/* reaped once its deadline's tick is over, not before */
	shtimer_advance(&st, now + S(3));
	ck_assert_uint_eq(st.live, 1);
	ck_assert(!shtimer_due(t, now + S(3)));
	shtimer_advance(&st, now + S(3) + TICK);
	ck_assert_uint_eq(st.live, 0);
	ck_assert(shtimer_due(t, now + S(3) + TICK));
	/* cleared before it ran out; nothing for an empty word */
	now += S(5);
	shtimer_advance(&st, now);
	t = shtimer_pack(TCP_ESTABLISHED, now + S(2));
	shtimer_add(&st, shtimer_dl(t));
	ck_assert_uint_eq(st.live, 1);
	shtimer_clear(&st, &t);
	ck_assert_uint_eq(t, 0);
	ck_assert_uint_eq(st.live, 0);
	shtimer_clear(&st, &t);
	ck_assert_uint_eq(st.live, 0);
	shtimer_free(&st);
}
END_TEST

static void
count_expire(void *ctx, const struct event *ev)
{
	if (ev->type == EV_EXPIRE)
		(*(unsigned *)ctx)++;
}

/* The same flows timed by shtimer and adopted by an engine: at every
 * time the engine's table holds exactly the flows live counts
 * (tombstones included), and it has expired those shtimer_due() says. */
static void
live_matches(uint64_t tombstone, uint64_t gap_max)
{
	enum { N = 600 };
	static struct shtimer st;
	static uint64_t t[N];
	struct engine_ops ops = { count_expire, NULL, NULL };
	const uint64_t seed[2] = { 1, 2 }, t0 = S(100);
	unsigned expired = 0, due;
	uint64_t now = t0, rng = 12345;
	struct engine *e;
	struct policy p;
	struct flow f;

	short_profile(&p);
	p.after_expiry = tombstone ? LATE_DROP : LATE_PICKUP;
	p.tombstone = tombstone;
	p.max_flows = 4096;
	ops.ctx = &expired;
	ck_assert_ptr_nonnull(e = engine_new(&p, &ops, seed, t0));
	ck_assert_int_eq(shtimer_init(&st, &p), 0);
	shtimer_advance(&st, t0);
	memset(&f, 0, sizeof(f));
	f.family = 4;
	f.src.b[0] = 10, f.dst.b[0] = 192;
	f.dport = 80;
	f.trk.state = TCP_ESTABLISHED;
	for (unsigned i = 0; i < N; i++) {
		uint64_t dl;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		dl = t0 + (rng >> 33) % S(20);
		f.sport = (uint16_t)(1000 + i);
		ck_assert_uint_ne(engine_adopt(e, &f, TCP_ESTABLISHED, dl), FLOW_NIL);
		t[i] = shtimer_pack(TCP_ESTABLISHED, dl);
		shtimer_add(&st, dl);
	}
	ck_assert_uint_eq(st.live, N);
	while (now < t0 + S(30)) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		now += (rng >> 33) % gap_max;
		engine_expire(e, now, UINT_MAX);
		shtimer_advance(&st, now);
		ck_assert_uint_eq(engine_flow_count(e), st.live);
		due = 0;
		for (unsigned i = 0; i < N; i++)
			due += shtimer_due(t[i], now);
		ck_assert_uint_eq(expired, due);
	}
	ck_assert_uint_eq(st.live, 0);
	engine_free(e);
	shtimer_free(&st);
}

START_TEST(test_live_is_engine_count)
{
	live_matches(0, S(0.05));		/* no tombstones, steps within ticks */
	live_matches(S(1.5), S(0.05));		/* tombstones held 1.5 s */
	live_matches(1000, S(0.05));		/* tombstones shorter than a tick */
	live_matches(S(1.5), S(4));		/* gaps of many ticks */
}
END_TEST

Suite *
suite_shtimer(void)
{
	Suite *s = suite_create("shtimer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_next_is_policy_timer_next);
	tcase_add_test(tc, test_move_clear);
	tcase_add_test(tc, test_live_is_engine_count);
	suite_add_tcase(s, tc);
	return s;
}
