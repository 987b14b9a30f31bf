/* cmd_suggest.c -- `natbox suggest`: the smallest timeouts a capture's flows need, printed as a ready profile. */
#include <ctype.h>
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

#define BASELINE	"rfc5382"
#define DUR_CAP		(365ULL * 86400 * NS_PER_SEC)	/* longest a profile may say */

struct suggest_opts {
	const char *capture, *name;
	struct capture_opts co;		/* --max-flows only */
	bool json;
};

/* Which tracker states each phase's profile key covers. */
static const struct {
	const char *key;		/* profile key after "timeout." */
	const char *title;
	unsigned states;		/* bit per enum tcp_state */
	unsigned also;			/* states whose waits count in this
					 * phase, written the same figure
					 * (their own keys; not the floor's) */
} phases[PH__MAX] = {
	[PH_OPENING] = { "opening", "opening",
	    1u << TCP_SYN_SENT | 1u << TCP_SYN_RECV | 1u << TCP_SYN_SENT2, 0 },
	[PH_ESTABLISHED] = { "established", "established idle", 1u << TCP_ESTABLISHED, 0 },
	[PH_HALF_CLOSED] = { "half_closed", "half-closed",
	    1u << TCP_FIN_WAIT | 1u << TCP_CLOSE_WAIT, 0 },
	[PH_CLOSING] = { "closing", "closing", 1u << TCP_LAST_ACK, 0 },
	[PH_TIME_WAIT] = { "time_wait", "TIME_WAIT", 1u << TCP_TIME_WAIT, 0 },
	[PH_CLOSED] = { "close", "after a RST", 1u << TCP_CLOSE, 0 },
	[PH_UDP_UNREPLIED] = { "udp_unreplied", "UDP unreplied", 1u << TRK_UDP_UNREPLIED, 0 },
	[PH_UDP] = { "udp", "UDP replied", 1u << TRK_UDP_REPLIED, 0 },
	[PH_ICMP] = { "icmp", "ICMP query", 1u << TRK_ICMP, 0 },
	[PH_OTHER] = { "other", "other protocol", 1u << TRK_OTHER,
	    1u << TRK_GRE_UNREPLIED | 1u << TRK_GRE_REPLIED },
};

struct need {
	bool seen;		/* some packet came while this phase's timer ran */
	uint64_t gap;		/* the longest such wait, ns */
	uint64_t at;		/* when that packet came */
	uint32_t flow;
	uint64_t secs;		/* the suggestion: whole seconds */
	uint64_t stay;		/* the longest time a flow spent in the phase */
	uint64_t floor;		/* the baseline profile's timeout, ns (0: none) */
	uint32_t over;		/* flows whose wait the baseline would not survive */
	bool syn;		/* a bare SYN came during the longest wait */
};

static void
usage(FILE *f, bool full)
{
	fprintf(f, "usage: natbox suggest CAPTURE [--name NAME] [--json] [--max-flows N]\n");
	if (!full)
		return;
	fprintf(f,
	    "For each timer phase (TCP's opening, established idle, half-closed,\n"
	    "closing, TIME_WAIT and after a RST; UDP unreplied and replied, the ICMP\n"
	    "query session, another protocol) find the longest time a flow of the\n"
	    "capture waited in it before its next packet, and print the smallest\n"
	    "whole-second timeouts that break none of the flows, as a ready profile\n"
	    "(every packet refreshes, half-closed timing starts at the first FIN), next\n"
	    "to the floors of " BASELINE ". Save the output as a .profile file and judge\n"
	    "it:\n"
	    "\n"
	    "  natbox suggest cap.pcap > mine.profile\n"
	    "  natbox compare cap.pcap --policy ./mine.profile --policy " BASELINE "\n"
	    "\n"
	    "A timeout breaks a flow when it is at most as long as one of these waits\n"
	    "(a timer expires at its deadline), so the need is the longest wait plus a\n"
	    "second, rounded down to whole seconds; a second less breaks that flow. A\n"
	    "UDP, ICMP or other flow whose originator ended the wait would only lose\n"
	    "its mapping (its datagram makes it again: picked up, which a NAT may do\n"
	    "with another port); the suggestion keeps every mapping, so those waits\n"
	    "count too.\n"
	    "\n"
	    "  --name NAME     the profile's name (default \"suggested\")\n"
	    "  --json          one JSON object: the waits per phase and the profile text\n"
	    "  --max-flows N   flows the reference tracker holds at once\n");
}

