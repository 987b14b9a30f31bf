/* zconn.c -- Zeek's connections from every decoded packet: the table by 4-tuple, where one ends and the next starts, who originates, UDP and ICMP, conn_state and the history string. */
#include <stdlib.h>
#include <string.h>

#include "natrw.h"
#include "zconn_int.h"

#define NS			1000000000ULL
/* scripts/base/init-bare.zeek: udp_inactivity_timeout, icmp_inactivity_timeout */
#define UDP_INACTIVITY		(60 * NS)
#define ICMP_INACTIVITY		(60 * NS)
/* Zeek's Session.h HIST_ORIG_DATA_PKT, HIST_RESP_DATA_PKT (UDP) */
#define ZH_UDP_ORIG		0x1
#define ZH_UDP_RESP		0x2

/* Connections in blocks that never move (no copy, no peak of twice the
 * memory as an array grows): 16384 a block. */
#define ZBLOCK_SHIFT	14
#define ZBLOCK		(1u << ZBLOCK_SHIFT)

struct zconn {
	struct zc_conn **blk;
	uint32_t nblk, blkcap;
	uint32_t n;
	uint32_t *tab;		/* conn index + 1 of the tuple's latest; 0 empty */
	uint32_t mask;
	uint32_t used;		/* tuples in tab */
	uint64_t nomem;		/* packets of a new connection not taken */
};

/*
 * Zeek's likely_server_ports: the ports its default analyzers register
 * (base/protocols/ * /main.zeek). A connection whose first packet is no
 * clean SYN (or a UDP datagram) from one of them to a port not in the
 * list starts flipped (TCPAnalyzer::WantConnection(),
 * UDPAnalyzer::WantConnection()). The set here is the common part of
 * those registrations, not every one of them.
 */
static const uint16_t tcp_server_ports[] = {
	21, 22, 23, 25, 53, 79, 80, 81, 88, 102, 110, 111, 135, 139, 143, 389,
	443, 445, 502, 563, 585, 587, 614, 631, 636, 989, 990, 992, 993, 995,
	1080, 1433, 1723, 1883, 2049, 2811, 3128, 3306, 3389, 5060, 5222, 5223,
	5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8443, 8888, 20000,
};
static const uint16_t udp_server_ports[] = {
	53, 67, 68, 69, 88, 111, 123, 137, 161, 162, 443, 500, 514, 1812, 1813,
	2049, 2152, 3544, 4500, 4789, 5060, 5072, 5247, 5353, 5355, 6081, 47808,
};

static bool
likely_server(uint8_t zproto, uint16_t port)
{
	const uint16_t *v = zproto == ZCP_TCP ? tcp_server_ports : udp_server_ports;
	size_t n = zproto == ZCP_TCP ? sizeof(tcp_server_ports) / sizeof(tcp_server_ports[0]) :
	    sizeof(udp_server_ports) / sizeof(udp_server_ports[0]);

	for (size_t i = 0; i < n; i++)
		if (v[i] == port)
			return true;
	return false;
}

/* ICMP4_counterpart() and ICMP6_counterpart() (ICMP.cc): a query's
 * reply type and back; a message with none pairs with its code. */
static uint16_t
icmp_counterpart(uint8_t family, uint8_t type, uint8_t code)
{
	static const uint8_t v4[][2] = { { 8, 0 }, { 13, 14 }, { 15, 16 }, { 10, 9 }, { 17, 18 } };
	static const uint8_t v6[][2] = { { 128, 129 }, { 133, 134 }, { 135, 136 }, { 130, 131 } };
	const uint8_t (*v)[2] = family == 4 ? v4 : v6;
	size_t n = family == 4 ? 5 : 4;

	for (size_t i = 0; i < n; i++) {
		if (v[i][0] == type)
			return v[i][1];
		if (v[i][1] == type)
			return v[i][0];
	}
	return code;
}

static inline struct zc_conn *
conn_at(const struct zconn *z, uint32_t i)
{
	return &z->blk[i >> ZBLOCK_SHIFT][i & (ZBLOCK - 1)];
}

/* ---- history ---- */

void
zc_hist_add(struct zc_conn *c, char code)
{
	if (c->hlen < ZC_HIST_MAX)
		c->hist[c->hlen++] = code;
}

