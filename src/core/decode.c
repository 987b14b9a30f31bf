/* decode.c -- IPv4/IPv6 + TCP header decoder; every read is bounded by caplen. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"
#include "decode.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define IP4_HDRLEN	20
#define IP4_OFFMASK	0x1fff		/* fragment offset, in 8-byte units */
#define IP4_MF		0x2000		/* more fragments */
#define IP6_HDRLEN	40
#define IP6_OFFMASK	0xfff8		/* fragment offset in the fragment header */
#define IP6_MF		0x0001		/* more fragments */
#define IP6_MAX_EXTHDR	8
#define TCP_HDRLEN	20
#define TCP_MAX_WSCALE	14		/* RFC 7323 2.3; the kernel clamps to it */

/* IP protocol / IPv6 next header numbers (IANA). */
#define PROTO_HOPOPTS	0
#define PROTO_TCP	NB_PROTO_TCP
#define PROTO_ROUTING	43
#define PROTO_FRAGMENT	44
#define PROTO_AH	51
#define PROTO_DSTOPTS	60
#define PROTO_NONE	59		/* IPv6: no next header */
#define UDP_HDRLEN	8
#define ICMP_HDRLEN	8

#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_MSS	2
#define TCPOPT_WSCALE	3
#define TCPOPT_SACKOK	4
#define TCPOPT_SACK	5
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
	[DEC_BAD_UDP_LENGTH] = "bad_udp_length",
	[DEC_BAD_QUOTE] = "bad_quote",
	[DEC_SHORT_L4] = "short_l4",
};

static const char *const kind_names[NBK__MAX] = {
	[NBK_TCP] = "tcp", [NBK_UDP] = "udp", [NBK_ICMP] = "icmp", [NBK_OTHER] = "other",
};

const char *
nb_kind_name(unsigned k)
{
	return k < NBK__MAX ? kind_names[k] : "?";
}

const char *
decode_err_name(enum decode_err e)
{
	if ((unsigned int)e >= DEC__MAX || decode_err_names[e] == NULL)
		return "?";
	return decode_err_names[e];
}

bool
decode_err_invalid(enum decode_err e)
{
	return e == DEC_BAD_DOFF || e == DEC_BAD_UDP_LENGTH || e == DEC_SHORT_L4;
}

/* A transport header shorter than its fixed part (the IP payload ends
 * first): the kernel's conntrack reads no tuple from it or stops at
 * tcp_error()/udp_error()/icmp_error()'s "short packet". In a first
 * fragment (!whole) the rest of the header is in the next one: the
 * kernel judges the reassembled packet, natbox cannot. The ports, when
 * there and captured, name the packet in the [INVALID] event. */
static enum decode_err
decode_short(const uint8_t *buf, size_t caplen, uint32_t l4, bool whole,
    struct nb_packet *p)
{
	if (!whole)
		return DEC_FRAGMENT;
	if (p->kind != NBK_ICMP && p->ip_len - l4 >= 4 && caplen >= (size_t)l4 + 4) {
		p->sport = rd16(buf + l4);
		p->dport = rd16(buf + l4 + 2);
	}
	return DEC_SHORT_L4;
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
		case TCPOPT_SACK:
			/* tcp_sack(): the first SACK option of whole blocks
			 * only; the highest right edge after the ACK */
			if (!opt->has_sack && olen >= 10 && (olen - 2) % 8 == 0) {
				opt->has_sack = 1;
				for (size_t b = 2; b < olen; b += 8) {
					uint32_t re = rd32(o + i + b + 4);

					if ((int32_t)(re - opt->sack) > 0)
						opt->sack = re;
				}
			}
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
decode_tcp(const uint8_t *buf, size_t caplen, uint32_t l4, bool whole,
    struct nb_packet *p)
{
	const uint8_t *th;
	uint32_t tcp_len = p->ip_len - l4;
	uint32_t thlen;

	if (unlikely(tcp_len < TCP_HDRLEN))
		return decode_short(buf, caplen, l4, whole, p);
	if (unlikely(caplen < (size_t)l4 + TCP_HDRLEN))
		return DEC_TRUNCATED;
	th = buf + l4;
	thlen = (uint32_t)(th[12] >> 4) * 4;
	p->sport = rd16(th);
	p->dport = rd16(th + 2);
	/* tcp_error(): "truncated packet", doff * 4 below the header or
	 * past the segment; a first fragment's segment goes on */
	if (unlikely(thlen > tcp_len && !whole))
		return DEC_FRAGMENT;
	if (unlikely(thlen < TCP_HDRLEN || thlen > tcp_len))
		return DEC_BAD_DOFF;

