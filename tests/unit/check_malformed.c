/* check_malformed.c -- transport headers the kernel's conntrack calls
 * INVALID (cut or inconsistent): decoded as far as the tuple, reported as
 * [INVALID] events with the decode error as their reason, no flow touched;
 * malformed.action = drop still drops them. Each case cites the kernel
 * rule (net/netfilter/nf_conntrack_proto_tcp.c tcp_error(),
 * nf_conntrack_proto_udp.c udp_error(), nf_conntrack_proto_icmp.c
 * nf_conntrack_icmpv4_error(), nf_conntrack_core.c nf_ct_get_tuple()). */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "engine_tb.h"
#include "suites.h"

/* tcp_error(): "truncated packet" when doff * 4 is below the header or
 * past the segment (skb->len - dataoff, the IP length at PREROUTING). */
START_TEST(test_tcp_doff)
{
	uint8_t b[80];
	struct nb_packet p;
	size_t n;

	for (int v6 = 0; v6 < 2; v6++) {
		size_t iph = v6 ? 40 : 20;

		n = build(b, v6, true, 40000, TH_ACK, 1, 1, 0);
		b[iph + 12] = 4 << 4;
		ck_assert_int_eq(decode_packet(b, n, &p), DEC_BAD_DOFF);
		ck_assert_uint_eq(p.family, v6 ? 6 : 4);
		ck_assert_uint_eq(p.kind, NBK_TCP);
		ck_assert_uint_eq(p.sport, 40000);
		ck_assert_uint_eq(p.dport, 80);
		b[iph + 12] = 6 << 4;	/* 24 bytes of header in a 20-byte segment */
		ck_assert_int_eq(decode_packet(b, n, &p), DEC_BAD_DOFF);
		ck_assert(decode_err_invalid(DEC_BAD_DOFF));
	}
	/* a first fragment (MF): the header goes on in the next fragment,
	 * the kernel judges the reassembled segment */
	n = build(b, false, true, 40000, TH_ACK, 1, 1, 0);
	b[32] = 6 << 4;
	b[6] = 0x20;
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_FRAGMENT);
	b[32] = 4 << 4;		/* below the header in any fragment */
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_BAD_DOFF);
}
END_TEST

/* nf_conntrack_tcp_packet(): no whole header (skb_header_pointer()
 * fails), and udp_error()'s and icmp_error()'s "short packet". */
START_TEST(test_short_l4)
{
	uint8_t b[80];
	struct nb_packet p;
	size_t n;

	n = build(b, false, true, 40000, TH_ACK, 1, 1, 0);
	put16(b + 2, 20 + 12);
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_SHORT_L4);
	ck_assert_uint_eq(p.sport, 40000);
	ck_assert_uint_eq(p.dport, 80);
	put16(b + 2, 20 + 3);	/* not even the ports */
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_SHORT_L4);
	ck_assert_uint_eq(p.sport, 0);
	b[6] = 0x20;		/* a first fragment: the rest follows */
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_FRAGMENT);

	n = build_dgram(b, 17, true, 5000, 0);
	put16(b + 2, 20 + 6);
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_SHORT_L4);
	ck_assert_uint_eq(p.kind, NBK_UDP);
	ck_assert_uint_eq(p.sport, 5000);
	n = build_dgram(b, 1, true, 7, 0);
	put16(b + 2, 20 + 7);
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_SHORT_L4);
	ck_assert_uint_eq(p.kind, NBK_ICMP);
	ck_assert(decode_err_invalid(DEC_SHORT_L4));
	/* the IP layer's own length errors never reach conntrack
	 * (ip_rcv_core() drops them): not INVALID, only malformed */
	ck_assert(!decode_err_invalid(DEC_BAD_LENGTH));
	ck_assert(!decode_err_invalid(DEC_TRUNCATED));
}
END_TEST

/* udp_error(): "truncated/malformed packet", a length field past the
 * packet or below the header; a first fragment's datagram is longer
 * than the fragment, as it should be. */
