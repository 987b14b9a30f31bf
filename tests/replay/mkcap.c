/* mkcap.c -- writes hand-made captures for natbox's replay tests and the replay benchmark (no libpcap: the bytes are spelled out). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mkcap_encap.h"

/*
 * Every address is a documentation one: 198.51.100.0/24 (clients) and
 * 203.0.113.0/24 (servers), RFC 5737; 2001:db8:1::/64 and 2001:db8:2::/64,
 * RFC 3849. Nothing is sent anywhere; the files are written only.
 *
 * Scenarios (see usage()) collect their packets with explicit times, get
 * sorted by time (stably) and written as pcap or pcapng with the chosen
 * link layer, so one scenario gives the same IP packets under Ethernet,
 * VLAN, QinQ, Linux cooked v1/v2, raw IP or loopback framing. The bench
 * scenario streams instead (millions of flows, a heap of active ones).
 */

#define NS	1000000000ULL
#define MS	1000000ULL
#define US	1000ULL
#define MAXFRAME 2048

enum link { L_ETHER, L_VLAN, L_QINQ, L_SLL, L_SLL2, L_RAW, L_IPV4, L_IPV6, L_NULL,
	L_PPPOE, L_MPLS };

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

static struct {
	enum link link;
	bool pcapng, nano, swap;
	uint32_t hsnap;		/* snap length the pcap header claims (0: snap) */
	uint32_t snap;
	uint64_t flows, packets;
	uint64_t seconds;
	uint64_t seed;
	long cut;
	const char *from;
	uint64_t flips;
	uint64_t dgram;		/* bench: percent of datagram flows */
	int encap;		/* mkcap_encap.c's framing around raw IP, or -1 */
} opt = {
	.encap = -1, .link = L_ETHER, .snap = 262144, .flows = 1000000, .packets = 10000000,
	.seconds = 1200, .seed = 1, .flips = 16,
};

static FILE *out;
static const char *out_path;

/* ---- bytes ---- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

/* pcap's own headers, in the file's byte order (--swap: big-endian) */
static void
fe16(uint8_t *p, uint16_t v)
{
	if (opt.swap)
		put16(p, v);
	else
		le16(p, v);
}

static void
fe32(uint8_t *p, uint32_t v)
{
	if (opt.swap)
		put32(p, v);
	else
		le32(p, v);
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static __attribute__((noreturn)) void
die(const char *msg)
{
	fprintf(stderr, "mkcap: %s: %s\n", out_path ? out_path : "-", msg);
	exit(1);
}

static void
wr(const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n)
		die(strerror(errno));
}

/* ---- file formats ---- */

static void
file_header(void)
{
	uint8_t h[64];
	uint32_t lt = opt.encap >= 0 ? encap_linktype(opt.encap) : links[opt.link].linktype;

	if (!opt.pcapng) {
		fe32(h, opt.nano ? 0xa1b23c4d : 0xa1b2c3d4);
		fe16(h + 4, 2);
		fe16(h + 6, 4);
		fe32(h + 8, 0);
		fe32(h + 12, 0);
		fe32(h + 16, opt.hsnap ? opt.hsnap : opt.snap);
		fe32(h + 20, lt);
		wr(h, 24);
		return;
	}
	/* Section header block */
	memset(h, 0, sizeof(h));
	le32(h, 0x0a0d0d0a);
	le32(h + 4, 28);
	le32(h + 8, 0x1a2b3c4d);
	le16(h + 12, 1);
	le16(h + 14, 0);
	le32(h + 16, 0xffffffff);	/* section length unknown */
	le32(h + 20, 0xffffffff);
	le32(h + 24, 28);
	wr(h, 28);
	/* Interface description block, if_tsresol = 9 (ns) */
	memset(h, 0, sizeof(h));
	le32(h, 1);
	le32(h + 4, 32);
	le16(h + 8, (uint16_t)lt);
	le16(h + 10, 0);
	le32(h + 12, opt.snap);
	le16(h + 16, 9);	/* if_tsresol */
	le16(h + 18, 1);
	h[20] = 9;
	le16(h + 24, 0);	/* opt_endofopt */
	le16(h + 26, 0);
	le32(h + 28, 32);
	wr(h, 32);
}

static void
record(uint64_t ts, const uint8_t *frame, uint32_t len)
{
	uint32_t caplen;
	uint8_t h[28];

	if (opt.encap >= 0)
		frame = encap_wrap(opt.encap, frame, &len, opt.swap);
	caplen = len < opt.snap ? len : opt.snap;

	if (!opt.pcapng) {
		fe32(h, (uint32_t)(ts / NS));
		fe32(h + 4, (uint32_t)(opt.nano ? ts % NS : ts % NS / 1000));
		fe32(h + 8, caplen);
		fe32(h + 12, len);
		wr(h, 16);
		wr(frame, caplen);
		return;
	}
	/* Enhanced packet block */
	uint32_t pad = (4 - caplen % 4) % 4, tot = 32 + caplen + pad;
	static const uint8_t zero[4];

	le32(h, 6);
	le32(h + 4, tot);
	le32(h + 8, 0);
	le32(h + 12, (uint32_t)(ts >> 32));
	le32(h + 16, (uint32_t)ts);
	le32(h + 20, caplen);
	le32(h + 24, len);
	wr(h, 28);
	wr(frame, caplen);
	wr(zero, pad);
	le32(h, tot);
	wr(h, 4);
}

/* ---- packets ---- */

struct host {
	uint8_t a[16];
	uint16_t port;
};

struct conn {
	int fam;		/* 4 or 6 */
	struct host c, s;	/* client (originator in a normal open), server */
	uint32_t seq[2];	/* next sequence number: [0] client, [1] server */
	uint32_t ack[2];	/* what each side acknowledges (its rcv.nxt) */
	int ext;		/* IPv6: 1 hop-by-hop + dstopts, 2 + routing */
};

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

static void
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
static size_t
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

struct pkt {
	uint64_t ts;
	uint64_t order;
	uint32_t len;
	uint8_t *b;
};

static struct pkt *pkts;
static size_t npkts, cappkts;

