/* check_engine_admin.c -- the engine under faults, a full table, adaptive
 * timeouts, profile reloads, flow_end() and the expiry budget, with time
 * driven by the test. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_shadow.h"
#include "engine_tb.h"
#include "suites.h"

START_TEST(test_fault_drop_rst)
{
	for (int side = 0; side < 2; side++) {
		struct tb t;

		tb_init(&t);
		t.pol.fault[side == 0 ? FAULT_DROP_RST_ORIG : FAULT_DROP_RST_REPLY] = 1.0;
		tb_start(&t);
		handshake(&t);
		ck_assert_int_eq(tx(&t, side == 0, TH_RST | TH_ACK, 0), V_DROP);
		ck_assert_uint_eq(t.v.reason, R_FAULT_DROP_RST);
		ck_assert_int_eq(count_ev(&t, EV_FAULT, R_FAULT_DROP_RST), 1);
		/* the flow never saw it */
		ck_assert_int_eq(t.ev[t.nev - 1].state, TCP_ESTABLISHED);
		/* the other side's RST passes */
		ck_assert_int_eq(tx(&t, side != 0, TH_RST | TH_ACK, 0), V_ACCEPT);
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_fault_fins)
{
	struct tb t;

	/* the first FIN, and each retransmission of it */
	tb_init(&t);
	t.pol.fault[FAULT_DROP_FIRST_FIN] = 1.0;
	tb_start(&t);
	handshake(&t);
	ck_assert_int_eq(tx(&t, true, TH_FIN | TH_ACK, 0), V_DROP);
	t.cseq--;
	ck_assert_int_eq(tx(&t, true, TH_FIN | TH_ACK, 0), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_FAULT_DROP_FIRST_FIN);
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 10), V_ACCEPT);
	tb_done(&t);

	/* the second FIN only (seed 003, experiment 4) */
	tb_init(&t);
	t.pol.fault[FAULT_DROP_SECOND_FIN] = 1.0;
	tb_start(&t);
	handshake(&t);
	ck_assert_int_eq(tx(&t, true, TH_FIN | TH_ACK, 0), V_ACCEPT);
	ck_assert_int_eq(tx(&t, false, TH_ACK, 0), V_ACCEPT);
	ck_assert_int_eq(tx(&t, false, TH_FIN | TH_ACK, 0), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_FAULT_DROP_SECOND_FIN);
	tb_done(&t);

	/* the ACK of a FIN (seed 003, experiment 3): every packet that
	 * would acknowledge it, data included */
	tb_init(&t);
	t.pol.fault[FAULT_DROP_FIN_ACK] = 1.0;
	tb_start(&t);
	handshake(&t);
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 10), V_ACCEPT);
	ck_assert_int_eq(tx(&t, true, TH_FIN | TH_ACK, 0), V_ACCEPT);
	ck_assert_int_eq(tx(&t, false, TH_ACK, 0), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_FAULT_DROP_FIN_ACK);
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 100), V_DROP);
	ck_assert_int_eq(t.ev[t.nev - 1].state, TCP_FIN_WAIT);
	tb_done(&t);
}
END_TEST

/* Faults with a probability repeat run for run with the same seed. */
static unsigned
fault_pattern(uint64_t seed, double prob, uint64_t *bits)
{
	struct tb t;
	unsigned drops = 0;

	tb_init(&t);
	t.pol.fault[FAULT_DROP_RST_REPLY] = prob;
	t.pol.fault_seed = seed;
	tb_start(&t);
	handshake(&t);
	*bits = 0;
	for (int i = 0; i < 64; i++) {
		if (tx(&t, false, TH_RST | TH_ACK, 0) == V_DROP) {
			drops++;
			*bits |= 1ULL << i;
		} else {
			/* let the next one be a RST of a live flow again */
			engine_flush(t.e, t.now);
			t.cport++;
			handshake(&t);
		}
	}
	tb_done(&t);
	return drops;
}

START_TEST(test_fault_probability_seeded)
{
	uint64_t a, b, c;
	unsigned n;

	ck_assert_uint_eq(fault_pattern(7, 0.0, &a), 0);
	ck_assert_uint_eq(fault_pattern(7, 1.0, &a), 64);
	n = fault_pattern(7, 0.5, &a);
	ck_assert_uint_gt(n, 10);
	ck_assert_uint_lt(n, 54);
	fault_pattern(7, 0.5, &b);
	ck_assert_uint_eq(a, b);
	fault_pattern(8, 0.5, &c);
	ck_assert_uint_ne(a, c);
}
END_TEST

