/* kdgramgen.h -- kdgramgen's packet lists and its seeded generator of datagram flows (UDP, ICMP, GRE, ESP, SCTP, unknown protocols; header-only). */
#ifndef NATBOX_E2E_KDGRAMGEN_H
#define NATBOX_E2E_KDGRAMGEN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define KD_MAX_FLOWS	200	/* one client address each: 198.51.100.20+i, 2001:db8:1::1000+i */
#define KD_MAX_PKTS	12
#define KD_SERVER_PORT	5001
#define KD_SERVER4	"203.0.113.2"
#define KD_SERVER6	"2001:db8:2::2"

/*
 * The timers the scenario sets in the router's kernel and in natbox (s):
 * UDP unreplied 3, UDP stream 7, ICMP 3, generic 5; GRE (kernel only) 3
 * unreplied and 7 replied; SCTP (kernel only) 3, ESTABLISHED 7. A gap
 * between two packets of a flow is drawn from ranges at least 0.6 s away
 * from each of them, and no packet lands within 0.4 s of its flow's 2 s
 * mark (the kernel's UDP stream rule).
 */
static const unsigned kd_gap_lo[] = { 50, 3600, 5600, 7600 };
static const unsigned kd_gap_hi[] = { 1400, 4400, 6400, 8400 };

/* KD_BAD: malformed datagrams (lists only; the generator makes none) */
enum kd_kind { KD_UDP, KD_ICMP, KD_GRE, KD_ESP, KD_SCTP, KD_OTHER, KD_BAD, KD__N };
static const char kd_kind_names[KD__N][6] = { "udp", "icmp", "gre", "esp", "sctp", "other", "bad" };

/*
 * A packet: "MS C|S WHAT A B" -- MS after the flow's start; WHAT:
 *   u BAD       a UDP datagram (client port 20000+i, server port 5001);
 *               BAD 0 well formed, 1 its length field 8 bytes past its
 *               end, 2 its length field 4 (below the header), 3 (IPv4)
 *               a wrong checksum, 4 (IPv4, a flow's first packet: its
 *               length names no other) cut to its ports, 4 bytes
 *   i TYPE ID   an ICMP query or reply of that type and identifier
 *   e LIVE      an ICMP error from the server quoting the flow's UDP
 *               tuple (LIVE 1) or a tuple of another client port (0)
 *   g           GRE version 0
 *   x SPI       ESP
 *   s TYPE VTAG an SCTP packet with one chunk of TYPE
 *   o PROTO     an IP packet of another protocol number
 */
struct kdpkt {
	uint32_t ms;
	uint8_t dir;		/* 0 client, 1 server */
	char what;
	uint32_t a, b;
};

struct kdflow {
	char name[48];
	int family;
	int kind;
	unsigned npkts;
	struct kdpkt pkts[KD_MAX_PKTS];
};

static struct kdflow kd_flows[KD_MAX_FLOWS];
static unsigned kd_nflows;

static void
kd_print_flow(FILE *f, const struct kdflow *fl)
{
	fprintf(f, "flow %s %d %s\n", fl->name, fl->family, kd_kind_names[fl->kind]);
	for (unsigned k = 0; k < fl->npkts; k++) {
		const struct kdpkt *p = &fl->pkts[k];

		fprintf(f, "%u %c %c %u %u\n", p->ms, p->dir ? 'S' : 'C', p->what, p->a, p->b);
	}
	fputc('\n', f);
}