static void
emit(uint64_t ts, const uint8_t *frame, size_t len)
{
	if (npkts == cappkts) {
		cappkts = cappkts ? cappkts * 2 : 256;
		if ((pkts = realloc(pkts, cappkts * sizeof(*pkts))) == NULL)
			die("out of memory");
	}
	pkts[npkts].ts = ts;
	pkts[npkts].order = npkts;
	pkts[npkts].len = (uint32_t)len;
	if ((pkts[npkts].b = malloc(len)) == NULL)
		die("out of memory");
	memcpy(pkts[npkts].b, frame, len);
	npkts++;
}

/* Low level: one TCP segment from side dir with explicit numbers.
 * frag: IPv4/IPv6 first fragment (more fragments set). */
static size_t
segment(uint8_t *b, const struct conn *k, int dir, uint8_t flags, uint32_t len,
    uint32_t seq, uint32_t ack, bool frag, uint32_t fill)
{
	const struct host *s = dir ? &k->s : &k->c, *d = dir ? &k->c : &k->s;
	size_t l = 0, ip, th, optl = 0, ext = 0;
	uint8_t o[40];
	uint32_t sum;
	uint8_t nh = 6;

	if (flags & 0x02) {
		/* SYN: MSS 1460, SACK permitted, timestamps, window scale 7 */
		o[0] = 2, o[1] = 4, put16(o + 2, 1460);
		o[4] = 4, o[5] = 2;
		o[6] = 8, o[7] = 10, put32(o + 8, 1000 + seq % 1000), put32(o + 12, 0);
		o[16] = 1, o[17] = 3, o[18] = 3, o[19] = 7;
		optl = 20;
	} else {
		o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
		put32(o + 4, 2000 + seq % 1000), put32(o + 8, 1000 + ack % 1000);
		optl = 12;
	}
	l = link_hdr(b, dir, k->fam == 4 ? 0x0800 : 0x86dd, 0);
	ip = l;
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
		uint8_t *e;

		memset(b + ip, 0, 40);
		b[ip] = 0x60;
		b[ip + 7] = 64;
		memcpy(b + ip + 8, s->a, 16);
		memcpy(b + ip + 24, d->a, 16);
		e = b + ip + 40;
		/* The chain: hop-by-hop, routing (type 0, no segments
		 * left: ignored), destination options, fragment. */
		if (k->ext >= 1) {
			e[ext] = k->ext >= 2 ? 43 : 60;		/* next */
			e[ext + 1] = 0;				/* 8 bytes */
			e[ext + 2] = 1, e[ext + 3] = 4;		/* PadN */
			memset(e + ext + 4, 0, 4);
			ext += 8;
			nh = 0;
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
				nh = 44;
			e[ext] = 6;
			e[ext + 1] = 0;
			put16(e + ext + 2, 0x0001);		/* offset 0, M */
			put32(e + ext + 4, seq);
			ext += 8;
		}
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
	if (k->fam == 4) {
		sum = csum_add(sum, b + ip + 12, 8);
	} else {
		sum = csum_add(sum, b + ip + 8, 32);
	}
	sum += 6 + (uint32_t)(20 + optl + len);
	sum = csum_add(sum, b + th, 20 + optl + len);
	put16(b + th + 16, csum_fold(sum));
	return th + 20 + optl + len;
}

/* High level: side dir sends flags with len bytes; sequence numbers
 * advance, the ACK field is what dir has received. */
static void
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
static void
tcp_again(struct conn *k, uint64_t ts, int dir, uint8_t flags, uint32_t len)
{
	k->seq[dir] -= len + !!(flags & 0x02) + !!(flags & 0x01);
	tcp(k, ts, dir, flags, len);
}

#define SYN 0x02
#define FIN 0x01
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

static void
handshake(struct conn *k, uint64_t *t, uint64_t rtt)
{
	tcp(k, *t, 0, SYN, 0);
	*t += rtt / 2;
	tcp(k, *t, 1, SYN | ACK, 0);
	*t += rtt / 2;
	tcp(k, *t, 0, ACK, 0);
}

/* An ARP request (link layers that carry one). */
static void
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
static void
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

#define P_ICMP	1
#define P_UDP	17
#define P_ESP	50
#define P_ICMP6	58

/* The link and IP headers of a datagram of proto from side dir with
 * l4len bytes after them (IPv4: DF, no options; IPv6: no extension
 * header); returns the transport's offset, *ip the IP header's. */
static size_t
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
static void
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
 * server, the client's port its identifier; or another protocol's packet
 * (ESP: SPI and sequence number, then the payload). len bytes of payload;
 * seq numbers echoes and ESP packets. Returns the frame's length, *ip the
 * IP header's offset. */
static size_t
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
	default:
		put32(b + l4, 0x1000u + (uint32_t)dir);
		put32(b + l4 + 4, seq);
		break;
	}
	return l4 + hl + len;
}

static void
dg(struct conn *k, uint64_t ts, int dir, uint8_t proto, uint32_t len)
{
	uint8_t b[MAXFRAME + 128];
	size_t ip;

	emit(ts, b, dgram_build(b, k, dir, proto, len, ++k->seq[dir], &ip));
}

/* The server's side answers the client's last datagram (as dg() built
 * it) with an ICMP port unreachable quoting its IP header and 8 bytes;
 * into b, its length returned. */
static size_t
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

static void
unreach(struct conn *k, uint64_t ts, uint8_t proto, uint32_t len)
{
	uint8_t b[MAXFRAME + 128];

	emit(ts, b, unreach_build(b, k, proto, len));
}

/* ---- scenarios ---- */

/* Three flows: request/response with a normal close, the seed's
 * half-close (client FIN, server streams 3 s, then closes), and IPv6. */
static void
sc_basic(void)
{
	struct conn k;
	uint64_t t;
	int i;

	conn_init(&k, 4, 2, 40001, 2, 80, 1000, 5000);
	t = 100 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 120);
	tcp(&k, t += 5 * MS, 1, PSH | ACK, 1400);
	tcp(&k, t += 1 * MS, 1, PSH | ACK, 800);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 10 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	conn_init(&k, 4, 2, 40002, 2, 5001, 7000, 9000);
	t = 300 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 64);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	for (i = 0; i < 30; i++) {
		tcp(&k, t += 100 * MS, 1, PSH | ACK, 500);
		tcp(&k, t += 1 * MS, 0, ACK, 0);
	}
	tcp(&k, t += 10 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	conn_init(&k, 6, 2, 40003, 2, 443, 11000, 13000);
	t = 500 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 200);
	tcp(&k, t += 3 * MS, 1, PSH | ACK, 1200);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 50 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);

	other_protocols(200 * MS);
}