static int
parse_args(int argc, char **argv, struct suggest_opts *o)
{
	enum { O_NAME = 256, O_JSON };
	static const struct option lopts[] = {
		{ "name", required_argument, NULL, O_NAME },
		{ "json", no_argument, NULL, O_JSON },
		CO_OPT_MAX_FLOWS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	capture_opts_init(&o->co, 0, 0);
	o->name = "suggested";
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case O_NAME:
			if (optarg[0] == '\0' || strlen(optarg) > 48 ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(optarg)) {
				log_warnx("--name %s: use up to 48 letters, digits, '-', '_', '.'",
				    optarg);
				return -1;
			}
			o->name = optarg;
			break;
		case O_JSON:
			o->json = true;
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
	if (report_capture_arg("suggest", argc, argv, optind, &o->capture) < 0)
		return -1;
	return 0;
}

/* The baseline's timeout for a phase: the shortest of its states. A
 * profile that starts half-closed timing late runs the established timer
 * through the half-closed states. */
static uint64_t
baseline_floor(const struct policy *b, unsigned ph)
{
	uint64_t lo = UINT64_MAX;

	if (ph == PH_HALF_CLOSED && b->half_close_start != HC_FIRST_FIN)
		return b->timeout[TCP_ESTABLISHED];
	for (unsigned s = 0; s < TRK_STATE_MAX; s++)
		if ((phases[ph].states & (1u << s)) && b->timeout[s] < lo)
			lo = b->timeout[s];
	return lo == UINT64_MAX ? 0 : lo;
}

static void
needs_compute(const struct report *r, const struct policy *base, struct need *nd)
{
	memset(nd, 0, sizeof(*nd) * PH__MAX);
	for (unsigned ph = 0; ph < PH__MAX; ph++) {
		nd[ph].flow = RFLOW_NONE;
		nd[ph].floor = base ? baseline_floor(base, ph) : 0;
	}
	for (uint32_t i = 0; i < r->nflows; i++) {
		const struct rgap *g = &r->gaps[i];
		unsigned first = report_phase_first(r->flows[i].kind);

		/* slot sl: the flow's protocol's phase first + sl */
		for (unsigned sl = 0; sl < RGAP_SLOTS && first + sl < PH__MAX; sl++) {
			struct need *x = &nd[first + sl];

			if (!(g->seen & (1u << sl)))
				continue;
			if (!x->seen || g->gap[sl] > x->gap) {
				x->seen = true;
				x->gap = g->gap[sl];
				x->at = g->at[sl];
				x->flow = i;
				x->syn = (g->syn >> sl) & 1;
			}
			if (g->stay[sl] > x->stay)
				x->stay = g->stay[sl];
			if (x->floor && g->gap[sl] >= x->floor)
				x->over++;
		}
	}
	for (unsigned ph = 0; ph < PH__MAX; ph++) {
		/* Breaks iff a wait >= the timeout: the smallest safe whole
		 * second is floor(wait) + 1. Nothing waited: 1s will do. */
		nd[ph].secs = nd[ph].seen ? nd[ph].gap / NS_PER_SEC + 1 : 1;
		if (nd[ph].secs * NS_PER_SEC > DUR_CAP)
			nd[ph].secs = DUR_CAP / NS_PER_SEC;
	}
}

/* The capture's file name as a profile value may hold it: at most 80
 * characters, nothing that could end the line or start a comment. */
static void
capture_name(const char *path, char *buf, size_t cap)
{
	const char *s = strrchr(path, '/');
	size_t n = 0;

	for (s = s ? s + 1 : path; *s && n + 1 < cap && n < 80; s++, n++)
		buf[n] = (isalnum((unsigned char)*s) || strchr("._-+", *s)) ? *s : '_';
	buf[n] = '\0';
}

/* The profile text. Everything but the timeouts is spelled out so the
 * file stands alone and reads the same whatever the baseline becomes. */
static size_t
profile_text(const struct report *r, const struct suggest_opts *o,
    const struct need *nd, char *buf, size_t cap)
{
	char d[32], cn[96];
	size_t n = 0;
	uint64_t tomb = r->duration + NS_PER_SEC;
	uint32_t maxf = r->ref_peak < 1024 ? 1024 : r->ref_peak;

#define OUT(...) do { \
	int k_ = snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, __VA_ARGS__); \
	if (k_ > 0) n += (size_t)k_; \
} while (0)
	capture_name(r->capture, cn, sizeof(cn));
	OUT("name = %s\n", o->name);
	OUT("description = Smallest timeouts that break none of the %u flows of %s "
	    "(natbox suggest)\n", r->nflows, cn);
	report_dur(r->duration, d, sizeof(d));
	OUT("source = natbox suggest over %s (%llu packets, %u flows, %s): per "
	    "phase the longest wait before a flow's next packet, plus one second, in "
	    "whole seconds; every packet refreshes\n", cn,
	    (unsigned long long)r->packets, r->nflows, d);
	for (unsigned ph = 0; ph < PH__MAX; ph++) {
		policy_format_duration(nd[ph].secs * NS_PER_SEC, d, sizeof(d));
		OUT("timeout.%s = %s\n", phases[ph].key, d);
		for (unsigned s = 0; s < TRK_STATE_MAX; s++)
			if (phases[ph].also & (1u << s))
				OUT("timeout.%s = %s\n", tcp_state_key(s), d);
	}
	/* A timed-out flow stays remembered (and its packets dropped) at
	 * least as long as the capture, so too short a timeout shows. */
	if (tomb < 3600 * NS_PER_SEC)
		tomb = 3600 * NS_PER_SEC;
	if (tomb > DUR_CAP)
		tomb = DUR_CAP;
	tomb -= tomb % NS_PER_SEC;
	policy_format_duration(tomb, d, sizeof(d));
	OUT("timeout.unacknowledged = 0s\n");
	OUT("timeout.tombstone = %s\n", d);
	for (unsigned ph = 0; ph < PH__MAX; ph++)
		for (unsigned s = 0; s < TRK_STATE_MAX; s++)
			if ((phases[ph].states | phases[ph].also) & (1u << s))
				OUT("refresh.%s = any\n", tcp_state_refresh_key(s));
	OUT("icmp.errors = pass\n");
	OUT("half_closed.start = first_fin\n");
	OUT("expire.action = drop\n");
	OUT("expire.later = drop\n");
	OUT("unknown.action = pickup\n");
	OUT("timewait.reopen = allow\n");
	OUT("invalid.action = accept\n");
	OUT("malformed.action = accept\n");
	OUT("tracking.window = off\n");
	OUT("table.max_flows = %u\n", maxf);
	OUT("table.full = drop\n");
	OUT("table.adaptive = off\n");
