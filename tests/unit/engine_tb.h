/* engine_tb.h -- the unit tests' engine bench: one client and one server through an engine, packets built by hand, events and RSTs recorded. */
#ifndef NATBOX_ENGINE_TB_H
#define NATBOX_ENGINE_TB_H

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "pkt_tb.h"

#define S(x)	((uint64_t)((x) * 1e9))
#define MAXEV	4096

/* A test bench: one client (198.51.100.2:40000) talking to one server
 * (203.0.113.2:80) through an engine, or over IPv6 with v6 set. */
struct tb {
	struct engine *e;
	struct policy pol;
	uint32_t cseq, sseq;
	uint16_t cport;
	bool v6;
	uint64_t now;
	struct verdict v;
	struct event ev[MAXEV];
	unsigned nev;
	struct rst_spec rst[16];
	unsigned nrst;
};

static inline void
on_event(void *ctx, const struct event *ev)
{
	struct tb *t = ctx;

	if (t->nev < MAXEV)
		t->ev[t->nev++] = *ev;
}

static inline void
on_rst(void *ctx, const struct rst_spec *r)
{
	struct tb *t = ctx;

	if (t->nrst < 16)
		t->rst[t->nrst++] = *r;
}

/* Header-only packet (the live path copies ~128 bytes): the IP length
 * says len bytes of payload follow, the buffer holds only headers. */
static inline size_t
build(uint8_t *b, bool v6, bool from_client, uint16_t cport, uint8_t flags,
    uint32_t seq, uint32_t ack, uint32_t len)
{
	static const uint8_t c4[4] = { 198, 51, 100, 2 }, s4[4] = { 203, 0, 113, 2 };
	static const uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2 };
	uint8_t *tcp;
	size_t iph = v6 ? 40 : 20;

	memset(b, 0, 80);
	if (v6) {
		b[0] = 0x60;
		put16(b + 4, (uint16_t)(20 + len));
		b[6] = 6;
		b[7] = 64;
		memcpy(b + 8, from_client ? c6 : s6, 16);
		memcpy(b + 24, from_client ? s6 : c6, 16);
	} else {
		b[0] = 0x45;
		put16(b + 2, (uint16_t)(40 + len));
		b[8] = 64;
		b[9] = 6;
		memcpy(b + 12, from_client ? c4 : s4, 4);
		memcpy(b + 16, from_client ? s4 : c4, 4);
	}
	tcp = b + iph;
	put16(tcp, from_client ? cport : 80);
	put16(tcp + 2, from_client ? 80 : cport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	return iph + 20;
}

/* A datagram between the same two IPv4 hosts, header-only: UDP
 * (client port cport, server port 53), an ICMP echo (request from the
 * client, reply from the server, identifier cport), or any other
 * protocol (no header of its own); len bytes of payload. */
static inline size_t
build_dgram(uint8_t *b, uint8_t proto, bool from_client, uint16_t cport, uint32_t len)
{
	static const uint8_t c4[4] = { 198, 51, 100, 2 }, s4[4] = { 203, 0, 113, 2 };
	size_t l4 = proto == 17 || proto == 1 ? 8 : 0;

	memset(b, 0, 28);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(20 + l4 + len));
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, from_client ? c4 : s4, 4);
	memcpy(b + 16, from_client ? s4 : c4, 4);
	if (proto == 17) {
		put16(b + 20, from_client ? cport : 53);
		put16(b + 22, from_client ? 53 : cport);
		put16(b + 24, (uint16_t)(8 + len));
	} else if (proto == 1) {
		b[20] = from_client ? 8 : 0;
		put16(b + 24, cport);
	}
	return 20 + l4;
}

/* The server's ICMP port unreachable for the client's UDP datagram q as
 * build_dgram() wrote it (its 28 bytes: IP and UDP headers, quoted). */
static inline size_t
build_unreach(uint8_t *b, const uint8_t *q)
{
	static const uint8_t c4[4] = { 198, 51, 100, 2 }, s4[4] = { 203, 0, 113, 2 };

	memset(b, 0, 28);
	b[0] = 0x45;
	put16(b + 2, 20 + 8 + 28);
	b[8] = 64;
	b[9] = 1;
	memcpy(b + 12, s4, 4);
	memcpy(b + 16, c4, 4);
	b[20] = 3;		/* destination unreachable */
	b[21] = 3;		/* port unreachable */
	memcpy(b + 28, q, 28);
	return 56;
}

/* Send a segment from the client (orig) or server; seqs advance as a
 * real sender's would, whatever the verdict. Returns the action. */
static inline enum verdict_action
tx(struct tb *t, bool from_client, uint8_t flags, uint32_t len)
{
	uint8_t b[80];
	uint32_t *my = from_client ? &t->cseq : &t->sseq;
	uint32_t peer = from_client ? t->sseq : t->cseq;
	size_t n = build(b, t->v6, from_client, t->cport, flags, *my,
	    (flags & TH_ACK) ? peer : 0, len);

	*my += len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	return engine_process(t->e, b, n, t->now, &t->v);
}

static inline void
tb_init(struct tb *t)
{
	memset(t, 0, sizeof(*t));
	policy_defaults(&t->pol);
	t->pol.max_flows = 64;
	t->cseq = 1000;
	t->sseq = 900000;
	t->cport = 40000;
	t->now = S(100);
}

static inline void
tb_start(struct tb *t)
{
	struct engine_ops ops = { on_event, on_rst, t };
	uint64_t seed[2] = { 1, 2 };

	t->e = engine_new(&t->pol, &ops, seed, t->now);
	ck_assert_ptr_nonnull(t->e);
}

static inline void
tb_done(struct tb *t)
{
	engine_free(t->e);
}

static inline void
handshake(struct tb *t)
{
	ck_assert_int_eq(tx(t, true, TH_SYN, 0), V_ACCEPT);
	ck_assert_int_eq(tx(t, false, TH_SYN | TH_ACK, 0), V_ACCEPT);
	ck_assert_int_eq(tx(t, true, TH_ACK, 0), V_ACCEPT);
}

static inline unsigned
count_ev(const struct tb *t, uint8_t type, uint16_t reason)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->nev; i++)
		if (t->ev[i].type == type && (reason == R_NONE || t->ev[i].reason == reason))
			n++;
	return n;
}

static inline const struct event *
find_ev(const struct tb *t, uint8_t type)
{
	for (unsigned i = 0; i < t->nev; i++)
		if (t->ev[i].type == type)
			return &t->ev[i];
	return NULL;
}

/* The ByteBlower NAT: its mapping dies T after the first FIN, however
 * much data the server still sends and whatever states follow. */
static inline void
fin_kills_mapping(struct policy *p, uint64_t T)
{
	for (int s = TCP_FIN_WAIT; s <= TCP_CLOSE; s++) {
		p->timeout[s] = T;
		p->refresh[s] = REFRESH_NONE;
	}
	p->after_expiry = LATE_DROP;
}

/* engine_process_timed()'s verdicts, counted, the last one kept. */
struct nf_cap {
	unsigned n;
	struct verdict v;
};

static inline void
nf_keep(void *ctx, const struct engine_tpkt *tp, const struct verdict *v)
{
	struct nf_cap *c = ctx;

	(void)tp;
	c->n++;
	c->v = *v;
}

#endif
