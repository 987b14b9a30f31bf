/* probe_report.c -- the probe's findings written out: a profile natbox loads (each figure with its resolution in a comment) and a report with the same requirement table as `policy conform`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conform.h"
#include "log.h"
#include "policy.h"
#include "probe_cli_int.h"
#include "strbuf.h"

#define MS	1000000ULL

static const char *const kind_key[M__MAX] = {
	[M_TCP_EST] = "timeout.established", [M_UDP_UNREP] = "timeout.udp_unreplied",
	[M_UDP_REP] = "timeout.udp", [M_TCP_HALF] = "timeout.half_closed",
};
static const char *const kind_name[M__MAX] = {
	[M_TCP_EST] = "TCP established idle", [M_UDP_UNREP] = "UDP unreplied",
	[M_UDP_REP] = "UDP replied", [M_TCP_HALF] = "TCP one FIN, acked",
};
static const char *const kind_json[M__MAX] = {
	[M_TCP_EST] = "tcp_established", [M_UDP_UNREP] = "udp_unreplied",
	[M_UDP_REP] = "udp_replied", [M_TCP_HALF] = "tcp_half_closed",
};
static const char *const hc_json[] = {
	[INFER_HC_UNKNOWN] = "unknown", [INFER_HC_AT_FIN] = "first_fin",
	[INFER_HC_BOTH_FINS] = "both_fins",
};
static const char *const dep_names[3] = {
	"endpoint-independent", "address-dependent", "address-and-port-dependent",
};

/* How the device chose external ports: every flow kept its own, fresh
 * mappings took consecutive ones (3 in 4 steps of 1 or 2), or neither. */
static const char *
nat_ports(const struct prober *pr)
{
	if (pr->port_kept == pr->seen)
		return "preserve";
	if (pr->samples >= 4 && 4 * pr->steps >= 3 * (pr->samples - 1))
		return "sequential";
	return "random";
}

/* A search's figure: the middle of (lo, hi], to 10 ms (ns). */
static uint64_t
figure(const struct infer_est *e)
{
	uint64_t mid = (e->lo + e->hi) / 2 * MS;

	return (mid + 5 * MS) / (10 * MS) * (10 * MS);
}

static void
dur(char *buf, size_t cap, uint64_t ns)
{
	policy_format_duration(ns, buf, cap);
}

enum later_find { LATER_NONE = -1, LATER_DROP, LATER_RESET, LATER_PICKUP };
static const char *const later_key[] = { "drop", "reset-sender", "pickup" };

/* The TCP behaviours, from the searches and the tallies. */
struct tcp_find {
	struct infer_est est, half;
	enum infer_hc start;
	bool raw_start;		/* the raw flows told the start apart */
	int refresh;		/* 1 any (idle), 0 none (absolute), -1 not measured */
	int action;		/* 1 reset, 0 drop, -1 nothing to go by */
	int later;		/* enum later_find */
	unsigned dead, rst_expiry, later_n, rst_sender;
};

static void
tcp_find(const struct prober *pr, struct tcp_find *t)
{
	infer_estimate(&pr->m[M_TCP_EST].s, &t->est);
	infer_estimate(&pr->m[M_TCP_HALF].s, &t->half);
	t->start = infer_half_start(&t->est, &t->half, pr->o->resolution / MS);
	t->raw_start = probe_close_start(pr) != INFER_HC_UNKNOWN;	/* probe_close.c writes it */
	t->refresh = pr->href_kept + pr->href_lost == 0 ? -1 : pr->href_kept > pr->href_lost;
	t->dead = pr->ex[0].dead + pr->ex[1].dead;
	t->rst_expiry = pr->ex[0].rst_expiry + pr->ex[1].rst_expiry;
	/* later packets: flows not reset at expiry; the probe's sender is
	 * the client on an established flow, the server on a half-closed one */
	t->later_n = t->dead - t->rst_expiry;
	t->rst_sender = pr->ex[0].cli_after + pr->ex[1].srv_after;
	/* majorities: a flow lost for another reason sees no RST */
	t->action = t->dead == 0 ? -1 : 2 * t->rst_expiry > t->dead;
	t->later = t->later_n == 0 ? LATER_NONE : 2 * t->rst_sender > t->later_n;
	/* through a NAT, the client's packet into an expired flow that a RST
	 * answers while the server's is dropped: a new mapping the server's
	 * stack reset (pickup; a device resetting would reset both), the
	 * server's packet finding none */
	unsigned cn = pr->ex[0].dead - pr->ex[0].rst_expiry, sn = pr->ex[1].dead - pr->ex[1].rst_expiry;

	if (pr->translated > 0 && cn > 0 && sn > 0 && 2 * pr->ex[0].cli_after > cn &&
	    2 * pr->ex[1].srv_after <= sn)
		t->later = LATER_PICKUP;
}

