/* report_judge.c -- each profile's judgement: its engine's verdicts and events on the capture's flows (broken where, lost when, what dropped), and its totals. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pcapin.h"
#include "report_pass.h"

static inline uint64_t
pend_pack(uint64_t ts, uint16_t reason)
{
	return (ts / 1000 + 1) << 16 | reason;
}

static inline uint64_t
pend_ts(uint64_t pe)
{
	return ((pe >> 16) - 1) * 1000;
}

static void
prof_grow(struct rprof *p, uint32_t id)
{
	uint32_t n = p->ncap;

	if (id < n)
		return;
	while (n <= id)
		n = n ? n * 2 : 4096;
	p->hit_of = report_xrealloc(p->hit_of, n, sizeof(*p->hit_of));
	p->pend = report_xrealloc(p->pend, n, sizeof(*p->pend));
	memset(p->hit_of + p->ncap, 0, (n - p->ncap) * sizeof(*p->hit_of));
	memset(p->pend + p->ncap, 0, (n - p->ncap) * sizeof(*p->pend));
	p->ncap = n;
}

static struct rhit *
prof_hit(struct rprof *p, uint32_t id)
{
	struct rhit *h;

	if (p->hit_of[id])
		return &p->hits[p->hit_of[id] - 1];
	if (p->nhits == p->hcap) {
		p->hcap = p->hcap ? p->hcap * 2 : 256;
		p->hits = report_xrealloc(p->hits, p->hcap, sizeof(*p->hits));
	}
	h = &p->hits[p->nhits++];
	memset(h, 0, sizeof(*h));
	h->broken_at = h->lost_at = T_NONE;
	p->hit_of[id] = p->nhits;
	return h;
}

const struct rhit *
report_hit(const struct rprof *p, uint32_t i)
{
	if (i >= p->ncap || p->hit_of[i] == 0)
		return NULL;
	return &p->hits[p->hit_of[i] - 1];
}

/* The state of a flow ended while it may still have traffic to come:
 * remembered until its next packet shows whether that mattered. */
static void
prof_state_lost(struct rprof *p, uint32_t engine_idx, uint64_t ts, uint16_t reason)
{
	uint32_t id;

	if (engine_idx >= p->mapcap || (id = p->map[engine_idx]) == RFLOW_NONE)
		return;
	prof_grow(p, id);
	if (p->pend[id] == 0)
		p->pend[id] = pend_pack(ts, reason);
}

static void
prof_event(void *ctx, const struct event *ev)
{
	struct rprof *p = ctx;
	bool tl = p->timeline;
	uint32_t id;

	if (p->evb)
		evbuf_put(p->evb, ev);
	if (ev->flow >= p->mapcap)
		return;
	switch (ev->type) {
	case EV_NEW:
		p->new_tag = ev->tag;
		id = ev->tag != EV_TAG_NONE ? p->chunk->pk[ev->tag].flow : RFLOW_NONE;
		p->map[ev->flow] = id;
		if (ev->nat)
			prof_nat_event(p, id, ev);
		if (tl && id != RFLOW_NONE)
			report_mark_add(&p->marks, id, ev->ts, ev->state);
		break;
	case EV_UPDATE:
		if (ev->reason == R_NAT_REBIND)
			prof_nat_event(p, p->map[ev->flow], ev);
		if (tl && (id = p->map[ev->flow]) != RFLOW_NONE)
			report_mark_add(&p->marks, id, ev->ts, ev->state);
		break;
	case EV_EXPIRE:
		prof_state_lost(p, ev->flow, ev->ts, ev->reason);
		break;
	case EV_END:
		if (ev->reason == R_END_EVICTED)
			prof_state_lost(p, ev->flow, ev->ts, R_END_EVICTED);
		if (tl && ev->reason != R_END_FLUSH && (id = p->map[ev->flow]) != RFLOW_NONE)
			report_mark_add(&p->marks, id, ev->ts, RSTATE_GONE);
		break;
	default:
		break;
	}
}

/* A TCP timer's expiry: the only ones expire.action = reset sends RSTs
 * for (engine.c flow_expire(); a datagram flow just ends). */
static bool
is_tcp_expiry(uint16_t reason)
{
	return reason >= R_EXPIRED_OPENING && reason <= R_EXPIRED_CLOSED;
}

