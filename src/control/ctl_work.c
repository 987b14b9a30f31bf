/* ctl_work.c -- the worker's half of the control path: answer the mailbox, keep history and counters.
 *
 * Everything here runs on a worker's thread and touches only that
 * worker's engine. The control thread posts one request at a time into
 * the mailbox (an atomic state word: idle -> posted -> done) and wakes the
 * worker with an eventfd; the worker answers at its next burst boundary
 * or poll timeout with one bounded chunk (at most CTL_WALK_BUDGET pool
 * slots or CTL_RING_BUDGET history entries, at most CTL_CHUNK records)
 * and hands the mailbox back. A table of a million flows is walked in
 * chunks across wakeups, so no request adds more than about a hundred
 * microseconds to any packet's wait. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "ctl_work_int.h"
#include "track.h"

struct ctl_worker *
ctl_worker_new(uint16_t queue, uint32_t max_flows, unsigned history, int done_fd,
    void (*wstats)(void *ctx, struct ctl_wstats *), void *ctx)
{
	struct ctl_worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->queue = queue;
	w->done_fd = done_fd;
	w->wstats = wstats;
	w->wctx = ctx;
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->rep = calloc(1, sizeof(*w->rep));
	w->nctr = max_flows;
	w->ctr = calloc(max_flows ? max_flows : 1, sizeof(*w->ctr));
	w->ring_size = history;
	w->ring = history ? calloc(history, sizeof(*w->ring)) : NULL;
	if (w->wake_fd < 0 || w->rep == NULL || w->ctr == NULL ||
	    (history && w->ring == NULL)) {
		int e = errno ? errno : ENOMEM;

		ctl_worker_free(w);
		errno = e;
		return NULL;
	}
	atomic_init(&w->state, CTL_MB_IDLE);
	return w;
}

void
ctl_worker_free(struct ctl_worker *w)
{
	if (w == NULL)
		return;
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	free(w->rep);
	free(w->ctr);
	free(w->ring);
	free(w);
}

int
ctl_worker_fd(const struct ctl_worker *w)
{
	return w->wake_fd;
}

void
ctl_worker_drain(struct ctl_worker *w)
{
	uint64_t v;

	(void)!read(w->wake_fd, &v, sizeof(v));
}

/* Milliseconds mod 2^32: differences stay right for 49 days. */
static uint32_t
ms_of(uint64_t now)
{
	return (uint32_t)(now / 1000000);
}

void
ctl_worker_event(struct ctl_worker *w, struct engine *e, const struct event *ev)
{
	struct ctl_evrec *r;
	const struct flow *f = NULL;

	if (ev->flow != FLOW_NIL)
		f = engine_flow_at(e, ev->flow);
	if (ev->type == EV_NEW && ev->flow < w->nctr) {
		memset(&w->ctr[ev->flow], 0, sizeof(w->ctr[0]));
		w->ctr[ev->flow].born_ms = ms_of(ev->ts);
	}
	if (w->ring_size == 0)
		return;
	r = &w->ring[w->ring_head++ % w->ring_size];
	r->ev = *ev;
	r->serial = f ? f->serial : 0;
	r->queue = w->queue;
}

void
ctl_worker_account(struct ctl_worker *w, const struct verdict *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct ctl_flowctr *c;

		if (v[i].flow >= w->nctr)
			continue;
		c = &w->ctr[v[i].flow];
		c->pkts[v[i].dir & 1]++;
		c->bytes[v[i].dir & 1] += v[i].ip_len;
		if (v[i].action != V_ACCEPT)
			c->drops++;
	}
}

static uint8_t
fin_fact(const struct tcp_dir *d)
{
	if (d->flags & TDF_FIN_ACKED)
		return 2;
	return (d->flags & TDF_FIN_SEEN) ? 1 : 0;
}

