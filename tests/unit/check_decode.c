/* check_decode.c -- the decoder on well-formed packets: both families, options, extension headers, fragments, other protocols, padding (decode_tb.h: the bench). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "decode_tb.h"
#include "suites.h"

START_TEST(test_err_names)
{
	static const char *const want[] = {
		"ok", "not_tcp", "fragment", "truncated", "bad_version",
		"bad_ihl", "bad_length", "bad_doff", "bad_exthdr",
		"bad_udp_length", "bad_quote", "short_l4",
	};

	ck_assert_uint_eq(sizeof(want) / sizeof(want[0]), DEC__MAX);
	for (unsigned i = 0; i < DEC__MAX; i++)
		ck_assert_str_eq(decode_err_name((enum decode_err)i), want[i]);
	ck_assert_str_eq(decode_err_name(DEC__MAX), "?");
	ck_assert_str_eq(decode_err_name((enum decode_err)1000), "?");
}
END_TEST

START_TEST(test_ip4_syn)
{
	struct tpkt t;
	struct nb_packet p;

	build_syn4(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.family, 4);
	check_addrs(&p);
	check_tcp_fields(&p, TH_SYN);
	ck_assert_uint_eq(p.ttl, 64);
	ck_assert_uint_eq(p.l4_off, 20);
	ck_assert_uint_eq(p.thlen, 40);
	ck_assert_uint_eq(p.ip_len, 60);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert_uint_eq(decode_seglen(&p), 1);
	check_syn_opts(&p.opt);
}
END_TEST

START_TEST(test_ip4_options)
{
	static const unsigned ihls[] = { 6, 8, 15 };
	struct tpkt t;
	struct nb_packet p;

	for (size_t i = 0; i < sizeof(ihls) / sizeof(ihls[0]); i++) {
		tp_ip4(&t, ihls[i], P_TCP, 0);
		tp_tcp(&t, TH_SYN, syn_opts, sizeof(syn_opts), 5);
		tp_done(&t);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
		check_addrs(&p);
		check_tcp_fields(&p, TH_SYN);
		ck_assert_uint_eq(p.l4_off, ihls[i] * 4);
		ck_assert_uint_eq(p.ip_len, ihls[i] * 4 + 40 + 5);
		ck_assert_uint_eq(p.payload_len, 5);
		ck_assert_uint_eq(decode_seglen(&p), 6);
		check_syn_opts(&p.opt);
	}
}
END_TEST

START_TEST(test_ip4_data_ts)
{
	struct tpkt t;
	struct nb_packet p;

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_ACK | TH_PSH | TH_FIN, ts_opts, sizeof(ts_opts), 100);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	check_tcp_fields(&p, TH_ACK | TH_PSH | TH_FIN);
	ck_assert_uint_eq(p.thlen, 32);
	ck_assert_uint_eq(p.payload_len, 100);
	ck_assert_uint_eq(decode_seglen(&p), 101);
	ck_assert_uint_eq(p.opt.has_ts, 1);
	ck_assert_uint_eq(p.opt.tsval, 0xaabbccdd);
	ck_assert_uint_eq(p.opt.tsecr, 0x01020304);
	ck_assert_uint_eq(p.opt.has_mss, 0);
	ck_assert_uint_eq(p.opt.has_wscale, 0);
	ck_assert_uint_eq(p.opt.sack_perm, 0);
	ck_assert_uint_eq(p.opt.complete, 1);
}
END_TEST

START_TEST(test_ip4_no_options)
{
	struct tpkt t;
	struct nb_packet p;

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_RST, NULL, 0, 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.thlen, 20);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert_uint_eq(p.opt.complete, 1);
	ck_assert_uint_eq(p.opt.has_mss | p.opt.has_ts | p.opt.has_wscale |
	    p.opt.sack_perm, 0);
}
END_TEST

START_TEST(test_ip6_syn)
{
	struct tpkt t;
	struct nb_packet p;

	tp_ip6(&t, P_TCP);
	tp_tcp(&t, TH_SYN | TH_ACK, syn_opts, sizeof(syn_opts), 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.family, 6);
	check_addrs(&p);
	check_tcp_fields(&p, TH_SYN | TH_ACK);
	ck_assert_uint_eq(p.ttl, 255);
	ck_assert_uint_eq(p.l4_off, 40);
	ck_assert_uint_eq(p.thlen, 40);
	ck_assert_uint_eq(p.ip_len, 80);
	ck_assert_uint_eq(p.payload_len, 0);
	check_syn_opts(&p.opt);
}
END_TEST

START_TEST(test_ip6_ext_chain)
{
	struct tpkt t;
	struct nb_packet p;

	build_syn6_chain(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	check_addrs(&p);
	check_tcp_fields(&p, TH_SYN);
	ck_assert_uint_eq(p.l4_off, 40 + 8 + 24 + 8);
	ck_assert_uint_eq(p.ip_len, t.len);
	ck_assert_uint_eq(p.payload_len, 0);
	check_syn_opts(&p.opt);
}
END_TEST

START_TEST(test_ip6_ah)
{
	struct tpkt t;
	struct nb_packet p;

	tp_ip6(&t, P_AH);
	tp_ah(&t, P_DST);
	tp_ext(&t, P_TCP, 8);
	tp_tcp(&t, TH_ACK, ts_opts, sizeof(ts_opts), 10);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.l4_off, 40 + 24 + 8);
	ck_assert_uint_eq(p.payload_len, 10);
	ck_assert_uint_eq(p.opt.has_ts, 1);
}
END_TEST

START_TEST(test_fragments)
{
	struct tpkt t;
	struct nb_packet p;

	/* IPv4: offset != 0, with and without MF */
	tp_ip4(&t, 5, P_TCP, 0x2000 | 185);
	tp_tcp(&t, TH_ACK, NULL, 0, 8);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_FRAGMENT);
	tp_ip4(&t, 5, P_TCP, 1);
	tp_tcp(&t, 0, NULL, 0, 0);	/* bytes need not look like TCP */
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_FRAGMENT);
	/* a last fragment too short to hold a TCP header is still a fragment */
	tp_ip4(&t, 5, P_TCP, 3);
	tp_grow(&t, 8);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_FRAGMENT);
	/* IPv4 first fragment: MF, offset 0 */
	tp_ip4(&t, 5, P_TCP, 0x2000);
	tp_tcp(&t, TH_ACK, ts_opts, sizeof(ts_opts), 64);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 64);

	/* IPv6 non-first, with and without MF, also behind other headers */
	tp_ip6(&t, P_FRAG);
	tp_frag(&t, P_TCP, 181, 1);
	tp_grow(&t, 32);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_FRAGMENT);
	tp_ip6(&t, P_HOP);
	tp_ext(&t, P_FRAG, 8);
	tp_frag(&t, P_TCP, 1, 0);
	tp_grow(&t, 8);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_FRAGMENT);
	/* IPv6 atomic fragment (offset 0, no MF, RFC 6946) decodes */
	tp_ip6(&t, P_FRAG);
	tp_frag(&t, P_TCP, 0, 0);
	tp_tcp(&t, TH_ACK, NULL, 0, 3);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.l4_off, 48);
	ck_assert_uint_eq(p.payload_len, 3);
}
END_TEST

