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
	[M_UDP_REP] = "timeout.udp",
};
static const char *const kind_name[M__MAX] = {
	[M_TCP_EST] = "TCP established idle", [M_UDP_UNREP] = "UDP unreplied",
	[M_UDP_REP] = "UDP replied",
};
static const char *const kind_json[M__MAX] = {
	[M_TCP_EST] = "tcp_established", [M_UDP_UNREP] = "udp_unreplied",
	[M_UDP_REP] = "udp_replied",
};
static const char *const dep_names[3] = {
	"endpoint-independent", "address-dependent", "address-and-port-dependent",
};

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

/* The profile: what was measured, each with how well. */
static void
write_profile(struct prober *pr, struct strbuf *sb, uint32_t *known)
{
	static const unsigned aspect[M__MAX] = { CA_TCP_EST, CA_UDP_UNREPLIED, CA_UDP_REPLIED };
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
		if (e.total == 0)
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
	if (pr->tcp_dead > 0) {
		sb_printf(sb, "expire.action = %s\t# %u of %u expired flows had a RST before "
		    "the probe\n", pr->tcp_reset_before > 0 ? "reset" : "drop",
		    pr->tcp_reset_before, pr->tcp_dead);
		sb_printf(sb, "expire.later = %s\t# %u of %u probes into an expired flow were "
		    "answered with a RST\n", pr->tcp_reset_after > 0 ? "reset-sender" : "drop",
		    pr->tcp_reset_after, pr->tcp_dead);
	}
	if (pr->translated == 0) {
		sb_printf(sb, "# no translation: the server saw every flow's own source (%u "
		    "flows)\n", pr->seen);
		*known |= CONFORM_NO_NAT;
		return;
	}
	sb_printf(sb, "nat.outside = %s\t# the source the server saw\n", pr->outside);
	sb_printf(sb, "nat.ports = %s\t# %u of %u flows kept their source port\n",
	    pr->port_kept == pr->seen ? "preserve" : "random", pr->port_kept, pr->seen);
	sb_printf(sb, "nat.parity = %s\t# %u of %u kept its parity\n",
	    pr->parity_kept == pr->seen ? "on" : "off", pr->parity_kept, pr->seen);
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
}

static void
report_text(struct prober *pr, const struct conform_report *r, const char *table)
{
	char a[32], b[32], v[32];

	printf("natbox probe against %s: %u rounds, %.0fs\n\n", pr->o->server_arg, pr->rounds,
	    (double)pr->elapsed / 1e9);
	for (unsigned k = 0; k < M__MAX; k++) {
		struct infer_est e;

		infer_estimate(&pr->m[k].s, &e);
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
	if (pr->tcp_dead > 0)
		printf("  %-22s %s; later packets %s\n", "TCP at expiry",
		    pr->tcp_reset_before ? "RST to the client" : "silent",
		    pr->tcp_reset_after ? "answered with a RST" : "dropped");
	if (pr->translated == 0)
		printf("  %-22s none seen (%u flows)\n", "translation", pr->seen);
	else
		printf("  %-22s to %s; ports kept %u/%u, parity %u/%u; mapping %s; filtering %s\n",
		    "translation", pr->outside, pr->port_kept, pr->seen, pr->parity_kept, pr->seen,
		    pr->mapping >= 0 ? dep_names[pr->mapping] : "not measured",
		    pr->filtering >= 0 ? dep_names[pr->filtering] : "not measured");
	printf("\n%s", table);
	(void)r;
}

static void
report_json(struct prober *pr, const char *table)
{
	printf("{\"server\":\"%s\",\"rounds\":%u,\"seconds\":%.1f,\"figures\":{",
	    pr->o->server_arg, pr->rounds, (double)pr->elapsed / 1e9);
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
	printf("},\"tcp_expired\":%u,\"tcp_reset_before\":%u,\"tcp_reset_after\":%u,"
	    "\"translated\":%s,\"conformance\":%s}\n", pr->tcp_dead, pr->tcp_reset_before,
	    pr->tcp_reset_after, pr->translated ? "true" : "false", table);
}

int
probe_output(struct prober *pr)
{
	struct strbuf sb;
	struct policy_errors *errs = malloc(sizeof(*errs));
	struct conform_report *r = malloc(sizeof(*r));
	struct policy p;
	uint32_t known;
	char *table;
	size_t need;
	int rc = 0;

	if (errs == NULL || r == NULL)
		fatal("malloc");
	sb_init(&sb, 1 << 16);
	write_profile(pr, &sb, &known);
	/* the report is judged on the profile as written: one truth */
	if (policy_parse(&p, "probed", sb.buf, sb.len, NULL, errs) != 0)
		fatalx("probe: the measured profile does not parse: %s", errs->msg[0]);
	if (conform_run(&p, known, r) != 0)
		fatal("conform");
	need = pr->o->json ? conform_format_json(r, NULL, 0) : conform_format(r, NULL, 0);
	if ((table = malloc(need + 1)) == NULL)
		fatal("malloc");
	if (pr->o->json)
		conform_format_json(r, table, need + 1);
	else
		conform_format(r, table, need + 1);
	if (pr->o->json)
		report_json(pr, table);
	else
		report_text(pr, r, table);
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
