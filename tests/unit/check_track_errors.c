/* check_track_errors.c -- the engine on ICMP errors of no flow or a dead one, unanswered echo replies, ICMP types of no flow, reset-sender, TCP and UDP on one tuple, shadows and retiming of datagram flows (dgram_tb.h: the bench). */
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

START_TEST(test_icmp_errors_drop)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		struct tpkt q;
		const struct flow *f;
		const struct event *ev;
		uint64_t t0;
		uint32_t idx;

		tb_init(&t);
		t.v6 = v6;
		set(&t.pol, "icmp.errors=drop");
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_udp_port(&t, true, SRV_PORT, &q), V_ACCEPT);
		idx = t.v.flow;
		f = vflow(&t);
		t.now = t0 + S(5);
		ck_assert_int_eq(tx_unreach(&t, &q), V_DROP);
		ck_assert_uint_eq(t.v.reason, R_ICMP_ERROR);
		ck_assert_uint_eq(t.v.nrst, 0);
		ck_assert_uint_eq(t.v.flow, idx);
		ck_assert_uint_eq(engine_stats(t.e)->icmp_errors, 1);
		ck_assert_uint_eq(engine_stats(t.e)->reason[R_ICMP_ERROR], 1);
		ck_assert_uint_eq(engine_stats(t.e)->dropped, 1);
		ev = last_ev(&t, EV_DROP);
		ck_assert_ptr_nonnull(ev);
		ck_assert_uint_eq(ev->reason, R_ICMP_ERROR);
		ck_assert_uint_eq(ev->dir, DIR_REPLY);
		ck_assert_uint_eq(ev->proto, 17);
		ck_assert_uint_eq(ev->flow, idx);
		ck_assert_ptr_nonnull(strstr(fmt_ev(ev), " reason=icmp_error dir=reply"));
		ck_assert_uint_eq(f->deadline, t0 + S(30));
		ck_assert_uint_eq(f->last_seen, t0);
		ck_assert_uint_eq(f->trk.state, TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(f->trk.flags, 0);
		/* the flow's own packets still pass */
		ck_assert_int_eq(tx_udp(&t, false), V_ACCEPT);
		ck_assert_str_eq(reason_name(R_ICMP_ERROR), "icmp_error");
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_icmp_error_no_flow)
{
	struct tb t;
	struct tpkt q, syn;
	const struct event *ev;

	/* a quoted datagram natbox never saw */
	tb_init(&t);
	tb_start(&t);
	tb_ip(&q, &t, true, P_UDP);
	udp(&q, t.cport, SRV_PORT, 20);
	done(&q);
	memset(&syn, 0, sizeof(syn));
	syn.family = 4;
	syn.len = build(syn.b, false, true, t.cport, TH_SYN, 1, 0, 0);

	/* unknown.action = pickup: accepted, no flow, and [INVALID] as the
	 * kernel's --ctstate INVALID (no conntrack matches the quote; found
	 * by s20_kernel_dgram.sh) */
	ck_assert_int_eq(tx_unreach(&t, &q), V_ACCEPT);
	ck_assert_uint_eq(t.v.flow, FLOW_NIL);
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
	ck_assert_uint_eq(engine_stats(t.e)->icmp_errors, 0);
	ck_assert_uint_eq(t.nev, 1);
	ev = last_ev(&t, EV_INVALID);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->reason, R_INVALID_STATE);
	ck_assert_uint_eq(ev->proto, 17);
	ck_assert_int_eq(tx_unreach(&t, &syn), V_ACCEPT);
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
	ck_assert_uint_eq(count_ev(&t, EV_INVALID, R_INVALID_STATE), 2);
	tb_done(&t);

	/* pickup, but invalid packets dropped: what the kernel leaves
	 * untracked (no related conntrack) is invalid */
	tb_init(&t);
	t.pol.invalid = BAD_DROP;
	tb_start(&t);
	ck_assert_int_eq(tx_unreach(&t, &q), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_INVALID_STATE);
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
	tb_done(&t);

	/* unknown.action = drop */
	tb_init(&t);
	set(&t.pol, "unknown.action=drop");
	tb_start(&t);
	ck_assert_int_eq(tx_unreach(&t, &q), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NO_FLOW);
	ck_assert_uint_eq(t.v.flow, FLOW_NIL);
	ck_assert_uint_eq(engine_stats(t.e)->reason[R_NO_FLOW], 1);
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
	ev = last_ev(&t, EV_DROP);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->reason, R_NO_FLOW);
	ck_assert_uint_eq(ev->proto, 17);
	/* the event names the flow the error is about, as it travels */
	ck_assert_uint_eq(ev->sport, SRV_PORT);
	ck_assert_uint_eq(ev->dport, t.cport);
	assert_addr(&ev->src, tb_s4, 4);
	assert_addr(&ev->dst, tb_c4, 4);
	tb_done(&t);

	/* unknown.action = reset-sender: an error quoting a SYN is dropped,
	 * never answered with a RST */
	tb_init(&t);
	set(&t.pol, "unknown.action=reset-sender");
	tb_start(&t);
	ck_assert_int_eq(tx_unreach(&t, &syn), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NO_FLOW);
	ck_assert_uint_eq(t.v.nrst, 0);
	ck_assert_uint_eq(engine_stats(t.e)->resets_sent, 0);
	ck_assert_uint_eq(count_ev(&t, EV_RESET, R_NONE), 0);
	ck_assert_int_eq(tx_unreach(&t, &q), V_DROP);
	ck_assert_uint_eq(t.v.nrst, 0);
	/* while a TCP ACK of no flow is reset (the rule is live) */
	ck_assert_int_eq(tx(&t, true, TH_ACK, 0), V_RESET);
	ck_assert_uint_eq(t.v.nrst, 1);
	tb_done(&t);

	/* expire.later = reset-sender: an error about a dead TCP flow is
	 * dropped for the flow's reason, never reset */
	tb_init(&t);
	set(&t.pol, "expire.later=reset-sender");
	set(&t.pol, "timeout.syn_sent=10s");
	tb_start(&t);
	ck_assert_int_eq(tx_pkt(&t, &syn), V_ACCEPT);
	ck_assert_uint_eq(engine_expire(t.e, t.now + S(10) + REAP, 1000), 1);
	t.now += S(11);
	ck_assert_int_eq(tx_unreach(&t, &syn), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_EXPIRED_OPENING);
	ck_assert_uint_eq(t.v.nrst, 0);
	ck_assert_uint_eq(engine_stats(t.e)->resets_sent, 0);
	ck_assert_uint_eq(count_ev(&t, EV_RESET, R_NONE), 0);
	tb_done(&t);
}
END_TEST

