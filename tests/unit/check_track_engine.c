/* check_track_engine.c -- UDP, ICMP echo and other-protocol flows through the engine with injected time: timers, refresh direction, ICMP errors of live flows (dgram_tb.h: the bench). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "engine.h"
#include "engine_shadow.h"
#include "engine_tb.h"
#include "event.h"
#include "policy.h"
#include "policy_tb.h"
#include "reason.h"
#include "suites.h"
#include "track.h"
#include "dgram_tb.h"

START_TEST(test_udp_unreplied_expires)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		const struct event *ev;
		const struct flow *f;
		uint64_t t0;
		uint32_t idx;

		tb_init(&t);
		t.v6 = v6;
		t.pol.timeout[TRK_UDP_UNREPLIED] = S(20);
		t.pol.timeout[TRK_UDP_REPLIED] = S(300);
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
		idx = t.v.flow;
		f = vflow(&t);
		ck_assert_uint_eq(flow_kind(f), NBK_UDP);
		ck_assert_uint_eq(f->trk.state, TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(f->timer_state, TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(f->deadline, t0 + S(20));
		ev = find_ev(&t, EV_NEW);
		ck_assert_ptr_nonnull(ev);
		ck_assert_uint_eq(ev->proto, 17);
		ck_assert_uint_eq(ev->state, TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(ev->timeout, S(20));
		ck_assert_uint_eq(ev->sport, t.cport);
		ck_assert_uint_eq(ev->dport, SRV_PORT);
		ck_assert_ptr_nonnull(strstr(fmt_ev(ev), " proto=udp state=UDP_UNREPLIED timer=udp_unreplied timeout=20 "));
		/* the originator alone keeps it going, unreplied */
		t.now = t0 + S(5);
		ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_ORIG);
		ck_assert_uint_eq(vflow(&t)->deadline, t0 + S(25));
		ck_assert_uint_eq(count_ev(&t, EV_UPDATE, R_NONE), 0);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(25) - 1, 1000), 0);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(25) + REAP, 1000), 1);
		ev = find_ev(&t, EV_EXPIRE);
		ck_assert_ptr_nonnull(ev);
		ck_assert_uint_eq(ev->reason, R_EXPIRED_UDP_UNREPLIED);
		ck_assert_uint_eq(ev->ts, t0 + S(25));
		ck_assert_uint_eq(ev->state, TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(ev->proto, 17);
		ck_assert_ptr_nonnull(strstr(fmt_ev(ev), " reason=expired:udp_unreplied"));
		ev = find_ev(&t, EV_END);
		ck_assert_ptr_nonnull(ev);
		ck_assert_uint_eq(ev->reason, R_EXPIRED_UDP_UNREPLIED);
		ck_assert_str_eq(ev->conn_state, "S0");
		ck_assert_str_eq(ev->history, "D");
		ck_assert_uint_eq(engine_stats(t.e)->ends[R_EXPIRED_UDP_UNREPLIED], 1);
		ck_assert_str_eq(reason_name(R_EXPIRED_UDP_UNREPLIED), "expired:udp_unreplied");
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_udp_replied_timeout)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		const struct event *ev;
		const struct flow *f;
		uint64_t t0;
		uint32_t idx;

		tb_init(&t);
		t.v6 = v6;
		t.pol.timeout[TRK_UDP_UNREPLIED] = S(20);
		t.pol.timeout[TRK_UDP_REPLIED] = S(300);
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
		idx = t.v.flow;
		/* the reply: the same flow, still on the unreplied timer */
		t.now = t0 + S(1);
		ck_assert_int_eq(tx_udp(&t, false), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		f = vflow(&t);
		ck_assert_uint_eq(f->trk.state, TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(f->trk.flags, TTF_SEEN_REPLY);
		ck_assert_uint_eq(f->deadline, t0 + S(21));
		t.now = t0 + S(1.5);
		ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
		ck_assert_uint_eq(f->trk.state, TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(f->deadline, t0 + S(21.5));
		ck_assert_uint_eq(count_ev(&t, EV_UPDATE, R_NONE), 0);
		/* past 2 s: the stream timer */
		t.now = t0 + S(2.5);
		ck_assert_int_eq(tx_udp(&t, false), V_ACCEPT);
		ck_assert_uint_eq(f->trk.state, TRK_UDP_REPLIED);
		ck_assert_uint_eq(f->timer_state, TRK_UDP_REPLIED);
		ck_assert_uint_eq(f->trk.flags, TTF_SEEN_REPLY | TTF_ASSURED);
		ck_assert_uint_eq(f->deadline, t0 + S(302.5));
		ck_assert_uint_eq(count_ev(&t, EV_UPDATE, R_NONE), 1);
		ev = find_ev(&t, EV_UPDATE);
		ck_assert_uint_eq(ev->old_state, TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(ev->state, TRK_UDP_REPLIED);
		ck_assert_uint_eq(ev->timeout, S(300));
		ck_assert_ptr_nonnull(strstr(fmt_ev(ev),
		    " state=UDP_REPLIED old_state=UDP_UNREPLIED timer=udp timeout=300 "));
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(302.5) - 1, 1000), 0);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(302.5) + REAP, 1000), 1);
		ev = find_ev(&t, EV_EXPIRE);
		ck_assert_uint_eq(ev->reason, R_EXPIRED_UDP);
		ck_assert_uint_eq(ev->ts, t0 + S(302.5));
		ev = find_ev(&t, EV_END);
		ck_assert_uint_eq(ev->reason, R_EXPIRED_UDP);
		ck_assert_str_eq(ev->conn_state, "SF");
		ck_assert_str_eq(ev->history, "Dd");
		ck_assert_str_eq(reason_name(R_EXPIRED_UDP), "expired:udp");
		tb_done(&t);
	}
}
END_TEST