void
ctl_worker_flowrec(struct ctl_worker *w, struct engine *e, const struct flow *f,
    uint32_t slot, uint64_t now, struct ctl_flowrec *r)
{
	const struct policy *p = engine_policy(e);
	const struct ctl_flowctr *c = slot < w->nctr ? &w->ctr[slot] : NULL;
	const char *cs;

	memset(r, 0, sizeof(*r));
	r->src = f->src;
	r->dst = f->dst;
	r->sport = f->sport;
	r->dport = f->dport;
	r->queue = w->queue;
	r->family = f->family;
	r->state = f->trk.state;
	r->timer_state = f->timer_state;
	r->dead = (f->fflags & FF_DEAD) != 0;
	r->dead_reason = f->dead_reason;
	r->fin[0] = fin_fact(&f->trk.d[0]);
	r->fin[1] = fin_fact(&f->trk.d[1]);
	r->slot = slot;
	r->proto = flow_proto(f);
	r->serial = f->serial;
	r->left = f->deadline > now ? f->deadline - now : 0;
	if (r->dead) {
		r->timeout = p->tombstone;
		r->refresh = REFRESH_NONE;
	} else if (f->timer_state < TRK_STATE_MAX) {
		r->timeout = policy_timeout(p, &f->trk, (enum tcp_state)f->timer_state,
		    engine_flow_count(e));
		r->refresh = p->refresh[f->timer_state];
	}
	r->idle = now > f->last_seen ? now - f->last_seen : 0;
	r->age = UINT64_MAX;
	if (c) {
		r->age = (uint64_t)(uint32_t)(ms_of(now) - c->born_ms) * 1000000;
		memcpy(r->bytes, c->bytes, sizeof(r->bytes));
		memcpy(r->pkts, c->pkts, sizeof(r->pkts));
		r->drops = c->drops;
	}
	tcp_history_str(&f->trk, r->history);
	cs = flow_kind(f) == NBK_TCP ? tcp_conn_state(&f->trk) :
	    dgram_conn_state(flow_kind(f), &f->trk);
	snprintf(r->conn_state, sizeof(r->conn_state), "%s", cs ? cs : "OTH");
	struct flow_outside o;

	if (!r->dead && engine_flow_outside(e, slot, &o)) {
		r->nat = 1;
		r->nat_src = o.src;
		r->nat_dst = o.dst;
		r->nat_sport = o.sport;
		r->nat_dport = o.dport;
	}
}

/* The NAT table's slots [req.cursor, ...) within the budget. */
static void
do_mappings(struct ctl_worker *w, struct engine *e, uint64_t now)
{
	const struct nat_table *t = engine_nat(e);
	struct ctl_reply *r = w->rep;
	uint32_t i = w->req.cursor, cap = t ? nat_capacity(t) : 0, end;

	end = cap - i > CTL_WALK_BUDGET ? i + CTL_WALK_BUDGET : cap;
	for (; i < end && r->n < CTL_CHUNK; i++) {
		const struct nat_map *m = nat_map_at(t, i);
		const struct nat_conf *c = nat_conf_of(t);
		struct ctl_maprec *mr;
		struct nat_key k;

		if (!(m->flags & (NMF_LIVE | NMF_FREED)))
			continue;
		if ((m->flags & NMF_FREED) && nat_map_age(m, now) >= c->reuse_delay)
			continue;	/* rested: its port is free */
		mr = &r->r.maps[r->n++];
		memset(mr, 0, sizeof(*mr));
		mr->queue = w->queue;
		mr->proto = m->proto;
		mr->flags = m->flags;
		mr->mapping = c->mapping;
		mr->xaddr = nat_pool_addr(c, m->xai);
		mr->xport = m->xport;
		mr->age = nat_map_age(m, now);
		if (m->flags & NMF_FREED) {
			mr->rest_left = c->reuse_delay - mr->age;
			continue;
		}
		mr->iaddr = m->iaddr;
		mr->iport = m->iport;
		nat_map_key(t, i, &k);
		mr->raddr = k.raddr;
		mr->rport = k.rport;
		mr->nflows = m->nflows;
	}
	r->cursor = i;
	r->finished = i >= cap;
}

/* Walk pool slots [req.cursor, ...) within the budget. The pool hands
 * out low slots first, so once every used slot has been met the rest is
 * empty: a walk of a small table stops early (not a flush: it frees). */
static void
do_walk(struct ctl_worker *w, struct engine *e, uint64_t now)
{
	struct ctl_req *q = &w->req;
	struct ctl_reply *r = w->rep;
	uint32_t cap = engine_policy(e)->max_flows, used = engine_flow_count(e);
	uint32_t i = q->cursor, found = q->found, end;

	end = cap - i > CTL_WALK_BUDGET ? i + CTL_WALK_BUDGET : cap;
	if (q->op == CTL_OP_STATS && i == 0) {
		r->es = *engine_stats(e);
		if (w->wstats)
			w->wstats(w->wctx, &r->ws);
		r->nflows = used;
		r->capacity = cap;
		r->memory = engine_memory(e) + (uint64_t)w->nctr * sizeof(w->ctr[0]) +
		    (uint64_t)w->ring_size * sizeof(w->ring[0]);
		r->history_seen = w->ring_head;
		r->history_size = w->ring_size;
		if (engine_nat(e) != NULL) {
			r->nat = true;
			r->ns = *nat_stats(engine_nat(e));
			r->nat_live = nat_count(engine_nat(e));
		}
	}
	for (; i < end && (q->op == CTL_OP_FLUSH || found < used); i++) {
		const struct flow *f = engine_flow_at(e, i);

		if (f == NULL)
			continue;
		found++;
		switch (q->op) {
		case CTL_OP_STATS:
			if (f->fflags & FF_DEAD)
				r->dead++;
			else if (f->trk.state < TRK_STATE_MAX)
				r->by_state[f->trk.state]++;
			break;
		case CTL_OP_FLUSH:
			if (flow_filter_match(&q->filter, f, i) &&
			    engine_flow_end(e, i, now) == 0)
				r->flushed++;
			break;
		case CTL_OP_REBIND:
			if (flow_filter_match(&q->filter, f, i) &&
			    engine_rebind(e, i, now) == 0)
				r->flushed++;
			break;
		default:
			if (!flow_filter_match(&q->filter, f, i))
				break;
			ctl_worker_flowrec(w, e, f, i, now, &r->r.flows[r->n++]);
			if (r->n == CTL_CHUNK) {
				i++;
				goto out;
			}
			break;
		}
	}
out:
	r->cursor = i;
	r->found = found;
	r->finished = i >= cap || (q->op != CTL_OP_FLUSH && found >= used);
}

