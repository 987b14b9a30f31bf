/* check_burst.c -- the engine's burst entry points give exactly the verdicts and events of packet-by-packet processing. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_tb.h"
#include "suites.h"

/* engine_process_burst() must give exactly engine_process()'s verdicts
 * and events: mixed traffic over many flows, some expiring, some
 * malformed, in bursts of odd sizes. */
START_TEST(test_burst_equals_single)
{
	static struct tb a, b;
	static uint8_t bufs[40][80];
	struct engine_pkt pk[40];
	struct verdict vb[40];
	uint64_t x = 12345;
	size_t len[40];

	tb_init(&a);
	fin_kills_mapping(&a.pol, S(3));
	a.pol.after_expiry = LATE_RESET_SENDER;
	a.pol.max_flows = 32;
	a.pol.table_full = FULL_EVICT;
	tb_start(&a);
	tb_init(&b);
	b.pol = a.pol;
	tb_start(&b);
	for (int round = 0; round < 200; round++) {
		unsigned n = 1 + (unsigned)(round % 37);

		for (unsigned i = 0; i < n; i++) {
			static const uint8_t flags[] = { TH_SYN, TH_SYN | TH_ACK, TH_ACK,
			    TH_ACK | TH_PSH, TH_FIN | TH_ACK, TH_RST };
			uint16_t port;
			uint8_t fl;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			port = (uint16_t)(30000 + x % 48);
			fl = flags[(x >> 8) % 6];
			len[i] = build(bufs[i], (x >> 20) & 1, (x >> 21) & 1, port, fl,
			    (uint32_t)(x >> 24), (uint32_t)(x >> 40), (fl & TH_PSH) ? 100 : 0);
			if ((x >> 30) % 17 == 0)
				len[i] -= 3;	/* truncated */
			pk[i].buf = bufs[i];
			pk[i].caplen = len[i];
		}
		a.now += S(0.25);
		b.now += S(0.25);
		engine_process_burst(b.e, pk, n, b.now, vb);
		for (unsigned i = 0; i < n; i++) {
			engine_process(a.e, bufs[i], len[i], a.now, &a.v);
			ck_assert_int_eq(a.v.action, vb[i].action);
			ck_assert_int_eq(a.v.reason, vb[i].reason);
			ck_assert_int_eq(a.v.nrst, vb[i].nrst);
			ck_assert_int_eq(a.v.flow, vb[i].flow);
		}
		engine_expire(a.e, a.now, 1000);
		engine_expire(b.e, b.now, 1000);
	}
	ck_assert_uint_eq(a.nev, b.nev);
	ck_assert_uint_gt(a.nev, 100);
	for (unsigned i = 0; i < a.nev; i++)
		ck_assert(memcmp(&a.ev[i], &b.ev[i], offsetof(struct event, conn_state)) == 0);
	ck_assert(memcmp(engine_stats(a.e), engine_stats(b.e), sizeof(struct engine_stats)) == 0);
	tb_done(&a);
	tb_done(&b);
}
END_TEST

/* engine_process_timed() must be exactly expire-then-process packet by
 * packet: times that vary inside a burst, timers short enough that flows
 * expire between two packets of one burst, verdicts handed over in
 * order, each event tagged with the packet that caused it, and packets
 * decoded beforehand (engine_prepare) taken only from a same-seed engine. */
struct timed_ctx {
	const struct engine_tpkt *pk;
	struct verdict v[64];
	unsigned n;
};

static void
on_timed(void *ctx, const struct engine_tpkt *pk, const struct verdict *v)
{
	struct timed_ctx *c = ctx;

	ck_assert_ptr_eq(pk, &c->pk[c->n]);	/* in order, each once */
	c->v[c->n++] = *v;
}

