/* report_shadow.c -- compare's fast path: a profile follows the reference's tracking and runs its engine only where it parts from it. */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "report_pass.h"
#include "report_shadow.h"
#include "report_trace.h"
#include "track.h"

#define PREFETCH_AHEAD	16

/*
 * A profile's engine tracks every flow exactly as the reference does
 * until the profile does something else with it: a timer runs out, it
 * drops a packet, it keeps or ends state the reference does not. Up to
 * that packet the profile's state for the flow is the reference's plus
 * its own timer. So a profile need not run its engine over every packet:
 * a shadow keeps, per reference flow, the tracker state and the
 * profile's timer (the engine's own step, policy_timer_next()), and the
 * packet at which the profile parts from the reference hands the flow,
 * in its state just before that packet, to the profile's engine
 * (engine_adopt()). From then on the engine gets every packet of that
 * 4-tuple; packets of no reference flow go to the engine too. The engine
 * so sees exactly the packets, in the states, that it would have seen
 * running alone, only fewer of the others, and nothing it does depends
 * on those others as long as:
 *
 *  - no faults (their RNG draws run over every packet) and no adaptive
 *    timeouts (they scale with the table's count);
 *  - the count of its table is known where it matters: the shadows the
 *    real engine would still hold (deadline, plus a tombstone's time, in
 *    now's wheel tick or later) are counted per wheel tick and passed to
 *    the engine (engine_set_outside()), so a full table drops exactly as
 *    the real one would. A profile whose timeouts outrun the tick buckets
 *    only has an upper bound (~1 s buckets), and one that evicts cannot
 *    be followed when full: should their table come near full, the shadow
 *    gives up and report_run() judges the profile again with a full
 *    engine in a pass of its own;
 *  - expiry happens as the real engine's wheel would have done it: a flow
 *    (or tombstone) is reaped before a packet iff its deadline fell in an
 *    earlier tick, whenever the wheel last ran and however the flow came
 *    to it (timer.c); and whether a tombstone was reaped or is found due
 *    at lookup gives the same verdict.
 *
 * The reference's thread records for each packet what its tracker did
 * (a trace: the flow's slot, the outcome, the flow's state after it);
 * each profile's thread runs its shadow and its engine from the trace,
 * so profiles still run in parallel. A profile whose tracker differs from
 * the reference's (window tracking, and in kernel mode the tcp.* knobs)
 * runs its tracker itself, with its knobs, on its own copy of the state
 * (no lookup, no wheel; the kernel memory in a row of its own) and parts
 * from the reference when the two trackers end or restart flows
 * differently; it does not start a flow its tracker refuses. Shadows are off with
 * timelines, event streams and --write-dropped, which need every event.
 *
 * UDP, ICMP query and other-protocol flows are shadowed the same way:
 * their trackers never refuse or end a flow, so they part from the
 * reference only when their timer runs out. An ICMP error changes
 * nothing of the flow it quotes and takes its verdict: the shadow passes
 * it, unless the flow's timer ran out or the profile drops such errors
 * (then the flow parts there and the engine answers).
 */

/*
 * The real table holds the engine's flows and the shadows not reaped by
 * now. Returns 1 if it has room for one more; 0 if it is full and a full
 * table drops (the engine, told of the shadows, drops as the real one
 * would); -1 if that cannot be told exactly (the profile is given up).
 */
static int
room(struct shprof *s, uint64_t now)
{
	uint32_t max = s->p->pol->max_flows;

	shtimer_advance(&s->tm, now);
	if (s->tm.live + engine_flow_count(s->p->e) < max)
		return 1;
	/* what the engine would have reaped by now */
	engine_expire(s->p->e, now, UINT_MAX);
	if (s->tm.live + engine_flow_count(s->p->e) < max)
		return 1;
	if (s->tm.exact && s->pol->table_full == FULL_DROP)
		return 0;
	s->aborted = true;
	return -1;
}

/* Hand a flow (key, state filled in) over to the profile's engine with
 * its timer tdl. */