/* refresh.udp = orig: the responder alone does not keep the flow;
 * refresh.udp = reply: the mirror. */
START_TEST(test_udp_refresh_direction)
{
	for (int keeper_client = 1; keeper_client >= 0; keeper_client--) {
		const bool other = !keeper_client;
		struct tb t;
		const struct flow *f;
		const struct event *ev;
		uint64_t t0, last;

		tb_init(&t);
		set(&t.pol, keeper_client ? "refresh.udp=orig" : "refresh.udp=reply");
		t.pol.timeout[TRK_UDP_UNREPLIED] = S(20);
		t.pol.timeout[TRK_UDP_REPLIED] = S(60);
		t.pol.after_expiry = LATE_DROP;
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
		f = vflow(&t);
		ck_assert_uint_eq(f->deadline, t0 + S(20));
		/* the first reply refreshes the unreplied timer only if
		 * replies may */
		t.now = t0 + S(1);
		ck_assert_int_eq(tx_udp(&t, false), V_ACCEPT);
		ck_assert_uint_eq(f->deadline, keeper_client ? t0 + S(20) : t0 + S(21));
		/* entering the stream state starts its timer, whoever sends */
		t.now = t0 + S(3);
		ck_assert_int_eq(tx_udp(&t, other), V_ACCEPT);
		ck_assert_uint_eq(f->trk.state, TRK_UDP_REPLIED);
		ck_assert_uint_eq(f->deadline, t0 + S(63));
		/* the other side alone: accepted, the timer untouched */
		for (int i = 1; i <= 6; i++) {
			t.now = t0 + S(3) + S(10) * (uint64_t)i - S(1);
			ck_assert_int_eq(tx_udp(&t, other), V_ACCEPT);
			ck_assert_uint_eq(f->deadline, t0 + S(63));
			ck_assert_uint_eq(f->last_seen, t.now);
		}
		t.now = t0 + S(63);
		if (other) {
			/* the originator's next datagram makes the mapping
			 * again: a new flow */
			ck_assert_int_eq(tx_udp(&t, other), V_ACCEPT);
			ck_assert_ptr_nonnull(find_ev(&t, EV_NEW));
		} else {
			/* the responder's finds none */
			ck_assert_int_eq(tx_udp(&t, other), V_DROP);
			ck_assert_uint_eq(t.v.reason, R_EXPIRED_UDP);
		}
		ev = find_ev(&t, EV_EXPIRE);
		ck_assert_ptr_nonnull(ev);
		ck_assert_uint_eq(ev->ts, t0 + S(63));
		tb_done(&t);

		/* the keeper's packets do keep it */
		tb_init(&t);
		set(&t.pol, keeper_client ? "refresh.udp=orig" : "refresh.udp=reply");
		t.pol.timeout[TRK_UDP_UNREPLIED] = S(20);
		t.pol.timeout[TRK_UDP_REPLIED] = S(60);
		t.pol.after_expiry = LATE_DROP;
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
		f = vflow(&t);
		t.now = t0 + S(1);
		ck_assert_int_eq(tx_udp(&t, false), V_ACCEPT);
		t.now = t0 + S(3);
		ck_assert_int_eq(tx_udp(&t, keeper_client), V_ACCEPT);
		ck_assert_uint_eq(f->trk.state, TRK_UDP_REPLIED);
		last = t.now;
		for (int i = 1; i <= 30; i++) {
			t.now = t0 + S(3) + S(50) * (uint64_t)i;
			ck_assert_int_eq(tx_udp(&t, keeper_client), V_ACCEPT);
			engine_expire(t.e, t.now, 1000);
			last = t.now;
		}
		ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_NONE), 0);
		ck_assert_uint_eq(f->trk.state, TRK_UDP_REPLIED);
		ck_assert_uint_eq(f->deadline, last + S(60));
		ck_assert_uint_eq(engine_expire(t.e, last + S(60) + REAP, 1000), 1);
		ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_EXPIRED_UDP), 1);
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_icmp_echo_session)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		const struct event *ev;
		const struct flow *f;
		uint64_t t0;
		uint32_t idx;

		tb_init(&t);
		t.v6 = v6;
		set(&t.pol, "timeout.icmp=10s");
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_echo(&t, true, false, 0x77), V_ACCEPT);
		idx = t.v.flow;
		f = vflow(&t);
		ck_assert_uint_eq(flow_kind(f), NBK_ICMP);
		ck_assert_uint_eq(f->trk.state, TRK_ICMP);
		ck_assert_uint_eq(f->sport, 0x77);
		ck_assert_uint_eq(f->dport, 0x77);
		ck_assert_uint_eq(f->deadline, t0 + S(10));
		ev = find_ev(&t, EV_NEW);
		ck_assert_uint_eq(ev->proto, v6 ? 58 : 1);
		ck_assert_uint_eq(ev->state, TRK_ICMP);
		ck_assert_uint_eq(ev->timeout, S(10));
		ck_assert_ptr_nonnull(strstr(fmt_ev(ev), v6 ? " proto=icmpv6 state=ICMP timer=icmp " :
		    " proto=icmp state=ICMP timer=icmp "));
		/* the reply belongs to it */
		t.now = t0 + S(2);
		ck_assert_int_eq(tx_echo(&t, false, true, 0x77), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_uint_eq(f->trk.state, TRK_ICMP);
		ck_assert_uint_eq(f->deadline, t0 + S(12));
		/* another identifier is another session */
		ck_assert_int_eq(tx_echo(&t, true, false, 0x78), V_ACCEPT);
		ck_assert_uint_ne(t.v.flow, idx);
		ck_assert_uint_eq(engine_flow_count(t.e), 2);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(12) - 1, 1000), 0);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(12) + REAP, 1000), 2);
		ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_EXPIRED_ICMP), 2);
		ev = find_ev(&t, EV_END);
		ck_assert_uint_eq(ev->reason, R_EXPIRED_ICMP);
		ck_assert_str_eq(ev->conn_state, "OTH");
		ck_assert_str_eq(ev->history, "");
		ck_assert_str_eq(reason_name(R_EXPIRED_ICMP), "expired:icmp");
		tb_done(&t);
	}
}
END_TEST

