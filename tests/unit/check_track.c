/* check_track.c -- UDP, ICMP query and other-protocol flows: decoding, the trackers and the engine with injected time, and their profile keys. */
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

/* Protocol numbers, spelled out so the test does not lean on
 * <netinet/in.h> agreeing with the decoder by accident. */
#define P_HOP	0
#define P_ICMP	1
#define P_TCP	6
#define P_UDP	17
#define P_FRAG	44
#define P_GRE	47
#define P_ESP	50
#define P_ICMP6	58
#define P_DST	60
#define P_SCTP	132

#define MAXPKT	512

/* ---- packet builders ---- */

/* A packet under construction: builders append at len. */
struct tpkt {
	uint8_t b[MAXPKT];
	size_t len;
	int family;
};

/* client, server and a router between them (documentation prefixes) */
static const uint8_t a4[4] = { 198, 51, 100, 10 };
static const uint8_t b4[4] = { 203, 0, 113, 20 };
static const uint8_t r4[4] = { 192, 0, 2, 1 };
static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
static const uint8_t r6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };

static uint8_t *
grow(struct tpkt *t, size_t n)
{
	uint8_t *at = t->b + t->len;

	ck_assert_uint_le(t->len + n, MAXPKT);
	memset(at, 0, n);
	t->len += n;
	return at;
}

static void
ip4(struct tpkt *t, uint8_t proto, const uint8_t *src, const uint8_t *dst)
{
	uint8_t *h;

	memset(t, 0, sizeof(*t));
	t->family = 4;
	h = grow(t, 20);
	h[0] = 0x45;
	put16(h + 4, 0x1234);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
}

static void
ip6(struct tpkt *t, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
	uint8_t *h;

	memset(t, 0, sizeof(*t));
	t->family = 6;
	h = grow(t, 40);
	h[0] = 0x60;
	h[6] = nh;
	h[7] = 64;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
}

/* Hop-by-hop or destination options of len bytes (a multiple of 8). */
static void
ext6(struct tpkt *t, uint8_t nh, size_t len)
{
	uint8_t *h = grow(t, len);

	h[0] = nh;
	h[1] = (uint8_t)(len / 8 - 1);
	h[2] = 1;	/* PadN */
	h[3] = (uint8_t)(len - 4);
}

static void
frag6(struct tpkt *t, uint8_t nh, unsigned off8, int mf)
{
	uint8_t *h = grow(t, 8);

	h[0] = nh;
	put16(h + 2, (uint16_t)(off8 << 3 | (mf ? 1 : 0)));
	put32(h + 4, 0xdeadbeef);
}

/* UDP header whose length field covers plen payload bytes. */
static void
udp(struct tpkt *t, uint16_t sport, uint16_t dport, size_t plen)
{
	uint8_t *h = grow(t, 8 + plen);

	put16(h, sport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)(8 + plen));
	for (size_t i = 0; i < plen; i++)
		h[8 + i] = (uint8_t)(0xa5 ^ i);
}

/* ICMP/ICMPv6 header (type, code, checksum, identifier, sequence). */
static void
icmp(struct tpkt *t, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
    size_t plen)
{
	uint8_t *h = grow(t, 8 + plen);

	h[0] = type;
	h[1] = code;
	put16(h + 4, id);
	put16(h + 6, seq);
	for (size_t i = 0; i < plen; i++)
		h[8 + i] = (uint8_t)i;
}

static void
tcp(struct tpkt *t, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq)
{
	uint8_t *h = grow(t, 20);

	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, seq);
	h[12] = 5 << 4;
	h[13] = flags;
	put16(h + 14, 64240);
}

static void
raw(struct tpkt *t, const uint8_t *b, size_t n)
{
	memcpy(grow(t, n), b, n);
}

/* Set the (outer) IP length field from what was built. */
static void
done(struct tpkt *t)
{
	if (t->family == 4)
		put16(t->b + 2, (uint16_t)t->len);
	else
		put16(t->b + 4, (uint16_t)(t->len - 40));
}

/* An ICMP (family 4) or ICMPv6 error from `from` to `to` quoting the
 * first qlen bytes of q (all of it if qlen is 0). */
static void
icmp_err(struct tpkt *t, int family, uint8_t type, uint8_t code,
    const uint8_t *from, const uint8_t *to, const struct tpkt *q, size_t qlen)
{
	if (family == 4)
		ip4(t, P_ICMP, from, to);
	else
		ip6(t, P_ICMP6, from, to);
	icmp(t, type, code, 0, 0, 0);
	raw(t, q->b, qlen == 0 || qlen > q->len ? q->len : qlen);
	done(t);
}

/* Decode the first caplen bytes from a heap copy of exactly caplen bytes,
 * so ASan reports any read at or past buf[caplen]. */
static enum decode_err
dec(const struct tpkt *t, size_t caplen, struct nb_packet *p)
{
	uint8_t *buf = malloc(caplen ? caplen : 1);
	enum decode_err e;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, t->b, caplen);
	e = decode_packet(buf, caplen, p);
	free(buf);
	return e;
}

static void
assert_addr(const struct nb_addr *a, const uint8_t *want, int family)
{
	struct nb_addr w;

	memset(&w, 0, sizeof(w));
	memcpy(w.b, want, family == 4 ? 4 : 16);
	ck_assert_mem_eq(a->b, w.b, 16);
}

/* ---- decode: UDP ---- */