/* The capture starts in the middle of two conversations. */
static void
sc_midstream(void)
{
	struct conn k;
	uint64_t t = 0;
	int i;

	conn_init(&k, 4, 3, 41000, 3, 22, 0x10000000, 0x20000000);
	for (i = 0; i < 5; i++) {
		tcp(&k, t += 200 * MS, 0, PSH | ACK, 48);
		tcp(&k, t += 2 * MS, 1, PSH | ACK, 96);
	}
	tcp(&k, t += 1 * NS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	/* first seen from the server's side */
	conn_init(&k, 4, 4, 41001, 3, 443, 0x30000000, 0x40000000);
	t = 50 * MS;
	for (i = 0; i < 4; i++) {
		tcp(&k, t += 300 * MS, 1, PSH | ACK, 1000);
		tcp(&k, t += 1 * MS, 0, ACK, 0);
	}
}

/* Simultaneous open (RFC 793 figure 8), then a simultaneous close. */
static void
sc_simultaneous(void)
{
	struct conn k;
	uint64_t t = 0;

	conn_init(&k, 4, 5, 42000, 5, 42001, 100, 200);
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 1 * MS, 1, SYN, 0);
	/* each answers the other's SYN with SYN-ACK (same ISN again) */
	k.seq[0]--, k.seq[1]--;
	k.ack[0] = k.seq[1] + 1;
	k.ack[1] = k.seq[0] + 1;
	tcp(&k, t += 1 * MS, 0, SYN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, SYN | ACK, 0);
	k.ack[0] = k.seq[1];
	k.ack[1] = k.seq[0];
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 1, PSH | ACK, 100);
	/* both FINs cross on the wire */
	tcp(&k, t += 500 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 10 * US, 1, FIN | ACK, 0);
	k.ack[0] = k.seq[1];
	k.ack[1] = k.seq[0];
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 10 * US, 1, ACK, 0);
}

/* A RST in every state, one flow each (ports 43001...). */
static void
sc_rst(void)
{
	struct conn k;
	uint64_t t;
	uint16_t p = 43000;

	/* SYN_SENT: the client gives up and resets */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 0;
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 1 * NS, 0, RST, 0);
	/* SYN_SENT: refused by the server (REJ) */
	conn_init(&k, 4, 6, ++p, 6, 81, 1, 2);
	t = 100 * MS;
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	/* SYN_RECV: the client resets the SYN-ACK */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 200 * MS;
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 1 * MS, 1, SYN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, RST, 0);
	/* ESTABLISHED: the originator resets */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 300 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 10);
	tcp(&k, t += 1 * MS, 0, RST | ACK, 0);
	/* ESTABLISHED: the responder resets, then a stray ACK 500 ms later */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 400 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 10);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	tcp(&k, t += 500 * MS, 0, ACK, 0);
	/* FIN_WAIT: client FIN, server resets */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 500 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	/* CLOSE_WAIT: client FIN acked, then the server resets */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 600 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	/* LAST_ACK: both FINs, then a RST instead of the last ACK */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 700 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, RST, 0);
	/* TIME_WAIT: a full close, then a late RST */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 800 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 200 * MS, 1, RST, 0);
	/* a RST of no flow at all */
	conn_init(&k, 4, 7, 9, 7, 9, 1, 2);
	tcp(&k, 900 * MS, 1, RST | ACK, 0);
}

/* IPv6 with extension headers, and a fragmented segment. */
static void
sc_ipv6ext(void)
{
	struct conn k;
	uint8_t b[MAXFRAME + 128];
	uint64_t t = 0;
	size_t n;

	conn_init(&k, 6, 8, 44001, 8, 80, 500, 900);
	k.ext = 1;
	handshake(&k, &t, 2 * MS);
	k.ext = 2;
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 300);
	k.ext = 0;
	/* a segment sent as two fragments: the first carries the TCP
	 * header, the second only payload (skipped as a fragment) */
	n = segment(b, &k, 1, PSH | ACK, 1000, k.seq[1], k.ack[1], true, 1000);
	emit(t += 2 * MS, b, n);
	{
		size_t l = link_hdr(b, 1, 0x86dd, 0);

		memset(b + l, 0, 48 + 200);
		b[l] = 0x60;
		put16(b + l + 4, 8 + 200);
		b[l + 6] = 44;
		b[l + 7] = 64;
		memcpy(b + l + 8, k.s.a, 16);
		memcpy(b + l + 24, k.c.a, 16);
		b[l + 40] = 6;
		put16(b + l + 42, (uint16_t)(1000 / 8) << 3);	/* offset, no M */
		put32(b + l + 44, k.seq[1]);
		emit(t += 10 * US, b, l + 48 + 200);
	}
	k.seq[1] += 1000;
	k.ack[0] = k.seq[1];
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	k.ext = 1;
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
}

/* Known waits in every timer phase, each at least a second, so suggest
 * has something to find everywhere:
 *   opening 3.2 s (a slow SYN-ACK), established 7.5 s, half-closed 4.2 s,
 *   closing (LAST_ACK) 2.7 s, TIME_WAIT 1.5 s (a retransmitted FIN), after
 *   a RST 1.3 s; and SYN retransmissions (1 s and 3 s, answered at 3.1 s),
 *   which restart an expired flow and so need no timer of their own. */