bool
zc_hist_check(struct zc_conn *c, unsigned s, uint32_t mask, char code)
{
	if (!zc_is_orig(c, s)) {
		mask <<= 16;
		code = (char)(code + 'a' - 'A');
	}
	if (c->hist_seen & mask)
		return true;
	c->hist_seen |= mask;
	zc_hist_add(c, code);
	return false;
}

void
zc_hist_scaled(struct zc_conn *c, unsigned s, char code, uint32_t *n)
{
	uint32_t k;

	if (*n == UINT32_MAX)
		return;
	k = ++*n;
	while (k % 10 == 0)
		k /= 10;
	if (k == 1)	/* 1, 10, 100, ... */
		zc_hist_add(c, zc_is_orig(c, s) ? code : (char)(code + 'a' - 'A'));
}

void
zc_flip(struct zc_conn *c)
{
	c->orig = (uint8_t)!c->orig;
	zc_hist_add(c, '^');
}

void
zconn_history(const struct zc_conn *c, char buf[static ZC_HIST_MAX + 1])
{
	memcpy(buf, c->hist, c->hlen);
	buf[c->hlen] = '\0';
}

/* ---- checksums ---- */

/* The transport checksum of a packet captured whole: true if good or not
 * checkable (cut by the snap length, a first fragment, IPv6 extension
 * headers, UDP over IPv4 without one). Zeek checks only what it has whole
 * (TCPAnalyzer::ValidateChecksum(): caplen >= len). */
static bool
csum_ok(const struct nb_packet *p, uint8_t proto, const uint8_t *ip, size_t caplen)
{
	size_t l4 = p->l4_off, n;
	uint32_t s = 0;

	if (caplen < p->ip_len || l4 >= p->ip_len)
		return true;
	n = p->ip_len - l4;
	if (p->family == 4) {
		if (ip[6] & 0x20)
			return true;
		if (proto == NB_PROTO_UDP && n >= 8 && ip[l4 + 6] == 0 && ip[l4 + 7] == 0)
			return true;
	} else if (l4 != 40) {
		return true;
	}
	/* the pseudo header's addresses, summed (not complemented) */
	if (proto != NB_PROTO_ICMP)
		s = (uint16_t)~natrw_checksum(ip + (p->family == 4 ? 12 : 8),
		    p->family == 4 ? 8 : 32, 0) + proto + (uint32_t)n;
	return natrw_checksum(ip + l4, n, s) == 0;
}

/* ---- the table ---- */

struct zkey {
	struct nb_addr src, dst;
	uint16_t sport, dport;
	uint8_t family, zproto, ipproto;
};

static uint32_t
mix(const struct nb_addr *a, uint16_t port)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL * (port + 1);

	for (int i = 0; i < 16; i += 8) {
		uint64_t w;

		memcpy(&w, a->b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 33;
	}
	return (uint32_t)h;
}

/* the same both ways */
static uint32_t
key_hash(const struct zkey *k)
{
	return (mix(&k->src, k->sport) + mix(&k->dst, k->dport)) ^
	    ((uint32_t)k->zproto << 24 | k->ipproto);
}

/* 0 or 1: the slot k's source is in c; -1 if another tuple */
static int
key_slot(const struct zc_conn *c, const struct zkey *k)
{
	if (c->family != k->family || c->zproto != k->zproto || c->ipproto != k->ipproto)
		return -1;
	for (int s = 0; s < 2; s++)
		if (c->port[s] == k->sport && c->port[!s] == k->dport &&
		    memcmp(&c->a[s], &k->src, sizeof(k->src)) == 0 &&
		    memcmp(&c->a[!s], &k->dst, sizeof(k->dst)) == 0)
			return s;
	return -1;
}

