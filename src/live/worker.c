/* worker.c -- the live path's workers: one thread per queue, NFQUEUE in,
 * verdicts and RSTs out.
 *
 * With --queue 0-3 natbox runs one worker thread per queue, each with its
 * own netlink socket, its own engine (its own flow table) and its own raw
 * sockets: no lock on the packet path.
 *
 * The loop per worker: poll for the first message (timeout so the timers
 * run every EXPIRE_EVERY_NS), read a burst with one recvmmsg(MSG_DONTWAIT),
 * read CLOCK_MONOTONIC once, run every packet through engine_process(),
 * send all the burst's verdicts in one sendto(), then the RSTs, then the
 * burst's event lines in one write.
 *
 * Between bursts a worker picks up a new profile (livepol.c publishes it),
 * answers its control mailbox (ctl.c's thread reaches the engine only
 * through it), dumps its flows when asked and runs the timers. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "clock.h"
#include "ctl.h"
#include "engine.h"
#include "evsink.h"
#include "livepol.h"
#include "log.h"
#include "nfq.h"
#include "natrw.h"
#include "rstsend.h"
#include "worker.h"

#define EXPIRE_EVERY_NS	(10 * 1000000ULL)
#define EXPIRE_BUDGET	4096		/* flows looked at per engine_expire() */
#define DRAIN_BURSTS	64		/* bursts read after a stop request */
#define RST_PENDING	64
#define ICMP_PENDING	64
/* NFQNL_COPY_PACKET's largest range: whole packets, for translation */
#define COPY_WHOLE	0xffff

struct worker {
	struct workers *ws;		/* the shared stop and dump requests */
	pthread_t tid;
	bool started;
	uint16_t queue;
	unsigned burst;
	struct nfqueue *q;
	struct engine *e;
	struct rstsend *rs;
	struct engine_ops ops;
	struct evbuf *eb;		/* lines to the event sink, or NULL */
	struct evbuf *dump;		/* where flow dumps go (eb, or the dump sink) */
	struct ctl_worker *cw;		/* its half of the control path, or NULL */
	struct livepol_reader pr;
	unsigned dump_seen;
	uint64_t dump_now;
	unsigned dumped, dump_dead;

	/* RSTs wait until the burst's verdicts are out: the packets accepted
	 * before a reset leave before it. */
	struct rst_spec rst[RST_PENDING];
	unsigned nrst;
	/* ICMP errors (nat.unsolicited = icmp), built, waiting likewise */
	uint8_t icmp[ICMP_PENDING][NATRW_UNREACH_MAX];
	uint16_t icmp_len[ICMP_PENDING];
	unsigned nicmp;

	/* counters (this thread only; the main thread reads them after join) */
	uint64_t packets, bursts, max_burst, unseen;
	uint64_t rw_failed;		/* translated packets nat_rewrite() refused: dropped */
	_Atomic uint64_t id_gaps;	/* the queue's id_gaps, for workers_id_gaps() */
	bool failed;
	int fail_errno;
	struct nfqueue_stats nst;		/* copied before the queue closes */

	struct nfqueue_pkt pkts[NFQUEUE_BURST_MAX];
	struct engine_pkt epkts[NFQUEUE_BURST_MAX];
	struct verdict v[NFQUEUE_BURST_MAX];
};

struct workers {
	atomic_bool stop;		/* main thread (or a failed worker) -> workers */
	atomic_uint dump_gen;		/* bumped by workers_dump() */
	pthread_t waker;		/* the thread workers_start() ran on */
	int wake_signal;
	unsigned n;
	struct worker *w;
};

/* ---- RSTs, ICMP errors and events ---- */

static void
worker_send_icmp(struct worker *w)
{
	for (unsigned i = 0; i < w->nicmp; i++)
		(void)rstsend_send_ip4(w->rs, w->icmp[i], w->icmp_len[i]);	/* counted */
	w->nicmp = 0;
}

/* nat.unsolicited = icmp: the refused packet's sender hears why, from the
 * address it wrote to (the verdict's code + 1). */
static void
worker_icmp_unreach(struct worker *w, const struct nfqueue_pkt *p, const struct verdict *v)
{
	size_t n;

	if (w->nicmp == ICMP_PENDING)
		worker_send_icmp(w);
	n = natrw_icmp_unreach(p->data, p->caplen, (uint8_t)(v->icmp_unreach - 1),
	    w->icmp[w->nicmp], sizeof(w->icmp[0]));
	if (n != 0)
		w->icmp_len[w->nicmp++] = (uint16_t)n;
}

