/* dgram_tb.h -- the UDP/ICMP/other-protocol tests' bench: packets built by
 * hand (both families, ICMP errors quoting them; pkt_tb.h builds), decoded
 * from exact-size copies, and sent through an engine (engine_tb.h) with
 * injected time. */
#ifndef NATBOX_DGRAM_TB_H
#define NATBOX_DGRAM_TB_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "engine.h"
#include "engine_tb.h"
#include "event.h"
#include "pkt_tb.h"
#include "policy.h"

/* ---- packet builders ---- */

/* client, server and a router between them (documentation prefixes) */
static const uint8_t a4[4] = { 198, 51, 100, 10 };
static const uint8_t b4[4] = { 203, 0, 113, 20 };
static const uint8_t r4[4] = { 192, 0, 2, 1 };
static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
static const uint8_t r6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };

/* The builders under this bench's names (TTL and hop limit 64). */
static inline uint8_t *
grow(struct tpkt *t, size_t n)
{
	return tp_grow(t, n);
}

static inline void
ip4(struct tpkt *t, uint8_t proto, const uint8_t *src, const uint8_t *dst)
{
	pkt_ip4(t, 5, proto, 0, src, dst);
}

static inline void
ip6(struct tpkt *t, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
	pkt_ip6(t, nh, 64, src, dst);
}

/* Hop-by-hop or destination options of len bytes (a multiple of 8). */
static inline void
ext6(struct tpkt *t, uint8_t nh, size_t len)
{
	tp_ext(t, nh, len);
}

static inline void
frag6(struct tpkt *t, uint8_t nh, unsigned off8, int mf)
{
	tp_frag(t, nh, off8, mf);
}

/* UDP header whose length field covers plen payload bytes. */
static inline void
udp(struct tpkt *t, uint16_t sport, uint16_t dport, size_t plen)
{
	pkt_udp(t, sport, dport, plen);
}

/* ICMP/ICMPv6 header (type, code, checksum, identifier, sequence). */
static inline void
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

static inline void
tcp(struct tpkt *t, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq)
{
	pkt_tcp(t, sport, dport, flags, seq, 0, NULL, 0, 0);
}

static inline void
raw(struct tpkt *t, const uint8_t *b, size_t n)
{
	memcpy(grow(t, n), b, n);
}

/* Set the (outer) IP length field from what was built. */
static inline void
done(struct tpkt *t)
{
	tp_done(t);
}

/* An ICMP (family 4) or ICMPv6 error from `from` to `to` quoting the
 * first qlen bytes of q (all of it if qlen is 0). */
static inline void
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

static inline void
assert_addr(const struct nb_addr *a, const uint8_t *want, int family)
{
	struct nb_addr w;

	memset(&w, 0, sizeof(w));
	memcpy(w.b, want, family == 4 ? 4 : 16);
	ck_assert_mem_eq(a->b, w.b, 16);
}

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
static inline void
tb_ip(struct tpkt *k, const struct tb *t, bool from_client, uint8_t proto)
{
	const uint8_t *c = t->v6 ? tb_c6 : tb_c4, *s = t->v6 ? tb_s6 : tb_s4;

	if (t->v6)
		ip6(k, proto, from_client ? c : s, from_client ? s : c);
	else
		ip4(k, proto, from_client ? c : s, from_client ? s : c);
}

static inline enum verdict_action
tx_pkt(struct tb *t, const struct tpkt *k)
{
	return engine_process(t->e, k->b, k->len, t->now, &t->v);
}

/* UDP between the client's cport and the server's sport. */
static inline enum verdict_action
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

static inline enum verdict_action
tx_udp(struct tb *t, bool from_client)
{
	return tx_udp_port(t, from_client, SRV_PORT, NULL);
}

/* An ICMP query or reply of the family's ICMP, of any type and code. */
static inline enum verdict_action
tx_icmpq(struct tb *t, bool from_client, uint8_t type, uint8_t code, uint16_t id)
{
	struct tpkt k;

	tb_ip(&k, t, from_client, t->v6 ? P_ICMP6 : P_ICMP);
	icmp(&k, type, code, id, 1, 32);
	done(&k);
	return tx_pkt(t, &k);
}

/* An echo request (or reply) of the family's ICMP. */
static inline enum verdict_action
tx_echo(struct tb *t, bool from_client, bool reply, uint16_t id)
{
	return tx_icmpq(t, from_client, t->v6 ? (reply ? 129 : 128) : (reply ? 0 : 8), 0, id);
}

static inline enum verdict_action
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
static inline enum verdict_action
tx_unreach(struct tb *t, const struct tpkt *q)
{
	struct tpkt k;

	if (q->family == 4)
		icmp_err(&k, 4, 3, 3, tb_r4, q->b + 12, q, 28);
	else
		icmp_err(&k, 6, 1, 4, tb_r6, q->b + 8, q, 0);
	return tx_pkt(t, &k);
}

static inline const struct flow *
vflow(const struct tb *t)
{
	ck_assert_uint_ne(t->v.flow, FLOW_NIL);
	return engine_flow_at(t->e, t->v.flow);
}

static inline const struct event *
last_ev(const struct tb *t, uint8_t type)
{
	for (unsigned i = t->nev; i-- > 0;)
		if (t->ev[i].type == type)
			return &t->ev[i];
	return NULL;
}

static inline const char *
fmt_ev(const struct event *ev)
{
	static char buf[512];

	event_format(ev, EVF_TEXT, buf, sizeof(buf));
	return buf;
}

static struct policy_errors perrs;

static inline void
set(struct policy *p, const char *kv)
{
	memset(&perrs, 0, sizeof(perrs));
	ck_assert_msg(policy_set(p, "--set", kv, &perrs) == 0, "%s: %s", kv, perrs.msg[0]);
}

#endif
