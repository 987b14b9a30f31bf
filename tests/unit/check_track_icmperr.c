/* check_track_icmperr.c -- ICMP and ICMPv6 errors decoded: the quoted header matched, however short or wrong; which packets may start a flow (dgram_tb.h: the bench). */
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

/* ---- decode: ICMP errors ---- */

START_TEST(test_icmp_error_udp4)
{
	struct tpkt q, t;
	struct nb_packet p;

	ip4(&q, P_UDP, a4, b4);
	udp(&q, 40000, 53, 30);
	done(&q);
	/* a router's port unreachable (RFC 792: IP header + 8 bytes), and
	 * the same with the whole datagram quoted (RFC 1812) */
	for (int whole = 0; whole < 2; whole++) {
		icmp_err(&t, 4, 3, 3, r4, a4, &q, whole ? 0 : 28);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
		ck_assert_uint_eq(p.icmp_error, 1);
		ck_assert_uint_eq(p.family, 4);
		ck_assert_uint_eq(p.kind, NBK_UDP);
		ck_assert_uint_eq(p.proto, 17);
		ck_assert_uint_eq(p.icmp_type, 3);
		ck_assert_uint_eq(p.icmp_code, 3);
		/* the quoted tuple, inverted; the router's address is not kept */
		assert_addr(&p.src, b4, 4);
		assert_addr(&p.dst, a4, 4);
		ck_assert_uint_eq(p.sport, 53);
		ck_assert_uint_eq(p.dport, 40000);
		ck_assert_uint_eq(p.l4_off, 20);
		ck_assert_uint_eq(p.ip_len, t.len);
		ck_assert(!decode_may_start(&p));
	}
	/* the other ICMPv4 error types quote too */
	static const uint8_t errtypes[] = { 4, 5, 11, 12 };
	for (size_t i = 0; i < sizeof(errtypes); i++) {
		icmp_err(&t, 4, errtypes[i], 0, r4, a4, &q, 28);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
		ck_assert_uint_eq(p.icmp_error, 1);
		ck_assert_uint_eq(p.kind, NBK_UDP);
		ck_assert_uint_eq(p.icmp_type, errtypes[i]);
	}
}
END_TEST

START_TEST(test_icmp_error_tcp4)
{
	struct tpkt q, t;
	struct nb_packet p;

	ip4(&q, P_TCP, a4, b4);
	tcp(&q, 40001, 443, TH_SYN, 0x01020304);
	done(&q);
	icmp_err(&t, 4, 11, 0, r4, a4, &q, 28);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.icmp_error, 1);
	ck_assert_uint_eq(p.kind, NBK_TCP);
	ck_assert_uint_eq(p.proto, 6);
	ck_assert_uint_eq(p.icmp_type, 11);
	ck_assert_uint_eq(p.icmp_code, 0);
	assert_addr(&p.src, b4, 4);
	assert_addr(&p.dst, a4, 4);
	ck_assert_uint_eq(p.sport, 443);
	ck_assert_uint_eq(p.dport, 40001);
	ck_assert_uint_eq(p.seq, 0x01020304);
	/* the quoted SYN is not this packet's: no TCP flags */
	ck_assert_uint_eq(p.flags, 0);
	ck_assert(!decode_may_start(&p));
}
END_TEST

