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

/* Every timeout short, TCP's and the other trackers': buckets are
 * wheel ticks. */
static void
short_profile(struct policy *p)
{
	policy_defaults(p);
	for (unsigned s = TCP_SYN_SENT; s < TRK_STATE_MAX; s++)
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
	/* the other trackers' timers count too: 5 days for other protocols
	 * is past the ticks, a UDP timer of 100 days past all */
	short_profile(&p);
	p.timeout[TRK_OTHER] = S(5 * 86400);
	ck_assert_int_eq(shtimer_init(&st, &p), 0);
	ck_assert(!st.exact);
	shtimer_free(&st);
	short_profile(&p);
	p.timeout[TRK_UDP_REPLIED] = S(100 * 86400);
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
 * key) of every protocol, earlier timer, direction and refresh. */
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
		if (trk.state >= TRK_STATE_MAX)
			continue;
		/* the kernel mode's four facts (keys 512 up): one at a time
		 * or all, from the flow's own state, to keep the run short */
		unsigned kf = key >> 9;

		if (kf && (kf & (kf - 1)) && kf != 0xf)
			continue;
		for (unsigned ts0 = TCP_NONE; ts0 < TRK_STATE_MAX; ts0++) {
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
	for (unsigned s = TCP_SYN_SENT; s < TRK_STATE_MAX; s++)
		p.refresh[s] = REFRESH_NONE;
	next_matches(&p);
	/* RFC 4787 REQ-6's outbound refresh on UDP, and the other rules on
	 * the other trackers */
	short_profile(&p);
	p.refresh[TRK_UDP_UNREPLIED] = REFRESH_ORIG;
	p.refresh[TRK_UDP_REPLIED] = REFRESH_REPLY;
	p.refresh[TRK_ICMP] = REFRESH_NONE;
	p.refresh[TRK_OTHER] = REFRESH_ORIG;
	next_matches(&p);
}
END_TEST

/*
 * A real engine's UDP, ICMP and other flows, packet by packet: the
 * shadow's step (the new flow's timer from the table, then shtimer_next()
 * by the flow's timer key after each packet) gives the engine's timer
 * and deadline, through the kernel's stream rule (a UDP flow is timed
 * unreplied until it saw a reply and is older than 2 s) and the refresh
 * rules of p.
 */
static void
dgram_follows(const struct policy *p, uint8_t proto)
{
	static struct shtimer st;
	static struct tb t;
	static const struct { bool client; double dt; } seq[] = {
		{ true, 0 }, { true, 0.5 }, { false, 0.4 }, { true, 0.6 }, { false, 0.3 },
		{ false, 1.5 }, { true, 3 }, { false, 4 }, { false, 5 }, { true, 1 },
	};
	uint8_t b[64], ts = 0;
	uint64_t dl = 0;

	tb_init(&t);
	t.pol = *p;
	t.pol.max_flows = 64;
	tb_start(&t);
	ck_assert_int_eq(shtimer_init(&st, &t.pol), 0);
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		size_t n = build_dgram(b, proto, seq[i].client, t.cport, 20);
		const struct flow *f;
		unsigned key;

		t.now += S(seq[i].dt);
		ck_assert_int_eq(engine_process(t.e, b, n, t.now, &t.v), V_ACCEPT);
		ck_assert_ptr_nonnull(f = engine_flow_at(t.e, t.v.flow));
		key = policy_timer_key(&f->trk);
		if (i == 0) {
			ts = st.tk[key].ts;
			dl = t.now + st.tk[key].to;
		} else {
			shtimer_next(&st, key, t.v.dir, true, t.now, &ts, &dl);
		}
		ck_assert_uint_eq(ts, f->timer_state);
		ck_assert_uint_eq(dl, f->deadline);
		/* the stream rule: after the reply at 0.9 s the flow is
		 * still unreplied until a packet past its first 2 s (3.3 s) */
		if (proto == 17)
			ck_assert_uint_eq(f->trk.state, i < 5 ? TRK_UDP_UNREPLIED : TRK_UDP_REPLIED);
	}
	ck_assert_uint_eq(engine_stats(t.e)->events[EV_NEW], 1);
	ck_assert_uint_eq(engine_stats(t.e)->events[EV_EXPIRE], 0);
	shtimer_free(&st);
	tb_done(&t);
}

START_TEST(test_next_follows_engine_dgram)
{
	static const uint8_t protos[] = { 17, 1, 50 };
	struct policy p;

	for (unsigned i = 0; i < sizeof(protos); i++) {
		short_profile(&p);
		dgram_follows(&p, protos[i]);
		p.refresh[TRK_UDP_UNREPLIED] = REFRESH_ORIG;
		p.refresh[TRK_UDP_REPLIED] = REFRESH_REPLY;
		p.refresh[TRK_ICMP] = REFRESH_REPLY;
		p.refresh[TRK_OTHER] = REFRESH_ORIG;
		dgram_follows(&p, protos[i]);
		for (unsigned s = TRK_UDP_UNREPLIED; s < TRK_STATE_MAX; s++)
			p.refresh[s] = REFRESH_NONE;
		dgram_follows(&p, protos[i]);
	}
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
 * (tombstones included), and it has expired those shtimer_due() says.
 * TCP, UDP, ICMP and other-protocol flows, each on its own timer. */
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
	for (unsigned i = 0; i < N; i++) {
		static const uint8_t ts[NBK__MAX] = {
			[NBK_TCP] = TCP_ESTABLISHED, [NBK_UDP] = TRK_UDP_REPLIED,
			[NBK_ICMP] = TRK_ICMP, [NBK_OTHER] = TRK_OTHER,
		};
		unsigned kind = i % NBK__MAX;
		uint64_t dl;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		dl = t0 + (rng >> 33) % S(20);
		f.fflags = (uint8_t)(kind << FF_KIND_SHIFT);
		f.trk.state = ts[kind];
		f.sport = f.dport = (uint16_t)(1000 + i);
		ck_assert_uint_ne(engine_adopt(e, &f, NULL, ts[kind], dl), FLOW_NIL);
		t[i] = shtimer_pack(ts[kind], dl);
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

	/* exhaustive over states, keys and directions: slow under ASan on a
	 * loaded machine, never judged by its time */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_next_is_policy_timer_next);
	tcase_add_test(tc, test_next_follows_engine_dgram);
	tcase_add_test(tc, test_move_clear);
	tcase_add_test(tc, test_live_is_engine_count);
	suite_add_tcase(s, tc);
	return s;
}