START_TEST(test_udp4)
{
	struct tpkt t;
	struct nb_packet p;

	ip4(&t, P_UDP, a4, b4);
	udp(&t, 40000, 53, 12);
	done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.family, 4);
	ck_assert_uint_eq(p.kind, NBK_UDP);
	ck_assert_uint_eq(p.proto, 17);
	ck_assert_uint_eq(p.sport, 40000);
	ck_assert_uint_eq(p.dport, 53);
	assert_addr(&p.src, a4, 4);
	assert_addr(&p.dst, b4, 4);
	ck_assert_uint_eq(p.l4_off, 20);
	ck_assert_uint_eq(p.ip_len, 40);
	ck_assert_uint_eq(p.payload_len, 12);
	ck_assert_uint_eq(p.icmp_error, 0);
	ck_assert_uint_eq(p.flags, 0);
	ck_assert(decode_may_start(&p));

	/* the length field, not the IP length, says how much is UDP
	 * payload: 4 bytes of it, then 8 bytes of trailer */
	ip4(&t, P_UDP, a4, b4);
	udp(&t, 40000, 53, 12);
	put16(t.b + 24, 12);
	done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 4);
	ck_assert_uint_eq(p.ip_len, 40);

	/* exactly the IP payload is fine; one past it, or below the
	 * UDP header's own 8 bytes, is not */
	put16(t.b + 24, 20);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 12);
	put16(t.b + 24, 21);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_UDP_LENGTH);
	put16(t.b + 24, 8);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 0);
	put16(t.b + 24, 7);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_UDP_LENGTH);
	put16(t.b + 24, 0);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_UDP_LENGTH);
	put16(t.b + 24, 0xffff);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_UDP_LENGTH);

	/* caplen inside the 8-byte header: truncated; a header-only copy
	 * is enough (the length field is checked against the IP length) */
	put16(t.b + 24, 20);
	for (size_t cap = 20; cap < 28; cap++)
		ck_assert_int_eq(dec(&t, cap, &p), DEC_TRUNCATED);
	ck_assert_int_eq(dec(&t, 28, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 12);
	ck_assert_uint_eq(p.sport, 40000);
	put16(t.b + 24, 21);
	ck_assert_int_eq(dec(&t, 28, &p), DEC_BAD_UDP_LENGTH);

	/* an IP payload too short for a UDP header is an IP length error */
	ip4(&t, P_UDP, a4, b4);
	grow(&t, 6);
	done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_LENGTH);
}
END_TEST

START_TEST(test_udp6)
{
	struct tpkt t;
	struct nb_packet p;

	ip6(&t, P_UDP, a6, b6);
	udp(&t, 5353, 5354, 20);
	done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.family, 6);
	ck_assert_uint_eq(p.kind, NBK_UDP);
	ck_assert_uint_eq(p.proto, 17);
	ck_assert_uint_eq(p.sport, 5353);
	ck_assert_uint_eq(p.dport, 5354);
	assert_addr(&p.src, a6, 6);
	assert_addr(&p.dst, b6, 6);
	ck_assert_uint_eq(p.l4_off, 40);
	ck_assert_uint_eq(p.ip_len, 68);
	ck_assert_uint_eq(p.payload_len, 20);
	ck_assert_uint_eq(p.icmp_error, 0);
	put16(t.b + 44, 10);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.payload_len, 2);
	put16(t.b + 44, 29);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_UDP_LENGTH);
	put16(t.b + 44, 3);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_UDP_LENGTH);
	put16(t.b + 44, 28);
	for (size_t cap = 40; cap < 48; cap++)
		ck_assert_int_eq(dec(&t, cap, &p), DEC_TRUNCATED);
	ck_assert_int_eq(dec(&t, 48, &p), DEC_OK);

	/* behind a hop-by-hop and a destination options header */
	ip6(&t, P_HOP, a6, b6);
	ext6(&t, P_DST, 8);
	ext6(&t, P_UDP, 16);
	udp(&t, 4500, 4501, 3);
	done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.kind, NBK_UDP);
	ck_assert_uint_eq(p.l4_off, 64);
	ck_assert_uint_eq(p.sport, 4500);
	ck_assert_uint_eq(p.dport, 4501);
	ck_assert_uint_eq(p.payload_len, 3);
	for (size_t cap = 64; cap < 72; cap++)
		ck_assert_int_eq(dec(&t, cap, &p), DEC_TRUNCATED);
	put16(t.b + 68, 12);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_UDP_LENGTH);
}
END_TEST

/* ---- decode: ICMP queries ---- */

START_TEST(test_icmp_queries)
{
	static const struct {
		int family;
		uint8_t type;
		enum decode_err want;
		bool may_start;
	} c[] = {
		{ 4, 8, DEC_OK, true },		/* echo request */
		{ 4, 0, DEC_OK, false },	/* echo reply */
		{ 4, 13, DEC_OK, true },	/* timestamp */
		{ 4, 14, DEC_OK, false },	/* timestamp reply */
		{ 4, 17, DEC_OK, true },	/* address mask */
		{ 4, 9, DEC_NOT_TCP, false },	/* router advertisement */
		{ 4, 10, DEC_NOT_TCP, false },	/* router solicitation */
		{ 6, 128, DEC_OK, true },	/* echo request */
		{ 6, 129, DEC_OK, false },	/* echo reply */
		{ 6, 139, DEC_OK, true },	/* node information query */
		{ 6, 140, DEC_OK, false },
		{ 6, 133, DEC_NOT_TCP, false },	/* router solicitation */
		{ 6, 135, DEC_NOT_TCP, false },	/* neighbour solicitation */
		{ 6, 143, DEC_NOT_TCP, false },	/* MLDv2 report */
	};
	struct tpkt t;
	struct nb_packet p;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t l4 = c[i].family == 4 ? 20 : 40;

		if (c[i].family == 4)
			ip4(&t, P_ICMP, a4, b4);
		else
			ip6(&t, P_ICMP6, a6, b6);
		icmp(&t, c[i].type, 0, 0xbeef, 7, 32);
		done(&t);
		ck_assert_msg(dec(&t, t.len, &p) == c[i].want, "family %d type %u",
		    c[i].family, c[i].type);
		ck_assert_uint_eq(p.kind, NBK_ICMP);
		ck_assert_uint_eq(p.proto, c[i].family == 4 ? 1 : 58);
		ck_assert_uint_eq(p.icmp_type, c[i].type);
		if (c[i].want != DEC_OK)
			continue;
		ck_assert_uint_eq(p.family, c[i].family);
		ck_assert_uint_eq(p.sport, 0xbeef);
		ck_assert_uint_eq(p.dport, 0xbeef);
		ck_assert_uint_eq(p.icmp_code, 0);
		ck_assert_uint_eq(p.icmp_error, 0);
		ck_assert_uint_eq(p.l4_off, l4);
		ck_assert_uint_eq(p.payload_len, 32);
		assert_addr(&p.src, c[i].family == 4 ? a4 : a6, c[i].family);
		assert_addr(&p.dst, c[i].family == 4 ? b4 : b6, c[i].family);
		ck_assert_msg(decode_may_start(&p) == c[i].may_start, "family %d type %u",
		    c[i].family, c[i].type);
		/* the code is kept as it is */
		t.b[l4 + 1] = 9;
		ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
		ck_assert_uint_eq(p.icmp_code, 9);
		/* the 8-byte header must be captured, and fit the IP length */
		for (size_t cap = l4; cap < l4 + 8; cap++)
			ck_assert_int_eq(dec(&t, cap, &p), DEC_TRUNCATED);
		ck_assert_int_eq(dec(&t, l4 + 8, &p), DEC_OK);
		ck_assert_uint_eq(p.sport, 0xbeef);
		if (c[i].family == 4)
			put16(t.b + 2, (uint16_t)(l4 + 7));
		else
			put16(t.b + 4, 7);
		ck_assert_int_eq(dec(&t, l4 + 7, &p), DEC_BAD_LENGTH);
	}
}
END_TEST

