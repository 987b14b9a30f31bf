/* mkcap_frame.c -- mkcap's frames: link headers, TCP segments, datagrams, ICMP errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mkcap.h"

/* ---- link layers ---- */


static const struct {
	const char *name;
	uint32_t linktype;
	bool eth_like;		/* can carry ARP */
} links[] = {
	[L_ETHER] = { "ether", 1, true },
	[L_VLAN] = { "vlan", 1, true },
	[L_QINQ] = { "qinq", 1, true },
	[L_SLL] = { "sll", 113, true },
	[L_SLL2] = { "sll2", 276, true },
	[L_RAW] = { "raw", 101, false },
	[L_IPV4] = { "ipv4", 228, false },
	[L_IPV6] = { "ipv6", 229, false },
	[L_NULL] = { "null", 0, false },
	[L_PPPOE] = { "pppoe", 1, false },
	[L_MPLS] = { "mpls", 1, false },
};

/* The link type of --link (a framing of mkcap_encap.c's if one is chosen). */
uint32_t
link_type(void)
{
	return opt.encap >= 0 ? encap_linktype(opt.encap) : links[opt.link].linktype;
}

/* The link layer called name, or -1. */
int
link_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (strcmp(name, links[i].name) == 0)
			return (int)i;
	return -1;
}

static void
v4(struct host *h, unsigned last, uint16_t port, bool server)
{
	memset(h, 0, sizeof(*h));
	h->a[0] = server ? 203 : 198;
	h->a[1] = server ? 0 : 51;
	h->a[2] = server ? 113 : 100;
	h->a[3] = (uint8_t)last;
	h->port = port;
}

static void
v6(struct host *h, unsigned last, uint16_t port, bool server)
{
	static const uint8_t pfx[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0 };

	memcpy(h->a, pfx, 8);
	h->a[5] = server ? 2 : 1;
	memset(h->a + 8, 0, 8);
	h->a[14] = (uint8_t)(last >> 8);
	h->a[15] = (uint8_t)last;
	h->port = port;
}

void
conn_init(struct conn *k, int fam, unsigned cl, uint16_t cport, unsigned sv,
    uint16_t sport, uint32_t iss_c, uint32_t iss_s)
{
	memset(k, 0, sizeof(*k));
	k->fam = fam;
	if (fam == 4) {
		v4(&k->c, cl, cport, false);
		v4(&k->s, sv, sport, true);
	} else {
		v6(&k->c, cl, cport, false);
		v6(&k->s, sv, sport, true);
	}
	k->seq[0] = iss_c;
	k->seq[1] = iss_s;
}

/* Link header for a frame going from side dir (0 client, 1 server);
 * returns its length. ethertype 0 means "ARP". */
