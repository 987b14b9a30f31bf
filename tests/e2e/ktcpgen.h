/* ktcpgen.h -- ktcpgen's packet lists and its seeded generator of TCP flows both ways (header-only: one program per file). */
#ifndef NATBOX_E2E_KTCPGEN_H
#define NATBOX_E2E_KTCPGEN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define KF_MAX_FLOWS	20000
#define KF_MAX_PKTS	24
#define KF_SERVER_PORT	5001
#define KF_CLIENT4	"198.51.100.2"
#define KF_SERVER4	"203.0.113.2"
#define KF_CLIENT6	"2001:db8:1::2"
#define KF_SERVER6	"2001:db8:2::2"

#define F_FIN	0x01
#define F_SYN	0x02
#define F_RST	0x04
#define F_PSH	0x08
#define F_ACK	0x10
#define F_URG	0x20

struct kpkt {
	uint8_t dir;		/* 0 client (original direction), 1 server */
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win, len;
	uint16_t mss;		/* 0: no option */
	int ws;			/* -1: no option */
	uint8_t sackok, ts, sack;
	uint32_t tsval, tsecr, sack_l, sack_r;
	uint32_t wait_ms;	/* idle this long before it is sent (lists only) */
	/* Malformed on purpose (lists only): doff is the data offset
	 * written, in 32-bit words, when doff_set (the header stays as
	 * built); trunc, when not 0, cuts the segment to its first trunc
	 * bytes (below the 20 of a header). */
	uint8_t doff_set, doff, trunc;
};

struct kflow {
	char name[64];
	int family;
	unsigned npkts;
	struct kpkt pkts[KF_MAX_PKTS];
};

static struct kflow kf_flows[KF_MAX_FLOWS];
static unsigned kf_nflows;

static const char flag_letters[] = "FSRPAUEC";

static uint8_t
parse_flags(const char *s)
{
	uint8_t f = 0;

	for (; *s && *s != '-'; s++) {
		const char *l = strchr(flag_letters, *s);

		if (l)
			f |= (uint8_t)(1u << (l - flag_letters));
	}
	return f;
}

/* As the JSON examples spell them: S A F R P U E C. */
static void
kf_flags_str(uint8_t f, char *b)
{
	static const char order[] = "SAFRPUEC";
	int n = 0;

	for (const char *o = order; *o; o++)
		if (f & (1u << (strchr(flag_letters, *o) - flag_letters)))
			b[n++] = *o;
	if (n == 0)
		b[n++] = '-';
	b[n] = '\0';
}

static void
kf_print_pkt(FILE *f, const struct kpkt *p)
{
	char fl[10];

	kf_flags_str(p->flags, fl);
	fprintf(f, "%c %s %u %u %u %u", p->dir ? 'S' : 'C', fl, p->seq, p->ack, p->win, p->len);
	if (p->mss)
		fprintf(f, " mss=%u", p->mss);
	if (p->ws >= 0)
		fprintf(f, " ws=%d", p->ws);
	if (p->sackok)
		fprintf(f, " sackok");
	if (p->ts)
		fprintf(f, " ts=%u,%u", p->tsval, p->tsecr);
	if (p->sack)
		fprintf(f, " sack=%u,%u", p->sack_l, p->sack_r);
	if (p->wait_ms)
		fprintf(f, " wait=%u", p->wait_ms);
	if (p->doff_set)
		fprintf(f, " doff=%u", p->doff);
	if (p->trunc)
		fprintf(f, " trunc=%u", p->trunc);
	fputc('\n', f);
}

/* ---- the generator: a grammar of what endpoints, middleboxes and
 * attackers send, over both sides' sequence spaces ---- */

static uint64_t kg_state;

