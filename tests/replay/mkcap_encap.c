/* mkcap_encap.c -- mkcap's other framings: link types (PPP, HDLC, NFLOG, 802.11, radiotap, FDDI, loopback) and tunnels (GRE, ERSPAN, VXLAN, Geneve, GTP-U, Teredo, IP in IP, MPLS, PBB, VN-Tag) around a scenario's IP packets. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkcap_encap.h"

/*
 * A scenario writes raw IP packets; each is framed here as it is
 * recorded, so one scenario gives the same inner packets in every framing
 * (the tests check natbox finds the same flows). The tunnels' outer
 * endpoints are documentation addresses too: 192.0.2.1 on the clients'
 * side, 192.0.2.2 on the servers' (RFC 5737), 2001:db8:ff::1 and ::2.
 */

enum encap {
	E_PPP, E_PPP_HDLC, E_CHDLC, E_PPP_ETHER, E_NFLOG, E_WIFI, E_RADIOTAP, E_FDDI,
	E_NULL_BE, E_LOOP, E_GRE, E_ERSPAN1, E_ERSPAN2, E_ERSPAN3, E_VXLAN, E_GENEVE,
	E_GTPU, E_TEREDO, E_IPIP, E_MPLS2, E_PBB, E_VNTAG, E_VXLAN_GRE, E_TSO, E__MAX
};

static const struct {
	const char *name;
	uint32_t linktype;	/* LINKTYPE_* */
} encaps[E__MAX] = {
	[E_PPP] = { "ppp", 9 },
	[E_PPP_HDLC] = { "ppp-hdlc", 50 },
	[E_CHDLC] = { "chdlc", 104 },
	[E_PPP_ETHER] = { "ppp-ether", 51 },
	[E_NFLOG] = { "nflog", 239 },
	[E_WIFI] = { "wifi", 105 },
	[E_RADIOTAP] = { "radiotap", 127 },
	[E_FDDI] = { "fddi", 10 },
	[E_NULL_BE] = { "null-be", 0 },
	[E_LOOP] = { "loop", 108 },
	[E_GRE] = { "gre", 1 },
	[E_ERSPAN1] = { "erspan1", 1 },
	[E_ERSPAN2] = { "erspan2", 1 },
	[E_ERSPAN3] = { "erspan3", 1 },
	[E_VXLAN] = { "vxlan", 1 },
	[E_GENEVE] = { "geneve", 1 },
	[E_GTPU] = { "gtpu", 1 },
	[E_TEREDO] = { "teredo", 1 },
	[E_IPIP] = { "ipip", 1 },
	[E_MPLS2] = { "mpls2", 1 },
	[E_PBB] = { "pbb", 1 },
	[E_VNTAG] = { "vntag", 1 },
	[E_VXLAN_GRE] = { "vxlan-gre", 1 },
	[E_TSO] = { "tso", 1 },		/* Ethernet, as a TSO sender captures */
};

#define BUF	8192

static uint8_t buf[BUF];

static void
p16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
p32(uint8_t *p, uint32_t v)
{
	p16(p, (uint16_t)(v >> 16));
	p16(p + 2, (uint16_t)v);
}

/* the NFLOG TLVs' byte order: the capturing host's, the file's */
static void
h16(uint8_t *p, uint16_t v, bool swap)
{
	if (swap) {
		p16(p, v);
	} else {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
	}
}

static uint16_t
ip_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
encap_lookup(const char *name)
{
	for (int i = 0; i < E__MAX; i++)
		if (strcmp(name, encaps[i].name) == 0)
			return i;
	return -1;
}

uint32_t
encap_linktype(int e)
{
	return encaps[e].linktype;
}

void
encap_list(FILE *f)
{
	for (int i = 0; i < E__MAX; i++)
		fprintf(f, "%s%s", encaps[i].name, i + 1 < E__MAX ? " " : "\n");
}

/* From the clients' side (198.51.100.0/24, 2001:db8:1::/64)? */
static bool
from_client(const uint8_t *ip)
{
	return ip[0] >> 4 == 4 ? ip[12] == 198 : ip[13] == 1;
}

static uint16_t
ethertype_of(const uint8_t *ip)
{
	return ip[0] >> 4 == 4 ? 0x0800 : 0x86dd;
}