/* An error about a flow that expired: expire.later's verdict, with
 * the dead flow's reason; never counted as an error about a live flow. */
START_TEST(test_icmp_error_dead_flow)
{
	for (int reaped = 0; reaped < 2; reaped++) {
		struct tb t;
		struct tpkt q;
		uint64_t t0;
		uint32_t idx;

		tb_init(&t);
		set(&t.pol, "expire.later=drop");
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_udp_port(&t, true, SRV_PORT, &q), V_ACCEPT);
		idx = t.v.flow;
		if (reaped)
			ck_assert_uint_eq(engine_expire(t.e, t0 + S(30) + REAP, 1000), 1);
		/* else it dies on this packet's lookup */
		t.now = t0 + S(31);
		ck_assert_int_eq(tx_unreach(&t, &q), V_DROP);
		ck_assert_uint_eq(t.v.reason, R_EXPIRED_UDP_UNREPLIED);
		ck_assert_uint_eq(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_uint_eq(engine_stats(t.e)->icmp_errors, 0);
		ck_assert_uint_eq(engine_stats(t.e)->reason[R_EXPIRED_UDP_UNREPLIED], 1);
		ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_EXPIRED_UDP_UNREPLIED), 1);
		ck_assert_uint_eq(find_ev(&t, EV_EXPIRE)->ts, t0 + S(30));
		ck_assert_uint_eq(count_ev(&t, EV_NEW, R_NONE), 1);
		tb_done(&t);
	}
	/* expire.later = pickup: the dead flow is forgotten; the error is
	 * accepted and starts nothing */
	{
		struct tb t;
		struct tpkt q;

		tb_init(&t);
		tb_start(&t);
		ck_assert_int_eq(tx_udp_port(&t, true, SRV_PORT, &q), V_ACCEPT);
		t.now += S(31);
		ck_assert_int_eq(tx_unreach(&t, &q), V_ACCEPT);
		ck_assert_uint_eq(engine_flow_count(t.e), 0);
		ck_assert_uint_eq(count_ev(&t, EV_NEW, R_NONE), 1);
		ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_NONE), 1);
		tb_done(&t);
	}
}
END_TEST

