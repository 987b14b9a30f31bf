/* probe_closeout.c -- the closing timers on fully raw flows (probe_close.c) written out: half_closed.start when a FIN never acked and one acked tell it, timeout.fin_wait and close_wait apart when they differ, last_ack, time_wait, and syn_recv when it differs from the opening timer; into the profile, the text report and the JSON one. */
#include <stdio.h>

#include "policy.h"
#include "probe_cli_int.h"
#include "strbuf.h"

#define MS	1000000ULL

static const struct {
	const char *label, *key, *json;
} kinds[CL__MAX] = {
	[CL_FIN_WAIT] = { "one FIN, never acked", "timeout.fin_wait", "tcp_fin_wait" },
	[CL_CLOSE_WAIT] = { "one FIN, acked", "timeout.close_wait", "tcp_close_wait" },
	[CL_LAST_ACK] = { "both FINs, last unacked", "timeout.last_ack", "tcp_last_ack" },
	[CL_TIME_WAIT] = { "both FINs, acked", "timeout.time_wait", "tcp_time_wait" },
	[CL_SYN_RECV] = { "SYN/ACK, never acked", "timeout.syn_recv", "tcp_syn_recv" },
};

/* A search's figure and interval: 0 if measured (a timer within
 * max-wait), 1 if no flow died (over), -1 if not measured. */
static int
close_est(const struct prober *pr, unsigned k, struct infer_est *e)
{
	infer_estimate(&pr->close[k], e);
	if (pr->close_why[0] != '\0' || e->total == 0)
		return -1;
	return e->hi == INFER_NEVER;
}

enum infer_hc
probe_close_start(const struct prober *pr)
{
	struct infer_est est, fw, cw;

	if (close_est(pr, CL_FIN_WAIT, &fw) < 0 || close_est(pr, CL_CLOSE_WAIT, &cw) < 0)
		return INFER_HC_UNKNOWN;
	infer_estimate(&pr->m[M_TCP_EST].s, &est);
	return infer_close_start(&est, &fw, &cw, pr->o->resolution / MS);
}

/* Whether kind k's figure goes into the profile: FIN_WAIT and
 * CLOSE_WAIT only when they differ (else timeout.half_closed holds
 * them), SYN_RECV only when it differs from the opening timer. */
static bool
close_written(const struct prober *pr, unsigned k, enum infer_hc start)
{
	struct infer_est a, b;

	if (k == CL_FIN_WAIT || k == CL_CLOSE_WAIT) {
		if (start != INFER_HC_AT_FIN || close_est(pr, CL_FIN_WAIT, &a) != 0 ||
		    close_est(pr, CL_CLOSE_WAIT, &b) != 0)
			return false;
		return !infer_same_timer(&a, &b, pr->o->resolution / MS);
	}
	if (k == CL_SYN_RECV) {
		infer_estimate(&pr->open, &b);
		return close_est(pr, k, &a) == 0 && (b.total == 0 || pr->open_why[0] != '\0' ||
		    !infer_same_timer(&a, &b, pr->o->resolution / MS));
	}
	return true;
}

static const char *const start_name[] = {
	[INFER_HC_UNKNOWN] = "unknown", [INFER_HC_AT_FIN] = "first_fin",
	[INFER_HC_BOTH_FINS] = "both_fins", [INFER_HC_FIN_ACKED] = "fin_acked",
};

void
probe_close_profile(const struct prober *pr, struct strbuf *sb)
{
	enum infer_hc start = probe_close_start(pr);
	struct infer_est e;
	char a[32], b[32], v[32];

	if (pr->close_why[0] != '\0' || pr->o->translation_only) {
		sb_printf(sb, "# closing timers (fin_wait, close_wait, last_ack, time_wait, syn_recv) "
		    "not measured: %s\n", pr->close_why[0] ? pr->close_why : "skipped");
		return;
	}
	if (start != INFER_HC_UNKNOWN)
		sb_printf(sb, "half_closed.start = %s\t# raw flows: a FIN never acked and one "
		    "acked, set against the established timer\n", start_name[start]);
	for (unsigned k = 0; k < CL__MAX; k++) {
		int r = close_est(pr, k, &e);

		if (r < 0)
			continue;
		if (r > 0) {
			sb_printf(sb, "# %s: no flow lost up to %llums (%u raw flows, %s)\n",
			    kinds[k].key, (unsigned long long)e.lo, e.total, kinds[k].label);
			continue;
		}
		policy_format_duration(e.lo * MS, a, sizeof(a));
		policy_format_duration(e.hi * MS, b, sizeof(b));
		policy_format_duration((e.lo + e.hi) / 2 * MS, v, sizeof(v));
		sb_printf(sb, "%s%s = %s\t# %s: %s < T <= %s, %u of %u raw flows agreed%s\n",
		    close_written(pr, k, start) ? "" : "# ", kinds[k].key, v, kinds[k].label, a, b,
		    e.agreed, e.total, close_written(pr, k, start) ? "" :
		    k == CL_SYN_RECV ? " (as the opening timer)" : " (timeout.half_closed holds it)");
	}
}

void
probe_close_text(const struct prober *pr)
{
	struct infer_est e;

	if (pr->close_why[0] != '\0') {
		printf("  %-22s not measured: %s\n", "closing timers", pr->close_why);
		return;
	}
	for (unsigned k = 0; k < CL__MAX; k++) {
		int r = close_est(pr, k, &e);

		if (r < 0)
			printf("  %-22s not measured\n", kinds[k].key + 8);
		else if (r > 0)
			printf("  %-22s held over %llums (%u flows: %s)\n", kinds[k].key + 8,
			    (unsigned long long)e.lo, e.total, kinds[k].label);
		else
			printf("  %-22s %llums < T <= %llums, %u of %u flows agreed (%s)\n",
			    kinds[k].key + 8, (unsigned long long)e.lo, (unsigned long long)e.hi,
			    e.agreed, e.total, kinds[k].label);
	}
	if (probe_close_start(pr) != INFER_HC_UNKNOWN)
		printf("  %-22s %s (raw flows)\n", "half-closed start",
		    start_name[probe_close_start(pr)]);
}

void
probe_close_json(const struct prober *pr)
{
	struct infer_est e;

	/* the why holds no quote nor backslash */
	if (pr->close_why[0] != '\0')
		printf("\"closing\":{\"why\":\"%s\"", pr->close_why);
	else
		printf("\"closing\":{\"why\":null");
	printf(",\"half_closed_start\":\"%s\"", start_name[probe_close_start(pr)]);
	for (unsigned k = 0; k < CL__MAX; k++) {
		int r = close_est(pr, k, &e);

		if (r < 0)
			printf(",\"%s\":null", kinds[k].json);
		else if (r > 0)
			printf(",\"%s\":{\"over\":%.3f,\"flows\":%u}", kinds[k].json,
			    (double)e.lo / 1e3, e.total);
		else
			printf(",\"%s\":{\"seconds\":%.3f,\"lo\":%.3f,\"hi\":%.3f,\"agreed\":%u,"
			    "\"flows\":%u}", kinds[k].json, (double)(e.lo + e.hi) / 2e3,
			    (double)e.lo / 1e3, (double)e.hi / 1e3, e.agreed, e.total);
	}
	printf("},");
}
