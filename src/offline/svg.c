/* svg.c -- the timeline picture: a lane per flow (and profile), coloured by tracker state, marks where a profile broke the flow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "log.h"
#include "pcapin.h"
#include "svg.h"

#define WIDTH		1280
#define CHAR_W		6.7	/* monospace 11px, roughly */
#define LANE_H		12
#define LANE_GAP	3
#define GROUP_GAP	9
#define TOP		86
#define TICK_H		3

static const char *const state_color[TRK_STATE_MAX] = {
	[TCP_NONE] = "#eeeeee",
	[TCP_SYN_SENT] = "#9ecae1",
	[TCP_SYN_RECV] = "#4292c6",
	[TCP_ESTABLISHED] = "#41ab5d",
	[TCP_FIN_WAIT] = "#fdae6b",
	[TCP_CLOSE_WAIT] = "#e6550d",
	[TCP_LAST_ACK] = "#9e9ac8",
	[TCP_TIME_WAIT] = "#bdbdbd",
	[TCP_CLOSE] = "#8c6d31",
	[TCP_SYN_SENT2] = "#6baed6",
	[TRK_UDP_UNREPLIED] = "#c7eae5",
	[TRK_UDP_REPLIED] = "#35978f",
	[TRK_ICMP] = "#dd3497",
	[TRK_OTHER] = "#dfc27d",
	[TRK_GRE_UNREPLIED] = "#f6e8c3",
	[TRK_GRE_REPLIED] = "#bf812d",
};

/* A lane's state changes, in time order. */
struct seg {
	uint64_t ts;
	uint8_t state;
};

struct lane {
	uint32_t flow;
	unsigned prof;
	struct seg *s;
	size_t n, cap;
};

struct picture {
	const struct report *r;
	FILE *f;
	uint32_t *sel;		/* selected flows, by id */
	unsigned nsel;
	uint32_t *slot_of;	/* flow id -> index in sel, or RFLOW_NONE */
	struct lane *lanes;	/* nsel * nprof, flow-major */
	unsigned nlanes;
	/* packet ticks per selected flow: one bit per pixel column and direction */
	uint8_t (*ticks)[2][WIDTH / 8 + 1];
	bool have_ticks;
	uint64_t t0, t1;	/* time range drawn */
	unsigned kinds;		/* bit per enum nb_kind among the lanes */
	double x0, x1;
	unsigned np;		/* lanes per flow: one per profile */
	size_t flw, pfw;	/* name columns: flows', profiles' (0: none) */
};

static void
esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, f);
		}
	}
}

static double
xof(const struct picture *pc, uint64_t t)
{
	if (t <= pc->t0)
		return pc->x0;
	if (t >= pc->t1)
		return pc->x1;
	return pc->x0 + (pc->x1 - pc->x0) * (double)(t - pc->t0) / (double)(pc->t1 - pc->t0);
}

static uint64_t
flow_pkts(const struct rflow *f)
{
	return (uint64_t)f->pkts[0] + f->pkts[1];
}

static bool
broken_somewhere(const struct report *r, uint32_t i)
{
	for (unsigned k = 0; k < r->nprof; k++) {
		const struct rhit *h = report_hit(&r->prof[k], i);

		if (h && (h->broken_at != T_NONE || h->lost_at != T_NONE))
			return true;
	}
	return false;
}

/* Sort keys, computed once: a comparator asking every profile about
 * every flow would do so O(F log F) times. */
struct pick {
	uint64_t pkts;
	uint32_t id;
	bool broken;
};