/* An ICMP type neither query, reply nor error (v4 router discovery,
 * unassigned numbers; ICMPv6 above 127 but MLD and neighbour discovery):
 * the kernel's tuple holds the type, so no conntrack starts with it or
 * matches it: [INVALID], even with an echo flow of its identifier live,
 * whose timer does not move (found by s20_kernel_dgram.sh). */
START_TEST(test_icmp_unknown_type)
{
	static const uint8_t odd4[] = { 42, 9, 10, 30 }, odd6[] = { 200, 150, 137, 160 };

	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		struct tpkt k;
		uint64_t dl;
		uint32_t fe;

		tb_init(&t);
		t.v6 = v6;
		tb_start(&t);
		ck_assert_int_eq(tx_echo(&t, true, false, 9), V_ACCEPT);
		fe = t.v.flow;
		dl = vflow(&t)->deadline;
		for (unsigned i = 0; i < 4; i++) {
			t.now += S(1);
			tb_ip(&k, &t, i & 1, v6 ? P_ICMP6 : P_ICMP);
			icmp(&k, v6 ? odd6[i] : odd4[i], 0, 9, 1, 16);
			done(&k);
			ck_assert_int_eq(tx_pkt(&t, &k), V_ACCEPT);
			ck_assert_uint_eq(t.v.flow, FLOW_NIL);
		}
		ck_assert_uint_eq(count_ev(&t, EV_INVALID, R_INVALID_STATE), 4);
		ck_assert_uint_eq(engine_flow_count(t.e), 1);
		ck_assert_uint_eq(engine_flow_at(t.e, fe)->deadline, dl);
		/* neighbour discovery and MLD stay untracked, no event */
		if (v6) {
			tb_ip(&k, &t, true, P_ICMP6);
			icmp(&k, 135, 0, 9, 1, 16);
			done(&k);
			ck_assert_int_eq(tx_pkt(&t, &k), V_ACCEPT);
			ck_assert_uint_eq(count_ev(&t, EV_INVALID, R_INVALID_STATE), 4);
		}
		tb_done(&t);

		tb_init(&t);
		t.v6 = v6;
		t.pol.invalid = BAD_DROP;
		tb_start(&t);
		tb_ip(&k, &t, true, v6 ? P_ICMP6 : P_ICMP);
		icmp(&k, v6 ? odd6[0] : odd4[0], 0, 9, 1, 16);
		done(&k);
		ck_assert_int_eq(tx_pkt(&t, &k), V_DROP);
		ck_assert_uint_eq(t.v.reason, R_INVALID_STATE);
		tb_done(&t);
	}
}
END_TEST