#undef OUT
	return n;
}

static void
print_text(const struct report *r, const struct suggest_opts *o,
    const struct need *nd, const struct policy *base, const char *prof)
{
	char need[32], gap[32], at[32], fl[160], floor[32], stay[32];
	unsigned ph;

	printf("# natbox suggest: the smallest whole-second timeouts that break none of\n"
	    "# the flows in this capture (every packet refreshes; half-closed timing\n"
	    "# from the first FIN). Save as a .profile and check it with\n"
	    "#   natbox compare %s --policy ./%s.profile --policy %s\n", r->capture,
	    o->name, BASELINE);
	report_capture_text(stdout, r);
	printf("#\n# %-17s %6s %12s  %-10s %12s  %-8s %s  %s\n", "phase", "needs",
	    "longest_wait", "at", "longest_stay", BASELINE, base ? "breaks" : "", "flow");
	for (ph = 0; ph < PH__MAX; ph++) {
		const struct need *x = &nd[ph];

		policy_format_duration(x->secs * NS_PER_SEC, need, sizeof(need));
		if (x->seen) {
			report_dur(x->gap, gap, sizeof(gap));
			report_time(x->at, at, sizeof(at));
			report_dur(x->stay, stay, sizeof(stay));
			report_flow_name(&r->flows[x->flow], fl, sizeof(fl));
		} else {
			snprintf(gap, sizeof(gap), "-");
			snprintf(at, sizeof(at), "-");
			snprintf(stay, sizeof(stay), "-");
			snprintf(fl, sizeof(fl), "(no packet waited in this phase)");
		}
		if (x->floor)
			policy_format_duration(x->floor, floor, sizeof(floor));
		else
			snprintf(floor, sizeof(floor), "-");
		if (x->syn)
			strncat(gap, "*", sizeof(gap) - strlen(gap) - 1);
		printf("# %-17s %6s %12s  %-10s %12s  %-8s", phases[ph].title, need, gap, at, stay,
		    floor);
		if (base)
			printf(" %6u", x->over);
		printf("  %s\n", fl);
	}
	printf("# longest_stay: the longest a flow was in the phase; a timer that no\n"
	    "#   packet refreshes (refresh none) must outlast that instead\n");
	if (base)
		printf("# breaks: flows %s's timeout for the phase would cut%s\n", BASELINE,
		    base->half_close_start != HC_FIRST_FIN ? " (it times half-closed\n"
		    "#   flows on its established timer until both FINs)" : "");
	for (ph = PH_UDP_UNREPLIED; ph < PH__MAX && !nd[ph].seen; ph++)
		;
	if (ph < PH__MAX)
		printf("# UDP, ICMP, other: under a shorter timeout a wait the originator ended\n"
		    "#   loses the mapping (its datagram makes it again, picked up); one the\n"
		    "#   responder ended drops its datagram. The needs keep every mapping\n");
	for (ph = 0; ph < PH__MAX && !nd[ph].syn; ph++)
		;
	if (ph < PH__MAX)
		printf("# *: a SYN was retransmitted during that wait; a shorter timeout can\n"
		    "#   also pass it, the retransmission starting the flow afresh, but only\n"
		    "#   the suggested value and longer ones are sure to\n");
	if (r->ref_evicted)
		printf("# warning: the flow table filled and %u closed flows were forgotten;\n"
		    "# waits may be missing: run again with a larger --max-flows\n", r->ref_evicted);
	printf("\n%s", prof);
}