/* Ethernet header with the given type; returns 14. */
static size_t
ether(uint8_t *b, bool c2s, uint16_t type)
{
	static const uint8_t mc[6] = { 0x02, 0, 0, 0, 0, 0x02 }, mr[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	memcpy(b, c2s ? mr : mc, 6);
	memcpy(b + 6, c2s ? mc : mr, 6);
	p16(b + 12, type);
	return 14;
}

/* Outer IPv4 (payload len bytes of proto) between the tunnel endpoints. */
static size_t
outer4(uint8_t *b, bool c2s, uint8_t proto, size_t len)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	p16(b + 2, (uint16_t)(20 + len));
	p16(b + 6, 0x4000);
	b[8] = 64;
	b[9] = proto;
	b[12] = 192, b[13] = 0, b[14] = 2, b[15] = c2s ? 1 : 2;
	b[16] = 192, b[17] = 0, b[18] = 2, b[19] = c2s ? 2 : 1;
	p16(b + 10, ip_csum(b, 20));
	return 20;
}

static size_t
outer6(uint8_t *b, bool c2s, uint8_t proto, size_t len)
{
	static const uint8_t pfx[14] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff };

	memset(b, 0, 40);
	b[0] = 0x60;
	p16(b + 4, (uint16_t)len);
	b[6] = proto;
	b[7] = 64;
	memcpy(b + 8, pfx, 14);
	b[23] = c2s ? 1 : 2;
	memcpy(b + 24, pfx, 14);
	b[39] = c2s ? 2 : 1;
	return 40;
}

static size_t
udp(uint8_t *b, uint16_t sport, uint16_t dport, size_t len)
{
	p16(b, sport);
	p16(b + 2, dport);
	p16(b + 4, (uint16_t)(8 + len));
	p16(b + 6, 0);		/* no checksum (RFC 768; RFC 6935 for tunnels) */
	return 8;
}

/* The tunnel's own header before the inner frame (an Ethernet frame
 * when *eth is set on return). */
static size_t
tun_hdr(int e, uint8_t *b, const uint8_t *ip, size_t len, bool c2s, bool *eth)
{
	*eth = true;
	switch (e) {
	case E_GRE:
		/* key present (RFC 2890), IPv4 or IPv6 inside */
		*eth = false;
		p16(b, 0x2000);
		p16(b + 2, ethertype_of(ip));
		p32(b + 4, 42);
		return 8;
	case E_ERSPAN1:
		p16(b, 0);
		p16(b + 2, 0x88be);
		return 4;
	case E_ERSPAN2:
		/* sequence number; ERSPAN II: version 1, VLAN 0, session 7 */
		p16(b, 0x1000);
		p16(b + 2, 0x88be);
		p32(b + 4, (uint32_t)len);
		p32(b + 8, 1u << 28 | 7);
		p32(b + 12, 0);
		return 16;
	case E_ERSPAN3:
		/* ERSPAN III: version 2, a timestamp, the O flag and an 8-byte
		 * platform subheader */
		p16(b, 0x1000);
		p16(b + 2, 0x22eb);
		p32(b + 4, (uint32_t)len);
		p32(b + 8, 2u << 28 | 7);
		p32(b + 12, 123456);
		p32(b + 16, 0x00000001);
		memset(b + 20, 0, 8);
		return 28;
	case E_VXLAN:
	case E_VXLAN_GRE:
		p32(b, 0x08000000);
		p32(b + 4, 42u << 8);
		return 8;
	case E_GENEVE:
		/* version 0, 8 bytes of options, Ethernet; one option (class
		 * 0x0103, type 1, 4 bytes of data) */
		b[0] = 2, b[1] = 0;
		p16(b + 2, 0x6558);
		p32(b + 4, 42u << 8);
		p16(b + 8, 0x0103), b[10] = 1, b[11] = 1;
		p32(b + 12, 0xdeadbeef);
		return 16;
	case E_GTPU:
		/* version 1, GTP, E: a G-PDU with one extension header (a PDU
		 * session container, 4 bytes) */
		*eth = false;
		b[0] = 0x34, b[1] = 0xff;
		p16(b + 2, (uint16_t)(len + 8));
		p32(b + 4, 0x1000 + (c2s ? 1u : 2u));
		p16(b + 8, 0), b[10] = 0, b[11] = 0x85;
		b[12] = 1, b[13] = c2s ? 0x10 : 0x00, b[14] = 9, b[15] = 0;
		return 16;
	case E_TEREDO:
		/* an origin indication (RFC 4380 5.1.1), then IPv6 */
		*eth = false;
		p16(b, 0);
		p16(b + 2, (uint16_t)~40000);
		p32(b + 4, ~0xc0000201u);
		return 8;
	default:
		*eth = false;
		return 0;
	}
}