static uint32_t
kg_rand(void)
{
	uint64_t z = (kg_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

static uint32_t
kg_pick(uint32_t n)
{
	return n ? kg_rand() % n : 0;
}

struct kside {
	uint32_t nxt, acked;	/* next seq; highest ack it sent */
	uint16_t win;
	int ws;
	uint8_t sackok;
};

struct kgen {
	struct kflow *f;
	struct kside s[2];
	struct kpkt last;
};

static struct kpkt *
kg_put(struct kgen *g, int dir, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t len)
{
	struct kpkt *p;

	if (g->f->npkts == KF_MAX_PKTS)
		return NULL;
	p = &g->f->pkts[g->f->npkts++];
	memset(p, 0, sizeof(*p));
	p->dir = (uint8_t)dir;
	p->flags = flags;
	p->seq = seq;
	p->ack = (flags & F_ACK) ? ack : (kg_pick(4) == 0 ? kg_rand() : 0);
	p->win = g->s[dir].win;
	p->len = len;
	p->ws = -1;
	g->last = *p;
	return p;
}

/* A SYN's or SYN/ACK's options, at random; remembered for the side. */
static void
kg_syn_opts(struct kgen *g, struct kpkt *p, int dir)
{
	if (!p)
		return;
	p->mss = kg_pick(5) ? 1460 : 0;
	p->sackok = (uint8_t)(kg_pick(3) != 0);
	if (kg_pick(3))
		p->ws = (int)kg_pick(16);
	if (kg_pick(2)) {
		p->ts = 1;
		p->tsval = kg_rand();
	}
	g->s[dir].ws = p->ws;
	g->s[dir].sackok = p->sackok;
}

static void
kg_data(struct kgen *g, int d, uint16_t len, uint8_t extra)
{
	struct kside *s = &g->s[d], *o = &g->s[!d];

	kg_put(g, d, (uint8_t)(F_ACK | F_PSH | extra), s->nxt, o->nxt, len);
	s->nxt += len + ((extra & F_FIN) ? 1 : 0);
	s->acked = o->nxt;
}

/* How the flow starts: a handshake (maybe partial or retransmitted), a
 * pickup mid-stream, a simultaneous open, or an odd first packet. */
static void
kg_start(struct kgen *g)
{
	uint32_t r = kg_pick(100);
	struct kside *c = &g->s[0], *s = &g->s[1];

	if (r < 20) {		/* pickup */
		kg_data(g, kg_pick(4) ? 0 : 1, (uint16_t)kg_pick(1000), 0);
		return;
	}
	if (r < 24) {		/* odd flags first */
		static const uint8_t odd[] = { F_SYN | F_FIN, F_FIN, 0, F_SYN | F_RST, F_RST,
			F_SYN | F_ACK, F_FIN | F_ACK, F_SYN | F_URG, F_SYN | F_ACK | F_URG };

		kg_put(g, 0, odd[kg_pick(sizeof(odd))], c->nxt, s->nxt, 0);
		return;
	}
	kg_syn_opts(g, kg_put(g, 0, F_SYN, c->nxt, 0, 0), 0);
	c->nxt++;
	if (kg_pick(5) == 0)	/* retransmitted, maybe with a new ISN */
		kg_syn_opts(g, kg_put(g, 0, F_SYN, kg_pick(2) ? c->nxt - 1 : (c->nxt = kg_rand()) - 1,
		    0, 0), 0);
	if (r < 30) {		/* simultaneous open */
		kg_syn_opts(g, kg_put(g, 1, F_SYN, s->nxt, 0, 0), 1);
		s->nxt++;
		kg_syn_opts(g, kg_put(g, 0, F_SYN | F_ACK, c->nxt - 1, s->nxt, 0), 0);
		kg_put(g, 1, F_ACK, s->nxt, c->nxt, 0);
		return;
	}
	if (r < 36)		/* no answer yet: challenge ACK, RST, or nothing */
		return;
	kg_syn_opts(g, kg_put(g, 1, F_SYN | F_ACK, s->nxt, kg_pick(8) ? c->nxt : c->nxt + kg_pick(1000),
	    0), 1);
	s->nxt++;
	if (kg_pick(6) == 0)
		kg_put(g, 1, F_SYN | F_ACK, s->nxt - 1, c->nxt, 0);
	if (kg_pick(8))
		kg_put(g, 0, F_ACK, c->nxt, s->nxt, 0);
}

/* One step after the start. */
static void
kg_step(struct kgen *g)
{
	int d = (int)kg_pick(2);
	struct kside *s = &g->s[d], *o = &g->s[!d];
	uint32_t r = kg_pick(100), far = kg_pick(4) ? kg_pick(70000) : kg_pick(1u << 20);
	struct kpkt *p;

	if (r < 25)
		kg_data(g, d, (uint16_t)(1 + kg_pick(1200)), 0);
	else if (r < 32)
		kg_put(g, d, F_ACK, s->nxt, o->nxt, 0);
	else if (r < 38) {	/* retransmission */
		if (g->f->npkts && g->f->npkts < KF_MAX_PKTS)
			g->f->pkts[g->f->npkts++] = g->last;
	} else if (r < 43)	/* old data */
		kg_put(g, d, F_ACK | F_PSH, s->nxt - far - 1000, o->nxt, 1000);
	else if (r < 47)	/* beyond the window */
		kg_put(g, d, F_ACK | F_PSH, s->nxt + far, o->nxt, (uint16_t)(1 + kg_pick(500)));
	else if (r < 51)	/* ACK of unsent data, or an old ACK */
		kg_put(g, d, F_ACK, s->nxt, kg_pick(2) ? o->nxt + 1 + far : o->nxt - far, 0);
	else if (r < 58)
		kg_data(g, d, (uint16_t)kg_pick(100), F_FIN);
	else if (r < 62)	/* exact RST */
		kg_put(g, d, kg_pick(2) ? F_RST : F_RST | F_ACK, s->nxt, o->nxt, 0);
	else if (r < 67)	/* inexact RST, or RST+ACK with ack 0, or seq 0 */
		kg_put(g, d, kg_pick(2) ? F_RST : F_RST | F_ACK,
		    kg_pick(4) ? s->nxt + (kg_pick(2) ? far : -far) : 0, kg_pick(3) ? o->nxt : 0, 0);
	else if (r < 73) {	/* a SYN on the live tuple: new ISN or the same */
		if (kg_pick(3))
			g->s[0].nxt = kg_rand();
		kg_syn_opts(g, kg_put(g, 0, F_SYN, g->s[0].nxt, 0, 0), 0);
		g->s[0].nxt++;
	} else if (r < 78) {	/* SYN/ACK answering it, or a challenge ACK */
		if (kg_pick(2)) {
			if (kg_pick(2))
				g->s[1].nxt = kg_rand();
			kg_syn_opts(g, kg_put(g, 1, F_SYN | F_ACK, g->s[1].nxt, g->s[0].nxt, 0), 1);
			g->s[1].nxt++;
		} else {
			kg_put(g, 1, F_ACK, g->s[1].nxt, g->s[1].acked, 0);
		}
	} else if (r < 83) {	/* odd flags */
		static const uint8_t odd[] = { F_SYN | F_FIN, F_FIN, 0, F_SYN | F_RST, F_URG,
			F_FIN | F_RST | F_ACK, F_SYN | F_ACK | F_URG, F_ACK | F_URG, F_FIN | F_ACK | F_URG,
			F_FIN | F_PSH | F_URG };

		kg_put(g, d, odd[kg_pick(sizeof(odd))], s->nxt, o->nxt, 0);
	} else if (r < 90) {	/* SACK blocks: covering sent or unsent data */
		p = kg_put(g, d, F_ACK, s->nxt, o->nxt - kg_pick(3000), 0);
		if (p) {
			p->sack = 1;
			p->sack_l = o->nxt - kg_pick(2000);
			p->sack_r = kg_pick(3) ? o->nxt - kg_pick(500) : o->nxt + 1 + kg_pick(5000);
		}
	} else if (r < 95) {	/* zero window, then a big one */
		s->win = kg_pick(2) ? 0 : (uint16_t)(1 + kg_pick(65535));
		kg_put(g, d, F_ACK, s->nxt, o->nxt, 0);
	} else {		/* a keepalive: one below */
		kg_put(g, d, F_ACK, s->nxt - 1, o->nxt, kg_pick(2));
	}
}

static int
kf_gen(uint64_t seed, unsigned nflows, int family)
{
	kg_state = seed * 0x2545f4914f6cdd1dULL + 1;
	if (nflows > KF_MAX_FLOWS)
		nflows = KF_MAX_FLOWS;
	for (unsigned i = 0; i < nflows; i++) {
		struct kflow *f = &kf_flows[i];
		struct kgen g;
		unsigned steps;

		memset(f, 0, sizeof(*f));
		memset(&g, 0, sizeof(g));
		f->family = family ? family : (kg_pick(2) ? 6 : 4);
		snprintf(f->name, sizeof(f->name), "seed%llu.%u", (unsigned long long)seed, i);
		g.f = f;
		for (int d = 0; d < 2; d++) {
			g.s[d].nxt = kg_rand();
			g.s[d].win = (uint16_t)(kg_pick(4) ? 502 + kg_pick(65000) : kg_pick(1024));
			g.s[d].ws = -1;
		}
		kg_start(&g);
		steps = 2 + kg_pick(9);
		while (steps-- && f->npkts < KF_MAX_PKTS)
			kg_step(&g);
		printf("flow %s %d\n", f->name, f->family);
		for (unsigned k = 0; k < f->npkts; k++)
			kf_print_pkt(stdout, &f->pkts[k]);
		printf("\n");
	}
	return 0;
}

#endif
