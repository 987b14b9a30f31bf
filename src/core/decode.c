/* decode.c -- IPv4/IPv6 + TCP header decoder; every read is bounded by caplen. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define IP4_HDRLEN	20
#define IP4_OFFMASK	0x1fff		/* fragment offset, in 8-byte units */
#define IP6_HDRLEN	40
#define IP6_OFFMASK	0xfff8		/* fragment offset in the fragment header */
#define IP6_MAX_EXTHDR	8
#define TCP_HDRLEN	20
#define TCP_MAX_WSCALE	14		/* RFC 7323 2.3; the kernel clamps to it */

/* IP protocol / IPv6 next header numbers (IANA). */
#define PROTO_HOPOPTS	0
#define PROTO_TCP	6
#define PROTO_ROUTING	43
#define PROTO_FRAGMENT	44
#define PROTO_AH	51
#define PROTO_DSTOPTS	60

#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_MSS	2
#define TCPOPT_WSCALE	3
#define TCPOPT_SACKOK	4
#define TCPOPT_TS	8
#define TCPOLEN_MSS	4
#define TCPOLEN_WSCALE	3
#define TCPOLEN_SACKOK	2
#define TCPOLEN_TS	10

static const char *const decode_err_names[DEC__MAX] = {
	[DEC_OK] = "ok",
	[DEC_NOT_TCP] = "not_tcp",
	[DEC_FRAGMENT] = "fragment",
	[DEC_TRUNCATED] = "truncated",
	[DEC_BAD_VERSION] = "bad_version",
	[DEC_BAD_IHL] = "bad_ihl",
	[DEC_BAD_LENGTH] = "bad_length",
	[DEC_BAD_DOFF] = "bad_doff",
	[DEC_BAD_EXTHDR] = "bad_exthdr",
};

const char *
decode_err_name(enum decode_err e)
{
	if ((unsigned int)e >= DEC__MAX || decode_err_names[e] == NULL)
		return "?";
	return decode_err_names[e];
}

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t
rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/*
 * o points at the option area of len bytes, of which only avail may be
 * captured. A malformed option ends parsing without failing the packet:
 * the kernel does the same (tcp_parse_options), and the options we keep
 * are hints for the tracker, not a reason to drop. Options are recorded
 * whatever the flags; it is the tracker's business that MSS, window scale
 * and SACK-permitted only mean something on a SYN.
 */
static void
tcp_opts_parse(const uint8_t *o, size_t len, size_t avail, struct tcp_opts *opt)
{
	size_t end = avail < len ? avail : len;
	size_t i = 0;
	uint8_t kind, olen;

	opt->complete = avail >= len;

	/* After the handshake nearly every segment carries exactly
	 * NOP NOP TS, the layout RFC 7323 appendix A recommends; the kernel
	 * has the same shortcut (tcp_fast_parse_options). */
	if (likely(end == 12 && len == 12 && rd32(o) == 0x0101080a)) {
		opt->has_ts = 1;
		opt->tsval = rd32(o + 4);
		opt->tsecr = rd32(o + 8);
		return;
	}

	while (i < end) {
		kind = o[i];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (end - i < 2)
			break;
		olen = o[i + 1];
		/* Malformed (stop, as the kernel does) or cut by caplen
		 * (complete is already 0): either way nothing more to trust. */
		if (olen < 2 || olen > end - i)
			break;
		/* A known kind with the wrong length is skipped, not
		 * half-read (the kernel checks opsize the same way). */
		switch (kind) {
		case TCPOPT_MSS:
			if (olen == TCPOLEN_MSS) {
				opt->mss = rd16(o + i + 2);
				opt->has_mss = 1;
			}
			break;
		case TCPOPT_WSCALE:
			if (olen == TCPOLEN_WSCALE) {
				opt->wscale = o[i + 2] > TCP_MAX_WSCALE ?
				    TCP_MAX_WSCALE : o[i + 2];
				opt->has_wscale = 1;
			}
			break;
		case TCPOPT_SACKOK:
			if (olen == TCPOLEN_SACKOK)
				opt->sack_perm = 1;
			break;
		case TCPOPT_TS:
			if (olen == TCPOLEN_TS) {
				opt->tsval = rd32(o + i + 2);
				opt->tsecr = rd32(o + i + 6);
				opt->has_ts = 1;
			}
			break;
		}
		i += olen;
	}
}

/*
 * The IP layer has set p->ip_len and checked that ip_len >= l4 + 20.
 * Lengths come from the IP header; caplen only bounds what we read.
 */
static inline enum decode_err
decode_tcp(const uint8_t *buf, size_t caplen, uint32_t l4,
    struct nb_packet *p)
{
	const uint8_t *th;
	uint32_t tcp_len = p->ip_len - l4;
	uint32_t thlen;

	if (unlikely(caplen < (size_t)l4 + TCP_HDRLEN))
		return DEC_TRUNCATED;
	th = buf + l4;
	thlen = (uint32_t)(th[12] >> 4) * 4;
	if (unlikely(thlen < TCP_HDRLEN || thlen > tcp_len))
		return DEC_BAD_DOFF;