/* ---- decode: other protocols ---- */

START_TEST(test_other_protocols)
{
	static const uint8_t protos[] = { P_GRE, P_ESP, P_SCTP };
	struct tpkt t;
	struct nb_packet p;

	for (int fam = 4; fam <= 6; fam += 2)
		for (size_t i = 0; i < sizeof(protos); i++) {
			if (fam == 4)
				ip4(&t, protos[i], a4, b4);
			else
				ip6(&t, protos[i], a6, b6);
			grow(&t, 24);
			done(&t);
			ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
			ck_assert_uint_eq(p.kind, NBK_OTHER);
			ck_assert_uint_eq(p.proto, protos[i]);
			ck_assert_uint_eq(p.sport, protos[i]);
			ck_assert_uint_eq(p.dport, protos[i]);
			ck_assert_uint_eq(p.l4_off, fam == 4 ? 20 : 40);
			ck_assert_uint_eq(p.payload_len, 24);
			ck_assert_uint_eq(p.icmp_error, 0);
			assert_addr(&p.src, fam == 4 ? a4 : a6, fam);
			ck_assert(decode_may_start(&p));
			/* nothing of the transport is read: a header-only
			 * copy of the IP header alone decodes */
			ck_assert_int_eq(dec(&t, fam == 4 ? 20 : 40, &p), DEC_OK);
			ck_assert_uint_eq(p.sport, protos[i]);
		}
	/* one family's ICMP number in the other family is just a protocol */
	ip4(&t, P_ICMP6, a4, b4);
	icmp(&t, 128, 0, 1, 1, 0);
	done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.kind, NBK_OTHER);
	ck_assert_uint_eq(p.sport, 58);
	ip6(&t, P_ICMP, a6, b6);
	icmp(&t, 8, 0, 1, 1, 0);
	done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_OK);
	ck_assert_uint_eq(p.kind, NBK_OTHER);
	ck_assert_uint_eq(p.sport, 1);
	ck_assert_uint_eq(p.dport, 1);
}
END_TEST

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

/* ---- decode: a mutation fuzzer over the new packet shapes ---- */

