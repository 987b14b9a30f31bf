/* probe_keep.c -- refresh by direction: which packets keep a flow's timer running. Once a timer is pinned (T), a few flows are kept alive by one kind of packet every T/4 for 2 T, then left idle for a gap before the probe.
 *
 * TCP established: the client sends a byte the server echoes (data both
 * ways: any direction refreshing keeps the flow; which direction alone
 * does needs one-way segments, pure ACKs from raw sockets: probe_ackkeep.c,
 * whose verdict, when it has one, is the one written). The gap is T/4.
 * UDP (replied, streaming flows): only the client sends (orig), or only
 * the server sends into the mapping (reply). The client's datagram into a
 * dead flow makes a new one, unreplied, which the server's probe would
 * find alive; so the gap lies between the unreplied timer and the replied
 * one, where the new flow is dead and the first still alive ("told"). The
 * server's datagrams into a dead flow make nothing: the replied search
 * found its timer only because they do not.
 */
#include <stdio.h>

#include "conform.h"
#include "probe_cli_int.h"
#include "strbuf.h"

#define MS	1000000ULL
#define KEEP_FLOWS	3

static const char *const refresh_names[] = { "none", "orig", "reply", "any" };

/* KEEP_FLOWS flows of kind k: kept alive every T/4 for 2 T, then gap ms. */
static unsigned
keep_flows(struct prober *pr, struct pflow *fl, unsigned n, unsigned k, uint64_t t,
    uint64_t gap, bool told, uint64_t *longest)
{
	struct keepset *ks = &pr->keep[k - M_TCP_EKEEP];

	ks->planned = true;
	ks->told = told;
	ks->t = t;
	ks->gap = gap;
	for (unsigned i = 0; i < KEEP_FLOWS && n < PROBE_ROUND_MAX; i++)
		fl[n++] = (struct pflow){ .id = pr->next_id++, .kind = (uint8_t)k,
		    .idle = (2 * t + gap) * MS, .keep = t * MS / 4, .keep_span = 2 * t * MS,
		    .gap = gap * MS,
		    .fd = -1, .phase = PH_IDLE };
	*longest = 2 * t + gap > *longest ? 2 * t + gap : *longest;
	return n;
}

/* The keep sets whose timer is pinned and not yet planned. */
unsigned
probe_plan_keep(struct prober *pr, struct pflow *fl, unsigned n, uint64_t *longest)
{
	struct infer_est e, r, u;
	uint64_t res = pr->o->resolution / MS;

	infer_estimate(&pr->m[M_TCP_EST].s, &e);
	if (!pr->keep[KEEP_TCP].planned && e.done && e.total > 0 && e.hi != INFER_NEVER)
		n = keep_flows(pr, fl, n, M_TCP_EKEEP, e.hi, e.lo / 4, true, longest);
	infer_estimate(&pr->m[M_UDP_REP].s, &r);
	infer_estimate(&pr->m[M_UDP_UNREP].s, &u);
	if (pr->keep[KEEP_UDP_ORIG].planned || !r.done || !u.done || r.total == 0 ||
	    r.hi == INFER_NEVER)
		return n;
	bool told = u.total > 0 && u.hi != INFER_NEVER && u.hi + 2 * res < r.lo;
	uint64_t gap = told ? (u.hi + r.lo) / 2 : r.lo / 2;

	n = keep_flows(pr, fl, n, M_UDP_KORIG, r.hi, gap, told, longest);
	return keep_flows(pr, fl, n, M_UDP_KREPLY, r.hi, gap, true, longest);
}

/* A set's majority: 1 kept alive, 0 not, -1 not measured (or a life
 * that a flow made again would explain too). */
int
probe_keep_verdict(const struct prober *pr, unsigned set)
{
	const struct keepset *ks = &pr->keep[set];

	if (ks->kept + ks->lost == 0)
		return -1;
	if (ks->kept > ks->lost)
		return ks->told ? 1 : -1;
	return 0;
}

/* refresh.udp as a value (none orig reply any), or NULL. */
static const char *
udp_refresh(const struct prober *pr)
{
	int o = probe_keep_verdict(pr, KEEP_UDP_ORIG), r = probe_keep_verdict(pr, KEEP_UDP_REPLY);

	if (o < 0 || r < 0)
		return NULL;
	return refresh_names[o + 2 * r];
}

