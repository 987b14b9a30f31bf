/* cmd_replay.c -- `natbox replay`: a capture through one profile, capture time as the clock, a verdict per flow. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldw.h"
#include "cli.h"
#include "evsink.h"
#include "log.h"
#include "opts.h"
#include "safefile.h"
#include "capture_opts.h"
#include "report.h"
#include "svg.h"

struct replay_opts {
	const char *capture, *policy, *events, *dropped;
	struct capture_opts co;
	enum event_format fmt;
	bool broken_only;
	bool zeek;		/* flows as a Zeek conn.log */
};

static void
usage(FILE *f, bool full)
{
	fprintf(f,
	    "usage: natbox replay CAPTURE --policy NAME|FILE [--set key=value]...\n"
	    "                     [--events -|FILE] [--format text|json|zeek] [--write-dropped FILE]\n"
	    "                     [--svg FILE] [--svg-flows N] [--svg-broken] [--broken]\n"
	    "                     [--max-flows N]\n");
	if (!full)
		return;
	fprintf(f,
	    "Run every packet of a pcap or pcapng capture through the engine under one\n"
	    "profile, with capture time as the clock (timers fire in capture time), then\n"
	    "print one line per flow (TCP connection, UDP flow, ICMP query session or\n"
	    "other protocol's address pair): protocol, endpoints, duration, packets and\n"
	    "IP bytes each way, Zeek conn_state and history, and whether the profile\n"
	    "broke it. An ICMP error counts as a packet of the flow it quotes. The\n"
	    "description (originator, counts, conn_state, history) is Zeek's, from\n"
	    "every packet of the capture in the file's order, whatever the profile\n"
	    "made of it: the Zeek connection holding the flow's first packet.\n"
	    "\n"
	    "  --policy NAME|FILE  profile; NAME,key=value,... sets keys too\n"
	    "  --set key=value     override one profile key (repeatable)\n"
	    "  --events -|FILE     write the engine's events (stdout, or appended to FILE)\n"
	    "  --format text|json  events and flow lines as text (default) or JSON lines\n"
	    "  --format zeek       flows as a Zeek conn.log (TSV), verdict columns last;\n"
	    "                      events as text\n"
	    "  --write-dropped F   write the frames the profile would have dropped to F\n"
	    "  --svg FILE          draw a timeline: a lane per flow, coloured by state\n"
	    "  --svg-flows N       lanes for the busiest N flows (default %d)\n"
	    "  --svg-broken        fill the lanes with broken flows first\n"
	    "  --broken            list only the flows the profile broke or picked up again\n"
	    "  --max-flows N       flows the reference tracker holds at once\n"
	    "                      (default: sized from the file)\n"
	    "\n"
	    "A flow is broken when the profile drops (or resets) one of its packets, or\n"
	    "resets both ends at an expiry after which the flow still had traffic. It\n"
	    "is \"picked up\" when the profile's state for it expired mid-flow but later\n"
	    "packets were accepted as a new flow (loose pickup): a firewall survives\n"
	    "that, a NAT would have given the flow a new mapping. A UDP, ICMP or other\n"
	    "flow whose state expired is made again by its originator's next packet\n"
	    "(picked up); the responder's packets before that find no state and are\n"
	    "dropped, unless expire.later = pickup (broken).\n"
	    "\n"
	    "Output. Text: '#' lines about the capture and the totals, and a table with\n"
	    "the columns start duration proto src dst state history orig_pkts orig_bytes\n"
	    "resp_pkts resp_bytes verdict (times in seconds from the capture's first\n"
	    "frame; bytes are IP bytes, as in the IP headers even if the capture cut the\n"
	    "packets short; an ICMP query's identifier stands in its ports, another\n"
	    "protocol shows addresses only). JSON lines, in this order: one\n"
	    "{\"type\":\"capture\",...}; one line per flow: Zeek's conn.log fields by\n"
	    "Zeek's names (ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto duration\n"
	    "orig_bytes resp_bytes conn_state missed_bytes history orig_pkts orig_ip_bytes\n"
	    "resp_pkts resp_ip_bytes tunnel_parents; unset ones left out), then type\n"
	    "(\"flow\") id sport dport natbox_proto family start flow_duration state\n"
	    "midstream broken broken_at reason drop_reason dropped_packets dropped_bytes\n"
	    "state_lost_at state_lost_reason picked_up (null where it does not apply);\n"
	    "one {\"type\":\"summary\",...}. --format zeek: a Zeek conn.log (TSV), one\n"
	    "line per Zeek connection, natbox's verdict columns after Zeek's.\n"
	    "Engine events (--events) come first.\n"
	    "\n"
	    "NAT what-ifs: with nat.outside set (and nat.inside, on a capture taken on\n"
	    "the inside) the table has an outside column, the external address:port\n"
	    "each flow would have had, and the verdict says when a flow would have\n"
	    "been re-mapped (\"remapped 70.005 -> :51234\": its state was lost and a\n"
	    "later packet made a new mapping; \"rebound\": nat.rebind_every). JSON flow\n"
	    "lines gain outside and remaps [{at outside why}], the summary translated\n"
	    "and remapped. Inbound packets no mapping holds, or that filtering refuses,\n"
	    "break their flow as nat:no_mapping or nat:filtered.\n"
	    "\n"
	    "This is a what-if. The capture is what the endpoints did without this\n"
	    "profile in the path; after the first drop real endpoints would have\n"
	    "retransmitted, backed off or given up, so the later packets and the drop\n"
	    "counts are what the profile would have faced had they carried on as\n"
	    "captured. The time and reason of the first break are exact.\n"
	    "\n"
	    "Exit status: 0 done, 1 the capture is damaged (the report covers what was\n"
	    "read before the damage) or could not be read, 2 usage or profile error.\n",
	    SVG_FLOWS_DEFAULT);
}