/* An echo reply no request opened cannot start a session. */
START_TEST(test_echo_reply_no_request)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;

		tb_init(&t);
		t.v6 = v6;
		set(&t.pol, "unknown.action=drop");
		tb_start(&t);
		ck_assert_int_eq(tx_echo(&t, false, true, 9), V_DROP);
		ck_assert_uint_eq(t.v.reason, R_NO_FLOW);
		ck_assert_uint_eq(engine_flow_count(t.e), 0);
		/* a request may start one, even so; then its reply passes */
		ck_assert_int_eq(tx_echo(&t, true, false, 9), V_ACCEPT);
		ck_assert_int_eq(tx_echo(&t, false, true, 9), V_ACCEPT);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_uint_eq(engine_flow_count(t.e), 1);
		tb_done(&t);

		tb_init(&t);
		t.v6 = v6;
		tb_start(&t);	/* pickup, invalid.action = accept */
		ck_assert_int_eq(tx_echo(&t, false, true, 9), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, FLOW_NIL);
		ck_assert_uint_eq(engine_flow_count(t.e), 0);
		ck_assert_uint_eq(count_ev(&t, EV_NEW, R_NONE), 0);
		tb_done(&t);

		tb_init(&t);
		t.v6 = v6;
		t.pol.invalid = BAD_DROP;
		tb_start(&t);
		ck_assert_int_eq(tx_echo(&t, false, true, 9), V_DROP);
		ck_assert_uint_eq(t.v.reason, R_INVALID_STATE);
		ck_assert_uint_eq(engine_flow_count(t.e), 0);
		tb_done(&t);

		/* reset-sender: dropped, no RST for ICMP */
		tb_init(&t);
		t.v6 = v6;
		set(&t.pol, "unknown.action=reset-sender");
		tb_start(&t);
		ck_assert_int_eq(tx_echo(&t, false, true, 9), V_DROP);
		ck_assert_uint_eq(t.v.reason, R_NO_FLOW);
		ck_assert_uint_eq(t.v.nrst, 0);
		ck_assert_uint_eq(engine_stats(t.e)->resets_sent, 0);
		tb_done(&t);
	}
}
END_TEST

/* No RST is ever sent for a packet that is not TCP. */
START_TEST(test_reset_sender_dead_udp)
{
	struct tb t;
	uint64_t t0;

	tb_init(&t);
	set(&t.pol, "expire.later=reset-sender");
	set(&t.pol, "timeout.established=30s");
	set(&t.pol, "timeout.other=30s");
	tb_start(&t);
	t0 = t.now;
	ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
	ck_assert_int_eq(tx_echo(&t, true, false, 3), V_ACCEPT);
	ck_assert_int_eq(tx_proto(&t, true, P_ESP), V_ACCEPT);
	handshake(&t);
	ck_assert_uint_eq(engine_expire(t.e, t0 + S(30) + REAP, 1000), 4);
	t.now = t0 + S(31);
	/* the responder's packets find no mapping: dropped, never a RST */
	ck_assert_int_eq(tx_udp(&t, false), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_EXPIRED_UDP_UNREPLIED);
	ck_assert_uint_eq(t.v.nrst, 0);
	ck_assert_int_eq(tx_echo(&t, false, true, 3), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_EXPIRED_ICMP);
	ck_assert_uint_eq(t.v.nrst, 0);
	ck_assert_int_eq(tx_proto(&t, false, P_ESP), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_EXPIRED_OTHER);
	ck_assert_uint_eq(t.v.nrst, 0);
	/* the originator's make the mapping again */
	ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
	ck_assert_uint_eq(t.v.nrst, 0);
	ck_assert_uint_eq(engine_stats(t.e)->resets_sent, 0);
	ck_assert_uint_eq(count_ev(&t, EV_RESET, R_NONE), 0);
	/* the TCP flow's late packet is reset: the rule is live */
	ck_assert_int_eq(tx(&t, true, TH_ACK, 10), V_RESET);
	ck_assert_uint_eq(t.v.reason, R_EXPIRED_IDLE);
	ck_assert_uint_eq(t.v.nrst, 1);
	tb_done(&t);

	/* expire.action = reset: RSTs for the TCP flow only */
	tb_init(&t);
	set(&t.pol, "expire.action=reset");
	set(&t.pol, "timeout.established=50s");
	tb_start(&t);
	t0 = t.now;
	ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
	ck_assert_int_eq(tx_udp(&t, false), V_ACCEPT);
	ck_assert_int_eq(tx_echo(&t, true, false, 3), V_ACCEPT);
	ck_assert_uint_eq(engine_expire(t.e, t0 + S(40) + REAP, 1000), 2);
	ck_assert_uint_eq(t.nrst, 0);
	ck_assert_uint_eq(engine_stats(t.e)->resets_sent, 0);
	ck_assert_uint_eq(count_ev(&t, EV_RESET, R_NONE), 0);
	t.now = t0 + S(41);
	handshake(&t);
	ck_assert_uint_eq(engine_expire(t.e, t0 + S(100) + REAP, 1000), 1);
	ck_assert_uint_eq(t.nrst, 2);
	tb_done(&t);
}
END_TEST

