/* qwatch.c -- natbox run's overload watch: how many packets reached its
 * queue rules and passed (--fail-open) or died (queue or socket full)
 * without a verdict from it.
 *
 * The kernel's figures (__nfqnl_enqueue_packet(), per queue in
 * /proc/net/netfilter/nfnetlink_queue):
 *   - queue full, no fail-open: queue_dropped++, no packet id;
 *   - queue full, fail-open: accepted, no packet id, counted nowhere;
 *   - socket buffer full, no fail-open: the packet had its id (a gap in
 *     natbox's ids), queue_user_dropped++;
 *   - socket buffer full, fail-open: id taken (a gap), accepted, counted
 *     nowhere.
 * So the rules carry a counter (nfacct.c), and per interval between two
 * readings
 *   reached the rules = got an id + queue full (dropped or bypassed)
 * gives the queue-full bypass as matched - ids, and the socket-full one is
 * natbox's id gaps. Hence, with fail-open,
 *   bypassed = (matched - ids) + gaps,
 * and in all cases, once the queues are empty,
 *   matched = handed to natbox + bypassed + dropped + user_dropped.
 *
 * Reading order: the counter first, then /proc. A packet that reaches the
 * rule and takes its id between the two readings counts as an id but not
 * as matched: under load a reading is short by the packets passing during
 * it (microseconds' worth), which the next quiet reading makes good; the
 * reverse (matched at the first reading, id after the second) needs a
 * packet held between the rule and the queue for the whole reading, which
 * softirq processing does not do. bypassed is kept monotonic (the highest
 * value read), as a counter must be.
 *
 * Not counted: a packet nfnetlink_queue cannot build a message for
 * (ENOMEM) or whose conntrack entry died meanwhile is dropped silently,
 * with or without fail-open; it shows as matched - ids without
 * fail-open, nowhere else. With translation (no NFQA_CFG_F_GSO) the kernel
 * segments a GSO packet before queueing it: one match, several ids, so
 * bypass is undercounted by the extra segments (the lab turns GRO off).
 *
 * The counters since start are kept as sums of per-interval differences
 * (the kernel's per-queue counters are 32 bits and wrap); an interval in
 * which the rules' counter could not be read adds nothing to matched, ids
 * and gaps, so the balance above holds over the intervals that were read.
 * A counter that goes back (reset by hand) starts a new interval. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "nfacct.h"
#include "nfqproc.h"
#include "qwatch.h"

#define QWATCH_LOG_EVERY_NS	(10 * 1000000000ULL)
#define QWATCH_QUEUES_MAX	64

/* One queue's line: the 32-bit counters that matter here. */
struct kq {
	uint32_t ids, dropped, udropped;
};

struct qwatch {
	pthread_mutex_t mu;
	struct nfacct *acct;
	int proc_fd;			/* the kernel's queue lines (nfqproc.h) */
	unsigned qlo, n;
	bool fail_open;
	uint64_t (*id_gaps)(void *ctx);
	void *ctx;
	char name[NFACCT_NAME_LEN];
	char label[32];			/* "queue 44", "queues 44-45" */

	/* under mu */
	bool counter;			/* the rules' counter is read */
	bool said_missing, said_unused, said_error;
	bool m_valid, have_last;	/* last_m, last[] hold a reading */
	uint64_t last_m, last_gaps;
	struct kq last[QWATCH_QUEUES_MAX];
	uint64_t matched, ids_m, gaps_m;	/* over the intervals the counter was read */
	uint64_t dropped, udropped, bypassed;

	/* the logging thread's */
	bool logged;
	uint64_t log_ns, log_b, log_d, log_u;
};

struct kq_read {
	const struct qwatch *w;
	struct kq *k;
	unsigned found;
};

static void
kq_line(void *ctx, const struct nfqproc_line *l)
{
	struct kq_read *r = ctx;

	if (l->queue < r->w->qlo || l->queue - r->w->qlo >= r->w->n)
		return;
	r->k[l->queue - r->w->qlo] = (struct kq){ .ids = l->id_sequence,
	    .dropped = l->dropped, .udropped = l->user_dropped };
	r->found++;
}

