/* check_track.c -- UDP, ICMP query and other-protocol packets decoded, a mutation fuzzer over their shapes, and the trackers with injected time (dgram_tb.h: the bench). */
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

	/* an IP payload too short for a UDP header: udp_error()'s "short
	 * packet", INVALID to the kernel */
	ip4(&t, P_UDP, a4, b4);
	grow(&t, 6);
	done(&t);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_SHORT_L4);
	ck_assert(decode_err_invalid(DEC_SHORT_L4));
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
		/* decoded, of no flow: the engine calls them invalid, as
		 * the kernel's icmp_packet() (s20_kernel_dgram.sh) */
		{ 4, 9, DEC_OK, false },	/* router advertisement */
		{ 4, 10, DEC_OK, false },	/* router solicitation */
		{ 4, 42, DEC_OK, false },	/* extended echo request */
		{ 6, 128, DEC_OK, true },	/* echo request */
		{ 6, 129, DEC_OK, false },	/* echo reply */
		{ 6, 139, DEC_OK, true },	/* node information query */
		{ 6, 140, DEC_OK, false },
		{ 6, 133, DEC_NOT_TCP, false },	/* router solicitation */
		{ 6, 135, DEC_NOT_TCP, false },	/* neighbour solicitation */
		{ 6, 143, DEC_NOT_TCP, false },	/* MLDv2 report */
		{ 6, 137, DEC_OK, false },	/* redirect: tracked by the kernel */
		{ 6, 200, DEC_OK, false },	/* private experimentation */
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
		ck_assert_int_eq(dec(&t, l4 + 7, &p), DEC_SHORT_L4);
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
	p.proto = kind == NBK_UDP ? 17 : kind == NBK_ICMP ? 1 : 50;	/* ESP */
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

	ck_assert_uint_eq(dgram_first_state(NBK_UDP, P_UDP), TRK_UDP_UNREPLIED);
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

		ck_assert_uint_eq(dgram_first_state(c[i].kind, p.proto), c[i].state);
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

/*
 * nf_conntrack_gre_packet(): timed gre_timeout (unreplied) until
 * IPS_SEEN_REPLY, which nf_conntrack_in() sets after the handler ran, so
 * the first reply itself is still unreplied; the next packet either way
 * takes gre_timeout_stream and sets ASSURED, with no 2 s wait (UDP's).
 */
START_TEST(test_gre_track)
{
	struct nb_packet p = dgram(NBK_OTHER);
	struct tcp_track t;
	const uint64_t t0 = S(50);

	p.proto = P_GRE;
	ck_assert_uint_eq(dgram_first_state(NBK_OTHER, P_GRE), TRK_GRE_UNREPLIED);
	ck_assert_uint_eq(dgram_first_state(NBK_OTHER, P_ESP), TRK_OTHER);
	dgram_track_new(&t, &p, t0);
	ck_assert_uint_eq(t.state, TRK_GRE_UNREPLIED);
	ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(0.1)), TRK_GRE_UNREPLIED);
	ck_assert_uint_eq(t.flags, 0);
	ck_assert_uint_eq(step(&t, DIR_REPLY, &p, t0 + S(0.2)), TRK_GRE_UNREPLIED);
	ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY);
	ck_assert_uint_eq(step(&t, DIR_ORIG, &p, t0 + S(0.3)), TRK_GRE_REPLIED);
	ck_assert_uint_eq(t.flags, TTF_SEEN_REPLY | TTF_ASSURED);
	ck_assert_uint_eq(step(&t, DIR_REPLY, &p, t0 + S(9)), TRK_GRE_REPLIED);
	ck_assert_str_eq(dgram_conn_state(NBK_OTHER, &t), "OTH");
	ck_assert_str_eq(tcp_state_key(TRK_GRE_UNREPLIED), "gre_unreplied");
	ck_assert_str_eq(tcp_state_key(TRK_GRE_REPLIED), "gre");
}
END_TEST

Suite *
suite_track(void)
{
	Suite *st = suite_create("track");
	TCase *tc;

	tc = tcase_create("decode");
	tcase_add_test(tc, test_udp4);
	tcase_add_test(tc, test_udp6);
	tcase_add_test(tc, test_icmp_queries);
	tcase_add_test(tc, test_other_protocols);
	suite_add_tcase(st, tc);

	tc = tcase_create("mutations");
	tcase_add_test(tc, test_mutations);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(st, tc);

	tc = tcase_create("tracker");
	tcase_add_test(tc, test_udp_track);
	tcase_add_test(tc, test_udp_track_late_reply);
	tcase_add_test(tc, test_udp_track_born_high);
	tcase_add_test(tc, test_icmp_other_track);
	tcase_add_test(tc, test_gre_track);
	suite_add_tcase(st, tc);
	return st;
}