START_TEST(test_not_tcp)
{
	/* UDP, "no next header", ESP, ICMPv6 (as the first header), a
	 * neighbour solicitation's type as a protocol */
	static const struct {
		uint8_t nh;
		enum decode_err want;
		uint8_t kind;
	} v6[] = {
		{ P_UDP, DEC_OK, NBK_UDP }, { P_NONE, DEC_NOT_TCP, NBK_OTHER },
		{ P_ESP, DEC_OK, NBK_OTHER }, { 135, DEC_OK, NBK_OTHER },
	};
	struct tpkt t;
	struct nb_packet p;

	tp_ip4(&t, 5, P_UDP, 0);
	tp_udp(&t);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.kind, NBK_UDP);
	ck_assert_uint_eq(p.proto, 17);
	ck_assert_uint_eq(p.sport, 53);
	ck_assert_uint_eq(p.payload_len, 8);
	/* a UDP packet shorter than a TCP header is not a length error */
	tp_ip4(&t, 5, P_UDP, 0);
	tp_grow(&t, 8);
	put16(t.b + 24, 8);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 0);
	/* its length field past the packet, or below its own header */
	put16(t.b + 24, 9);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_UDP_LENGTH);
	put16(t.b + 24, 7);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_UDP_LENGTH);

	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		tp_ip6(&t, v6[i].nh);
		tp_udp(&t);
		tp_done(&t);
		ck_assert_int_eq(dec(&t, t.len, &p), v6[i].want);
		ck_assert_uint_eq(p.kind, v6[i].kind);
		if (v6[i].kind == NBK_OTHER && v6[i].want == DEC_OK) {
			/* another protocol's flow is its address pair */
			ck_assert_uint_eq(p.sport, v6[i].nh);
			ck_assert_uint_eq(p.dport, v6[i].nh);
		}
	}
	/* UDP and "no next header" behind extension headers */
	tp_ip6(&t, P_HOP);
	tp_ext(&t, P_UDP, 8);
	tp_udp(&t);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.kind, NBK_UDP);
	ck_assert_uint_eq(p.l4_off, 48);
	tp_ip6(&t, P_DST);
	tp_ext(&t, P_NONE, 16);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_NOT_TCP);
}
END_TEST