/* A translated packet: rewritten in its receive slot and carried back with
 * its verdict, or dropped (counted) if it cannot be: the copy is not the
 * whole packet (a verdict's payload replaces the packet, so a short one
 * would cut it), or nat_rewrite() refuses it. */
static void
worker_accept_rewritten(struct worker *w, struct nfqueue_pkt *p, const struct verdict *v)
{
	enum natrw_err err = NATRW_SHORT;

	if (p->caplen == p->origlen)
		err = nat_rewrite(p->data, p->caplen, &v->rw,
		    (p->skbinfo & NFQA_SKB_CSUMNOTREADY) != 0);
	if (err != NATRW_OK) {
		w->rw_failed++;
		nfqueue_verdict_add(w->q, p->id, false);
		return;
	}
	nfqueue_verdict_add_packet(w->q, p->id, p->data, p->caplen);
}

static void
worker_send_rsts(struct worker *w)
{
	unsigned i;

	for (i = 0; i < w->nrst; i++)
		(void)rstsend_send(w->rs, &w->rst[i]);	/* counted in rstsend */
	w->nrst = 0;
}

static void
worker_rst_cb(void *ctx, const struct rst_spec *r)
{
	struct worker *w = ctx;

	if (w->nrst == RST_PENDING)
		worker_send_rsts(w);
	w->rst[w->nrst++] = *r;
}

static void
worker_event_cb(void *ctx, const struct event *ev)
{
	struct worker *w = ctx;

	if (w->eb)
		evbuf_put(w->eb, ev);
	if (w->cw)
		ctl_worker_event(w->cw, w->e, ev);
}

/* The control thread's stats: figures only this thread may read. */
static void
worker_wstats(void *ctx, struct ctl_wstats *o)
{
	const struct worker *w = ctx;
	const struct nfqueue_stats *ns = w->q ? nfqueue_stats(w->q) : &w->nst;
	const struct rstsend_stats *rs = rstsend_stats(w->rs);

	o->packets = w->packets;
	o->bursts = w->bursts;
	o->max_burst = w->max_burst;
	o->unseen = w->unseen + ns->early_accepts;
	o->enobufs = ns->enobufs;
	o->id_gaps = ns->id_gaps;
	o->verdicts = ns->verdicts;
	o->verdict_msgs = ns->verdict_msgs;
	o->send_errors = ns->send_errors;
	o->nacks = ns->nacks;
	o->gso = ns->gso;
	o->csum_not_ready = ns->csum_not_ready;
	o->oddities = ns->oddities;
	o->rcvbuf = ns->rcvbuf;
	o->rsts_sent = rs->sent;
	o->rst_errors = rs->errors;
	o->payload_verdicts = ns->payload_verdicts;
	o->nat_rw_failed = w->rw_failed;
	o->icmp_sent = rs->icmp_sent;
	o->icmp_errors = rs->icmp_errors;
}

/* ---- the thread ---- */

static void
worker_fail(struct worker *w, int err)
{
	w->failed = true;
	w->fail_errno = err;
	atomic_store(&w->ws->stop, true);
	pthread_kill(w->ws->waker, w->ws->wake_signal);
}

/* One burst: returns packets handled, 0 if there was nothing, -1 on a
 * socket error. The whole burst goes to the engine in one call (it
 * prefetches flows ahead), with one clock reading; verdicts come back in
 * packet order and go out in that order. */
