/* report_ring.c -- the ring of chunks between the pass's threads: the reader hands chunks on, the reference's thread runs each through the reference, then every profile's thread through its engine or shadow. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "report_pass.h"
#include "report_trace.h"

/* A profile's thread */
struct worker {
	struct pass *ps;
	struct rprof *p;
	pthread_t tid;
};

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
struct chunk *
ring_publish(struct pass *ps, struct chunk *c)
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

unsigned
ring_size(const char *path)
{
	uint64_t n = capture_size(path);	/* UINT64_MAX: a pipe */

	return n != UINT64_MAX && n > RING_BIG_FILE ? NCHUNKS : NCHUNKS / 2;
}

void
ring_init(struct pass *ps)
{
	for (unsigned i = 0; i < ps->nchunks; i++) {
		ps->ch[i].pk = report_xrealloc(NULL, CHUNK_PKTS, sizeof(*ps->ch[i].pk));
		ps->ch[i].tp = report_xrealloc(NULL, CHUNK_PKTS, sizeof(*ps->ch[i].tp));
		ps->ch[i].prep = report_xrealloc(NULL, CHUNK_PKTS, sizeof(*ps->ch[i].prep));
		ps->ch[i].cap = CHUNK_BYTES;
		ps->ch[i].data = report_xrealloc(NULL, ps->ch[i].cap, 1);
	}
}

void
ring_free(struct pass *ps)
{
	for (unsigned i = 0; i < ps->nchunks; i++) {
		free(ps->ch[i].pk);
		free(ps->ch[i].tp);
		free(ps->ch[i].prep);
		free(ps->ch[i].data);
	}
}

void
ring_run(struct pass *ps)
{
	struct report *r = ps->r;
	struct worker *ws = NULL;
	pthread_t ref_tid;
	unsigned i;

	pthread_mutex_init(&ps->mu, NULL);
	pthread_cond_init(&ps->more, NULL);
	pthread_cond_init(&ps->room, NULL);
	if (r->nprof && (ws = calloc(r->nprof, sizeof(*ws))) == NULL)
		fatal("calloc");
	for (i = 0; i < r->nprof; i++) {
		ws[i].ps = ps;
		ws[i].p = &r->prof[i];
		errno = pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]);
		if (errno != 0)
			fatal("pthread_create");
	}
	errno = pthread_create(&ref_tid, NULL, ref_main, ps);
	if (errno != 0)
		fatal("pthread_create");
	pass_read(ps);
	pthread_join(ref_tid, NULL);
	for (i = 0; i < r->nprof; i++)
		pthread_join(ws[i].tid, NULL);
	free(ws);
	pthread_mutex_destroy(&ps->mu);
	pthread_cond_destroy(&ps->more);
	pthread_cond_destroy(&ps->room);
}