START_TEST(test_header_only)
{
	static const size_t caps[] = { 40, 60, 128, 1500 };
	struct tpkt t;
	struct nb_packet p;

	tp_ip4(&t, 5, P_TCP, 0x4000);
	tp_tcp(&t, TH_ACK, ts_opts, sizeof(ts_opts), 1500 - 20 - 32);
	tp_done(&t);
	ck_assert_uint_eq(t.len, 1500);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		ck_assert_int_eq(dec(&t, caps[i], &p), DEC_OK);
		ck_assert_uint_eq(p.ip_len, 1500);
		ck_assert_uint_eq(p.payload_len, 1448);
		ck_assert_uint_eq(p.thlen, 32);
		check_tcp_fields(&p, TH_ACK);
		/* 40 bytes hold the bare TCP header, not the options */
		ck_assert_uint_eq(p.opt.complete, caps[i] >= 52);
		ck_assert_uint_eq(p.opt.has_ts, caps[i] >= 52);
		if (caps[i] >= 52)
			ck_assert_uint_eq(p.opt.tsval, 0xaabbccdd);
	}

	tp_ip6(&t, P_TCP);
	tp_tcp(&t, TH_ACK, syn_opts, sizeof(syn_opts), 1500 - 40 - 40);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, 60, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 1420);
	ck_assert_uint_eq(p.opt.complete, 0);
	ck_assert_int_eq(dec(&t, 128, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 1420);
	check_syn_opts(&p.opt);
}
END_TEST

/* The option area cut at each byte: an option counts only when it is
 * wholly captured, and complete says whether the area was. */
START_TEST(test_options_cut)
{
	struct tpkt t;
	struct nb_packet p;

	build_syn4(&t);
	for (size_t cap = 40; cap <= t.len; cap++) {
		ck_assert_int_eq(dec(&t, cap, &p), DEC_OK);
		ck_assert_uint_eq(p.thlen, 40);
		ck_assert_uint_eq(p.opt.complete, cap == 60);
		/* syn_opts: MSS ends at 44, SACK-ok at 46, TS at 56, WS at 60 */
		ck_assert_uint_eq(p.opt.has_mss, cap >= 44);
		ck_assert_uint_eq(p.opt.sack_perm, cap >= 46);
		ck_assert_uint_eq(p.opt.has_ts, cap >= 56);
		ck_assert_uint_eq(p.opt.has_wscale, cap >= 60);
	}
}
END_TEST