static int
worker_burst(struct worker *w)
{
	uint64_t now;
	unsigned i, k, ne = 0;
	int n;

	n = nfqueue_recv_burst(w->q, w->pkts, w->burst);
	if (n <= 0)
		return n;
	atomic_store_explicit(&w->id_gaps, nfqueue_stats(w->q)->id_gaps, memory_order_relaxed);
	now = clock_now_ns();
	for (i = 0; i < (unsigned)n; i++) {
		if (w->pkts[i].data == NULL)
			continue;
		w->epkts[ne].buf = w->pkts[i].data;
		w->epkts[ne].caplen = w->pkts[i].caplen;
		ne++;
	}
	if (ne)
		engine_process_burst(w->e, w->epkts, ne, now, w->v);
	if (ne && w->cw)
		ctl_worker_account(w->cw, w->v, ne);
	for (i = 0, ne = 0; i < (unsigned)n; i++) {
		struct nfqueue_pkt *p = &w->pkts[i];
		const struct verdict *v;

		if (p->data == NULL) {
			/* Queued before the copy mode took effect: nothing
			 * to show the engine. */
			nfqueue_verdict_add(w->q, p->id, true);
			w->unseen++;
			continue;
		}
		v = &w->v[ne++];
		switch (v->action) {
		case V_DROP:
			nfqueue_verdict_add(w->q, p->id, false);
			if (v->icmp_unreach)
				worker_icmp_unreach(w, p, v);
			break;
		case V_RESET:
			nfqueue_verdict_add(w->q, p->id, false);
			for (k = 0; k < v->nrst && k < 2; k++)
				worker_rst_cb(w, &v->rst[k]);
			break;
		case V_ACCEPT:
		default:
			if (v->rw.set)
				worker_accept_rewritten(w, p, v);
			else
				nfqueue_verdict_add(w->q, p->id, true);
			break;
		}
	}
	(void)nfqueue_verdict_flush(w->q);	/* failures counted in nfq */
	worker_send_rsts(w);
	worker_send_icmp(w);
	if (w->eb)
		(void)evbuf_flush(w->eb);
	w->packets += (uint64_t)n;
	w->bursts++;
	if ((uint64_t)n > w->max_burst)
		w->max_burst = (uint64_t)n;
	return n;
}

static void
dump_flow(void *ctx, const struct flow *f)
{
	struct worker *w = ctx;
	struct event ev;

	if (f->fflags & FF_DEAD) {
		w->dump_dead++;		/* a tombstone, not a flow */
		return;
	}
	engine_flow_event(w->e, f, EV_FLOW, w->dump_now, &ev);
	evbuf_put(w->dump, &ev);
	w->dumped++;
}

/* Between bursts: profile swap, control requests, flow dump, timers. */
static void
worker_housekeeping(struct worker *w, uint64_t *next_expire)
{
	const struct policy *p;
	unsigned gen;
	uint64_t now;

	if ((p = livepol_reader_poll(&w->pr)) != NULL &&
	    engine_set_policy(w->e, p) < 0)
		log_warnx("queue %u: engine refused the new profile %s; keeping %s",
		    w->queue, p->name, engine_policy(w->e)->name);
	if (w->cw && ctl_worker_service(w->cw, w->e, clock_now_ns()) && w->eb)
		(void)evbuf_flush(w->eb);
	gen = atomic_load_explicit(&w->ws->dump_gen, memory_order_relaxed);
	if (gen != w->dump_seen && w->dump) {
		w->dump_seen = gen;
		w->dump_now = clock_now_ns();
		w->dumped = w->dump_dead = 0;
		engine_foreach(w->e, dump_flow, w);
		(void)evbuf_flush(w->dump);
		log_info("queue %u: dumped %u flows (%u expired ones remembered, not shown)",
		    w->queue, w->dumped, w->dump_dead);
	}
	now = clock_now_ns();
	if (now >= *next_expire) {
		unsigned done = engine_expire(w->e, now, EXPIRE_BUDGET);

		/* A full budget means more are due: come back at once. */
		*next_expire = done >= EXPIRE_BUDGET ? now : now + EXPIRE_EVERY_NS;
		worker_send_rsts(w);
		if (w->eb)
			(void)evbuf_flush(w->eb);
	}
}

/* Stop: answer what the kernel has already handed us (bounded), so closing
 * the socket drops nothing we could have passed. Packets that arrive after
 * the last read are dropped by the kernel's unbind; new ones then take
 * --queue-bypass. */