/*
 * The kernel's ICMP tuple is identifier, type and code
 * (icmp_pkt_to_tuple(), icmpv6_pkt_to_tuple()); the reply tuple has the
 * request's reply type (icmp_invert_tuple(): invmap[]). A reply of
 * another type, one in its request's direction, or of another code is
 * another tuple, which no reply may start (icmp_new(): valid_new[]):
 * INVALID, the flow untouched. A request of another type with the same
 * identifier, or the request's type coming back, starts its own flow.
 */
START_TEST(test_icmp_key_type_code)
{
	for (int v6 = 0; v6 < 2; v6++) {
		/* echo, its reply; another request and its reply */
		const uint8_t req = v6 ? 128 : 8, rep = v6 ? 129 : 0;
		const uint8_t req2 = v6 ? 139 : 13, rep2 = v6 ? 140 : 14;
		struct tb t;
		uint32_t idx;
		uint64_t dl;

		tb_init(&t);
		t.v6 = v6;
		set(&t.pol, "timeout.icmp=10s");
		tb_start(&t);
		ck_assert_int_eq(tx_icmpq(&t, true, req, 0, 0x77), V_ACCEPT);
		idx = t.v.flow;
		ck_assert_uint_eq(vflow(&t)->trk.dg.icmp_type, req);
		dl = vflow(&t)->deadline;
		t.now += S(1);
		/* the other request's reply, the reply the wrong way, a reply
		 * of another code: INVALID, no flow, nothing refreshed */
		ck_assert_int_eq(tx_icmpq(&t, false, rep2, 0, 0x77), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, FLOW_NIL);
		ck_assert_int_eq(tx_icmpq(&t, true, rep, 0, 0x77), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, FLOW_NIL);
		ck_assert_int_eq(tx_icmpq(&t, false, rep, 1, 0x77), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, FLOW_NIL);
		ck_assert_uint_eq(count_ev(&t, EV_INVALID, R_INVALID_STATE), 3);
		ck_assert_uint_eq(engine_flow_at(t.e, idx)->deadline, dl);
		ck_assert_uint_eq(engine_flow_at(t.e, idx)->trk.flags, 0);
		/* its own reply matches, in the reply direction */
		ck_assert_int_eq(tx_icmpq(&t, false, rep, 0, 0x77), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		/* another request type, same identifier: a flow of its own,
		 * and its reply is its own */
		ck_assert_int_eq(tx_icmpq(&t, true, req2, 0, 0x77), V_ACCEPT);
		ck_assert_uint_ne(t.v.flow, idx);
		ck_assert_uint_eq(engine_flow_count(t.e), 2);
		ck_assert_int_eq(tx_icmpq(&t, false, rep2, 0, 0x77), V_ACCEPT);
		ck_assert_uint_ne(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		/* the echo request from the server: yet another flow */
		ck_assert_int_eq(tx_icmpq(&t, false, req, 0, 0x77), V_ACCEPT);
		ck_assert_uint_ne(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_ORIG);
		ck_assert_uint_eq(engine_flow_count(t.e), 3);
		ck_assert_uint_eq(count_ev(&t, EV_NEW, R_NONE), 3);
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_other_protocol_flow)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		const struct event *ev;
		const struct flow *f;
		uint64_t t0;
		uint32_t idx;

		tb_init(&t);
		t.v6 = v6;
		set(&t.pol, "timeout.other=45s");
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_proto(&t, true, P_ESP), V_ACCEPT);
		idx = t.v.flow;
		f = vflow(&t);
		ck_assert_uint_eq(flow_kind(f), NBK_OTHER);
		ck_assert_uint_eq(f->trk.state, TRK_OTHER);
		ck_assert_uint_eq(f->sport, 50);
		ck_assert_uint_eq(f->dport, 50);
		ck_assert_uint_eq(f->deadline, t0 + S(45));
		ev = find_ev(&t, EV_NEW);
		ck_assert_uint_eq(ev->proto, 50);
		ck_assert_ptr_nonnull(strstr(fmt_ev(ev), " proto=50 state=OTHER timer=other timeout=45 "));
		t.now = t0 + S(30);
		ck_assert_int_eq(tx_proto(&t, false, P_ESP), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_uint_eq(f->trk.state, TRK_OTHER);
		ck_assert_uint_eq(f->deadline, t0 + S(75));
		/* another protocol between the same hosts is another flow */
		ck_assert_int_eq(tx_proto(&t, true, 143), V_ACCEPT);
		ck_assert_uint_ne(t.v.flow, idx);
		ck_assert_uint_eq(vflow(&t)->sport, 143);
		ck_assert_uint_eq(engine_flow_count(t.e), 2);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(75) - 1, 1000), 0);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(75) + REAP, 1000), 2);
		ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_EXPIRED_OTHER), 2);
		ev = find_ev(&t, EV_END);
		ck_assert_str_eq(ev->conn_state, "OTH");
		ck_assert_uint_eq(ev->proto, 50);
		ck_assert_str_eq(reason_name(R_EXPIRED_OTHER), "expired:other");
		tb_done(&t);
	}
}
END_TEST

