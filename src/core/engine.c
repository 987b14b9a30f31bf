/* engine.c -- one verdict path: decode, find the flow, track it, apply the profile. */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "rst.h"
#include "track.h"

/* Flows looked at per eviction; Linux's early_drop scans a bucket range. */
#define EVICT_SAMPLE		16

/* splitmix64: tiny, good enough to draw fault probabilities, and the
 * same seed repeats the same run. */
static uint64_t
rng_next(struct engine *e)
{
	uint64_t z = (e->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Probability 0 never fires and draws nothing; 1 always fires. */
static bool
chance(struct engine *e, double p)
{
	if (p <= 0.0)
		return false;
	if (p >= 1.0)
		return true;
	return (double)(rng_next(e) >> 11) * 0x1.0p-53 < p;
}

/* Expiry reason for a timer, by vendor-neutral class (pf's names). */
static uint16_t
expired_reason(uint8_t timer_state)
{
	switch (timer_state) {
	case TCP_SYN_SENT:
	case TCP_SYN_SENT2:
	case TCP_SYN_RECV:
		return R_EXPIRED_OPENING;
	case TCP_FIN_WAIT:
	case TCP_CLOSE_WAIT:
		return R_EXPIRED_HALF_CLOSED;
	case TCP_LAST_ACK:
		return R_EXPIRED_CLOSING;
	case TCP_TIME_WAIT:
		return R_EXPIRED_TIME_WAIT;
	case TCP_CLOSE:
		return R_EXPIRED_CLOSED;
	case TRK_UDP_UNREPLIED:
		return R_EXPIRED_UDP_UNREPLIED;
	case TRK_UDP_REPLIED:
		return R_EXPIRED_UDP;
	case TRK_ICMP:
		return R_EXPIRED_ICMP;
	case TRK_OTHER:
		return R_EXPIRED_OTHER;
	case TRK_GRE_UNREPLIED:
		return R_EXPIRED_GRE_UNREPLIED;
	case TRK_GRE_REPLIED:
		return R_EXPIRED_GRE;
	default:
		return R_EXPIRED_IDLE;
	}
}

void
flow_end(struct engine *e, struct flow *f, uint16_t reason, uint64_t ts)
{
	struct event ev;

	engine_flow_event(e, f, EV_END, ts, &ev);
	ev.timeout = EV_NO_TIMEOUT;
	ev.reason = reason;
	e->st.ends[reason]++;
	engine_emit(e, &ev);
	if (e->nat != NULL)
		engine_nat_release(e, f, ts);
}

void
flow_expire(struct engine *e, struct flow *f)
{
	const struct policy *pol = e->pol;
	uint16_t reason = expired_reason(f->timer_state);
	uint64_t at = f->deadline;
	struct event ev;
	struct rst_spec r;

	/* conn_state and history belong to the end event that follows;
	 * computing them here too would do that work twice per expiry. */
	engine_event_of_flow(e, f, EV_EXPIRE, at, &ev);
	ev.reason = reason;
	engine_emit(e, &ev);
	if (pol->expire_action == EXPIRE_RESET && flow_kind(f) == NBK_TCP) {
		/* ASA `timeout conn ... reset`, Azure LB: RST both ends. */
		for (int to = DIR_ORIG; to <= DIR_REPLY; to++) {
			rst_for_side(f, (enum flow_dir)to, &r);
			if (e->nat != NULL)
				engine_nat_rst(e, f, (enum flow_dir)to, &r);
			if (e->ops.rst)
				e->ops.rst(e->ops.ctx, &r);
			e->st.resets_sent++;
		}
		engine_event_of_flow(e, f, EV_RESET, at, &ev);
		ev.reason = reason;
		ev.dir = EV_DIR_BOTH;
		engine_emit(e, &ev);
	}
	flow_end(e, f, reason, at);
	if (pol->after_expiry == LATE_PICKUP || pol->tombstone == 0) {
		flowtab_remove(e->ft, f);
		return;
	}
	/* Remember the dead mapping so its later packets get expire.later
	 * and are counted under the timer that killed it. */
	f->fflags |= FF_DEAD;
	f->dead_reason = (uint8_t)reason;
	f->deadline = at + pol->tombstone;
	wheel_arm(&e->wheel, flowtab_index(e->ft, f));
}

/* Make room in a full table: tombstones first, then closing flows, then
 * the least recently active (early_drop: of those not ASSURED), among a sample (an approximation, as
 * Linux's early_drop is; an exact LRU would cost a list move per packet). */
static bool
evict_one(struct engine *e, uint64_t now)
{
	struct flow *cand[EVICT_SAMPLE], *best = NULL;
	unsigned n = flowtab_sample(e->ft, cand, EVICT_SAMPLE);
	int best_rank = -1;

	for (unsigned i = 0; i < n; i++) {
		struct flow *f = cand[i];
		int rank = (f->fflags & FF_DEAD) ? 2 : f->trk.state >= TCP_FIN_WAIT &&
		    f->trk.state <= TCP_CLOSE ? 1 : 0;

		/* early_drop(): never an ASSURED flow */
		if (e->pol->table_full == FULL_EARLY_DROP && !(f->fflags & FF_DEAD) &&
		    (f->trk.flags & TTF_ASSURED))
			continue;

		if (rank > best_rank || (rank == best_rank && f->last_seen < best->last_seen)) {
			best = f;
			best_rank = rank;
		}
	}
	if (best == NULL)
		return false;
	e->st.evictions++;
	if (!(best->fflags & FF_DEAD))
		flow_end(e, best, R_END_EVICTED, now);
	flow_remove(e, best);
	return true;
}

static enum verdict_action
drop(struct engine *e, struct verdict *v, const struct nb_packet *p,
    const struct flow *f, enum flow_dir dir, uint16_t reason, uint8_t type,
    uint64_t now)
{
	struct event ev;

	v->action = V_DROP;
	v->reason = reason;
	e->st.dropped++;
	e->st.reason[reason]++;
	if (!engine_wants(e, type)) {
		engine_emit_none(e, type);
		return V_DROP;
	}
	if (f)
		engine_event_of_flow(e, f, type, now, &ev);
	else
		engine_event_of_packet(p, type, now, &ev);
	ev.reason = reason;
	ev.dir = (uint8_t)dir;
	engine_emit(e, &ev);
	return V_DROP;
}

/* Drop and answer the sender with a RST (AWS NAT gateway, ASA
 * resetoutbound, SRX tcp-rst). Never a RST for a RST, nor for anything
 * but TCP (a UDP or ICMP packet is only dropped). */
static enum verdict_action
reset_sender(struct engine *e, struct verdict *v, const struct nb_packet *p,
    const struct flow *f, enum flow_dir dir, uint16_t reason, uint64_t now)
{
	struct event ev;

	drop(e, v, p, f, dir, reason, EV_DROP, now);
	if ((p->flags & TH_RST) || p->kind != NBK_TCP || p->icmp_error)
		return V_DROP;
	rst_for_packet(p, &v->rst[0]);
	v->nrst = 1;
	v->action = V_RESET;
	e->st.resets_sent++;
	if (!engine_wants(e, EV_RESET)) {
		engine_emit_none(e, EV_RESET);
		return V_RESET;
	}
	if (f)
		engine_event_of_flow(e, f, EV_RESET, now, &ev);
	else
		engine_event_of_packet(p, EV_RESET, now, &ev);
	ev.reason = reason;
	ev.dir = (uint8_t)dir;
	engine_emit(e, &ev);
	return V_RESET;
}

enum verdict_action
late_verdict(struct engine *e, struct verdict *v, const struct nb_packet *p,
    const struct flow *f, enum flow_dir dir, uint8_t action, uint16_t reason,
    uint64_t now)
{
	if (action == LATE_RESET_SENDER)
		return reset_sender(e, v, p, f, dir, reason, now);
	return drop(e, v, p, f, dir, reason, EV_DROP, now);
}

/* A packet the tracker called invalid, passed (invalid.action = accept):
 * an [INVALID] event says so, the flow is untouched. */
static enum verdict_action
accept_invalid(struct engine *e, struct verdict *v, const struct nb_packet *p,
    const struct flow *f, enum flow_dir dir, uint16_t reason, uint64_t now)
{
	engine_emit_invalid(e, p, f, dir, reason, now);
	return engine_accept(e, v);
}

/* Restart or keep the flow's timer after an accepted packet. */
static void
flow_timer(struct engine *e, struct flow *f, enum flow_dir dir, bool refresh,
    uint64_t now)
{
	uint8_t ts = f->timer_state;
	uint64_t dl = f->deadline;

	policy_timer_next(e->pol, &f->trk, dir, refresh, now,
	    flowtab_count(e->ft) + e->outside, &ts, &dl);
	f->timer_state = ts;
	if (dl != f->deadline)
		set_deadline(e, f, dl);
}

/* Slot idx's kernel memory (struct tcp_last, kernel mode), the side
 * array taken at first need (a policy changed in place, not by
 * engine_set_policy(), has none yet). */
static inline struct tcp_last *
kern_last(struct engine *e, uint32_t idx)
{
	if (__builtin_expect(e->klast == NULL, 0))
		e->klast = flowtab_last_base(e->ft);
	return &e->klast[idx];
}

/* nf_tcp_handle_invalid(): a flow whose ends disagree with the tracker
 * (an invalid FIN or RST answering one) has its timer cut to
 * timeout.unacknowledged if 120 s or more are left; not refreshed. */
static void
shorten_timer(struct engine *e, struct flow *f, uint64_t now)
{
	uint64_t to = e->pol->unacknowledged;

	if (to == 0 || f->deadline < now + 120 * NS_PER_SEC || f->deadline <= now + to)
		return;
	set_deadline(e, f, now + to);
}

/* Which fault, if any, swallows this packet of a live flow. Checked
 * before the tracker sees it: a dropped packet never happened for the
 * flow, so endpoints retransmit and the same fault applies again. */
static uint16_t
fault_check(struct engine *e, const struct flow *f, enum flow_dir dir,
    const struct nb_packet *p)
{
	const double *fp = e->pol->fault;
	const struct tcp_dir *o = &f->trk.d[!dir];

	if (p->flags & TH_RST) {
		if (chance(e, fp[dir == DIR_ORIG ? FAULT_DROP_RST_ORIG : FAULT_DROP_RST_REPLY]))
			return R_FAULT_DROP_RST;
		return R_NONE;
	}
	if (p->flags & TH_FIN) {
		if (!(o->flags & TDF_FIN_SEEN)) {
			if (chance(e, fp[FAULT_DROP_FIRST_FIN]))
				return R_FAULT_DROP_FIRST_FIN;
		} else if (chance(e, fp[FAULT_DROP_SECOND_FIN])) {
			return R_FAULT_DROP_SECOND_FIN;
		}
	}
	/* The packet that would first acknowledge the peer's FIN. */
	if ((p->flags & TH_ACK) && (o->flags & (TDF_FIN_SEEN | TDF_FIN_ACKED)) == TDF_FIN_SEEN &&
	    (int32_t)(p->ack - o->end) >= 0 && chance(e, fp[FAULT_DROP_FIN_ACK]))
		return R_FAULT_DROP_FIN_ACK;
	return R_NONE;
}

/* No live flow for p: maybe start one. pickup says whether a mid-stream
 * packet may start it. */
static enum verdict_action
flow_start(struct engine *e, const struct nb_packet *p, uint32_t hash,
    bool pickup, uint64_t now, struct verdict *v)
{
	const struct policy *pol = e->pol;
	struct tcp_track trk;
	struct flow *f;
	struct event ev;
	uint16_t why;

	if (p->kind != NBK_TCP) {
		if (!decode_may_start(p)) {
			/* an ICMP reply no request opened: the kernel's
			 * icmp_new() calls it invalid */
			if (refused_unknown(e, p, now))
				return late_verdict(e, v, p, NULL, DIR_ORIG, pol->unknown_flow,
				    R_NO_FLOW, now);
			if (pol->invalid == BAD_DROP)
				return drop(e, v, p, NULL, DIR_ORIG, R_INVALID_STATE, EV_DROP, now);
			return accept_invalid(e, v, p, NULL, DIR_ORIG, R_INVALID_STATE, now);
		}
		dgram_track_new(&trk, p, now);
	} else if ((pol->window_tracking && !tcp_flags_valid(p->flags)) ||
	    !tcp_track_new(&trk, p, pickup && pol->tcp_loose)) {	/* tcp_error(), tcp_new() */
		if (refused_unknown(e, p, now))
			return late_verdict(e, v, p, NULL, DIR_ORIG, pol->unknown_flow, R_NO_FLOW, now);
		/* The kernel calls such a first packet invalid and does
		 * not track it. */
		if (pol->invalid == BAD_DROP)
			return drop(e, v, p, NULL, DIR_ORIG, R_INVALID_STATE, EV_DROP, now);
		return accept_invalid(e, v, p, NULL, DIR_ORIG, R_INVALID_STATE, now);
	}
	if (e->nat != NULL && (why = engine_nat_admit(e, p)) != R_NONE)
		return engine_nat_refuse(e, v, p, why, now);
	if (flowtab_count(e->ft) + e->outside >= e->max_flows &&
	    (pol->table_full == FULL_DROP || !evict_one(e, now)))
		return drop(e, v, p, NULL, DIR_ORIG, R_TABLE_FULL, EV_DROP, now);
	f = flowtab_insert(e->ft, p, hash);
	if (f == NULL)
		return drop(e, v, p, NULL, DIR_ORIG, R_TABLE_FULL, EV_DROP, now);
	if (e->nat != NULL && (why = engine_nat_flow_start(e, f, p, now)) != R_NONE) {
		flowtab_remove(e->ft, f);
		return drop(e, v, p, NULL, DIR_ORIG, why, EV_DROP, now);
	}
	f->family = p->family;
	f->trk = trk;
	if (p->kind == NBK_TCP && pol->window_tracking) {
		const struct tcp_conf tc = policy_tcp_conf(pol);

		tcp_kern_new(&f->trk, kern_last(e, flowtab_index(e->ft, f)), p, &tc);
	}
	f->serial = ++e->serial;
	f->last_seen = now;
	f->timer_state = (uint8_t)policy_timer_state(pol, &f->trk);
	if (e->untimed) {
		f->deadline = UINT64_MAX;
	} else {
		f->deadline = now + policy_timeout(pol, &f->trk, f->timer_state,
		    flowtab_count(e->ft) + e->outside);
		wheel_arm(&e->wheel, flowtab_index(e->ft, f));
	}
	v->flow = flowtab_index(e->ft, f);
	v->dir = DIR_ORIG;
	if (now < e->grace_until && pol->unknown_flow != LATE_PICKUP && p->kind == NBK_TCP &&
	    (p->flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN)
		e->st.grace_pickups++;
	engine_event_of_flow(e, f, EV_NEW, now, &ev);
	if (!e->untimed)
		ev.timeout = f->deadline - now;
	engine_emit(e, &ev);
	return engine_accept(e, v);
}

/* An ICMP message neither query, reply nor error (router discovery,
 * unassigned types): no conntrack starts with it or matches it, whatever
 * its identifier (the kernel's tuple holds the type), so it is invalid
 * and no flow is touched. */
enum verdict_action
engine_icmp_invalid(struct engine *e, const struct nb_packet *p, uint64_t now,
    struct verdict *v)
{
	v->ip_len = p->ip_len;
	if (refused_unknown(e, p, now))
		return late_verdict(e, v, p, NULL, DIR_ORIG, e->pol->unknown_flow, R_NO_FLOW, now);
	if (e->pol->invalid == BAD_DROP)
		return drop(e, v, p, NULL, DIR_ORIG, R_INVALID_STATE, EV_DROP, now);
	return accept_invalid(e, v, p, NULL, DIR_ORIG, R_INVALID_STATE, now);
}

/* An ICMP error about p's (inverted, quoted) tuple. It shares the
 * verdict of the flow it quotes and changes nothing of it: no flow is
 * started, refreshed or ended by one (RFC 5382 REQ-10, RFC 5508 REQ-8 and
 * section 2.2; the kernel marks it RELATED to that conntrack). */
static enum verdict_action
icmp_error(struct engine *e, const struct nb_packet *p, struct flow *f,
    enum flow_dir dir, uint64_t now, struct verdict *v)
{
	const struct policy *pol = e->pol;

	if (f == NULL) {
		if (!engine_picks_up(e, now))
			return drop(e, v, p, NULL, DIR_ORIG, R_NO_FLOW, EV_DROP, now);
		/* no conntrack matches the quote: nf_conntrack_inet_error()
		 * leaves it untracked, --ctstate INVALID */
		if (pol->invalid == BAD_DROP)
			return drop(e, v, p, NULL, DIR_ORIG, R_INVALID_STATE, EV_DROP, now);
		return accept_invalid(e, v, p, NULL, DIR_ORIG, R_INVALID_STATE, now);
	}
	v->flow = flowtab_index(e->ft, f);
	v->dir = (uint8_t)dir;
	if (f->fflags & FF_DEAD) {
		if (pol->after_expiry != LATE_PICKUP)
			return drop(e, v, p, f, dir, f->dead_reason, EV_DROP, now);
		return engine_accept(e, v);
	}
	e->st.icmp_errors++;
	if (e->watch.related)
		e->watch.related(e->watch.ctx, e->tag, v->flow, f, dir, now);
	if (pol->icmp_errors == BAD_DROP)
		return drop(e, v, p, f, dir, R_ICMP_ERROR, EV_DROP, now);
	return engine_accept(e, v);
}

/* A flow found due but not reaped yet: the deadline, not the wheel, is
 * the truth. Returns it as a tombstone, or NULL if it left the table (and
 * *pickup says whether its packets may start a flow again). */
static struct flow *
reap_due(struct engine *e, struct flow *f, bool *pickup)
{
	wheel_disarm(&e->wheel, flowtab_index(e->ft, f));
	if (f->fflags & FF_DEAD) {
		flowtab_remove(e->ft, f);
		return NULL;
	}
	flow_expire(e, f);
	if (f->fflags & FF_USED)
		return f;
	*pickup |= e->pol->after_expiry == LATE_PICKUP;
	return NULL;
}

/* p through its flow's tracker, into *r; or the fault (fault.*) that
 * drops it before the tracker sees it. */
static inline uint16_t
track_packet(struct engine *e, struct flow *f, enum flow_dir dir,
    const struct nb_packet *p, uint32_t idx, uint64_t now, struct tcp_result *r)
{
	uint16_t why;

	if (__builtin_expect(p->kind != NBK_TCP, 0)) {
		dgram_track_packet(&f->trk, dir, p, now, r);
		return R_NONE;
	}
	tcp_history_add(&f->trk, dir, p);
	why = fault_check(e, f, dir, p);
	if (why != R_NONE)
		return why;
	const struct tcp_conf tc = policy_tcp_conf(e->pol);

	tcp_track_packet_conf(&f->trk, tc.window ? kern_last(e, idx) : NULL, dir, p, &tc, r);
	return R_NONE;
}

/* Everything after decoding and hashing, translation aside. */
enum verdict_action
engine_track(struct engine *e, const struct nb_packet *p, uint32_t hash,
    uint64_t now, struct verdict *v)
{
	const struct policy *pol = e->pol;
	enum flow_dir dir;
	struct tcp_result r;
	struct flow *f;
	struct event ev;
	uint16_t why;
	bool pickup = engine_picks_up(e, now);

	v->ip_len = p->ip_len;
	f = flowtab_lookup(e->ft, p, hash, &dir);
	if (f && f->deadline <= now)
		f = reap_due(e, f, &pickup);
	if (__builtin_expect(p->icmp_error, 0))
		return icmp_error(e, p, f, dir, now, v);
	if (f && (f->fflags & FF_DEAD)) {
		/* A packet of a mapping that expired. A bare SYN is a new
		 * connection to a NAT that forgot the old one; so is any
		 * datagram its originator sends (a UDP, ICMP query or other
		 * mapping is made again by the inside's next packet, RFC
		 * 4787 section 4.3), while the other side's packets find no
		 * mapping: they get expire.later. */
		bool starts = p->kind == NBK_TCP ?
		    (p->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN :
		    dir == DIR_ORIG && decode_may_start(p);

		if (!starts && pol->after_expiry != LATE_PICKUP) {
			v->flow = flowtab_index(e->ft, f);
			v->dir = (uint8_t)dir;
			return late_verdict(e, v, p, f, dir, pol->after_expiry, f->dead_reason, now);
		}
		flow_remove(e, f);
		f = NULL;
		pickup = true;
	}
	if (f == NULL)
		return flow_start(e, p, hash, pickup, now, v);

	v->flow = flowtab_index(e->ft, f);
	v->dir = (uint8_t)dir;
	if (e->watch.before)
		e->watch.before(e->watch.ctx, e->tag, v->flow, f, dir, now);
	why = track_packet(e, f, dir, p, v->flow, now, &r);
	if (why != R_NONE)
		return drop(e, v, p, f, dir, why, EV_FAULT, now);
	if (e->watch.after)
		e->watch.after(e->watch.ctx, e->tag, v->flow, f, dir, p, &r, now);
	switch (r.outcome) {
	case TO_OK:
		break;
	case TO_IGNORE:
		f->last_seen = now;
		return engine_accept(e, v);
	case TO_INVALID_STATE:
	case TO_INVALID_WINDOW:
		why = r.outcome == TO_INVALID_STATE ? R_INVALID_STATE : R_INVALID_WINDOW;
		if (r.shorten && !e->untimed)
			shorten_timer(e, f, now);
		if (pol->invalid == BAD_DROP)
			return drop(e, v, p, f, dir, why, EV_DROP, now);
		return accept_invalid(e, v, p, f, dir, why, now);
	case TO_KILL:
		if (e->nat != NULL)
			engine_nat_rewrite(e, f, dir, v);
		flow_end(e, f, R_END_RST, now);
		flow_remove(e, f);
		v->flow = FLOW_NIL;
		return engine_accept(e, v);
	case TO_REOPEN:
		if (r.old_state == TCP_TIME_WAIT && pol->timewait_reopen == REOPEN_DROP)
			return drop(e, v, p, f, dir, R_TIMEWAIT_REUSE, EV_DROP, now);
		flow_end(e, f, R_END_REOPEN, now);
		flow_remove(e, f);
		return flow_start(e, p, hash, pickup, now, v);
	}

	f->last_seen = now;
	if (!e->untimed)
		flow_timer(e, f, dir, r.refresh, now);
	if (r.new_state != r.old_state) {
		if (!engine_wants(e, EV_UPDATE)) {
			engine_emit_none(e, EV_UPDATE);
		} else {
			engine_event_of_flow(e, f, EV_UPDATE, now, &ev);
			ev.old_state = r.old_state;
			if (!e->untimed)
				ev.timeout = f->deadline > now ? f->deadline - now : 0;
			engine_emit(e, &ev);
		}
	}
	return engine_accept(e, v);
}

unsigned
engine_expire(struct engine *e, uint64_t now, unsigned budget)
{
	unsigned n = 0;
	uint32_t idx;

	if (e->retime)
		n += retime_flows(e, now);
	while ((idx = wheel_pop_due(&e->wheel, now, &budget)) != FLOW_NIL) {
		struct flow *f = flowtab_pool(e->ft) + idx;

		if (f->fflags & FF_DEAD) {
			flowtab_remove(e->ft, f);
			continue;
		}
		flow_expire(e, f);
		n++;
	}
	return n;
}