START_TEST(test_table_full_drop_and_evict)
{
	struct tb t;

	tb_init(&t);
	t.pol.max_flows = 4;
	tb_start(&t);
	for (int i = 0; i < 4; i++) {
		t.cport = (uint16_t)(41000 + i);
		handshake(&t);
	}
	t.cport = 42000;
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_TABLE_FULL);
	tb_done(&t);

	/* evict: a closing flow goes before older established ones */
	tb_init(&t);
	t.pol.max_flows = 4;
	t.pol.table_full = FULL_EVICT;
	tb_start(&t);
	for (int i = 0; i < 4; i++) {
		t.cport = (uint16_t)(41000 + i);
		t.now += S(1);
		handshake(&t);
	}
	t.cport = 41002;
	tx(&t, true, TH_FIN | TH_ACK, 0);
	t.cport = 42000;
	t.now += S(1);
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	ck_assert_int_eq(count_ev(&t, EV_END, R_END_EVICTED), 1);
	ck_assert_uint_eq(find_ev(&t, EV_END)->sport, 41002);
	/* then the least recently active */
	t.cport = 42001;
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	ck_assert_int_eq(count_ev(&t, EV_END, R_END_EVICTED), 2);
	ck_assert_uint_eq(t.ev[t.nev - 2].sport, 41000);
	ck_assert_uint_eq(engine_stats(t.e)->evictions, 2);
	tb_done(&t);
}
END_TEST

START_TEST(test_adaptive_scaling)
{
	struct tb t;
	const struct event *ev;

	tb_init(&t);
	t.pol.max_flows = 10;
	t.pol.adaptive_start = 50;	/* 5 flows */
	t.pol.adaptive_end = 100;	/* 10 flows */
	t.pol.timeout[TCP_SYN_SENT] = S(100);
	tb_start(&t);
	for (int i = 0; i < 7; i++) {
		t.cport = (uint16_t)(41000 + i);
		tx(&t, true, TH_SYN, 0);
	}
	/* the 7th flow: 7 of 10, scale (10 - 7) / (10 - 5) = 0.6 */
	ev = &t.ev[t.nev - 1];
	ck_assert_int_eq(ev->type, EV_NEW);
	ck_assert_uint_eq(ev->timeout, S(60));
	ck_assert_uint_eq(policy_timeout(&t.pol, &(struct tcp_track){ .state = TCP_SYN_SENT },
	    TCP_SYN_SENT, 3), S(100));
	ck_assert_uint_eq(policy_timeout(&t.pol, &(struct tcp_track){ .state = TCP_SYN_SENT },
	    TCP_SYN_SENT, 10), 0);
	tb_done(&t);
}
END_TEST

START_TEST(test_reload_changes_live_flows)
{
	struct tb t;
	struct policy short_pol;
	uint64_t reload_at;
	const struct event *ev;

	tb_init(&t);
	t.pol.after_expiry = LATE_DROP;
	tb_start(&t);
	handshake(&t);			/* flow A: idle from here */
	t.cport++;
	t.now += S(8);
	handshake(&t);			/* flow B: talks on */
	short_pol = t.pol;
	short_pol.timeout[TCP_ESTABLISHED] = S(5);
	t.now += S(1);
	ck_assert_int_eq(engine_set_policy(t.e, &short_pol), 0);
	reload_at = t.now;
	/* A has been idle 9 s > 5 s: it expires at the engine's first
	 * clock after the change, not before it */
	ck_assert_int_eq(engine_expire(t.e, t.now + S(0.01), 100), 1);
	ev = find_ev(&t, EV_EXPIRE);
	ck_assert_uint_eq(ev->sport, t.cport - 1);
	ck_assert_uint_eq(ev->ts, reload_at + S(0.01));
	/* B keeps talking every 3 s and lives; its timer is the new one */
	for (int i = 0; i < 5; i++) {
		t.now += S(3);
		ck_assert_int_eq(tx(&t, true, TH_ACK | TH_PSH, 10), V_ACCEPT);
	}
	ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_NONE), 1);
	t.now += S(5.1);
	ck_assert_int_eq(engine_expire(t.e, t.now, 100), 1);
	short_pol.max_flows++;
	ck_assert_int_eq(engine_set_policy(t.e, &short_pol), -1);
	tb_done(&t);
}
END_TEST