/* The key includes the kind: TCP and UDP on the same addresses and ports
 * are two flows, and each packet finds its own. */
START_TEST(test_tcp_udp_same_ports)
{
	for (int v6 = 0; v6 < 2; v6++) {
		struct tb t;
		struct tpkt uq, tq;
		uint32_t ftcp, fudp;

		tb_init(&t);
		t.v6 = v6;
		tb_start(&t);
		memset(&tq, 0, sizeof(tq));
		tq.family = v6 ? 6 : 4;
		tq.len = build(tq.b, v6, true, t.cport, TH_SYN, t.cseq, 0, 0);
		t.cseq++;
		ck_assert_int_eq(tx_pkt(&t, &tq), V_ACCEPT);
		ftcp = t.v.flow;
		ck_assert_int_eq(tx_udp_port(&t, true, 80, &uq), V_ACCEPT);
		fudp = t.v.flow;
		ck_assert_uint_ne(ftcp, fudp);
		ck_assert_uint_eq(engine_flow_count(t.e), 2);
		ck_assert_uint_eq(count_ev(&t, EV_NEW, R_NONE), 2);
		ck_assert_uint_eq(t.ev[0].proto, 6);
		ck_assert_uint_eq(t.ev[1].proto, 17);
		ck_assert_uint_eq(flow_kind(engine_flow_at(t.e, ftcp)), NBK_TCP);
		ck_assert_uint_eq(flow_kind(engine_flow_at(t.e, fudp)), NBK_UDP);
		/* each reply finds its own */
		ck_assert_int_eq(tx_udp_port(&t, false, 80, NULL), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, fudp);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_int_eq(tx(&t, false, TH_SYN | TH_ACK, 0), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, ftcp);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_uint_eq(engine_flow_at(t.e, ftcp)->trk.state, TCP_SYN_RECV);
		ck_assert_uint_eq(engine_flow_at(t.e, fudp)->trk.state, TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(engine_flow_at(t.e, fudp)->trk.flags, TTF_SEEN_REPLY);
		/* and so does an error about each */
		ck_assert_int_eq(tx_unreach(&t, &uq), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, fudp);
		ck_assert_int_eq(tx_unreach(&t, &tq), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, ftcp);
		ck_assert_uint_eq(engine_stats(t.e)->icmp_errors, 2);
		/* a GRE flow between the same hosts is a third */
		ck_assert_int_eq(tx_proto(&t, true, P_GRE), V_ACCEPT);
		ck_assert_uint_ne(t.v.flow, ftcp);
		ck_assert_uint_ne(t.v.flow, fudp);
		ck_assert_uint_eq(engine_flow_count(t.e), 3);
		tb_done(&t);

		/* With room for one flow (one hash bucket), the key alone
		 * tells them apart: the SYN is a new flow the table has no
		 * room for, not a packet of the UDP flow. */
		tb_init(&t);
		t.v6 = v6;
		t.pol.max_flows = 1;
		tb_start(&t);
		ck_assert_int_eq(tx_udp_port(&t, true, 80, NULL), V_ACCEPT);
		fudp = t.v.flow;
		ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_DROP);
		ck_assert_uint_eq(t.v.reason, R_TABLE_FULL);
		ck_assert_uint_eq(engine_flow_at(t.e, fudp)->trk.flags, 0);
		tb_done(&t);
		/* an echo session with identifier 47 and GRE (47 in both
		 * ports) between the same hosts */
		tb_init(&t);
		t.v6 = v6;
		t.pol.max_flows = 1;
		tb_start(&t);
		ck_assert_int_eq(tx_echo(&t, true, false, P_GRE), V_ACCEPT);
		ck_assert_int_eq(tx_proto(&t, false, P_GRE), V_DROP);
		ck_assert_uint_eq(t.v.reason, R_TABLE_FULL);
		ck_assert_int_eq(tx_echo(&t, false, true, P_GRE), V_ACCEPT);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		tb_done(&t);
	}
}
END_TEST