static int
by_interest(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	if (x->broken != y->broken)
		return x->broken ? -1 : 1;
	if (x->pkts != y->pkts)
		return x->pkts > y->pkts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
by_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The busiest flows (broken ones first if asked), shown in start order. */
static int
select_flows(struct picture *pc, const struct svg_opts *o)
{
	const struct report *r = pc->r;
	struct pick *all;

	if ((all = malloc(((size_t)r->nflows + 1) * sizeof(*all))) == NULL)
		return -1;
	for (uint32_t i = 0; i < r->nflows; i++) {
		all[i].id = i;
		all[i].pkts = flow_pkts(&r->flows[i]);
		all[i].broken = o->broken_first && broken_somewhere(r, i);
	}
	qsort(all, r->nflows, sizeof(*all), by_interest);
	pc->nsel = r->nflows < o->flows ? r->nflows : o->flows;
	if ((pc->sel = malloc(((size_t)pc->nsel + 1) * sizeof(*pc->sel))) == NULL) {
		free(all);
		return -1;
	}
	for (unsigned i = 0; i < pc->nsel; i++)
		pc->sel[i] = all[i].id;
	free(all);
	qsort(pc->sel, pc->nsel, sizeof(*pc->sel), by_id);
	if ((pc->slot_of = malloc(((size_t)r->nflows + 1) * sizeof(*pc->slot_of))) == NULL)
		return -1;
	memset(pc->slot_of, 0xff, ((size_t)r->nflows + 1) * sizeof(*pc->slot_of));
	for (unsigned i = 0; i < pc->nsel; i++)
		pc->slot_of[pc->sel[i]] = i;
	return 0;
}

static void
seg_add(struct lane *l, uint64_t ts, uint8_t state)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		if ((l->s = realloc(l->s, l->cap * sizeof(*l->s))) == NULL)
			fatal("realloc");
	}
	l->s[l->n].ts = ts;
	l->s[l->n].state = state;
	l->n++;
}

static int
build_lanes(struct picture *pc)
{
	const struct report *r = pc->r;
	unsigned np = r->nprof ? r->nprof : 1;

	pc->nlanes = pc->nsel * np;
	if ((pc->lanes = calloc(pc->nlanes ? pc->nlanes : 1, sizeof(*pc->lanes))) == NULL)
		return -1;
	for (unsigned i = 0; i < pc->nsel; i++)
		for (unsigned k = 0; k < np; k++) {
			pc->lanes[i * np + k].flow = pc->sel[i];
			pc->lanes[i * np + k].prof = k;
		}
	for (unsigned k = 0; k < np; k++) {
		const struct rmarks *m = r->nprof ? &r->prof[k].marks : &r->marks;

		for (size_t j = 0; j < m->n; j++) {
			uint32_t slot = m->v[j].flow < r->nflows ? pc->slot_of[m->v[j].flow] : RFLOW_NONE;

			if (slot != RFLOW_NONE)
				seg_add(&pc->lanes[slot * np + k], m->v[j].ts, m->v[j].state);
		}
	}
	return 0;
}

/* ---- packet ticks: a second read of the capture ---- */

/* p is a packet of flow f (an ICMP error: of the flow it quotes, as the
 * pass counts it) */
static bool
same_tuple(const struct rflow *f, const struct nb_packet *p)
{
	size_t n = f->family == 6 ? 16 : 4;

	if (f->family != p->family || f->kind != p->kind)
		return false;
	if (f->sport == p->sport && f->dport == p->dport &&
	    memcmp(f->src.b, p->src.b, n) == 0 && memcmp(f->dst.b, p->dst.b, n) == 0)
		return true;
	return f->sport == p->dport && f->dport == p->sport &&
	    memcmp(f->src.b, p->dst.b, n) == 0 && memcmp(f->dst.b, p->src.b, n) == 0;
}

static uint32_t
tuple_hash(const struct nb_packet *p)
{
	uint32_t h = (uint32_t)(p->sport ^ p->dport) * 2654435761u;

	for (unsigned i = 0; i < 16; i++)
		h = (h ^ (uint32_t)(p->src.b[i] ^ p->dst.b[i])) * 16777619u;
	return h;
}

