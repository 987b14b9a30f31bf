/* natrw.c -- in-place NAT44 rewriting with incremental checksums.
 *
 * Every change is a 16-bit word replaced; each checksum that covers the
 * word takes RFC 1624's update, HC' = ~(~HC + ~m + m'). An ICMP error's
 * quoted header sits at an even offset of the ICMP message, so the
 * message's checksum takes the same updates as the words it covers.
 */
#include <string.h>

#include "bytes.h"
#include "natrw.h"

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17

/* The sum of ~old + new over a changed word, to add to a checksum. */
static inline uint32_t
delta16(uint16_t old, uint16_t new)
{
	return (uint32_t)(uint16_t)~old + new;
}

static inline uint32_t
delta32(uint32_t old, uint32_t new)
{
	return delta16((uint16_t)(old >> 16), (uint16_t)(new >> 16)) +
	    delta16((uint16_t)old, (uint16_t)new);
}

static inline uint16_t
fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A complemented checksum field takes d. zero_means_none: UDP's 0 is "no
 * checksum" (kept), and a computed 0 is sent as 0xffff (RFC 768). */
static void
csum_adjust(uint8_t *field, uint32_t d, bool zero_means_none)
{
	uint16_t old = rd16(field), v;

	if (zero_means_none && old == 0)
		return;
	v = (uint16_t)~fold((uint32_t)(uint16_t)~old + d);
	if (zero_means_none && v == 0)
		v = 0xffff;
	wr16(field, v);
}

/* A field holding the uncomplemented pseudo-header sum (checksum offload
 * pending) takes only the address part of the change. */
static void
csum_adjust_partial(uint8_t *field, uint32_t d)
{
	wr16(field, fold((uint32_t)rd16(field) + d));
}