static int
parse_args(int argc, char **argv, struct replay_opts *o)
{
	enum { O_DROPPED = 256, O_BROKEN };
	static const struct option lopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		CO_OPT_SET,
		{ "events", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "write-dropped", required_argument, NULL, O_DROPPED },
		CO_OPT_SVG,
		{ "broken", no_argument, NULL, O_BROKEN },
		CO_OPT_MAX_FLOWS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool json;
	int c, t;

	memset(o, 0, sizeof(*o));
	o->fmt = EVF_TEXT;
	capture_opts_init(&o->co, argc, SVG_FLOWS_DEFAULT);
	optind = 0;
	while ((c = getopt_long(argc, argv, "p:s:e:f:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (o->policy) {
				log_warnx("replay: one --policy (natbox compare judges several)");
				return -1;
			}
			o->policy = optarg;
			break;
		case 's':
			capture_opts_take(&o->co, CO_SET, optarg);
			break;
		case 'e':
			o->events = optarg;
			break;
		case 'f':
			/* zeek: flows as a conn.log; events (--events) as text */
			if ((o->zeek = strcmp(optarg, "zeek") == 0))
				break;
			if (opt_format(&json, optarg) < 0)
				return -1;
			o->fmt = json ? EVF_JSON : EVF_TEXT;
			break;
		case O_DROPPED:
			o->dropped = optarg;
			break;
		case O_BROKEN:
			o->broken_only = true;
			break;
		case 'h':
			usage(stdout, true);
			return 1;
		default:
			if ((t = capture_opts_take(&o->co, c, optarg)) <= 0)
				return -1;
			break;
		}
	}
	if (report_capture_arg("replay", argc, argv, optind, &o->capture) < 0)
		return -1;
	if (o->policy == NULL) {
		log_warnx("replay: --policy is required");
		return -1;
	}
	return 0;
}

/* Column widths of the flow table (out: the outside column, 0 when the
 * profile translates nothing). */
struct widths {
	int src, dst, out, hist, op, ob, rp, rb;
};