static void
sc_gaps(void)
{
	struct conn k;
	uint64_t t = 0;

	conn_init(&k, 4, 9, 45001, 9, 80, 100, 200);
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 3200 * MS, 1, SYN | ACK, 0);		/* 3.2 s */
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 7500 * MS, 1, PSH | ACK, 100);		/* idle 7.5 s */
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);			/* half-closed */
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	tcp(&k, t += 4200 * MS, 1, PSH | ACK, 100);		/* 4.2 s later */
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);			/* LAST_ACK */
	tcp(&k, t += 2700 * MS, 0, ACK, 0);			/* 2.7 s later */
	tcp_again(&k, t += 1500 * MS, 1, FIN | ACK, 0);	/* in TIME_WAIT */
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	conn_init(&k, 4, 9, 45002, 9, 80, 100, 200);
	t = 1 * NS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 10);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	tcp(&k, t += 1300 * MS, 0, PSH | ACK, 10);		/* 1.3 s after RST */

	/* a short clean flow: small waits only */
	conn_init(&k, 6, 9, 45003, 9, 80, 100, 200);
	t = 2 * NS;
	handshake(&k, &t, 20 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 10);
	tcp(&k, t += 10 * MS, 1, PSH | ACK, 10);
	tcp(&k, t += 100 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	/* SYN, retransmitted at 1 s and 3 s (Linux's RTO doubling), answered
	 * at 3.1 s: 3.1 s since the first SYN, yet any opening timeout up to
	 * 3 s passes too (the retransmission finds the flow gone and starts
	 * it again) */
	conn_init(&k, 4, 9, 45004, 9, 80, 100, 200);
	t = 3 * NS;
	tcp(&k, t, 0, SYN, 0);
	tcp_again(&k, t + 1 * NS, 0, SYN, 0);
	tcp_again(&k, t + 3 * NS, 0, SYN, 0);
	tcp(&k, t + 3100 * MS, 1, SYN | ACK, 0);
	tcp(&k, t + 3101 * MS, 0, ACK, 0);
	tcp(&k, t + 3102 * MS, 0, FIN | ACK, 0);
	tcp(&k, t + 3103 * MS, 1, FIN | ACK, 0);
	tcp(&k, t + 3104 * MS, 0, ACK, 0);
}

/* What vendor profiles disagree on: a 6.5-minute idle gap, an idle
 * 2.5-minute half-closed wait, a SYN reusing a port still in TIME_WAIT. */
static void
sc_idle(void)
{
	struct conn k;
	uint64_t t = 0;

	conn_init(&k, 4, 10, 46001, 10, 443, 100, 200);
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 2 * MS, 1, PSH | ACK, 300);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 390 * NS, 0, PSH | ACK, 100);		/* after 6.5 min */
	tcp(&k, t += 2 * MS, 1, PSH | ACK, 300);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	conn_init(&k, 4, 10, 46002, 10, 80, 100, 200);
	t = 10 * NS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	tcp(&k, t += 150 * NS, 1, PSH | ACK, 1000);		/* 2.5 min half-closed */
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	/* closes, then the same 4-tuple opens again 5 s later */
	conn_init(&k, 4, 10, 46003, 10, 80, 100, 200);
	t = 20 * NS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	conn_init(&k, 4, 10, 46003, 10, 80, 300000, 400000);
	t += 5 * NS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 1, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
}

/*
 * Corners of compare's shadows (report_shadow.c), each a capture of its
 * own, run with the settings tests/replay/run.sh gives them: where a
 * profile's table is full to the last slot at the tick its tombstones go.
 *
 * shadow-evict: the reference (--max-flows 1) forgets a flow whose
 * profile state had long become a tombstone and gone; a UDP frame earlier
 * in the same wheel tick as the next flow.
 */
static void
sc_shadow_evict(void)
{
	struct conn k;

	conn_init(&k, 4, 20, 1000, 20, 80, 100, 200);
	tcp(&k, 0, 0, ACK, 0);
	other_protocols(10 * NS - 1 * US);		/* the UDP at 10 s */
	conn_init(&k, 4, 20, 1001, 20, 80, 100, 200);
	tcp(&k, 10 * NS + 1 * MS, 0, ACK, 0);
	tcp(&k, 10 * NS + 2 * MS, 0, ACK, 0);
}

/* shadow-lag: a profile's engine that sees no packet for 559 s while the
 * capture goes on (a shadowed flow at 1 s and 200 s), its tombstone due
 * in the tick the next flow starts in. */
static void
sc_shadow_lag(void)
{
	struct conn k;
	uint64_t z = 66729ULL * (1ULL << 23) + (1ULL << 22);

	conn_init(&k, 4, 21, 1000, 21, 80, 100, 200);
	tcp(&k, 0, 0, SYN, 0);
	tcp(&k, 1 * MS, 0, 0, 0);			/* no flags: invalid */
	conn_init(&k, 4, 22, 2000, 21, 80, 500, 900);
	tcp(&k, 1 * NS, 0, ACK, 0);
	tcp(&k, 200 * NS, 0, ACK, 0);
	conn_init(&k, 4, 23, 3000, 21, 80, 700, 0);
	tcp(&k, z, 0, SYN, 0);
	tcp(&k, z + 1 * MS, 0, ACK, 0);
}

/* shadow-short: a tombstone shorter than a wheel tick, the next flow in
 * the tick after its flow's deadline. */
static void
sc_shadow_short(void)
{
	struct conn k;

	conn_init(&k, 4, 24, 1000, 24, 80, 100, 200);
	tcp(&k, 0, 0, ACK, 0);
	conn_init(&k, 4, 25, 2000, 24, 80, 100, 5);
	tcp(&k, 2008 * MS, 0, SYN, 0);
	tcp(&k, 2009 * MS, 0, ACK, 0);
}

/* shadow-tail: the capture ends with an ARP frame long after the last
 * TCP packet (engines stop at the last IP packet). */
static void
sc_shadow_tail(void)
{
	struct conn k;
	uint64_t t = 0;

	conn_init(&k, 4, 26, 1000, 26, 80, 100, 300);
	handshake(&k, &t, 20 * MS);
	arp_frame(100 * NS);
}

/*
 * UDP, ICMP and another protocol, with waits that profiles' timers cut
 * (times in seconds):
 *  - DNS-like: a query and its answer, IPv4 (0.1) and IPv6 (0.3);
 *  - an IPsec NAT-T-like keepalive flow (udp 4500): spoken both ways at 1
 *    and 4 s (replied from then: the kernel's stream rule), then silent
 *    for 140 s, longer than Linux's 120 s stream timeout; the server
 *    speaks first after it (144), the client after the next (284);
 *  - ping (IPv4, identifier 1234): echoes each second from 2 to 5, one
 *    after 40 s (45), one answered 2.5 s late (46, 48.5); ping6 at 6-8;
 *  - a UDP datagram to a closed port at 10 and 11, each answered by an
 *    ICMP port unreachable quoting it, and one (12) quoting a datagram
 *    of no flow;
 *  - ESP (protocol 50) both ways every 10 s from 20 to 60, the server
 *    first after 50 s (110), the client after 700 s (810);
 *  - a SIP-like datagram (udp 5060) at 30, 70 and 110, never answered.
 */