static void
hand_over(struct shprof *s, const struct flow *f, const struct tcp_last *k, uint64_t tdl,
    uint32_t id, uint64_t now)
{
	struct rprof *p = s->p;
	uint32_t a;

	if ((a = engine_adopt(p->e, f, k, shtimer_ts(tdl), shtimer_dl(tdl))) == FLOW_NIL) {
		engine_expire(p->e, now, UINT_MAX);
		a = engine_adopt(p->e, f, k, shtimer_ts(tdl), shtimer_dl(tdl));
	}
	if (a == FLOW_NIL) {
		s->aborted = true;
		return;
	}
	/* its expiry, if due, at the engine's next call reports to id */
	if (a < p->mapcap)
		p->map[a] = id;
}

/*
 * An own tracker's copy keeps no history of its own: the letters depend
 * only on the packets and their directions, which it sees exactly as the
 * reference does from the flow's first packet on (tcp_track_new() writes
 * the first letters in both). So the reference's history is the copy's,
 * and goes into the state a profile's engine takes over.
 */
static void
own_history(struct tcp_track *trk, const struct tcp_track *ref)
{
	memcpy(trk->hist, ref->hist, sizeof(trk->hist));
	trk->d[0].hist_seen = ref->d[0].hist_seen;
	trk->d[1].hist_seen = ref->d[1].hist_seen;
}

/* A profile's own tracker on its copy of a flow's state (k: its kernel
 * memory, in kernel mode): TCP's, with the profile's knobs, or the
 * datagram trackers (which the knobs, the reason it has one, do not
 * change). */
static inline void
own_track(const struct shprof *s, struct tcp_track *trk, struct tcp_last *k, uint8_t dir,
    const struct nb_packet *p, uint64_t now, struct tcp_result *res)
{
	if (__builtin_expect(p->kind != NBK_TCP, 0))
		dgram_track_packet(trk, (enum flow_dir)dir, p, now, res);
	else
		tcp_track_packet_conf(trk, k, (enum flow_dir)dir, p, &s->tc, res);
}

/* Row slot's kernel memory, for an own tracker in kernel mode. */
static inline struct tcp_last *
own_last(const struct shprof *s, uint32_t slot)
{
	return s->tc.window ? &s->orow[slot].k : NULL;
}

/* The flow's key as its originator sends, from a packet going dir (an
 * ICMP error's: the flow it quotes). */
static void
key_of(struct flow *f, const struct nb_packet *p, uint8_t dir)
{
	memset(f, 0, sizeof(*f));
	f->family = p->family;
	f->fflags = (uint8_t)(p->kind << FF_KIND_SHIFT);
	if (dir == DIR_ORIG) {
		f->src = p->src, f->dst = p->dst;
		f->sport = p->sport, f->dport = p->dport;
	} else {
		f->src = p->dst, f->dst = p->src;
		f->sport = p->dport, f->dport = p->sport;
	}
}

static bool
ends_flow(unsigned o)
{
	return o == TO_KILL || o == TO_REOPEN;
}

/*
 * The packet most packets are: one the reference tracked (TO_OK) in a
 * flow it already had, whose shadow's timer has not run out, for a
 * profile that follows the reference's tracker. Its timer moves on as
 * policy_timer_next() would move it (shadow_packet() does exactly this
 * the long way), from the profile's table by the state's timer key.
 * Returns false for any other packet.
 */
static inline bool
shadow_fast(struct shprof *s, const struct rtrace *t, uint64_t now)
{
	uint64_t *r, v, dl, ndl;
	uint8_t ts;

	if (t->slot == FLOW_NIL || t->outcome != TO_OK || (t->flags & TR_NEW))
		return false;
	r = &s->row[t->slot];
	v = *r;
	if (!(v & SHTIMER_SET) || (dl = shtimer_dl(v)) <= now)
		return false;
	ts = shtimer_ts(v);
	ndl = dl;
	shtimer_next(&s->tm, t->tkey, t->dir, (t->flags & TR_REFRESH) != 0, now, &ts, &ndl);
	if (ndl > SHTIMER_DL_MAX)
		return false;	/* the long way gives up on it */
	shtimer_advance(&s->tm, now);
	shtimer_move(&s->tm, r, dl, ts, ndl);
	s->pkts++;
	return true;
}

