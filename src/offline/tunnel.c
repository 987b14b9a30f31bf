/* tunnel.c -- IP tunnels unwrapped to the packet inside: IP in IP, GRE, ERSPAN, VXLAN, Geneve, GTP-U, Teredo (pure: never reads past caplen). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "linkl3.h"
#include "pcapin.h"

/*
 * Zeek unwraps the same tunnels by default (its Tunnel framework) and
 * logs the inner flows with the outer ones as tunnel_parents; natbox
 * tracks the inner flows only and reports the outermost tunnel of each.
 * A UDP packet on a tunnel's port whose header does not look like the
 * tunnel's stays a UDP packet, as in Zeek. Fragments of the outer packet
 * are not reassembled: they stay outer IP fragments.
 */

#define MAX_DEPTH	4	/* nested tunnels unwrapped */
#define ETH_HLEN	14

#define PROTO_IPIP	4
#define PROTO_UDP	17
#define PROTO_IPV6	41
#define PROTO_GRE	47

#define PORT_VXLAN	4789
#define PORT_GENEVE	6081
#define PORT_GTPU	2152
#define PORT_TEREDO	3544

#define GRE_C		0x8000	/* checksum present */
#define GRE_R		0x4000	/* routing present (RFC 1701) */
#define GRE_K		0x2000	/* key present */
#define GRE_S		0x1000	/* sequence number present */
#define GRE_A		0x0080	/* acknowledgment present (version 1) */
#define GRE_TEB		0x6558	/* transparent Ethernet bridging */
#define GRE_ERSPAN2	0x88be	/* ERSPAN type I (no sequence) and II */
#define GRE_ERSPAN3	0x22eb
#define GRE_PPP		0x880b	/* PPTP, GRE version 1 */

/* what one step found at the IP packet */
#define STEP_NONE	(-1)	/* not a tunnel: the packet is the one */

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* An Ethernet frame inside a tunnel starts at *off. */
static enum pcapin_l3_result
ether_at(const uint8_t *frame, uint32_t caplen, uint32_t *off, struct pcapin_l3info *li)
{
	if (caplen < *off + ETH_HLEN)
		return PL_TRUNCATED;
	*off += ETH_HLEN;
	return linkl3_by_ethertype(frame, caplen, off, rd16(frame + *off - 2), li);
}

/* PPTP's PPP (RFC 2637 4.1): maybe FF 03, then a protocol of 1 or 2 bytes. */
static enum pcapin_l3_result
ppp_at(const uint8_t *frame, uint32_t caplen, uint32_t *off)
{
	uint16_t proto;

	if (caplen < *off + 2)
		return PL_TRUNCATED;
	if (frame[*off] == 0xff && frame[*off + 1] == 0x03)
		*off += 2;
	if (caplen < *off + 2)
		return PL_TRUNCATED;
	if (frame[*off] & 1) {
		proto = frame[*off];
		*off += 1;
	} else {
		proto = rd16(frame + *off);
		*off += 2;
	}
	if (proto != 0x21 && proto != 0x57)
		return PL_NOT_IP;
	return linkl3_by_version(frame, caplen, *off);
}

/* GRE at g (RFC 2784 and 2890; version 1 is PPTP's). ERSPAN (the
 * Cisco draft, draft-foschiano-erspan): type I has no sequence number
 * and no header of its own, type II an 8-byte header, type III 12 and
 * an optional 8-byte platform subheader (the O flag). */
static int
gre_step(const uint8_t *frame, uint32_t caplen, uint32_t g, uint32_t *in,
    struct pcapin_tunnel *t, struct pcapin_l3info *li)
{
	uint16_t flags, proto;
	uint32_t hlen = 4;