/* lo, hi and the figure of a search, as durations. */
static void
interval(const struct infer_est *e, char *lo, char *hi, char *v, size_t cap)
{
	dur(lo, cap, e->lo * MS);
	dur(hi, cap, e->hi * MS);
	dur(v, cap, figure(e));
}

/* The half-closed timer, its start and refresh; expiry. */
static void
write_tcp(const struct prober *pr, const struct tcp_find *t, struct strbuf *sb, uint32_t *known)
{
	char a[32], b[32], v[32];

	interval(&t->half, a, b, v, sizeof(a));
	if (t->start == INFER_HC_AT_FIN && t->half.hi != INFER_NEVER) {
		if (!t->raw_start)
			sb_printf(sb, "half_closed.start = first_fin\t# one FIN, acked, starts a timer "
			    "of its own (first_fin and fin_acked not told apart: the stacks ack at "
			    "once)\n");
		sb_printf(sb, "timeout.half_closed = %s\t# %s < T <= %s, %u of %u flows agreed "
		    "(the server's data T after the client's FIN)\n", v, a, b, t->half.agreed,
		    t->half.total);
		if (t->refresh >= 0)
			sb_printf(sb, "refresh.half_closed = %s\t# %u of %u flows the server sent "
			    "into every T/4 lived 2 T\n", t->refresh ? "any" : "none",
			    pr->href_kept, pr->href_kept + pr->href_lost);
		*known |= 1u << CA_TCP_HALF;
	} else if (t->start == INFER_HC_AT_FIN) {
		dur(b, sizeof(b), pr->o->max_wait);
		sb_printf(sb, "# one FIN, acked: flows outlived the established timer and %s "
		    "(max-wait); the half-closed timer not measured\n", b);
	} else if (t->start == INFER_HC_BOTH_FINS) {
		sb_printf(sb, "%shalf_closed.start = both_fins\t# one FIN, acked, kept the "
		    "established timer: %s < T <= %s, %u of %u flows agreed\n",
		    t->raw_start ? "# " : "", a, b, t->half.agreed, t->half.total);
		if (t->refresh == 0 && probe_keep_verdict(pr, KEEP_TCP) < 0)
			sb_printf(sb, "refresh.established = none\t# one-FIN flows ended at T "
			    "despite data every T/4 (%u of %u)\n", pr->href_lost,
			    pr->href_kept + pr->href_lost);
		*known |= 1u << CA_TCP_HALF;
	} else if (t->half.total > 0)
		sb_printf(sb, "# one FIN, acked: neither it nor the established timer ran out "
		    "within max-wait; when the half-closed timer starts not measured\n");
	if (t->action >= 0)
		sb_printf(sb, "expire.action = %s\t# %u of %u expired flows: a RST to either "
		    "end before the probe\n", t->action ? "reset" : "drop", t->rst_expiry,
		    t->dead);
	if (t->later == LATER_PICKUP)
		sb_printf(sb, "expire.later = pickup\t# translated: %u of %u of the client's "
		    "packets into an expired flow were reset (a new mapping, the server's stack), "
		    "%u of %u of the server's (none)\n", pr->ex[0].cli_after,
		    pr->ex[0].dead - pr->ex[0].rst_expiry, pr->ex[1].srv_after,
		    pr->ex[1].dead - pr->ex[1].rst_expiry);
	else if (t->later != LATER_NONE)
		sb_printf(sb, "expire.later = %s\t# %u of %u probes into an expired flow were "
		    "answered with a RST to their sender\n", later_key[t->later],
		    t->rst_sender, t->later_n);
}

