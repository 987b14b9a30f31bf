/* check_engine.c -- every profile knob through engine_process, with time driven by the test
 * (the timer ladder alone: check_engine_timer.c). */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_shadow.h"
#include "engine_tb.h"
#include "suites.h"

START_TEST(test_fin_kills_mapping_exact)
{
	struct tb t;
	const struct event *ev;
	uint64_t fin_at;

	tb_init(&t);
	fin_kills_mapping(&t.pol, S(10));
	tb_start(&t);
	handshake(&t);
	t.now += S(1);
	ck_assert_int_eq(tx(&t, true, TH_FIN | TH_ACK, 0), V_ACCEPT);
	fin_at = t.now;
	/* the server streams every 100 ms; the client acks */
	for (int i = 1; i < 100; i++) {
		t.now = fin_at + S(0.1) * (uint64_t)i;
		ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 1400), V_ACCEPT);
		ck_assert_int_eq(tx(&t, true, TH_ACK, 0), V_ACCEPT);
		engine_expire(t.e, t.now, 1000);
	}
	ck_assert_int_eq(count_ev(&t, EV_EXPIRE, R_NONE), 0);
	t.now = fin_at + S(10) - 1;
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 1400), V_ACCEPT);
	t.now = fin_at + S(10);
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 1400), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_EXPIRED_HALF_CLOSED);
	ev = find_ev(&t, EV_EXPIRE);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->ts, fin_at + S(10));
	ck_assert_uint_eq(ev->reason, R_EXPIRED_HALF_CLOSED);
	ck_assert_int_eq(ev->state, TCP_CLOSE_WAIT);
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 1400), V_DROP);
	ck_assert_int_eq(tx(&t, true, TH_ACK, 0), V_DROP);
	ck_assert_uint_eq(engine_stats(t.e)->reason[R_EXPIRED_HALF_CLOSED], 3);
	ev = find_ev(&t, EV_END);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(ev->conn_state, "S2");
	tb_done(&t);
}
END_TEST

/* Same traffic under the RFC 5382 rule: the half-close survives. */
START_TEST(test_rfc5382_half_close_survives)
{
	struct tb t;
	uint64_t fin_at;

	tb_init(&t);
	t.pol.timeout[TCP_ESTABLISHED] = S(7440);
	for (int s = TCP_SYN_SENT; s < TCP_STATE_MAX; s++)
		if (s != TCP_ESTABLISHED)
			t.pol.timeout[s] = S(240);
	t.pol.half_close_start = HC_BOTH_FINS;
	tb_start(&t);
	handshake(&t);
	ck_assert_int_eq(tx(&t, true, TH_FIN | TH_ACK, 0), V_ACCEPT);
	fin_at = t.now;
	for (int i = 1; i <= 600; i++) {
		t.now = fin_at + S(1) * (uint64_t)i;
		ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 1400), V_ACCEPT);
		engine_expire(t.e, t.now, 1000);
	}
	/* idle in the half-closed state: the established floor applies */
	t.now += S(7439);
	engine_expire(t.e, t.now, 1000);
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 1400), V_ACCEPT);
	ck_assert_int_eq(count_ev(&t, EV_EXPIRE, R_NONE), 0);
	t.now += S(7441);
	ck_assert_int_eq(engine_expire(t.e, t.now, 1000), 1);
	ck_assert_int_eq(count_ev(&t, EV_EXPIRE, R_EXPIRED_IDLE), 1);
	tb_done(&t);
}
END_TEST

START_TEST(test_half_close_start_fin_acked)
{
	struct tb t;
	const struct event *ev;
	uint8_t b[80];
	size_t n;

	tb_init(&t);
	t.pol.half_close_start = HC_FIN_ACKED;
	t.pol.timeout[TCP_ESTABLISHED] = S(3600);
	t.pol.timeout[TCP_FIN_WAIT] = S(600);
	t.pol.timeout[TCP_CLOSE_WAIT] = S(600);
	tb_start(&t);
	handshake(&t);
	tx(&t, true, TH_FIN | TH_ACK, 0);
	/* an ACK from the server that does not cover the FIN: CLOSE_WAIT
	 * in the tracker, but the conn timer still runs (ASA) */
	n = build(b, false, false, t.cport, TH_ACK, t.sseq, t.cseq - 1, 0);
	engine_process(t.e, b, n, t.now, &t.v);
	ev = &t.ev[t.nev - 1];
	ck_assert_int_eq(ev->type, EV_UPDATE);
	ck_assert_int_eq(ev->state, TCP_CLOSE_WAIT);
	ck_assert_int_eq(ev->timer_state, TCP_ESTABLISHED);
	ck_assert_uint_eq(ev->timeout, S(3600));
	/* the ACK of the FIN starts the half-closed timer */
	t.now += S(1);
	tx(&t, false, TH_ACK, 0);
	t.now += S(600);
	ck_assert_int_eq(engine_expire(t.e, t.now + S(0.01), 100), 1);
	ck_assert_int_eq(count_ev(&t, EV_EXPIRE, R_EXPIRED_HALF_CLOSED), 1);
	tb_done(&t);
}
END_TEST