static void
sc_dgram(void)
{
	struct conn k, q;
	int i;

	conn_init(&k, 4, 10, 53001, 53, 53, 0, 0);
	dg(&k, 100 * MS, 0, P_UDP, 32);
	dg(&k, 120 * MS, 1, P_UDP, 120);
	conn_init(&k, 6, 10, 53002, 53, 53, 0, 0);
	dg(&k, 300 * MS, 0, P_UDP, 32);
	dg(&k, 310 * MS, 1, P_UDP, 140);

	conn_init(&k, 4, 11, 4500, 4, 4500, 0, 0);
	dg(&k, 1 * NS, 0, P_UDP, 100);
	dg(&k, 1 * NS + 50 * MS, 1, P_UDP, 100);
	dg(&k, 4 * NS, 0, P_UDP, 1);
	dg(&k, 4 * NS + 50 * MS, 1, P_UDP, 100);
	dg(&k, 144 * NS, 1, P_UDP, 100);
	dg(&k, 144 * NS + 50 * MS, 0, P_UDP, 100);
	dg(&k, 284 * NS, 0, P_UDP, 1);
	dg(&k, 284 * NS + 50 * MS, 1, P_UDP, 100);

	conn_init(&k, 4, 12, 1234, 12, 0, 0, 0);
	for (i = 2; i <= 5; i++) {
		dg(&k, (uint64_t)i * NS, 0, P_ICMP, 56);
		dg(&k, (uint64_t)i * NS + 10 * MS, 1, P_ICMP, 56);
	}
	dg(&k, 45 * NS, 0, P_ICMP, 56);
	dg(&k, 45 * NS + 10 * MS, 1, P_ICMP, 56);
	dg(&k, 46 * NS, 0, P_ICMP, 56);
	dg(&k, 48 * NS + 500 * MS, 1, P_ICMP, 56);
	conn_init(&k, 6, 12, 4321, 12, 0, 0, 0);
	for (i = 6; i <= 8; i++) {
		dg(&k, (uint64_t)i * NS, 0, P_ICMP, 56);
		dg(&k, (uint64_t)i * NS + 10 * MS, 1, P_ICMP, 56);
	}

	conn_init(&k, 4, 13, 33434, 13, 33434, 0, 0);
	dg(&k, 10 * NS, 0, P_UDP, 24);
	unreach(&k, 10 * NS + 1 * MS, P_UDP, 24);
	dg(&k, 11 * NS, 0, P_UDP, 24);
	unreach(&k, 11 * NS + 1 * MS, P_UDP, 24);
	conn_init(&q, 4, 13, 33500, 13, 33500, 0, 0);
	unreach(&q, 12 * NS, P_UDP, 24);

	conn_init(&k, 4, 14, 0, 14, 0, 0, 0);
	for (i = 20; i <= 60; i += 10) {
		dg(&k, (uint64_t)i * NS, 0, P_ESP, 120);
		dg(&k, (uint64_t)i * NS + 20 * MS, 1, P_ESP, 120);
	}
	dg(&k, 110 * NS, 1, P_ESP, 120);
	dg(&k, 110 * NS + 20 * MS, 0, P_ESP, 120);
	dg(&k, 810 * NS, 0, P_ESP, 120);
	dg(&k, 810 * NS + 20 * MS, 1, P_ESP, 120);

	conn_init(&k, 4, 15, 5060, 15, 5060, 0, 0);
	for (i = 30; i <= 110; i += 40)
		dg(&k, (uint64_t)i * NS, 0, P_UDP, 400);
}

/*
 * Peer-to-peer seen on the inside of a NAT (for NAT what-ifs: replay and
 * compare with nat.outside and nat.inside; times in seconds), the client
 * 198.51.100.10:
 *  - asks a STUN-like server 203.0.113.20:3478 from udp 40000 (0), answered;
 *  - a peer 203.0.113.30:5000 sends to that port (1), the client answers
 *    (1.01), the peer again (1.05): endpoint-independent filtering lets the
 *    first in, address(-and-port)-dependent refuses it;
 *  - the server answers from its other port 3479 (2): address-dependent
 *    filtering lets it in, address-and-port-dependent refuses it;
 *  - a TCP connection to 203.0.113.20:443 (5), silent from 5.12 until the
 *    client speaks again at 70.005 (a 60 s idle timeout loses it first);
 *  - an unsolicited SYN from 203.0.113.40:51000 to the client's port 22
 *    (80, again at 81): no mapping holds that port.
 */
static void
sc_p2p(void)
{
	struct conn k;
	uint64_t t;

	conn_init(&k, 4, 10, 40000, 20, 3478, 0, 0);
	dg(&k, 0, 0, P_UDP, 20);
	dg(&k, 20 * MS, 1, P_UDP, 32);

	conn_init(&k, 4, 10, 40000, 30, 5000, 0, 0);
	dg(&k, 1 * NS, 1, P_UDP, 40);
	dg(&k, 1 * NS + 10 * MS, 0, P_UDP, 40);
	dg(&k, 1 * NS + 50 * MS, 1, P_UDP, 40);

	conn_init(&k, 4, 10, 40000, 20, 3479, 0, 0);
	dg(&k, 2 * NS, 1, P_UDP, 32);

	conn_init(&k, 4, 10, 40001, 20, 443, 1000, 5000);
	t = 5 * NS;
	handshake(&k, &t, 20 * MS);
	tcp(&k, 5 * NS + 100 * MS, 0, PSH | ACK, 200);
	tcp(&k, 5 * NS + 120 * MS, 1, PSH | ACK, 1000);
	tcp(&k, 70 * NS + 5 * MS, 0, PSH | ACK, 100);
	tcp(&k, 70 * NS + 30 * MS, 1, PSH | ACK, 200);

	conn_init(&k, 4, 10, 22, 40, 51000, 0, 9000);
	tcp(&k, 80 * NS, 1, SYN, 0);
	tcp_again(&k, 81 * NS, 1, SYN, 0);
}