/* The profile: what was measured, each with how well. */
static void
write_profile(struct prober *pr, const struct tcp_find *tf, struct strbuf *sb, uint32_t *known)
{
	static const unsigned aspect[M__MAX] = { CA_TCP_EST, CA_UDP_UNREPLIED, CA_UDP_REPLIED,
		CA__MAX };
	char date[32], a[32], b[32], v[32], mw[32];
	time_t t = time(NULL);

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", localtime(&t));
	dur(mw, sizeof(mw), pr->o->max_wait);
	sb_printf(sb, "# natbox probe: figures measured through the device; each with\n"
	    "# its resolution (the timer T lies in the interval) and how many flows agreed.\n");
	sb_printf(sb, "name = probed\ndescription = measured by natbox probe against %s\n",
	    pr->o->server_arg);
	sb_printf(sb, "source = measured by natbox probe on %s against %s: %u rounds, "
	    "%u flows, %.0fs; timers searched up to %s; not measured: kept at the Linux "
	    "built-in values\n", date, pr->o->server_arg, pr->rounds, pr->flows,
	    (double)pr->elapsed / 1e9, mw);
	*known = 0;
	for (unsigned k = 0; k < M__MAX; k++) {
		struct infer_est e;

		infer_estimate(&pr->m[k].s, &e);
		if (e.total == 0 || k == M_TCP_HALF)	/* write_tcp() says what it means */
			continue;
		if (e.hi == INFER_NEVER) {
			sb_printf(sb, "# %s: not reached within %s (%u flows)\n", kind_key[k], mw,
			    e.total);
			continue;
		}
		dur(a, sizeof(a), e.lo * MS);
		dur(b, sizeof(b), e.hi * MS);
		dur(v, sizeof(v), figure(&e));
		sb_printf(sb, "%s = %s\t# %s < T <= %s, %u of %u flows agreed\n", kind_key[k], v,
		    a, b, e.agreed, e.total);
		*known |= 1u << aspect[k];
	}
	write_tcp(pr, tf, sb, known);
	probe_keep_profile(pr, sb, known);
	probe_pass_profile(pr, sb);
	if (!pr->o->translation_only)
		probe_rawsearch_profile(pr, sb, known);
	if (!pr->o->translation_only)
		probe_close_profile(pr, sb);
	if (!pr->o->translation_only)
		probe_unknown_profile(pr, sb);
	if (!pr->o->translation_only)
		probe_icmp_profile(pr, sb, known);
	if (pr->translated == 0) {
		sb_printf(sb, "# no translation: the server saw every flow's own source (%u "
		    "flows)\n", pr->seen);
		*known |= CONFORM_NO_NAT;
		return;
	}
	sb_printf(sb, "nat.outside = %s\t# the source the server saw\n", pr->outside);
	sb_printf(sb, "nat.ports = %s\t# %u of %u flows kept their source port; %u of %u fresh "
	    "mappings in a row took the port after the last (or two after)\n", nat_ports(pr),
	    pr->port_kept, pr->seen, pr->steps, pr->samples > 0 ? pr->samples - 1 : 0);
	sb_printf(sb, "nat.parity = %s\t# %u of %u kept its parity\n",
	    pr->parity_kept == pr->seen ? "on" : "off", pr->parity_kept, pr->seen);
	sb_printf(sb, "nat.pooling = %s\t# one internal address was seen from %s\n",
	    pr->outside_varied ? "arbitrary" : "paired",
	    pr->outside_varied ? "several external ones" : "one external address");
	if (pr->seen >= 8)
		*known |= 1u << CA_PARITY | 1u << CA_POOLING;
	if (pr->mapping >= 0) {
		sb_printf(sb, "nat.mapping = %s\t# UDP, through %u server endpoints\n",
		    dep_names[pr->mapping], pr->nep);
		*known |= 1u << CA_MAPPING;
	}
	if (pr->filtering >= 0) {
		sb_printf(sb, "nat.filtering = %s\t# UDP, from the server's other endpoints\n",
		    dep_names[pr->filtering]);
		*known |= 1u << CA_FILTERING;
	}
	probe_hairpin_profile(pr, sb, known);
}

static void
report_tcp_text(const struct prober *pr, const struct tcp_find *t)
{
	static const char *const start[] = {
		[INFER_HC_UNKNOWN] = "not told apart (neither timer ran out)",
		[INFER_HC_AT_FIN] = "at the FIN (first_fin or fin_acked)",
		[INFER_HC_BOTH_FINS] = "after both FINs (one FIN keeps the established timer)",
	};

	if (t->half.total > 0)
		printf("  %-22s %s\n", "half-closed timer", start[t->start]);
	if (t->refresh >= 0)
		printf("  %-22s %s: %u of %u flows the server sent into every T/4 lived 2 T\n",
		    "half-closed refresh", t->refresh ? "idle (any)" : "absolute (none)",
		    pr->href_kept, pr->href_kept + pr->href_lost);
	for (unsigned k = 0; k < 2; k++) {
		const char *v = probe_keep_json(pr, k == 0 ? KEEP_TCP : KEEP_UDP_ORIG);

		if (pr->keep[k == 0 ? KEEP_TCP : KEEP_UDP_REPLY].kept +
		    pr->keep[k == 0 ? KEEP_TCP : KEEP_UDP_REPLY].lost > 0)
			printf("  %-22s %s\n", k ? "UDP refresh" : "established refresh",
			    v ? v : "not told apart (see the profile)");
	}
	probe_pass_text(pr);
	if (!pr->o->translation_only)
		probe_rawsearch_text(pr);
	if (!pr->o->translation_only)
		probe_close_text(pr);
	if (!pr->o->translation_only)
		probe_icmp_text(pr);
	if (pr->unk.tried > 0)
		printf("  %-22s %u bare ACKs of no flow: %u reached the server, %u answered "
		    "with a RST\n", "unknown flow", pr->unk.tried, pr->unk.seen, pr->unk.rst);
	else if (pr->unknown_why[0] != '\0')
		printf("  %-22s not measured: %s\n", "unknown flow", pr->unknown_why);
	if (t->dead > 0)
		printf("  %-22s RST at expiry %u of %u (client %u, server %u); later packets: "
		    "a RST to the sender %u of %u\n", "TCP at expiry", t->rst_expiry, t->dead,
		    pr->ex[0].cli_before + pr->ex[1].cli_before,
		    pr->ex[0].srv_before + pr->ex[1].srv_before, t->rst_sender, t->later_n);
}

