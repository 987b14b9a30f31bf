/* engine_admin.c -- an engine beside its packets: creation, profile swaps (live flows re-timed), flushes, and read-only views. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* After a profile change every live flow runs the new profile's timer,
 * counted from its last packet (absolute timers: from entering the
 * state). A flow already idle longer than the new timeout expires now,
 * at the change, never before it. The pass over the table is spread over
 * the engine's next calls, RETIME_CHUNK slots each, so a big table does
 * not stall one burst; a flow that sends meanwhile takes the new timer
 * from its own packet anyway. */
#define RETIME_CHUNK	65536u

unsigned
retime_flows(struct engine *e, uint64_t now)
{
	unsigned expired = 0;
	const struct policy *pol = e->pol;
	struct flow *pool = flowtab_pool(e->ft);
	uint32_t cap = flowtab_capacity(e->ft), n = flowtab_count(e->ft);
	uint32_t end = cap - e->retime_next > RETIME_CHUNK ?
	    e->retime_next + RETIME_CHUNK : cap;

	for (uint32_t i = e->retime_next; i < end; i++) {
		struct flow *f = &pool[i];
		enum tcp_state ts;
		uint64_t to, dl;

		if ((f->fflags & (FF_USED | FF_DEAD)) != FF_USED)
			continue;
		ts = policy_timer_state(pol, &f->trk);
		to = policy_timeout(pol, &f->trk, ts, n);
		if (pol->refresh[ts] == REFRESH_NONE && ts == f->timer_state &&
		    f->deadline >= e->old_timeout[ts])
			dl = f->deadline - e->old_timeout[ts] + to;
		else
			dl = f->last_seen + to;
		f->timer_state = (uint8_t)ts;
		if (dl > now) {
			set_deadline(e, f, dl);
			continue;
		}
		f->deadline = now;
		wheel_disarm(&e->wheel, i);
		flow_expire(e, f);
		expired++;
	}
	e->retime_next = end;
	e->retime = end < cap;
	return expired;
}

void
engine_flush(struct engine *e, uint64_t now)
{
	struct flow *pool = flowtab_pool(e->ft);
	uint32_t cap = flowtab_capacity(e->ft);

	for (uint32_t i = 0; i < cap; i++) {
		if (!(pool[i].fflags & FF_USED))
			continue;
		if (!(pool[i].fflags & FF_DEAD))
			flow_end(e, &pool[i], R_END_FLUSH, now);
		flow_remove(e, &pool[i]);
	}
}

int
engine_flow_end(struct engine *e, uint32_t idx, uint64_t now)
{
	struct flow *f;

	if (idx >= flowtab_capacity(e->ft))
		return -1;
	f = flowtab_pool(e->ft) + idx;
	if (!(f->fflags & FF_USED))
		return -1;
	if (!(f->fflags & FF_DEAD))
		flow_end(e, f, R_END_FLUSH, now);
	flow_remove(e, f);
	return 0;
}

void
engine_foreach(struct engine *e, void (*fn)(void *ctx, const struct flow *f), void *ctx)
{
	struct flow *pool = flowtab_pool(e->ft);
	uint32_t cap = flowtab_capacity(e->ft);

	for (uint32_t i = 0; i < cap; i++)
		if (pool[i].fflags & FF_USED)
			fn(ctx, &pool[i]);
}

/* Engines with one seed hash alike; prepared packets say whose they are.
 * Never 0, which no engine_prepare() writes (a zeroed prep is refused). */
static uint64_t
key_id(const uint64_t seed[2])
{
	uint64_t z = seed[0] ^ (seed[1] * 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
	return (z ^ (z >> 29)) | 1;
}

static void
reseed(struct engine *e)
{
	e->rng_seed = e->pol->fault_seed;
	e->rng = e->pol->fault_seed;
}

struct engine *
engine_new(const struct policy *p, const struct engine_ops *ops,
    const uint64_t seed[2], uint64_t now)
{
	return engine_new_lazy(p, ops, seed, now, false);
}

/* Kernel mode's side entries (flowtab_last()), at hand from the first
 * profile in that mode on, and backed ahead like the rest of an eager
 * table. */
static void
last_touch(struct engine *e)
{
	if (!e->pol->window_tracking || e->klast != NULL)
		return;
	if (!e->lazy)
		flowtab_last_touch(e->ft);
	e->klast = flowtab_last_base(e->ft);
}

struct engine *
engine_new_lazy(const struct policy *p, const struct engine_ops *ops,
    const uint64_t seed[2], uint64_t now, bool lazy)
{
	struct engine *e = calloc(1, sizeof(*e));
	uint64_t key[2] = { seed[0], seed[1] };

	if (e == NULL)
		return NULL;
	e->pol = p;
	e->tag = EV_TAG_NONE;
	if (ops)
		e->ops = *ops;
	e->max_flows = p->max_flows;
	e->keyid = key_id(seed);
	e->evmask = UINT32_MAX;
	e->ft = flowtab_new_lazy(p->max_flows, key, lazy);
	if (e->ft == NULL ||
	    wheel_init(&e->wheel, flowtab_pool(e->ft), WHEEL_SLOTS_LOG2,
	    WHEEL_TICK_SHIFT, now) != 0) {
		flowtab_free(e->ft);
		free(e);
		return NULL;
	}
	if (engine_nat_init(e, p, seed) != 0) {
		engine_free(e);
		return NULL;
	}
	e->lazy = lazy;
	last_touch(e);
	reseed(e);
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	engine_nat_fini(e);
	wheel_free(&e->wheel);
	flowtab_free(e->ft);
	free(e);
}

int
engine_set_policy(struct engine *e, const struct policy *p)
{
	if (p->max_flows != e->max_flows)
		return -1;
	if (nat_on(&p->nat) != (e->nat != NULL) ||
	    (e->nat != NULL && !nat_conf_compatible(nat_conf_of(e->nat), &p->nat)))
		return -1;
	if (e->nat != NULL)
		nat_set_conf(e->nat, &p->nat);
	if (p != e->pol) {
		/* A change during a pass restarts it; flows already done keep
		 * deadlines from the profile in between, as they would have. */
		memcpy(e->old_timeout, e->pol->timeout, sizeof(e->old_timeout));
		e->retime = !e->untimed;
		e->retime_next = 0;
	}
	e->pol = p;
	last_touch(e);
	if (p->fault_seed != e->rng_seed)
		reseed(e);
	return 0;
}

void
engine_set_event_mask(struct engine *e, uint32_t mask)
{
	e->evmask = mask;
}

void
engine_set_untimed(struct engine *e)
{
	e->untimed = true;
}

const struct flow *
engine_flow_at(const struct engine *e, uint32_t idx)
{
	const struct flow *f;

	if (idx >= flowtab_capacity(e->ft))
		return NULL;
	f = flowtab_pool(e->ft) + idx;
	return (f->fflags & FF_USED) ? f : NULL;
}

const struct policy *
engine_policy(const struct engine *e)
{
	return e->pol;
}

void
engine_set_grace(struct engine *e, uint64_t until)
{
	e->grace_until = until;
}

const struct engine_stats *
engine_stats(const struct engine *e)
{
	return &e->st;
}

uint32_t
engine_flow_count(const struct engine *e)
{
	return flowtab_count(e->ft);
}

size_t
engine_memory(const struct engine *e)
{
	size_t n = sizeof(*e) + flowtab_memory(e->ft) +
	    ((size_t)e->wheel.mask + 2) * sizeof(uint32_t);

	if (e->nat != NULL)
		n += nat_memory(e->nat) + (size_t)e->max_flows * sizeof(*e->fnat);
	return n;
}
