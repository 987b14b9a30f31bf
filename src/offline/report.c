/* report.c -- the offline pass: capture in, a reference tracker delimits flows, one engine per profile (each on its own thread) judges them. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "pcapin.h"
#include "report.h"
#include "report_pass.h"
#include "report_trace.h"

/*
 * The reader (the calling thread) decodes each frame's link header and
 * copies it into a chunk, then decodes and hashes the chunk's packets
 * once for every engine. The reference's thread runs the chunk through
 * the reference engine to learn each packet's flow; then every profile's
 * thread runs its engine over it. Chunks go round a ring, in order
 * through each stage, and the reader refills a chunk once every profile
 * is done with it. So the capture is read once, the
 * reference runs once, and profiles run in parallel, each exactly as if
 * alone: engines share nothing but the (read-only) packets.
 *
 * Capture time is the clock: ns from the first frame, never going back
 * (a frame older than its predecessor is taken at the predecessor's
 * time). Engines take a chunk at a time (engine_process_timed: it
 * prefetches ahead, which a million flows need), expiring what is due
 * before each packet, so expiries interleave with packets as they would
 * have inline. Each packet's verdict and events carry its index in the
 * chunk (the tag), which leads to its reference flow.
 *
 * Most profiles do not run their engine over every packet: they shadow
 * the reference (report_shadow.c), from a trace of what its tracker did,
 * and hand a flow to their engine only where they part from it.
 */

/* Per-flow arrays are reached at random, a cache miss a packet: with 4 KB
 * pages most also miss the TLB. Ask for huge pages over the whole 2 MB
 * pages inside a large block (glibc maps those on their own); a hint,
 * fine if refused. */
void
report_hugepages(void *p, size_t len)
{
	const uintptr_t huge = 2u << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t b = ((uintptr_t)p + len) & ~(huge - 1);

	if (len >= 2 * huge && b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
}

static void *
xrealloc(void *p, size_t n, size_t sz)
{
	void *q;

	if (n != 0 && sz > SIZE_MAX / n)
		fatalx("out of memory");
	if ((q = realloc(p, n * sz)) == NULL)
		fatal("realloc");
	report_hugepages(q, n * sz);
	return q;
}

static void
mark_add(struct rmarks *m, uint32_t flow, uint64_t ts, uint8_t state)
{
	if (m->full)
		return;
	if (m->n == m->cap) {
		if (m->cap >= MARKS_MAX) {
			m->full = true;
			return;
		}
		m->cap = m->cap ? m->cap * 2 : 4096;
		m->v = xrealloc(m->v, m->cap, sizeof(*m->v));
	}
	m->v[m->n].ts = ts;
	m->v[m->n].flow = flow;
	m->v[m->n].state = state;
	m->n++;
}

/* ---- the reference tracker ---- */

/* Every timeout ~forever, every packet refreshes, anything may start a
 * flow, nothing is dropped: flows end only by the tracker's own rules
 * (a SYN reopening a closed flow, a RST before any reply). */
static void
ref_policy(struct policy *p, uint32_t max_flows)
{
	policy_defaults(p);
	snprintf(p->name, sizeof(p->name), "reference");
	for (unsigned s = 0; s < TCP_STATE_MAX; s++) {
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
			r->flows = xrealloc(r->flows, r->fcap, sizeof(*r->flows));
			if (r->gaps)
				r->gaps = xrealloc(r->gaps, r->fcap, sizeof(*r->gaps));
		}
		id = r->nflows++;
		f = &r->flows[id];
		memset(f, 0, sizeof(*f));
		f->src = ev->src;
		f->dst = ev->dst;
		f->sport = ev->sport;
		f->dport = ev->dport;
		f->family = ev->family;
		f->state = ev->state;
		f->midstream = ev->state != TCP_SYN_SENT;
		f->first = f->last = ev->ts;
		if (r->gaps)
			memset(&r->gaps[id], 0, sizeof(r->gaps[id]));
		if (ref_id(ps, ev->flow) != id)
			fatalx("reference flow %u numbered %u", id, ref_id(ps, ev->flow));
		if (ps->sh)
			trace_new(ps, ev);
		if (engine_flow_count(ps->ref) > r->ref_peak)
			r->ref_peak = engine_flow_count(ps->ref);
		if (ps->o->timeline)
			mark_add(&r->marks, id, ev->ts, ev->state);
		break;
	case EV_UPDATE:
		id = ref_id(ps, ev->flow);
		r->flows[id].state = ev->state;
		if (ps->o->timeline)
			mark_add(&r->marks, id, ev->ts, ev->state);
		break;
	case EV_END:
		id = ref_id(ps, ev->flow);
		f = &r->flows[id];
		f->state = ev->state;
		set_conn_state(f, ev->conn_state);
		memcpy(f->history, ev->history, sizeof(f->history));
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
			mark_add(&r->marks, id, ev->ts, RSTATE_GONE);
		break;
	default:
		break;
	}
}