/*
 * shadow_fast() for a profile with a tracker of its own: the same
 * packet, when its own tracker also takes it (TO_OK), so the two still
 * agree. The tracker runs on a copy: any other outcome leaves the flow
 * as it was for shadow_packet() to do the long way.
 */
static inline bool
shadow_fast_own(struct shprof *s, const struct chunk *c, unsigned i)
{
	const struct rtrace *t = &c->tr[i];
	const struct engine_prep *pr;
	uint64_t now, *r, v, dl, ndl;
	struct tcp_track mine;
	struct tcp_last kmine;
	struct tcp_result res;
	struct shown *o;
	uint8_t ts;

	if (t->slot == FLOW_NIL || t->outcome != TO_OK || (t->flags & TR_NEW))
		return false;
	now = c->tp[i].now;
	r = &s->row[t->slot];
	v = *r;
	if (!(v & SHTIMER_SET) || (dl = shtimer_dl(v)) <= now)
		return false;
	o = &s->orow[t->slot];
	pr = c->tp[i].prep;
	mine = o->trk;
	kmine = o->k;
	own_track(s, &mine, &kmine, t->dir, &pr->p, now, &res);
	if (res.outcome != TO_OK)
		return false;
	ts = shtimer_ts(v);
	ndl = dl;
	shtimer_next(&s->tm, policy_timer_key(&mine), t->dir, res.refresh, now, &ts, &ndl);
	if (ndl > SHTIMER_DL_MAX)
		return false;
	shtimer_advance(&s->tm, now);
	shtimer_move(&s->tm, r, dl, ts, ndl);
	o->trk = mine;
	o->k = kmine;
	o->last_seen = now;
	s->pkts++;
	return true;
}

/* The engine's verdict on a packet of the shadow's: noted, then counted. */
static void
prof_verdict(void *ctx, const struct engine_tpkt *tp, const struct verdict *v)
{
	struct shprof *s = ctx;

	s->last = *v;
	report_prof_verdict(s->p, tp, v);
}

/* What became of a packet of a flow in the shadow. */
enum sh_fate {
	SH_ABSENT = 0,	/* the flow is not in the shadow */
	SH_TOOK,	/* the shadow took it */
	SH_REOPENED,	/* took it: both ended the flow with a reopen */
	SH_PARTED,	/* the profile parts from the reference here */
};

/*
 * A packet of a flow in the shadow (row r): its tracker state (the
 * reference's, or the profile's own) and its timer move on in the shadow,
 * unless the profile parts from the reference here (row cleared): its
 * timer ran out, it drops the packet, or it keeps state the reference
 * ends (or the reverse). s->aborted if the shadow gave up.
 */