/* Twice the slots; false if there is no memory for them. */
static bool
grow(struct zconn *z)
{
	uint32_t nmask = z->mask * 2 + 1, *nt;

	if (nmask > (1u << 31) || (nt = calloc((size_t)nmask + 1, sizeof(*nt))) == NULL)
		return false;
	for (uint32_t i = 0; i <= z->mask; i++) {
		struct zkey k;
		const struct zc_conn *c;
		uint32_t j;

		if (z->tab[i] == 0)
			continue;
		c = conn_at(z, z->tab[i] - 1);
		k.src = c->a[0], k.dst = c->a[1], k.sport = c->port[0], k.dport = c->port[1];
		k.family = c->family, k.zproto = c->zproto, k.ipproto = c->ipproto;
		for (j = key_hash(&k) & nmask; nt[j]; j = (j + 1) & nmask)
			;
		nt[j] = z->tab[i];
	}
	free(z->tab);
	z->tab = nt;
	z->mask = nmask;
	return true;
}

/* The tab slot of k's tuple (its conn, or an empty one for it); *s the
 * side k's source is on. */
static uint32_t *
find(struct zconn *z, const struct zkey *k, int *s)
{
	uint32_t j;

	for (j = key_hash(k) & z->mask; z->tab[j]; j = (j + 1) & z->mask)
		if ((*s = key_slot(conn_at(z, z->tab[j] - 1), k)) >= 0)
			return &z->tab[j];
	*s = 0;
	return &z->tab[j];
}

struct zconn *
zconn_new(uint32_t expect)
{
	struct zconn *z = calloc(1, sizeof(*z));
	uint32_t sz = 1024;

	if (z == NULL)
		return NULL;
	while (sz < expect && sz < (1u << 30))
		sz <<= 1;
	z->mask = sz * 2 - 1;
	z->tab = calloc((size_t)sz * 2, sizeof(*z->tab));
	if (z->tab == NULL) {
		zconn_free(z);
		return NULL;
	}
	return z;
}

void
zconn_free(struct zconn *z)
{
	if (z == NULL)
		return;
	for (uint32_t i = 0; i < z->nblk; i++)
		free(z->blk[i]);
	free(z->blk);
	free(z->tab);
	free(z);
}

uint64_t
zconn_nomem(const struct zconn *z)
{
	return z->nomem;
}

uint32_t
zconn_count(const struct zconn *z)
{
	return z->n;
}

const struct zc_conn *
zconn_get(const struct zconn *z, uint32_t i)
{
	return i < z->n ? conn_at(z, i) : NULL;
}

/* ---- packets ---- */

/* The packet's tuple as Zeek keys it: an ICMP message (an error too) by
 * its own addresses and its type and counterpart; 0 if none (a protocol
 * Zeek does not see as a connection cannot come here: any IP is one). */
static void
make_key(const struct nb_packet *p, const uint8_t *ip, struct zkey *k)
{
	memset(k, 0, sizeof(*k));
	k->family = p->family;
	k->src = p->src;
	k->dst = p->dst;
	k->sport = p->sport;
	k->dport = p->dport;
	k->ipproto = p->proto;
	if (p->icmp_error || p->kind == NBK_ICMP) {
		k->zproto = ZCP_ICMP;
		k->ipproto = p->family == 4 ? NB_PROTO_ICMP : NB_PROTO_ICMPV6;
		if (p->icmp_error) {
			/* the quoted packet's tuple is in p; the message's own
			 * addresses are in its IP header */
			memset(&k->src, 0, sizeof(k->src));
			memset(&k->dst, 0, sizeof(k->dst));
			memcpy(k->src.b, ip + (p->family == 4 ? 12 : 8), p->family == 4 ? 4 : 16);
			memcpy(k->dst.b, ip + (p->family == 4 ? 16 : 24), p->family == 4 ? 4 : 16);
		}
		k->sport = p->icmp_type;
		k->dport = icmp_counterpart(p->family, p->icmp_type, p->icmp_code);
	} else if (p->kind == NBK_TCP) {
		k->zproto = ZCP_TCP;
	} else if (p->kind == NBK_UDP) {
		k->zproto = ZCP_UDP;
	} else {
		k->zproto = ZCP_OTHER;
		k->sport = k->dport = 0;
	}
}

