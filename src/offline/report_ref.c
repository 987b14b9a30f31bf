/* report_ref.c -- the reference tracker: it finds the capture's flows (no timeouts, pickup, reopen), numbers them, and counts their packets and, for suggest, their waits. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "report_pass.h"
#include "report_trace.h"
#include "track.h"

/* Every timeout ~forever, every packet refreshes, anything may start a
 * flow, nothing is dropped: flows end only by the tracker's own rules
 * (a SYN reopening a closed flow, a RST before any reply). */
static void
ref_policy(struct policy *p, uint32_t max_flows)
{
	policy_defaults(p);
	snprintf(p->name, sizeof(p->name), "reference");
	for (unsigned s = 0; s < TRK_STATE_MAX; s++) {
		p->timeout[s] = REF_TIMEOUT;
		p->refresh[s] = REFRESH_ANY;
	}
	p->unacknowledged = 0;
	p->tombstone = 0;
	p->half_close_start = HC_FIRST_FIN;
	p->after_expiry = LATE_PICKUP;
	p->unknown_flow = LATE_PICKUP;
	p->timewait_reopen = REOPEN_ALLOW;
	p->invalid = BAD_ACCEPT;
	p->malformed = BAD_ACCEPT;
	p->window_tracking = false;
	p->max_flows = max_flows;
	/* Should the table fill, forget closed flows first: a late packet
	 * of one then starts a flow of its own (reported as evictions). */
	p->table_full = FULL_EVICT;
	p->adaptive_start = p->adaptive_end = 0;
}

/*
 * The reference numbers its flows (serial 1, 2, ...) in the order it
 * starts them, which is the order of their EV_NEW: flow serial - 1 is the
 * capture flow's index. Its flow is at hand wherever one is needed (an
 * event's, a verdict's): no map from pool slot to flow, whose lookup was
 * a cache miss a packet.
 */
static inline uint32_t
ref_id(const struct pass *ps, uint32_t slot)
{
	return engine_flow_at(ps->ref, slot)->serial - 1;
}

/* Zeek's conn_state, as an end event gives it (NULL: "OTH"). */
static void
set_conn_state(struct rflow *f, const char *cs)
{
	size_t n;

	if (cs == NULL)
		cs = "OTH";
	n = strnlen(cs, sizeof(f->conn_state) - 1);
	memcpy(f->conn_state, cs, n);
	f->conn_state[n] = '\0';
}

static void
ref_event(void *ctx, const struct event *ev)
{
	struct pass *ps = ctx;
	struct report *r = ps->r;
	struct rflow *f;
	uint32_t id;

	switch (ev->type) {
	case EV_NEW:
		if (r->nflows == r->fcap) {
			r->fcap = r->fcap ? r->fcap * 2 : 1024;
			r->flows = report_xrealloc(r->flows, r->fcap, sizeof(*r->flows));
			if (r->gaps)
				r->gaps = report_xrealloc(r->gaps, r->fcap, sizeof(*r->gaps));
			if (r->zc)
				r->flow_zc = report_xrealloc(r->flow_zc, r->fcap,
				    sizeof(*r->flow_zc));
		}
		id = r->nflows++;
		f = &r->flows[id];
		memset(f, 0, sizeof(*f));
		f->src = ev->src;
		f->dst = ev->dst;
		f->sport = ev->sport;
		f->dport = ev->dport;
		f->family = ev->family;
		f->proto = ev->proto;
		f->kind = nb_kind_of(ev->family, ev->proto);
		f->state = ev->state;
		f->midstream = f->kind == NBK_TCP && ev->state != TCP_SYN_SENT;
		f->first = f->last = ev->ts;
		if (r->zc)
			r->flow_zc[id] = ZC_NONE;
		if (r->gaps)
			memset(&r->gaps[id], 0, sizeof(r->gaps[id]));
		if (ref_id(ps, ev->flow) != id)
			fatalx("reference flow %u numbered %u", id, ref_id(ps, ev->flow));
		if (ps->sh)
			trace_new(ps, ev);
		if (engine_flow_count(ps->ref) > r->ref_peak)
			r->ref_peak = engine_flow_count(ps->ref);
		if (ps->o->timeline)
			report_mark_add(&r->marks, id, ev->ts, ev->state);
		break;
	case EV_UPDATE:
		id = ref_id(ps, ev->flow);
		r->flows[id].state = ev->state;
		if (ps->o->timeline)
			report_mark_add(&r->marks, id, ev->ts, ev->state);
		break;
	case EV_END:
		id = ref_id(ps, ev->flow);
		f = &r->flows[id];
		f->state = ev->state;
		set_conn_state(f, ev->conn_state);
		memcpy(f->history, ev->history, sizeof(ev->history));
		if (ev->reason == R_END_FLUSH)
			break;
		if (ev->reason == R_END_RST) {
			ps->killed = id;
			ps->killed_tag = ev->tag;
		}
		if (ev->reason == R_END_EVICTED) {
			r->ref_evicted++;
			if (ps->sh)
				trace_evicted(ps, ev);
		}
		if (ps->o->timeline)
			report_mark_add(&r->marks, id, ev->ts, RSTATE_GONE);
		break;
	default:
		break;
	}
}