/*
 * GRE (nf_conntrack_proto_gre.c, both families): gre_timeout until a
 * reply was seen, the first reply included (IPS_SEEN_REPLY is set after
 * nf_conntrack_gre_packet() ran); from the next packet either way on,
 * gre_timeout_stream and ASSURED. Keyed like other protocols, on the
 * address pair (version 0: no key in the tuple).
 */
START_TEST(test_gre_flow)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		const struct event *ev;
		const struct flow *f;
		uint64_t t0;
		uint32_t idx;

		tb_init(&t);
		t.v6 = v6;
		ck_assert_uint_eq(t.pol.timeout[TRK_GRE_UNREPLIED], S(30));
		ck_assert_uint_eq(t.pol.timeout[TRK_GRE_REPLIED], S(180));
		set(&t.pol, "timeout.gre_unreplied=3s");
		set(&t.pol, "timeout.gre=7s");
		set(&t.pol, "timeout.other=5s");
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_proto(&t, true, P_GRE), V_ACCEPT);
		idx = t.v.flow;
		f = vflow(&t);
		ck_assert_uint_eq(flow_kind(f), NBK_OTHER);
		ck_assert_uint_eq(f->trk.state, TRK_GRE_UNREPLIED);
		ck_assert_uint_eq(f->deadline, t0 + S(3));
		ev = find_ev(&t, EV_NEW);
		ck_assert_ptr_nonnull(strstr(fmt_ev(ev),
		    " proto=47 state=GRE_UNREPLIED timer=gre_unreplied timeout=3 "));
		/* the first reply: still unreplied */
		t.now = t0 + S(1);
		ck_assert_int_eq(tx_proto(&t, false, P_GRE), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_uint_eq(f->trk.state, TRK_GRE_UNREPLIED);
		ck_assert_uint_eq(f->deadline, t0 + S(4));
		ck_assert_uint_eq(count_ev(&t, EV_UPDATE, R_NONE), 0);
		/* the next, either way: the stream timer, ASSURED */
		t.now = t0 + S(1.5);
		ck_assert_int_eq(tx_proto(&t, true, P_GRE), V_ACCEPT);
		ck_assert_uint_eq(f->trk.state, TRK_GRE_REPLIED);
		ck_assert_uint_eq(f->trk.flags, TTF_SEEN_REPLY | TTF_ASSURED);
		ck_assert_uint_eq(f->deadline, t0 + S(8.5));
		ev = find_ev(&t, EV_UPDATE);
		ck_assert_ptr_nonnull(ev);
		ck_assert_uint_eq(ev->old_state, TRK_GRE_UNREPLIED);
		ck_assert_uint_eq(ev->state, TRK_GRE_REPLIED);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(8.5) - 1, 1000), 0);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(8.5) + REAP, 1000), 1);
		ev = find_ev(&t, EV_END);
		ck_assert_uint_eq(ev->reason, R_EXPIRED_GRE);
		ck_assert_str_eq(reason_name(R_EXPIRED_GRE), "expired:gre");
		/* one way only: expired:gre_unreplied */
		t.now = t0 + S(20);
		ck_assert_int_eq(tx_proto(&t, true, P_GRE), V_ACCEPT);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(23) + REAP, 1000), 1);
		ck_assert_uint_eq(count_ev(&t, EV_END, R_EXPIRED_GRE_UNREPLIED), 1);
		ck_assert_str_eq(reason_name(R_EXPIRED_GRE_UNREPLIED), "expired:gre_unreplied");
		tb_done(&t);
	}
}
END_TEST