static uint32_t
xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static bool
is_error_type(int family, uint8_t type)
{
	if (family == 4)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

START_TEST(test_mutations)
{
	struct tpkt base[9], q, t;
	struct nb_packet p;
	uint32_t seed = 0x2545f491;
	unsigned ok = 0, errors = 0;
	int nb = 0;

	ip4(&base[nb], P_UDP, a4, b4);
	udp(&base[nb], 40000, 53, 12);
	done(&base[nb++]);
	ip6(&base[nb], P_HOP, a6, b6);
	ext6(&base[nb], P_UDP, 8);
	udp(&base[nb], 5353, 5353, 20);
	done(&base[nb++]);
	ip4(&base[nb], P_ICMP, a4, b4);
	icmp(&base[nb], 8, 0, 0x1234, 1, 16);
	done(&base[nb++]);
	ip6(&base[nb], P_ICMP6, a6, b6);
	icmp(&base[nb], 129, 0, 0x1234, 1, 16);
	done(&base[nb++]);
	ip4(&q, P_UDP, a4, b4);
	udp(&q, 40000, 53, 30);
	done(&q);
	icmp_err(&base[nb++], 4, 3, 3, r4, a4, &q, 28);
	ip6(&q, P_DST, a6, b6);
	ext6(&q, P_TCP, 8);
	tcp(&q, 40000, 443, TH_SYN, 1);
	done(&q);
	icmp_err(&base[nb++], 6, 1, 4, r6, a6, &q, 0);
	ip4(&q, P_ICMP, a4, b4);
	icmp(&q, 8, 0, 0x99, 1, 8);
	done(&q);
	icmp_err(&base[nb++], 4, 11, 0, r4, a4, &q, 0);
	ip6(&q, P_FRAG, a6, b6);
	frag6(&q, P_UDP, 0, 1);
	udp(&q, 1, 2, 8);
	done(&q);
	icmp_err(&base[nb++], 6, 3, 0, r6, a6, &q, 0);
	ip4(&base[nb], P_GRE, a4, b4);
	grow(&base[nb], 12);
	done(&base[nb++]);

	for (int i = 0; i < 60000; i++) {
		const struct tpkt *b = &base[xorshift32(&seed) % (uint32_t)nb];
		int flips = 1 + (int)(xorshift32(&seed) % 4);
		size_t cap;
		enum decode_err e;

		t = *b;
		for (int f = 0; f < flips; f++)
			t.b[xorshift32(&seed) % t.len] = (uint8_t)xorshift32(&seed);
		/* half the time whole, else cut anywhere */
		cap = (xorshift32(&seed) & 1) ? t.len : xorshift32(&seed) % (t.len + 1);
		e = dec(&t, cap, &p);
		ck_assert_int_lt(e, DEC__MAX);
		if (e != DEC_OK)
			continue;
		ok++;
		ck_assert(p.family == 4 || p.family == 6);
		ck_assert_uint_lt(p.kind, NBK__MAX);
		ck_assert_uint_ge(p.l4_off, p.family == 4 ? 20 : 40);
		ck_assert_uint_le(p.l4_off, p.ip_len);
		if (p.icmp_error) {
			errors++;
			/* the error's own header was read */
			ck_assert_uint_le(p.l4_off + 8u, cap);
			ck_assert(is_error_type(p.family, p.icmp_type));
			ck_assert(!decode_may_start(&p));
			if (p.kind == NBK_ICMP)
				ck_assert_uint_eq(p.sport, p.dport);
			if (p.kind == NBK_OTHER) {
				ck_assert_uint_eq(p.sport, p.proto);
				ck_assert_uint_eq(p.dport, p.proto);
			}
			continue;
		}
		switch (p.kind) {
		case NBK_UDP:
			ck_assert_uint_eq(p.proto, 17);
			ck_assert_uint_le(p.l4_off + 8u, cap);
			ck_assert_uint_le(p.l4_off + 8u + p.payload_len, p.ip_len);
			break;
		case NBK_ICMP:
			ck_assert_uint_le(p.l4_off + 8u, cap);
			ck_assert_uint_eq(p.l4_off + 8u + p.payload_len, p.ip_len);
			ck_assert_uint_eq(p.sport, p.dport);
			ck_assert(!is_error_type(p.family, p.icmp_type));
			break;
		case NBK_OTHER:
			ck_assert_uint_eq(p.sport, p.proto);
			ck_assert_uint_eq(p.dport, p.proto);
			ck_assert_uint_eq(p.l4_off + p.payload_len, p.ip_len);
			break;
		case NBK_TCP:
			ck_assert_uint_le(p.l4_off + 20u, cap);
			ck_assert_uint_ge(p.thlen, 20);
			ck_assert_uint_eq(p.l4_off + p.thlen + p.payload_len, p.ip_len);
			break;
		}
	}
	/* the mutations left enough packets whole to mean something */
	ck_assert_uint_gt(ok, 6000);
	ck_assert_uint_gt(errors, 600);
}
END_TEST

/* ---- the trackers, time injected ---- */

static struct nb_packet
dgram(uint8_t kind)
{
	struct nb_packet p;

	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.kind = kind;
	p.proto = kind == NBK_UDP ? 17 : kind == NBK_ICMP ? 1 : 47;
	return p;
}

static const char *
hist(const struct tcp_track *t)
{
	static char h[13];

	tcp_history_str(t, h);
	return h;
}

/* One packet through a live flow's tracker; returns the new state. */
static uint8_t
step(struct tcp_track *t, enum flow_dir dir, const struct nb_packet *p,
    uint64_t now)
{
	struct tcp_result r;
	uint8_t before = t->state;

	memset(&r, 0xff, sizeof(r));
	dgram_track_packet(t, dir, p, now, &r);
	ck_assert_int_eq(r.outcome, TO_OK);
	ck_assert(r.refresh);
	ck_assert_uint_eq(r.old_state, before);
	ck_assert_uint_eq(r.new_state, t->state);
	return t->state;
}

START_TEST(test_udp_track)
{
	struct nb_packet p = dgram(NBK_UDP);
	struct tcp_track t;
	const uint64_t t0 = S(100);

	ck_assert_uint_eq(dgram_first_state(NBK_UDP), TRK_UDP_UNREPLIED);
	memset(&t, 0xee, sizeof(t));
	dgram_track_new(&t, &p, t0);
	ck_assert_uint_eq(t.state, TRK_UDP_UNREPLIED);
	ck_assert_uint_eq(t.flags, 0);
	ck_assert_uint_eq(dgram_born(&t), t0);
	ck_assert_str_eq(hist(&t), "D");
	ck_assert_str_eq(dgram_conn_state(NBK_UDP, &t), "S0");
	/* the originator again */
	ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(0.5)), TRK_UDP_UNREPLIED);
	ck_assert_uint_eq(t.flags, 0);
	ck_assert_str_eq(hist(&t), "D");
	/* the first reply is still timed as unreplied */
	ck_assert_uint_eq(step(&t, DIR_REPLY, &p, t0 + S(1)), TRK_UDP_UNREPLIED);
	ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY);
	ck_assert_str_eq(hist(&t), "Dd");
	ck_assert_str_eq(dgram_conn_state(NBK_UDP, &t), "SF");
	/* both ways, but not yet more than 2 s old */
	ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(1.5)), TRK_UDP_UNREPLIED);
	ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY);
	ck_assert_uint_eq(step(&t, DIR_REPLY, &p, t0 + S(2)), TRK_UDP_UNREPLIED);
	ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY);
	/* past 2 s: the stream timer, and assured */
	ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(2) + 1), TRK_UDP_REPLIED);
	ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY | TTF_ASSURED);
	ck_assert_str_eq(hist(&t), "Dd");
	ck_assert_str_eq(dgram_conn_state(NBK_UDP, &t), "SF");
	ck_assert_uint_eq(step(&t, DIR_REPLY, &p, t0 + S(500)), TRK_UDP_REPLIED);
	ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY | TTF_ASSURED);
	ck_assert_uint_eq(dgram_born(&t), t0);
}
END_TEST

/* A reply that first comes after 2 s: the reply itself stays
 * unreplied (SEEN_REPLY is set after the handler); the next packet,
 * either way, moves the flow. */
START_TEST(test_udp_track_late_reply)
{
	struct nb_packet p = dgram(NBK_UDP);
	struct tcp_track t;
	const uint64_t t0 = S(7);

	for (int next_dir = DIR_ORIG; next_dir <= DIR_REPLY; next_dir++) {
		dgram_track_new(&t, &p, t0);
		for (int i = 1; i <= 9; i++)
			ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(1) * (uint64_t)i),
			    TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(t.flags, 0);
		ck_assert_str_eq(dgram_conn_state(NBK_UDP, &t), "S0");
		ck_assert_uint_eq(step(&t, DIR_REPLY, &p, t0 + S(10)), TRK_UDP_UNREPLIED);
		ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY);
		ck_assert_uint_eq(step(&t, (enum flow_dir)next_dir, &p, t0 + S(10) + 1),
		    TRK_UDP_REPLIED);
		ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY | TTF_ASSURED);
	}
	/* one way only, however long: never replied */
	dgram_track_new(&t, &p, t0);
	for (int i = 1; i <= 100; i++)
		ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(3) * (uint64_t)i),
		    TRK_UDP_UNREPLIED);
	ck_assert_uint_eq(t.flags, 0);
	ck_assert_str_eq(hist(&t), "D");
	ck_assert_str_eq(dgram_conn_state(NBK_UDP, &t), "S0");
}
END_TEST

/* The birth time keeps its high half (ns past 2^32, ~4.3 s): a flow
 * born late in a long run is as young as it is. */
