/* check_decode_bad.c -- the decoder on bad input: versions, lengths, header counts, truncation sweeps and a mutation fuzzer, each packet read from an exact-size heap copy (decode_tb.h: the bench). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "decode_tb.h"
#include "suites.h"

START_TEST(test_bad_version)
{
	static const uint8_t vers[] = { 0, 1, 5, 7, 15 };
	struct tpkt t;
	struct nb_packet p;

	for (size_t i = 0; i < sizeof(vers); i++) {
		build_syn4(&t);
		t.b[0] = (uint8_t)(vers[i] << 4 | 5);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_VERSION);
		ck_assert_int_eq(dec(&t, 1, &p), DEC_BAD_VERSION);
	}
}
END_TEST

START_TEST(test_truncated)
{
	struct tpkt t;
	struct nb_packet p;

	build_syn4(&t);
	ck_assert_int_eq(dec(&t, 0, &p), DEC_TRUNCATED);
	ck_assert_int_eq(decode_packet(NULL, 0, &p), DEC_TRUNCATED);
	ck_assert_int_eq(dec(&t, 19, &p), DEC_TRUNCATED);	/* IPv4 header */
	ck_assert_int_eq(dec(&t, 39, &p), DEC_TRUNCATED);	/* TCP header */
	ck_assert_int_eq(dec(&t, 40, &p), DEC_OK);
	tp_ip6(&t, P_TCP);
	tp_tcp(&t, TH_SYN, NULL, 0, 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, 39, &p), DEC_TRUNCATED);	/* IPv6 header */
	ck_assert_int_eq(dec(&t, 59, &p), DEC_TRUNCATED);
	ck_assert_int_eq(dec(&t, 60, &p), DEC_OK);
	/* an extension header's length byte beyond caplen */
	build_syn6_chain(&t);
	ck_assert_int_eq(dec(&t, 41, &p), DEC_TRUNCATED);
	ck_assert_int_eq(dec(&t, 49, &p), DEC_TRUNCATED);
	/* the fragment header's offset field beyond caplen */
	ck_assert_int_eq(dec(&t, 40 + 8 + 24 + 3, &p), DEC_TRUNCATED);
}
END_TEST

START_TEST(test_bad_ihl)
{
	struct tpkt t;
	struct nb_packet p;

	for (unsigned ihl = 0; ihl < 5; ihl++) {
		build_syn4(&t);
		t.b[0] = (uint8_t)(0x40 | ihl);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_IHL);
	}
}
END_TEST

START_TEST(test_bad_length)
{
	struct tpkt t;
	struct nb_packet p;

	/* IPv4 total length shorter than the IP header itself */
	build_syn4(&t);
	put16(t.b + 2, 19);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_LENGTH);
	tp_ip4(&t, 8, P_TCP, 0);
	tp_tcp(&t, TH_SYN, NULL, 0, 0);
	tp_done(&t);
	put16(t.b + 2, 31);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_LENGTH);
	/* ... and too short for a TCP header, whatever caplen holds: the
	 * kernel's nf_conntrack_tcp_packet() finds no header (INVALID) */
	build_syn4(&t);
	put16(t.b + 2, 39);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_SHORT_L4);
	ck_assert_int_eq(dec(&t, 20, &p), DEC_SHORT_L4);
	put16(t.b + 2, 0);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_LENGTH);
	put16(t.b + 2, 40);	/* exactly a bare TCP header: fine */
	t.b[32] = 0x50;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 0);

	/* IPv6 jumbogram (RFC 2675) */
	tp_ip6(&t, P_HOP);
	tp_ext(&t, P_TCP, 8);
	tp_tcp(&t, TH_ACK, NULL, 0, 0);
	tp_done(&t);
	put16(t.b + 4, 0);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_LENGTH);
	/* IPv6 payload too short for the TCP header: INVALID to the
	 * kernel (nf_conntrack_tcp_packet() finds no header) */
	tp_ip6(&t, P_TCP);
	tp_tcp(&t, TH_ACK, NULL, 0, 0);
	tp_done(&t);
	put16(t.b + 4, 19);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_SHORT_L4);
	tp_ip6(&t, P_DST);
	tp_ext(&t, P_TCP, 16);
	tp_tcp(&t, TH_ACK, NULL, 0, 0);
	tp_done(&t);
	put16(t.b + 4, 16 + 19);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_SHORT_L4);
	put16(t.b + 4, 16 + 20);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
}
END_TEST