static void
read_ticks(struct picture *pc)
{
	const struct report *r = pc->r;
	struct pcapin *in;
	struct pcapin_pkt pk;
	struct nb_packet p;
	uint32_t *tab, mask, h, i;
	uint64_t ts, last = 0;
	char err[512];
	unsigned cols = (unsigned)(pc->x1 - pc->x0) + 1;

	if (strcmp(r->capture, "-") == 0 || pc->nsel == 0)
		return;
	if ((in = pcapin_open(r->capture, err, sizeof(err))) == NULL)
		return;
	for (mask = 1; mask < pc->nsel * 4; mask <<= 1)
		;
	pc->ticks = calloc(pc->nsel, sizeof(*pc->ticks));
	tab = malloc(mask * sizeof(*tab));
	if (pc->ticks == NULL || tab == NULL) {
		free(tab);
		pcapin_close(in);
		return;
	}
	mask--;
	memset(tab, 0xff, ((size_t)mask + 1) * sizeof(*tab));
	for (i = 0; i < pc->nsel; i++) {
		const struct rflow *f = &r->flows[pc->sel[i]];

		p.family = f->family, p.sport = f->sport, p.dport = f->dport;
		p.src = f->src, p.dst = f->dst;
		for (h = tuple_hash(&p) & mask; tab[h] != RFLOW_NONE; h = (h + 1) & mask)
			;
		tab[h] = i;
	}
	/* Same clock as the pass: ns from the first frame, never back. */
	while (pcapin_next(in, &pk) == 1) {
		ts = pk.ts >= r->t0 ? pk.ts - r->t0 : 0;
		if (ts < last)
			ts = last;
		last = ts;
		if (pk.l3 != PL_IP ||
		    decode_packet(pk.frame + pk.l3off, pk.caplen - pk.l3off, &p) != DEC_OK)
			continue;
		for (h = tuple_hash(&p) & mask; (i = tab[h]) != RFLOW_NONE; h = (h + 1) & mask) {
			const struct rflow *f = &r->flows[pc->sel[i]];
			unsigned col, dir;

			if (ts < f->first || ts > f->last || !same_tuple(f, &p))
				continue;
			dir = !(f->sport == p.sport && memcmp(f->src.b, p.src.b, 16) == 0);
			col = (unsigned)(xof(pc, ts) - pc->x0);
			if (col < cols && col / 8 < sizeof(pc->ticks[i][dir]))
				pc->ticks[i][dir][col / 8] |= (uint8_t)(1u << (col % 8));
			break;
		}
	}
	pc->have_ticks = true;
	free(tab);
	pcapin_close(in);
}

/* ---- drawing ---- */

static void
axis(struct picture *pc, double y, double bottom)
{
	static const uint64_t steps[] = {
		1000000ULL, 2000000ULL, 5000000ULL, 10000000ULL, 20000000ULL, 50000000ULL,
		100000000ULL, 200000000ULL, 500000000ULL, NS_PER_SEC, 2 * NS_PER_SEC,
		5 * NS_PER_SEC, 10 * NS_PER_SEC, 15 * NS_PER_SEC, 30 * NS_PER_SEC,
		60 * NS_PER_SEC, 120 * NS_PER_SEC, 300 * NS_PER_SEC, 600 * NS_PER_SEC,
		900 * NS_PER_SEC, 1800 * NS_PER_SEC, 3600 * NS_PER_SEC, 7200 * NS_PER_SEC,
		10800 * NS_PER_SEC, 21600 * NS_PER_SEC, 43200 * NS_PER_SEC, 86400 * NS_PER_SEC,
		7 * 86400 * NS_PER_SEC,
	};
	uint64_t span = pc->t1 - pc->t0, step = steps[0], t;
	char lab[32], d[32];
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if (span / step <= 10)
			break;
	}
	fprintf(pc->f, "<g stroke=\"#e0e0e0\">\n");
	for (t = (pc->t0 + step - 1) / step * step; t <= pc->t1; t += step)
		fprintf(pc->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		    xof(pc, t), y, xof(pc, t), bottom);
	fprintf(pc->f, "</g>\n<g fill=\"#555\" text-anchor=\"middle\">\n");
	for (t = (pc->t0 + step - 1) / step * step; t <= pc->t1; t += step) {
		if (step < NS_PER_SEC)
			snprintf(lab, sizeof(lab), "%llu.%03llus", (unsigned long long)(t / NS_PER_SEC),
			    (unsigned long long)(t % NS_PER_SEC / 1000000));
		else {
			policy_format_duration(t, d, sizeof(d));
			snprintf(lab, sizeof(lab), "%s", t ? d : "0s");
		}
		fprintf(pc->f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", xof(pc, t), y - 4, lab);
	}
	fprintf(pc->f, "</g>\n");
}

static void
rect(FILE *f, double x0, double x1, double y, double h, const char *fill,
    const char *title)
{
	if (x1 - x0 < 1.0)
		x1 = x0 + 1.0;
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
	    x0, y, x1 - x0, h, fill);
	if (title) {
		fprintf(f, "<title>");
		esc(f, title);
		fprintf(f, "</title>");
	}
	fprintf(f, "</rect>\n");
}