	if (caplen < g + 4)
		return PL_TRUNCATED;
	flags = rd16(frame + g);
	proto = rd16(frame + g + 2);
	if (flags & GRE_R)
		return STEP_NONE;
	switch (flags & 7) {
	case 0:
		hlen += (flags & GRE_C ? 4 : 0) + (flags & GRE_K ? 4 : 0) +
		    (flags & GRE_S ? 4 : 0);
		break;
	case 1:
		if (!(flags & GRE_K) || proto != GRE_PPP)
			return STEP_NONE;
		hlen += 4 + (flags & GRE_S ? 4 : 0) + (flags & GRE_A ? 4 : 0);
		break;
	default:
		return STEP_NONE;
	}
	*in = g + hlen;
	t->kind = PT_GRE;
	switch (proto) {
	case GRE_PPP:
		return ppp_at(frame, caplen, in);
	case GRE_TEB:
		return ether_at(frame, caplen, in, li);
	case GRE_ERSPAN2:
		t->kind = PT_ERSPAN;
		if (flags & GRE_S)
			*in += 8;
		return ether_at(frame, caplen, in, li);
	case GRE_ERSPAN3:
		t->kind = PT_ERSPAN;
		if (caplen < *in + 12)
			return PL_TRUNCATED;
		*in += frame[*in + 11] & 1 ? 20 : 12;
		return ether_at(frame, caplen, in, li);
	default:
		/* IPv4, IPv6, MPLS: as after an ethertype */
		return linkl3_by_ethertype(frame, caplen, in, proto, li);
	}
}

/* GTP-U (3GPP TS 29.281 5.1): version 1, protocol type GTP, a G-PDU
 * (message type 255); 4 more bytes if any of E, S, PN is set, then the
 * extension headers while E says so, each its length in 4-byte units
 * with the next one's type in its last byte. */
static int
gtpu_step(const uint8_t *frame, uint32_t caplen, uint32_t u, uint32_t *in)
{
	const uint8_t *h = frame + u;
	uint32_t hlen = 8;
	uint8_t next;

	if (caplen < u + 8)
		return PL_TRUNCATED;
	if (h[0] >> 5 != 1 || !(h[0] & 0x10) || h[1] != 0xff)
		return STEP_NONE;
	if (h[0] & 7) {
		if (caplen < u + 12)
			return PL_TRUNCATED;
		hlen = 12;
		next = h[0] & 4 ? h[11] : 0;
		while (next != 0) {
			if (caplen < u + hlen + 1)
				return PL_TRUNCATED;
			if (h[hlen] == 0)
				return PL_NOT_IP;
			hlen += (uint32_t)h[hlen] * 4;
			if (caplen < u + hlen)
				return PL_TRUNCATED;
			next = h[hlen - 1];
		}
	}
	*in = u + hlen;
	return linkl3_by_version(frame, caplen, *in);
}

/* Teredo (RFC 4380 5.1.1): an IPv6 packet, maybe after an authentication
 * and an origin indication; Zeek takes it for one only if the IPv6
 * header's length fills the datagram exactly, and so do we. */
static int
teredo_step(const uint8_t *frame, uint32_t caplen, uint32_t u, uint32_t end,
    uint32_t *in)
{
	uint32_t at = u;

	if (caplen < at + 2 || end < at + 2)
		return STEP_NONE;
	if (rd16(frame + at) == 0x0001) {
		if (caplen < at + 4)
			return STEP_NONE;
		at += 4 + (uint32_t)frame[at + 2] + frame[at + 3] + 8 + 1;
	}
	if (caplen >= at + 2 && rd16(frame + at) == 0x0000)
		at += 8;
	if (caplen < at + 6 || frame[at] >> 4 != 6 ||
	    at + 40 + rd16(frame + at + 4) != end)
		return STEP_NONE;
	*in = at;
	return PL_IP;
}

/* UDP at l4: a tunnel by its port and header. */
static int
udp_step(const uint8_t *frame, uint32_t caplen, uint32_t l4, uint32_t *in,
    struct pcapin_tunnel *t, struct pcapin_l3info *li)
{
	const uint8_t *uh = frame + l4, *h = uh + 8;
	uint16_t sport, dport;
	uint32_t u = l4 + 8;