START_TEST(test_bad_doff)
{
	struct tpkt t;
	struct nb_packet p;

	for (unsigned doff = 0; doff < 5; doff++) {
		build_syn4(&t);
		t.b[32] = (uint8_t)(doff << 4);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_DOFF);
	}
	/* data offset past the IP payload: 60 claimed, 40 there */
	build_syn4(&t);
	t.b[32] = 0xf0;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_DOFF);
	/* ... even when caplen (Ethernet padding) would hold it */
	tp_ip4(&t, 5, P_TCP, 0);
	tp_tcp(&t, TH_ACK, NULL, 0, 0);
	tp_done(&t);
	t.b[32] = 0x60;
	tp_grow(&t, 20);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_DOFF);
	/* IPv6 likewise */
	tp_ip6(&t, P_TCP);
	tp_tcp(&t, TH_ACK, ts_opts, sizeof(ts_opts), 0);
	tp_done(&t);
	t.b[52] = 0x90;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_DOFF);
	t.b[52] = 0x40;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_DOFF);
	/* doff equal to the whole IP payload is fine */
	t.b[52] = 0x80;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 0);
}
END_TEST

START_TEST(test_exthdr_count)
{
	struct tpkt t;
	struct nb_packet p;

	/* eight extension headers are allowed ... */
	tp_ip6(&t, P_DST);
	for (int i = 0; i < 7; i++)
		tp_ext(&t, P_DST, 8);
	tp_ext(&t, P_TCP, 8);
	tp_tcp(&t, TH_SYN, NULL, 0, 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.l4_off, 40 + 64);
	/* ... nine are not */
	tp_ip6(&t, P_DST);
	for (int i = 0; i < 8; i++)
		tp_ext(&t, P_DST, 8);
	tp_ext(&t, P_TCP, 8);
	tp_tcp(&t, TH_SYN, NULL, 0, 0);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_EXTHDR);
}
END_TEST

START_TEST(test_exthdr_past_payload)
{
	struct tpkt t;
	struct nb_packet p;

	/* routing header claims 32 bytes, payload has 8 + TCP 20 */
	tp_ip6(&t, P_RT);
	tp_ext(&t, P_TCP, 8);
	tp_tcp(&t, TH_ACK, NULL, 0, 0);
	tp_done(&t);
	t.b[41] = 3;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_EXTHDR);
	/* payload of 1 byte cannot hold an extension header's first two */
	tp_ip6(&t, P_HOP);
	tp_ext(&t, P_TCP, 8);
	tp_done(&t);
	put16(t.b + 4, 1);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_EXTHDR);
	/* fragment header (8 bytes) in a 4-byte payload */
	tp_ip6(&t, P_FRAG);
	tp_frag(&t, P_TCP, 0, 1);
	tp_done(&t);
	put16(t.b + 4, 4);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_EXTHDR);
	/* AH whose length runs past the payload */
	tp_ip6(&t, P_AH);
	tp_ah(&t, P_TCP);
	tp_tcp(&t, TH_ACK, NULL, 0, 0);
	tp_done(&t);
	t.b[41] = 200;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_EXTHDR);
	/* the chain runs exactly to the end: no room for TCP */
	tp_ip6(&t, P_HOP);
	tp_ext(&t, P_TCP, 16);
	tp_done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_SHORT_L4);
}
END_TEST

/* A 1500-byte IPv4 (or IPv6) data segment as the live path sees it:
 * only the first caplen bytes were copied. */