/* Explain by slot: the flow there now, or else the latest one the
 * history saw in that slot (walking back from the newest entry). */
static void
do_find(struct ctl_worker *w, struct engine *e, uint64_t now)
{
	struct ctl_req *q = &w->req;
	struct ctl_reply *r = w->rep;
	const struct flow *f;
	uint64_t seq = q->seq, oldest, n = 0;

	r->finished = true;
	if (q->seq_end == 0 && (f = engine_flow_at(e, q->slot)) != NULL) {
		r->serial = f->serial;
		ctl_worker_flowrec(w, e, f, q->slot, now, &r->r.flows[0]);
		r->n = 1;
		return;
	}
	oldest = w->ring_head > w->ring_size ? w->ring_head - w->ring_size : 0;
	if (q->seq_end == 0 || seq > w->ring_head)
		seq = w->ring_head;	/* first chunk: from the newest */
	if (seq < oldest)
		return;
	for (; seq > oldest && n < CTL_RING_BUDGET; seq--, n++) {
		const struct ctl_evrec *er = &w->ring[(seq - 1) % w->ring_size];

		if (er->ev.flow == q->slot && er->serial != 0) {
			r->serial = er->serial;
			return;
		}
	}
	r->seq = seq;
	r->seq_end = 1;		/* not the first chunk any more */
	r->finished = seq <= oldest;
}

static void
do_events(struct ctl_worker *w)
{
	struct ctl_req *q = &w->req;
	struct ctl_reply *r = w->rep;
	uint64_t oldest = w->ring_head > w->ring_size ? w->ring_head - w->ring_size : 0;
	uint64_t seq = q->seq, end = q->seq_end, n = 0;

	if (end == 0) {
		end = w->ring_head;	/* events after the request are not asked for */
		seq = oldest;
	}
	if (seq < oldest)
		seq = oldest;		/* overwritten meanwhile */
	for (; seq < end && n < CTL_RING_BUDGET && r->n < CTL_CHUNK; seq++, n++) {
		const struct ctl_evrec *er = &w->ring[seq % w->ring_size];
		const struct event *ev = &er->ev;

		if (q->serial ? er->serial != q->serial :
		    (ev->family == 0 || !flow_filter_match_tuple(&q->filter, ev->family,
		    ev->proto, &ev->src, &ev->dst, ev->sport, ev->dport, ev->flow)))
			continue;
		r->r.evs[r->n++] = *er;
	}
	r->seq = seq;
	r->seq_end = end;
	r->finished = seq >= end;
}

bool
ctl_worker_service(struct ctl_worker *w, struct engine *e, uint64_t now)
{
	struct ctl_reply *r = w->rep;
	uint64_t one = 1;

	if (atomic_load_explicit(&w->state, memory_order_acquire) != CTL_MB_POSTED)
		return false;
	memset(r, 0, offsetof(struct ctl_reply, r));
	r->now = now;
	snprintf(r->profile, sizeof(r->profile), "%s", engine_policy(e)->name);
	r->cursor = w->req.cursor;
	r->found = w->req.found;
	r->seq = w->req.seq;
	r->seq_end = w->req.seq_end;
	switch (w->req.op) {
	case CTL_OP_FIND:
		do_find(w, e, now);
		break;
	case CTL_OP_EVENTS:
		if (w->ring_size)
			do_events(w);
		else
			r->finished = true;
		break;
	case CTL_OP_FLOWS:
	case CTL_OP_FLUSH:
	case CTL_OP_REBIND:
	case CTL_OP_STATS:
		do_walk(w, e, now);
		break;
	case CTL_OP_MAPPINGS:
		do_mappings(w, e, now);
		break;
	default:
		r->finished = true;
		break;
	}
	atomic_store_explicit(&w->state, CTL_MB_DONE, memory_order_release);
	(void)!write(w->done_fd, &one, sizeof(one));
	return true;
}
