/* pkt_tb.h -- the unit tests' packet builder: IPv4 and IPv6 packets (options,
 * extension headers, fragments, TCP and UDP) built by hand, and decoded
 * from exact-size heap copies. decode_tb.h and dgram_tb.h name it their
 * way; engine_tb.h stores through its put16/put32. */
#ifndef NATBOX_PKT_TB_H
#define NATBOX_PKT_TB_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "decode.h"

/* Protocol numbers, spelled out here so the tests do not lean on
 * <netinet/in.h> agreeing with the decoder by accident. */
#define P_HOP	0
#define P_ICMP	1
#define P_TCP	6
#define P_UDP	17
#define P_RT	43
#define P_FRAG	44
#define P_GRE	47
#define P_ESP	50
#define P_AH	51
#define P_ICMP6	58
#define P_NONE	59
#define P_DST	60
#define P_SCTP	132

#define MAXPKT	2048

/* A packet under construction: builders append at len. */
struct tpkt {
	uint8_t b[MAXPKT];
	size_t len;
	int family;
};

/* bytes.h's stores under the names the tests use. */
static inline void
put16(uint8_t *p, uint16_t v)
{
	wr16(p, v);
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	wr32(p, v);
}

static inline uint8_t *
tp_grow(struct tpkt *t, size_t n)
{
	uint8_t *at = t->b + t->len;

	ck_assert_uint_le(t->len + n, MAXPKT);
	memset(at, 0, n);
	t->len += n;
	return at;
}

/* A new packet: IPv4 header of ihl words, TTL 64, fragment field frag;
 * the options are NOPs (then EOL). */
static inline void
pkt_ip4(struct tpkt *t, unsigned ihl, uint8_t proto, unsigned frag,
    const uint8_t *src, const uint8_t *dst)
{
	uint8_t *h;

	memset(t, 0, sizeof(*t));
	t->family = 4;
	h = tp_grow(t, ihl * 4);
	h[0] = (uint8_t)(0x40 | (ihl & 0x0f));
	put16(h + 4, 0x1234);
	put16(h + 6, (uint16_t)frag);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	for (unsigned i = 20; i < ihl * 4; i++)
		h[i] = i + 1 < ihl * 4 ? 1 : 0;
}

/* A new packet: IPv6 header, next header nh. */
static inline void
pkt_ip6(struct tpkt *t, uint8_t nh, uint8_t hlim, const uint8_t *src,
    const uint8_t *dst)
{
	uint8_t *h;

	memset(t, 0, sizeof(*t));
	t->family = 6;
	h = tp_grow(t, 40);
	h[0] = 0x60;
	h[6] = nh;
	h[7] = hlim;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
}

/* Hop-by-hop, routing or destination options of len bytes (8k). */
static inline void
tp_ext(struct tpkt *t, uint8_t nh, size_t len)
{
	uint8_t *h = tp_grow(t, len);

	h[0] = nh;
	h[1] = (uint8_t)(len / 8 - 1);
	if (len > 2)
		h[2] = 1;	/* PadN, so the header is well formed */
	if (len > 3)
		h[3] = (uint8_t)(len - 4);
}

static inline void
tp_frag(struct tpkt *t, uint8_t nh, unsigned off8, int mf)
{
	uint8_t *h = tp_grow(t, 8);

	h[0] = nh;
	put16(h + 2, (uint16_t)(off8 << 3 | (mf ? 1 : 0)));
	put32(h + 4, 0xdeadbeef);
}

/* TCP header with opts padded by EOL to a word, window 64240, then plen
 * payload bytes. */
static inline void
pkt_tcp(struct tpkt *t, uint16_t sport, uint16_t dport, uint8_t flags,
    uint32_t seq, uint32_t ack, const uint8_t *opts, size_t optlen, size_t plen)
{
	size_t olen = (optlen + 3) & ~(size_t)3;
	uint8_t *h = tp_grow(t, 20 + olen);

	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, seq);
	put32(h + 8, ack);
	h[12] = (uint8_t)((20 + olen) / 4 << 4);
	h[13] = flags;
	put16(h + 14, 64240);
	if (optlen)
		memcpy(h + 20, opts, optlen);
	h = tp_grow(t, plen);
	for (size_t i = 0; i < plen; i++)
		h[i] = (uint8_t)(0x5a ^ i);
}

/* UDP header whose length field covers plen payload bytes. */
static inline void
pkt_udp(struct tpkt *t, uint16_t sport, uint16_t dport, size_t plen)
{
	uint8_t *h = tp_grow(t, 8 + plen);

	put16(h, sport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)(8 + plen));
	for (size_t i = 0; i < plen; i++)
		h[8 + i] = (uint8_t)(0xa5 ^ i);
}

/* Set the (outer) IP length field from what was built. */
static inline void
tp_done(struct tpkt *t)
{
	if (t->family == 4)
		put16(t->b + 2, (uint16_t)t->len);
	else
		put16(t->b + 4, (uint16_t)(t->len - 40));
}

/* Decode the first caplen bytes from a heap copy of exactly caplen bytes,
 * so ASan reports any read at or past buf[caplen]. */
static inline enum decode_err
dec(const struct tpkt *t, size_t caplen, struct nb_packet *p)
{
	uint8_t *buf = malloc(caplen);
	enum decode_err e;

	ck_assert(buf != NULL || caplen == 0);
	if (caplen)
		memcpy(buf, t->b, caplen);
	e = decode_packet(buf, caplen, p);
	free(buf);
	return e;
}

#endif