static void
report_text(struct prober *pr, const struct tcp_find *tf, const char *table)
{
	char a[32], b[32], v[32];

	printf("natbox probe against %s: %u rounds, %.0fs\n\n", pr->o->server_arg, pr->rounds,
	    (double)pr->elapsed / 1e9);
	for (unsigned k = 0; k < M__MAX; k++) {
		struct infer_est e;

		infer_estimate(&pr->m[k].s, &e);
		if (e.total == 0)
			continue;
		if (e.hi == INFER_NEVER) {
			dur(a, sizeof(a), pr->o->max_wait);
			printf("  %-22s over %s (%u flows lived)\n", kind_name[k], a, e.total);
			continue;
		}
		dur(a, sizeof(a), e.lo * MS);
		dur(b, sizeof(b), e.hi * MS);
		dur(v, sizeof(v), figure(&e));
		printf("  %-22s %-8s (%s < T <= %s; %u of %u flows agree)\n", kind_name[k], v, a, b,
		    e.agreed, e.total);
	}
	report_tcp_text(pr, tf);
	if (pr->translated == 0)
		printf("  %-22s none seen (%u flows)\n", "translation", pr->seen);
	else
		printf("  %-22s to %s; ports %s (kept %u/%u), parity %u/%u; mapping %s; "
		    "filtering %s\n", "translation", pr->outside, nat_ports(pr), pr->port_kept,
		    pr->seen, pr->parity_kept, pr->seen,
		    pr->mapping >= 0 ? dep_names[pr->mapping] : "not measured",
		    pr->filtering >= 0 ? dep_names[pr->filtering] : "not measured");
	if (pr->hair.tried > 0)
		printf("  %-22s %u of %u datagrams to another inside socket's external endpoint "
		    "came back in, %u from our external endpoint\n", "hairpin (UDP)",
		    pr->hair.passed, pr->hair.tried, pr->hair.ext_src);
	if (pr->hair_tcp.tried > 0)
		printf("  %-22s %u of %u connections to an inside listener's external endpoint "
		    "came in, %u from an external address\n", "hairpin (TCP)",
		    pr->hair_tcp.passed, pr->hair_tcp.tried, pr->hair_tcp.ext_src);
	printf("\n%s", table);
}