static void
draw_lane(struct picture *pc, const struct lane *l, double y)
{
	const struct report *r = pc->r;
	const struct rflow *f = &r->flows[l->flow];
	const struct rhit *h = r->nprof ? report_hit(&r->prof[l->prof], l->flow) : NULL;
	unsigned slot = pc->slot_of[l->flow];
	char tip[512], a[32], b[32];

	/* the flow's life, then its states on top */
	rect(pc->f, xof(pc, f->first), xof(pc, f->last), y, LANE_H, "#f4f4f4", NULL);
	for (size_t i = 0; i < l->n; i++) {
		uint64_t from = l->s[i].ts < f->first ? f->first : l->s[i].ts;
		uint64_t to = i + 1 < l->n ? l->s[i + 1].ts : f->last;
		uint8_t st = l->s[i].state;

		if (from > f->last)
			break;
		if (to > f->last)
			to = f->last;
		report_time(from, a, sizeof(a));
		report_time(to, b, sizeof(b));
		snprintf(tip, sizeof(tip), "%s from %s to %s",
		    st == RSTATE_GONE ? "no state (expired, evicted or ended)" : tcp_state_name(st), a, b);
		rect(pc->f, xof(pc, from), xof(pc, to), y + 2, LANE_H - 4,
		    st == RSTATE_GONE ? "url(#gone)" : st < TRK_STATE_MAX && state_color[st] ?
		    state_color[st] : "#eeeeee",
		    tip);
	}
	if (pc->have_ticks) {
		unsigned cols = (unsigned)(pc->x1 - pc->x0) + 1;

		fprintf(pc->f, "<path stroke=\"#333\" stroke-width=\"1\" d=\"");
		for (unsigned d = 0; d < 2; d++)
			for (unsigned c = 0; c < cols; c++)
				if (pc->ticks[slot][d][c / 8] & (1u << (c % 8)))
					fprintf(pc->f, "M%.1f %.1fv%d", pc->x0 + c + 0.5,
					    d == 0 ? y : y + LANE_H - TICK_H, TICK_H);
		fprintf(pc->f, "\"/>\n");
	}
	if (h && h->lost_at != T_NONE && h->broken_at == T_NONE) {
		double x = xof(pc, h->lost_at);

		report_time(h->lost_at, a, sizeof(a));
		snprintf(tip, sizeof(tip), "%s: state lost at %s (%s); later packets picked up as a new flow",
		    r->prof[l->prof].label, a, reason_name(h->lost_reason));
		fprintf(pc->f, "<path d=\"M%.1f %.1fl4 6l-4 6l-4 -6z\" fill=\"#f0a000\" "
		    "stroke=\"#704000\"><title>", x, y);
		esc(pc->f, tip);
		fprintf(pc->f, "</title></path>\n");
	}
	if (h && h->broken_at != T_NONE) {
		double x = xof(pc, h->broken_at);

		rect(pc->f, x, xof(pc, f->last), y, LANE_H, "rgba(215,25,28,0.22)", NULL);
		report_time(h->broken_at, a, sizeof(a));
		snprintf(tip, sizeof(tip), "%s broke this flow at %s (%s): %u packets, %llu bytes "
		    "would have been dropped", r->prof[l->prof].label, a, reason_name(h->reason),
		    h->drop_pkts, (unsigned long long)h->drop_bytes);
		fprintf(pc->f, "<g stroke=\"#b30000\" stroke-width=\"2.2\"><title>");
		esc(pc->f, tip);
		fprintf(pc->f, "</title><path d=\"M%.1f %.1fl10 10M%.1f %.1fl-10 10\"/></g>\n",
		    x - 5, y + 1, x + 5, y + 1);
	}
}

