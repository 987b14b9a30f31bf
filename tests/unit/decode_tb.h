/* decode_tb.h -- the decoder tests' bench: TCP packets of both families
 * built by hand (options, extension headers, fragments), decoded from
 * exact-size heap copies, and their fields checked. */
#ifndef NATBOX_DECODE_TB_H
#define NATBOX_DECODE_TB_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

/* Protocol numbers, spelled out here so the test does not lean on
 * <netinet/in.h> agreeing with the decoder by accident. */
#define P_HOP	0
#define P_TCP	6
#define P_UDP	17
#define P_RT	43
#define P_FRAG	44
#define P_ESP	50
#define P_AH	51
#define P_NONE	59
#define P_DST	60

#define MAXPKT	2048

/* A packet under construction: builders append at len. */
struct tpkt {
	uint8_t b[MAXPKT];
	size_t len;
	int family;
};

static const uint8_t src4[4] = { 198, 51, 100, 10 };
static const uint8_t dst4[4] = { 203, 0, 113, 20 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };

/* MSS 1460, SACK-permitted, TS 0x11223344/0, NOP, WS 7: Linux's SYN. */
static const uint8_t syn_opts[] = {
	2, 4, 0x05, 0xb4,
	4, 2, 8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0,
	1, 3, 3, 7,
};
/* NOP NOP TS: every segment after the handshake. */
static const uint8_t ts_opts[] = {
	1, 1, 8, 10, 0xaa, 0xbb, 0xcc, 0xdd, 0x01, 0x02, 0x03, 0x04,
};

static inline void
put16(uint8_t *b, unsigned v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
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

/* IPv4 header of ihl words; the options are NOPs (then EOL). */
static inline void
tp_ip4(struct tpkt *t, unsigned ihl, uint8_t proto, unsigned frag)
{
	uint8_t *h;

	memset(t, 0, sizeof(*t));
	t->family = 4;
	h = tp_grow(t, ihl * 4);
	h[0] = (uint8_t)(0x40 | (ihl & 0x0f));
	put16(h + 4, 0x1234);
	put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src4, 4);
	memcpy(h + 16, dst4, 4);
	for (unsigned i = 20; i < ihl * 4; i++)
		h[i] = i + 1 < ihl * 4 ? 1 : 0;
}

static inline void
tp_ip6(struct tpkt *t, uint8_t nh)
{
	uint8_t *h;

	memset(t, 0, sizeof(*t));
	t->family = 6;
	h = tp_grow(t, 40);
	h[0] = 0x60;
	h[6] = nh;
	h[7] = 255;
	memcpy(h + 8, src6, 16);
	memcpy(h + 24, dst6, 16);
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
	put16(h + 2, off8 << 3 | (mf ? 1 : 0));
	put32(h + 4, 0xdeadbeef);
}

/* AH with a 96-bit ICV: payload len field 4, (4 + 2) * 4 = 24 bytes. */
static inline void
tp_ah(struct tpkt *t, uint8_t nh)
{
	uint8_t *h = tp_grow(t, 24);

	h[0] = nh;
	h[1] = 4;
	put32(h + 4, 0x100);
	put32(h + 8, 1);
}

/* TCP header with opts padded by EOL to a word, then plen payload bytes. */
static inline void
tp_tcp(struct tpkt *t, uint8_t flags, const uint8_t *opts, size_t optlen,
    size_t plen)
{
	size_t olen = (optlen + 3) & ~(size_t)3;
	uint8_t *h = tp_grow(t, 20 + olen);

	put16(h, 40000);
	put16(h + 2, 443);
	put32(h + 4, 0x01020304);
	put32(h + 8, 0xa0b0c0d0);
	h[12] = (uint8_t)((20 + olen) / 4 << 4);
	h[13] = flags;
	put16(h + 14, 64240);
	if (optlen)
		memcpy(h + 20, opts, optlen);
	h = tp_grow(t, plen);
	for (size_t i = 0; i < plen; i++)
		h[i] = (uint8_t)(0x5a ^ i);
}

static inline void
tp_udp(struct tpkt *t)
{
	uint8_t *h = tp_grow(t, 16);

	put16(h, 53);
	put16(h + 2, 53);
	put16(h + 4, 16);
}

/* Set the IP length fields from what was built. */
static inline void
tp_done(struct tpkt *t)
{
	if (t->family == 4)
		put16(t->b + 2, (unsigned)t->len);
	else
		put16(t->b + 4, (unsigned)(t->len - 40));
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

static inline void
check_addrs(const struct nb_packet *p)
{
	static const uint8_t zero[12];

	if (p->family == 4) {
		ck_assert_mem_eq(p->src.b, src4, 4);
		ck_assert_mem_eq(p->dst.b, dst4, 4);
		ck_assert_mem_eq(p->src.b + 4, zero, 12);
		ck_assert_mem_eq(p->dst.b + 4, zero, 12);
	} else {
		ck_assert_mem_eq(p->src.b, src6, 16);
		ck_assert_mem_eq(p->dst.b, dst6, 16);
	}
}

static inline void
check_tcp_fields(const struct nb_packet *p, uint8_t flags)
{
	ck_assert_uint_eq(p->sport, 40000);
	ck_assert_uint_eq(p->dport, 443);
	ck_assert_uint_eq(p->seq, 0x01020304);
	ck_assert_uint_eq(p->ack, 0xa0b0c0d0);
	ck_assert_uint_eq(p->flags, flags);
	ck_assert_uint_eq(p->window, 64240);
}

static inline void
check_syn_opts(const struct tcp_opts *o)
{
	ck_assert_uint_eq(o->has_mss, 1);
	ck_assert_uint_eq(o->mss, 1460);
	ck_assert_uint_eq(o->sack_perm, 1);
	ck_assert_uint_eq(o->has_ts, 1);
	ck_assert_uint_eq(o->tsval, 0x11223344);
	ck_assert_uint_eq(o->tsecr, 0);
	ck_assert_uint_eq(o->has_wscale, 1);
	ck_assert_uint_eq(o->wscale, 7);
	ck_assert_uint_eq(o->complete, 1);
}

static inline void
build_syn4(struct tpkt *t)
{
	tp_ip4(t, 5, P_TCP, 0x4000);	/* DF */
	tp_tcp(t, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	tp_done(t);
}

static inline void
build_syn6_chain(struct tpkt *t)
{
	tp_ip6(t, P_HOP);
	tp_ext(t, P_RT, 8);
	tp_ext(t, P_DST, 24);
	tp_frag(t, P_TCP, 0, 1);	/* first fragment: offset 0, MF */
	tp_tcp(t, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	tp_done(t);
}

#endif