START_TEST(test_refresh_rules)
{
	static const uint8_t rules[] = { REFRESH_ANY, REFRESH_ORIG, REFRESH_REPLY, REFRESH_NONE };

	for (unsigned i = 0; i < 4; i++) {
		struct tb t;
		uint64_t est;

		tb_init(&t);
		t.pol.timeout[TCP_ESTABLISHED] = S(30);
		t.pol.refresh[TCP_ESTABLISHED] = rules[i];
		t.pol.after_expiry = LATE_DROP;
		tb_start(&t);
		handshake(&t);
		est = t.now;
		/* server-only traffic every 10 s for 60 s */
		for (int k = 1; k <= 6; k++) {
			t.now = est + S(10) * (uint64_t)k;
			tx(&t, false, TH_ACK | TH_PSH, 100);
		}
		/* any and reply keep the flow; orig and none let it die at 30 s */
		if (rules[i] == REFRESH_ANY || rules[i] == REFRESH_REPLY) {
			ck_assert_int_eq(t.v.action, V_ACCEPT);
			ck_assert_int_eq(count_ev(&t, EV_EXPIRE, R_NONE), 0);
		} else {
			ck_assert_int_eq(t.v.action, V_DROP);
			ck_assert_int_eq(find_ev(&t, EV_EXPIRE)->ts, est + S(30));
		}
		tb_done(&t);
	}
	/* orig refreshes only from the client */
	{
		struct tb t;

		tb_init(&t);
		t.pol.timeout[TCP_ESTABLISHED] = S(30);
		t.pol.refresh[TCP_ESTABLISHED] = REFRESH_ORIG;
		tb_start(&t);
		handshake(&t);
		for (int k = 0; k < 6; k++) {
			t.now += S(20);
			ck_assert_int_eq(tx(&t, true, TH_ACK | TH_PSH, 10), V_ACCEPT);
		}
		ck_assert_int_eq(count_ev(&t, EV_EXPIRE, R_NONE), 0);
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_expire_reset_both_ends)
{
	struct tb t;

	tb_init(&t);
	t.pol.timeout[TCP_ESTABLISHED] = S(60);
	t.pol.expire_action = EXPIRE_RESET;
	tb_start(&t);
	handshake(&t);
	tx(&t, true, TH_ACK | TH_PSH, 10);
	tx(&t, false, TH_ACK, 0);
	t.now += S(61);
	ck_assert_int_eq(engine_expire(t.e, t.now, 100), 1);
	ck_assert_uint_eq(t.nrst, 2);
	/* to the client: from the server's address, seq = the client's rcv.nxt */
	ck_assert_uint_eq(t.rst[0].sport, 80);
	ck_assert_uint_eq(t.rst[0].dport, 40000);
	ck_assert_uint_eq(t.rst[0].src.b[0], 203);
	ck_assert_uint_eq(t.rst[0].seq, t.sseq);
	ck_assert_uint_eq(t.rst[1].sport, 40000);
	ck_assert_uint_eq(t.rst[1].dst.b[0], 203);
	ck_assert_uint_eq(t.rst[1].seq, t.cseq);
	ck_assert(t.rst[0].flags & TH_RST);
	ck_assert_int_eq(count_ev(&t, EV_RESET, R_EXPIRED_IDLE), 1);
	ck_assert_int_eq(find_ev(&t, EV_RESET)->dir, EV_DIR_BOTH);	/* both ends */
	ck_assert_uint_eq(engine_stats(t.e)->resets_sent, 2);
	tb_done(&t);
}
END_TEST

START_TEST(test_after_expiry_actions)
{
	static const uint8_t acts[] = { LATE_PICKUP, LATE_DROP, LATE_RESET_SENDER };

	for (unsigned i = 0; i < 3; i++) {
		struct tb t;

		tb_init(&t);
		t.pol.timeout[TCP_ESTABLISHED] = S(10);
		t.pol.after_expiry = acts[i];
		t.pol.unknown_flow = LATE_DROP;	/* must not matter here */
		tb_start(&t);
		handshake(&t);
		t.now += S(11);
		tx(&t, true, TH_ACK | TH_PSH, 50);
		ck_assert_int_eq(count_ev(&t, EV_EXPIRE, R_EXPIRED_IDLE), 1);
		switch (acts[i]) {
		case LATE_PICKUP:
			ck_assert_int_eq(t.v.action, V_ACCEPT);
			ck_assert_int_eq(count_ev(&t, EV_NEW, R_NONE), 2);
			ck_assert_int_eq(engine_flow_count(t.e), 1);
			break;
		case LATE_DROP:
			ck_assert_int_eq(t.v.action, V_DROP);
			ck_assert_uint_eq(t.v.reason, R_EXPIRED_IDLE);
			break;
		case LATE_RESET_SENDER:
			ck_assert_int_eq(t.v.action, V_RESET);
			ck_assert_uint_eq(t.v.nrst, 1);
			/* to the client, seq = the ACK it sent: accepted as is */
			ck_assert_uint_eq(t.v.rst[0].dport, 40000);
			ck_assert_uint_eq(t.v.rst[0].seq, t.sseq);
			ck_assert_uint_eq(t.v.rst[0].flags, TH_RST);
			break;
		}
		/* a fresh SYN on the same ports is a new connection */
		t.cseq += 100000;
		ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_tombstone_forgotten)
{
	struct tb t;

	tb_init(&t);
	t.pol.timeout[TCP_ESTABLISHED] = S(10);
	t.pol.tombstone = S(20);
	t.pol.after_expiry = LATE_DROP;
	t.pol.unknown_flow = LATE_PICKUP;
	tb_start(&t);
	handshake(&t);
	t.now += S(15);
	ck_assert_int_eq(tx(&t, true, TH_ACK, 0), V_DROP);
	t.now += S(16);	/* tombstone gone: an unknown flow again, picked up */
	engine_expire(t.e, t.now, 100);
	ck_assert_int_eq(engine_flow_count(t.e), 0);
	ck_assert_int_eq(tx(&t, true, TH_ACK, 0), V_ACCEPT);
	ck_assert_int_eq(engine_flow_count(t.e), 1);
	tb_done(&t);
}
END_TEST

START_TEST(test_unknown_flow_actions)
{
	static const uint8_t acts[] = { LATE_PICKUP, LATE_DROP, LATE_RESET_SENDER };

	for (unsigned i = 0; i < 3; i++) {
		struct tb t;
		enum verdict_action a;

		tb_init(&t);
		t.pol.unknown_flow = acts[i];
		tb_start(&t);
		a = tx(&t, true, TH_ACK | TH_PSH, 10);
		switch (acts[i]) {
		case LATE_PICKUP:
			ck_assert_int_eq(a, V_ACCEPT);
			ck_assert_int_eq(engine_flow_count(t.e), 1);
			/* picked up: capped at `unacknowledged` until a reply */
			ck_assert_uint_eq(find_ev(&t, EV_NEW)->timeout, t.pol.unacknowledged);
			tx(&t, false, TH_ACK, 0);
			break;
		case LATE_DROP:
			ck_assert_int_eq(a, V_DROP);
			ck_assert_uint_eq(t.v.reason, R_NO_FLOW);
			ck_assert_int_eq(engine_flow_count(t.e), 0);
			break;
		case LATE_RESET_SENDER:
			ck_assert_int_eq(a, V_RESET);
			ck_assert_uint_eq(t.v.reason, R_NO_FLOW);
			/* never answer a RST with a RST */
			ck_assert_int_eq(tx(&t, true, TH_RST, 0), V_DROP);
			break;
		}
		ck_assert_uint_eq(engine_stats(t.e)->reason[R_NO_FLOW], i == 0 ? 0 : i == 1 ? 1 : 2);
		tb_done(&t);
	}
}
END_TEST

static void
close_to_time_wait(struct tb *t)
{
	handshake(t);
	tx(t, true, TH_FIN | TH_ACK, 0);
	tx(t, false, TH_FIN | TH_ACK, 0);
	tx(t, true, TH_ACK, 0);
}

START_TEST(test_timewait_reopen)
{
	struct tb t;

	tb_init(&t);
	tb_start(&t);
	close_to_time_wait(&t);
	t.cseq += 1000000;
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	ck_assert_int_eq(count_ev(&t, EV_END, R_END_REOPEN), 1);
	ck_assert_int_eq(count_ev(&t, EV_NEW, R_NONE), 2);
	tb_done(&t);

	tb_init(&t);
	t.pol.timewait_reopen = REOPEN_DROP;
	tb_start(&t);
	close_to_time_wait(&t);
	t.cseq += 1000000;
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_TIMEWAIT_REUSE);
	/* once TIME_WAIT has run out the port is free */
	t.now += t.pol.timeout[TCP_TIME_WAIT] + 1;
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	tb_done(&t);
}
END_TEST

START_TEST(test_invalid_action)
{
	for (int drop_it = 0; drop_it < 2; drop_it++) {
		struct tb t;

		tb_init(&t);
		t.pol.invalid = drop_it ? BAD_DROP : BAD_ACCEPT;
		tb_start(&t);
		handshake(&t);
		/* a SYN/ACK from the client in ESTABLISHED: INVALID */
		ck_assert_int_eq(tx(&t, true, TH_SYN | TH_ACK, 0), drop_it ? V_DROP : V_ACCEPT);
		ck_assert_uint_eq(engine_stats(t.e)->reason[R_INVALID_STATE], (unsigned)drop_it);
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_window_tracking_drop)
{
	struct tb t;
	uint8_t b[80];
	size_t n;

	tb_init(&t);
	t.pol.window_tracking = true;
	t.pol.invalid = BAD_DROP;
	tb_start(&t);
	handshake(&t);
	n = build(b, false, true, t.cport, TH_ACK | TH_PSH, t.cseq + 50000000, t.sseq, 100);
	ck_assert_int_eq(engine_process(t.e, b, n, t.now, &t.v), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_INVALID_WINDOW);
	ck_assert_int_eq(tx(&t, true, TH_ACK | TH_PSH, 100), V_ACCEPT);
	tb_done(&t);
}
END_TEST

START_TEST(test_malformed_action)
{
	for (int drop_it = 0; drop_it < 2; drop_it++) {
		struct tb t;
		uint8_t b[80];
		size_t n;

		tb_init(&t);
		t.pol.malformed = drop_it ? BAD_DROP : BAD_ACCEPT;
		tb_start(&t);
		n = build(b, false, true, t.cport, TH_SYN, 1, 0, 0);
		ck_assert_int_eq(engine_process(t.e, b, n - 1, t.now, &t.v), drop_it ? V_DROP : V_ACCEPT);
		ck_assert_uint_eq(engine_stats(t.e)->decode[DEC_TRUNCATED], 1);
		ck_assert_uint_eq(engine_stats(t.e)->reason[R_DECODE + DEC_TRUNCATED], (unsigned)drop_it);
		b[0] = 0x55;
		engine_process(t.e, b, n, t.now, &t.v);
		ck_assert_uint_eq(engine_stats(t.e)->decode[DEC_BAD_VERSION], 1);
		/* neither is INVALID to the kernel (a capture cut short, the IP
		 * layer's); an ICMP header cut by the IP length is
		 * (icmp_error()'s "short packet"): an [INVALID] when passed,
		 * a [DROP] counted by reason when dropped */
		ck_assert_uint_eq(count_ev(&t, EV_INVALID, R_NONE), 0);
		n = build_dgram(b, 1, true, 7, 0);
		put16(b + 2, 20 + 4);
		ck_assert_int_eq(engine_process(t.e, b, n, t.now, &t.v), drop_it ? V_DROP : V_ACCEPT);
		ck_assert_uint_eq(count_ev(&t, EV_INVALID, R_DECODE + DEC_SHORT_L4), drop_it ? 0 : 1);
		ck_assert_uint_eq(count_ev(&t, EV_DROP, R_DECODE + DEC_SHORT_L4), drop_it ? 1 : 0);
		ck_assert_uint_eq(engine_stats(t.e)->reason[R_DECODE + DEC_SHORT_L4], (unsigned)drop_it);
		/* IPv4 carrying ICMPv6's number is an "other" flow, not
		 * skipped */
		n = build(b, false, true, t.cport, TH_SYN, 1, 0, 0);
		b[9] = 58;
		ck_assert_int_eq(engine_process(t.e, b, n, t.now, &t.v), V_ACCEPT);
		ck_assert_uint_eq(engine_stats(t.e)->skipped, 0);
		ck_assert_uint_ne(t.v.flow, FLOW_NIL);
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_rst_before_reply_and_rej)
{
	struct tb t;
	const struct event *ev;

	tb_init(&t);
	tb_start(&t);
	tx(&t, true, TH_SYN, 0);
	ck_assert_int_eq(tx(&t, false, TH_RST | TH_ACK, 0), V_ACCEPT);
	ck_assert_int_eq(engine_flow_count(t.e), 0);
	ev = find_ev(&t, EV_END);
	ck_assert_uint_eq(ev->reason, R_END_RST);
	ck_assert_str_eq(ev->conn_state, "REJ");
	ck_assert_str_eq(ev->history, "Sr");
	tb_done(&t);
}
END_TEST

START_TEST(test_syn_retransmit_keeps_deadline)
{
	struct tb t;

	tb_init(&t);
	t.pol.timeout[TCP_SYN_SENT] = S(120);
	tb_start(&t);
	tx(&t, true, TH_SYN, 0);
	t.now += S(100);
	t.cseq--;
	tx(&t, true, TH_SYN, 0);	/* retransmission: no refresh */
	t.now += S(21);
	ck_assert_int_eq(engine_expire(t.e, t.now, 100), 1);
	ck_assert_int_eq(count_ev(&t, EV_EXPIRE, R_EXPIRED_OPENING), 1);
	tb_done(&t);
}
END_TEST

START_TEST(test_ipv6_flow)
{
	struct tb t;

	tb_init(&t);
	t.v6 = true;
	fin_kills_mapping(&t.pol, S(2));
	tb_start(&t);
	handshake(&t);
	ck_assert_int_eq(find_ev(&t, EV_NEW)->family, 6);
	tx(&t, true, TH_FIN | TH_ACK, 0);
	t.now += S(2);
	ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 100), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_EXPIRED_HALF_CLOSED);
	tb_done(&t);
}
END_TEST

/* Events left out of the mask are counted, not delivered, and change
 * no verdict: a reset-sender drop of an unknown flow, with and without
 * its two events; a state change without EV_UPDATE. */
START_TEST(test_event_mask)
{
	struct tb t;
	const struct engine_stats *st;

	for (int masked = 0; masked < 2; masked++) {
		tb_init(&t);
		t.pol.unknown_flow = LATE_RESET_SENDER;
		tb_start(&t);
		if (masked)
			engine_set_event_mask(t.e, 1u << EV_NEW | 1u << EV_END);
		ck_assert_int_eq(tx(&t, true, TH_ACK, 10), V_RESET);
		ck_assert_uint_eq(t.v.reason, R_NO_FLOW);
		ck_assert_uint_eq(t.v.nrst, 1);
		ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
		ck_assert_int_eq(tx(&t, false, TH_SYN | TH_ACK, 0), V_ACCEPT);
		st = engine_stats(t.e);
		ck_assert_uint_eq(st->events[EV_DROP], 1);
		ck_assert_uint_eq(st->events[EV_RESET], 1);
		ck_assert_uint_eq(st->events[EV_UPDATE], 1);
		ck_assert_uint_eq(st->resets_sent, 1);
		ck_assert_uint_eq(st->reason[R_NO_FLOW], 1);
		ck_assert_uint_eq(count_ev(&t, EV_DROP, R_NONE), masked ? 0 : 1);
		ck_assert_uint_eq(count_ev(&t, EV_RESET, R_NONE), masked ? 0 : 1);
		ck_assert_uint_eq(count_ev(&t, EV_UPDATE, R_NONE), masked ? 0 : 1);
		ck_assert_uint_eq(count_ev(&t, EV_NEW, R_NONE), 1);
		tb_done(&t);
	}
}
END_TEST

/* engine_no_flow() gives a packet of a tuple the engine has no flow for
 * what a lookup would have given it (verdict, RST, every counter), and
 * declines what could start a flow (a bare SYN, any packet under loose
 * pickup) or did not decode, changing nothing then. */
START_TEST(test_no_flow_as_lookup)
{
	static const uint8_t fl[] = {
		TH_ACK, TH_ACK | TH_PSH, TH_FIN | TH_ACK, TH_RST, TH_RST | TH_ACK,
		TH_SYN, TH_SYN | TH_ACK, TH_SYN | TH_FIN, 0,
	};
	static const uint8_t unk[] = { LATE_DROP, LATE_RESET_SENDER, LATE_PICKUP };
	uint64_t seed[2] = { 1, 2 };
	unsigned ntook = 0;

	for (unsigned u = 0; u < sizeof(unk); u++) {
		for (unsigned k = 0; k <= sizeof(fl); k++) {
			struct engine_ops ops = { NULL, NULL, NULL };
			struct policy pol;
			struct engine *a, *b;
			struct engine_prep prep;
			struct engine_tpkt tp;
			struct nf_cap ca = { 0 }, cb = { 0 };
			uint8_t buf[80];
			size_t n;
			bool took, bad = k == sizeof(fl);	/* cut short: no decode */

			policy_defaults(&pol);
			pol.max_flows = 64;
			pol.unknown_flow = unk[u];
			a = engine_new(&pol, &ops, seed, S(100));
			b = engine_new(&pol, &ops, seed, S(100));
			n = build(buf, u == 1, true, 40000, bad ? TH_ACK : fl[k], 1000, 5000, 10);
			tp = (struct engine_tpkt){ buf, bad ? 30u : (uint32_t)n, 7, S(101), &prep };
			engine_prepare(a, &tp, 1, &prep);
			engine_process_timed(a, &tp, 1, nf_keep, &ca);
			took = engine_no_flow(b, &tp, nf_keep, &cb);
			ck_assert_uint_eq(ca.n, 1);
			if (!took) {
				ck_assert_msg(bad || unk[u] == LATE_PICKUP ||
				    (fl[k] & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN,
				    "declined flags 0x%x under %u", fl[k], unk[u]);
				ck_assert_uint_eq(cb.n, 0);
				ck_assert_uint_eq(engine_stats(b)->packets, 0);
			} else {
				ntook++;
				ck_assert_uint_eq(cb.n, 1);
				ck_assert_uint_eq(engine_flow_count(a), 0);
				ck_assert_uint_eq(cb.v.action, ca.v.action);
				ck_assert_uint_eq(cb.v.reason, ca.v.reason);
				ck_assert_uint_eq(cb.v.reason, R_NO_FLOW);
				ck_assert_uint_eq(cb.v.dir, ca.v.dir);
				ck_assert_uint_eq(cb.v.flow, FLOW_NIL);
				ck_assert_uint_eq(cb.v.flow, ca.v.flow);
				ck_assert_uint_eq(cb.v.ip_len, ca.v.ip_len);
				ck_assert_uint_eq(cb.v.nrst, ca.v.nrst);
				if (ca.v.nrst) {
					ck_assert_uint_eq(cb.v.rst[0].flags, ca.v.rst[0].flags);
					ck_assert_uint_eq(cb.v.rst[0].seq, ca.v.rst[0].seq);
					ck_assert_uint_eq(cb.v.rst[0].ack, ca.v.rst[0].ack);
					ck_assert_uint_eq(cb.v.rst[0].sport, ca.v.rst[0].sport);
					ck_assert(memcmp(&cb.v.rst[0].dst, &ca.v.rst[0].dst,
					    sizeof(ca.v.rst[0].dst)) == 0);
				}
				ck_assert(memcmp(engine_stats(a), engine_stats(b),
				    sizeof(struct engine_stats)) == 0);
			}
			engine_free(a);
			engine_free(b);
		}
	}
	/* all but the two bare SYNs, under drop and reset-sender */
	ck_assert_uint_eq(ntook, 2 * (sizeof(fl) - 2));
}
END_TEST

Suite *
suite_engine(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("knobs");

	tcase_add_test(tc, test_fin_kills_mapping_exact);
	tcase_add_test(tc, test_rfc5382_half_close_survives);
	tcase_add_test(tc, test_half_close_start_fin_acked);
	tcase_add_test(tc, test_refresh_rules);
	tcase_add_test(tc, test_expire_reset_both_ends);
	tcase_add_test(tc, test_after_expiry_actions);
	tcase_add_test(tc, test_tombstone_forgotten);
	tcase_add_test(tc, test_unknown_flow_actions);
	tcase_add_test(tc, test_timewait_reopen);
	tcase_add_test(tc, test_invalid_action);
	tcase_add_test(tc, test_window_tracking_drop);
	tcase_add_test(tc, test_malformed_action);
	tcase_add_test(tc, test_event_mask);
	tcase_add_test(tc, test_no_flow_as_lookup);
	tcase_add_test(tc, test_rst_before_reply_and_rej);
	tcase_add_test(tc, test_syn_retransmit_keeps_deadline);
	tcase_add_test(tc, test_ipv6_flow);
	suite_add_tcase(s, tc);
	return s;
}