static void
report_json(struct prober *pr, const struct tcp_find *tf, const char *table)
{
	printf("{\"server\":\"%s\",\"family\":\"%s\",\"rounds\":%u,\"seconds\":%.1f,"
	    "\"figures\":{", pr->o->server_arg, pr->o->addr.sa.sa_family == AF_INET6 ? "ipv6" :
	    "ipv4", pr->rounds, (double)pr->elapsed / 1e9);
	for (unsigned k = 0; k < M__MAX; k++) {
		struct infer_est e;

		infer_estimate(&pr->m[k].s, &e);
		printf("%s\"%s\":", k ? "," : "", kind_json[k]);
		if (e.hi == INFER_NEVER)
			printf("{\"over\":%.3f,\"flows\":%u}", (double)pr->o->max_wait / 1e9, e.total);
		else
			printf("{\"seconds\":%.3f,\"lo\":%.3f,\"hi\":%.3f,\"agreed\":%u,\"flows\":%u}",
			    (double)figure(&e) / 1e9, (double)e.lo / 1e3, (double)e.hi / 1e3,
			    e.agreed, e.total);
	}
	printf("},\"half_closed_start\":\"%s\",\"half_closed_refresh\":%s,"
	    "\"refresh_flows\":{\"kept\":%u,\"lost\":%u},", hc_json[tf->start],
	    tf->refresh < 0 ? "null" : tf->refresh ? "\"any\"" : "\"none\"",
	    pr->href_kept, pr->href_lost);
	printf("\"tcp_expired\":%u,\"rst_at_expiry\":%u,\"rst_client\":%u,"
	    "\"rst_server\":%u,\"later_probes\":%u,\"rst_to_sender\":%u,"
	    "\"rst_to_client_sender\":%u,\"rst_to_server_sender\":%u,", tf->dead,
	    tf->rst_expiry, pr->ex[0].cli_before + pr->ex[1].cli_before,
	    pr->ex[0].srv_before + pr->ex[1].srv_before, tf->later_n, tf->rst_sender,
	    pr->ex[0].cli_after, pr->ex[1].srv_after);
	for (unsigned k = 0; k < 2; k++) {
		const char *v = probe_keep_json(pr, k == 0 ? KEEP_TCP : KEEP_UDP_ORIG);

		printf("%s\"%s\":%s%s%s", k ? "," : "\"refresh\":{", k ? "udp" : "tcp_established",
		    v ? "\"" : "", v ? v : "null", v ? "\"" : "");
	}
	printf("},");
	probe_pass_json(pr);
	probe_rawsearch_json(pr);
	probe_close_json(pr);
	probe_icmp_json(pr);
	printf("\"unknown\":{\"tried\":%u,\"rst\":%u,\"seen\":%u,\"blind\":%u,\"why\":\"%s\"},",
	    pr->unk.tried, pr->unk.rst, pr->unk.seen, pr->unk.blind, pr->unknown_why);
	printf("\"translated\":%s,", pr->translated ? "true" : "false");
	if (pr->translated > 0)
		printf("\"nat\":{\"outside\":\"%s\",\"ports\":\"%s\",\"parity\":\"%s\","
		    "\"pooling\":\"%s\",\"mapping\":\"%s\",\"filtering\":\"%s\",\"flows\":%u},",
		    pr->outside, nat_ports(pr), pr->parity_kept == pr->seen ? "on" : "off",
		    pr->outside_varied ? "arbitrary" : "paired",
		    pr->mapping >= 0 ? dep_names[pr->mapping] : "not measured",
		    pr->filtering >= 0 ? dep_names[pr->filtering] : "not measured", pr->seen);
	if (pr->translated > 0)
		printf("\"hairpin\":{\"tried\":%u,\"passed\":%u,\"external_source\":%u},",
		    pr->hair.tried, pr->hair.passed, pr->hair.ext_src);
	if (pr->translated > 0)
		printf("\"hairpin_tcp\":{\"tried\":%u,\"passed\":%u,\"external_source\":%u,"
		    "\"why\":\"%s\"},", pr->hair_tcp.tried, pr->hair_tcp.passed,
		    pr->hair_tcp.ext_src, pr->hair_why_tcp);
	printf("\"conformance\":%s}\n", table);
}

int
probe_output(struct prober *pr)
{
	struct strbuf sb;
	struct policy_errors *errs = malloc(sizeof(*errs));
	struct conform_report *r = malloc(sizeof(*r));
	struct policy p;
	struct tcp_find tf;
	uint32_t known;
	char *table;
	size_t need;
	int rc = 0;

	if (errs == NULL || r == NULL)
		fatal("malloc");
	sb_init(&sb, 1 << 16);
	tcp_find(pr, &tf);
	write_profile(pr, &tf, &sb, &known);
	/* the report is judged on the profile as written: one truth */
	if (policy_parse(&p, "probed", sb.buf, sb.len, NULL, errs) != 0)
		fatalx("probe: the measured profile does not parse: %s", errs->msg[0]);
	if (conform_run(&p, known, r) != 0)
		fatal("conform");
	probe_hairpin_rows(pr, r);
	need = pr->o->json ? conform_format_json(r, NULL, 0) : conform_format(r, NULL, 0);
	if ((table = malloc(need + 1)) == NULL)
		fatal("malloc");
	if (pr->o->json)
		conform_format_json(r, table, need + 1);
	else
		conform_format(r, table, need + 1);
	if (pr->o->json)
		report_json(pr, &tf, table);
	else
		report_text(pr, &tf, table);
	if (pr->o->out != NULL) {
		FILE *f = fopen(pr->o->out, "w");

		if (f == NULL || fputs(sb.buf, f) < 0 || fclose(f) != 0) {
			log_warn("probe: %s", pr->o->out);
			rc = 1;
		}
	} else if (!pr->o->json)
		printf("\n%s", sb.buf);
	free(table);
	free(r);
	free(errs);
	sb_free(&sb);
	return rc;
}