static void
legend(struct picture *pc, double y)
{
	/* the states of the protocols the lanes show */
	static const struct {
		uint8_t state, kind;
	} order[] = {
		{ TCP_SYN_SENT, NBK_TCP }, { TCP_SYN_SENT2, NBK_TCP }, { TCP_SYN_RECV, NBK_TCP },
		{ TCP_ESTABLISHED, NBK_TCP }, { TCP_FIN_WAIT, NBK_TCP },
		{ TCP_CLOSE_WAIT, NBK_TCP }, { TCP_LAST_ACK, NBK_TCP }, { TCP_TIME_WAIT, NBK_TCP },
		{ TCP_CLOSE, NBK_TCP }, { TRK_UDP_UNREPLIED, NBK_UDP }, { TRK_UDP_REPLIED, NBK_UDP },
		{ TRK_ICMP, NBK_ICMP }, { TRK_OTHER, NBK_OTHER },
		{ TRK_GRE_UNREPLIED, NBK_OTHER }, { TRK_GRE_REPLIED, NBK_OTHER },
	};
	static const char lost[] = "state lost, flow picked up again (a NAT would give it a new mapping)";
	double x = 20;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *name = tcp_state_name(order[i].state);

		/* every state of every protocol fits in one row */
		if (!(pc->kinds & (1u << order[i].kind)))
			continue;
		rect(pc->f, x, x + 14, y - 9, 10, state_color[order[i].state], NULL);
		fprintf(pc->f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x + 18, y, name);
		x += 18 + strlen(name) * CHAR_W + 14;
	}
	y += 18;
	x = 20;
	rect(pc->f, x, x + 14, y - 9, 10, "url(#gone)", NULL);
	fprintf(pc->f, "<text x=\"%.1f\" y=\"%.1f\">no state (the profile expired or evicted it)</text>\n",
	    x + 18, y);
	x += 330;
	fprintf(pc->f, "<path d=\"M%.1f %.1fl10 10M%.1f %.1fl-10 10\" stroke=\"#b30000\" "
	    "stroke-width=\"2.2\"/>\n", x, y - 10, x + 10, y - 10);
	fprintf(pc->f, "<text x=\"%.1f\" y=\"%.1f\">broken here (first drop or RST); shaded: "
	    "what it would have dropped</text>\n", x + 16, y);
	y += 18;
	x = 20;
	fprintf(pc->f, "<path d=\"M%.1f %.1fl4 6l-4 6l-4 -6z\" fill=\"#f0a000\" stroke=\"#704000\"/>\n",
	    x + 6, y - 10);
	fprintf(pc->f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x + 18, y, lost);
	x += 18 + strlen(lost) * CHAR_W + 24;
	if (pc->have_ticks)
		fprintf(pc->f, "<path d=\"M%.1f %.1fv3M%.1f %.1fv3\" stroke=\"#333\"/>"
		    "<text x=\"%.1f\" y=\"%.1f\">packets: ticks on top from the originator, "
		    "below from the responder</text>\n", x + 0.5, y - 10, x + 4.5, y - 3,
		    x + 14, y);
}

/* A lane's flow: "tcp 198.51.100.2:40000 > 203.0.113.2:80" */
static void
lane_name(const struct rflow *f, char *buf, size_t cap)
{
	char pn[4], fl[160];

	report_flow_name(f, fl, sizeof(fl));
	snprintf(buf, cap, "%s %s", report_proto_name(f, pn), fl);
}

/* The columns (flow names, and profile labels when there are several)
 * and the time range the selected flows span; their packet ticks. */
static void
layout(struct picture *pc)
{
	const struct report *r = pc->r;
	char name[176];
	unsigned i, k;

	pc->flw = 10;
	for (i = 0; i < pc->nsel; i++) {
		lane_name(&r->flows[pc->sel[i]], name, sizeof(name));
		if (strlen(name) > pc->flw)
			pc->flw = strlen(name);
		pc->kinds |= 1u << r->flows[pc->sel[i]].kind;
	}
	if (r->nprof > 1)
		for (k = 0; k < r->nprof; k++)
			if (strlen(r->prof[k].label) > pc->pfw)
				pc->pfw = strlen(r->prof[k].label);
	if (pc->flw > 60)
		pc->flw = 60;
	if (pc->pfw > 40)
		pc->pfw = 40;
	pc->x0 = 20 + (double)pc->flw * CHAR_W + 12 + (pc->pfw ? (double)pc->pfw * CHAR_W + 12 : 0);
	pc->x1 = WIDTH - 20;
	pc->t0 = UINT64_MAX;
	for (i = 0; i < pc->nsel; i++) {
		const struct rflow *f = &r->flows[pc->sel[i]];

		pc->t0 = f->first < pc->t0 ? f->first : pc->t0;
		pc->t1 = f->last > pc->t1 ? f->last : pc->t1;
	}
	if (pc->nsel == 0)
		pc->t0 = 0;
	if (pc->t1 <= pc->t0)
		pc->t1 = pc->t0 + NS_PER_SEC / 1000;
	read_ticks(pc);
}

/* The document's start: its size, the hatching of "no state", the title
 * and a line on what is drawn. */