static enum sh_fate
shadow_follow(struct shprof *s, const struct chunk *c, unsigned i, uint64_t *r)
{
	const struct rtrace *t = &c->tr[i];
	const struct engine_prep *pr = c->tp[i].prep;
	const struct policy *pol = s->pol;
	uint64_t now = c->tp[i].now;
	struct tcp_result own, ref = { .outcome = (enum tcp_outcome)t->outcome,
	    .old_state = t->old_state, .refresh = (t->flags & TR_REFRESH) != 0 };
	const struct tcp_result *res = &ref;
	unsigned key = t->tkey;	/* the state's after the packet */
	enum sh_fate fate = SH_TOOK;
	struct tcp_track mine;
	struct tcp_last kmine;

	if (shtimer_dl(*r) <= now) {
		/* its timer ran out: the engine takes it from here */
		shtimer_clear(&s->tm, r);
		return SH_PARTED;
	}
	if (s->own) {
		mine = s->orow[t->slot].trk;
		kmine = s->orow[t->slot].k;
		own_track(s, &mine, &kmine, t->dir, &pr->p, now, &own);
		res = &own;
		key = policy_timer_key(&mine);
	}
	/* it drops the packet, cuts its timer for it (kernel mode), or
	 * keeps state the reference ends (or the reverse): the engine takes
	 * the flow */
	if (((res->outcome == TO_INVALID_STATE || res->outcome == TO_INVALID_WINDOW) &&
	    (pol->invalid == BAD_DROP || res->shorten)) ||
	    (res->outcome == TO_REOPEN && res->old_state == TCP_TIME_WAIT &&
	    pol->timewait_reopen == REOPEN_DROP) ||
	    (res->outcome != ref.outcome && (ends_flow(res->outcome) || ends_flow(ref.outcome)))) {
		shtimer_clear(&s->tm, r);
		return SH_PARTED;
	}
	switch (res->outcome) {
	case TO_OK: {
		uint8_t ts = shtimer_ts(*r);
		uint64_t dl = shtimer_dl(*r);

		shtimer_next(&s->tm, key, t->dir, res->refresh, now, &ts, &dl);
		if (dl > SHTIMER_DL_MAX) {
			s->aborted = true;
			return SH_TOOK;
		}
		shtimer_move(&s->tm, r, shtimer_dl(*r), ts, dl);
		break;
	}
	case TO_KILL:
	case TO_REOPEN:
		/* both end it; a reopen starts the next (shadow_start()) */
		shtimer_clear(&s->tm, r);
		if (res->outcome == TO_REOPEN)
			fate = SH_REOPENED;
		break;
	default:	/* ignored, or invalid and accepted */
		break;
	}
	if (s->own) {
		s->orow[t->slot].trk = mine;
		s->orow[t->slot].k = kmine;
		if (res->outcome == TO_OK || res->outcome == TO_IGNORE)
			s->orow[t->slot].last_seen = now;
	}
	return fate;
}

/* The reference started a flow with a packet of a tuple the shadow had
 * no flow for: the profile starts it too, unless its engine holds state
 * for the tuple, it refuses a pickup (tcp.loose off too), or its tracker
 * calls the first packet invalid (in kernel mode, tcp_error()'s flags:
 * a first SYN+FIN the reference without window tracking takes). */
static bool
starts_too(const struct shprof *s, const struct rtrace *t, const struct engine_prep *pr)
{
	return pr->err == DEC_OK && !engine_has_flow(s->p->e, &pr->p, t->hash) &&
	    (!(t->ttf & TTF_PICKUP) ||
	    (s->pol->unknown_flow == LATE_PICKUP && s->pol->tcp_loose)) &&
	    !(s->tc.window && pr->p.kind == NBK_TCP && !tcp_flags_valid(pr->p.flags));
}

/* The profile starts the flow the reference did (nslot), in the shadow,
 * unless its table is full: then its engine gets the packet and drops it
 * (returns false). */
static bool
shadow_start(struct shprof *s, const struct chunk *c, unsigned i)
{
	const struct rtrace *t = &c->tr[i];
	uint64_t now = c->tp[i].now, dl;
	unsigned key = t->tkey;
	struct tcp_track mine;
	struct tcp_last kmine;

	if (s->own) {
		const struct nb_packet *p = &c->tp[i].prep->p;

		if (p->kind != NBK_TCP) {
			dgram_track_new(&mine, p, now);
		} else {
			tcp_track_new(&mine, p, true);
			if (s->tc.window)	/* as the engine's flow start */
				tcp_kern_new(&mine, &kmine, p, &s->tc);
		}
		key = policy_timer_key(&mine);
	}
	dl = now + s->tm.tk[key].to;
	if (room(s, now) <= 0)
		return false;
	if (dl > SHTIMER_DL_MAX) {
		s->aborted = true;
		return false;
	}
	s->row[t->nslot] = shtimer_pack(s->tm.tk[key].ts, dl);
	shtimer_add(&s->tm, dl);
	if (s->own) {
		s->orow[t->nslot].trk = mine;
		if (mine.flags & TTF_KERN)
			s->orow[t->nslot].k = kmine;
		s->orow[t->nslot].last_seen = now;
	}
	return true;
}

