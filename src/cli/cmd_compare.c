/* cmd_compare.c -- `natbox compare`: one pass over a capture, an engine per profile, which profile breaks which flows. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldw.h"
#include "cli.h"
#include "profiles.h"
#include "log.h"
#include "opts.h"
#include "capture_opts.h"
#include "report.h"
#include "svg.h"

#define PROFILES_MAX	64

struct compare_opts {
	const char *capture;
	char *specs[PROFILES_MAX];
	unsigned nspecs;
	struct capture_opts co;
	bool json, flows, all;
	bool owned;		/* specs were strdup'd by --all */
};

static void
usage(FILE *f, bool full)
{
	fprintf(f,
	    "usage: natbox compare CAPTURE --policy A --policy B... [--all] [--set key=value]...\n"
	    "                      [--json] [--flows] [--svg FILE] [--svg-flows N]\n"
	    "                      [--svg-broken] [--max-flows N]\n");
	if (!full)
		return;
	fprintf(f,
	    "Read a capture once and judge it under several profiles, one engine each\n"
	    "(same hash seed, capture time as the clock), each on its own thread. One\n"
	    "row per profile: flows (TCP, UDP, ICMP queries, other protocols), flows\n"
	    "broken and by what (a TCP timer's expiry while opening, idle, half-closed\n"
	    "or closing; a UDP or ICMP timer's expiry; TIME_WAIT reuse, an injected\n"
	    "fault; other, which counts the TIME_WAIT and other-protocol timers too),\n"
	    "flows picked up again after losing their state, packets and bytes the\n"
	    "profile would have dropped, and the earliest break (seconds from the\n"
	    "capture's first packet). A flow is broken when the profile drops one of\n"
	    "its packets (or resets a TCP flow at an expiry it had traffic after): a\n"
	    "UDP flow whose mapping expired breaks when the responder's next datagram\n"
	    "is dropped; the originator's next one makes it again (picked up).\n"
	    "With nat.outside set (a capture taken on the inside, nat.inside its\n"
	    "addresses), the columns filtered and no_mapping count flows whose inbound\n"
	    "packet the profile's filtering would have refused (from an endpoint the\n"
	    "flow never sent to), or no mapping held; --flows JSON gives each\n"
	    "translating profile's outside endpoint and re-maps per flow.\n"
	    "\n"
	    "  --policy NAME|FILE  a profile (repeat; at most %d); NAME,key=value,...\n"
	    "                      sets keys for that profile alone\n"
	    "  --all               every profile on the search path\n"
	    "  --set key=value     override a key in every profile (repeatable)\n"
	    "  --json              JSON lines: the capture, then one object per profile\n"
	    "                      (policy, flows, broken, picked_up, a count per class:\n"
	    "                      opening, idle, half_closed, closing, time_wait,\n"
	    "                      timewait_reuse, fault, other, udp, icmp,\n"
	    "                      other_proto, and for a translating profile\n"
	    "                      nat_filtered, nat_no_mapping; reasons by name,\n"
	    "                      dropped_packets, dropped_bytes, first_break)\n"
	    "  --flows             add the flow-by-profile matrix (JSON: a line per flow)\n"
	    "  --svg FILE          timeline: a lane per flow and profile, by state\n"
	    "  --svg-flows N       lanes for the busiest N flows (default %d)\n"
	    "  --svg-broken        fill the lanes with broken flows first\n"
	    "  --max-flows N       flows the reference tracker holds at once\n"
	    "\n"
	    "What-if: the capture is what the endpoints did with no profile in the path.\n"
	    "After a profile's first drop real endpoints would have retransmitted or\n"
	    "given up; the first break is exact, later drop counts assume the endpoints\n"
	    "went on as captured.\n"
	    "\n"
	    "Exit status: 0 done, 1 damaged or unreadable capture (the report covers what\n"
	    "was read), 2 usage or profile error.\n", PROFILES_MAX, SVG_FLOWS_DEFAULT);
}