static void
head(struct picture *pc, const struct svg_opts *o, double height)
{
	const struct report *r = pc->r;
	char buf[64], d[32];

	fprintf(pc->f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
	    "viewBox=\"0 0 %d %.0f\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" "
	    "font-size=\"11\">\n", WIDTH, height, WIDTH, height);
	fprintf(pc->f, "<defs><pattern id=\"gone\" width=\"6\" height=\"6\" "
	    "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
	    "<rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>"
	    "<rect width=\"2\" height=\"6\" fill=\"#c8c8c8\"/></pattern></defs>\n");
	fprintf(pc->f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
	fprintf(pc->f, "<text x=\"20\" y=\"22\" font-size=\"14\" font-weight=\"bold\">");
	esc(pc->f, o->title);
	fprintf(pc->f, "</text>\n<text x=\"20\" y=\"40\" fill=\"#444\">");
	report_dur(r->duration, d, sizeof(d));
	snprintf(buf, sizeof(buf), "%u", r->nflows);
	fprintf(pc->f, "%llu frames, %s flows over %s; lanes: the %u %sflows with the most packets, "
	    "in start order%s", (unsigned long long)r->frames, buf, d, pc->nsel,
	    o->broken_first ? "broken, then " : "", r->damaged ? "; capture DAMAGED" : "");
	fprintf(pc->f, "</text>\n");
}

/* Each selected flow: its name, then its lanes (one per profile, each
 * labelled when there are several), from y down. Returns the y below. */
static double
draw_flows(struct picture *pc, double y)
{
	const struct report *r = pc->r;
	char name[176], d[32], h[ZC_HIST_MAX + 1];

	for (unsigned i = 0; i < pc->nsel; i++) {
		const struct rflow *f = &r->flows[pc->sel[i]];

		lane_name(f, name, sizeof(name));
		if (strlen(name) > pc->flw)
			name[pc->flw] = '\0';
		fprintf(pc->f, "<text x=\"20\" y=\"%.1f\"><title>", y + LANE_H - 2);
		report_dur(f->last - f->first, d, sizeof(d));
		fprintf(pc->f, "%s %s, %u+%u packets, %s", f->conn_state, report_history(r, f, h),
		    f->pkts[0], f->pkts[1], d);
		fprintf(pc->f, "</title>");
		esc(pc->f, name);
		fprintf(pc->f, "</text>\n");
		for (unsigned k = 0; k < pc->np; k++) {
			if (pc->pfw) {
				fprintf(pc->f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\" text-anchor=\"end\">",
				    pc->x0 - 8, y + LANE_H - 2);
				snprintf(name, sizeof(name), "%s", r->prof[k].label);
				if (strlen(name) > pc->pfw)
					name[pc->pfw] = '\0';
				esc(pc->f, name);
				fprintf(pc->f, "</text>\n");
			}
			draw_lane(pc, &pc->lanes[i * pc->np + k], y);
			y += LANE_H + LANE_GAP;
		}
		y += GROUP_GAP;
	}
	return y;
}

/* Below the lanes: a word if timelines stopped early, the legend. */
static void
tail(struct picture *pc, double y)
{
	const struct report *r = pc->r;
	unsigned k;

	for (k = 0; k < pc->np && r->nprof; k++)
		if (r->prof[k].marks.full)
			break;
	if ((r->nprof && k < pc->np) || r->marks.full) {
		fprintf(pc->f, "<text x=\"20\" y=\"%.1f\" fill=\"#b30000\">state timelines stopped "
		    "early: too many state changes to keep</text>\n", y + 4);
		y += 14;
	}
	legend(pc, y + 18);
	fprintf(pc->f, "</svg>\n");
}

int
svg_write(const struct report *r, const struct svg_opts *o)
{
	struct picture pc;
	double height, lanes;
	int rc = -1;

	memset(&pc, 0, sizeof(pc));
	pc.r = r;
	pc.np = r->nprof ? r->nprof : 1;
	if (select_flows(&pc, o) < 0 || build_lanes(&pc) < 0) {
		log_warnx("%s: out of memory", o->path);
		goto out;
	}
	layout(&pc);
	lanes = (double)pc.nsel * (pc.np * (LANE_H + LANE_GAP) + GROUP_GAP);
	height = TOP + lanes + 90;
	if (strcmp(o->path, "-") == 0)
		pc.f = stdout;
	else if ((pc.f = fopen(o->path, "w")) == NULL) {
		log_warn("%s", o->path);
		goto out;
	}
	head(&pc, o, height);
	axis(&pc, TOP - 6, TOP + lanes);
	tail(&pc, draw_flows(&pc, TOP));
	if (pc.f != stdout) {
		if (fclose(pc.f) != 0) {
			log_warn("%s", o->path);
			goto out;
		}
	} else if (fflush(stdout) != 0) {
		goto out;
	}
	rc = 0;
out:
	for (unsigned i = 0; i < pc.nlanes; i++)
		free(pc.lanes[i].s);
	free(pc.lanes);
	free(pc.sel);
	free(pc.slot_of);
	free(pc.ticks);
	return rc;
}