/* The /proc lines of our queues; 0 if every one was there. */
static int
read_queues(const struct qwatch *w, struct kq *k)
{
	struct kq_read r = { .w = w, .k = k };

	if (nfqproc_read(w->proc_fd, kq_line, &r) < 0)
		return -1;
	return r.found == w->n ? 0 : -1;
}

/* The rules' counter: its count, or false (said once why). */
static bool
read_counter(struct qwatch *w, uint64_t *pkts)
{
	struct nfacct_obj o;

	if (nfacct_get(w->acct, w->name, &o) < 0) {
		if (errno != ENOENT) {
			if (!w->said_error)
				log_warn("%s: reading counter %s (this interval is not counted)",
				    w->label, w->name);
			w->said_error = true;
			return false;	/* this interval is not counted */
		}
		if (w->counter)
			log_warnx("%s: counter %s is gone: bypassed packets no longer counted",
			    w->label, w->name);
		else if (!w->said_missing)
			(w->fail_open ? log_warnx : log_info)("%s: no counter %s (natbox rules "
			    "puts -m nfacct --nfacct-name %s in the queue rules): packets %s "
			    "natbox are not counted", w->label, w->name, w->name,
			    w->fail_open ? "--fail-open lets past" : "reaching the rules of");
		w->said_missing = true;
		w->counter = false;
		return false;
	}
	if (o.use <= 1) {
		/* one reference is the object's own: no rule counts into it
		 * (any more: the rules may have been replaced without it) */
		if (!w->said_unused || w->counter)
			(w->fail_open ? log_warnx : log_info)("%s: counter %s exists but no rule "
			    "uses it: bypassed packets are not counted", w->label, w->name);
		w->said_unused = true;
		w->counter = false;
		return false;
	}
	if (!w->counter && (w->said_missing || w->said_unused))
		log_info("%s: counter %s found: counting from now", w->label, w->name);
	w->counter = true;
	*pkts = o.pkts;
	return true;
}

/* One reading: the counter, then the queues, then the gaps (in that
 * order: see the top of the file). Under mu. */
static void
sample(struct qwatch *w)
{
	struct kq k[QWATCH_QUEUES_MAX];
	uint64_t m = 0, ids = 0, gaps;
	bool have_m = read_counter(w, &m);

	if (read_queues(w, k) < 0)
		return;		/* a queue is not bound (yet, or any more) */
	gaps = w->id_gaps ? w->id_gaps(w->ctx) : 0;
	if (w->have_last) {
		for (unsigned i = 0; i < w->n; i++) {
			ids += (uint32_t)(k[i].ids - w->last[i].ids);
			w->dropped += (uint32_t)(k[i].dropped - w->last[i].dropped);
			w->udropped += (uint32_t)(k[i].udropped - w->last[i].udropped);
		}
		if (have_m && w->m_valid && m < w->last_m)
			log_warnx("%s: counter %s went back (reset?): counting on from %" PRIu64,
			    w->label, w->name, m);
		else if (have_m && w->m_valid) {
			w->matched += m - w->last_m;
			w->ids_m += ids;
			w->gaps_m += gaps - w->last_gaps;
		}
	}
	memcpy(w->last, k, sizeof(k[0]) * w->n);
	w->have_last = true;
	w->last_gaps = gaps;
	w->m_valid = have_m;
	if (have_m)
		w->last_m = m;
	if (w->fail_open) {
		uint64_t b = (w->matched > w->ids_m ? w->matched - w->ids_m : 0) + w->gaps_m;

		if (b > w->bypassed)
			w->bypassed = b;
	}
}