/* The flow parts from the reference at packet i: the profile's engine
 * takes it over in its state just before the packet, with the shadow's
 * timer pre. */
static void
shadow_part(struct shprof *s, const struct chunk *c, unsigned i, uint64_t pre)
{
	const struct rtrace *t = &c->tr[i];
	uint32_t slot = (t->flags & TR_ICMP_ERROR) ? t->nslot : t->slot;
	const struct tcp_last *k;
	struct flow af;

	key_of(&af, &c->tp[i].prep->p, t->dir);
	if (s->own) {
		/* its own state, untouched since the flow parted */
		af.trk = s->orow[slot].trk;
		af.last_seen = s->orow[slot].last_seen;
		k = own_last(s, slot);
		own_history(&af.trk, &c->pre[i].trk);
	} else {
		/* the reference's: no kernel memory (report_trace.h) */
		af.trk = c->pre[i].trk;
		af.last_seen = c->pre[i].last_seen;
		k = NULL;
	}
	hand_over(s, &af, k, pre, t->id, c->tp[i].now);
}

/* A packet the shadow did not take, through the profile's engine. */
static void
shadow_engine(struct shprof *s, const struct chunk *c, unsigned i)
{
	const struct rtrace *t = &c->tr[i];
	const struct engine_tpkt *tp = &c->tp[i];
	uint64_t now = tp->now;
	uint32_t slot;

	if (!(s->tm.exact && s->pol->table_full == FULL_DROP) && room(s, now) < 0)
		return;
	shtimer_advance(&s->tm, now);
	/* A flow the engine refused goes on being refused without a look
	 * (most of a full table's drops): the lookup, the burst and the
	 * flow start are spared. */
	slot = (t->flags & (TR_NEW | TR_ICMP_ERROR)) ? t->nslot : t->slot;
	if (slot != FLOW_NIL && !(t->flags & TR_NEW) && s->row[slot] == SH_NO_STATE &&
	    engine_no_flow(s->p->e, tp, report_prof_verdict, s->p)) {
		s->no_flow++;
		return;
	}
	engine_set_outside(s->p->e, (uint32_t)s->tm.live);
	engine_process_timed(s->p->e, tp, 1, prof_verdict, s);
	if (slot == FLOW_NIL)
		return;
	/* The engine has no flow for the tuple after a drop that found none
	 * and made none: the next packet of the flow meets the same. */
	if (s->last.flow == FLOW_NIL && s->last.action != V_ACCEPT &&
	    (s->last.reason == R_NO_FLOW || s->last.reason == R_TABLE_FULL))
		s->row[slot] = SH_NO_STATE;
	else if (s->row[slot] == SH_NO_STATE)
		s->row[slot] = 0;
}

/*
 * An ICMP error about a flow in the shadow. The engine would look the
 * flow up and, live, give the error its verdict without touching it
 * (engine.c icmp_error()): passed, and counted, unless the profile drops
 * errors. Then, or if the flow's timer ran out (the lookup would reap
 * it), the flow parts here and the engine answers. Returns true if the
 * shadow took it.
 */
static bool
shadow_icmp_error(struct shprof *s, const struct chunk *c, unsigned i)
{
	uint64_t *r = &s->row[c->tr[i].nslot], pre = *r;

	if (!(pre & SHTIMER_SET))
		return false;
	if (shtimer_dl(pre) > c->tp[i].now && s->pol->icmp_errors != BAD_DROP) {
		s->pkts++;
		s->icmp_errors++;
		return true;
	}
	shtimer_clear(&s->tm, r);
	shadow_part(s, c, i, pre);
	return false;
}

/* One packet the fast paths did not take: in the shadow, or through the
 * engine (after a hand-over if the flow parts here). Kept out of
 * shadow_chunk()'s loop, which the fast paths have nearly to themselves. */