/* engine_no_flow() (a shadow pass's refusal without a lookup) gives a
 * UDP, ICMP or other packet of no flow what engine_process_timed()
 * gives it, and declines what may start a flow. An ICMP error it takes
 * is never answered with a RST, even under reset-sender. */
START_TEST(test_no_flow_dgram)
{
	static const uint8_t unk[] = { LATE_DROP, LATE_RESET_SENDER, LATE_PICKUP };
	enum { K_UDP, K_ECHO, K_ECHO_REPLY, K_GRE, K_ERR_UDP, K_ERR_TCP, K_N };
	uint64_t seed[2] = { 1, 2 };
	unsigned ntook = 0;

	for (unsigned u = 0; u < sizeof(unk); u++)
		for (int v6 = 0; v6 < 2; v6++)
			for (int k = 0; k < K_N; k++) {
				struct engine_ops ops = { NULL, NULL, NULL };
				struct policy pol;
				struct engine *a, *b;
				struct engine_prep prep;
				struct engine_tpkt tp;
				struct nf_cap ca = { 0 }, cb = { 0 };
				struct tb bench;
				struct tpkt pk, q;
				bool took, may_start;

				memset(&bench, 0, sizeof(bench));
				bench.v6 = v6;
				bench.cport = 40000;
				switch (k) {
				case K_UDP:
				case K_ERR_UDP:
					tb_ip(&pk, &bench, true, P_UDP);
					udp(&pk, 40000, SRV_PORT, 20);
					done(&pk);
					break;
				case K_ECHO:
				case K_ECHO_REPLY:
					tb_ip(&pk, &bench, k == K_ECHO, v6 ? P_ICMP6 : P_ICMP);
					icmp(&pk, v6 ? (k == K_ECHO ? 128 : 129) : (k == K_ECHO ? 8 : 0),
					    0, 5, 1, 8);
					done(&pk);
					break;
				case K_GRE:
					tb_ip(&pk, &bench, true, P_GRE);
					grow(&pk, 8);
					done(&pk);
					break;
				case K_ERR_TCP:
					memset(&pk, 0, sizeof(pk));
					pk.family = v6 ? 6 : 4;
					pk.len = build(pk.b, v6, true, 40000, TH_SYN, 1, 0, 0);
					break;
				}
				if (k == K_ERR_UDP || k == K_ERR_TCP) {
					q = pk;
					if (v6)
						icmp_err(&pk, 6, 1, 4, tb_r6, q.b + 8, &q, 0);
					else
						icmp_err(&pk, 4, 3, 3, tb_r4, q.b + 12, &q, 28);
				}
				may_start = k == K_UDP || k == K_ECHO || k == K_GRE;

				policy_defaults(&pol);
				pol.max_flows = 64;
				pol.unknown_flow = unk[u];
				a = engine_new(&pol, &ops, seed, S(100));
				b = engine_new(&pol, &ops, seed, S(100));
				tp = (struct engine_tpkt){ pk.b, (uint32_t)pk.len, 7, S(101), &prep };
				engine_prepare(a, &tp, 1, &prep);
				ck_assert_uint_eq(prep.err, DEC_OK);
				engine_process_timed(a, &tp, 1, nf_keep, &ca);
				took = engine_no_flow(b, &tp, nf_keep, &cb);
				ck_assert_uint_eq(ca.n, 1);
				ck_assert_msg(took == (!may_start && unk[u] != LATE_PICKUP),
				    "kind %d under %u: took %d", k, unk[u], took);
				if (!took) {
					ck_assert_uint_eq(cb.n, 0);
					ck_assert_uint_eq(engine_stats(b)->packets, 0);
				} else {
					ntook++;
					ck_assert_uint_eq(cb.n, 1);
					ck_assert_uint_eq(ca.v.action, V_DROP);
					ck_assert_uint_eq(cb.v.action, V_DROP);
					ck_assert_uint_eq(cb.v.nrst, 0);
					ck_assert_uint_eq(ca.v.nrst, 0);
					ck_assert_uint_eq(cb.v.reason, R_NO_FLOW);
					ck_assert_uint_eq(cb.v.reason, ca.v.reason);
					ck_assert_uint_eq(cb.v.flow, FLOW_NIL);
					ck_assert_uint_eq(cb.v.ip_len, ca.v.ip_len);
					ck_assert_uint_eq(cb.v.ip_len, pk.len);
					ck_assert(memcmp(engine_stats(a), engine_stats(b),
					    sizeof(struct engine_stats)) == 0);
				}
				engine_free(a);
				engine_free(b);
			}
	/* echo reply and the two errors, under drop and reset-sender, both
	 * families */
	ck_assert_uint_eq(ntook, 12);
}
END_TEST