static int
kd_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	struct kdflow *cur = NULL;

	if (!f) {
		perror(path);
		return -1;
	}
	kd_nflows = 0;
	while (fgets(line, sizeof(line), f)) {
		char kind[8], d, w;
		struct kdpkt p;

		if (strncmp(line, "flow ", 5) == 0) {
			if (kd_nflows == KD_MAX_FLOWS)
				break;
			cur = &kd_flows[kd_nflows++];
			memset(cur, 0, sizeof(*cur));
			if (sscanf(line, "flow %47s %d %7s", cur->name, &cur->family, kind) != 3)
				continue;
			for (int k = 0; k < KD__N; k++)
				if (strcmp(kind, kd_kind_names[k]) == 0)
					cur->kind = k;
			continue;
		}
		memset(&p, 0, sizeof(p));
		if (!cur || cur->npkts == KD_MAX_PKTS ||
		    sscanf(line, "%u %c %c %u %u", &p.ms, &d, &w, &p.a, &p.b) < 3)
			continue;
		p.dir = d == 'S';
		p.what = w;
		cur->pkts[cur->npkts++] = p;
	}
	fclose(f);
	return 0;
}

/* ---- the generator ---- */

static uint64_t kdg_state;

static uint32_t
kdg_rand(void)
{
	uint64_t z = (kdg_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

static uint32_t
kdg_pick(uint32_t n)
{
	return n ? kdg_rand() % n : 0;
}

/* The next packet's time: a gap from one of the safe ranges (mostly
 * short), moved off the 2 s mark of the packet that may have started the
 * flow's entry (the first, or one after a gap a timer may have ended). */
static uint32_t
kdg_next_ms(uint32_t t, uint32_t *birth)
{
	uint32_t r = kdg_pick(100), g;
	int range = r < 70 ? 0 : r < 82 ? 1 : r < 92 ? 2 : 3;

	g = kd_gap_lo[range] + kdg_pick(kd_gap_hi[range] - kd_gap_lo[range]);
	if (range > 0) {
		*birth = t + g;
		return t + g;
	}
	t += g;
	if (t > *birth + 1600 && t < *birth + 2400)
		t = *birth + 2400 + kdg_pick(400);
	return t;
}

static void
kdg_put(struct kdflow *f, uint32_t ms, int dir, char what, uint32_t a, uint32_t b)
{
	struct kdpkt *p;

	if (f->npkts == KD_MAX_PKTS)
		return;
	p = &f->pkts[f->npkts++];
	p->ms = ms;
	p->dir = (uint8_t)dir;
	p->what = what;
	p->a = a;
	p->b = b;
}

/* ICMP query and reply types: echo, timestamp, information, address mask
 * (v4); echo, node information (v6); then types no tracker knows. */
static const uint8_t kdg_req4[] = { 8, 8, 8, 13, 15, 17 }, kdg_rep4[] = { 0, 0, 0, 14, 16, 18 };
static const uint8_t kdg_req6[] = { 128, 128, 128, 139, 139, 128 }, kdg_rep6[] = { 129, 129, 129, 140, 140, 129 };
static const uint8_t kdg_odd4[] = { 42, 9, 10, 30 }, kdg_odd6[] = { 200, 150, 131, 160 };

static void
kdg_icmp_step(struct kdflow *f, uint32_t t, unsigned q, uint32_t id)
{
	int v6 = f->family == 6;
	uint32_t r = kdg_pick(100);

	if (r < 45)
		kdg_put(f, t, 0, 'i', v6 ? kdg_req6[q] : kdg_req4[q], id);
	else if (r < 85)
		kdg_put(f, t, 1, 'i', v6 ? kdg_rep6[q] : kdg_rep4[q], id);
	else if (r < 90)	/* a request from the server: its own flow */
		kdg_put(f, t, 1, 'i', v6 ? kdg_req6[q] : kdg_req4[q], id);
	else
		kdg_put(f, t, (int)kdg_pick(2), 'i', v6 ? kdg_odd6[kdg_pick(4)] : kdg_odd4[kdg_pick(4)], id);
}

/* SCTP: an association's chunks in order, with skips, repeats and
 * strays (INIT 1, INIT_ACK 2, DATA 0, SACK 3, HEARTBEAT 4, HEARTBEAT_ACK
 * 5, ABORT 6, SHUTDOWN 7, SHUTDOWN_ACK 8, COOKIE_ECHO 10, COOKIE_ACK 11,
 * SHUTDOWN_COMPLETE 14). The vtag of the client's INIT is 0; later ones
 * carry the peer's tag (1000+i to the server, 2000+i to the client). */
static void
kdg_sctp_step(struct kdflow *f, uint32_t t, unsigned *phase, unsigned i)
{
	static const uint8_t plan[][2] = { { 0, 1 }, { 1, 2 }, { 0, 10 }, { 1, 11 }, { 0, 0 },
		{ 1, 3 }, { 1, 0 }, { 0, 3 }, { 0, 4 }, { 1, 5 }, { 0, 7 }, { 1, 8 }, { 0, 14 } };
	static const uint8_t stray[] = { 6, 1, 2, 4, 0, 14, 8 };
	unsigned n = sizeof(plan) / sizeof(plan[0]), r = kdg_pick(100);
	int dir;
	uint8_t type;

	if (r < 75 && *phase < n) {
		dir = plan[*phase][0];
		type = plan[*phase][1];
		(*phase)++;
	} else if (r < 85 && *phase > 0) {
		dir = plan[*phase - 1][0];
		type = plan[*phase - 1][1];
	} else {
		dir = (int)kdg_pick(2);
		type = stray[kdg_pick(sizeof(stray))];
	}
	kdg_put(f, t, dir, 's', type, type == 1 ? 0 : kdg_pick(10) == 0 ? kdg_rand() :
	    (dir ? 2000u : 1000u) + i);
}

static void
kdg_flow(struct kdflow *f, unsigned i)
{
	uint32_t t = 0, birth = 0, r = kdg_pick(100);
	unsigned n = 1 + kdg_pick(7), q = kdg_pick(6), phase = 0;
	int init = kdg_pick(5) == 0, oneway = kdg_pick(5) == 0;
	uint32_t proto = kdg_pick(3) == 0 ? 143 : 253 + kdg_pick(2);

	f->kind = r < 35 ? KD_UDP : r < 60 ? KD_ICMP : r < 72 ? KD_GRE : r < 79 ? KD_ESP :
	    r < 92 ? KD_SCTP : KD_OTHER;
	for (unsigned k = 0; k < n; k++, t = kdg_next_ms(t, &birth)) {
		int dir = oneway ? init : k == 0 ? init : (int)kdg_pick(2);

		switch (f->kind) {
		case KD_UDP:
			if (k > 0 && kdg_pick(8) == 0)
				kdg_put(f, t, 1, 'e', kdg_pick(3) != 0, 0);
			else
				kdg_put(f, t, dir, 'u', 0, 0);
			break;
		case KD_ICMP:
			if (k > 0 && kdg_pick(10) == 0)
				q = kdg_pick(6);
			kdg_icmp_step(f, t, q, 100 + i);
			break;
		case KD_GRE:
			kdg_put(f, t, dir, 'g', 0, 0);
			break;
		case KD_ESP:
			kdg_put(f, t, dir, 'x', dir ? 0x2000 + i : 0x1000 + i, 0);
			break;
		case KD_SCTP:
			kdg_sctp_step(f, t, &phase, i);
			break;
		default:
			kdg_put(f, t, dir, 'o', proto, 0);
			break;
		}
	}
}

static int
kd_gen(uint64_t seed, unsigned nflows)
{
	kdg_state = seed * 0x2545f4914f6cdd1dULL + 7;
	if (nflows > KD_MAX_FLOWS)
		nflows = KD_MAX_FLOWS;
	for (unsigned i = 0; i < nflows; i++) {
		struct kdflow *f = &kd_flows[i];

		memset(f, 0, sizeof(*f));
		f->family = kdg_pick(2) ? 6 : 4;
		snprintf(f->name, sizeof(f->name), "seed%llu.%u", (unsigned long long)seed, i);
		kdg_flow(f, i);
		kd_print_flow(stdout, f);
	}
	return 0;
}

#endif