size_t
link_hdr(uint8_t *b, int dir, uint16_t ethertype, size_t l3len)
{
	static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t mac_r[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	const uint8_t *src = dir ? mac_r : mac_c, *dst = dir ? mac_c : mac_r;
	size_t n = 0;

	switch (opt.link) {
	case L_ETHER:
	case L_VLAN:
	case L_QINQ:
		memcpy(b, dst, 6);
		memcpy(b + 6, src, 6);
		n = 12;
		if (opt.link == L_QINQ) {
			put16(b + n, 0x88a8);
			put16(b + n + 2, 200);
			n += 4;
		}
		if (opt.link != L_ETHER) {
			put16(b + n, 0x8100);
			put16(b + n + 2, 100);
			n += 4;
		}
		put16(b + n, ethertype);
		return n + 2;
	case L_PPPOE:
	case L_MPLS:
		memcpy(b, dst, 6);
		memcpy(b + 6, src, 6);
		if (opt.link == L_MPLS) {
			/* one label (100), bottom of stack, TTL 64 */
			put16(b + 12, 0x8847);
			put32(b + 14, 100u << 12 | 1u << 8 | 64);
			return 18;
		}
		/* RFC 2516 session: version/type, code, session, length, then
		 * the PPP protocol number */
		put16(b + 12, 0x8864);
		b[14] = 0x11, b[15] = 0;
		put16(b + 16, 0x1234);
		put16(b + 18, (uint16_t)(l3len + 2));
		put16(b + 20, ethertype == 0x86dd ? 0x0057 : 0x0021);
		return 22;
	case L_SLL:
		put16(b, dir ? 0 : 4);		/* to us / outgoing */
		put16(b + 2, 1);		/* ARPHRD_ETHER */
		put16(b + 4, 6);
		memset(b + 6, 0, 8);
		memcpy(b + 6, src, 6);
		put16(b + 14, ethertype);
		return 16;
	case L_SLL2:
		put16(b, ethertype);
		put16(b + 2, 0);
		put32(b + 4, 2);		/* ifindex */
		put16(b + 8, 1);		/* ARPHRD_ETHER */
		b[10] = dir ? 0 : 4;
		b[11] = 6;
		memset(b + 12, 0, 8);
		memcpy(b + 12, src, 6);
		return 20;
	case L_NULL:
		le32(b, ethertype == 0x86dd ? 30 : 2);
		return 4;
	default:
		return 0;
	}
}

/* The options Linux sends: on a SYN MSS 1460, SACK permitted,
 * timestamps, window scale 7; else timestamps. Returns their length. */
static size_t
tcp_options(uint8_t *o, uint8_t flags, uint32_t seq, uint32_t ack)
{
	if (flags & 0x02) {
		o[0] = 2, o[1] = 4, put16(o + 2, 1460);
		o[4] = 4, o[5] = 2;
		o[6] = 8, o[7] = 10, put32(o + 8, 1000 + seq % 1000), put32(o + 12, 0);
		o[16] = 1, o[17] = 3, o[18] = 3, o[19] = 7;
		return 20;
	}
	o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
	put32(o + 4, 2000 + seq % 1000), put32(o + 8, 1000 + ack % 1000);
	return 12;
}

/* An IPv6 extension chain at e, ending in TCP: hop-by-hop, routing
 * (type 0, no segments left: ignored), destination options (as many as
 * k->ext asks), then a first fragment when frag. *nh becomes the IPv6
 * header's next header. Returns the chain's length. */
static size_t
ip6_chain(uint8_t *e, const struct conn *k, bool frag, uint32_t seq, uint8_t *nh)
{
	size_t ext = 0;

	*nh = 6;
	if (k->ext >= 1) {
		e[ext] = k->ext >= 2 ? 43 : 60;		/* next */
		e[ext + 1] = 0;				/* 8 bytes */
		e[ext + 2] = 1, e[ext + 3] = 4;		/* PadN */
		memset(e + ext + 4, 0, 4);
		ext += 8;
		*nh = 0;
	}
	if (k->ext >= 2) {
		e[ext] = 60;
		e[ext + 1] = 0;
		e[ext + 2] = 0;				/* type 0 */
		e[ext + 3] = 0;				/* segments left */
		memset(e + ext + 4, 0, 4);
		ext += 8;
	}
	if (k->ext >= 1) {
		e[ext] = frag ? 44 : 6;
		e[ext + 1] = 0;
		e[ext + 2] = 1, e[ext + 3] = 4;
		memset(e + ext + 4, 0, 4);
		ext += 8;
	}
	if (frag) {
		if (ext == 0)
			*nh = 44;
		e[ext] = 6;
		e[ext + 1] = 0;
		put16(e + ext + 2, 0x0001);		/* offset 0, M */
		put32(e + ext + 4, seq);
		ext += 8;
	}
	return ext;
}

/* Low level: one TCP segment from side dir with explicit numbers.
 * frag: IPv4/IPv6 first fragment (more fragments set). */
size_t
segment(uint8_t *b, const struct conn *k, int dir, uint8_t flags, uint32_t len,
    uint32_t seq, uint32_t ack, bool frag, uint32_t fill)
{
	const struct host *s = dir ? &k->s : &k->c, *d = dir ? &k->c : &k->s;
	size_t ip, th, optl, ext;
	uint8_t o[40], nh;
	uint32_t sum;

	optl = tcp_options(o, flags, seq, ack);
	ip = link_hdr(b, dir, k->fam == 4 ? 0x0800 : 0x86dd, 0);
	if (k->fam == 4) {
		memset(b + ip, 0, 20);
		b[ip] = 0x45;
		put16(b + ip + 2, (uint16_t)(20 + 20 + optl + len));
		put16(b + ip + 4, (uint16_t)(seq & 0xffff));
		put16(b + ip + 6, frag ? 0x2000 : 0x4000);	/* MF, or DF */
		b[ip + 8] = 64;
		b[ip + 9] = 6;
		memcpy(b + ip + 12, s->a, 4);
		memcpy(b + ip + 16, d->a, 4);
		put16(b + ip + 10, csum_fold(csum_add(0, b + ip, 20)));
		th = ip + 20;
	} else {
		memset(b + ip, 0, 40);
		b[ip] = 0x60;
		b[ip + 7] = 64;
		memcpy(b + ip + 8, s->a, 16);
		memcpy(b + ip + 24, d->a, 16);
		ext = ip6_chain(b + ip + 40, k, frag, seq, &nh);
		b[ip + 6] = nh;
		put16(b + ip + 4, (uint16_t)(ext + 20 + optl + len));
		th = ip + 40 + ext;
	}
	memset(b + th, 0, 20);
	put16(b + th, s->port);
	put16(b + th + 2, d->port);
	put32(b + th + 4, seq);
	put32(b + th + 8, (flags & 0x10) ? ack : 0);
	b[th + 12] = (uint8_t)((20 + optl) / 4 << 4);
	b[th + 13] = flags;
	put16(b + th + 14, 502);
	memcpy(b + th + 20, o, optl);
	if (fill > len)
		fill = len;
	for (uint32_t i = 0; i < fill; i++)
		b[th + 20 + optl + i] = (uint8_t)"natbox replay "[i % 14];
	if (fill < len)		/* header-only: the bytes were never there */
		return th + 20 + optl + fill;
	/* TCP checksum over the pseudo header */
	sum = 0;
	if (k->fam == 4)
		sum = csum_add(sum, b + ip + 12, 8);
	else
		sum = csum_add(sum, b + ip + 8, 32);
	sum += 6 + (uint32_t)(20 + optl + len);
	sum = csum_add(sum, b + th, 20 + optl + len);
	put16(b + th + 16, csum_fold(sum));
	return th + 20 + optl + len;
}

/* High level: side dir sends flags with len bytes; sequence numbers
 * advance, the ACK field is what dir has received. */
void
tcp(struct conn *k, uint64_t ts, int dir, uint8_t flags, uint32_t len)
{
	uint8_t b[MAXFRAME + 128];
	uint32_t seq = k->seq[dir];
	size_t n;

	if (len > MAXFRAME - 200)
		len = MAXFRAME - 200;
	n = segment(b, k, dir, flags, len, seq, k->ack[dir], false, len);
	k->seq[dir] += len + !!(flags & 0x02) + !!(flags & 0x01);
	/* the receiver now acknowledges it */
	k->ack[!dir] = k->seq[dir];
	emit(ts, b, n);
}

/* A retransmission: the same segment again (seq rewound). */
void
tcp_again(struct conn *k, uint64_t ts, int dir, uint8_t flags, uint32_t len)
{
	k->seq[dir] -= len + !!(flags & 0x02) + !!(flags & 0x01);
	tcp(k, ts, dir, flags, len);
}


void
handshake(struct conn *k, uint64_t *t, uint64_t rtt)
{
	tcp(k, *t, 0, SYN, 0);
	*t += rtt / 2;
	tcp(k, *t, 1, SYN | ACK, 0);
	*t += rtt / 2;
	tcp(k, *t, 0, ACK, 0);
}

/* An ARP request (link layers that carry one). */
void
arp_frame(uint64_t t)
{
	uint8_t b[128];
	size_t l;

	if (!links[opt.link].eth_like)
		return;
	l = link_hdr(b, 0, 0x0806, 28);
	memset(b + l, 0, 28);
	put16(b + l, 1), put16(b + l + 2, 0x0800);
	b[l + 4] = 6, b[l + 5] = 4, put16(b + l + 6, 1);
	b[l + 14] = 198, b[l + 15] = 51, b[l + 16] = 100, b[l + 17] = 2;
	b[l + 24] = 198, b[l + 25] = 51, b[l + 26] = 100, b[l + 27] = 1;
	emit(t, b, l + 28);
}

/* An ARP request and, 1 us later, a UDP datagram. */
void
other_protocols(uint64_t t)
{
	uint8_t b[128];
	size_t l;

	arp_frame(t);
	l = link_hdr(b, 0, 0x0800, 0);
	memset(b + l, 0, 36);
	b[l] = 0x45;
	put16(b + l + 2, 36);
	b[l + 8] = 64;
	b[l + 9] = 17;
	b[l + 12] = 198, b[l + 13] = 51, b[l + 14] = 100, b[l + 15] = 2;
	b[l + 16] = 203, b[l + 17] = 0, b[l + 18] = 113, b[l + 19] = 2;
	put16(b + l + 10, csum_fold(csum_add(0, b + l, 20)));
	put16(b + l + 20, 5353), put16(b + l + 22, 9), put16(b + l + 24, 16);
	emit(t + 1 * US, b, l + 36);
}

/* ---- datagrams: UDP, ICMP echo and errors, another protocol ---- */


/* The link and IP headers of a datagram of proto from side dir with
 * l4len bytes after them (IPv4: DF, no options; IPv6: no extension
 * header); returns the transport's offset, *ip the IP header's. */
size_t
dgram_ip(uint8_t *b, const struct conn *k, int dir, uint8_t proto, size_t l4len, size_t *ip)
{
	const struct host *s = dir ? &k->s : &k->c, *d = dir ? &k->c : &k->s;
	size_t l = link_hdr(b, dir, k->fam == 4 ? 0x0800 : 0x86dd,
	    (k->fam == 4 ? 20 : 40) + l4len);

	*ip = l;
	if (k->fam == 4) {
		memset(b + l, 0, 20);
		b[l] = 0x45;
		put16(b + l + 2, (uint16_t)(20 + l4len));
		put16(b + l + 6, 0x4000);
		b[l + 8] = 64;
		b[l + 9] = proto;
		memcpy(b + l + 12, s->a, 4);
		memcpy(b + l + 16, d->a, 4);
		put16(b + l + 10, csum_fold(csum_add(0, b + l, 20)));
		return l + 20;
	}
	memset(b + l, 0, 40);
	b[l] = 0x60;
	put16(b + l + 4, (uint16_t)l4len);
	b[l + 6] = proto;
	b[l + 7] = 64;
	memcpy(b + l + 8, s->a, 16);
	memcpy(b + l + 24, d->a, 16);
	return l + 40;
}

/* The transport's checksum at l4 + at: UDP and ICMPv6 over the pseudo
 * header, ICMP over its own bytes. */
void
dgram_csum(uint8_t *b, size_t ip, size_t l4, size_t l4len, uint8_t proto, size_t at)
{
	uint32_t sum = 0;

	if (proto != P_ICMP) {
		sum = b[ip] >> 4 == 4 ? csum_add(0, b + ip + 12, 8) : csum_add(0, b + ip + 8, 32);
		sum += proto + (uint32_t)l4len;
	}
	sum = csum_add(sum, b + l4, l4len);
	put16(b + l4 + at, csum_fold(sum));
}

/* One datagram from side dir into b: UDP between the conn's ports; an
 * ICMP (ICMPv6 over IPv6) echo request from the client or reply from the
 * server, the client's port its identifier; GRE (flags, protocol, sequence
 * number); or another protocol's packet (ESP: SPI and sequence number, then
 * the payload). len bytes of payload;
 * seq numbers echoes and ESP packets. Returns the frame's length, *ip the
 * IP header's offset. */
size_t
dgram_build(uint8_t *b, const struct conn *k, int dir, uint8_t proto, uint32_t len,
    uint32_t seq, size_t *ip)
{
	const struct host *s = dir ? &k->s : &k->c, *d = dir ? &k->c : &k->s;
	size_t hl = 8, l4;

	if (proto == P_ICMP && k->fam == 6)
		proto = P_ICMP6;
	l4 = dgram_ip(b, k, dir, proto, hl + len, ip);
	memset(b + l4, 0, hl);
	for (uint32_t i = 0; i < len; i++)
		b[l4 + hl + i] = (uint8_t)"natbox replay "[i % 14];
	switch (proto) {
	case P_UDP:
		put16(b + l4, s->port);
		put16(b + l4 + 2, d->port);
		put16(b + l4 + 4, (uint16_t)(hl + len));
		dgram_csum(b, *ip, l4, hl + len, proto, 6);
		break;
	case P_ICMP:
	case P_ICMP6:
		b[l4] = proto == P_ICMP ? (dir ? 0 : 8) : (dir ? 129 : 128);
		put16(b + l4 + 4, k->c.port);
		put16(b + l4 + 6, (uint16_t)seq);
		dgram_csum(b, *ip, l4, hl + len, proto, 2);
		break;
	case P_GRE:
		/* RFC 1701's routing-present bit: no tunnel to the capture
		 * reader (tunnel.c), so the GRE packet is the flow's */
		put16(b + l4, 0x4000);
		put16(b + l4 + 2, 0x0800);
		put32(b + l4 + 4, seq);
		break;
	default:
		put32(b + l4, 0x1000u + (uint32_t)dir);
		put32(b + l4 + 4, seq);
		break;
	}
	return l4 + hl + len;
}

void
dg(struct conn *k, uint64_t ts, int dir, uint8_t proto, uint32_t len)
{
	uint8_t b[MAXFRAME + 128];
	size_t ip;

	emit(ts, b, dgram_build(b, k, dir, proto, len, ++k->seq[dir], &ip));
}

/* The server's side answers the client's last datagram (as dg() built
 * it) with an ICMP port unreachable quoting its IP header and 8 bytes;
 * into b, its length returned. */
size_t
unreach_build(uint8_t *b, const struct conn *k, uint8_t proto, uint32_t len)
{
	uint8_t q[MAXFRAME + 128];
	size_t qip, ip, l4, ql = (k->fam == 4 ? 20 : 40) + 8;
	uint8_t icmp = k->fam == 4 ? P_ICMP : P_ICMP6;

	dgram_build(q, k, 0, proto, len, k->seq[0], &qip);
	l4 = dgram_ip(b, k, 1, icmp, 8 + ql, &ip);
	memset(b + l4, 0, 8);
	b[l4] = k->fam == 4 ? 3 : 1;		/* destination unreachable */
	b[l4 + 1] = k->fam == 4 ? 3 : 4;	/* port unreachable */
	memcpy(b + l4 + 8, q + qip, ql);
	dgram_csum(b, ip, l4, 8 + ql, icmp, 2);
	return l4 + 8 + ql;
}

void
unreach(struct conn *k, uint64_t ts, uint8_t proto, uint32_t len)
{
	uint8_t b[MAXFRAME + 128];

	emit(ts, b, unreach_build(b, k, proto, len));
}