static int
ulen(unsigned long long v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static bool
listed(const struct replay_opts *o, const struct rprof *p, uint32_t i)
{
	const struct rhit *h = report_hit(p, i);

	return !o->broken_only || (h && (h->broken_at != T_NONE || h->lost_at != T_NONE));
}

static void
text_verdict(FILE *f, const struct rflow *fl, const struct rhit *h, bool color)
{
	char at[32], lost[32];

	if (h == NULL || (h->broken_at == T_NONE && h->lost_at == T_NONE)) {
		fprintf(f, "ok");
		return;
	}
	if (h->lost_at != T_NONE)
		report_time(h->lost_at, lost, sizeof(lost));
	if (h->broken_at == T_NONE) {
		fprintf(f, "%spicked up: state lost at %s (%s), later packets accepted as a new flow%s",
		    color ? "\033[33m" : "", lost, reason_name(h->lost_reason),
		    color ? "\033[0m" : "");
		return;
	}
	report_time(h->broken_at, at, sizeof(at));
	fprintf(f, "%sbroken at %s (%s%s)", color ? "\033[1;31m" : "", at,
	    reason_name(h->reason), fl->midstream && h->reason == R_NO_FLOW ?
	    ": open before the capture began" : "");
	if (h->drop_pkts)
		fprintf(f, ", would drop %u packet%s, %llu bytes", h->drop_pkts,
		    h->drop_pkts == 1 ? "" : "s", (unsigned long long)h->drop_bytes);
	if (h->lost_at != T_NONE && h->lost_at != h->broken_at)
		fprintf(f, "; state lost at %s", lost);
	if (h->drop_pkts && h->drop_reason != h->reason)
		fprintf(f, "; first drop %s", reason_name(h->drop_reason));
	fprintf(f, "%s", color ? "\033[0m" : "");
}

/* "; remapped 70.005 -> :51234" per re-map (the whole endpoint when the
 * address changed too); a rebind says "rebound". */
static void
text_remaps(FILE *f, const struct rprof *p, uint32_t i)
{
	const struct rnat *n = report_nat(p, i);
	const struct rremap *m;
	char at[32], ep[32];
	unsigned k, nm;

	m = report_remaps(p, i, &nm);
	for (k = 0; k < nm; k++) {
		struct rnat to = { m[k].addr, m[k].port };

		report_time(m[k].ts, at, sizeof(at));
		report_nat_endpoint(&to, ep, sizeof(ep));
		fprintf(f, "; %s %s -> %s", m[k].why == RMAP_REBIND ? "rebound" : "remapped", at,
		    n && n->addr == to.addr ? strchr(ep, ':') : ep);
	}
}

static void
print_text(FILE *f, const struct report *r, const struct replay_opts *o)
{
	const struct rprof *p = &r->prof[0];
	bool color = report_color(f), nat = nat_on(&p->pol->nat);
	struct widths w = { 3, 3, nat ? 7 : 0, 7, 9, 10, 9, 10 };
	char a[64], b[64], x[32], start[32], dur[32], pn[4], hist[ZC_HIST_MAX + 1];
	const char *h;
	uint32_t i;

	for (i = 0; i < r->nflows; i++) {
		const struct rflow *fl = &r->flows[i];
		int n;

		if (!listed(o, p, i))
			continue;
		report_flow_ends(fl, a, b, sizeof(a));
		if ((n = (int)strlen(a)) > w.src)
			w.src = n;
		if ((n = (int)strlen(b)) > w.dst)
			w.dst = n;
		report_nat_endpoint(report_nat(p, i), x, sizeof(x));
		if (nat && (n = (int)strlen(x)) > w.out)
			w.out = n;
		if ((n = (int)strlen(report_history(r, fl, hist))) > w.hist)
			w.hist = n;
		if ((n = ulen(fl->pkts[0])) > w.op)
			w.op = n;
		if ((n = ulen(fl->bytes[0])) > w.ob)
			w.ob = n;
		if ((n = ulen(fl->pkts[1])) > w.rp)
			w.rp = n;
		if ((n = ulen(fl->bytes[1])) > w.rb)
			w.rb = n;
	}
	fprintf(f, "%10s %9s  %-6s %-*s  %-*s  ", "start", "duration", "proto", w.src, "src",
	    w.dst, "dst");
	if (nat)
		fprintf(f, "%-*s  ", w.out, "outside");
	fprintf(f, "%-6s %-*s %*s %*s %*s %*s  %s\n", "state", w.hist, "history",
	    w.op, "orig_pkts", w.ob, "orig_bytes", w.rp, "resp_pkts", w.rb, "resp_bytes",
	    "verdict");
	for (i = 0; i < r->nflows; i++) {
		const struct rflow *fl = &r->flows[i];

		if (!listed(o, p, i))
			continue;
		report_flow_ends(fl, a, b, sizeof(a));
		snprintf(start, sizeof(start), "%llu.%03llu",
		    (unsigned long long)(fl->first / NS_PER_SEC),
		    (unsigned long long)(fl->first % NS_PER_SEC / 1000000));
		report_dur(fl->last - fl->first, dur, sizeof(dur));
		fprintf(f, "%10s %9s  %-6s %-*s  %-*s  ", start, dur, report_proto_name(fl, pn),
		    w.src, a, w.dst, b);
		if (nat) {
			report_nat_endpoint(report_nat(p, i), x, sizeof(x));
			fprintf(f, "%-*s  ", w.out, x);
		}
		h = report_history(r, fl, hist);
		fprintf(f, "%-6s %-*s %*u %*llu %*u %*llu  ", fl->conn_state, w.hist,
		    h[0] ? h : "-", w.op, fl->pkts[0], w.ob,
		    (unsigned long long)fl->bytes[0], w.rp, fl->pkts[1], w.rb,
		    (unsigned long long)fl->bytes[1]);
		text_verdict(f, fl, report_hit(p, i), color);
		if (nat)
			text_remaps(f, p, i);
		fputc('\n', f);
	}
}

static void
print_summary_text(FILE *f, const struct report *r)
{
	const struct rprof *p = &r->prof[0];
	const char *sep = " (";
	char t[32];

	fprintf(f, "# %s: %u flow%s, %u broken", p->label, r->nflows,
	    r->nflows == 1 ? "" : "s", p->broken);
	for (unsigned i = 0; i < R__MAX; i++)
		if (p->by_reason[i]) {
			fprintf(f, "%s%s %u", sep, reason_name(i), p->by_reason[i]);
			sep = ", ";
		}
	fprintf(f, "%s, %u picked up again after losing their state\n",
	    sep[0] == ',' ? ")" : "", p->lost);
	if (p->broken_midstream)
		fprintf(f, "# %u of the broken flows were open before the capture began (no handshake\n"
		    "# in it): the profile drops what it holds no state for; a box that was there\n"
		    "# all along would have had it (--set unknown.action=pickup to model that)\n",
		    p->broken_midstream);
	if (p->broken || p->drop_pkts || p->stray_drops) {
		fprintf(f, "# would drop %llu packet%s, %llu bytes of those flows",
		    (unsigned long long)p->drop_pkts, p->drop_pkts == 1 ? "" : "s",
		    (unsigned long long)p->drop_bytes);
		if (p->stray_drops)
			fprintf(f, " and %llu packets of no flow", (unsigned long long)p->stray_drops);
		if (p->first_break != T_NONE) {
			report_time(p->first_break, t, sizeof(t));
			fprintf(f, "; first break at %s", t);
		}
		fprintf(f, "\n# what-if: after a drop real endpoints would have retransmitted "
		    "or given up; later counts assume they went on as captured\n");
	}
	if (nat_on(&p->pol->nat))
		fprintf(f, "# translated %u flow%s, %u re-mapped (a new mapping after its state "
		    "was lost, or a rebind)\n", p->translated, p->translated == 1 ? "" : "s",
		    p->remapped);
	if (r->dumped)
		fprintf(f, "# wrote %llu dropped frames\n", (unsigned long long)r->dumped);
}

static void
print_json(FILE *f, const struct report *r, const struct replay_opts *o)
{
	const struct rprof *p = &r->prof[0];
	struct fieldw w;
	char pn[4];

	fw_init_file(&w, f, true);
	for (uint32_t i = 0; i < r->nflows; i++) {
		const struct rflow *fl = &r->flows[i];
		const struct rhit *h = report_hit(p, i);
		bool broken = h && h->broken_at != T_NONE;
		bool lost = h && h->lost_at != T_NONE;
		bool dropped = h && h->drop_pkts;

		if (!listed(o, p, i))
			continue;
		/* Zeek's conn.log fields by Zeek's names, then natbox's */
		fw_obj_open(&w, NULL);
		report_zeek_json(&w, r, fl);
		fw_str(&w, "type", NULL, "flow");
		fw_uint(&w, "id", NULL, i);
		fw_uint(&w, "sport", NULL, fl->sport);
		fw_uint(&w, "dport", NULL, fl->dport);
		fw_str(&w, "natbox_proto", NULL, report_proto_name(fl, pn));
		fw_uint(&w, "family", NULL, fl->family == 6 ? 6 : 4);
		if (fl->tun != 0)
			fw_str(&w, "tunnel", NULL, report_tunnel(r, fl));
		fw_secs(&w, "start", NULL, fl->first);
		fw_secs(&w, "flow_duration", NULL, fl->last - fl->first);
		fw_str(&w, "state", NULL, tcp_state_name(fl->state));
		fw_bool(&w, "midstream", NULL, fl->midstream);
		fw_bool(&w, "broken", NULL, broken);
		fw_secs(&w, "broken_at", NULL, broken ? h->broken_at : T_NONE);
		fw_str(&w, "reason", NULL, broken ? reason_name(h->reason) : NULL);
		fw_str(&w, "drop_reason", NULL, dropped ? reason_name(h->drop_reason) : NULL);
		fw_uint(&w, "dropped_packets", NULL, h ? h->drop_pkts : 0);
		fw_uint(&w, "dropped_bytes", NULL, h ? h->drop_bytes : 0);
		fw_secs(&w, "state_lost_at", NULL, lost ? h->lost_at : T_NONE);
		fw_str(&w, "state_lost_reason", NULL, lost ? reason_name(h->lost_reason) : NULL);
		fw_bool(&w, "picked_up", NULL, lost && !broken);
		if (nat_on(&p->pol->nat))
			report_nat_json(&w, p, i);
		fw_obj_close(&w);
	}
}

static void
print_summary_json(FILE *f, const struct report *r)
{
	const struct rprof *p = &r->prof[0];
	struct fieldw w;

	fw_init_file(&w, f, true);
	fw_obj_open(&w, NULL);
	fw_str(&w, "type", NULL, "summary");
	fw_str(&w, "policy", NULL, p->label);
	fw_uint(&w, "flows", NULL, r->nflows);
	fw_uint(&w, "broken", NULL, p->broken);
	fw_uint(&w, "broken_midstream", NULL, p->broken_midstream);
	fw_uint(&w, "picked_up", NULL, p->lost);
	fw_obj_open(&w, "reasons");
	for (unsigned i = 0; i < R__MAX; i++)
		if (p->by_reason[i])
			fw_uint(&w, reason_name(i), NULL, p->by_reason[i]);
	fw_obj_close(&w);
	fw_uint(&w, "dropped_packets", NULL, p->drop_pkts);
	fw_uint(&w, "dropped_bytes", NULL, p->drop_bytes);
	fw_uint(&w, "stray_drops", NULL, p->stray_drops);
	fw_secs(&w, "first_break", NULL, p->first_break);
	fw_uint(&w, "written_dropped", NULL, r->dumped);
	if (nat_on(&p->pol->nat)) {
		fw_uint(&w, "translated", NULL, p->translated);
		fw_uint(&w, "remapped", NULL, p->remapped);
	}
	fw_obj_close(&w);
}

int
cmd_replay(int argc, char **argv)
{
	struct replay_opts o;
	struct report_opts ro;
	struct report *r = NULL;
	struct evsink *sink = NULL;
	struct policy *pol;
	const char *label;
	char title[512];
	int rc, prc;

	prc = parse_args(argc, argv, &o);
	if (prc != 0) {
		if (prc < 0)
			usage(stderr, false);
		capture_opts_free(&o.co);
		return prc < 0 ? 2 : 0;
	}
	if ((pol = calloc(1, sizeof(*pol))) == NULL)
		fatal("calloc");
	if (report_policy_load(o.policy, o.co.sets, o.co.nsets, pol) < 0) {
		free(pol);
		capture_opts_free(&o.co);
		return 2;
	}
	if (o.events && (sink = evsink_open(o.events, o.fmt)) == NULL) {
		log_warnx("%s: %s", o.events, safe_strerror(errno));
		free(pol);
		capture_opts_free(&o.co);
		return 1;
	}
	label = strchr(o.policy, ',') || o.co.nsets ? o.policy : pol->name;
	memset(&ro, 0, sizeof(ro));
	ro.capture = o.capture;
	ro.pols = &pol;
	ro.labels = &label;
	ro.npol = 1;
	ro.timeline = o.co.svg != NULL;
	ro.zeek = true;
	ro.shadow = true;
	ro.events = sink;
	ro.write_dropped = o.dropped;
	ro.max_flows = o.co.max_flows;
	rc = report_run(&ro, &r);
	if (sink)
		evsink_close(sink);
	if (rc < 0) {
		free(pol);
		capture_opts_free(&o.co);
		return 1;
	}
	if (o.co.nsets) {
		/* the label shows what was set */
		size_t n = strlen(r->prof[0].label);

		for (int i = 0; i < o.co.nsets && n + 8 < sizeof(r->prof[0].label); i++)
			n += (size_t)snprintf(r->prof[0].label + n, sizeof(r->prof[0].label) - n,
			    ",%s", o.co.sets[i]);
	}
	if (o.zeek)
		report_zeek_write(stdout, r, o.broken_only);
	else if (o.fmt == EVF_JSON) {
		report_capture_json(stdout, r);
		print_json(stdout, r, &o);
		print_summary_json(stdout, r);
	} else {
		printf("# natbox replay, profile %s\n", r->prof[0].label);
		report_capture_text(stdout, r);
		print_text(stdout, r, &o);
		print_summary_text(stdout, r);
	}
	fflush(stdout);
	if (r->damaged)
		log_warnx("%s: %s", o.capture, r->damage);
	if (o.co.svg) {
		struct svg_opts so = { o.co.svg, title, o.co.svg_flows, o.co.svg_broken };

		snprintf(title, sizeof(title), "natbox replay %s, profile %s", o.capture,
		    r->prof[0].label);
		if (svg_write(r, &so) < 0)
			rc = 1;
	}
	if (ferror(stdout)) {
		log_warnx("stdout: write error");
		rc = 1;
	}
	report_free(r);
	free(pol);
	capture_opts_free(&o.co);
	return rc;
}