/* Has Zeek removed c by now (a packet for its tuple starts a new one)? */
static bool
gone(struct zc_conn *c, const struct nb_packet *p, uint64_t now)
{
	switch (c->zproto) {
	case ZCP_TCP:
		if (zc_tcp_gone(c, now) || zc_tcp_reuse(c, p))
			return true;
		/* the attempt timer fired and found an answer: it is done */
		if ((c->flags & ZCF_ATTEMPT) && now >= c->attempt_at + 5 * NS)
			c->flags &= (uint8_t)~ZCF_ATTEMPT;
		return false;
	case ZCP_UDP:
		return now >= c->last + UDP_INACTIVITY;
	default:
		/* other protocols: Zeek's unknown-transport sessions use the
		 * UDP timeout too */
		return now >= c->last + (c->zproto == ZCP_ICMP ? ICMP_INACTIVITY : UDP_INACTIVITY);
	}
}

static struct zc_conn *
conn_new(struct zconn *z, const struct zkey *k, const struct nb_packet *p, uint64_t now)
{
	struct zc_conn *c;
	bool flip = false;

	if (z->n == (uint64_t)z->nblk * ZBLOCK) {
		if (z->nblk == z->blkcap) {
			uint32_t cap = z->blkcap ? z->blkcap * 2 : 64;
			struct zc_conn **nb = cap <= (1u << 18) ?
			    realloc(z->blk, cap * sizeof(*nb)) : NULL;

			if (nb == NULL)
				return NULL;
			z->blk = nb;
			z->blkcap = cap;
		}
		if ((z->blk[z->nblk] = malloc(ZBLOCK * sizeof(struct zc_conn))) == NULL)
			return NULL;
		z->nblk++;
	}
	c = conn_at(z, z->n++);
	memset(c, 0, sizeof(*c));
	c->a[0] = k->src;
	c->a[1] = k->dst;
	c->port[0] = k->sport;
	c->port[1] = k->dport;
	c->family = k->family;
	c->zproto = k->zproto;
	c->ipproto = k->ipproto;
	c->start = c->last = now;
	for (int s = 0; s < 2; s++)
		c->ep[s].reassem = c->ep[s].trim = 1;
	if (k->zproto == ZCP_TCP && (!(p->flags & TH_SYN) || (p->flags & TH_ACK)) &&
	    likely_server(ZCP_TCP, k->sport))
		flip = likely_server(ZCP_TCP, k->dport) ?
		    !(p->flags & TH_SYN) && k->sport < k->dport : true;
	else if (k->zproto == ZCP_UDP)
		flip = likely_server(ZCP_UDP, k->sport) && !likely_server(ZCP_UDP, k->dport);
	if (flip)
		zc_flip(c);
	return c;
}

/* The UDP analyzer (UDP.cc): a side is active once it sent; 'D'/'d' the
 * first datagram each way; the size is the payload. ICMP and others:
 * active sides and sizes only. */
static void
dgram_packet(struct zc_conn *c, unsigned s, const struct nb_packet *p, uint64_t now)
{
	struct zc_ep *e = &c->ep[s];
	bool orig = zc_is_orig(c, s);

	e->state = ZEP_ESTABLISHED;
	e->size += p->payload_len;
	c->last = now;
	if (c->zproto != ZCP_UDP)
		return;
	if (c->hist_seen & (orig ? ZH_UDP_ORIG : ZH_UDP_RESP))
		return;
	c->hist_seen |= orig ? ZH_UDP_ORIG : ZH_UDP_RESP;
	zc_hist_add(c, orig ? 'D' : 'd');
}

uint32_t
zconn_packet(struct zconn *z, const struct nb_packet *p, const uint8_t *ip, size_t caplen,
    uint64_t now)
{
	struct zkey k;
	struct zc_conn *c;
	uint32_t *slot, idx;
	int s;
	uint8_t proto;

	make_key(p, ip, &k);
	slot = find(z, &k, &s);
	if (*slot && !gone(conn_at(z, *slot - 1), p, now)) {
		idx = *slot - 1;
		c = conn_at(z, idx);
	} else {
		bool fresh = *slot == 0;

		/* a table more than 3/4 full that cannot grow takes no more */
		if ((fresh && (uint64_t)(z->used + 1) * 4 > (uint64_t)(z->mask + 1) * 3) ||
		    (c = conn_new(z, &k, p, now)) == NULL) {
			z->nomem++;
			return ZC_NONE;
		}
		*slot = z->n;
		idx = z->n - 1;
		s = 0;
		if (fresh && ++z->used * 2 > z->mask)
			grow(z);
	}
	proto = k.zproto == ZCP_ICMP ? k.ipproto : p->proto;
	if (k.zproto != ZCP_OTHER && !csum_ok(p, proto, ip, caplen)) {
		/* TCP_Endpoint::ChecksumError(), the UDP analyzer's: 'C',
		 * repeated at 10, 100...; the packet goes no further */
		if (k.zproto != ZCP_ICMP)
			zc_hist_scaled(c, (unsigned)s, 'C', &c->ep[s].n_chk);
		return idx;
	}
	c->ep[s].pkts++;
	c->ep[s].ip_bytes += p->ip_len;
	if (k.zproto == ZCP_TCP)
		zc_tcp_packet(c, (unsigned)s, p, caplen > (size_t)p->l4_off + p->thlen ?
		    caplen - p->l4_off - p->thlen : 0, now);
	else
		dgram_packet(c, (unsigned)s, p, now);
	return idx;
}