	if (caplen < l4 + 8)
		return STEP_NONE;
	t->sport = sport = rd16(uh);
	t->dport = dport = rd16(uh + 2);
	if (dport == PORT_VXLAN) {
		/* RFC 7348 5: the I flag, then 24 reserved bits before the VNI */
		if (caplen < u + 8)
			return PL_TRUNCATED;
		if (!(h[0] & 0x08))
			return STEP_NONE;
		t->kind = PT_VXLAN;
		*in = u + 8;
		return ether_at(frame, caplen, in, li);
	}
	if (dport == PORT_GENEVE) {
		/* RFC 8926 3.4: version 0, options' length in 4-byte units */
		if (caplen < u + 8)
			return PL_TRUNCATED;
		if (h[0] >> 6 != 0)
			return STEP_NONE;
		t->kind = PT_GENEVE;
		*in = u + 8 + (uint32_t)(h[0] & 0x3f) * 4;
		if (rd16(h + 2) == GRE_TEB)
			return ether_at(frame, caplen, in, li);
		return linkl3_by_ethertype(frame, caplen, in, rd16(h + 2), li);
	}
	if (sport == PORT_GTPU || dport == PORT_GTPU) {
		t->kind = PT_GTPU;
		return gtpu_step(frame, caplen, u, in);
	}
	if (sport == PORT_TEREDO || dport == PORT_TEREDO) {
		t->kind = PT_TEREDO;
		return teredo_step(frame, caplen, u, l4 + rd16(uh + 4), in);
	}
	return STEP_NONE;
}

/* The IP packet at off: the packet its tunnel carries, or STEP_NONE. */
static int
tunnel_step(const uint8_t *frame, uint32_t caplen, uint32_t off, uint32_t *in,
    struct pcapin_tunnel *t, struct pcapin_l3info *li)
{
	const uint8_t *ip = frame + off;
	uint32_t l4;
	uint8_t proto;

	memset(t, 0, sizeof(*t));
	if (caplen <= off)
		return STEP_NONE;
	if (ip[0] >> 4 == 4) {
		if (caplen < off + 20 || (ip[0] & 0x0f) < 5 || (rd16(ip + 6) & 0x3fff))
			return STEP_NONE;	/* cut, or a fragment */
		l4 = off + (uint32_t)(ip[0] & 0x0f) * 4;
		proto = ip[9];
		t->family = 4;
		memcpy(t->src, ip + 12, 4);
		memcpy(t->dst, ip + 16, 4);
	} else if (ip[0] >> 4 == 6) {
		if (caplen < off + 40)
			return STEP_NONE;
		l4 = off + 40;
		proto = ip[6];
		t->family = 6;
		memcpy(t->src, ip + 8, 16);
		memcpy(t->dst, ip + 24, 16);
	} else {
		return STEP_NONE;
	}
	switch (proto) {
	case PROTO_IPIP:
	case PROTO_IPV6:
		if (caplen <= l4 || frame[l4] >> 4 != (proto == PROTO_IPIP ? 4 : 6))
			return STEP_NONE;
		t->kind = PT_IPIP;
		*in = l4;
		return PL_IP;
	case PROTO_GRE:
		return gre_step(frame, caplen, l4, in, t, li);
	case PROTO_UDP:
		return udp_step(frame, caplen, l4, in, t, li);
	default:
		return STEP_NONE;
	}
}

enum pcapin_l3_result
tunnel_unwrap(const uint8_t *frame, uint32_t caplen, uint32_t *off,
    struct pcapin_l3info *li)
{
	struct pcapin_tunnel t;
	uint32_t in;
	int r;

	for (unsigned d = 0; d < MAX_DEPTH; d++) {
		in = *off;
		if ((r = tunnel_step(frame, caplen, *off, &in, &t, li)) == STEP_NONE)
			return PL_IP;
		if (li->depth++ == 0)
			li->tun = t;
		*off = in;
		if (r != PL_IP)
			return (enum pcapin_l3_result)r;
	}
	return PL_IP;
}
