/* report_nat.c -- a translating profile on a capture taken on the inside: the external endpoint each flow would have had, and when it moved to another. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldw.h"
#include "nat.h"
#include "report_pass.h"

/* The NAT's own end of a translated flow: its source for an outbound flow,
 * its destination for one that came in through a mapping (a hairpinned
 * flow has both: its source). */
static void
nat_end(const struct rprof *p, const struct event *ev, struct rnat *n)
{
	if (nat_pool_index(&p->pol->nat, ev->nat_src) >= 0) {
		n->addr = ev->nat_src;
		n->port = ev->nat_sport;
	} else {
		n->addr = ev->nat_dst;
		n->port = ev->nat_dport;
	}
}

static void
nat_grow(struct rprof *p, uint32_t id)
{
	uint32_t n = p->natcap;

	if (id < n)
		return;
	while (n <= id)
		n = n ? n * 2 : 1024;
	p->nat = report_xrealloc(p->nat, n, sizeof(*p->nat));
	memset(p->nat + p->natcap, 0, (n - p->natcap) * sizeof(*p->nat));
	p->natcap = n;
}

void
prof_nat_event(struct rprof *p, uint32_t id, const struct event *ev)
{
	struct rremap *m;
	struct rnat n;

	if (!ev->nat || id == RFLOW_NONE)
		return;
	nat_grow(p, id);
	nat_end(p, ev, &n);
	if (p->nat[id].addr == 0) {
		p->nat[id] = n;
		return;
	}
	if (p->nremaps == p->remapcap) {
		p->remapcap = p->remapcap ? p->remapcap * 2 : 64;
		p->remaps = report_xrealloc(p->remaps, p->remapcap, sizeof(*p->remaps));
	}
	m = &p->remaps[p->nremaps++];
	memset(m, 0, sizeof(*m));
	m->ts = ev->ts;
	m->flow = id;
	m->addr = n.addr;
	m->port = n.port;
	m->why = ev->type == EV_UPDATE ? RMAP_REBIND : RMAP_PICKUP;
}

/* A counting sort by flow: stable, so each flow's re-maps stay in time
 * order. */
void
prof_nat_totals(struct rprof *p, uint32_t nflows)
{
	struct rremap *sorted;
	uint32_t *at;

	if (p->nat == NULL)
		return;
	for (uint32_t i = 0; i < nflows && i < p->natcap; i++)
		if (p->nat[i].addr)
			p->translated++;
	p->remap_flows = nflows;
	p->remap_of = report_xrealloc(NULL, (size_t)nflows + 1, sizeof(*p->remap_of));
	memset(p->remap_of, 0, ((size_t)nflows + 1) * sizeof(*p->remap_of));
	for (uint32_t k = 0; k < p->nremaps; k++)
		if (p->remaps[k].flow < nflows)
			p->remap_of[p->remaps[k].flow + 1]++;
	for (uint32_t i = 0; i < nflows; i++) {
		if (p->remap_of[i + 1])
			p->remapped++;
		p->remap_of[i + 1] += p->remap_of[i];
	}
	if (p->nremaps == 0)
		return;
	sorted = report_xrealloc(NULL, p->nremaps, sizeof(*sorted));
	at = report_xrealloc(NULL, nflows, sizeof(*at));
	memcpy(at, p->remap_of, (size_t)nflows * sizeof(*at));
	for (uint32_t k = 0; k < p->nremaps; k++)
		if (p->remaps[k].flow < nflows)
			sorted[at[p->remaps[k].flow]++] = p->remaps[k];
	free(at);
	free(p->remaps);
	p->remaps = sorted;
	p->nremaps = p->remap_of[nflows];
}

void
prof_nat_free(struct rprof *p)
{
	free(p->nat);
	free(p->remaps);
	free(p->remap_of);
}

const struct rnat *
report_nat(const struct rprof *p, uint32_t i)
{
	if (i >= p->natcap || p->nat[i].addr == 0)
		return NULL;
	return &p->nat[i];
}

const struct rremap *
report_remaps(const struct rprof *p, uint32_t i, unsigned *n)
{
	*n = 0;
	if (p->remap_of == NULL || i >= p->remap_flows)
		return NULL;
	*n = p->remap_of[i + 1] - p->remap_of[i];
	return *n ? &p->remaps[p->remap_of[i]] : NULL;
}

void
report_nat_endpoint(const struct rnat *n, char *buf, size_t cap)
{
	if (n == NULL || n->addr == 0) {
		snprintf(buf, cap, "-");
		return;
	}
	snprintf(buf, cap, "%u.%u.%u.%u:%u", n->addr >> 24, n->addr >> 16 & 0xff,
	    n->addr >> 8 & 0xff, n->addr & 0xff, n->port);
}

const char *
report_remap_why(unsigned why)
{
	return why == RMAP_REBIND ? "rebind" : "pickup";
}

void
report_nat_json(struct fieldw *w, const struct rprof *p, uint32_t i)
{
	const struct rnat *n = report_nat(p, i);
	const struct rremap *m;
	unsigned k, nm;
	char ep[32];

	report_nat_endpoint(n, ep, sizeof(ep));
	fw_str(w, "outside", NULL, n ? ep : NULL);
	m = report_remaps(p, i, &nm);
	fw_arr_open(w, "remaps");
	for (k = 0; k < nm; k++) {
		struct rnat to = { m[k].addr, m[k].port };

		report_nat_endpoint(&to, ep, sizeof(ep));
		fw_obj_open(w, NULL);
		fw_secs(w, "at", NULL, m[k].ts);
		fw_str(w, "outside", NULL, ep);
		fw_str(w, "why", NULL, report_remap_why(m[k].why));
		fw_obj_close(w);
	}
	fw_arr_close(w);
}