static void
collect_all(void *ctx, const char *name, const char *path)
{
	struct compare_opts *o = ctx;
	char *s;

	(void)path;
	if (o->nspecs == PROFILES_MAX)
		return;
	if ((s = strdup(name)) == NULL)
		fatal("strdup");
	o->specs[o->nspecs++] = s;
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
parse_args(int argc, char **argv, struct compare_opts *o)
{
	enum { O_JSON = 256, O_FLOWS, O_ALL };
	static const struct option lopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		CO_OPT_SET,
		{ "json", no_argument, NULL, O_JSON },
		{ "flows", no_argument, NULL, O_FLOWS },
		{ "all", no_argument, NULL, O_ALL },
		CO_OPT_SVG,
		CO_OPT_MAX_FLOWS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	capture_opts_init(&o->co, argc, SVG_FLOWS_DEFAULT);
	optind = 0;
	while ((c = getopt_long(argc, argv, "p:s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (o->nspecs == PROFILES_MAX) {
				log_warnx("compare: at most %d profiles", PROFILES_MAX);
				return -1;
			}
			o->specs[o->nspecs++] = optarg;
			break;
		case 's':
			capture_opts_take(&o->co, CO_SET, optarg);
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_FLOWS:
			o->flows = true;
			break;
		case O_ALL:
			o->all = true;
			break;
		case 'h':
			usage(stdout, true);
			return 1;
		default:
			if (capture_opts_take(&o->co, c, optarg) <= 0)
				return -1;
			break;
		}
	}
	if (report_capture_arg("compare", argc, argv, optind, &o->capture) < 0)
		return -1;
	if (o->all) {
		if (o->nspecs) {
			log_warnx("compare: --all or --policy, not both");
			return -1;
		}
		o->owned = true;
		profile_foreach(collect_all, o);
		qsort(o->specs, o->nspecs, sizeof(o->specs[0]), by_str);
		if (o->nspecs == 0) {
			log_warnx("compare: no profiles found (set NATBOX_POLICY_PATH?)");
			return -1;
		}
	}
	if (o->nspecs == 0) {
		log_warnx("compare: at least one --policy (or --all)");
		return -1;
	}
	return 0;
}

/* Text columns: the classes a reader asks about, the rest (TIME_WAIT,
 * another protocol's timer) as "other". */
static const struct {
	const char *head;
	unsigned cls;
} cols[] = {
	{ "opening", RC_OPENING }, { "idle", RC_IDLE }, { "half_closed", RC_HALF_CLOSED },
	{ "closing", RC_CLOSING }, { "udp", RC_UDP }, { "icmp", RC_ICMP },
	{ "tw_reuse", RC_TW_REUSE }, { "fault", RC_FAULT },
};

#define NCOLS (sizeof(cols) / sizeof(cols[0]))
/* ... and, when a profile translates, the inbound packets it refused:
 * filtering's, and those no mapping held */
#define NCOLS_NAT (NCOLS + 2)

static const struct {
	const char *head;
	unsigned cls;
} natcols[] = { { "filtered", RC_NAT_FILTERED }, { "no_mapping", RC_NAT_NO_MAPPING } };

static const char *
col_head(size_t c)
{
	return c < NCOLS ? cols[c].head : natcols[c - NCOLS].head;
}

static unsigned
col_count(const struct rprof *p, size_t c)
{
	return p->by_class[c < NCOLS ? cols[c].cls : natcols[c - NCOLS].cls];
}

static int
col_width(size_t c)
{
	int n = (int)strlen(col_head(c));

	return n > 5 ? n : 5;
}

static bool
any_nat(const struct report *r)
{
	for (unsigned i = 0; i < r->nprof; i++)
		if (nat_on(&r->prof[i].pol->nat))
			return true;
	return false;
}

static unsigned
other_count(const struct rprof *p)
{
	return p->by_class[RC_OTHER] + p->by_class[RC_TIME_WAIT] + p->by_class[RC_OTHER_PROTO];
}

static void
print_table(FILE *f, const struct report *r)
{
	bool color = report_color(f);
	size_t ncols = any_nat(r) ? NCOLS_NAT : NCOLS;
	int lw = 7;
	char t[32];

	for (unsigned i = 0; i < r->nprof; i++)
		if ((int)strlen(r->prof[i].label) > lw)
			lw = (int)strlen(r->prof[i].label);
	fprintf(f, "%-*s  %7s %7s", lw, "profile", "flows", "broken");
	for (size_t c = 0; c < ncols; c++)
		fprintf(f, " %*s", col_width(c), col_head(c));
	fprintf(f, " %5s %9s %10s %12s  %s\n", "other", "picked_up", "pkts_lost",
	    "bytes_lost", "first_break");
	for (unsigned i = 0; i < r->nprof; i++) {
		const struct rprof *p = &r->prof[i];
		bool hl = color && p->broken;

		fprintf(f, "%s%-*s  %7u %7u", hl ? "\033[1;31m" : "", lw, p->label,
		    r->nflows, p->broken);
		for (size_t c = 0; c < ncols; c++)
			fprintf(f, " %*u", col_width(c), col_count(p, c));
		if (p->first_break != T_NONE)
			report_time(p->first_break, t, sizeof(t));
		else
			snprintf(t, sizeof(t), "-");
		fprintf(f, " %5u %9u %10llu %12llu  %s%s\n", other_count(p), p->lost,
		    (unsigned long long)p->drop_pkts, (unsigned long long)p->drop_bytes, t,
		    hl ? "\033[0m" : "");
	}
}

static void
cell(const struct rhit *h, char *buf, size_t cap)
{
	char t[32];

	if (h && h->broken_at != T_NONE) {
		report_time(h->broken_at, t, sizeof(t));
		snprintf(buf, cap, "BROKEN %s %s", t, report_class_name(report_class_of(h->reason)));
	} else if (h && h->lost_at != T_NONE) {
		report_time(h->lost_at, t, sizeof(t));
		snprintf(buf, cap, "picked_up %s %s", t,
		    h->lost_reason == R_END_EVICTED ? "evicted" :
		    report_class_name(report_class_of(h->lost_reason)));
	} else {
		snprintf(buf, cap, "ok");
	}
}

static void
print_matrix(FILE *f, const struct report *r)
{
	int *w = calloc(r->nprof, sizeof(int));
	int ws = 3, wd = 3, wh = 7, hl;
	char a[64], b[64], c[96], start[32], pn[4], hist[ZC_HIST_MAX + 1];
	const char *hs;
	uint32_t i;
	unsigned k;

	if (w == NULL)
		fatal("calloc");
	for (k = 0; k < r->nprof; k++)
		w[k] = (int)strlen(r->prof[k].label);
	for (i = 0; i < r->nflows; i++) {
		const struct rflow *fl = &r->flows[i];

		report_flow_ends(fl, a, b, sizeof(a));
		ws = (int)strlen(a) > ws ? (int)strlen(a) : ws;
		wd = (int)strlen(b) > wd ? (int)strlen(b) : wd;
		hl = (int)strlen(report_history(r, fl, hist));
		wh = hl > wh ? hl : wh;
		for (k = 0; k < r->nprof; k++) {
			cell(report_hit(&r->prof[k], i), c, sizeof(c));
			if ((int)strlen(c) > w[k])
				w[k] = (int)strlen(c);
		}
	}
	fprintf(f, "\n%10s  %-6s %-*s  %-*s  %-6s %-*s", "start", "proto", ws, "src", wd, "dst",
	    "state", wh, "history");
	for (k = 0; k < r->nprof; k++)
		fprintf(f, "  %-*s", k + 1 < r->nprof ? w[k] : 0, r->prof[k].label);
	fputc('\n', f);
	for (i = 0; i < r->nflows; i++) {
		const struct rflow *fl = &r->flows[i];

		report_flow_ends(fl, a, b, sizeof(a));
		snprintf(start, sizeof(start), "%llu.%03llu",
		    (unsigned long long)(fl->first / NS_PER_SEC),
		    (unsigned long long)(fl->first % NS_PER_SEC / 1000000));
		hs = report_history(r, fl, hist);
		fprintf(f, "%10s  %-6s %-*s  %-*s  %-6s %-*s", start, report_proto_name(fl, pn),
		    ws, a, wd, b, fl->conn_state, wh, hs[0] ? hs : "-");
		for (k = 0; k < r->nprof; k++) {
			cell(report_hit(&r->prof[k], i), c, sizeof(c));
			fprintf(f, "  %-*s", k + 1 < r->nprof ? w[k] : 0, c);
		}
		fputc('\n', f);
	}
	free(w);
}

static void
print_json(FILE *f, const struct report *r)
{
	struct fieldw w;

	fw_init_file(&w, f, true);
	for (unsigned i = 0; i < r->nprof; i++) {
		const struct rprof *p = &r->prof[i];

		fw_obj_open(&w, NULL);
		fw_str(&w, "type", NULL, "profile");
		fw_str(&w, "policy", NULL, p->label);
		fw_str(&w, "name", NULL, p->pol->name);
		fw_uint(&w, "flows", NULL, r->nflows);
		fw_uint(&w, "broken", NULL, p->broken);
		fw_uint(&w, "broken_midstream", NULL, p->broken_midstream);
		fw_uint(&w, "picked_up", NULL, p->lost);
		for (unsigned c = 0; c < RC__MAX; c++)
			if (c < RC_NAT_FIRST || nat_on(&p->pol->nat))
				fw_uint(&w, report_class_name(c), NULL, p->by_class[c]);
		fw_obj_open(&w, "reasons");
		for (unsigned k = 0; k < R__MAX; k++)
			if (p->by_reason[k])
				fw_uint(&w, reason_name(k), NULL, p->by_reason[k]);
		fw_obj_close(&w);
		fw_uint(&w, "dropped_packets", NULL, p->drop_pkts);
		fw_uint(&w, "dropped_bytes", NULL, p->drop_bytes);
		fw_uint(&w, "stray_drops", NULL, p->stray_drops);
		fw_secs(&w, "first_break", NULL, p->first_break);
		fw_obj_open(&w, "engine");
		fw_uint(&w, "packets", NULL, p->st.packets);
		fw_uint(&w, "dropped", NULL, p->st.dropped);
		fw_uint(&w, "expired", NULL, p->st.events[EV_EXPIRE]);
		fw_uint(&w, "evictions", NULL, p->st.evictions);
		fw_obj_close(&w);
		fw_obj_close(&w);
	}
}

static void
print_json_flows(FILE *f, const struct report *r)
{
	struct fieldw w;
	char pn[4];

	fw_init_file(&w, f, true);
	for (uint32_t i = 0; i < r->nflows; i++) {
		const struct rflow *fl = &r->flows[i];

		/* Zeek's conn.log fields by Zeek's names, as replay writes them,
		 * then natbox's and each profile's verdict */
		fw_obj_open(&w, NULL);
		report_zeek_json(&w, r, fl);
		fw_str(&w, "type", NULL, "flow");
		fw_uint(&w, "id", NULL, i);
		fw_uint(&w, "sport", NULL, fl->sport);
		fw_uint(&w, "dport", NULL, fl->dport);
		fw_str(&w, "natbox_proto", NULL, report_proto_name(fl, pn));
		fw_secs(&w, "start", NULL, fl->first);
		fw_secs(&w, "flow_duration", NULL, fl->last - fl->first);
		fw_arr_open(&w, "profiles");
		for (unsigned k = 0; k < r->nprof; k++) {
			const struct rhit *h = report_hit(&r->prof[k], i);
			bool broken = h && h->broken_at != T_NONE;
			bool lost = h && h->lost_at != T_NONE;

			fw_obj_open(&w, NULL);
			fw_str(&w, "policy", NULL, r->prof[k].label);
			fw_bool(&w, "broken", NULL, broken);
			fw_secs(&w, "broken_at", NULL, broken ? h->broken_at : T_NONE);
			fw_str(&w, "reason", NULL, broken ? reason_name(h->reason) : NULL);
			fw_uint(&w, "dropped_packets", NULL, h ? h->drop_pkts : 0);
			fw_uint(&w, "dropped_bytes", NULL, h ? h->drop_bytes : 0);
			fw_bool(&w, "picked_up", NULL, lost && !broken);
			if (nat_on(&r->prof[k].pol->nat))
				report_nat_json(&w, &r->prof[k], i);
			fw_obj_close(&w);
		}
		fw_arr_close(&w);
		fw_obj_close(&w);
	}
}

static void
print_text(FILE *f, const struct report *r, const struct compare_opts *o)
{
	bool midstream = false;
	unsigned i;

	fprintf(f, "# natbox compare, %u profile%s%s\n", r->nprof, r->nprof == 1 ? "" : "s",
	    o->co.nsets ? ", each with" : "");
	for (int k = 0; k < o->co.nsets; k++)
		fprintf(f, "#   --set %s\n", o->co.sets[k]);
	report_capture_text(f, r);
	print_table(f, r);
	if (o->flows)
		print_matrix(f, r);
	for (i = 0; i < r->nprof; i++)
		if (r->prof[i].broken_midstream) {
			fprintf(f, "# %s: %u of its broken flows were open before the capture "
			    "began (no handshake in it)\n", r->prof[i].label,
			    r->prof[i].broken_midstream);
			midstream = true;
		}
	if (midstream)
		fprintf(f, "# a profile that drops unknown flows breaks those; a box there all "
		    "along would not\n#   (--set unknown.action=pickup models that)\n");
	for (i = 0; i < r->nprof && r->prof[i].broken == 0; i++)
		;
	if (i < r->nprof)
		fprintf(f, "# what-if: after a drop real endpoints would have retransmitted "
		    "or given up; later counts assume they went on as captured\n");
}

int
cmd_compare(int argc, char **argv)
{
	struct compare_opts o;
	struct report_opts ro;
	struct report *r = NULL;
	struct policy **pols;
	const char **labels;
	char title[512];
	unsigned i;
	int rc = 2, prc;

	prc = parse_args(argc, argv, &o);
	if (prc != 0) {
		if (prc < 0)
			usage(stderr, false);
		rc = prc < 0 ? 2 : 0;
		pols = NULL;
		labels = NULL;
		goto out;
	}
	pols = calloc(o.nspecs, sizeof(*pols));
	labels = calloc(o.nspecs, sizeof(*labels));
	if (pols == NULL || labels == NULL)
		fatal("calloc");
	for (i = 0; i < o.nspecs; i++) {
		if ((pols[i] = calloc(1, sizeof(**pols))) == NULL)
			fatal("calloc");
		if (report_policy_load(o.specs[i], o.co.sets, o.co.nsets, pols[i]) < 0)
			goto out;
		labels[i] = strchr(o.specs[i], ',') ? o.specs[i] : pols[i]->name;
	}
	memset(&ro, 0, sizeof(ro));
	ro.capture = o.capture;
	ro.pols = pols;
	ro.labels = labels;
	ro.npol = o.nspecs;
	ro.timeline = o.co.svg != NULL;
	/* labels only where they are shown */
	ro.zeek = o.flows || o.co.svg != NULL;
	ro.shadow = true;
	ro.max_flows = o.co.max_flows;
	rc = report_run(&ro, &r);
	if (rc < 0) {
		rc = 1;
		goto out;
	}
	if (o.json) {
		report_capture_json(stdout, r);
		print_json(stdout, r);
		if (o.flows)
			print_json_flows(stdout, r);
	} else {
		print_text(stdout, r, &o);
	}
	fflush(stdout);
	if (r->damaged)
		log_warnx("%s: %s", o.capture, r->damage);
	if (o.co.svg) {
		struct svg_opts so = { o.co.svg, title, o.co.svg_flows, o.co.svg_broken };

		snprintf(title, sizeof(title), "natbox compare %s, %u profiles", o.capture,
		    r->nprof);
		if (svg_write(r, &so) < 0)
			rc = 1;
	}
	if (ferror(stdout)) {
		log_warnx("stdout: write error");
		rc = 1;
	}
out:
	report_free(r);
	if (pols)
		for (i = 0; i < o.nspecs; i++)
			free(pols[i]);
	free(pols);
	free(labels);
	if (o.owned)
		for (i = 0; i < o.nspecs; i++)
			free(o.specs[i]);
	capture_opts_free(&o.co);
	return rc;
}