static void
worker_finish(struct worker *w)
{
	int i;

	for (i = 0; i < DRAIN_BURSTS && !w->failed; i++) {
		uint64_t overruns = nfqueue_stats(w->q)->enobufs;
		int n = worker_burst(w);

		if (n < 0 || (n == 0 && nfqueue_stats(w->q)->enobufs == overruns))
			break;
	}
	w->nst = *nfqueue_stats(w->q);
	nfqueue_close(w->q);
	w->q = NULL;
	engine_flush(w->e, clock_now_ns());
	worker_send_rsts(w);
	if (w->eb)
		(void)evbuf_flush(w->eb);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t next_expire = clock_now_ns() + EXPIRE_EVERY_NS;
	struct pollfd pfd[2] = {
		{ .fd = nfqueue_fd(w->q), .events = POLLIN },
		{ .fd = w->cw ? ctl_worker_fd(w->cw) : -1, .events = POLLIN },
	};
	int r;

	while (!atomic_load_explicit(&w->ws->stop, memory_order_relaxed)) {
		uint64_t now;
		int timeout;

		worker_housekeeping(w, &next_expire);
		now = clock_now_ns();
		timeout = next_expire > now ?
		    (int)((next_expire - now + 999999) / 1000000) : 0;
		r = poll(pfd, 2, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			worker_fail(w, errno);
			break;
		}
		if (pfd[1].revents)
			ctl_worker_drain(w->cw);	/* the request is served at the loop's top */
		/* POLLERR too: an overrun (ENOBUFS) is read, counted, passed. */
		if (pfd[0].revents && worker_burst(w) < 0) {
			worker_fail(w, errno);
			break;
		}
	}
	worker_finish(w);
	return NULL;
}

/* ---- opening and closing ---- */

static int
worker_open_queue(struct worker *w, const struct workers_config *c)
{
	/* A translating profile rewrites whole packets; the others read
	 * headers only. */
	bool rewrite = nat_on(&c->pol->nat);
	struct nfqueue_config qc = {
		.queue = w->queue, .copy_bytes = rewrite ? COPY_WHOLE : c->copy_bytes,
		.maxlen = c->maxlen, .burst = c->burst, .fail_open = c->fail_open,
		.rewrite = rewrite,
	};
	char msg[NFQUEUE_EXPLAIN_MAX];
	enum nfqueue_stage stage;
	int err;

	w->q = nfqueue_open(&qc, &stage);
	if (w->q == NULL) {
		err = errno;
		log_debug("queue %u: open failed at step %d: %s", w->queue, (int)stage,
		    strerror(err));
		log_warnx("%s", nfqueue_explain_open_error(w->queue, stage, err, msg,
		    sizeof(msg)));
		return -1;
	}
	w->rs = rstsend_open();
	if (w->rs == NULL) {
		if (errno == EPERM || errno == EACCES)
			log_warnx("natbox run needs root (CAP_NET_RAW) to send resets");
		else
			log_warn("raw socket for resets");
		return -1;
	}
	return 0;
}

/* Worker i of c: its queue and raw sockets, event buffers, control path,
 * profile reader and engine. -1 (logged) if one is refused. */
static int
worker_open(struct worker *w, unsigned i, const struct workers_config *c)
{
	uint64_t seed[2];

	w->queue = (uint16_t)(c->qlo + i);
	w->burst = c->burst;
	if (worker_open_queue(w, c) < 0)
		return -1;
	if (c->sink) {
		w->eb = evbuf_new(c->sink);
		if (w->eb == NULL)
			fatal("evbuf");
	}
	w->dump = w->eb ? w->eb : evbuf_new(c->dumpsink);
	if (w->dump == NULL)
		fatal("evbuf");
	if (c->ctl) {
		w->cw = ctl_worker_add(c->ctl, w->queue, c->pol->max_flows, c->history,
		    worker_wstats, w);
		if (w->cw == NULL)
			fatal("control path for queue %u", w->queue);
	}
	livepol_reader_add(&w->pr);
	w->ops.event = c->sink || w->cw ? worker_event_cb : NULL;
	w->ops.rst = worker_rst_cb;
	w->ops.ctx = w;
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		seed[0] = clock_now_ns() ^ ((uint64_t)getpid() << 32);
		seed[1] = i;
	}
	w->e = engine_new(c->pol, &w->ops, seed, clock_now_ns());
	if (w->e == NULL) {
		log_warnx("cannot allocate the flow table (max_flows %u)", c->pol->max_flows);
		return -1;
	}
	if (c->grace_ns)
		engine_set_grace(w->e, clock_now_ns() + c->grace_ns);
	log_info("queue %u bound: copy %u bytes, maxlen %u, rcvbuf %u, profile %s%s%s",
	    w->queue, nat_on(&c->pol->nat) ? COPY_WHOLE : c->copy_bytes, c->maxlen,
	    nfqueue_stats(w->q)->rcvbuf, c->pol->name, c->fail_open ? ", fail-open" : "",
	    nat_on(&c->pol->nat) ? ", translating (whole packets, no GSO)" : "");
	return 0;
}