uint16_t
natrw_checksum(const uint8_t *p, size_t len, uint32_t sum)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += rd16(p + i);
	if (i < len)
		s += (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static bool
icmp_error_type(uint8_t type)
{
	/* unreachable, source quench, redirect, time exceeded, parameter problem */
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool
icmp_query_type(uint8_t type)
{
	/* echo, timestamp, information, address mask: requests and replies */
	return type == 0 || type == 8 || type == 13 || type == 14 || type == 15 ||
	    type == 16 || type == 17 || type == 18;
}

/* Where a protocol keeps its checksum, within the L4 header; 0 if none
 * we update (another protocol). */
static unsigned
l4_csum_off(uint8_t proto)
{
	return proto == PROTO_TCP ? 16 : proto == PROTO_UDP ? 6 : proto == PROTO_ICMP ? 2 : 0;
}

/* Change an IPv4 address field (in an IP header at ip, whose own
 * checksum is at ip+10): returns the delta for the checksums that
 * cover it as a pseudo-header field. */
static uint32_t
set_addr(uint8_t *ip, unsigned off, uint32_t new)
{
	uint32_t old = rd32(ip + off), d = delta32(old, new);

	wr32(ip + off, new);
	csum_adjust(ip + 10, d, false);
	return d;
}

/* The quoted packet of an ICMP error (at q, qlen bytes to the end of the
 * copy). Returns the delta the ICMP checksum takes, or -1 if too short. */
static int64_t
rewrite_quoted(uint8_t *q, size_t qlen, const struct nat_rewrite *rw,
    uint32_t *osrc_old, uint32_t *odst_old)
{
	uint32_t dicmp = 0, dpseudo = 0, dports = 0;
	unsigned ihl, csoff;
	uint8_t proto, *l4;

	if (qlen < 20 || (q[0] >> 4) != 4 || (ihl = (q[0] & 15u) * 4) < 20 || qlen < ihl + 4)
		return -1;
	proto = q[9];
	l4 = q + ihl;
	*osrc_old = rd32(q + 12);	/* the quoted source: the outer destination's */
	*odst_old = rd32(q + 16);
	/* The quoted tuple inverted is the flow key: a changed key source
	 * is the quoted destination, a changed key destination the quoted
	 * source. */
	for (int side = 0; side < 2; side++) {
		bool key_src = side == 0;
		uint8_t bit = key_src ? NRW_SRC : NRW_DST;
		unsigned aoff = key_src ? 16 : 12, poff = key_src ? 2 : 0;
		uint16_t port = key_src ? rw->sport : rw->dport;
		uint16_t oldsum = rd16(q + 10);
		uint32_t d;

		if (!(rw->set & bit))
			continue;
		d = set_addr(q, aoff, key_src ? rw->src : rw->dst);
		dicmp += d + delta16(oldsum, rd16(q + 10));
		dpseudo += d;
		if (proto == PROTO_ICMP) {
			/* a quoted query: its identifier, once */
			if (qlen < ihl + 6 || !icmp_query_type(l4[0]))
				continue;
			poff = 4;
		}
		if (proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_ICMP) {
			uint16_t old = rd16(l4 + poff);

			wr16(l4 + poff, port);
			dicmp += delta16(old, port);
			dports += delta16(old, port);
		}
	}
	/* The quoted L4 checksum, when the quote reaches it (a router
	 * quotes 8 bytes at least: UDP's, not TCP's). */
	csoff = l4_csum_off(proto);
	if (csoff != 0 && qlen >= ihl + csoff + 2) {
		uint16_t old = rd16(l4 + csoff);
		uint32_t d = proto == PROTO_ICMP ? dports : dpseudo + dports;

		csum_adjust(l4 + csoff, d, proto == PROTO_UDP);
		dicmp += delta16(old, rd16(l4 + csoff));
	}
	return dicmp;
}

static enum natrw_err
rewrite_icmp(uint8_t *buf, size_t len, unsigned ihl, const struct nat_rewrite *rw)
{
	uint8_t *ic = buf + ihl;
	uint32_t d = 0, qsrc, qdst;

	if (len < ihl + 8)
		return NATRW_SHORT;
	if (icmp_error_type(ic[0])) {
		int64_t dq = rewrite_quoted(ic + 8, len - ihl - 8, rw, &qsrc, &qdst);

		if (dq < 0)
			return NATRW_SHORT;
		/* the outer addresses that are the quoted ones follow them */
		if ((rw->set & NRW_SRC) && rd32(buf + 12) == qdst)
			set_addr(buf, 12, rw->src);
		if ((rw->set & NRW_DST) && rd32(buf + 16) == qsrc)
			set_addr(buf, 16, rw->dst);
		csum_adjust(ic + 2, (uint32_t)dq, false);
		return NATRW_OK;
	}
	if (rw->set & NRW_SRC)
		set_addr(buf, 12, rw->src);
	if (rw->set & NRW_DST)
		set_addr(buf, 16, rw->dst);
	if (icmp_query_type(ic[0])) {
		uint16_t old = rd16(ic + 4), id = (rw->set & NRW_SRC) ? rw->sport : rw->dport;

		wr16(ic + 4, id);
		d = delta16(old, id);
		csum_adjust(ic + 2, d, false);
	}
	return NATRW_OK;
}

enum natrw_err
nat_rewrite(uint8_t *buf, size_t len, const struct nat_rewrite *rw, bool csum_partial)
{
	unsigned ihl, csoff;
	uint32_t dpseudo = 0, dports = 0;
	uint8_t proto, *l4;

	if (len < 20 || (buf[0] >> 4) != 4)
		return NATRW_NOT_IPV4;
	ihl = (buf[0] & 15u) * 4;
	if (ihl < 20 || len < ihl)
		return NATRW_SHORT;
	if (rd16(buf + 6) & 0x1fff)
		return NATRW_FRAGMENT;
	proto = buf[9];
	if (proto == PROTO_ICMP)
		return rewrite_icmp(buf, len, ihl, rw);
	l4 = buf + ihl;
	csoff = l4_csum_off(proto);
	if ((proto == PROTO_TCP || proto == PROTO_UDP) && len < ihl + csoff + 2)
		return NATRW_SHORT;
	if (rw->set & NRW_SRC)
		dpseudo += set_addr(buf, 12, rw->src);
	if (rw->set & NRW_DST)
		dpseudo += set_addr(buf, 16, rw->dst);
	if (proto != PROTO_TCP && proto != PROTO_UDP)
		return NATRW_OK;	/* another protocol: its addresses only */
	if (rw->set & NRW_SRC) {
		dports += delta16(rd16(l4), rw->sport);
		wr16(l4, rw->sport);
	}
	if (rw->set & NRW_DST) {
		dports += delta16(rd16(l4 + 2), rw->dport);
		wr16(l4 + 2, rw->dport);
	}
	if (csum_partial)
		csum_adjust_partial(l4 + csoff, dpseudo);
	else
		csum_adjust(l4 + csoff, dpseudo + dports, proto == PROTO_UDP);
	return NATRW_OK;
}

/* RFC 1122 3.2.2: no error about a datagram whose source does not name a
 * single host (0.0.0.0/8, loopback, multicast, class E, broadcast). */
static bool
one_host(uint32_t a)
{
	uint8_t top = (uint8_t)(a >> 24);

	return top != 0 && top != 127 && top < 224;
}

size_t
natrw_icmp_unreach(const uint8_t *pkt, size_t len, uint8_t code, uint8_t *out, size_t cap)
{
	unsigned ihl, iplen, quote;
	uint8_t *ic;

	if (cap < NATRW_UNREACH_MAX || len < 20 || (pkt[0] >> 4) != 4)
		return 0;
	ihl = (pkt[0] & 15u) * 4;
	iplen = rd16(pkt + 2);
	if (ihl < 20 || len < ihl || iplen < ihl || (rd16(pkt + 6) & 0x1fff) ||
	    !one_host(rd32(pkt + 12)))
		return 0;
	quote = ihl + 8;
	if (quote > iplen)
		quote = iplen;
	if (quote > len)
		quote = (unsigned)len;
	memset(out, 0, 28);
	out[0] = 0x45;
	wr16(out + 2, (uint16_t)(28 + quote));
	out[8] = 64;
	out[9] = PROTO_ICMP;
	memcpy(out + 12, pkt + 16, 4);	/* from where the packet went */
	memcpy(out + 16, pkt + 12, 4);	/* to its sender */
	wr16(out + 10, natrw_checksum(out, 20, 0));
	ic = out + 20;
	ic[0] = 3;			/* destination unreachable */
	ic[1] = code;
	memcpy(ic + 8, pkt, quote);
	wr16(ic + 2, natrw_checksum(ic, 8 + quote, 0));
	return 28 + quote;
}