/* A profile swap re-times UDP, ICMP and other flows like TCP ones:
 * from the last packet, or for an absolute (`none`) timer from where
 * the old one started. */
START_TEST(test_retime_dgram)
{
	for (int absolute = 0; absolute < 2; absolute++) {
		struct tb t;
		struct policy np;
		const struct flow *fu, *fi, *fo;
		uint64_t t0;

		tb_init(&t);
		if (absolute) {
			set(&t.pol, "refresh.udp=none");
			set(&t.pol, "refresh.icmp=none");
			set(&t.pol, "refresh.other=none");
		}
		set(&t.pol, "timeout.udp_unreplied=20s");
		set(&t.pol, "timeout.icmp=20s");
		set(&t.pol, "timeout.other=20s");
		tb_start(&t);
		t0 = t.now;
		ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
		fu = vflow(&t);
		ck_assert_int_eq(tx_echo(&t, true, false, 4), V_ACCEPT);
		fi = vflow(&t);
		ck_assert_int_eq(tx_proto(&t, true, P_ESP), V_ACCEPT);
		fo = vflow(&t);
		t.now = t0 + S(5);
		ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
		ck_assert_int_eq(tx_echo(&t, true, false, 4), V_ACCEPT);
		ck_assert_int_eq(tx_proto(&t, true, P_ESP), V_ACCEPT);
		ck_assert_uint_eq(fu->deadline, absolute ? t0 + S(20) : t0 + S(25));

		np = t.pol;
		set(&np, "timeout.udp_unreplied=50s");
		set(&np, "timeout.icmp=60s");
		set(&np, "timeout.other=70s");
		ck_assert_int_eq(engine_set_policy(t.e, &np), 0);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(6), 1000), 0);
		ck_assert_uint_eq(fu->deadline, (absolute ? t0 : t0 + S(5)) + S(50));
		ck_assert_uint_eq(fi->deadline, (absolute ? t0 : t0 + S(5)) + S(60));
		ck_assert_uint_eq(fo->deadline, (absolute ? t0 : t0 + S(5)) + S(70));
		tb_done(&t);
	}
}
END_TEST

Suite *
suite_track_errors(void)
{
	Suite *st = suite_create("track_errors");
	TCase *tc;

	tc = tcase_create("errors");
	tcase_add_test(tc, test_icmp_errors_drop);
	tcase_add_test(tc, test_icmp_error_no_flow);
	tcase_add_test(tc, test_icmp_error_dead_flow);
	tcase_add_test(tc, test_echo_reply_no_request);
	tcase_add_test(tc, test_icmp_unknown_type);
	tcase_add_test(tc, test_reset_sender_dead_udp);
	tcase_add_test(tc, test_tcp_udp_same_ports);
	tcase_add_test(tc, test_no_flow_dgram);
	tcase_add_test(tc, test_retime_dgram);
	suite_add_tcase(st, tc);
	return st;
}