/* A profile's verdict on one packet of the chunk in hand. */
void
report_prof_verdict(void *ctx, const struct engine_tpkt *tp, const struct verdict *vp)
{
	struct rprof *p = ctx;
	const struct chunk *c = p->chunk;
	const struct rpkt *pk = &c->pk[tp->tag];
	const struct verdict v = *vp;
	struct rhit *h;
	uint64_t pe;
	uint32_t id = pk->flow;

	if (v.action != V_ACCEPT && p->dump)
		pcapout_write(p->dump, c->data + pk->off, pk->caplen, pk->wirelen, pk->abs);
	if (id == RFLOW_NONE) {
		if (v.action != V_ACCEPT)
			p->stray_drops++;
		return;
	}
	if (v.flow != FLOW_NIL && v.flow < p->mapcap)
		p->map[v.flow] = id;
	/* Accepted on a flow the engine already had: nothing to record, and
	 * no expiry can be pending for it. One is set when the engine lets
	 * go of the flow's state, and the flow's next packet then meets the
	 * tombstone (dropped), starts a flow (EV_NEW) or is let through
	 * untracked (no flow): only those look it up. Most packets end
	 * here, sparing a cache miss each. */
	if (v.action == V_ACCEPT && v.flow != FLOW_NIL && p->new_tag != tp->tag)
		return;
	p->new_tag = EV_TAG_NONE;
	prof_grow(p, id);
	pe = p->pend[id];
	if (pe != 0) {
		/* Traffic after the profile let go of the flow. */
		h = prof_hit(p, id);
		if (h->lost_at == T_NONE) {
			h->lost_at = pend_ts(pe);
			h->lost_reason = (uint16_t)(pe & 0xffff);
		}
		/* RSTs sent to both ends at expiry killed it there. */
		if (p->pol->expire_action == EXPIRE_RESET && is_tcp_expiry((uint16_t)pe) &&
		    h->broken_at == T_NONE) {
			h->broken_at = pend_ts(pe);
			h->reason = (uint16_t)(pe & 0xffff);
		}
		p->pend[id] = 0;
	}
	if (v.action == V_ACCEPT)
		return;
	h = prof_hit(p, id);
	if (h->drop_pkts == 0)
		h->drop_reason = v.reason;
	if (h->broken_at == T_NONE) {
		h->broken_at = pk->ts;
		h->reason = pe != 0 ? (uint16_t)(pe & 0xffff) : v.reason;
	}
	h->drop_pkts++;
	h->drop_bytes += v.ip_len;
}

int
prof_setup(struct pass *ps, struct rprof *p, unsigned i, const uint64_t seed[2])
{
	const struct report_opts *o = ps->o;
	struct engine_ops ops = { prof_event, NULL, p };
	char err[512];

	p->pol = o->pols[i];
	snprintf(p->label, sizeof(p->label), "%s", o->labels ? o->labels[i] : p->pol->name);
	/* A table larger than the flows the file can hold only costs memory
	 * and the time to set it up (a profile may ask for millions): a
	 * smaller one behaves the same as long as it never fills. Not with
	 * adaptive timeouts, which scale with the table size. */
	if (p->pol->adaptive_start == 0 && flows_bound(o->capture) < p->pol->max_flows) {
		p->polcopy = *p->pol;
		p->polcopy.max_flows = (uint32_t)flows_bound(o->capture);
		if (p->polcopy.max_flows < 64)
			p->polcopy.max_flows = 64;
		p->pol = &p->polcopy;
	}
	p->first_break = T_NONE;
	p->new_tag = EV_TAG_NONE;
	p->mapcap = p->pol->max_flows;
	p->map = report_xrealloc(NULL, p->mapcap, sizeof(*p->map));
	memset(p->map, 0xff, (size_t)p->mapcap * sizeof(*p->map));
	p->timeline = o->timeline;
	if ((p->e = engine_new_lazy(p->pol, &ops, seed, 0, true)) == NULL) {
		log_warnx("profile %s: cannot allocate its flow table (%u flows)",
		    p->label, p->pol->max_flows);
		return -1;
	}
	if (i == 0 && o->events && (p->evb = evbuf_new(o->events)) == NULL)
		fatal("evbuf_new");
	/* Without an event stream prof_event() reads only these: the
	 * engine need not build a drop's events, nor updates without a
	 * timeline or translation (a rebind is an update). */
	if (p->evb == NULL)
		engine_set_event_mask(p->e, 1u << EV_NEW | 1u << EV_EXPIRE | 1u << EV_END |
		    (p->timeline || nat_on(&p->pol->nat) ? 1u << EV_UPDATE : 0));
	if (i == 0 && o->write_dropped) {
		p->dump = pcapout_open(ps->in, o->write_dropped, err, sizeof(err));
		if (p->dump == NULL) {
			log_warnx("%s: %s", o->write_dropped, err);
			return -1;
		}
	}
	return 0;
}

void
prof_totals(struct rprof *p, const struct report *r)
{
	p->st = *engine_stats(p->e);
	/* a shadow's packets were accepted, its expiries not reaped */
	p->st.packets += p->sh_pkts;
	p->st.accepted += p->sh_pkts;
	p->st.decode[DEC_OK] += p->sh_pkts;
	p->st.events[EV_EXPIRE] += p->sh_expired;
	p->st.icmp_errors += p->sh_icmp_errors;

	for (uint32_t i = 0; i < r->nflows && i < p->ncap; i++) {
		const struct rhit *h = report_hit(p, i);

		if (h == NULL)
			continue;
		if (h->broken_at != T_NONE) {
			p->broken++;
			if (r->flows[i].midstream && h->reason == R_NO_FLOW)
				p->broken_midstream++;
			p->by_class[report_class_of(h->reason)]++;
			if (h->reason < R__MAX)
				p->by_reason[h->reason]++;
			if (h->broken_at < p->first_break)
				p->first_break = h->broken_at;
		} else if (h->lost_at != T_NONE) {
			p->lost++;
		}
		p->drop_pkts += h->drop_pkts;
		p->drop_bytes += h->drop_bytes;
	}
	prof_nat_totals(p, r->nflows);
}