START_TEST(test_udp_track_born_high)
{
	struct nb_packet p = dgram(NBK_UDP);
	struct tcp_track t;
	const uint64_t t0 = 0x123456789abcdef0ULL;

	dgram_track_new(&t, &p, t0);
	ck_assert_uint_eq(dgram_born(&t), t0);
	ck_assert_uint_eq(step(&t, DIR_REPLY, &p, t0 + S(1)), TRK_UDP_UNREPLIED);
	ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(1.5)), TRK_UDP_UNREPLIED);
	ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY);
	ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(2.5)), TRK_UDP_REPLIED);
}
END_TEST

START_TEST(test_icmp_other_track)
{
	static const struct {
		uint8_t kind, state;
	} c[] = { { NBK_ICMP, TRK_ICMP }, { NBK_OTHER, TRK_OTHER } };

	for (size_t i = 0; i < 2; i++) {
		struct nb_packet p = dgram(c[i].kind);
		struct tcp_track t;
		const uint64_t t0 = S(50);

		ck_assert_uint_eq(dgram_first_state(c[i].kind), c[i].state);
		dgram_track_new(&t, &p, t0);
		ck_assert_uint_eq(t.state, c[i].state);
		ck_assert_uint_eq(t.flags, 0);
		ck_assert_str_eq(hist(&t), "");
		ck_assert_str_eq(dgram_conn_state(c[i].kind, &t), "OTH");
		ck_assert_uint_eq(step(&t, DIR_REPLY, &p, t0 + S(1)), c[i].state);
		ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY);
		ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(5)), c[i].state);
		ck_assert_uint_eq(step(&t, DIR_REPLY, &p, t0 + S(500)), c[i].state);
		/* no stream promotion, no ASSURED, no history letters */
		ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY);
		ck_assert_str_eq(hist(&t), "");
		ck_assert_str_eq(dgram_conn_state(c[i].kind, &t), "OTH");
	}
}
END_TEST

/* ---- the engine, time injected ---- */

static const uint8_t tb_c4[4] = { 198, 51, 100, 2 }, tb_s4[4] = { 203, 0, 113, 2 };
static const uint8_t tb_c6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
static const uint8_t tb_s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2 };
static const uint8_t tb_r4[4] = { 192, 0, 2, 254 };
static const uint8_t tb_r6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 0xfe };

#define SRV_PORT 53
/* engine_expire() reaps a flow at the first call in a tick after its
 * deadline's (the deadline itself is exact: lookups compare it). */
#define REAP	(1ULL << ENGINE_WHEEL_TICK_SHIFT)

/* The IP header of a packet from the bench's client or server. */
static void
tb_ip(struct tpkt *k, const struct tb *t, bool from_client, uint8_t proto)
{
	const uint8_t *c = t->v6 ? tb_c6 : tb_c4, *s = t->v6 ? tb_s6 : tb_s4;

	if (t->v6)
		ip6(k, proto, from_client ? c : s, from_client ? s : c);
	else
		ip4(k, proto, from_client ? c : s, from_client ? s : c);
}

static enum verdict_action
tx_pkt(struct tb *t, const struct tpkt *k)
{
	return engine_process(t->e, k->b, k->len, t->now, &t->v);
}

/* UDP between the client's cport and the server's sport. */
static enum verdict_action
tx_udp_port(struct tb *t, bool from_client, uint16_t srv, struct tpkt *out)
{
	struct tpkt k;

	tb_ip(&k, t, from_client, P_UDP);
	udp(&k, from_client ? t->cport : srv, from_client ? srv : t->cport, 20);
	done(&k);
	if (out)
		*out = k;
	return tx_pkt(t, &k);
}

static enum verdict_action
tx_udp(struct tb *t, bool from_client)
{
	return tx_udp_port(t, from_client, SRV_PORT, NULL);
}

/* An echo request (or reply) of the family's ICMP. */
static enum verdict_action
tx_echo(struct tb *t, bool from_client, bool reply, uint16_t id)
{
	struct tpkt k;

	tb_ip(&k, t, from_client, t->v6 ? P_ICMP6 : P_ICMP);
	icmp(&k, t->v6 ? (reply ? 129 : 128) : (reply ? 0 : 8), 0, id, 1, 32);
	done(&k);
	return tx_pkt(t, &k);
}

static enum verdict_action
tx_proto(struct tb *t, bool from_client, uint8_t proto)
{
	struct tpkt k;

	tb_ip(&k, t, from_client, proto);
	grow(&k, 24);
	done(&k);
	return tx_pkt(t, &k);
}

/* A port unreachable about q (which went the other way), from a router
 * on the way back to q's sender (its source is neither endpoint). */
static enum verdict_action
tx_unreach(struct tb *t, const struct tpkt *q)
{
	struct tpkt k;

	if (q->family == 4)
		icmp_err(&k, 4, 3, 3, tb_r4, q->b + 12, q, 28);
	else
		icmp_err(&k, 6, 1, 4, tb_r6, q->b + 8, q, 0);
	return tx_pkt(t, &k);
}

static const struct flow *
vflow(const struct tb *t)
{
	ck_assert_uint_ne(t->v.flow, FLOW_NIL);
	return engine_flow_at(t->e, t->v.flow);
}

static const struct event *
last_ev(const struct tb *t, uint8_t type)
{
	for (unsigned i = t->nev; i-- > 0;)
		if (t->ev[i].type == type)
			return &t->ev[i];
	return NULL;
}

static const char *
fmt_ev(const struct event *ev)
{
	static char buf[512];

	event_format(ev, EVF_TEXT, buf, sizeof(buf));
	return buf;
}

static struct policy_errors perrs;

