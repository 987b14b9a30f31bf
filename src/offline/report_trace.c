/* report_trace.c -- the reference's side of the shadows: what its tracker did with each packet, written into the chunk for every profile's shadow to follow. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "log.h"
#include "report_pass.h"
#include "report_trace.h"

struct shadows {
	struct rtrace cur;	/* the reference's packet in hand */
};

static void
tr_summary(struct rtrace *t, const struct tcp_track *trk)
{
	t->ttf = trk->flags;
	t->tkey = (uint16_t)policy_timer_key(trk);
}

static void
tr_reset(struct rtrace *t)
{
	t->slot = t->nslot = FLOW_NIL;
	t->flags = 0;
}

/*
 * The flow's state before each packet is written for every packet and
 * read back only for the few a profile takes over: streaming stores, which
 * skip reading each line into the cache first and do not push the flows
 * out of it.
 */
static inline void
pre_store(struct rpre *pre, const struct tcp_track *trk, uint64_t last_seen)
{
#if defined(__x86_64__) && defined(__SSE2__)
	const __m128i *from = (const __m128i *)(const void *)trk;
	__m128i *to = (__m128i *)(void *)pre;

	_Static_assert(sizeof(*pre) == 64 && sizeof(*trk) == 48 &&
	    offsetof(struct rpre, last_seen) == 48, "rpre goes out in four 16-byte stores");
	_mm_stream_si128(to, _mm_loadu_si128(from));
	_mm_stream_si128(to + 1, _mm_loadu_si128(from + 1));
	_mm_stream_si128(to + 2, _mm_loadu_si128(from + 2));
	_mm_stream_si128(to + 3, _mm_set_epi64x(0, (long long)last_seen));
#else
	pre->trk = *trk;
	pre->last_seen = last_seen;
#endif
}

/* The reference's thread, before it hands a chunk on: its streaming
 * stores are done. */
void
trace_fence(void)
{
#if defined(__x86_64__) && defined(__SSE2__)
	_mm_sfence();
#endif
}

static void
tr_before(void *ctx, uint32_t tag, uint32_t slot, const struct flow *f,
    enum flow_dir dir, uint64_t now)
{
	struct pass *ps = ctx;
	struct rtrace *t = &ps->sh->cur;
	struct rpre *pre = &ps->cur->pre[tag];

	(void)now;
	pre_store(pre, &f->trk, f->last_seen);
	t->slot = slot;
	t->id = f->serial - 1;		/* its capture flow (report_ref.c, ref_id()) */
	t->dir = (uint8_t)dir;
}

/* A flow the reference will likely get a packet of soon: its capture
 * flow's counters (ref_account()), while the tracker works on others.
 * r->flows only grows on this thread. */
static void
tr_ahead(void *ctx, const struct flow *f)
{
	const struct pass *ps = ctx;
	uint32_t id = f->serial - 1;

	if (id < ps->r->fcap)
		__builtin_prefetch(&ps->r->flows[id], 1);
}

static void
tr_after(void *ctx, uint32_t tag, uint32_t slot, const struct flow *f,
    enum flow_dir dir, const struct nb_packet *p, const struct tcp_result *r,
    uint64_t now)
{
	struct pass *ps = ctx;
	struct rtrace *t = &ps->sh->cur;

	(void)tag;
	(void)slot;
	(void)dir;
	(void)p;
	(void)now;
	t->outcome = (uint8_t)r->outcome;
	t->old_state = r->old_state;
	if (r->refresh)
		t->flags |= TR_REFRESH;
	tr_summary(t, &f->trk);
}

void
trace_new(struct pass *ps, const struct event *ev)
{
	struct rtrace *t = &ps->sh->cur;
	const struct flow *f = engine_flow_at(ps->ref, ev->flow);

	if (f == NULL || ev->tag == EV_TAG_NONE)
		return;
	t->nslot = ev->flow;
	t->flags |= TR_NEW;
	t->hash = ps->cur->prep[ev->tag].hash;
	tr_summary(t, &f->trk);
}

void
trace_evicted(struct pass *ps, const struct event *ev)
{
	struct chunk *c = ps->cur;
	const struct flow *f = engine_flow_at(ps->ref, ev->flow);
	struct revict *v;

	if (f == NULL || ev->tag == EV_TAG_NONE)
		return;
	if (c->nev == c->evcap) {
		c->evcap = c->evcap ? c->evcap * 2 : 64;
		if ((c->ev = realloc(c->ev, c->evcap * sizeof(*c->ev))) == NULL)
			fatal("realloc");
	}
	v = &c->ev[c->nev++];
	v->tag = ev->tag;
	v->slot = ev->flow;
	v->id = f->serial - 1;
	v->family = f->family;
	v->kind = (uint8_t)flow_kind(f);
	v->src = f->src;
	v->dst = f->dst;
	v->sport = f->sport;
	v->dport = f->dport;
	v->trk = f->trk;
	v->last_seen = f->last_seen;
}

/* An ICMP error about a live flow (the engine's related hook, by way of
 * ref_related()): the flow, its slot and its state, which the error does
 * not change. */
void
trace_related(struct pass *ps, uint32_t tag, uint32_t slot, const struct flow *f,
    enum flow_dir dir)
{
	struct rtrace *t = &ps->sh->cur;

	if (tag == EV_TAG_NONE)
		return;
	pre_store(&ps->cur->pre[tag], &f->trk, f->last_seen);
	t->nslot = slot;
	t->id = f->serial - 1;
	t->dir = (uint8_t)dir;
	t->flags |= TR_ICMP_ERROR;
}

void
trace_verdict(struct pass *ps, const struct engine_tpkt *tp)
{
	struct rtrace *t = &ps->sh->cur;

	ps->cur->tr[tp->tag] = *t;
	tr_reset(t);
}

void
trace_setup(struct pass *ps)
{
	struct engine_watch w = { .before = tr_before, .after = tr_after, .ctx = ps,
	    .ahead = tr_ahead, .related = ref_related };

	if ((ps->sh = calloc(1, sizeof(*ps->sh))) == NULL)
		fatal("calloc");
	tr_reset(&ps->sh->cur);
	for (unsigned k = 0; k < ps->nchunks; k++)
		if ((ps->ch[k].tr = calloc(CHUNK_PKTS, sizeof(*ps->ch[k].tr))) == NULL ||
		    (ps->ch[k].pre = aligned_alloc(64, CHUNK_PKTS * sizeof(*ps->ch[k].pre))) == NULL)
			fatal("calloc");
	engine_set_watch(ps->ref, &w);
}

void
trace_free(struct pass *ps)
{
	for (unsigned k = 0; k < ps->nchunks; k++) {
		free(ps->ch[k].tr);
		free(ps->ch[k].pre);
		free(ps->ch[k].ev);
		ps->ch[k].tr = NULL;
		ps->ch[k].pre = NULL;
		ps->ch[k].ev = NULL;
	}
	free(ps->sh);
	ps->sh = NULL;
}