START_TEST(test_udp_length)
{
	uint8_t b[80];
	struct nb_packet p;
	size_t n;

	n = build_dgram(b, 17, true, 5000, 16);
	put16(b + 24, 8 + 17);
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_BAD_UDP_LENGTH);
	ck_assert_uint_eq(p.sport, 5000);
	ck_assert_uint_eq(p.dport, 53);
	put16(b + 24, 4);
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_BAD_UDP_LENGTH);
	ck_assert(decode_err_invalid(DEC_BAD_UDP_LENGTH));
	b[6] = 0x20;
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_BAD_UDP_LENGTH);
	put16(b + 24, 8 + 1400);
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 16);	/* what the fragment holds */
	b[6] = 0;
	ck_assert_int_eq(decode_packet(b, n, &p), DEC_BAD_UDP_LENGTH);
}
END_TEST

/* nf_conntrack_in(): a negative verdict from the protocol's packet
 * function puts the conntrack back (an unconfirmed one is never
 * inserted: no NEW) and counts the packet invalid; the flow it matched
 * is not refreshed nor moved. */
START_TEST(test_engine_reports_invalid)
{
	struct tb t;
	uint8_t b[80];
	size_t n;
	const struct event *ev;

	tb_init(&t);
	tb_start(&t);
	handshake(&t);
	unsigned before = t.nev;

	n = build(b, false, true, t.cport, TH_FIN | TH_ACK, t.cseq, t.sseq, 0);
	b[32] = 4 << 4;
	ck_assert_int_eq(engine_process(t.e, b, n, t.now, &t.v), V_ACCEPT);
	ck_assert_uint_eq(t.nev, before + 1);
	ev = &t.ev[before];
	ck_assert_uint_eq(ev->type, EV_INVALID);
	ck_assert_uint_eq(ev->reason, R_DECODE + DEC_BAD_DOFF);
	ck_assert_str_eq(reason_name(ev->reason), "decode:bad_doff");
	ck_assert_uint_eq(ev->sport, t.cport);
	ck_assert_uint_eq(ev->dport, 80);
	ck_assert_uint_eq(engine_stats(t.e)->events[EV_INVALID], 1);
	ck_assert_uint_eq(engine_stats(t.e)->decode[DEC_BAD_DOFF], 1);
	ck_assert_uint_eq(engine_stats(t.e)->reason[R_DECODE + DEC_BAD_DOFF], 0);
	/* the FIN it carried closed nothing: the next FIN is the first */
	ck_assert_int_eq(tx(&t, true, TH_FIN | TH_ACK, 0), V_ACCEPT);
	ck_assert_uint_eq(t.ev[t.nev - 1].type, EV_UPDATE);
	ck_assert_uint_eq(t.ev[t.nev - 1].state, TCP_FIN_WAIT);

	/* a datagram of no flow starts none */
	n = build_dgram(b, 17, true, 5000, 16);
	put16(b + 24, 3);
	before = t.nev;
	ck_assert_int_eq(engine_process(t.e, b, n, t.now, &t.v), V_ACCEPT);
	ck_assert_uint_eq(engine_flow_count(t.e), 1);
	ck_assert_uint_eq(t.nev, before + 1);
	ck_assert_str_eq(reason_name(t.ev[before].reason), "decode:bad_udp_length");
	ck_assert_uint_eq(engine_stats(t.e)->events[EV_INVALID], 2);

	/* the same through a burst */
	struct engine_pkt pk[2] = { { b, n }, { b, n } };
	struct verdict v[2];

	engine_process_burst(t.e, pk, 2, t.now, v);
	ck_assert_int_eq(v[0].action, V_ACCEPT);
	ck_assert_uint_eq(engine_stats(t.e)->events[EV_INVALID], 4);
	ck_assert_uint_eq(engine_flow_count(t.e), 1);
	tb_done(&t);
}
END_TEST

Suite *
suite_malformed(void)
{
	Suite *s = suite_create("malformed");
	TCase *tc = tcase_create("kernel_invalid");

	tcase_add_test(tc, test_tcp_doff);
	tcase_add_test(tc, test_short_l4);
	tcase_add_test(tc, test_udp_length);
	tcase_add_test(tc, test_engine_reports_invalid);
	suite_add_tcase(s, tc);
	return s;
}