START_TEST(test_options_malformed)
{
	struct tpkt t;
	struct nb_packet p;
	/* unknown kind skipped; MSS with a wrong length skipped; then
	 * SACK-ok; a zero length stops before the MSS that follows */
	static const uint8_t o1[] = {
		30, 6, 0, 0, 0, 0,  2, 5, 1, 2, 3,  4, 2,
		3, 0,  2, 4, 0x05, 0xb4,
	};
	/* length 1 stops parsing */
	static const uint8_t o2[] = { 4, 2, 2, 1, 3, 3, 7 };
	/* MSS running past the option area (last two bytes of 8) */
	static const uint8_t o3[] = { 1, 1, 4, 2, 1, 1, 2, 4 };
	/* EOL ends the list; what follows is ignored */
	static const uint8_t o4[] = { 3, 3, 2, 0, 2, 4, 1, 0 };
	/* a lone kind byte at the end of the area */
	static const uint8_t o5[] = { 1, 1, 1, 8 };
	/* TS with a wrong length, then NOP NOP; not the fast path */
	static const uint8_t o6[] = { 1, 1, 8, 6, 0, 0, 0, 1, 3, 3, 20, 1 };
	/* window scale with a wrong length is skipped too */
	static const uint8_t o7[] = { 3, 4, 9, 9, 2, 4, 0x05, 0xb4 };

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_SYN, o1, sizeof(o1), 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.opt.has_mss, 0);
	ck_assert_uint_eq(p.opt.sack_perm, 1);
	ck_assert_uint_eq(p.opt.complete, 1);

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_SYN, o2, sizeof(o2), 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.opt.sack_perm, 1);
	ck_assert_uint_eq(p.opt.has_mss, 0);
	ck_assert_uint_eq(p.opt.has_wscale, 0);

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_SYN, o3, sizeof(o3), 100);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.opt.sack_perm, 1);
	ck_assert_uint_eq(p.opt.has_mss, 0);	/* not read from the payload */
	ck_assert_uint_eq(p.opt.complete, 1);

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_SYN, o4, sizeof(o4), 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.opt.has_wscale, 1);
	ck_assert_uint_eq(p.opt.wscale, 2);
	ck_assert_uint_eq(p.opt.has_mss, 0);

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_ACK, o5, sizeof(o5), 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.opt.has_ts, 0);

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_ACK, o6, sizeof(o6), 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.opt.has_ts, 0);
	ck_assert_uint_eq(p.opt.has_wscale, 1);
	ck_assert_uint_eq(p.opt.wscale, 14);

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_SYN, o7, sizeof(o7), 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.opt.has_wscale, 0);
	ck_assert_uint_eq(p.opt.has_mss, 1);
	ck_assert_uint_eq(p.opt.mss, 1460);
}
END_TEST

START_TEST(test_wscale_clamp)
{
	static const uint8_t in[] = { 0, 7, 14, 15, 16, 255 };
	static const uint8_t out[] = { 0, 7, 14, 14, 14, 14 };
	uint8_t o[] = { 1, 3, 3, 0 };
	struct tpkt t;
	struct nb_packet p;

	for (size_t i = 0; i < sizeof(in); i++) {
		o[3] = in[i];
		tp_ip6(&t, P_TCP);
		tp_tcp(&t, TH_SYN, o, sizeof(o), 0);
		tp_done(&t);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
		ck_assert_uint_eq(p.opt.has_wscale, 1);
		ck_assert_uint_eq(p.opt.wscale, out[i]);
	}
}
END_TEST

/* Ethernet pads a 40-byte IPv4 frame to 46 bytes of payload: the
 * padding is captured but is not part of the packet. */
START_TEST(test_eth_padding)
{
	struct tpkt t;
	struct nb_packet p;
	uint8_t *pad;

	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_ACK, NULL, 0, 0);
	tp_done(&t);
	pad = tp_grow(&t, 6);
	memset(pad, 0xff, 6);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.ip_len, 40);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert_uint_eq(decode_seglen(&p), 0);

	/* options exactly filling the packet, padding after looks like MSS */
	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_SYN, (const uint8_t[]){ 1, 1, 1, 1 }, 4, 0);
	tp_done(&t);
	pad = tp_grow(&t, 4);
	memcpy(pad, (const uint8_t[]){ 2, 4, 5, 0xb4 }, 4);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert_uint_eq(p.opt.has_mss, 0);
	ck_assert_uint_eq(p.opt.complete, 1);
}
END_TEST

/* Every prefix of several packets: TRUNCATED until the fixed TCP header
 * is in, then the same decode as the whole packet, options aside. */

Suite *
suite_decode(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, test_err_names);
	tcase_add_test(tc, test_ip4_syn);
	tcase_add_test(tc, test_ip4_options);
	tcase_add_test(tc, test_ip4_data_ts);
	tcase_add_test(tc, test_ip4_no_options);
	tcase_add_test(tc, test_ip6_syn);
	tcase_add_test(tc, test_ip6_ext_chain);
	tcase_add_test(tc, test_ip6_ah);
	tcase_add_test(tc, test_fragments);
	tcase_add_test(tc, test_not_tcp);
	tcase_add_test(tc, test_header_only);
	tcase_add_test(tc, test_options_cut);
	tcase_add_test(tc, test_options_malformed);
	tcase_add_test(tc, test_wscale_clamp);
	tcase_add_test(tc, test_eth_padding);
	suite_add_tcase(s, tc);
	return s;
}