struct workers *
workers_open(const struct workers_config *c)
{
	struct workers *ws;
	unsigned i;

	ws = calloc(1, sizeof(*ws));
	if (ws == NULL)
		fatal("calloc");
	ws->n = c->qhi - c->qlo + 1;
	ws->w = calloc(ws->n, sizeof(*ws->w));
	if (ws->w == NULL)
		fatal("calloc");
	ws->wake_signal = c->wake_signal;
	atomic_init(&ws->stop, false);
	atomic_init(&ws->dump_gen, 0);
	for (i = 0; i < ws->n; i++) {
		ws->w[i].ws = ws;
		if (worker_open(&ws->w[i], i, c) < 0) {
			workers_close(ws);
			return NULL;
		}
	}
	return ws;
}

void
workers_close(struct workers *ws)
{
	unsigned i;

	if (ws == NULL)
		return;
	for (i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];

		if (w->dump && w->dump != w->eb)
			evbuf_free(w->dump);
		evbuf_free(w->eb);
		if (w->e)
			engine_free(w->e);
		rstsend_close(w->rs);
		nfqueue_close(w->q);
	}
	free(ws->w);
	free(ws);
}

/* ---- the main thread's side ---- */

int
workers_start(struct workers *ws)
{
	unsigned i;
	int r;

	ws->waker = pthread_self();
	for (i = 0; i < ws->n; i++) {
		r = pthread_create(&ws->w[i].tid, NULL, worker_main, &ws->w[i]);
		if (r != 0) {
			errno = r;
			log_warn("pthread_create");
			workers_stop(ws);
			return -1;
		}
		ws->w[i].started = true;
	}
	return 0;
}

void
workers_stop(struct workers *ws)
{
	atomic_store(&ws->stop, true);
}

bool
workers_stopping(const struct workers *ws)
{
	return atomic_load(&ws->stop);
}

uint64_t
workers_id_gaps(const struct workers *ws)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < ws->n; i++)
		sum += atomic_load_explicit(&ws->w[i].id_gaps, memory_order_relaxed);
	return sum;
}

void
workers_dump(struct workers *ws)
{
	atomic_fetch_add(&ws->dump_gen, 1);
}

static void
worker_summary(const struct worker *w)
{
	const struct engine_stats *es = engine_stats(w->e);
	const struct rstsend_stats *rs = rstsend_stats(w->rs);

	log_info("queue %u: %" PRIu64 " packets in %" PRIu64 " bursts (max %" PRIu64 "), "
	    "accepted %" PRIu64 " dropped %" PRIu64 "; enobufs %" PRIu64
	    ", verdict send errors %" PRIu64 " (kernel refused %" PRIu64 "); "
	    "rsts sent %" PRIu64 " failed %" PRIu64 "; verdicts %" PRIu64
	    " in %" PRIu64 " messages; gso %" PRIu64 ", csum not ready %" PRIu64
	    ", unseen %" PRIu64 ", odd %" PRIu64 ", rcvbuf %u; packets rewritten %" PRIu64
	    ", rewrites refused %" PRIu64 ", icmp errors sent %" PRIu64 " failed %" PRIu64,
	    w->queue, w->packets, w->bursts, w->max_burst,
	    es->accepted, es->dropped, w->nst.enobufs,
	    w->nst.send_errors, w->nst.nacks, rs->sent, rs->errors,
	    w->nst.verdicts, w->nst.verdict_msgs, w->nst.gso,
	    w->nst.csum_not_ready, w->unseen + w->nst.early_accepts,
	    w->nst.oddities, w->nst.rcvbuf, w->nst.payload_verdicts, w->rw_failed,
	    rs->icmp_sent, rs->icmp_errors);
	if (rs->errors)
		log_warnx("queue %u: %" PRIu64 " RSTs could not be sent (last: %s)",
		    w->queue, rs->errors, strerror(rs->last_errno));
	if (w->failed)
		log_warnx("queue %u: stopped on error: %s", w->queue,
		    strerror(w->fail_errno));
}

int
workers_join(struct workers *ws)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < ws->n; i++) {
		if (!ws->w[i].started)
			continue;
		pthread_join(ws->w[i].tid, NULL);
		if (ws->w[i].failed)
			rc = -1;
	}
	for (i = 0; i < ws->n; i++)
		if (ws->w[i].started)
			worker_summary(&ws->w[i]);
	return rc;
}
