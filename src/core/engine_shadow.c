/* engine_shadow.c -- an engine's hooks for a shadow pass: observers of its tracker, flows counted outside it, lookups and refusals for a caller that times flows itself, adopting a flow. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine_int.h"

void
engine_set_watch(struct engine *e, const struct engine_watch *w)
{
	if (w)
		e->watch = *w;
	else
		memset(&e->watch, 0, sizeof(e->watch));
}

void
engine_set_outside(struct engine *e, uint32_t n)
{
	e->outside = n;
}

void
engine_prefetch(const struct engine *e, uint32_t hash)
{
	flowtab_prefetch(e->ft, hash);
}

bool
engine_has_flow(struct engine *e, const struct nb_packet *p, uint32_t hash)
{
	enum flow_dir dir;

	return flowtab_lookup(e->ft, p, hash, &dir) != NULL;
}

bool
engine_no_flow(struct engine *e, const struct engine_tpkt *tp, engine_verdict_fn fn,
    void *ctx)
{
	const struct engine_prep *pr = tp->prep;
	struct verdict v;

	/* flow_start()'s first test, for a packet no lookup found */
	if (pr == NULL || pr->err != DEC_OK || e->retime || !refused_unknown(e, &pr->p, tp->now))
		return false;
	e->tag = tp->tag;
	verdict_init(e, &v);
	e->st.decode[DEC_OK]++;
	v.ip_len = pr->p.ip_len;
	late_verdict(e, &v, &pr->p, NULL, DIR_ORIG, e->pol->unknown_flow, R_NO_FLOW, tp->now);
	e->tag = EV_TAG_NONE;
	fn(ctx, tp, &v);
	return true;
}

uint32_t
engine_adopt(struct engine *e, const struct flow *src, const struct tcp_last *k,
    uint8_t timer_state, uint64_t deadline)
{
	struct nb_packet key;
	struct flow *f;

	/* not against `outside`: the flow was counted there */
	if (flowtab_count(e->ft) >= e->max_flows)
		return FLOW_NIL;
	memset(&key, 0, sizeof(key));
	key.family = src->family;
	key.src = src->src;
	key.dst = src->dst;
	key.sport = src->sport;
	key.dport = src->dport;
	key.kind = (uint8_t)flow_kind(src);
	if ((f = flowtab_insert(e->ft, &key, flowtab_hash(e->ft, &key))) == NULL)
		return FLOW_NIL;
	f->trk = src->trk;
	if (f->trk.flags & TTF_KERN) {
		/* without its kernel memory the next packet starts it again
		 * (a flow of a tracker that had none) */
		if (k != NULL)
			*flowtab_last(e->ft, f) = *k;
		else
			f->trk.flags &= (uint8_t)~TTF_KERN;
	}
	f->serial = ++e->serial;
	f->last_seen = src->last_seen;
	f->timer_state = timer_state;
	f->deadline = deadline;
	wheel_arm(&e->wheel, flowtab_index(e->ft, f));
	return flowtab_index(e->ft, f);
}