/* A flow still open at the end: its outcome so far, as its end event
 * would say it (the reference is freed whole, not flushed flow by flow;
 * a million flows are common, so no event is built). */
static void
ref_final(void *ctx, const struct flow *fl)
{
	struct pass *ps = ctx;
	struct rflow *f;
	uint32_t id;

	if ((fl->fflags & FF_DEAD) || (id = fl->serial - 1) >= ps->r->nflows)
		return;
	f = &ps->r->flows[id];
	f->state = fl->trk.state;
	set_conn_state(f, tcp_conn_state(&fl->trk));
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
	unsigned ph;

	ps->nflows_before = r->nflows;	/* flows before the next packet */
	if (v->flow != FLOW_NIL)
		id = ref_id(ps, v->flow);
	else
		id = ps->killed_tag == tp->tag ? ps->killed : RFLOW_NONE;
	ps->killed_tag = EV_TAG_NONE;
	rp->flow = id;
	if (id == RFLOW_NONE) {
		if (v->ip_len != 0)
			r->stray++;
		return;
	}
	f = &r->flows[id];
	f->pkts[v->dir]++;
	f->bytes[v->dir] += v->ip_len;
	f->last = now;
	if (r->gaps == NULL)
		return;
	g = &r->gaps[id];
	/* A bare SYN needs no live timer: once a flow has expired, one
	 * starts it afresh (a retransmitted SYN, a reused port). So it ends
	 * no wait; it only marks later waits as ones a shorter timeout might
	 * also survive, by way of that fresh start. */
	if (tp->prep->err == DEC_OK &&
	    (tp->prep->p.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		g->syn_now = 1;
	} else if (id < before && (ph = report_phase_of(g->tstate)) < PH__MAX) {
		uint64_t gap = now - g->restart;

		if (!(g->seen & (1u << ph)) || gap > g->gap[ph]) {
			g->gap[ph] = gap;
			g->at[ph] = now;
			g->syn = (uint8_t)((g->syn & ~(1u << ph)) | (g->syn_now << ph));
		}
		if (now - g->entered > g->stay[ph])
			g->stay[ph] = now - g->entered;
		g->seen |= (uint8_t)(1u << ph);
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

static void
ref_verdict(void *ctx, const struct engine_tpkt *tp, const struct verdict *v)
{
	struct pass *ps = ctx;

	ref_account(ps, tp, v);
	if (ps->sh)
		trace_verdict(ps, tp);
}

/* ---- profiles ---- */

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
	p->hit_of = xrealloc(p->hit_of, n, sizeof(*p->hit_of));
	p->pend = xrealloc(p->pend, n, sizeof(*p->pend));
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
		p->hits = xrealloc(p->hits, p->hcap, sizeof(*p->hits));
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
		if (tl && id != RFLOW_NONE)
			mark_add(&p->marks, id, ev->ts, ev->state);
		break;
	case EV_UPDATE:
		if (tl && (id = p->map[ev->flow]) != RFLOW_NONE)
			mark_add(&p->marks, id, ev->ts, ev->state);
		break;
	case EV_EXPIRE:
		prof_state_lost(p, ev->flow, ev->ts, ev->reason);
		break;
	case EV_END:
		if (ev->reason == R_END_EVICTED)
			prof_state_lost(p, ev->flow, ev->ts, R_END_EVICTED);
		if (tl && ev->reason != R_END_FLUSH && (id = p->map[ev->flow]) != RFLOW_NONE)
			mark_add(&p->marks, id, ev->ts, RSTATE_GONE);
		break;
	default:
		break;
	}
}

static bool
is_expiry(uint16_t reason)
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
		if (p->pol->expire_action == EXPIRE_RESET && is_expiry((uint16_t)pe) &&
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

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pass *ps = w->ps;
	struct rprof *p = w->p;
	struct chunk *c;
	uint64_t seq, last = 0, last_ip = 0;
	char name[16];

	/* "p:" and the profile, as top -H and the benchmark show it */
	snprintf(name, sizeof(name), "p:%.13s", p->label);
	(void)pthread_setname_np(pthread_self(), name);
	/* The reader and the reference are the pass's critical chain: a
	 * profile only ever waits on them. Left to share the cores evenly,
	 * profiles took turns from them while the ring had room, and later
	 * the ring ran dry and a core idled (2 cores: 1.2-1.3 x the ideal
	 * wall time). At the lowest priority a profile runs when they
	 * cannot, and the ring (ring_size()) holds what it has still to do.
	 * Nice weighs a thread against the others of its scheduling group:
	 * with autogroup (Debian's default) that is natbox's session, in a
	 * service its cgroup, else the whole machine. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), 19);

	for (seq = 0;; seq++) {
		pthread_mutex_lock(&ps->mu);
		while (ps->produced <= seq && !ps->done)
			pthread_cond_wait(&ps->more, &ps->mu);
		if (ps->produced <= seq) {
			last = ps->last;
			last_ip = ps->last_ip;
			pthread_mutex_unlock(&ps->mu);
			break;
		}
		pthread_mutex_unlock(&ps->mu);
		c = &ps->ch[seq % ps->nchunks];
		p->chunk = c;
		if (p->sh)
			shadow_chunk(p, c);
		else
			engine_process_timed(p->e, c->tp, c->n, report_prof_verdict, p);
		if (p->evb && evbuf_flush(p->evb) < 0)
			p->failed = true;
		pthread_mutex_lock(&ps->mu);
		if (--c->pending == 0)
			pthread_cond_signal(&ps->room);
		pthread_mutex_unlock(&ps->mu);
	}
	if (p->sh)
		shadow_end(ps, p, last_ip);
	/* Flows still open at the end only matter to an event stream: the
	 * flush of a million flows costs a hash walk each. */
	if (p->evb) {
		engine_flush(p->e, last);
		if (evbuf_flush(p->evb) < 0)
			p->failed = true;
	}
	return NULL;
}

/* Hand the chunk being filled on (to the reference, then the profiles)
 * and wait for the next slot to be free. */
static struct chunk *
publish(struct pass *ps, struct chunk *c)
{
	struct chunk *next;

	for (unsigned i = 0; i < c->n; i++) {
		const struct rpkt *rp = &c->pk[i];

		c->tp[i] = (struct engine_tpkt){ c->data + rp->off + rp->l3off,
		    rp->caplen - rp->l3off, i, rp->ts, &c->prep[i] };
	}
	/* Decoded and hashed once here, for the reference and every
	 * profile: engines share one seed. */
	engine_prepare(ps->ref, c->tp, c->n, c->prep);
	pthread_mutex_lock(&ps->mu);
	c->pending = ps->r->nprof + 1;	/* the reference, then each profile */
	ps->read++;
	pthread_cond_broadcast(&ps->more);
	next = &ps->ch[ps->read % ps->nchunks];
	while (next->pending != 0)
		pthread_cond_wait(&ps->room, &ps->mu);
	pthread_mutex_unlock(&ps->mu);
	next->n = 0;
	next->used = 0;
	next->nev = 0;
	return next;
}

/* The reference's thread: each chunk's flows, before any profile sees it. */
static void *
ref_main(void *arg)
{
	struct pass *ps = arg;
	struct chunk *c;

	(void)pthread_setname_np(pthread_self(), "reference");
	for (uint64_t seq = 0;; seq++) {
		pthread_mutex_lock(&ps->mu);
		while (ps->read <= seq && !ps->read_done)
			pthread_cond_wait(&ps->more, &ps->mu);
		if (ps->read <= seq) {
			ps->done = true;
			ps->last = ps->r->duration;
			pthread_cond_broadcast(&ps->more);
			pthread_mutex_unlock(&ps->mu);
			/* While the profiles finish: the flows still open.
			 * Only this thread writes r->flows; the profiles only
			 * read the reference's table (shadow_end()). */
			engine_foreach(ps->ref, ref_final, ps);
			return NULL;
		}
		pthread_mutex_unlock(&ps->mu);
		c = &ps->ch[seq % ps->nchunks];
		ps->cur = c;
		engine_process_timed(ps->ref, c->tp, c->n, ref_verdict, ps);
		if (ps->sh != NULL)
			trace_fence();
		pthread_mutex_lock(&ps->mu);
		ps->produced++;
		ps->last = c->n ? c->pk[c->n - 1].ts : ps->last;
		ps->last_ip = ps->last;
		if (--c->pending == 0)
			pthread_cond_signal(&ps->room);
		pthread_cond_broadcast(&ps->more);
		pthread_mutex_unlock(&ps->mu);
	}
}

static void
chunk_add(struct pass *ps, struct chunk **cp, const struct pcapin_pkt *pk, uint64_t ts)
{
	struct chunk *c = *cp;
	struct rpkt *rp;

	if (c->n == CHUNK_PKTS || c->cap - c->used < pk->caplen) {
		if (c->n > 0)
			c = *cp = publish(ps, c);
		if (c->cap < pk->caplen) {
			c->cap = pk->caplen;
			c->data = xrealloc(c->data, c->cap, 1);
		}
	}
	rp = &c->pk[c->n++];
	rp->ts = ts;
	rp->abs = pk->ts;
	rp->off = (uint32_t)c->used;
	rp->caplen = pk->caplen;
	rp->wirelen = pk->wirelen;
	rp->l3off = pk->l3off;
	rp->flow = RFLOW_NONE;
	memcpy(c->data + c->used, pk->frame, pk->caplen);
	c->used += pk->caplen;
}

/* How many flows the file can hold at most: each starts with a packet,
 * and a record with an IP and a TCP header takes at least 56 bytes (16 of
 * record header, 40 of headers). UINT64_MAX for a pipe. */
static uint64_t
flows_bound(const char *path)
{
	struct stat sb;

	if (strcmp(path, "-") == 0 || stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return UINT64_MAX;
	return (uint64_t)sb.st_size / 56 + 1;
}

/*
 * The ring's chunks: the profiles' slack (worker_main()). On the bench
 * capture (1.26 GB, 13.4M packets, 2 cores), alternating runs against 16
 * chunks: 24 and 32 won 14 of 18 pairs, by 2-13% of wall time per round
 * of 4-5 (the reader and the reference hand the cores to the profiles
 * less often); 10 lost 5 of 5. On a 155 MB capture 32 cost 14% (0.66 ->
 * 0.76 s): 85 MB more are touched for the first time, at 0.5-2.5 ms a MB
 * on these VMs, in a pass too short to gain. So 32 only for a large file.
 */
#define RING_BIG_FILE	(512ULL << 20)

static unsigned
ring_size(const char *path)
{
	uint64_t n = flows_bound(path);	/* UINT64_MAX: a pipe */

	return n != UINT64_MAX && n > RING_BIG_FILE / 56 ? NCHUNKS : NCHUNKS / 2;
}

static uint32_t
ref_size(const char *path, uint32_t asked)
{
	uint64_t n = flows_bound(path);

	if (asked)
		return asked;
	if (n == UINT64_MAX)
		return REF_FLOWS_PIPE;
	return n < REF_FLOWS_MIN ? REF_FLOWS_MIN : n > REF_FLOWS_MAX ? REF_FLOWS_MAX : (uint32_t)n;
}

static int
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
	p->map = xrealloc(NULL, p->mapcap, sizeof(*p->map));
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
	 * timeline. */
	if (p->evb == NULL)
		engine_set_event_mask(p->e, 1u << EV_NEW | 1u << EV_EXPIRE | 1u << EV_END |
		    (p->timeline ? 1u << EV_UPDATE : 0));
	if (i == 0 && o->write_dropped) {
		p->dump = pcapout_open(ps->in, o->write_dropped, err, sizeof(err));
		if (p->dump == NULL) {
			log_warnx("%s: %s", o->write_dropped, err);
			return -1;
		}
	}
	return 0;
}

static void
prof_totals(struct rprof *p, const struct report *r)
{
	p->st = *engine_stats(p->e);
	/* a shadow's packets were accepted, its expiries not reaped */
	p->st.packets += p->sh_pkts;
	p->st.accepted += p->sh_pkts;
	p->st.decode[DEC_OK] += p->sh_pkts;
	p->st.events[EV_EXPIRE] += p->sh_expired;

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
}

static void
pass_read(struct pass *ps)
{
	struct report *r = ps->r;
	struct chunk *c = &ps->ch[0];
	struct pcapin_pkt pk;
	uint64_t ts, last = 0;
	bool first = true;
	int rc;

	while ((rc = pcapin_next(ps->in, &pk)) == 1) {
		if (first) {
			r->t0 = pk.ts;
			first = false;
		}
		ts = pk.ts >= r->t0 ? pk.ts - r->t0 : 0;
		if (ts < last) {
			r->backwards++;
			ts = last;
		}
		last = ts;
		if (pk.l3 != PL_IP)
			continue;
		chunk_add(ps, &c, &pk, ts);
	}
	if (rc < 0) {
		r->damaged = 1;
		snprintf(r->damage, sizeof(r->damage), "%s", pcapin_error(ps->in));
	}
	publish(ps, c);
	pthread_mutex_lock(&ps->mu);
	r->duration = last;
	ps->read_done = true;
	pthread_cond_broadcast(&ps->more);
	pthread_mutex_unlock(&ps->mu);
}

/* NATBOX_SHADOW=0 runs every profile's engine over every packet: the
 * slow, obviously exact way, which the tests compare the shadows with. */
static bool
shadow_allowed(void)
{
	const char *v = getenv("NATBOX_SHADOW");

	return v == NULL || strcmp(v, "0") != 0;
}

/*
 * A profile whose shadow gave up (its table came near full, where the
 * engine's count over all flows decides) is judged again by a pass of its
 * own with the full engine, over the same capture: the reference finds
 * the same flows, so its results drop into place.
 */
static int
rerun_failed_shadows(const struct report_opts *o, struct report *r)
{
	struct report_opts o2 = *o;
	struct policy **pols;
	const char **labels;
	unsigned *idx, n = 0;
	struct report *r2;
	int rc;

	if (r->nprof == 0)
		return 0;
	pols = xrealloc(NULL, r->nprof, sizeof(*pols));
	labels = xrealloc(NULL, r->nprof, sizeof(*labels));
	idx = xrealloc(NULL, r->nprof, sizeof(*idx));

	for (unsigned i = 0; i < r->nprof; i++) {
		if (!r->prof[i].shadow_failed)
			continue;
		pols[n] = o->pols[i];
		labels[n] = r->prof[i].label;
		idx[n++] = i;
	}
	if (n == 0) {
		rc = 0;
		goto done;
	}
	o2.pols = pols;
	o2.labels = labels;
	o2.npol = n;
	o2.shadow = false;
	if ((rc = report_run(&o2, &r2)) < 0)
		goto done;
	for (unsigned k = 0; k < n; k++) {
		struct rprof *a = &r->prof[idx[k]], *b = &r2->prof[k], t;
		bool own_a = a->pol == &a->polcopy, own_b = b->pol == &b->polcopy;

		/* the engines are done with: only their stats (in st) count */
		engine_free(a->e);
		engine_free(b->e);
		a->e = b->e = NULL;
		t = *a;
		*a = *b;
		*b = t;
		if (own_b)
			a->pol = &a->polcopy;
		if (own_a)
			b->pol = &b->polcopy;
	}
	report_free(r2);
	rc = 0;
done:
	free(pols);
	free(labels);
	free(idx);
	return rc < 0 ? -1 : 0;
}

int
report_run(const struct report_opts *o, struct report **out)
{
	/* One key for every engine: identical hashing, and runs repeat. */
	static const uint64_t seed[2] = { 0x6e6174626f782d72ULL, 0x65706c6179000001ULL };
	struct engine_ops ops;
	struct worker *ws = NULL;
	pthread_t ref_tid;
	struct report *r;
	struct pass ps;
	char err[512];
	const struct pcapin_stats *st;
	const struct engine_stats *es;
	unsigned i, started = 0;
	int rc = -1;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->capture = o->capture;
	ps.r = r;
	ps.o = o;
	ps.killed_tag = EV_TAG_NONE;
	if ((ps.in = pcapin_open(o->capture, err, sizeof(err))) == NULL) {
		log_warnx("%s: %s", o->capture, err);
		free(r);
		return -1;
	}
	r->format = pcapin_format(ps.in);
	r->linkname = pcapin_linkname(ps.in);
	r->ref_max_flows = ref_size(o->capture, o->max_flows);
	ps.nchunks = ring_size(o->capture);
	ref_policy(&r->ref_pol, r->ref_max_flows);
	ops = (struct engine_ops){ ref_event, NULL, &ps };
	if ((ps.ref = engine_new_lazy(&r->ref_pol, &ops, seed, 0, true)) == NULL) {
		log_warnx("%s: cannot allocate the flow table (%u flows; see --max-flows)",
		    o->capture, r->ref_max_flows);
		goto out;
	}
	/* suggest reads the reference's timers (ref_account()); the rest
	 * never need them: its flows never expire */
	if (o->gaps)
		r->gaps = xrealloc(NULL, 1, sizeof(*r->gaps));	/* grown with flows */
	else
		engine_set_untimed(ps.ref);
	/* ref_event() reads these; an update only feeds the timeline (a
	 * flow's last state comes with its end, or from ref_final()) */
	engine_set_event_mask(ps.ref, 1u << EV_NEW | 1u << EV_END |
	    (o->timeline ? 1u << EV_UPDATE : 0));
	for (i = 0; i < ps.nchunks; i++) {
		ps.ch[i].pk = xrealloc(NULL, CHUNK_PKTS, sizeof(*ps.ch[i].pk));
		ps.ch[i].tp = xrealloc(NULL, CHUNK_PKTS, sizeof(*ps.ch[i].tp));
		ps.ch[i].prep = xrealloc(NULL, CHUNK_PKTS, sizeof(*ps.ch[i].prep));
		ps.ch[i].cap = CHUNK_BYTES;
		ps.ch[i].data = xrealloc(NULL, ps.ch[i].cap, 1);
	}
	pthread_mutex_init(&ps.mu, NULL);
	pthread_cond_init(&ps.more, NULL);
	pthread_cond_init(&ps.room, NULL);
	r->nprof = o->npol;
	if (r->nprof) {
		r->prof = calloc(r->nprof, sizeof(*r->prof));
		ws = calloc(r->nprof, sizeof(*ws));
		if (r->prof == NULL || ws == NULL)
			fatal("calloc");
		for (i = 0; i < r->nprof; i++)
			if (prof_setup(&ps, &r->prof[i], i, seed) < 0)
				goto out;
		if (o->shadow && shadow_allowed() && !o->timeline && o->events == NULL &&
		    o->write_dropped == NULL && flows_bound(o->capture) != UINT64_MAX)
			shadow_setup(&ps);
		for (i = 0; i < r->nprof; i++) {
			ws[started].ps = &ps;
			ws[started].p = &r->prof[i];
			errno = pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]);
			if (errno != 0)
				fatal("pthread_create");
			started++;
		}
	}

	errno = pthread_create(&ref_tid, NULL, ref_main, &ps);
	if (errno != 0)
		fatal("pthread_create");
	pass_read(&ps);
	pthread_join(ref_tid, NULL);
	for (i = 0; i < started; i++)
		pthread_join(ws[i].tid, NULL);
	shadow_free(&ps);

	st = pcapin_stats(ps.in);
	es = engine_stats(ps.ref);
	r->frames = st->frames;
	r->ip = st->ip;
	r->not_ip = st->not_ip;
	r->link_truncated = st->link_truncated;
	r->vlan = st->vlan;
	r->tcp = es->decode[DEC_OK];
	r->not_tcp = es->decode[DEC_NOT_TCP];
	r->fragments = es->decode[DEC_FRAGMENT];
	memcpy(r->decode, es->decode, sizeof(r->decode));
	r->decode[DEC_OK] = r->decode[DEC_NOT_TCP] = r->decode[DEC_FRAGMENT] = 0;
	for (i = 0; i < r->nprof; i++) {
		struct rprof *p = &r->prof[i];

		prof_totals(p, r);
		if (p->dump) {
			r->dumped = pcapout_count(p->dump);
			if (pcapout_close(p->dump) < 0) {
				log_warn("%s", o->write_dropped);
				p->failed = true;
			}
			p->dump = NULL;
		}
		if (p->evb) {
			evbuf_free(p->evb);
			p->evb = NULL;
		}
	}
	pthread_mutex_destroy(&ps.mu);
	pthread_cond_destroy(&ps.more);
	pthread_cond_destroy(&ps.room);
	rc = r->damaged ? 1 : 0;
	for (i = 0; i < r->nprof; i++)
		if (r->prof[i].failed)
			rc = 1;
	if (rerun_failed_shadows(o, r) < 0)
		rc = -1;
out:
	shadow_free(&ps);
	for (i = 0; i < ps.nchunks; i++) {
		free(ps.ch[i].pk);
		free(ps.ch[i].tp);
		free(ps.ch[i].prep);
		free(ps.ch[i].data);
	}
	free(ws);
	engine_free(ps.ref);
	pcapin_close(ps.in);
	if (rc < 0) {
		report_free(r);
		return -1;
	}
	*out = r;
	return rc;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	for (unsigned i = 0; i < r->nprof; i++) {
		struct rprof *p = &r->prof[i];

		engine_free(p->e);
		free(p->hit_of);
		free(p->pend);
		free(p->hits);
		free(p->map);
		free(p->marks.v);
		if (p->dump)
			pcapout_close(p->dump);
		if (p->evb)
			evbuf_free(p->evb);
	}
	free(r->prof);
	free(r->flows);
	free(r->gaps);
	free(r->marks.v);
	free(r);
}
