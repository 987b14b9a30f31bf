/* probe_rawsearch.c -- the probe's searches that need raw sockets written out: what a RST does (timeout.close, probe_rst.c), the opening timer (timeout.opening, probe_open.c) and the refresh by pure ACKs (probe_ackkeep.c; its profile line is probe_keep.c's), into the profile, the text report and the JSON one. */
#include <stdio.h>

#include "conform.h"
#include "policy.h"
#include "probe_cli_int.h"
#include "strbuf.h"

#define MS	1000000ULL

struct rawsearch {
	const struct infer *s;
	const char *why;	/* not measured: why, or "" */
	const char *key, *json, *label;	/* profile key, JSON name, report label */
	const char *how;	/* what a flow did, for the profile's comment */
	const char *never;	/* what no flow lost means */
	const char *at_once;	/* a death within the first step */
	unsigned aspect;	/* CA_* */
};

static unsigned
searches(const struct prober *pr, struct rawsearch *r)
{
	r[0] = (struct rawsearch){ &pr->rsth, pr->rsth_why, "timeout.close", "rst_hold",
	    "after a RST", "a byte d after a RST the server's stack ignored",
	    "the state is held longer, the device ignores RSTs that are not the exact one "
	    "(Linux waits for the challenge ACK), or it picks up flows (unknown.action = pickup)",
	    "the RST ends the flow at once", CA_TCP_RST };
	r[1] = (struct rawsearch){ &pr->open, pr->open_why, "timeout.opening", "tcp_opening",
	    "opening (SYN_SENT)", "a SYN/ACK d after a SYN the server's stack ignored",
	    "the half-open state is held longer, or the device lets a SYN/ACK of no flow through",
	    "a SYN/ACK must come at once", CA_TCP_OPENING };
	return 2;
}

/* The figure and its interval, or why there is none: 0 if measured. */
static int
figure(const struct rawsearch *r, struct infer_est *e)
{
	infer_estimate(r->s, e);
	return r->why[0] == '\0' && e->total > 0 ? 0 : -1;
}

void
probe_rawsearch_profile(const struct prober *pr, struct strbuf *sb, uint32_t *known)
{
	struct rawsearch rs[2];
	struct infer_est e;
	char a[32], b[32], v[32];

	for (unsigned i = 0, n = searches(pr, rs); i < n; i++) {
		const struct rawsearch *r = &rs[i];

		if (figure(r, &e) < 0) {
			sb_printf(sb, "# %s (%s) not measured: %s\n", r->key, r->label,
			    r->why[0] ? r->why : "skipped");
			continue;
		}
		if (e.hi == INFER_NEVER) {
			sb_printf(sb, "# %s: no flow lost up to %llums (%u flows, %s): %s\n", r->key,
			    (unsigned long long)e.lo, e.total, r->how, r->never);
			continue;
		}
		policy_format_duration(e.lo * MS, a, sizeof(a));
		policy_format_duration(e.hi * MS, b, sizeof(b));
		policy_format_duration((e.lo + e.hi) / 2 * MS, v, sizeof(v));
		sb_printf(sb, "%s = %s\t# %s: %s < T <= %s, %u of %u flows agreed (%s)%s%s\n",
		    r->key, v, r->label, a, b, e.agreed, e.total, r->how, e.lo == 0 ? "; " : "",
		    e.lo == 0 ? r->at_once : "");
		*known |= 1u << r->aspect;
	}
}

void
probe_rawsearch_text(const struct prober *pr)
{
	struct rawsearch rs[2];
	struct infer_est e;

	for (unsigned i = 0, n = searches(pr, rs); i < n; i++) {
		const struct rawsearch *r = &rs[i];

		if (figure(r, &e) < 0)
			printf("  %-22s not measured: %s\n", r->label, r->why[0] ? r->why : "skipped");
		else if (e.hi == INFER_NEVER)
			printf("  %-22s held over %llums (%u flows)\n", r->label,
			    (unsigned long long)e.lo, e.total);
		else
			printf("  %-22s %llums < T <= %llums, %u of %u flows agreed\n", r->label,
			    (unsigned long long)e.lo, (unsigned long long)e.hi, e.agreed, e.total);
	}
	if (pr->akeep.kept[0] + pr->akeep.lost[0] == 0)
		printf("  %-22s not measured: %s\n", "pure ACKs keep (TCP)",
		    pr->akeep.why[0] ? pr->akeep.why : "skipped");
	else
		printf("  %-22s the client's kept %u of %u flows, the server's %u of %u\n",
		    "pure ACKs keep (TCP)", pr->akeep.kept[0], pr->akeep.kept[0] + pr->akeep.lost[0],
		    pr->akeep.kept[1], pr->akeep.kept[1] + pr->akeep.lost[1]);
}

void
probe_rawsearch_json(const struct prober *pr)
{
	struct rawsearch rs[2];
	struct infer_est e;

	for (unsigned i = 0, n = searches(pr, rs); i < n; i++) {
		const struct rawsearch *r = &rs[i];

		if (figure(r, &e) < 0)
			printf("\"%s\":null,", r->json);
		else if (e.hi == INFER_NEVER)
			printf("\"%s\":{\"over\":%.3f,\"flows\":%u},", r->json, (double)e.lo / 1e3,
			    e.total);
		else
			printf("\"%s\":{\"seconds\":%.3f,\"lo\":%.3f,\"hi\":%.3f,\"agreed\":%u,"
			    "\"flows\":%u},", r->json, (double)(e.lo + e.hi) / 2e3,
			    (double)e.lo / 1e3, (double)e.hi / 1e3, e.agreed, e.total);
	}
	if (pr->akeep.kept[0] + pr->akeep.lost[0] == 0)
		printf("\"tcp_pure_acks\":null,");
	else
		printf("\"tcp_pure_acks\":{\"client_kept\":%u,\"client_flows\":%u,"
		    "\"server_kept\":%u,\"server_flows\":%u},", pr->akeep.kept[0],
		    pr->akeep.kept[0] + pr->akeep.lost[0], pr->akeep.kept[1],
		    pr->akeep.kept[1] + pr->akeep.lost[1]);
}