START_TEST(test_icmp6_error_udp_ext)
{
	struct tpkt q, t;
	struct nb_packet p;

	/* the quoted packet has a destination options header */
	ip6(&q, P_DST, a6, b6);
	ext6(&q, P_UDP, 16);
	udp(&q, 5000, 6000, 100);
	done(&q);
	icmp_err(&t, 6, 1, 4, b6, a6, &q, 0);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.icmp_error, 1);
	ck_assert_uint_eq(p.family, 6);
	ck_assert_uint_eq(p.kind, NBK_UDP);
	ck_assert_uint_eq(p.proto, 17);
	ck_assert_uint_eq(p.icmp_type, 1);
	ck_assert_uint_eq(p.icmp_code, 4);
	assert_addr(&p.src, b6, 6);
	assert_addr(&p.dst, a6, 6);
	ck_assert_uint_eq(p.sport, 6000);
	ck_assert_uint_eq(p.dport, 5000);
	ck_assert_uint_eq(p.l4_off, 40);
	ck_assert(!decode_may_start(&p));
	/* quoted just up to the UDP header's end, from a router */
	icmp_err(&t, 6, 3, 0, r6, a6, &q, 40 + 16 + 8);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.sport, 6000);
	ck_assert_uint_eq(p.dport, 5000);
	assert_addr(&p.src, b6, 6);
	/* one byte short of it */
	icmp_err(&t, 6, 3, 0, r6, a6, &q, 40 + 16 + 7);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);

	/* packet too big quoting TCP behind a first fragment's header */
	ip6(&q, P_FRAG, a6, b6);
	frag6(&q, P_TCP, 0, 1);
	tcp(&q, 443, 50000, TH_ACK, 77);
	done(&q);
	icmp_err(&t, 6, 2, 0, r6, a6, &q, 0);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.kind, NBK_TCP);
	ck_assert_uint_eq(p.sport, 50000);
	ck_assert_uint_eq(p.dport, 443);
	ck_assert_uint_eq(p.seq, 77);
	assert_addr(&p.src, b6, 6);
	assert_addr(&p.dst, a6, 6);
}
END_TEST

START_TEST(test_icmp_error_quotes_query)
{
	struct tpkt q, t;
	struct nb_packet p;

	/* an echo request, and an echo reply, quoted */
	for (int reply = 0; reply < 2; reply++) {
		ip4(&q, P_ICMP, a4, b4);
		icmp(&q, reply ? 0 : 8, 0, 0x4242, 7, 56);
		done(&q);
		icmp_err(&t, 4, 3, 1, r4, a4, &q, 28);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
		ck_assert_uint_eq(p.icmp_error, 1);
		ck_assert_uint_eq(p.kind, NBK_ICMP);
		ck_assert_uint_eq(p.proto, 1);
		ck_assert_uint_eq(p.sport, 0x4242);
		ck_assert_uint_eq(p.dport, 0x4242);
		ck_assert_uint_eq(p.icmp_type, 3);
		ck_assert_uint_eq(p.icmp_code, 1);
		assert_addr(&p.src, b4, 4);
		assert_addr(&p.dst, a4, 4);
	}
	ip6(&q, P_ICMP6, a6, b6);
	icmp(&q, 128, 0, 0x4243, 1, 8);
	done(&q);
	icmp_err(&t, 6, 3, 0, r6, a6, &q, 0);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.kind, NBK_ICMP);
	ck_assert_uint_eq(p.proto, 58);
	ck_assert_uint_eq(p.sport, 0x4243);
	ck_assert_uint_eq(p.dport, 0x4243);
	assert_addr(&p.src, b6, 6);
	assert_addr(&p.dst, a6, 6);

	/* another protocol quoted: its number in both ports */
	ip4(&q, P_GRE, a4, b4);
	grow(&q, 8);
	done(&q);
	icmp_err(&t, 4, 3, 2, b4, a4, &q, 28);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.kind, NBK_OTHER);
	ck_assert_uint_eq(p.proto, 47);
	ck_assert_uint_eq(p.sport, 47);
	ck_assert_uint_eq(p.dport, 47);
	assert_addr(&p.src, b4, 4);
	assert_addr(&p.dst, a4, 4);
}
END_TEST