/* Absolute timers keep counting from entering the state across a reload. */
START_TEST(test_reload_absolute_timer)
{
	struct tb t;
	struct policy p2;
	uint64_t fin_at;

	tb_init(&t);
	fin_kills_mapping(&t.pol, S(10));
	tb_start(&t);
	handshake(&t);
	tx(&t, true, TH_FIN | TH_ACK, 0);
	fin_at = t.now;
	t.now += S(2);
	tx(&t, false, TH_ACK | TH_PSH, 100);
	p2 = t.pol;
	for (int s = TCP_FIN_WAIT; s <= TCP_CLOSE; s++)
		p2.timeout[s] = S(4);
	engine_set_policy(t.e, &p2);
	t.now += S(1);
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 100), V_ACCEPT);
	t.now = fin_at + S(4);
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 100), V_DROP);
	ck_assert_uint_eq(find_ev(&t, EV_EXPIRE)->ts, fin_at + S(4));
	tb_done(&t);
}
END_TEST

/* A big table is re-timed over several calls, not in one. */
START_TEST(test_reload_retime_chunked)
{
	struct tb t;
	struct policy p2;
	unsigned first, total;

	tb_init(&t);
	t.pol.max_flows = 100000;
	tb_start(&t);
	for (uint32_t i = 0; i < 100000; i++) {
		t.cport = (uint16_t)(1024 + i % 60000);
		t.v6 = i >= 60000;
		tx(&t, true, TH_SYN, 0);
	}
	ck_assert_uint_eq(engine_flow_count(t.e), 100000);
	p2 = t.pol;
	p2.timeout[TCP_SYN_SENT] = S(1);
	engine_set_policy(t.e, &p2);
	t.now += S(5);
	first = engine_expire(t.e, t.now, 0);
	ck_assert_uint_gt(first, 0);
	ck_assert_uint_lt(first, 100000);
	total = first;
	for (int k = 0; k < 4; k++)
		total += engine_expire(t.e, t.now, 0);
	ck_assert_uint_eq(total, 100000);
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
	tb_done(&t);
}
END_TEST

START_TEST(test_flow_end_one)
{
	struct tb t;

	tb_init(&t);
	tb_start(&t);
	handshake(&t);
	t.cport++;
	handshake(&t);
	ck_assert_int_eq(engine_flow_count(t.e), 2);
	ck_assert_int_eq(engine_flow_end(t.e, t.v.flow, t.now), 0);
	ck_assert_int_eq(engine_flow_count(t.e), 1);
	ck_assert_int_eq(count_ev(&t, EV_END, R_END_FLUSH), 1);
	ck_assert_uint_eq(find_ev(&t, EV_END)->sport, t.cport);
	ck_assert_int_eq(engine_flow_end(t.e, t.v.flow, t.now), -1);
	ck_assert_int_eq(engine_flow_end(t.e, 1u << 30, t.now), -1);
	ck_assert_ptr_null(engine_flow_at(t.e, t.v.flow));
	tb_done(&t);
}
END_TEST

START_TEST(test_expire_budget)
{
	struct tb t;

	tb_init(&t);
	t.pol.max_flows = 1000;
	t.pol.timeout[TCP_SYN_SENT] = S(1);
	tb_start(&t);
	for (int i = 0; i < 500; i++) {
		t.cport = (uint16_t)(20000 + i);
		tx(&t, true, TH_SYN, 0);
	}
	t.now += S(2);
	ck_assert_uint_le(engine_expire(t.e, t.now, 100), 100);
	ck_assert_uint_ge(engine_flow_count(t.e), 400);
	while (engine_expire(t.e, t.now, 100) > 0)
		;
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
	ck_assert_uint_eq(count_ev(&t, EV_END, R_EXPIRED_OPENING), 500);
	tb_done(&t);
}
END_TEST

Suite *
suite_engine_admin(void)
{
	Suite *s = suite_create("engine_admin");
	TCase *tc = tcase_create("admin");

	tcase_add_test(tc, test_fault_drop_rst);
	tcase_add_test(tc, test_fault_fins);
	tcase_add_test(tc, test_fault_probability_seeded);
	tcase_add_test(tc, test_table_full_drop_and_evict);
	tcase_add_test(tc, test_adaptive_scaling);
	tcase_add_test(tc, test_reload_changes_live_flows);
	tcase_add_test(tc, test_reload_absolute_timer);
	tcase_add_test(tc, test_reload_retime_chunked);
	tcase_add_test(tc, test_flow_end_one);
	tcase_add_test(tc, test_expire_budget);
	suite_add_tcase(s, tc);
	return s;
}