/* An ICMP error about a live flow shares its verdict and changes
 * nothing of it: no refresh, no state, no reply seen. */
START_TEST(test_icmp_error_live_flow)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		struct tpkt q;
		const struct flow *f;
		uint64_t t0;
		uint32_t idx;
		unsigned nev;

		tb_init(&t);
		t.v6 = v6;
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_udp_port(&t, true, SRV_PORT, &q), V_ACCEPT);
		idx = t.v.flow;
		f = vflow(&t);
		ck_assert_uint_eq(f->deadline, t0 + S(30));
		nev = t.nev;
		for (int i = 1; i <= 2; i++) {
			t.now = t0 + S(10) * (uint64_t)i;
			ck_assert_int_eq(tx_unreach(&t, &q), V_ACCEPT);
			ck_assert_uint_eq(t.v.flow, idx);
			ck_assert_uint_eq(t.v.dir, DIR_REPLY);
			ck_assert_uint_eq(t.v.reason, R_NONE);
			ck_assert_uint_eq(engine_stats(t.e)->icmp_errors, (unsigned)i);
			ck_assert_uint_eq(f->deadline, t0 + S(30));
			ck_assert_uint_eq(f->last_seen, t0);
			ck_assert_uint_eq(f->trk.state, TRK_UDP_UNREPLIED);
			ck_assert_uint_eq(f->trk.flags, 0);
			ck_assert_uint_eq(engine_flow_count(t.e), 1);
			ck_assert_uint_eq(t.nev, nev);
		}
		{
			struct event ev;

			engine_flow_event(t.e, f, EV_FLOW, t.now, &ev);
			ck_assert_str_eq(ev.history, "D");
			ck_assert_str_eq(ev.conn_state, "S0");
		}
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(30) - 1, 1000), 0);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(30) + REAP, 1000), 1);
		ck_assert_uint_eq(find_ev(&t, EV_EXPIRE)->ts, t0 + S(30));
		ck_assert_uint_eq(find_ev(&t, EV_EXPIRE)->reason, R_EXPIRED_UDP_UNREPLIED);
		tb_done(&t);
	}
}
END_TEST