START_TEST(test_truncation_sweep)
{
	struct tpkt pk[6];
	struct nb_packet full, p;
	size_t n = 0;

	build_syn4(&pk[n++]);
	tp_ip4(&pk[n], 15, P_TCP, 0x2000);
	tp_tcp(&pk[n++], TH_ACK, ts_opts, sizeof(ts_opts), 30);
	tp_ip6(&pk[n], P_TCP);
	tp_tcp(&pk[n++], TH_SYN | TH_ACK, syn_opts, sizeof(syn_opts), 0);
	build_syn6_chain(&pk[n++]);
	tp_ip6(&pk[n], P_AH);
	tp_ah(&pk[n], P_FRAG);
	tp_frag(&pk[n], P_DST, 0, 1);
	tp_ext(&pk[n], P_TCP, 40);
	tp_tcp(&pk[n++], TH_FIN | TH_ACK, ts_opts, sizeof(ts_opts), 7);
	tp_ip4(&pk[n], 5, P_TCP, 0);
	tp_tcp(&pk[n++], TH_RST, NULL, 0, 0);

	for (size_t k = 0; k < n; k++) {
		struct tpkt *t = &pk[k];
		size_t need;

		tp_done(t);
		ck_assert_int_eq(dec(t, t->len, &full), DEC_OK);
		need = full.l4_off + 20u;
		for (size_t cap = 0; cap <= t->len; cap++) {
			enum decode_err e = dec(t, cap, &p);

			if (cap < need) {
				ck_assert_int_eq(e, DEC_TRUNCATED);
				continue;
			}
			ck_assert_int_eq(e, DEC_OK);
			ck_assert_uint_eq(p.opt.complete,
			    cap >= full.l4_off + (size_t)full.thlen);
			if (p.opt.complete)
				ck_assert_mem_eq(&p, &full, sizeof(p));
			p.opt = full.opt;
			ck_assert_mem_eq(&p, &full, sizeof(p));
		}
	}
}
END_TEST

/* Malformed packets cut at every length must never read past caplen. */
START_TEST(test_truncation_sweep_bad)
{
	struct tpkt t;
	struct nb_packet p;

	/* nine ext headers, an oversize one, a jumbogram, a bad doff */
	tp_ip6(&t, P_DST);
	for (int i = 0; i < 9; i++)
		tp_ext(&t, i == 8 ? P_TCP : P_DST, 8);
	tp_tcp(&t, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	tp_done(&t);
	for (size_t cap = 0; cap <= t.len; cap++)
		(void)dec(&t, cap, &p);
	t.b[41] = 255;
	for (size_t cap = 0; cap <= t.len; cap++)
		(void)dec(&t, cap, &p);
	put16(t.b + 4, 0);
	for (size_t cap = 0; cap <= t.len; cap++)
		ck_assert_int_ne(dec(&t, cap, &p), DEC_OK);
	tp_ip4(&t, 15, P_TCP, 0);
	tp_tcp(&t, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	tp_done(&t);
	t.b[60 + 12] = 0xf0;
	for (size_t cap = 0; cap <= t.len; cap++)
		ck_assert_int_ne(dec(&t, cap, &p), DEC_OK);
}
END_TEST

/* A small deterministic mutation fuzzer, so a regression shows up in
 * `make check` and not only under libFuzzer. */
static uint32_t
xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

START_TEST(test_mutations)
{
	struct tpkt base[3], t;
	struct nb_packet p;
	uint32_t seed = 0x9e3779b9;

	build_syn4(&base[0]);
	build_syn6_chain(&base[1]);
	tp_ip6(&base[2], P_AH);
	tp_ah(&base[2], P_TCP);
	tp_tcp(&base[2], TH_ACK, ts_opts, sizeof(ts_opts), 20);
	tp_done(&base[2]);

	for (int i = 0; i < 30000; i++) {
		const struct tpkt *b = &base[xorshift32(&seed) % 3];
		int flips = 1 + (int)(xorshift32(&seed) % 4);
		size_t cap;
		enum decode_err e;

		t = *b;
		for (int f = 0; f < flips; f++)
			t.b[xorshift32(&seed) % t.len] = (uint8_t)xorshift32(&seed);
		cap = xorshift32(&seed) % (t.len + 1);
		e = dec(&t, cap, &p);
		ck_assert_int_lt(e, DEC__MAX);
		if (e == DEC_OK && p.kind == NBK_TCP && !p.icmp_error) {
			ck_assert(p.family == 4 || p.family == 6);
			ck_assert_uint_le(p.l4_off + 20u, cap);
			ck_assert_uint_ge(p.thlen, 20);
			ck_assert_uint_eq(p.l4_off + p.thlen + p.payload_len,
			    p.ip_len);
		}
	}
}
END_TEST

Suite *
suite_decode_bad(void)
{
	Suite *s = suite_create("decode_bad");
	TCase *tc = tcase_create("decode_bad");

	tcase_add_test(tc, test_bad_version);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_bad_ihl);
	tcase_add_test(tc, test_bad_length);
	tcase_add_test(tc, test_bad_doff);
	tcase_add_test(tc, test_exthdr_count);
	tcase_add_test(tc, test_exthdr_past_payload);
	tcase_add_test(tc, test_truncation_sweep);
	tcase_add_test(tc, test_truncation_sweep_bad);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);
	return s;
}