/* ---- writing ---- */

static int
by_time(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* 2024-05-01 10:00:00 UTC: a fixed start, so files repeat byte for byte. */
#define EPOCH (1714557600ULL * NS)

static void
write_all(void)
{
	qsort(pkts, npkts, sizeof(*pkts), by_time);
	file_header();
	for (size_t i = 0; i < npkts; i++) {
		record(EPOCH + pkts[i].ts, pkts[i].b, pkts[i].len);
		free(pkts[i].b);
	}
	free(pkts);
}

/* ---- the benchmark's synthetic load ---- */

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t
rnd_range(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

enum bkind { BK_SHORT, BK_LONG, BK_HALF, BK_IDLE, BK_RST,
	/* --dgram: */ BK_DNS, BK_UDPKA, BK_PING, BK_ESP };
enum bphase { BP_SYN, BP_SYNACK, BP_ACK, BP_REQ, BP_EARLY_FIN, BP_DATA, BP_DACK,
	BP_FIN1, BP_FIN2, BP_LAST };

struct bflow {
	struct conn k;
	uint64_t next;		/* time of its next packet */
	uint16_t left;		/* data exchanges to go */
	uint8_t kind, phase;
	bool first_gap;
	bool answer;		/* datagrams: the other side answers next */
	bool server_first;	/* datagrams: this exchange starts at the server */
};

static struct bflow *heap[1 << 21];
static size_t nheap;

static void
heap_push(struct bflow *f)
{
	size_t i = nheap++;

	while (i > 0 && heap[(i - 1) / 2]->next > f->next) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = f;
}

static struct bflow *
heap_pop(void)
{
	struct bflow *top = heap[0], *last = heap[--nheap];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < nheap) {
		if (c + 1 < nheap && heap[c + 1]->next < heap[c]->next)
			c++;
		if (heap[c]->next >= last->next)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (nheap)
		heap[i] = last;
	return top;
}

static uint64_t bench_written;

/* A header-only copy (as tcpdump -s 96 records): the IP header says how
 * long the packet was, the file holds only the first snap bytes. */
static void
bench_tcp(struct bflow *f, int dir, uint8_t flags, uint32_t len)
{
	uint8_t b[MAXFRAME + 128];
	size_t n;

	n = segment(b, &f->k, dir, flags, len, f->k.seq[dir], f->k.ack[dir], false,
	    opt.snap);
	f->k.seq[dir] += len + !!(flags & SYN) + !!(flags & FIN);
	f->k.ack[!dir] = f->k.seq[dir];
	record(EPOCH + f->next, b, (uint32_t)(n - (len < opt.snap ? len : opt.snap) + len));
	bench_written++;
}

/* A datagram of a flow of the load, header-only past the snap length;
 * unreach: an ICMP port unreachable for the client's last instead. */
static void
bench_dg(struct bflow *f, int dir, uint8_t proto, uint32_t len, bool unreachable)
{
	uint8_t b[MAXFRAME + 128];
	size_t ip, n;

	n = unreachable ? unreach_build(b, &f->k, proto, len) :
	    dgram_build(b, &f->k, dir, proto, len, ++f->k.seq[dir], &ip);
	record(EPOCH + f->next, b, (uint32_t)n);
	bench_written++;
}

/*
 * One datagram of a UDP, ICMP or ESP flow of the load: exchanges of a
 * datagram and its answer, the first side random for keepalives and ESP
 * (30% the server's), with waits across the profiles' timers. A DNS
 * query is answered (85%), unanswered (10%) or refused with a port
 * unreachable (5%); an echo reply comes now and then seconds late.
 */
static bool
bench_dgram_step(struct bflow *f)
{
	static const uint8_t proto[] = {
		[BK_DNS] = P_UDP, [BK_UDPKA] = P_UDP, [BK_PING] = P_ICMP, [BK_ESP] = P_ESP,
	};
	int from = f->server_first != f->answer;
	uint64_t r = rnd() % 100;

	if (f->answer && f->kind == BK_DNS && r >= 85) {
		if (r >= 95)
			bench_dg(f, 1, P_UDP, 40, true);
		return false;
	}
	bench_dg(f, from, proto[f->kind], (uint32_t)rnd_range(1, 300), false);
	if (!f->answer) {
		f->answer = true;
		f->next += f->kind == BK_PING && r < 5 ? rnd_range(2000, 4000) * MS :
		    rnd_range(1, 50) * MS;
		return true;
	}
	if (--f->left == 0)
		return false;
	f->answer = false;
	f->server_first = f->kind != BK_PING && rnd() % 100 < 30;
	switch (f->kind) {
	case BK_UDPKA:
		f->next += rnd_range(1, 200) * NS;
		break;
	case BK_PING:
		f->next += rnd_range(1, 45) * NS;
		break;
	default:
		f->next += rnd_range(1, 90) * NS;
		break;
	}
	return true;
}

/* One packet of a flow's script; false when the flow is over. */
static bool
bench_step(struct bflow *f)
{
	if (f->kind >= BK_DNS)
		return bench_dgram_step(f);
	switch (f->phase) {
	case BP_SYN:
		bench_tcp(f, 0, SYN, 0);
		f->next += 10 * MS;
		f->phase = BP_SYNACK;
		return true;
	case BP_SYNACK:
		bench_tcp(f, 1, SYN | ACK, 0);
		f->next += 10 * MS;
		f->phase = BP_ACK;
		return true;
	case BP_ACK:
		bench_tcp(f, 0, ACK, 0);
		f->next += rnd_range(100, 2000) * US;
		f->phase = BP_REQ;
		return true;
	case BP_REQ:
		bench_tcp(f, 0, PSH | ACK, (uint32_t)rnd_range(40, 600));
		f->next += rnd_range(1, 5) * MS;
		f->phase = f->kind == BK_HALF ? BP_EARLY_FIN : BP_DATA;
		return true;
	case BP_EARLY_FIN:
		/* the seed's client: request, then shutdown(SHUT_WR) */
		bench_tcp(f, 0, FIN | ACK, 0);
		f->next += 1 * MS;
		f->phase = BP_DATA;
		return true;
	case BP_DATA:
		bench_tcp(f, 1, PSH | ACK, (uint32_t)rnd_range(200, 1448));
		f->next += rnd_range(100, 1000) * US;
		f->phase = BP_DACK;
		return true;
	case BP_DACK:
		bench_tcp(f, 0, ACK, 0);
		switch (f->kind) {
		case BK_LONG:
			f->next += rnd_range(10, 30000) * MS;
			break;
		case BK_IDLE:
			f->next += f->first_gap ? rnd_range(300, 500) * NS : rnd_range(1, 20) * MS;
			break;
		case BK_HALF:
			f->next += rnd_range(200, 2000) * MS;
			break;
		default:
			f->next += rnd_range(100, 3000) * US;
			break;
		}
		f->first_gap = false;
		if (--f->left > 0)
			f->phase = BP_DATA;
		else if (f->kind == BK_RST)
			f->phase = BP_LAST;
		else
			f->phase = f->kind == BK_HALF ? BP_FIN2 : BP_FIN1;
		return true;
	case BP_FIN1:
		bench_tcp(f, 0, FIN | ACK, 0);
		f->next += rnd_range(1, 10) * MS;
		f->phase = BP_FIN2;
		return true;
	case BP_FIN2:
		bench_tcp(f, 1, FIN | ACK, 0);
		f->next += rnd_range(1, 10) * MS;
		f->phase = BP_LAST;
		return true;
	default:
		if (f->kind == BK_RST)
			bench_tcp(f, (int)(rnd() & 1), RST | ACK, 0);
		else
			bench_tcp(f, 0, ACK, 0);
		return false;
	}
}

/* Flows start evenly over --seconds; each runs a script by kind: 80%
 * short request/response, 10% long-lived with waits up to 30 s, 5% the
 * seed's half-close with the server streaming for seconds, 3% idle for
 * 5 to 8 minutes once, 2% ended by a RST. With --dgram PCT, that share
 * of the flows are instead DNS-like UDP, UDP keepalives, pings and ESP
 * (bench_dgram_step()). The heap holds the flows in progress, ordered by
 * their next packet. */
static void
sc_bench(void)
{
	uint64_t started = 0, span = opt.seconds * NS, next_start = 0;
	uint64_t avg = opt.packets / opt.flows;
	uint32_t pairs = avg > 8 ? (uint32_t)(avg - 7) : 1;	/* 7 + 2n packets */
	struct bflow *f;

	rng ^= opt.seed * 0x9e3779b97f4a7c15ULL;
	file_header();
	while (started < opt.flows || nheap) {
		if (started < opt.flows && (nheap == 0 || next_start <= heap[0]->next) &&
		    nheap < sizeof(heap) / sizeof(heap[0])) {
			uint64_t r = rnd() % 100;
			uint32_t i = (uint32_t)started;

			if ((f = calloc(1, sizeof(*f))) == NULL)
				die("out of memory");
			conn_init(&f->k, i % 10 == 9 ? 6 : 4, 1 + i % 250,
			    (uint16_t)(1024 + (i / 250) % 64000), 1 + (unsigned)(rnd() % 50),
			    r & 1 ? 443 : 80, (uint32_t)rnd(), (uint32_t)rnd());
			f->next = next_start;
			f->kind = r < 80 ? BK_SHORT : r < 90 ? BK_LONG : r < 95 ? BK_HALF :
			    r < 98 ? BK_IDLE : BK_RST;
			/* n data exchanges averaging (packets/flows - 7) / 2 */
			f->left = (uint16_t)(1 + rnd() % pairs);
			if (f->kind == BK_LONG || f->kind == BK_HALF)
				f->left += 8;
			/* --dgram PCT: that share of flows are UDP, ICMP and
			 * ESP flows (without it, no draw: the load repeats) */
			if (opt.dgram && rnd() % 100 < opt.dgram) {
				f->kind = (uint8_t)(BK_DNS + rnd() % 4);
				f->left = (uint16_t)(f->kind == BK_DNS ? 1 : 3 + rnd() % 8);
			}
			f->first_gap = true;
			heap_push(f);
			started++;
			next_start = span * started / opt.flows;
			continue;
		}
		f = heap_pop();
		if (bench_step(f))
			heap_push(f);
		else
			free(f);
	}
	fprintf(stderr, "mkcap: %s: %llu packets, %llu flows over %llu s\n", out_path,
	    (unsigned long long)bench_written, (unsigned long long)started,
	    (unsigned long long)opt.seconds);
}

/* Copy --from to the output with --flips random bytes overwritten
 * (after the first 24, so the file still opens and the records suffer). */
static void
sc_mutate(void)
{
	FILE *in;
	uint8_t *b = NULL;
	size_t n = 0, cap = 0, r;

	if (opt.from == NULL || (in = fopen(opt.from, "rb")) == NULL)
		die("mutate needs --from FILE");
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((b = realloc(b, cap)) == NULL)
				die("out of memory");
		}
		if ((r = fread(b + n, 1, cap - n, in)) == 0)
			break;
		n += r;
	}
	fclose(in);
	rng ^= opt.seed * 0x9e3779b97f4a7c15ULL;
	for (uint64_t i = 0; i < opt.flips && n > 24; i++) {
		size_t at = 24 + (size_t)(rnd() % (n - 24));

		/* bit flips, and now and then a byte of all ones or zeros */
		switch (rnd() % 4) {
		case 0: b[at] = 0xff; break;
		case 1: b[at] = 0; break;
		default: b[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
		}
	}
	wr(b, n);
	free(b);
}

/* ---- main ---- */

static const struct {
	const char *name;
	void (*fn)(void);
	const char *help;
} scenarios[] = {
	{ "basic", sc_basic, "request/response, the seed's half-close, IPv6; an ARP and a UDP frame" },
	{ "midstream", sc_midstream, "the capture starts in the middle of two connections" },
	{ "simultaneous", sc_simultaneous, "simultaneous open, then simultaneous close" },
	{ "rst", sc_rst, "a RST in every tracker state, and one of no flow" },
	{ "ipv6ext", sc_ipv6ext, "IPv6 with hop-by-hop, routing, dstopts and a fragmented segment" },
	{ "gaps", sc_gaps, "known waits in every timer phase (for suggest)" },
	{ "idle", sc_idle, "a 6.5 min idle gap, a 2.5 min half-closed wait, TIME_WAIT reuse" },
	{ "dgram", sc_dgram, "UDP (DNS, keepalives over 2 min, unreplied), ping, ping6, port unreachable, ESP" },
	{ "p2p", sc_p2p, "peer-to-peer on a NAT's inside: STUN, peers, an idle TCP, an unsolicited SYN" },
	{ "shadow-evict", sc_shadow_evict, "compare's shadows: the reference forgets a dead flow" },
	{ "shadow-lag", sc_shadow_lag, "compare's shadows: a profile's engine idle 559 s" },
	{ "shadow-short", sc_shadow_short, "compare's shadows: a tombstone shorter than a tick" },
	{ "shadow-tail", sc_shadow_tail, "compare's shadows: an ARP frame long after the last TCP" },
	{ "bench", sc_bench, "--flows N --packets N --seconds S [--dgram PCT] synthetic load (streamed)" },
	{ "mutate", sc_mutate, "--from FILE --flips N --seed S: FILE with random bytes damaged" },
};

#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: mkcap [--link L] [--pcapng] [--nano] [--swap] [--snap N] [--hsnap N]\n"
	    "             [--cut N]\n"
	    "             [--flows N] [--packets N] [--seconds S] [--seed N] [--dgram PCT]\n"
	    "             [--from FILE] [--flips N] SCENARIO FILE\n"
	    "links: ether vlan qinq sll sll2 raw ipv4 ipv6 null pppoe mpls\n       ");
	encap_list(f);
	fprintf(f, "--cut N drops the last N bytes (a truncated file); --cut -N overwrites\n"
	    "the caplen of record N (pcap) with garbage (a corrupt file)\n"
	    "scenarios:\n");
	for (size_t i = 0; i < NSCEN; i++)
		fprintf(f, "  %-13s %s\n", scenarios[i].name, scenarios[i].help);
}