/* refresh.established from one direction's pure ACKs (probe_ackkeep.c),
 * or NULL: not measured, or they kept nothing (a device that takes only
 * data as a refresh: the echoed byte's set says then). */
static const char *
tcp_refresh_acks(const struct prober *pr)
{
	int v = infer_refresh_dir(pr->akeep.kept, pr->akeep.lost);

	/* refresh_names[] is in the order of the bits */
	return v > 0 ? refresh_names[v] : NULL;
}

const char *
probe_keep_json(const struct prober *pr, unsigned set)
{
	const char *a = tcp_refresh_acks(pr);
	int v;

	if (set == KEEP_UDP_ORIG)
		return udp_refresh(pr);
	if (a != NULL)
		return a;
	v = probe_keep_verdict(pr, KEEP_TCP);
	return v < 0 ? NULL : v ? "any" : "none";
}

/* refresh.established, by direction when pure ACKs told it. */
static void
tcp_refresh_profile(const struct prober *pr, struct strbuf *sb)
{
	const struct keepset *t = &pr->keep[KEEP_TCP];
	const char *a = tcp_refresh_acks(pr);

	if (a != NULL) {
		sb_printf(sb, "refresh.established = %s\t# flows kept 2 T (T %llums) by pure ACKs "
		    "every T/4, then %llums idle: the client's kept %u of %u, the server's %u of "
		    "%u; a byte echoed kept %u of %u\n", a, (unsigned long long)pr->akeep.t,
		    (unsigned long long)pr->akeep.gap, pr->akeep.kept[0],
		    pr->akeep.kept[0] + pr->akeep.lost[0], pr->akeep.kept[1],
		    pr->akeep.kept[1] + pr->akeep.lost[1], t->kept, t->kept + t->lost);
		return;
	}
	if (t->kept + t->lost > 0)
		sb_printf(sb, "refresh.established = %s\t# %u of %u flows the client sent a byte "
		    "into (echoed) every T/4 lived 2 T (T %llums): %s\n",
		    t->kept > t->lost ? "any" : "none", t->kept, t->kept + t->lost,
		    (unsigned long long)t->t, t->kept > t->lost ?
		    "data both ways refreshes; one direction alone not told apart" : "absolute");
	if (pr->akeep.kept[0] + pr->akeep.lost[0] > 0)
		sb_printf(sb, "# pure ACKs alone kept no flow (the client's %u of %u, the "
		    "server's %u of %u): only data refreshes\n", pr->akeep.kept[0],
		    pr->akeep.kept[0] + pr->akeep.lost[0], pr->akeep.kept[1],
		    pr->akeep.kept[1] + pr->akeep.lost[1]);
	else if (t->kept + t->lost > 0)
		sb_printf(sb, "# refresh by one direction (pure ACKs) not measured: %s\n",
		    pr->akeep.why[0] ? pr->akeep.why : "skipped");
}

/* The refresh rules measured, into the profile. */
void
probe_keep_profile(const struct prober *pr, struct strbuf *sb, uint32_t *known)
{
	const struct keepset *o = &pr->keep[KEEP_UDP_ORIG], *r = &pr->keep[KEEP_UDP_REPLY];
	const char *u = udp_refresh(pr);

	tcp_refresh_profile(pr, sb);
	if (o->kept + o->lost == 0 || r->kept + r->lost == 0)
		return;
	if (u != NULL) {
		sb_printf(sb, "refresh.udp = %s\t# replied flows kept 2 T (T %llums) by the "
		    "client's datagrams every T/4: %u of %u lived, by the server's: %u of %u; "
		    "then %llums idle (a flow made again, unreplied, is dead by then)\n", u,
		    (unsigned long long)o->t, o->kept, o->kept + o->lost, r->kept,
		    r->kept + r->lost, (unsigned long long)o->gap);
		*known |= 1u << CA_UDP_REFRESH;
	} else
		sb_printf(sb, "# refresh.udp not told apart: the client's datagrams kept %u of "
		    "%u flows, but the unreplied timer is not shorter than the replied one, so "
		    "a flow they made again would live as well; the server's kept %u of %u\n",
		    o->kept, o->kept + o->lost, r->kept, r->kept + r->lost);
}