static void
print_json(const struct report *r, const struct need *nd, const struct policy *base,
    const char *prof)
{
	char s[32], fl[160];

	report_capture_json(stdout, r);
	printf("{\"type\":\"suggest\",\"baseline\":\"%s\",\"phases\":{", base ? BASELINE : "");
	for (unsigned ph = 0; ph < PH__MAX; ph++) {
		const struct need *x = &nd[ph];

		printf("%s\"%s\":{\"needs\":%llu", ph ? "," : "", report_phase_name(ph),
		    (unsigned long long)x->secs);
		if (x->seen) {
			fw_secs_str(x->gap, s, sizeof(s));
			printf(",\"longest_wait\":%s", s);
			fw_secs_str(x->at, s, sizeof(s));
			report_flow_name(&r->flows[x->flow], fl, sizeof(fl));
			printf(",\"at\":%s,\"flow\":", s);
			fw_json_str_file(stdout, fl);
			printf(",\"syn_in_wait\":%s", x->syn ? "true" : "false");
			fw_secs_str(x->stay, s, sizeof(s));
			printf(",\"longest_stay\":%s", s);
		} else {
			printf(",\"longest_wait\":null,\"at\":null,\"flow\":null,\"syn_in_wait\":false,"
			    "\"longest_stay\":null");
		}
		if (base) {
			fw_secs_str(x->floor, s, sizeof(s));
			printf(",\"baseline\":%s,\"baseline_breaks\":%u", s, x->over);
		}
		printf("}");
	}
	printf("},\"profile\":");
	fw_json_str_file(stdout, prof);
	printf("}\n");
}

int
cmd_suggest(int argc, char **argv)
{
	struct suggest_opts o;
	struct report_opts ro;
	struct report *r = NULL;
	struct need nd[PH__MAX];
	struct policy_errors *errs;
	struct policy *base;
	char *prof;
	size_t n;
	int rc;

	rc = parse_args(argc, argv, &o);
	capture_opts_free(&o.co);	/* its value is read: --max-flows */
	if (rc != 0) {
		if (rc < 0)
			usage(stderr, false);
		return rc < 0 ? 2 : 0;
	}
	base = calloc(1, sizeof(*base));
	errs = calloc(1, sizeof(*errs));
	if (base == NULL || errs == NULL)
		fatal("calloc");
	/* Only for comparison: without it the profile is still printed. */
	if (profile_load_errs(BASELINE, NULL, 0, base, errs) < 0) {
		log_warnx("profile %s not found: no floors to compare with", BASELINE);
		free(base);
		base = NULL;
	}
	free(errs);
	memset(&ro, 0, sizeof(ro));
	ro.capture = o.capture;
	ro.gaps = true;
	ro.max_flows = o.co.max_flows;
	rc = report_run(&ro, &r);
	if (rc < 0) {
		free(base);
		return 1;
	}
	needs_compute(r, base, nd);
	n = profile_text(r, &o, nd, NULL, 0) + 1;
	if ((prof = malloc(n)) == NULL)
		fatal("malloc");
	profile_text(r, &o, nd, prof, n);
	if (o.json)
		print_json(r, nd, base, prof);
	else
		print_text(r, &o, nd, base, prof);
	fflush(stdout);
	if (r->damaged)
		log_warnx("%s: %s", o.capture, r->damage);
	if (ferror(stdout)) {
		log_warnx("stdout: write error");
		rc = 1;
	}
	free(prof);
	free(base);
	report_free(r);
	return rc;
}