/* An IP tunnel: Ethernet, outer IP, UDP or GRE, its header, the inner. */
static size_t
wrap_tunnel(int e, const uint8_t *ip, size_t len, bool c2s)
{
	uint8_t h[64];
	size_t n = 14, ip_at, hl, inner;
	bool eth, v6 = e == E_GENEVE;
	uint8_t proto = 47;

	if (e == E_TEREDO && ip[0] >> 4 != 6) {
		fprintf(stderr, "mkcap: teredo carries IPv6 only\n");
		exit(2);
	}
	hl = tun_hdr(e, h, ip, len, c2s, &eth);
	inner = hl + (eth ? 14 : 0) + len;
	ip_at = n;
	n += v6 ? 40 : 20;
	switch (e) {
	case E_VXLAN:
	case E_GENEVE:
	case E_GTPU:
	case E_TEREDO:
		proto = 17;
		n += udp(buf + n, e == E_GTPU ? 2152 : e == E_TEREDO ? (c2s ? 40000 : 3544) : 50000,
		    e == E_VXLAN ? 4789 : e == E_GENEVE ? 6081 : e == E_GTPU ? 2152 :
		    c2s ? 3544 : 40000, inner);
		inner += 8;
		break;
	case E_IPIP:
		proto = ip[0] >> 4 == 4 ? 4 : 41;
		break;
	default:
		break;
	}
	ether(buf, c2s, v6 ? 0x86dd : 0x0800);
	if (v6)
		outer6(buf + ip_at, c2s, proto, inner);
	else
		outer4(buf + ip_at, c2s, proto, inner);
	memcpy(buf + n, h, hl);
	n += hl;
	if (eth)
		n += ether(buf + n, c2s, ethertype_of(ip));
	memcpy(buf + n, ip, len);
	return n + len;
}

/* VXLAN inside GRE: a tunnel in a tunnel (the outer one is reported). */
static size_t
wrap_nested(const uint8_t *ip, size_t len, bool c2s)
{
	size_t in = wrap_tunnel(E_VXLAN, ip, len, c2s) - 14;
	uint8_t *tmp = malloc(in);
	size_t n;

	if (tmp == NULL)
		exit(1);
	memcpy(tmp, buf + 14, in);	/* the outer IPv4 of the VXLAN packet */
	n = ether(buf, c2s, 0x0800);
	n += outer4(buf + n, c2s, 47, 8 + in);
	/* another pair than the VXLAN's: 192.0.2.101 and 192.0.2.102 */
	p32(buf + 26, c2s ? 0xc0000265 : 0xc0000266);
	p32(buf + 30, c2s ? 0xc0000266 : 0xc0000265);
	p16(buf + 24, 0);
	p16(buf + 24, ip_csum(buf + 14, 20));
	p16(buf + n, 0x2000), p16(buf + n + 2, 0x0800), p32(buf + n + 4, 7);
	memcpy(buf + n + 8, tmp, in);
	free(tmp);
	return n + 8 + in;
}

