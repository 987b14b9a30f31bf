/* report_shadow_life.c -- a profile's shadow set up, ended and freed (its packet path is report_shadow.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "report_pass.h"
#include "report_shadow.h"
#include "report_trace.h"

/* A profile's tracker does what the reference's does when their knobs
 * agree (without window tracking the kernel's sysctls change nothing). */
static bool
tcp_conf_same(const struct tcp_conf *c, const struct policy *ref)
{
	struct tcp_conf r = policy_tcp_conf(ref);

	if (c->window != r.window)
		return false;
	return !c->window || (c->liberal == r.liberal &&
	    c->ignore_invalid_rst == r.ignore_invalid_rst && c->max_retrans == r.max_retrans);
}

/* The end: what the engine would have reaped before the last packet,
 * shadows included, and the packets the shadow took (for st). */
void
shadow_end(struct pass *ps, struct rprof *p, uint64_t last)
{
	struct shprof *s = p->sh;
	uint64_t expired = 0;

	if (s->aborted)
		return;
	engine_expire(p->e, last, UINT_MAX);
	for (uint32_t slot = 0; slot < s->rows; slot++) {
		uint64_t tdl = s->row[slot];

		if ((tdl & SHTIMER_SET) && shtimer_due(tdl, last) &&
		    engine_flow_at(ps->ref, slot) != NULL)
			expired++;
	}
	p->sh_pkts = s->pkts;
	p->sh_icmp_errors = s->icmp_errors;
	p->sh_expired = expired;
}

void
shadow_setup(struct pass *ps)
{
	struct report *r = ps->r;
	unsigned n = 0;

	for (unsigned i = 0; i < r->nprof; i++) {
		struct rprof *p = &r->prof[i];
		struct shprof *s;
		int rc;

		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatal("calloc");
		if ((rc = shtimer_init(&s->tm, p->pol)) > 0) {
			free(s);
			continue;
		}
		if (rc < 0 || (s->row = calloc(r->ref_max_flows, sizeof(*s->row))) == NULL)
			fatal("calloc");
		report_hugepages(s->row, (size_t)r->ref_max_flows * sizeof(*s->row));
		s->p = p;
		s->pol = p->pol;
		s->tc = policy_tcp_conf(p->pol);
		s->own = !tcp_conf_same(&s->tc, &r->ref_pol);
		if (s->own) {
			s->orow = aligned_alloc(64, (size_t)r->ref_max_flows * sizeof(*s->orow));
			if (s->orow == NULL)
				fatal("aligned_alloc");
			report_hugepages(s->orow, (size_t)r->ref_max_flows * sizeof(*s->orow));
		}
		s->rows = r->ref_max_flows;
		p->sh = s;
		n++;
	}
	if (n > 0)
		trace_setup(ps);
}

void
shadow_free(struct pass *ps)
{
	struct report *r = ps->r;

	for (unsigned i = 0; r && i < r->nprof; i++) {
		struct rprof *p = &r->prof[i];
		struct shprof *s = p->sh;

		if (s == NULL)
			continue;
		if (getenv("NATBOX_SHADOW_DEBUG"))
			fprintf(stderr, "shadow %s: %s, %llu packets in the shadow, %llu in the engine "
			    "(%llu refused without a lookup)\n",
			    p->label, s->aborted ? "gave up" : "ok",
			    (unsigned long long)s->pkts,
			    (unsigned long long)engine_stats(p->e)->packets,
			    (unsigned long long)s->no_flow);
		if (s->aborted)
			p->shadow_failed = true;
		shtimer_free(&s->tm);
		free(s->row);
		free(s->orow);
		free(s);
		p->sh = NULL;
	}
	trace_free(ps);
}