START_TEST(test_timed_equals_single)
{
	static struct tb a, b;
	static uint8_t bufs[64][80];
	static struct engine_prep prep[64];
	struct engine_tpkt pk[64];
	struct timed_ctx tc;
	struct engine *other;
	const uint64_t seed2[2] = { 7, 8 };
	uint64_t x = 987654321, expiries = 0;
	unsigned first;

	tb_init(&a);
	for (int s = TCP_SYN_SENT; s <= TCP_CLOSE; s++)
		a.pol.timeout[s] = S(1) + (uint64_t)s * S(0.3);
	fin_kills_mapping(&a.pol, S(0.7));
	a.pol.after_expiry = LATE_RESET_SENDER;
	a.pol.unknown_flow = LATE_PICKUP;
	a.pol.max_flows = 32;
	a.pol.table_full = FULL_EVICT;
	tb_start(&a);
	tb_init(&b);
	b.pol = a.pol;
	tb_start(&b);
	other = engine_new(&b.pol, NULL, seed2, 0);
	ck_assert_ptr_nonnull(other);
	for (int round = 0; round < 80; round++) {
		unsigned n = 1 + (unsigned)(round * 7 % 64);

		for (unsigned i = 0; i < n; i++) {
			static const uint8_t flags[] = { TH_SYN, TH_SYN | TH_ACK, TH_ACK,
			    TH_ACK | TH_PSH, TH_FIN | TH_ACK, TH_RST, TH_ACK, TH_ACK };
			uint8_t fl;
			size_t len;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			fl = flags[(x >> 8) % 8];
			len = build(bufs[i], (x >> 20) & 1, (x >> 21) & 1,
			    (uint16_t)(30000 + x % 24), fl, (uint32_t)(x >> 24),
			    (uint32_t)(x >> 40), (fl & TH_PSH) ? 100 : 0);
			if ((x >> 30) % 23 == 0)
				len -= 3;	/* truncated */
			/* 0 to 60 ms apart, now and then the same instant */
			b.now += (x >> 33) % 4 == 0 ? 0 : (x >> 35) % S(0.06);
			pk[i] = (struct engine_tpkt){ bufs[i], (uint32_t)len, 1000u + i, b.now, NULL };
		}
		/* Decoded beforehand: by an engine with b's seed (used as is),
		 * or with another seed (b must not trust its hashes). */
		if (round % 3 != 0) {
			engine_prepare(round % 3 == 1 ? b.e : other, pk, n, prep);
			for (unsigned i = 0; i < n; i++)
				pk[i].prep = &prep[i];
		}
		tc.pk = pk;
		tc.n = 0;
		engine_process_timed(b.e, pk, n, on_timed, &tc);
		ck_assert_uint_eq(tc.n, n);
		for (unsigned i = 0; i < n; i++) {
			expiries += engine_expire(a.e, pk[i].now, UINT32_MAX);
			first = a.nev;
			engine_process(a.e, pk[i].buf, pk[i].caplen, pk[i].now, &a.v);
			for (unsigned k = first; k < a.nev && k < MAXEV; k++)
				a.ev[k].tag = pk[i].tag;	/* what b's should say */
			ck_assert_int_eq(a.v.action, tc.v[i].action);
			ck_assert_int_eq(a.v.reason, tc.v[i].reason);
			ck_assert_int_eq(a.v.nrst, tc.v[i].nrst);
			ck_assert_int_eq(a.v.flow, tc.v[i].flow);
			ck_assert_int_eq(a.v.dir, tc.v[i].dir);
			ck_assert_int_eq(a.v.ip_len, tc.v[i].ip_len);
			ck_assert(memcmp(a.v.rst, tc.v[i].rst, sizeof(a.v.rst[0]) * a.v.nrst) == 0);
		}
		a.now = b.now;
	}
	ck_assert_uint_eq(a.nev, b.nev);
	ck_assert_uint_lt(a.nev, MAXEV);
	ck_assert_uint_gt(expiries, 50);
	for (unsigned i = 0; i < a.nev; i++)
		ck_assert(memcmp(&a.ev[i], &b.ev[i], offsetof(struct event, conn_state)) == 0);
	ck_assert(memcmp(engine_stats(a.e), engine_stats(b.e), sizeof(struct engine_stats)) == 0);
	engine_free(other);
	tb_done(&a);
	tb_done(&b);
}
END_TEST

/* After a profile change engine_process_timed() re-times the table just
 * as expire-then-process does: one 65536-slot block in the expiry, the
 * next in the processing. A table of two blocks and the flow in the
 * second: packet by packet its first packet already meets the tombstone. */
static void
on_timed_one(void *ctx, const struct engine_tpkt *pk, const struct verdict *v)
{
	(void)pk;
	*(struct verdict *)ctx = *v;
}

START_TEST(test_timed_retime_after_policy_change)
{
	static struct tb a, b;
	static uint8_t buf[3][80];
	static const uint32_t which[3] = { 69999, 0, 65600 };
	struct engine_tpkt pk;
	struct verdict vb;
	struct policy p2;

	tb_init(&a);
	a.pol.max_flows = 100000;
	tb_start(&a);
	tb_init(&b);
	b.pol = a.pol;
	tb_start(&b);
	for (uint32_t i = 0; i < 70000; i++) {
		a.cport = b.cport = (uint16_t)(1024 + i % 60000);
		a.v6 = b.v6 = i >= 60000;
		tx(&a, true, TH_SYN, 0);
		tx(&b, true, TH_SYN, 0);
	}
	p2 = a.pol;
	p2.timeout[TCP_SYN_SENT] = S(1);
	p2.after_expiry = LATE_DROP;
	p2.tombstone = S(60);
	ck_assert_int_eq(engine_set_policy(a.e, &p2), 0);
	ck_assert_int_eq(engine_set_policy(b.e, &p2), 0);
	a.nev = b.nev = 0;
	for (unsigned k = 0; k < 3; k++) {
		uint32_t i = which[k];
		size_t len = build(buf[k], i >= 60000, true, (uint16_t)(1024 + i % 60000),
		    TH_ACK, 5000, 0, 0);
		uint64_t now = a.now + S(5) + k * S(0.5);

		engine_expire(a.e, now, UINT32_MAX);
		engine_process(a.e, buf[k], len, now, &a.v);
		pk = (struct engine_tpkt){ buf[k], (uint32_t)len, k, now, NULL };
		engine_process_timed(b.e, &pk, 1, on_timed_one, &vb);
		ck_assert_int_eq(a.v.action, vb.action);
		ck_assert_int_eq(a.v.reason, vb.reason);
		ck_assert_int_eq(a.v.flow, vb.flow);
	}
	ck_assert_int_eq(a.v.action, V_DROP);	/* the tombstone */
	ck_assert(memcmp(engine_stats(a.e), engine_stats(b.e), sizeof(struct engine_stats)) == 0);
	ck_assert_uint_eq(a.nev, b.nev);
	for (unsigned i = 0; i < a.nev; i++) {
		ck_assert_uint_eq(a.ev[i].type, b.ev[i].type);
		ck_assert_uint_eq(a.ev[i].ts, b.ev[i].ts);
		ck_assert_uint_eq(a.ev[i].flow, b.ev[i].flow);
	}
	tb_done(&a);
	tb_done(&b);
}
END_TEST

Suite *
suite_burst(void)
{
	Suite *s = suite_create("burst");
	TCase *tc = tcase_create("equal_to_single");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_burst_equals_single);
	tcase_add_test(tc, test_timed_equals_single);
	tcase_add_test(tc, test_timed_retime_after_policy_change);
	suite_add_tcase(s, tc);
	return s;
}