START_TEST(test_icmp_error_bad_quote)
{
	struct tpkt q, q6, t;
	struct nb_packet p;

	ip4(&q, P_UDP, a4, b4);
	udp(&q, 40000, 53, 30);
	done(&q);
	ip6(&q6, P_UDP, a6, b6);
	udp(&q6, 40000, 53, 30);
	done(&q6);

	/* cut: 10 bytes of the inner IP header; all of it but 4 bytes of
	 * UDP; nothing at all */
	icmp_err(&t, 4, 3, 3, r4, a4, &q, 10);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
	icmp_err(&t, 4, 3, 3, r4, a4, &q, 24);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
	ip4(&t, P_ICMP, r4, a4);
	icmp(&t, 3, 3, 0, 0, 0);
	done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
	icmp_err(&t, 6, 1, 4, r6, a6, &q6, 30);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
	/* cut by caplen, the IP length saying it is all there */
	icmp_err(&t, 4, 3, 3, r4, a4, &q, 28);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_int_eq(dec(&t, 28 + 10, &p), DEC_BAD_QUOTE);
	ck_assert_int_eq(dec(&t, t.len - 1, &p), DEC_BAD_QUOTE);
	/* the error's own header cut: truncated, not a bad quote */
	ck_assert_int_eq(dec(&t, 27, &p), DEC_TRUNCATED);

	/* a quote of the other family */
	icmp_err(&t, 4, 3, 3, r4, a4, &q6, 48);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
	icmp_err(&t, 6, 1, 4, r6, a6, &q, 0);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);

	/* garbage version, and an IHL below 5 */
	icmp_err(&t, 4, 3, 3, r4, a4, &q, 28);
	t.b[28] = 0x55;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
	t.b[28] = 0x44;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
	t.b[28] = 0x45;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	icmp_err(&t, 6, 1, 4, r6, a6, &q6, 0);
	t.b[48] = 0x00;
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);

	/* a non-first fragment has no header to read; a first one does */
	icmp_err(&t, 4, 3, 3, r4, a4, &q, 28);
	put16(t.b + 28 + 6, 0x0010);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
	put16(t.b + 28 + 6, 0x2000);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	{
		struct tpkt f;

		ip6(&f, P_FRAG, a6, b6);
		frag6(&f, P_UDP, 185, 0);
		udp(&f, 40000, 53, 8);
		done(&f);
		icmp_err(&t, 6, 1, 4, r6, a6, &f, 0);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
	}

	/* an error quoting an error (RFC 1122 3.2.2: never sent), or a
	 * message that is neither query nor error */
	{
		struct tpkt e;

		icmp_err(&e, 4, 3, 3, r4, a4, &q, 28);
		icmp_err(&t, 4, 11, 0, r4, a4, &e, 0);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
		icmp_err(&e, 6, 1, 4, r6, a6, &q6, 0);
		icmp_err(&t, 6, 3, 0, r6, a6, &e, 0);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
		ip4(&e, P_ICMP, a4, b4);
		icmp(&e, 9, 0, 1, 1, 8);
		done(&e);
		icmp_err(&t, 4, 3, 3, r4, a4, &e, 0);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
		/* a quoted echo cut inside its 8-byte header */
		ip4(&e, P_ICMP, a4, b4);
		icmp(&e, 8, 0, 1, 1, 8);
		done(&e);
		icmp_err(&t, 4, 3, 3, r4, a4, &e, 27);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_QUOTE);
		icmp_err(&t, 4, 3, 3, r4, a4, &e, 28);
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	}
}
END_TEST

START_TEST(test_may_start)
{
	struct nb_packet p;

	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.kind = NBK_UDP;
	ck_assert(decode_may_start(&p));
	p.kind = NBK_OTHER;
	ck_assert(decode_may_start(&p));
	p.kind = NBK_TCP;
	ck_assert(decode_may_start(&p));
	p.kind = NBK_ICMP;
	p.icmp_type = ICMP_ECHO;
	ck_assert(decode_may_start(&p));
	p.icmp_type = ICMP_ECHOREPLY;
	ck_assert(!decode_may_start(&p));
	p.family = 6;
	p.icmp_type = ICMP6_ECHO_REQUEST;
	ck_assert(decode_may_start(&p));
	p.icmp_type = ICMP6_ECHO_REPLY;
	ck_assert(!decode_may_start(&p));
	/* v4's echo type number means nothing in ICMPv6 */
	p.icmp_type = ICMP_ECHO;
	ck_assert(!decode_may_start(&p));
	/* an error never starts a flow, whatever its quote */
	p.family = 4;
	p.icmp_error = 1;
	p.icmp_type = 3;
	for (unsigned k = 0; k < NBK__MAX; k++) {
		p.kind = (uint8_t)k;
		ck_assert(!decode_may_start(&p));
	}
}
END_TEST

Suite *
suite_track_icmperr(void)
{
	Suite *st = suite_create("track_icmperr");
	TCase *tc;

	tc = tcase_create("icmperr");
	tcase_add_test(tc, test_icmp_error_udp4);
	tcase_add_test(tc, test_icmp_error_tcp4);
	tcase_add_test(tc, test_icmp6_error_udp_ext);
	tcase_add_test(tc, test_icmp_error_quotes_query);
	tcase_add_test(tc, test_icmp_error_bad_quote);
	tcase_add_test(tc, test_may_start);
	suite_add_tcase(st, tc);
	return st;
}