/* A flow still open at the end: its outcome so far, as its end event
 * would say it (the reference is freed whole, not flushed flow by flow;
 * a million flows are common, so no event is built). */
void
ref_final(void *ctx, const struct flow *fl)
{
	struct pass *ps = ctx;
	struct rflow *f;
	uint32_t id;

	if ((fl->fflags & FF_DEAD) || (id = fl->serial - 1) >= ps->r->nflows)
		return;
	f = &ps->r->flows[id];
	f->state = fl->trk.state;
	set_conn_state(f, flow_kind(fl) == NBK_TCP ? tcp_conn_state(&fl->trk) :
	    dgram_conn_state(flow_kind(fl), &fl->trk));
	tcp_history_str(&fl->trk, f->history);
}

/* The verdict of the reference for one packet of chunk c: its flow,
 * counted; and for suggest, how long its timer had been running in which
 * phase when it came. */
static void
ref_account(struct pass *ps, const struct engine_tpkt *tp, const struct verdict *v)
{
	struct report *r = ps->r;
	struct rpkt *rp = &ps->cur->pk[tp->tag];
	uint32_t before = ps->nflows_before, id;
	uint64_t now = tp->now;
	const struct flow *fl;
	struct rflow *f;
	struct rgap *g;
	unsigned ph, sl;

	ps->nflows_before = r->nflows;	/* flows before the next packet */
	if (v->flow != FLOW_NIL)
		id = ref_id(ps, v->flow);
	else
		id = ps->killed_tag == tp->tag ? ps->killed : RFLOW_NONE;
	ps->killed_tag = EV_TAG_NONE;
	rp->flow = id;
	if (id == RFLOW_NONE) {
		/* decoded (an IP length), of no flow: counted by protocol
		 * here; a flow's packets are when the pass ends */
		if (v->ip_len != 0) {
			r->stray++;
			ps->stray_kind[tp->prep->p.icmp_error ? NBK_ICMP : tp->prep->p.kind]++;
		}
		return;
	}
	f = &r->flows[id];
	if (f->tun == 0)
		f->tun = rp->tun;
	if (r->zc && r->flow_zc[id] == ZC_NONE)
		r->flow_zc[id] = rp->zc;
	f->pkts[v->dir]++;
	f->bytes[v->dir] += v->ip_len;
	f->last = now;
	if (r->gaps == NULL)
		return;
	g = &r->gaps[id];
	/* A bare SYN needs no live timer: once a flow has expired, one
	 * starts it afresh (a retransmitted SYN, a reused port). So it ends
	 * no wait; it only marks later waits as ones a shorter timeout might
	 * also survive, by way of that fresh start. (An ICMP error about a
	 * flow restarts no timer either, and counts as a packet of it.) */
	if (tp->prep->err == DEC_OK && tp->prep->p.kind == NBK_TCP && !tp->prep->p.icmp_error &&
	    (tp->prep->p.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		g->syn_now = 1;
	} else if (id < before && (ph = report_phase_of(g->tstate)) < PH__MAX &&
	    (sl = ph - report_phase_first(f->kind)) < RGAP_SLOTS) {
		uint64_t gap = now - g->restart;

		if (!(g->seen & (1u << sl)) || gap > g->gap[sl]) {
			g->gap[sl] = gap;
			g->at[sl] = now;
			g->syn = (uint8_t)((g->syn & ~(1u << sl)) | (g->syn_now << sl));
		}
		if (now - g->entered > g->stay[sl])
			g->stay[sl] = now - g->entered;
		g->seen |= (uint8_t)(1u << sl);
	}
	if (v->flow != FLOW_NIL && (fl = engine_flow_at(ps->ref, v->flow)) != NULL) {
		uint64_t restart = fl->deadline - r->ref_pol.timeout[fl->timer_state];

		if (restart != g->restart || fl->timer_state != g->tstate)
			g->syn_now = 0;
		if (id >= before || report_phase_of(fl->timer_state) != report_phase_of(g->tstate))
			g->entered = now;
		g->tstate = fl->timer_state;
		g->restart = restart;
	} else {
		g->tstate = TCP_NONE;
	}
}

/* The engine's related hook: an ICMP error about flow idx, counted as a
 * packet of that flow (ref_account(), after it) but of ICMP's in the
 * capture's counts; and for the shadows, traced. */
void
ref_related(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
    enum flow_dir dir, uint64_t now)
{
	struct pass *ps = ctx;

	(void)now;
	ps->icmp_about[flow_kind(f)]++;
	if (ps->sh)
		trace_related(ps, tag, idx, f, dir);
}

void
ref_verdict(void *ctx, const struct engine_tpkt *tp, const struct verdict *v)
{
	struct pass *ps = ctx;

	ref_account(ps, tp, v);
	if (ps->sh)
		trace_verdict(ps, tp);
}

/* The reference's table: as asked, else as many flows as the file can
 * hold, within bounds. */
uint32_t
ref_size(const char *path, uint32_t asked)
{
	uint64_t n = flows_bound(path);

	if (asked)
		return asked;
	if (n == UINT64_MAX)
		return REF_FLOWS_PIPE;
	return n < REF_FLOWS_MIN ? REF_FLOWS_MIN : n > REF_FLOWS_MAX ? REF_FLOWS_MAX : (uint32_t)n;
}

int
ref_setup(struct pass *ps, const uint64_t seed[2])
{
	const struct report_opts *o = ps->o;
	struct report *r = ps->r;
	struct engine_ops ops = { ref_event, NULL, ps };
	struct engine_watch w = { .ctx = ps, .related = ref_related };

	ref_policy(&r->ref_pol, r->ref_max_flows);
	if ((ps->ref = engine_new_lazy(&r->ref_pol, &ops, seed, 0, true)) == NULL) {
		log_warnx("%s: cannot allocate the flow table (%u flows; see --max-flows)",
		    o->capture, r->ref_max_flows);
		return -1;
	}
	/* the ICMP errors, for the counts by protocol (shadows watch more) */
	engine_set_watch(ps->ref, &w);
	/* suggest reads the reference's timers (ref_account()); the rest
	 * never need them: its flows never expire */
	if (o->gaps)
		r->gaps = report_xrealloc(NULL, 1, sizeof(*r->gaps));	/* grown with flows */
	else
		engine_set_untimed(ps->ref);
	/* ref_event() reads these; an update only feeds the timeline (a
	 * flow's last state comes with its end, or from ref_final()) */
	engine_set_event_mask(ps->ref, 1u << EV_NEW | 1u << EV_END |
	    (o->timeline ? 1u << EV_UPDATE : 0));
	return 0;
}