/* 802.11 QoS data to or from the access point, LLC/SNAP, the packet. */
static size_t
wlan(uint8_t *b, bool c2s, const uint8_t *ip)
{
	static const uint8_t ap[6] = { 0x02, 0, 0, 0, 0, 0x0a };
	static const uint8_t mc[6] = { 0x02, 0, 0, 0, 0, 0x02 }, mr[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	b[0] = 0x88;			/* data, QoS data */
	b[1] = c2s ? 0x01 : 0x02;	/* to DS / from DS */
	p16(b + 2, 44);
	memcpy(b + 4, c2s ? ap : mc, 6);
	memcpy(b + 10, c2s ? mc : ap, 6);
	memcpy(b + 16, mr, 6);
	p16(b + 22, 0x10);
	p16(b + 24, 0);
	memcpy(b + 26, "\xaa\xaa\x03\x00\x00\x00", 6);
	p16(b + 32, ethertype_of(ip));
	return 34;
}

static size_t
wrap_nflog(const uint8_t *ip, size_t len, bool swap)
{
	size_t n = 0, plen = 4 + len;

	buf[0] = ip[0] >> 4 == 4 ? 2 : 10;
	buf[1] = 0;
	p16(buf + 2, 5);		/* the group, network order */
	n = 4;
	/* a prefix (NFULA_PREFIX, 10), then the payload (NFULA_PAYLOAD) */
	h16(buf + n, 4 + 7, swap), h16(buf + n + 2, 10, swap);
	memcpy(buf + n + 4, "natbox", 7);
	n += 12;
	h16(buf + n, (uint16_t)plen, swap), h16(buf + n + 2, 9, swap);
	memcpy(buf + n + 4, ip, len);
	n += plen;
	while (n % 4)
		buf[n++] = 0;
	return n;
}

/* A link layer without Ethernet under the packet: its header's length. */
static size_t
link_only(int e, const uint8_t *ip, bool c2s)
{
	uint16_t ppp = ip[0] >> 4 == 4 ? 0x0021 : 0x0057;
	bool v4 = ip[0] >> 4 == 4;

	switch (e) {
	case E_PPP:
	case E_PPP_HDLC:
		buf[0] = 0xff, buf[1] = 0x03;
		p16(buf + 2, ppp);
		return 4;
	case E_CHDLC:
		buf[0] = c2s ? 0x0f : 0x8f, buf[1] = 0;
		p16(buf + 2, ethertype_of(ip));
		return 4;
	case E_PPP_ETHER:
		buf[0] = 0x11, buf[1] = 0;
		p16(buf + 2, 0x1234);
		p16(buf + 4, 0);
		p16(buf + 6, ppp);
		return 8;
	case E_WIFI:
		return wlan(buf, c2s, ip);
	case E_RADIOTAP:
		/* flags and rate present: 10 bytes */
		memset(buf, 0, 10);
		buf[2] = 10;
		buf[4] = 0x06;
		buf[9] = 0x0c;
		return 10 + wlan(buf + 10, c2s, ip);
	case E_FDDI:
		buf[0] = 0x50;		/* LLC, asynchronous */
		memset(buf + 1, 0, 12);
		buf[6] = c2s ? 1 : 2, buf[12] = c2s ? 2 : 1;
		memcpy(buf + 13, "\xaa\xaa\x03\x00\x00\x00", 6);
		p16(buf + 19, ethertype_of(ip));
		return 21;
	case E_NULL_BE:
	case E_LOOP:
		/* network order: AF_INET 2; AF_INET6 OpenBSD's 24 */
		p32(buf, v4 ? 2 : 24);
		return 4;
	case E_MPLS2:
		ether(buf, c2s, 0x8847);
		p32(buf + 14, 16u << 12 | 64);
		p32(buf + 18, 100u << 12 | 1u << 8 | 64);
		return 22;
	case E_PBB:
		/* B-tag (802.1ad), I-TAG with I-SID 42, customer addresses */
		ether(buf, c2s, 0x88a8);
		p16(buf + 14, 300), p16(buf + 16, 0x88e7);
		p32(buf + 18, 42);
		ether(buf + 22, c2s, ethertype_of(ip));
		return 36;
	case E_VNTAG:
		ether(buf, c2s, 0x8926);
		p32(buf + 14, 0x80010002);
		p16(buf + 18, ethertype_of(ip));
		return 20;
	default:
		return 0;
	}
}

const uint8_t *
encap_wrap(int e, const uint8_t *ip, uint32_t *len, bool swap)
{
	bool c2s = from_client(ip);
	size_t n;

	if (*len + 200 > BUF) {
		fprintf(stderr, "mkcap: frame too long to wrap\n");
		exit(2);
	}
	if (e == E_NFLOG) {
		n = wrap_nflog(ip, *len, swap);
	} else if (e == E_VXLAN_GRE) {
		n = wrap_nested(ip, *len, c2s);
	} else if (e == E_TSO) {
		/* a sender's capture before TSO cuts: an IPv4 segment of
		 * 1000 bytes or more has total length 0 (as Linux writes it
		 * over 64 KB); an IPv6 one a payload length past the frame */
		n = ether(buf, c2s, ethertype_of(ip));
		memcpy(buf + n, ip, *len);
		if (*len >= 1000 && ip[0] >> 4 == 4)
			p16(buf + n + 2, 0);
		else if (*len >= 1000)
			p16(buf + n + 4, 65000);
		n += *len;
	} else if (e >= E_GRE && e <= E_IPIP) {
		n = wrap_tunnel(e, ip, *len, c2s);
	} else {
		n = link_only(e, ip, c2s);
		if (e == E_PPP_ETHER)
			p16(buf + 4, (uint16_t)(*len + 2));	/* PPPoE length */
		memcpy(buf + n, ip, *len);
		n += *len;
	}
	*len = (uint32_t)n;
	return buf;
}
