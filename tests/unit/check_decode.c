/* check_decode.c -- decoder tests over hand-built packets, each read from an exact-size heap copy. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "suites.h"

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

static void
put16(uint8_t *b, unsigned v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

static uint8_t *
tp_grow(struct tpkt *t, size_t n)
{
	uint8_t *at = t->b + t->len;

	ck_assert_uint_le(t->len + n, MAXPKT);
	memset(at, 0, n);
	t->len += n;
	return at;
}

/* IPv4 header of ihl words; the options are NOPs (then EOL). */
static void
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

static void
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
static void
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

static void
tp_frag(struct tpkt *t, uint8_t nh, unsigned off8, int mf)
{
	uint8_t *h = tp_grow(t, 8);

	h[0] = nh;
	put16(h + 2, off8 << 3 | (mf ? 1 : 0));
	put32(h + 4, 0xdeadbeef);
}

/* AH with a 96-bit ICV: payload len field 4, (4 + 2) * 4 = 24 bytes. */
static void
tp_ah(struct tpkt *t, uint8_t nh)
{
	uint8_t *h = tp_grow(t, 24);

	h[0] = nh;
	h[1] = 4;
	put32(h + 4, 0x100);
	put32(h + 8, 1);
}

/* TCP header with opts padded by EOL to a word, then plen payload bytes. */
static void
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

static void
tp_udp(struct tpkt *t)
{
	uint8_t *h = tp_grow(t, 16);

	put16(h, 53);
	put16(h + 2, 53);
	put16(h + 4, 16);
}

/* Set the IP length fields from what was built. */
static void
tp_done(struct tpkt *t)
{
	if (t->family == 4)
		put16(t->b + 2, (unsigned)t->len);
	else
		put16(t->b + 4, (unsigned)(t->len - 40));
}

/* Decode the first caplen bytes from a heap copy of exactly caplen bytes,
 * so ASan reports any read at or past buf[caplen]. */
static enum decode_err
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

static void
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

static void
check_tcp_fields(const struct nb_packet *p, uint8_t flags)
{
	ck_assert_uint_eq(p->sport, 40000);
	ck_assert_uint_eq(p->dport, 443);
	ck_assert_uint_eq(p->seq, 0x01020304);
	ck_assert_uint_eq(p->ack, 0xa0b0c0d0);
	ck_assert_uint_eq(p->flags, flags);
	ck_assert_uint_eq(p->window, 64240);
}

static void
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

static void
build_syn4(struct tpkt *t)
{
	tp_ip4(t, 5, P_TCP, 0x4000);	/* DF */
	tp_tcp(t, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	tp_done(t);
}

static void
build_syn6_chain(struct tpkt *t)
{
	tp_ip6(t, P_HOP);
	tp_ext(t, P_RT, 8);
	tp_ext(t, P_DST, 24);
	tp_frag(t, P_TCP, 0, 1);	/* first fragment: offset 0, MF */
	tp_tcp(t, TH_SYN, syn_opts, sizeof(syn_opts), 0);
	tp_done(t);
}

START_TEST(test_err_names)
{
	static const char *const want[] = {
		"ok", "not_tcp", "fragment", "truncated", "bad_version",
		"bad_ihl", "bad_length", "bad_doff", "bad_exthdr",
		"bad_udp_length", "bad_quote",
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
	/* ... and too short for a TCP header, whatever caplen holds */
	build_syn4(&t);
	put16(t.b + 2, 39);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_LENGTH);
	ck_assert_int_eq(dec(&t, 20, &p), DEC_BAD_LENGTH);
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
	/* IPv6 payload too short for the TCP header */
	tp_ip6(&t, P_TCP);
	tp_tcp(&t, TH_ACK, NULL, 0, 0);
	tp_done(&t);
	put16(t.b + 4, 19);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_LENGTH);
	tp_ip6(&t, P_DST);
	tp_ext(&t, P_TCP, 16);
	tp_tcp(&t, TH_ACK, NULL, 0, 0);
	tp_done(&t);
	put16(t.b + 4, 16 + 19);
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_LENGTH);
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
	ck_assert_int_eq(dec(&t, t.len, &p), DEC_BAD_LENGTH);
}
END_TEST

/* A 1500-byte IPv4 (or IPv6) data segment as the live path sees it:
 * only the first caplen bytes were copied. */
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
	tcase_add_test(tc, test_bad_version);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_bad_ihl);
	tcase_add_test(tc, test_bad_length);
	tcase_add_test(tc, test_bad_doff);
	tcase_add_test(tc, test_exthdr_count);
	tcase_add_test(tc, test_exthdr_past_payload);
	tcase_add_test(tc, test_header_only);
	tcase_add_test(tc, test_options_cut);
	tcase_add_test(tc, test_options_malformed);
	tcase_add_test(tc, test_wscale_clamp);
	tcase_add_test(tc, test_eth_padding);
	tcase_add_test(tc, test_truncation_sweep);
	tcase_add_test(tc, test_truncation_sweep_bad);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);
	return s;
}