	p->sport = rd16(th);
	p->dport = rd16(th + 2);
	p->seq = rd32(th + 4);
	p->ack = rd32(th + 8);
	p->flags = th[13];
	p->window = rd16(th + 14);
	p->l4_off = (uint16_t)l4;
	p->thlen = (uint8_t)thlen;
	p->payload_len = tcp_len - thlen;

	if (thlen == TCP_HDRLEN) {
		p->opt.complete = 1;
		return DEC_OK;
	}
	/* thlen <= tcp_len keeps the option area inside ip_len, so bytes
	 * past it (Ethernet pads frames to 60) can never be read as options. */
	tcp_opts_parse(th + TCP_HDRLEN, thlen - TCP_HDRLEN,
	    caplen - l4 - TCP_HDRLEN, &p->opt);
	return DEC_OK;
}

static inline enum decode_err
decode_ip4(const uint8_t *buf, size_t caplen, struct nb_packet *p)
{
	uint32_t hlen, tot_len;

	if (unlikely(caplen < IP4_HDRLEN))
		return DEC_TRUNCATED;
	hlen = (uint32_t)(buf[0] & 0x0f) * 4;
	tot_len = rd16(buf + 2);
	if (unlikely(hlen < IP4_HDRLEN))
		return DEC_BAD_IHL;
	if (unlikely(tot_len < hlen))
		return DEC_BAD_LENGTH;
	if (unlikely(buf[9] != PROTO_TCP))
		return DEC_NOT_TCP;
	/* Only the fragment at offset 0 carries the TCP header; MF alone
	 * (a first fragment) is decoded like any packet (RFC 791). */
	if (unlikely(rd16(buf + 6) & IP4_OFFMASK))
		return DEC_FRAGMENT;
	if (unlikely(tot_len < hlen + TCP_HDRLEN))
		return DEC_BAD_LENGTH;

	p->family = 4;
	p->ttl = buf[8];
	p->ip_len = tot_len;
	memcpy(p->src.b, buf + 12, 4);
	memcpy(p->dst.b, buf + 16, 4);
	return decode_tcp(buf, caplen, hlen, p);
}

/*
 * Walk the extension headers to the TCP header. Like the kernel's
 * ipv6_skip_exthdr we only need each header's first bytes to step over
 * it; the bytes in between need not be captured. Order is not checked
 * (hop-by-hop after the first header is accepted), as conntrack does.
 */
static enum decode_err
decode_ip6(const uint8_t *buf, size_t caplen, struct nb_packet *p)
{
	uint32_t end, off = IP6_HDRLEN, hlen;
	uint8_t nh;
	int n;

	if (unlikely(caplen < IP6_HDRLEN))
		return DEC_TRUNCATED;
	/* RFC 2675: 0 announces a jumbogram, which no path we sit on can
	 * carry; treating it as a length error keeps ip_len honest. */
	if (unlikely(rd16(buf + 4) == 0))
		return DEC_BAD_LENGTH;
	end = IP6_HDRLEN + rd16(buf + 4);
	nh = buf[6];

	for (n = 0; nh != PROTO_TCP; n++) {
		switch (nh) {
		case PROTO_HOPOPTS:
		case PROTO_ROUTING:
		case PROTO_DSTOPTS:
		case PROTO_FRAGMENT:
		case PROTO_AH:
			break;
		default:
			return DEC_NOT_TCP;	/* includes 59, no next header */
		}
		if (n == IP6_MAX_EXTHDR || end - off < 2)
			return DEC_BAD_EXTHDR;
		if (caplen < (size_t)off + 2)
			return DEC_TRUNCATED;
		if (nh == PROTO_FRAGMENT)
			hlen = 8;
		else if (nh == PROTO_AH)
			hlen = ((uint32_t)buf[off + 1] + 2) * 4;	/* RFC 4302 2.2 */
		else
			hlen = ((uint32_t)buf[off + 1] + 1) * 8;	/* RFC 8200 4.3 */
		if (hlen > end - off)
			return DEC_BAD_EXTHDR;
		if (nh == PROTO_FRAGMENT) {
			if (caplen < (size_t)off + 4)
				return DEC_TRUNCATED;
			if (rd16(buf + off + 2) & IP6_OFFMASK)
				return DEC_FRAGMENT;
		}
		nh = buf[off];
		off += hlen;
	}
	if (end - off < TCP_HDRLEN)
		return DEC_BAD_LENGTH;

	p->family = 6;
	p->ttl = buf[7];
	p->ip_len = end;
	memcpy(p->src.b, buf + 8, 16);
	memcpy(p->dst.b, buf + 24, 16);
	return decode_tcp(buf, caplen, off, p);
}

enum decode_err
decode_packet(const uint8_t *buf, size_t caplen, struct nb_packet *p)
{
	/* Zeroing is a few vector stores and gives the IPv4 address tail
	 * and every absent option a defined value. */
	memset(p, 0, sizeof(*p));
	if (unlikely(caplen == 0))
		return DEC_TRUNCATED;
	switch (buf[0] >> 4) {
	case 4:
		return decode_ip4(buf, caplen, p);
	case 6:
		return decode_ip6(buf, caplen, p);
	default:
		return DEC_BAD_VERSION;
	}
}