static __attribute__((noinline)) void
shadow_packet(struct shprof *s, const struct chunk *c, unsigned i)
{
	const struct rtrace *t = &c->tr[i];
	enum sh_fate fate = SH_ABSENT;
	uint64_t pre = 0;
	bool took;

	/* before any deadline is filed: buckets cover now onwards */
	shtimer_advance(&s->tm, c->tp[i].now);
	if (t->flags & TR_ICMP_ERROR) {
		if (!shadow_icmp_error(s, c, i) && !s->aborted)
			shadow_engine(s, c, i);
		return;
	}
	if (t->slot != FLOW_NIL && (s->row[t->slot] & SHTIMER_SET)) {
		pre = s->row[t->slot];
		fate = shadow_follow(s, c, i, &s->row[t->slot]);
		if (s->aborted)
			return;
	}
	took = fate == SH_TOOK || fate == SH_REOPENED;
	if (t->flags & TR_NEW) {
		s->row[t->nslot] = 0;
		/* after a reopen both start the next; else a first packet */
		if (fate == SH_REOPENED || (fate == SH_ABSENT && starts_too(s, t, c->tp[i].prep)))
			took = shadow_start(s, c, i);
		if (s->aborted)
			return;
	}
	if (took) {
		s->pkts++;
		return;
	}
	if (fate == SH_PARTED) {
		shadow_part(s, c, i, pre);
		if (s->aborted)
			return;
	}
	shadow_engine(s, c, i);
}

/* The reference forgot a flow: the profile keeps its shadow's state. */
static void
shadow_evict(struct shprof *s, const struct revict *v, uint64_t now)
{
	uint64_t *r = &s->row[v->slot], pre = *r;
	const struct tcp_last *k;
	struct flow af;

	if (!(pre & SHTIMER_SET))
		return;
	shtimer_clear(&s->tm, r);
	memset(&af, 0, sizeof(af));
	af.family = v->family;
	af.fflags = (uint8_t)(v->kind << FF_KIND_SHIFT);
	af.src = v->src;
	af.dst = v->dst;
	af.sport = v->sport;
	af.dport = v->dport;
	if (s->own) {
		af.trk = s->orow[v->slot].trk;
		af.last_seen = s->orow[v->slot].last_seen;
		k = own_last(s, v->slot);
		own_history(&af.trk, &v->trk);
	} else {
		af.trk = v->trk;
		af.last_seen = v->last_seen;
		k = NULL;
	}
	hand_over(s, &af, k, pre, v->id, now);
}

void
shadow_chunk(struct rprof *p, const struct chunk *c)
{
	struct shprof *s = p->sh;
	unsigned e = 0;

	for (unsigned i = 0; i < c->n && !s->aborted; i++) {
		if (i + PREFETCH_AHEAD < c->n) {
			const struct rtrace *t = &c->tr[i + PREFETCH_AHEAD];

			if (t->slot != FLOW_NIL) {
				__builtin_prefetch(&s->row[t->slot], 1);
				if (s->own)
					__builtin_prefetch(&s->orow[t->slot], 1);
			}
			if (t->flags & TR_NEW) {
				__builtin_prefetch(&s->row[t->nslot], 1);
				engine_prefetch(p->e, t->hash);
			}
			/* a new flow's packet is read (its tuple, err); an
			 * own tracker reads every one */
			if (s->own || (t->flags & TR_NEW)) {
				const char *pr = (const char *)c->tp[i + PREFETCH_AHEAD].prep;

				__builtin_prefetch(pr);
				__builtin_prefetch(pr + sizeof(struct engine_prep) - 1);
			}
		}
		for (; e < c->nev && c->ev[e].tag == i && !s->aborted; e++)
			shadow_evict(s, &c->ev[e], c->tp[i].now);
		if (s->aborted)
			break;
		if (s->own ? !shadow_fast_own(s, c, i) : !shadow_fast(s, &c->tr[i], c->tp[i].now))
			shadow_packet(s, c, i);
	}
}