/* ---- labels ---- */

/* TCP_Endpoint::Size(): the sequence space used, less the SYN and FIN */
static uint64_t
tcp_size(const struct zc_conn *c, unsigned s)
{
	const struct zc_ep *e = &c->ep[s], *peer = &c->ep[!s];
	uint64_t size;

	/* a half-open connection found and aborted: numbers misleading */
	if (e->prev == ZEP_SYN_SENT && e->state == ZEP_RESET && peer->state == ZEP_INACTIVE &&
	    e->ack > 1)
		return 0;
	size = e->last > e->ack ? e->last : e->ack;
	if (size != 0)
		size--;
	if (e->fin_cnt > 0 && size != 0)
		size--;
	return size;
}

uint64_t
zconn_bytes(const struct zc_conn *c, bool orig)
{
	unsigned s = orig ? c->orig : !c->orig;

	return c->zproto == ZCP_TCP ? tcp_size(c, s) : c->ep[s].size;
}

/* /^?S[^HAFGIQ]*R.* / == history, as main.zeek matches it (whole) */
static bool
rstos0_history(const char *h)
{
	if (*h == '^')
		h++;
	if (*h++ != 'S')
		return false;
	for (; *h && *h != 'R'; h++)
		if (strchr("HAFGIQ", *h))
			return false;
	return *h == 'R';
}

const char *
zconn_tcp_state(unsigned os, unsigned rs, uint64_t osize, uint64_t rsize, const char *history)
{
	bool o_inactive = os == ZEP_INACTIVE || os == ZEP_PARTIAL;
	bool r_inactive = rs == ZEP_INACTIVE || rs == ZEP_PARTIAL;

	if (rs == ZEP_RESET) {
		if (os == ZEP_SYN_SENT || os == ZEP_SYN_ACK_SENT ||
		    (os == ZEP_RESET && osize == 0 && rsize == 0))
			return "REJ";
		return o_inactive ? "RSTRH" : "RSTR";
	}
	if (os == ZEP_RESET) {
		if (r_inactive)
			return rstos0_history(history) ? "RSTOS0" : "OTH";
		return "RSTO";
	}
	if (rs == ZEP_CLOSED && os == ZEP_CLOSED)
		return "SF";
	if (os == ZEP_CLOSED)
		return r_inactive ? "SH" : "S2";
	if (rs == ZEP_CLOSED)
		return o_inactive ? "SHR" : "S3";
	if (os == ZEP_SYN_SENT && rs == ZEP_INACTIVE)
		return "S0";
	if (os == ZEP_ESTABLISHED && rs == ZEP_ESTABLISHED)
		return "S1";
	return "OTH";
}

const char *
zconn_state(const struct zc_conn *c)
{
	const struct zc_ep *o = zconn_side(c, true), *r = zconn_side(c, false);
	char h[ZC_HIST_MAX + 1];

	switch (c->zproto) {
	case ZCP_TCP:
		zconn_history(c, h);
		return zconn_tcp_state(o->state, r->state, zconn_bytes(c, true),
		    zconn_bytes(c, false), h);
	case ZCP_UDP:
		if (o->state == ZEP_ESTABLISHED)
			return r->state == ZEP_ESTABLISHED ? "SF" : "S0";
		return r->state == ZEP_ESTABLISHED ? "SHR" : "OTH";
	default:
		return "OTH";
	}
}
