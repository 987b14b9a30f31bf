/* decode_tb.h -- the decoder tests' bench: TCP packets of both families
 * built by hand (options, extension headers, fragments; pkt_tb.h builds),
 * decoded from exact-size heap copies, and their fields checked. */
#ifndef NATBOX_DECODE_TB_H
#define NATBOX_DECODE_TB_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "pkt_tb.h"

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

/* A new packet from src4 to dst4: IPv4 header of ihl words, the options
 * NOPs (then EOL). */
static inline void
tp_ip4(struct tpkt *t, unsigned ihl, uint8_t proto, unsigned frag)
{
	pkt_ip4(t, ihl, proto, frag, src4, dst4);
}

/* A new packet from src6 to dst6, hop limit 255. */
static inline void
tp_ip6(struct tpkt *t, uint8_t nh)
{
	pkt_ip6(t, nh, 255, src6, dst6);
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

/* TCP 40000 -> 443 with opts padded by EOL to a word, then plen payload
 * bytes. */
static inline void
tp_tcp(struct tpkt *t, uint8_t flags, const uint8_t *opts, size_t optlen,
    size_t plen)
{
	pkt_tcp(t, 40000, 443, flags, 0x01020304, 0xa0b0c0d0, opts, optlen, plen);
}

/* UDP 53 -> 53 with 8 payload bytes. */
static inline void
tp_udp(struct tpkt *t)
{
	pkt_udp(t, 53, 53, 8);
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