/* Errors about an echo session and about a GRE flow find them too. */
START_TEST(test_icmp_error_query_other_flow)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		struct tpkt q;
		uint32_t fe, fg;
		uint64_t dle, dlg;

		tb_init(&t);
		t.v6 = v6;
		tb_start(&t);
		tb_ip(&q, &t, true, v6 ? P_ICMP6 : P_ICMP);
		icmp(&q, v6 ? 128 : 8, 0, 0x321, 1, 8);
		done(&q);
		ck_assert_int_eq(tx_pkt(&t, &q), V_ACCEPT);
		fe = t.v.flow;
		dle = vflow(&t)->deadline;
		t.now += S(1);
		ck_assert_int_eq(tx_unreach(&t, &q), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, fe);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_uint_eq(vflow(&t)->deadline, dle);
		ck_assert_uint_eq(vflow(&t)->trk.flags, 0);

		tb_ip(&q, &t, true, P_GRE);
		grow(&q, 8);
		done(&q);
		ck_assert_int_eq(tx_pkt(&t, &q), V_ACCEPT);
		fg = t.v.flow;
		dlg = vflow(&t)->deadline;
		t.now += S(1);
		ck_assert_int_eq(tx_unreach(&t, &q), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, fg);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_uint_eq(vflow(&t)->deadline, dlg);
		ck_assert_uint_eq(engine_stats(t.e)->icmp_errors, 2);
		ck_assert_uint_eq(engine_flow_count(t.e), 2);
		tb_done(&t);
	}
}
END_TEST

/* An error about a TCP flow: the tracker never sees it (a quoted SYN is
 * no SYN), the timer does not move. */
START_TEST(test_icmp_error_tcp_flow)
{
	struct tb t;
	struct tpkt q;
	const struct flow *f;
	uint64_t t0;
	uint32_t idx;

	tb_init(&t);
	tb_start(&t);
	t0 = t.now;
	memset(&q, 0, sizeof(q));
	q.family = 4;
	q.len = build(q.b, false, true, t.cport, TH_SYN, 5000, 0, 0);
	ck_assert_int_eq(tx_pkt(&t, &q), V_ACCEPT);
	idx = t.v.flow;
	f = vflow(&t);
	ck_assert_uint_eq(f->trk.state, TCP_SYN_SENT);
	t.now = t0 + S(3);
	ck_assert_int_eq(tx_unreach(&t, &q), V_ACCEPT);
	ck_assert_uint_eq(t.v.flow, idx);
	ck_assert_uint_eq(t.v.dir, DIR_REPLY);
	ck_assert_uint_eq(f->trk.state, TCP_SYN_SENT);
	ck_assert_uint_eq(f->trk.flags, 0);
	ck_assert_uint_eq(f->deadline, t0 + S(120));
	ck_assert_uint_eq(f->last_seen, t0);
	ck_assert_uint_eq(engine_stats(t.e)->icmp_errors, 1);
	ck_assert_uint_eq(count_ev(&t, EV_UPDATE, R_NONE), 0);
	tb_done(&t);
}
END_TEST

Suite *
suite_track_engine(void)
{
	Suite *st = suite_create("track_engine");
	TCase *tc;

	tc = tcase_create("engine");
	tcase_add_test(tc, test_udp_unreplied_expires);
	tcase_add_test(tc, test_udp_replied_timeout);
	tcase_add_test(tc, test_udp_refresh_direction);
	tcase_add_test(tc, test_icmp_echo_session);
	tcase_add_test(tc, test_icmp_key_type_code);
	tcase_add_test(tc, test_other_protocol_flow);
	tcase_add_test(tc, test_gre_flow);
	tcase_add_test(tc, test_icmp_error_live_flow);
	tcase_add_test(tc, test_icmp_error_query_other_flow);
	tcase_add_test(tc, test_icmp_error_tcp_flow);
	suite_add_tcase(st, tc);
	return st;
}