	p->seq = rd32(th + 4);
	p->ack = rd32(th + 8);
	p->flags = th[13];
	p->window = rd16(th + 14);
	p->l4_off = (uint16_t)l4;
	p->thlen = (uint8_t)thlen;
	p->payload_len = tcp_len - thlen;
	p->opt.sack = p->ack;

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

static inline bool
ip6_exthdr(uint8_t nh)
{
	return nh == PROTO_HOPOPTS || nh == PROTO_ROUTING || nh == PROTO_DSTOPTS ||
	    nh == PROTO_FRAGMENT || nh == PROTO_AH;
}

uint8_t
nb_kind_of(uint8_t family, uint8_t proto)
{
	switch (proto) {
	case NB_PROTO_TCP:
		return NBK_TCP;
	case NB_PROTO_UDP:
		return NBK_UDP;
	case NB_PROTO_ICMP:
		return family == 4 ? NBK_ICMP : NBK_OTHER;
	case NB_PROTO_ICMPV6:
		return family == 6 ? NBK_ICMP : NBK_OTHER;
	default:
		return NBK_OTHER;
	}
}

/* The protocol and kind, known before anything of the transport is read.
 * Another protocol's flow is its address pair: the protocol number stands
 * in both ports, so the key stays one shape. */
static inline void
set_proto(struct nb_packet *p, uint8_t proto)
{
	p->proto = proto;
	p->kind = nb_kind_of(p->family, proto);
	if (p->kind == NBK_OTHER)
		p->sport = p->dport = proto;
}

/* RFC 768: the length field covers header and data; the kernel's
 * udp_error() calls a length below 8 or past the packet invalid
 * ("truncated/malformed packet"). A first fragment's datagram goes on
 * past it (the kernel checks the reassembled one). */
static enum decode_err
decode_udp(const uint8_t *buf, size_t caplen, uint32_t l4, bool whole,
    struct nb_packet *p)
{
	const uint8_t *uh;
	uint32_t len;