struct qwatch *
qwatch_open(const struct qwatch_config *c, uint64_t now)
{
	struct qwatch *w;

	if (c->qhi < c->qlo || c->qhi - c->qlo >= QWATCH_QUEUES_MAX) {
		log_warnx("overload watch: at most %d queues", QWATCH_QUEUES_MAX);
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("calloc");
	w->qlo = c->qlo;
	w->n = c->qhi - c->qlo + 1;
	w->fail_open = c->fail_open;
	w->id_gaps = c->id_gaps;
	w->ctx = c->ctx;
	nfacct_queue_name(c->qlo, c->qhi, w->name, sizeof(w->name));
	if (w->n == 1)
		snprintf(w->label, sizeof(w->label), "queue %u", c->qlo);
	else
		snprintf(w->label, sizeof(w->label), "queues %u-%u", c->qlo, c->qhi);
	if ((w->acct = nfacct_open()) == NULL) {
		log_warn("%s: netlink socket for the rules' counter; overload not counted",
		    w->label);
		free(w);
		return NULL;
	}
	/* opened now: the file is root's, natbox may become --user */
	if ((w->proc_fd = nfqproc_open()) < 0)
		log_warn("%s: the kernel's queue figures; overload not counted", w->label);
	pthread_mutex_init(&w->mu, NULL);
	sample(w);
	if (w->counter)
		log_info("%s: counter %s read: packets that bypass natbox are counted",
		    w->label, w->name);
	w->log_ns = now;
	return w;
}

void
qwatch_stats(void *ctx, struct ctl_qstats *out)
{
	struct qwatch *w = ctx;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&w->mu);
	sample(w);
	out->counter = w->counter;
	snprintf(out->name, sizeof(out->name), "%s", w->name);
	out->matched = w->matched;
	out->bypassed = w->bypassed;
	out->dropped = w->dropped;
	out->user_dropped = w->udropped;
	pthread_mutex_unlock(&w->mu);
}

/* "N bypassed natbox, N dropped ..." for what grew since the last line. */
static void
log_growth(struct qwatch *w, const struct ctl_qstats *s, uint64_t now)
{
	char what[256], total[160];
	size_t n = 0;

	what[0] = '\0';
	if (s->bypassed > w->log_b)
		n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%" PRIu64 " passed unjudged "
		    "(--fail-open: queue or socket full)", n ? ", " : "", s->bypassed - w->log_b);
	if (s->dropped > w->log_d && n < sizeof(what))
		n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%" PRIu64 " dropped by the "
		    "kernel (queue full)", n ? ", " : "", s->dropped - w->log_d);
	if (s->user_dropped > w->log_u && n < sizeof(what))
		snprintf(what + n, sizeof(what) - n, "%s%" PRIu64 " dropped by the kernel "
		    "(socket buffer full)", n ? ", " : "", s->user_dropped - w->log_u);
	if (s->counter)
		snprintf(total, sizeof(total), "matched %" PRIu64 ", bypassed %" PRIu64
		    ", dropped %" PRIu64 ", user_dropped %" PRIu64, s->matched, s->bypassed,
		    s->dropped, s->user_dropped);
	else
		snprintf(total, sizeof(total), "dropped %" PRIu64 ", user_dropped %" PRIu64
		    " (bypass not counted: no counter %s)", s->dropped, s->user_dropped, s->name);
	log_warnx("%s overloaded: %s in the last %.1f s; since start %s", w->label, what,
	    (double)(now - w->log_ns) / 1e9, total);
	w->logged = true;
	w->log_ns = now;
	w->log_b = s->bypassed;
	w->log_d = s->dropped;
	w->log_u = s->user_dropped;
}

void
qwatch_tick(struct qwatch *w, uint64_t now)
{
	struct ctl_qstats s;

	if (w == NULL)
		return;
	qwatch_stats(w, &s);
	if (s.bypassed == w->log_b && s.dropped == w->log_d && s.user_dropped == w->log_u)
		return;
	if (w->logged && now - w->log_ns < QWATCH_LOG_EVERY_NS)
		return;		/* the next line sums it up */
	log_growth(w, &s, now);
}

void
qwatch_close(struct qwatch *w, uint64_t now)
{
	struct ctl_qstats s;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	s = (struct ctl_qstats){ .counter = w->counter, .matched = w->matched,
	    .bypassed = w->bypassed, .dropped = w->dropped, .user_dropped = w->udropped };
	snprintf(s.name, sizeof(s.name), "%s", w->name);
	pthread_mutex_unlock(&w->mu);
	if (s.bypassed != w->log_b || s.dropped != w->log_d || s.user_dropped != w->log_u)
		log_growth(w, &s, now);
	if (s.counter)
		log_info("%s: %" PRIu64 " packets reached the rules, %" PRIu64 " bypassed natbox, "
		    "%" PRIu64 " dropped (queue full), %" PRIu64 " dropped (socket full)",
		    w->label, s.matched, s.bypassed, s.dropped, s.user_dropped);
	nfacct_close(w->acct);
	if (w->proc_fd >= 0)
		close(w->proc_fd);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