static uint64_t
num(const char *s)
{
	char *e;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno || *e || e == s) {
		fprintf(stderr, "mkcap: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* Damage a written pcap: drop the tail, or scribble over the caplen of
 * record n so that it claims far more than any snap length. */
static void
damage(const char *path)
{
	FILE *f;
	long size;

	if (opt.cut > 0) {
		if ((f = fopen(path, "rb+")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
		    (size = ftell(f)) < opt.cut || ftruncate(fileno(f), size - opt.cut) != 0)
			die("cannot cut the file");
		fclose(f);
		return;
	}
	if (opt.cut < 0) {
		uint8_t h[16];
		long off = 24, n = -opt.cut;
		uint32_t caplen;

		if (opt.pcapng || (f = fopen(path, "rb+")) == NULL)
			die("--cut -N needs a pcap file");
		for (long i = 0; i < n; i++) {
			if (fseek(f, off, SEEK_SET) != 0 || fread(h, 1, 16, f) != 16)
				die("no such record");
			caplen = opt.swap ? (uint32_t)h[11] | (uint32_t)h[10] << 8 |
			    (uint32_t)h[9] << 16 | (uint32_t)h[8] << 24 :
			    (uint32_t)h[8] | (uint32_t)h[9] << 8 |
			    (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24;
			off += 16 + (long)caplen;
		}
		fe32(h, 0x7ffffff0);
		if (fseek(f, off + 8, SEEK_SET) != 0 || fwrite(h, 1, 4, f) != 4)
			die("cannot write");
		fclose(f);
	}
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "link", required_argument, NULL, 'l' },
		{ "pcapng", no_argument, NULL, 'n' },
		{ "nano", no_argument, NULL, 'N' },
		{ "swap", no_argument, NULL, 'w' },
		{ "hsnap", required_argument, NULL, 'H' },
		{ "snap", required_argument, NULL, 's' },
		{ "cut", required_argument, NULL, 'c' },
		{ "flows", required_argument, NULL, 'F' },
		{ "packets", required_argument, NULL, 'P' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "seed", required_argument, NULL, 'x' },
		{ "from", required_argument, NULL, 'f' },
		{ "flips", required_argument, NULL, 'X' },
		{ "dgram", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
				if (strcmp(optarg, links[i].name) == 0)
					break;
			if (i == sizeof(links) / sizeof(links[0]) &&
			    (opt.encap = encap_lookup(optarg)) >= 0) {
				opt.link = L_RAW;
				break;
			}
			if (i == sizeof(links) / sizeof(links[0])) {
				fprintf(stderr, "mkcap: unknown link '%s'\n", optarg);
				return 2;
			}
			opt.link = (enum link)i;
			break;
		case 'n':
			opt.pcapng = true;
			break;
		case 'N':
			opt.nano = true;
			break;
		case 'w':
			opt.swap = true;	/* pcap headers big-endian */
			break;
		case 'H':
			opt.hsnap = (uint32_t)num(optarg);	/* header's snap length */
			break;
		case 's':
			opt.snap = (uint32_t)num(optarg);
			break;
		case 'c':
			opt.cut = optarg[0] == '-' ? -(long)num(optarg + 1) : (long)num(optarg);
			break;
		case 'F':
			opt.flows = num(optarg);
			break;
		case 'P':
			opt.packets = num(optarg);
			break;
		case 'S':
			opt.seconds = num(optarg);
			break;
		case 'x':
			opt.seed = num(optarg);
			break;
		case 'f':
			opt.from = optarg;
			break;
		case 'X':
			opt.flips = num(optarg);
			break;
		case 'D':
			opt.dgram = num(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < NSCEN; i++)
		if (strcmp(argv[optind], scenarios[i].name) == 0)
			break;
	if (i == NSCEN) {
		fprintf(stderr, "mkcap: unknown scenario '%s'\n", argv[optind]);
		return 2;
	}
	if (opt.flows == 0 || opt.snap < 16) {
		fprintf(stderr, "mkcap: --flows and --snap must be positive (snap >= 16)\n");
		return 2;
	}
	out_path = argv[optind + 1];
	if ((out = fopen(out_path, "wb")) == NULL)
		die(strerror(errno));
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	scenarios[i].fn();
	if (scenarios[i].fn != sc_bench && scenarios[i].fn != sc_mutate)
		write_all();
	if (fclose(out) != 0)
		die(strerror(errno));
	damage(out_path);
	return 0;
}