static void
set(struct policy *p, const char *kv)
{
	memset(&perrs, 0, sizeof(perrs));
	ck_assert_msg(policy_set(p, "--set", kv, &perrs) == 0, "%s: %s", kv, perrs.msg[0]);
}

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
		ck_assert_int_eq(tx_proto(&t, true, P_GRE), V_ACCEPT);
		idx = t.v.flow;
		f = vflow(&t);
		ck_assert_uint_eq(flow_kind(f), NBK_OTHER);
		ck_assert_uint_eq(f->trk.state, TRK_OTHER);
		ck_assert_uint_eq(f->sport, 47);
		ck_assert_uint_eq(f->dport, 47);
		ck_assert_uint_eq(f->deadline, t0 + S(45));
		ev = find_ev(&t, EV_NEW);
		ck_assert_uint_eq(ev->proto, 47);
		ck_assert_ptr_nonnull(strstr(fmt_ev(ev), " proto=47 state=OTHER timer=other timeout=45 "));
		t.now = t0 + S(30);
		ck_assert_int_eq(tx_proto(&t, false, P_GRE), V_ACCEPT);
		ck_assert_uint_eq(t.v.flow, idx);
		ck_assert_uint_eq(t.v.dir, DIR_REPLY);
		ck_assert_uint_eq(f->trk.state, TRK_OTHER);
		ck_assert_uint_eq(f->deadline, t0 + S(75));
		/* ESP between the same hosts is another flow */
		ck_assert_int_eq(tx_proto(&t, true, P_ESP), V_ACCEPT);
		ck_assert_uint_ne(t.v.flow, idx);
		ck_assert_uint_eq(vflow(&t)->sport, 50);
		ck_assert_uint_eq(engine_flow_count(t.e), 2);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(75) - 1, 1000), 0);
		ck_assert_uint_eq(engine_expire(t.e, t0 + S(75) + REAP, 1000), 2);
		ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_EXPIRED_OTHER), 2);
		ev = find_ev(&t, EV_END);
		ck_assert_str_eq(ev->conn_state, "OTH");
		ck_assert_uint_eq(ev->proto, 47);
		ck_assert_str_eq(reason_name(R_EXPIRED_OTHER), "expired:other");
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

	/* unknown.action = pickup: accepted, no flow */
	ck_assert_int_eq(tx_unreach(&t, &q), V_ACCEPT);
	ck_assert_uint_eq(t.v.flow, FLOW_NIL);
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
	ck_assert_uint_eq(engine_stats(t.e)->icmp_errors, 0);
	ck_assert_uint_eq(t.nev, 0);
	ck_assert_int_eq(tx_unreach(&t, &syn), V_ACCEPT);
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
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
	ck_assert_int_eq(tx_proto(&t, true, P_GRE), V_ACCEPT);
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
	ck_assert_int_eq(tx_proto(&t, false, P_GRE), V_DROP);
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

struct nf_cap {
	unsigned n;
	struct verdict v;
};

static void
nf_keep(void *ctx, const struct engine_tpkt *tp, const struct verdict *v)
{
	struct nf_cap *c = ctx;

	(void)tp;
	c->n++;
	c->v = *v;
}

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
		ck_assert_int_eq(tx_proto(&t, true, P_GRE), V_ACCEPT);
		fo = vflow(&t);
		t.now = t0 + S(5);
		ck_assert_int_eq(tx_udp(&t, true), V_ACCEPT);
		ck_assert_int_eq(tx_echo(&t, true, false, 4), V_ACCEPT);
		ck_assert_int_eq(tx_proto(&t, true, P_GRE), V_ACCEPT);
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

/* ---- the profile keys ---- */

static struct policy_errors errs;

static int
pparse(struct policy *p, const char *text)
{
	memset(&errs, 0, sizeof(errs));
	return policy_parse(p, "t.profile", text, strlen(text), NULL, &errs);
}

START_TEST(test_policy_defaults)
{
	struct policy p;

	policy_defaults(&p);
	ck_assert_uint_eq(p.timeout[TRK_UDP_UNREPLIED], S(30));
	ck_assert_uint_eq(p.timeout[TRK_UDP_REPLIED], S(120));
	ck_assert_uint_eq(p.timeout[TRK_ICMP], S(30));
	ck_assert_uint_eq(p.timeout[TRK_OTHER], S(600));
	for (int s = TRK_UDP_UNREPLIED; s < TRK_STATE_MAX; s++)
		ck_assert_uint_eq(p.refresh[s], REFRESH_ANY);
	ck_assert_uint_eq(p.icmp_errors, BAD_ACCEPT);
	ck_assert_str_eq(tcp_state_key(TRK_UDP_UNREPLIED), "udp_unreplied");
	ck_assert_str_eq(tcp_state_key(TRK_UDP_REPLIED), "udp");
	ck_assert_str_eq(tcp_state_key(TRK_ICMP), "icmp");
	ck_assert_str_eq(tcp_state_key(TRK_OTHER), "other");
	ck_assert_str_eq(tcp_state_name(TRK_UDP_REPLIED), "UDP_REPLIED");
}
END_TEST

START_TEST(test_policy_keys)
{
	struct policy d, p;

	policy_defaults(&d);
#define TIMEOUTS_BUT(st, v) do { \
		for (int s_ = 0; s_ < TRK_STATE_MAX; s_++) \
			ck_assert_uint_eq(p.timeout[s_], s_ == (st) ? (v) : d.timeout[s_]); \
		ck_assert_mem_eq(p.refresh, d.refresh, sizeof(p.refresh)); \
	} while (0)
	ck_assert_int_eq(pparse(&p, "timeout.udp_unreplied = 45s\n"), 0);
	TIMEOUTS_BUT(TRK_UDP_UNREPLIED, S(45));
	ck_assert_int_eq(pparse(&p, "timeout.udp = 3m\n"), 0);
	TIMEOUTS_BUT(TRK_UDP_REPLIED, S(180));
	ck_assert_int_eq(pparse(&p, "timeout.udp_replied = 4m\n"), 0);
	TIMEOUTS_BUT(TRK_UDP_REPLIED, S(240));
	ck_assert_int_eq(pparse(&p, "timeout.icmp = 5s\n"), 0);
	TIMEOUTS_BUT(TRK_ICMP, S(5));
	ck_assert_int_eq(pparse(&p, "timeout.other = 1h\n"), 0);
	TIMEOUTS_BUT(TRK_OTHER, S(3600));
	ck_assert_int_eq(pparse(&p, "timeout.udp_unreplied = 250ms\n"), 0);
	TIMEOUTS_BUT(TRK_UDP_UNREPLIED, S(0.25));
#undef TIMEOUTS_BUT