	if (unlikely(p->ip_len - l4 < UDP_HDRLEN))
		return decode_short(buf, caplen, l4, whole, p);
	if (unlikely(caplen < (size_t)l4 + UDP_HDRLEN))
		return DEC_TRUNCATED;
	uh = buf + l4;
	len = rd16(uh + 4);
	p->sport = rd16(uh);
	p->dport = rd16(uh + 2);
	if (unlikely(len < UDP_HDRLEN || (len > p->ip_len - l4 && whole)))
		return DEC_BAD_UDP_LENGTH;
	p->l4_off = (uint16_t)l4;
	/* what this packet holds: a first fragment's datagram goes on */
	p->payload_len = (len > p->ip_len - l4 ? p->ip_len - l4 : len) - UDP_HDRLEN;
	return DEC_OK;
}

/* ICMP types by what they are to a tracker. Errors quote the packet
 * that caused them (RFC 792, RFC 4443 section 2.4 c); queries start a
 * session their replies belong to. */
static bool
icmp_is_error(uint8_t family, uint8_t type)
{
	if (family == 4)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

static bool
icmp_is_request(uint8_t family, uint8_t type)
{
	if (family == 4)	/* echo, timestamp, information, address mask */
		return type == 8 || type == 13 || type == 15 || type == 17;
	return type == ICMP6_ECHO_REQUEST || type == 139;	/* echo, node information */
}

static bool
icmp_is_reply(uint8_t family, uint8_t type)
{
	if (family == 4)
		return type == 0 || type == 14 || type == 16 || type == 18;
	return type == ICMP6_ECHO_REPLY || type == 140;
}

/* The request a query belongs to: itself, or the one a reply answers
 * (the kernel's invmap[] in nf_conntrack_proto_icmp.c and _icmpv6.c). */
static uint8_t
icmp_request_of(uint8_t family, uint8_t type)
{
	if (!icmp_is_reply(family, type))
		return type;
	if (family == 4)
		return type == ICMP_ECHOREPLY ? ICMP_ECHO : (uint8_t)(type - 1);
	return (uint8_t)(type - 1);	/* 129 -> 128, 140 -> 139 */
}

/* A query's tuple beyond its identifier, for a packet of type `type`
 * travelling as itself (reversed: a quoted query, whose tuple an error
 * inverts). */
static void
icmp_query_key(struct nb_packet *p, uint8_t type, uint8_t code, bool reversed)
{
	p->icmp_qtype = icmp_request_of(p->family, type);
	p->icmp_qcode = code;
	p->icmp_qreply = icmp_is_reply(p->family, type) != reversed;
}

/* MLD and neighbour discovery: the kernel's nf_conntrack_icmpv6_error()
 * leaves them untracked (noct_valid_new[]), neither tracked nor invalid. */
static bool
icmp6_untracked(uint8_t type)
{
	return (type >= 130 && type <= 136) || type == 143;
}

bool
decode_icmp_query(const struct nb_packet *p)
{
	return icmp_is_request(p->family, p->icmp_type) || icmp_is_reply(p->family, p->icmp_type);
}

bool
decode_may_start(const struct nb_packet *p)
{
	if (p->icmp_error)
		return false;
	return p->kind != NBK_ICMP || icmp_is_request(p->family, p->icmp_type);
}

/*
 * The packet an ICMP error quotes starts at off: its IP header and at
 * least 8 bytes of its transport (RFC 792; RFC 4443 quotes as much as
 * fits). Its own lengths are not trusted (the quote is cut); only what
 * was captured is read. Its tuple, inverted, becomes the packet's.
 */
static enum decode_err
decode_quote(const uint8_t *buf, size_t caplen, uint32_t off, struct nb_packet *p)
{
	const uint8_t *q = buf + off;
	size_t avail = caplen - off;
	struct nb_addr qs, qd;
	uint32_t l4;
	uint8_t nh;

	p->icmp_error = 1;
	memset(&qs, 0, sizeof(qs));
	memset(&qd, 0, sizeof(qd));
	if (p->family == 4) {
		if (avail < IP4_HDRLEN || q[0] >> 4 != 4)
			return DEC_BAD_QUOTE;
		l4 = (uint32_t)(q[0] & 0x0f) * 4;
		if (l4 < IP4_HDRLEN || (rd16(q + 6) & IP4_OFFMASK))
			return DEC_BAD_QUOTE;
		nh = q[9];
		memcpy(qs.b, q + 12, 4);
		memcpy(qd.b, q + 16, 4);
	} else {
		int n;

		if (avail < IP6_HDRLEN || q[0] >> 4 != 6)
			return DEC_BAD_QUOTE;
		memcpy(qs.b, q + 8, 16);
		memcpy(qd.b, q + 24, 16);
		nh = q[6];
		l4 = IP6_HDRLEN;
		for (n = 0; ip6_exthdr(nh); n++) {
			if (n == IP6_MAX_EXTHDR || avail < (size_t)l4 + 4)
				return DEC_BAD_QUOTE;
			if (nh == PROTO_FRAGMENT && (rd16(q + l4 + 2) & IP6_OFFMASK))
				return DEC_BAD_QUOTE;
			uint32_t hlen = nh == PROTO_FRAGMENT ? 8 : nh == PROTO_AH ?
			    ((uint32_t)q[l4 + 1] + 2) * 4 : ((uint32_t)q[l4 + 1] + 1) * 8;
			nh = q[l4];
			l4 += hlen;
		}
	}
	p->src = qd;
	p->dst = qs;
	p->proto = nh;
	p->kind = nb_kind_of(p->family, nh);
	switch (p->kind) {
	case NBK_TCP:
	case NBK_UDP:
		if (avail < (size_t)l4 + 8)
			return DEC_BAD_QUOTE;
		p->sport = rd16(q + l4 + 2);
		p->dport = rd16(q + l4);
		if (p->kind == NBK_TCP)
			p->seq = rd32(q + l4 + 4);
		break;
	case NBK_ICMP:
		/* an error about an error is never sent (RFC 1122 3.2.2) */
		if (avail < (size_t)l4 + 8 || !(icmp_is_request(p->family, q[l4]) ||
		    icmp_is_reply(p->family, q[l4])))
			return DEC_BAD_QUOTE;
		p->sport = p->dport = rd16(q + l4 + 4);
		icmp_query_key(p, q[l4], q[l4 + 1], true);
		break;
	default:
		p->sport = p->dport = nh;
		break;
	}
	return DEC_OK;
}

static enum decode_err
decode_icmp(const uint8_t *buf, size_t caplen, uint32_t l4, bool whole,
    struct nb_packet *p)
{
	const uint8_t *ih;

	if (unlikely(p->ip_len - l4 < ICMP_HDRLEN))	/* icmp_error(): "short packet" */
		return decode_short(buf, caplen, l4, whole, p);
	if (unlikely(caplen < (size_t)l4 + ICMP_HDRLEN))
		return DEC_TRUNCATED;
	ih = buf + l4;
	p->icmp_type = ih[0];
	p->icmp_code = ih[1];
	p->l4_off = (uint16_t)l4;
	p->payload_len = p->ip_len - l4 - ICMP_HDRLEN;
	if (icmp_is_error(p->family, p->icmp_type))
		return decode_quote(buf, caplen, l4 + ICMP_HDRLEN, p);
	/* Neighbour discovery and MLD: nothing a NAT keeps a session for,
	 * and the kernel leaves them untracked; neither are ICMPv6's other
	 * error numbers (below 128) modelled. Any other type is decoded:
	 * no conntrack starts with it or matches it (the kernel's
	 * icmp_packet() and icmpv6_packet() valid_new[]), so it is invalid
	 * (decode_icmp_query(), the engine). */
	if (!decode_icmp_query(p) && p->family == 6 &&
	    (p->icmp_type < 128 || icmp6_untracked(p->icmp_type)))
		return DEC_NOT_TCP;
	p->sport = p->dport = rd16(ih + 4);	/* the identifier */
	icmp_query_key(p, p->icmp_type, p->icmp_code, false);
	return DEC_OK;
}

/* The transport at l4 (IP fields are set). TCP first: it is the hot
 * path. whole: not a first fragment (more of the packet follows in
 * others), so the transport's lengths can be checked against ip_len. */
static inline enum decode_err
decode_l4(const uint8_t *buf, size_t caplen, uint32_t l4, uint8_t proto,
    bool whole, struct nb_packet *p)
{
	if (likely(proto == PROTO_TCP)) {
		p->proto = PROTO_TCP;
		return decode_tcp(buf, caplen, l4, whole, p);
	}
	set_proto(p, proto);
	switch (p->kind) {
	case NBK_UDP:
		return decode_udp(buf, caplen, l4, whole, p);
	case NBK_ICMP:
		return decode_icmp(buf, caplen, l4, whole, p);
	default:
		p->l4_off = (uint16_t)l4;
		p->payload_len = p->ip_len - l4;
		return DEC_OK;
	}
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

	p->family = 4;
	p->ttl = buf[8];
	p->ip_len = tot_len;
	memcpy(p->src.b, buf + 12, 4);
	memcpy(p->dst.b, buf + 16, 4);
	/* Only the fragment at offset 0 carries the transport header; MF
	 * alone (a first fragment) is decoded like any packet (RFC 791). */
	if (unlikely(rd16(buf + 6) & IP4_OFFMASK)) {
		set_proto(p, buf[9]);
		return DEC_FRAGMENT;
	}
	return decode_l4(buf, caplen, hlen, buf[9], !(rd16(buf + 6) & IP4_MF), p);
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
	bool whole = true;
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

	p->family = 6;
	p->ttl = buf[7];
	p->ip_len = end;
	memcpy(p->src.b, buf + 8, 16);
	memcpy(p->dst.b, buf + 24, 16);
	for (n = 0; nh != PROTO_TCP; n++) {
		if (!ip6_exthdr(nh))
			break;	/* the transport, or another protocol */
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
			if (rd16(buf + off + 2) & IP6_OFFMASK) {
				/* the protocol, if the fragment header is captured */
				if (caplen >= (size_t)off + 1)
					set_proto(p, buf[off]);
				return DEC_FRAGMENT;
			}
			whole = !(rd16(buf + off + 2) & IP6_MF);
		}
		nh = buf[off];
		off += hlen;
	}
	if (nh == PROTO_NONE) {
		set_proto(p, nh);
		return DEC_NOT_TCP;
	}
	return decode_l4(buf, caplen, off, nh, whole, p);
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