#define REFRESH_ONLY(a, b, c, e) do { \
		ck_assert_uint_eq(p.refresh[TRK_UDP_UNREPLIED], (a)); \
		ck_assert_uint_eq(p.refresh[TRK_UDP_REPLIED], (b)); \
		ck_assert_uint_eq(p.refresh[TRK_ICMP], (c)); \
		ck_assert_uint_eq(p.refresh[TRK_OTHER], (e)); \
		for (int s_ = 0; s_ < TCP_STATE_MAX; s_++) \
			ck_assert_uint_eq(p.refresh[s_], REFRESH_ANY); \
		ck_assert_mem_eq(p.timeout, d.timeout, sizeof(p.timeout)); \
	} while (0)
	ck_assert_int_eq(pparse(&p, "refresh.udp = orig\n"), 0);
	REFRESH_ONLY(REFRESH_ORIG, REFRESH_ORIG, REFRESH_ANY, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.udp = none\n"), 0);
	REFRESH_ONLY(REFRESH_NONE, REFRESH_NONE, REFRESH_ANY, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.udp_unreplied = reply\n"), 0);
	REFRESH_ONLY(REFRESH_REPLY, REFRESH_ANY, REFRESH_ANY, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.udp_replied = none\n"), 0);
	REFRESH_ONLY(REFRESH_ANY, REFRESH_NONE, REFRESH_ANY, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.icmp = orig\n"), 0);
	REFRESH_ONLY(REFRESH_ANY, REFRESH_ANY, REFRESH_ORIG, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.other = reply\n"), 0);
	REFRESH_ONLY(REFRESH_ANY, REFRESH_ANY, REFRESH_ANY, REFRESH_REPLY);
	/* a member after its group overrides it */
	ck_assert_int_eq(pparse(&p, "refresh.udp = orig\nrefresh.udp_replied = reply\n"), 0);
	REFRESH_ONLY(REFRESH_ORIG, REFRESH_REPLY, REFRESH_ANY, REFRESH_ANY);
#undef REFRESH_ONLY

	ck_assert_int_eq(pparse(&p, "icmp.errors = drop\n"), 0);
	ck_assert_uint_eq(p.icmp_errors, BAD_DROP);
	ck_assert_int_eq(pparse(&p, "icmp.errors = pass\n"), 0);
	ck_assert_uint_eq(p.icmp_errors, BAD_ACCEPT);

	/* --set: the same keys */
	policy_defaults(&p);
	set(&p, "refresh.udp=reply");
	ck_assert_uint_eq(p.refresh[TRK_UDP_UNREPLIED], REFRESH_REPLY);
	ck_assert_uint_eq(p.refresh[TRK_UDP_REPLIED], REFRESH_REPLY);
	set(&p, "timeout.udp=7s");
	ck_assert_uint_eq(p.timeout[TRK_UDP_REPLIED], S(7));
	ck_assert_uint_eq(p.timeout[TRK_UDP_UNREPLIED], S(30));
	set(&p, "icmp.errors=drop");
	ck_assert_uint_eq(p.icmp_errors, BAD_DROP);
}
END_TEST

static const struct {
	const char *line, *msg;
} bad[] = {
	{ "timeout.udp = 30", "duration needs a unit: '30'" },
	{ "timeout.udp_unreplied = 0s", "timeout must be longer than 0s: '0s'" },
	{ "timeout.icmp = soon", "invalid duration: 'soon'" },
	{ "timeout.other = 400d", "duration out of range (at most 365d): '400d'" },
	{ "timeout.udp_replied = 1x", "unknown duration unit (use d, h, m, s, ms): '1x'" },
	{ "refresh.udp = sometimes", "expected any, orig, reply or none: 'sometimes'" },
	{ "refresh.udp_unreplied = both", "expected any, orig, reply or none: 'both'" },
	{ "refresh.icmp = 1", "expected any, orig, reply or none: '1'" },
	{ "refresh.other = ANY", "expected any, orig, reply or none: 'ANY'" },
	{ "icmp.errors = accept", "expected pass or drop: 'accept'" },
	{ "icmp.errors = reset", "expected pass or drop: 'reset'" },
	{ "icmp.errors =", "empty value for 'icmp.errors'" },
	{ "timeout.udp_stream = 1m", "unknown key 'timeout.udp_stream'" },
	{ "refresh.dgram = any", "unknown key 'refresh.dgram'" },
	{ "icmp.error = drop", "unknown key 'icmp.error'" },
};

START_TEST(test_policy_bad_values)
{
	char text[256], want[256];
	struct policy p, before;

	policy_defaults(&p);
	p.timeout[TRK_UDP_REPLIED] = S(1);
	before = p;
	snprintf(text, sizeof(text), "# first line\n%s\n", bad[_i].line);
	ck_assert_int_eq(pparse(&p, text), -1);
	ck_assert_uint_eq(errs.count, 1);
	snprintf(want, sizeof(want), "t.profile:2: %s", bad[_i].msg);
	ck_assert_str_eq(errs.msg[0], want);
	/* a failed parse leaves the policy alone */
	ck_assert_mem_eq(p.timeout, before.timeout, sizeof(p.timeout));
	/* the same through --set */
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(policy_set(&p, "--set", bad[_i].line, &errs), -1);
	ck_assert_uint_eq(errs.count, 1);
	snprintf(want, sizeof(want), "--set: %s", bad[_i].msg);
	ck_assert_str_eq(errs.msg[0], want);
	ck_assert_mem_eq(p.timeout, before.timeout, sizeof(p.timeout));
	ck_assert_mem_eq(p.refresh, before.refresh, sizeof(p.refresh));
	ck_assert_uint_eq(p.icmp_errors, before.icmp_errors);
}
END_TEST

START_TEST(test_policy_duplicates)
{
	struct policy p;

	/* timeout.udp is timeout.udp_replied spelled short */
	ck_assert_int_eq(pparse(&p, "timeout.udp = 1m\ntimeout.udp_replied = 2m\n"), -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:2: duplicate key 'timeout.udp_replied' (first set on line 1)");
	ck_assert_int_eq(pparse(&p, "refresh.udp = orig\n\nrefresh.udp = any\n"), -1);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:3: duplicate key 'refresh.udp' (first set on line 1)");
	ck_assert_int_eq(pparse(&p, "icmp.errors = drop\nicmp.errors = pass\n"), -1);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:2: duplicate key 'icmp.errors' (first set on line 1)");
}
END_TEST

START_TEST(test_policy_round_trip)
{
	char a[8192], b[8192];
	struct policy p, q;
	size_t n;

	for (int variant = 0; variant < 2; variant++) {
		policy_defaults(&p);
		memset(p.name, 0, sizeof(p.name));
		strcpy(p.name, "dgram");
		if (variant == 0) {
			p.timeout[TRK_UDP_UNREPLIED] = S(45);
			p.timeout[TRK_UDP_REPLIED] = S(180);
			p.timeout[TRK_ICMP] = S(5);
			p.timeout[TRK_OTHER] = S(3600);
			p.refresh[TRK_UDP_UNREPLIED] = REFRESH_ORIG;
			p.refresh[TRK_UDP_REPLIED] = REFRESH_REPLY;
			p.refresh[TRK_ICMP] = REFRESH_NONE;
			p.refresh[TRK_OTHER] = REFRESH_ORIG;
			p.icmp_errors = BAD_DROP;
		} else {
			p.timeout[TRK_UDP_UNREPLIED] = S(0.25);
			p.timeout[TRK_UDP_REPLIED] = S(7441);
			p.timeout[TRK_ICMP] = S(0.001);
			p.timeout[TRK_OTHER] = S(86400) * 365;
			p.refresh[TRK_UDP_REPLIED] = REFRESH_NONE;
			p.refresh[TRK_OTHER] = REFRESH_REPLY;
		}
		n = policy_format(&p, a, sizeof(a));
		ck_assert_uint_lt(n, sizeof(a));
		if (variant == 0) {
			ck_assert_ptr_nonnull(strstr(a, "\ntimeout.syn_sent2 = 2m\n"
			    "timeout.udp_unreplied = 45s\ntimeout.udp = 3m\n"
			    "timeout.icmp = 5s\ntimeout.other = 1h\n"));
			ck_assert_ptr_nonnull(strstr(a, "\nrefresh.udp_unreplied = orig\n"
			    "refresh.udp_replied = reply\nrefresh.icmp = none\n"
			    "refresh.other = orig\n"));
			ck_assert_ptr_nonnull(strstr(a, "\nicmp.errors = drop\n"));
		} else {
			ck_assert_ptr_nonnull(strstr(a, "\ntimeout.udp_unreplied = 250ms\n"
			    "timeout.udp = 7441s\ntimeout.icmp = 1ms\ntimeout.other = 365d\n"));
			ck_assert_ptr_nonnull(strstr(a, "\nicmp.errors = pass\n"));
		}
		memset(&errs, 0, sizeof(errs));
		if (policy_parse(&q, "fmt", a, n, NULL, &errs) != 0)
			ck_abort_msg("format output does not parse: %s\n%s", errs.msg[0], a);
		assert_same_policy(&p, &q);
		policy_format(&q, b, sizeof(b));
		ck_assert_str_eq(a, b);
	}
}
END_TEST

START_TEST(test_policy_json)
{
	char buf[8192];
	struct policy p;

	policy_defaults(&p);
	policy_format_json(&p, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, ",\"icmp_errors\":\"pass\","));
	ck_assert_ptr_nonnull(strstr(buf, "\"udp_unreplied\":30,\"udp\":120,\"icmp\":30,\"other\":600,"));
	p.icmp_errors = BAD_DROP;
	p.timeout[TRK_UDP_UNREPLIED] = S(45);
	p.timeout[TRK_UDP_REPLIED] = S(0.5);
	p.refresh[TRK_UDP_UNREPLIED] = REFRESH_ORIG;
	p.refresh[TRK_UDP_REPLIED] = REFRESH_REPLY;
	p.refresh[TRK_ICMP] = REFRESH_NONE;
	policy_format_json(&p, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, ",\"icmp_errors\":\"drop\","));
	ck_assert_ptr_null(strstr(buf, "\"pass\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"udp_unreplied\":45,\"udp\":0.5,\"icmp\":30,\"other\":600,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"udp_unreplied\":\"orig\",\"udp_replied\":\"reply\","
	    "\"icmp\":\"none\",\"other\":\"any\"}"));
}
END_TEST

Suite *
suite_track(void)
{
	Suite *s = suite_create("track");
	TCase *tc;

	tc = tcase_create("decode");
	tcase_add_test(tc, test_udp4);
	tcase_add_test(tc, test_udp6);
	tcase_add_test(tc, test_icmp_queries);
	tcase_add_test(tc, test_other_protocols);
	tcase_add_test(tc, test_icmp_error_udp4);
	tcase_add_test(tc, test_icmp_error_tcp4);
	tcase_add_test(tc, test_icmp6_error_udp_ext);
	tcase_add_test(tc, test_icmp_error_quotes_query);
	tcase_add_test(tc, test_icmp_error_bad_quote);
	tcase_add_test(tc, test_may_start);
	tcase_add_test(tc, test_mutations);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("tracker");
	tcase_add_test(tc, test_udp_track);
	tcase_add_test(tc, test_udp_track_late_reply);
	tcase_add_test(tc, test_udp_track_born_high);
	tcase_add_test(tc, test_icmp_other_track);
	suite_add_tcase(s, tc);

	tc = tcase_create("engine");
	tcase_add_test(tc, test_udp_unreplied_expires);
	tcase_add_test(tc, test_udp_replied_timeout);
	tcase_add_test(tc, test_udp_refresh_direction);
	tcase_add_test(tc, test_icmp_echo_session);
	tcase_add_test(tc, test_other_protocol_flow);
	tcase_add_test(tc, test_icmp_error_live_flow);
	tcase_add_test(tc, test_icmp_error_query_other_flow);
	tcase_add_test(tc, test_icmp_error_tcp_flow);
	tcase_add_test(tc, test_icmp_errors_drop);
	tcase_add_test(tc, test_icmp_error_no_flow);
	tcase_add_test(tc, test_icmp_error_dead_flow);
	tcase_add_test(tc, test_echo_reply_no_request);
	tcase_add_test(tc, test_reset_sender_dead_udp);
	tcase_add_test(tc, test_tcp_udp_same_ports);
	tcase_add_test(tc, test_no_flow_dgram);
	tcase_add_test(tc, test_retime_dgram);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_test(tc, test_policy_defaults);
	tcase_add_test(tc, test_policy_keys);
	tcase_add_loop_test(tc, test_policy_bad_values, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_policy_duplicates);
	tcase_add_test(tc, test_policy_round_trip);
	tcase_add_test(tc, test_policy_json);
	suite_add_tcase(s, tc);
	return s;
}
