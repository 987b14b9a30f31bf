/* cmd_run.c -- `natbox run`: the live front; NFQUEUE in, verdicts and RSTs out.
 *
 * On the router, send forwarded TCP to natbox (both families):
 *
 *   iptables  -A FORWARD -p tcp -j NFQUEUE --queue-num 0 --queue-bypass
 *   ip6tables -A FORWARD -p tcp -j NFQUEUE --queue-num 0 --queue-bypass
 *
 * --queue-bypass accepts packets while no natbox is bound, so stopping
 * natbox never blackholes the router. With --queue 0-3 natbox runs one
 * worker thread per queue, each with its own netlink socket, its own engine
 * (its own flow table) and its own raw sockets: no lock on the packet path.
 * Spread the flows with
 *
 *   iptables -A FORWARD -p tcp -j NFQUEUE --queue-balance 0:3 --queue-bypass
 *
 * The kernel picks the queue from a hash of the address pair ordered so
 * that both directions of a flow hash alike (hash_v4/hash_v6 in
 * include/net/netfilter/nf_queue.h), so each flow is tracked whole by one
 * worker. The hash has no ports: two hosts talking put all their flows on
 * one queue. --queue-cpu-fanout (added to --queue-balance) picks the queue
 * by the CPU that handles the packet instead; that keeps a flow on one
 * queue only if RSS/RPS steers both directions to one CPU, so use it only
 * with symmetric steering.
 *
 * The loop per worker: poll for the first message (timeout so the timers
 * run every EXPIRE_EVERY_NS), read a burst with one recvmmsg(MSG_DONTWAIT),
 * read CLOCK_MONOTONIC once, run every packet through engine_process(),
 * send all the burst's verdicts in one sendto(), then the RSTs, then the
 * burst's event lines in one write.
 *
 * Signals are flags only; the main thread sleeps in sigsuspend() and does
 * the work: SIGHUP reloads the profile (and reopens an --events file),
 * SIGUSR1 asks every worker to dump its flows, SIGTERM/SIGINT stop.
 *
 * A control thread (ctl.c) serves `natbox ctl` on a unix socket. It reaches
 * a worker's engine only through that worker's mailbox, which the worker
 * answers between bursts; profile changes, from it or from SIGHUP, are
 * published by livepol.c and picked up by each worker at its next burst. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "cli.h"
#include "clock.h"
#include "profiles.h"
#include "ctl.h"
#include "engine.h"
#include "evsink.h"
#include "livepol.h"
#include "log.h"
#include "nfq.h"
#include "rstsend.h"

#define QUEUES_MAX	64
#define BURST_DEFAULT	64
#define COPY_DEFAULT	128		/* IPv6 40 + TCP 60 + room for an ext. header */
#define MAXLEN_DEFAULT	4096		/* the kernel's default is 1024 */
#define EXPIRE_EVERY_NS	(10 * 1000000ULL)
#define EXPIRE_BUDGET	4096		/* flows looked at per engine_expire() */
#define DRAIN_BURSTS	64		/* bursts read after a stop request */
#define RST_PENDING	64

struct run_opts {
	unsigned qlo, qhi;
	const char *policy;
	char **sets;
	int nsets;
	const char *events;
	enum event_format fmt;
	bool fail_open;
	uint32_t copy_bytes;
	uint32_t maxlen;
	unsigned burst;
	int verbose;
	bool syslog;
	const char *ctl_path;	/* NULL: the default, best effort */
	bool no_ctl;
	unsigned history;
};

struct worker {
	pthread_t tid;
	bool started;
	uint16_t queue;
	unsigned burst;
	struct nfqueue *q;
	struct engine *e;
	struct rstsend *rs;
	struct engine_ops ops;
	struct evbuf *eb;		/* lines to the event sink, or NULL */
	struct evbuf *dump;		/* where SIGUSR1 dumps go (eb, or stdout) */
	struct ctl_worker *cw;		/* its half of the control path, or NULL */
	struct livepol_reader pr;
	unsigned dump_seen;
	uint64_t dump_now;
	unsigned dumped, dump_dead;

	/* RSTs wait until the burst's verdicts are out: the packets accepted
	 * before a reset leave before it. */
	struct rst_spec rst[RST_PENDING];
	unsigned nrst;

	/* counters (this thread only; the main thread reads them after join) */
	uint64_t packets, bursts, max_burst, unseen;
	bool failed;
	int fail_errno;
	struct nfqueue_stats nst;		/* copied before the queue closes */

	struct nfqueue_pkt pkts[NFQUEUE_BURST_MAX];
	struct engine_pkt epkts[NFQUEUE_BURST_MAX];
	struct verdict v[NFQUEUE_BURST_MAX];
};

/* Set by signal handlers, read by the main thread. */
static volatile sig_atomic_t got_stop, got_hup, got_usr1, got_wake;
/* Main thread -> workers. */
static atomic_bool stop_flag;
static atomic_uint dump_gen;
static pthread_t main_tid;

static void
usage(FILE *f, bool full)
{
	fprintf(f,
	    "usage: natbox run --queue N[-M] --policy NAME|FILE [--set key=value]...\n"
	    "                  [--events -|FILE] [--format text|json] [--fail-open]\n"
	    "                  [--copy-bytes N] [--queue-maxlen N] [--burst N]\n"
	    "                  [--ctl PATH | --no-ctl] [--history N] [--syslog] [-v | -q]\n");
	if (!full)
		return;
	fprintf(f,
	    "  --queue N[-M]      NFQUEUE number, or a range: one worker per queue\n"
	    "  --policy NAME|FILE profile; --set overrides one key (repeatable)\n"
	    "  --events -|FILE    write engine events (stdout or appended to FILE)\n"
	    "  --format text|json event line format (default text)\n"
	    "  --fail-open        kernel accepts packets when the queue is full\n"
	    "  --copy-bytes N     bytes of each packet copied to natbox (default %d)\n"
	    "  --queue-maxlen N   packets the kernel holds for natbox (default %d)\n"
	    "  --burst N          packets read per burst, 1-%d (default %d)\n"
	    "  --ctl PATH         control socket for natbox ctl (default %s/natbox-Q.sock)\n"
	    "  --no-ctl           no control socket\n"
	    "  --history N        events kept per queue for natbox ctl explain (default %d)\n"
	    "  --syslog           messages to syslog (daemon facility), not stderr\n"
	    "  -v, -q             more messages (repeat for debug), or warnings only\n"
	    "signals: HUP reloads the profile, USR1 dumps flows, TERM/INT stop\n",
	    COPY_DEFAULT, MAXLEN_DEFAULT, NFQUEUE_BURST_MAX, BURST_DEFAULT, CTL_DIR,
	    CTL_HISTORY_DEFAULT);
}

static int
parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* "N", "N-M" or "N:M" (iptables' spelling). */
static int
parse_queues(const char *s, unsigned *lo, unsigned *hi)
{
	char buf[32], *sep;
	unsigned long a, b;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	sep = strpbrk(buf, "-:");
	if (sep)
		*sep++ = '\0';
	if (parse_uint(buf, 0, 65535, &a) < 0)
		return -1;
	b = a;
	if (sep && parse_uint(sep, a, 65535, &b) < 0)
		return -1;
	if (b - a + 1 > QUEUES_MAX)
		return -1;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return 0;
}

static int
parse_args(int argc, char **argv, struct run_opts *o)
{
	enum { O_FAIL_OPEN = 256, O_COPY, O_MAXLEN, O_BURST, O_CTL, O_NO_CTL, O_HISTORY,
	    O_SYSLOG };
	static const struct option lopts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "policy", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "fail-open", no_argument, NULL, O_FAIL_OPEN },
		{ "copy-bytes", required_argument, NULL, O_COPY },
		{ "queue-maxlen", required_argument, NULL, O_MAXLEN },
		{ "burst", required_argument, NULL, O_BURST },
		{ "ctl", required_argument, NULL, O_CTL },
		{ "no-ctl", no_argument, NULL, O_NO_CTL },
		{ "history", required_argument, NULL, O_HISTORY },
		{ "syslog", no_argument, NULL, O_SYSLOG },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool have_queue = false;
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->copy_bytes = COPY_DEFAULT;
	o->maxlen = MAXLEN_DEFAULT;
	o->burst = BURST_DEFAULT;
	o->fmt = EVF_TEXT;
	o->history = CTL_HISTORY_DEFAULT;
	o->sets = calloc((size_t)argc + 1, sizeof(char *));
	if (o->sets == NULL)
		fatal("calloc");

	optind = 0;	/* argv[0] is "run"; 0 also resets getopt's state */
	while ((c = getopt_long(argc, argv, "+q:p:s:e:f:vQh", lopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			if (parse_queues(optarg, &o->qlo, &o->qhi) < 0) {
				log_warnx("--queue %s: expected N or N-M, 0-65535, at most %d queues",
				    optarg, QUEUES_MAX);
				return -1;
			}
			have_queue = true;
			break;
		case 'p':
			o->policy = optarg;
			break;
		case 's':
			o->sets[o->nsets++] = optarg;
			break;
		case 'e':
			o->events = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				o->fmt = EVF_TEXT;
			else if (strcmp(optarg, "json") == 0)
				o->fmt = EVF_JSON;
			else {
				log_warnx("--format %s: expected text or json", optarg);
				return -1;
			}
			break;
		case O_FAIL_OPEN:
			o->fail_open = true;
			break;
		case O_COPY:
			if (parse_uint(optarg, 40, 65535, &v) < 0) {
				log_warnx("--copy-bytes %s: expected 40-65535", optarg);
				return -1;
			}
			o->copy_bytes = (uint32_t)v;
			break;
		case O_MAXLEN:
			if (parse_uint(optarg, 1, 1000000, &v) < 0) {
				log_warnx("--queue-maxlen %s: expected 1-1000000", optarg);
				return -1;
			}
			o->maxlen = (uint32_t)v;
			break;
		case O_BURST:
			if (parse_uint(optarg, 1, NFQUEUE_BURST_MAX, &v) < 0) {
				log_warnx("--burst %s: expected 1-%d", optarg, NFQUEUE_BURST_MAX);
				return -1;
			}
			o->burst = (unsigned)v;
			break;
		case O_CTL:
			o->ctl_path = optarg;
			break;
		case O_NO_CTL:
			o->no_ctl = true;
			break;
		case O_HISTORY:
			if (parse_uint(optarg, 0, 16777216, &v) < 0) {
				log_warnx("--history %s: expected 0-16777216 events", optarg);
				return -1;
			}
			o->history = (unsigned)v;
			break;
		case O_SYSLOG:
			o->syslog = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'Q':
			o->verbose = -1;
			break;
		case 'h':
			usage(stdout, true);
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		log_warnx("run: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (!have_queue || o->policy == NULL) {
		log_warnx("run: --queue and --policy are required");
		return -1;
	}
	return 0;
}

static void
on_signal(int sig)
{
	switch (sig) {
	case SIGHUP:
		got_hup = 1;
		break;
	case SIGUSR1:
		got_usr1 = 1;
		break;
	case SIGUSR2:
		got_wake = 1;
		break;
	default:
		got_stop = 1;
		break;
	}
}

/* ---- the worker ---- */

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
}

static void
worker_fail(struct worker *w, int err)
{
	w->failed = true;
	w->fail_errno = err;
	atomic_store(&stop_flag, true);
	pthread_kill(main_tid, SIGUSR2);
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
		const struct nfqueue_pkt *p = &w->pkts[i];
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
			break;
		case V_RESET:
			nfqueue_verdict_add(w->q, p->id, false);
			for (k = 0; k < v->nrst && k < 2; k++)
				worker_rst_cb(w, &v->rst[k]);
			break;
		case V_ACCEPT:
		default:
			nfqueue_verdict_add(w->q, p->id, true);
			break;
		}
	}
	(void)nfqueue_verdict_flush(w->q);	/* failures counted in nfq */
	worker_send_rsts(w);
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
	gen = atomic_load_explicit(&dump_gen, memory_order_relaxed);
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

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t next_expire = clock_now_ns() + EXPIRE_EVERY_NS;
	struct pollfd pfd[2] = {
		{ .fd = nfqueue_fd(w->q), .events = POLLIN },
		{ .fd = w->cw ? ctl_worker_fd(w->cw) : -1, .events = POLLIN },
	};
	int i, r;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
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
	/* Stop: answer what the kernel has already handed us (bounded), so
	 * closing the socket drops nothing we could have passed. Packets that
	 * arrive after the last read are dropped by the kernel's unbind; new
	 * ones then take --queue-bypass. */
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
	return NULL;
}

/* ---- the main thread ---- */

static void
reload(const struct run_opts *o, struct evsink *sink)
{
	char msg[4096], *save, *l;

	if (sink && evsink_reopen(sink) < 0)
		log_warn("reopening %s", o->events);
	if (livepol_reload(clock_now_ns(), "SIGHUP", msg, sizeof(msg)) < 0)
		for (l = strtok_r(msg, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			log_warnx("SIGHUP: %s", l);
}

/* The control socket: --ctl PATH must work (-1 if not); the default is
 * best effort, so two natbox on one queue number (in two namespaces) run. */
static int
open_ctl(const struct run_opts *o, struct evsink *sink, struct ctl **out)
{
	char def[108];
	const char *path = o->ctl_path;

	*out = NULL;
	if (o->no_ctl)
		return 0;
	if (path == NULL) {
		ctl_default_path(o->qlo, def, sizeof(def));
		path = def;
	}
	if ((*out = ctl_open(path, sink)) != NULL) {
		log_info("control socket %s", path);
		return 0;
	}
	if (errno == EADDRINUSE)
		log_warnx("control socket %s is in use by another natbox%s", path,
		    o->ctl_path ? "" : "; running without one (give --ctl PATH)");
	else
		log_warn("control socket %s%s", path,
		    o->ctl_path ? "" : "; running without one");
	return o->ctl_path ? -1 : 0;
}

static void
summary(const struct worker *w)
{
	const struct engine_stats *es = engine_stats(w->e);
	const struct rstsend_stats *rs = rstsend_stats(w->rs);

	log_info("queue %u: %" PRIu64 " packets in %" PRIu64 " bursts (max %" PRIu64 "), "
	    "accepted %" PRIu64 " dropped %" PRIu64 "; enobufs %" PRIu64
	    ", verdict send errors %" PRIu64 " (kernel refused %" PRIu64 "); "
	    "rsts sent %" PRIu64 " failed %" PRIu64 "; verdicts %" PRIu64
	    " in %" PRIu64 " messages; gso %" PRIu64 ", csum not ready %" PRIu64
	    ", unseen %" PRIu64 ", odd %" PRIu64 ", rcvbuf %u",
	    w->queue, w->packets, w->bursts, w->max_burst,
	    es->accepted, es->dropped, w->nst.enobufs,
	    w->nst.send_errors, w->nst.nacks, rs->sent, rs->errors,
	    w->nst.verdicts, w->nst.verdict_msgs, w->nst.gso,
	    w->nst.csum_not_ready, w->unseen + w->nst.early_accepts,
	    w->nst.oddities, w->nst.rcvbuf);
	if (rs->errors)
		log_warnx("queue %u: %" PRIu64 " RSTs could not be sent (last: %s)",
		    w->queue, rs->errors, strerror(rs->last_errno));
	if (w->failed)
		log_warnx("queue %u: stopped on error: %s", w->queue,
		    strerror(w->fail_errno));
}

int
cmd_run(int argc, char **argv)
{
	struct run_opts o;
	const struct policy *pol;
	struct evsink *sink = NULL, *dumpsink = NULL;
	struct ctl *ctl = NULL;
	struct worker *ws = NULL;
	struct sigaction sa, old_sa[5];
	static const int sigs[5] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2 };
	struct sigaction old_pipe;
	sigset_t block, oldmask, waitmask;
	bool sigs_set = false;
	unsigned nw = 0, started = 0, i;
	int rc = 1, r;

	r = parse_args(argc, argv, &o);
	if (r != 0) {
		if (r < 0)
			usage(stderr, false);
		free(o.sets);
		return r < 0 ? 2 : 0;
	}
	if (o.verbose || o.syslog)
		log_init(o.verbose, o.syslog);	/* else keep what main set */
	got_stop = got_hup = got_usr1 = got_wake = 0;

	if (livepol_init(o.policy, o.sets, o.nsets) < 0) {
		rc = 2;		/* profile_load printed every file:line */
		goto out;
	}
	pol = livepol_current();
	if (!nfqueue_may_bind()) {
		log_warnx("natbox run needs root (CAP_NET_ADMIN) to bind a netfilter queue");
		goto out;
	}
	if (o.events) {
		sink = evsink_open(o.events, o.fmt);
		if (sink == NULL) {
			log_warn("cannot open events file %s", o.events);
			goto out;
		}
		dumpsink = sink;
	} else {
		dumpsink = evsink_open("-", o.fmt);	/* SIGUSR1 dumps only */
		if (dumpsink == NULL)
			fatal("evsink");
	}

	livepol_set_sink(sink);
	if (open_ctl(&o, sink, &ctl) < 0)
		goto out;

	nw = o.qhi - o.qlo + 1;
	ws = calloc(nw, sizeof(*ws));
	if (ws == NULL)
		fatal("calloc");
	for (i = 0; i < nw; i++) {
		struct worker *w = &ws[i];
		struct nfqueue_config qc = {
			.queue = (uint16_t)(o.qlo + i), .copy_bytes = o.copy_bytes,
			.maxlen = o.maxlen, .burst = o.burst, .fail_open = o.fail_open,
		};
		enum nfqueue_stage stage;
		uint64_t seed[2];

		w->queue = qc.queue;
		w->burst = o.burst;
		w->q = nfqueue_open(&qc, &stage);
		if (w->q == NULL) {
			char msg[NFQUEUE_EXPLAIN_MAX];
			int err = errno;

			log_debug("queue %u: open failed at step %d: %s", w->queue,
			    (int)stage, strerror(err));
			log_warnx("%s", nfqueue_explain_open_error(w->queue, stage, err,
			    msg, sizeof(msg)));
			goto out;
		}
		w->rs = rstsend_open();
		if (w->rs == NULL) {
			if (errno == EPERM || errno == EACCES)
				log_warnx("natbox run needs root (CAP_NET_RAW) to send resets");
			else
				log_warn("raw socket for resets");
			goto out;
		}
		if (sink) {
			w->eb = evbuf_new(sink);
			if (w->eb == NULL)
				fatal("evbuf");
		}
		w->dump = w->eb ? w->eb : evbuf_new(dumpsink);
		if (w->dump == NULL)
			fatal("evbuf");
		if (ctl) {
			w->cw = ctl_worker_add(ctl, w->queue, pol->max_flows, o.history,
			    worker_wstats, w);
			if (w->cw == NULL)
				fatal("control path for queue %u", w->queue);
		}
		livepol_reader_add(&w->pr);
		w->ops.event = sink || w->cw ? worker_event_cb : NULL;
		w->ops.rst = worker_rst_cb;
		w->ops.ctx = w;
		if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
			seed[0] = clock_now_ns() ^ ((uint64_t)getpid() << 32);
			seed[1] = i;
		}
		w->e = engine_new(pol, &w->ops, seed, clock_now_ns());
		if (w->e == NULL) {
			log_warnx("cannot allocate the flow table (max_flows %u)", pol->max_flows);
			goto out;
		}
		log_info("queue %u bound: copy %u bytes, maxlen %u, rcvbuf %u, profile %s%s",
		    w->queue, o.copy_bytes, o.maxlen, nfqueue_stats(w->q)->rcvbuf,
		    pol->name, o.fail_open ? ", fail-open" : "");
	}

	/* Block the signals before the workers exist so only the main thread
	 * takes them, and only inside sigsuspend(): no wakeup is lost. */
	sigemptyset(&block);
	for (i = 0; i < 5; i++)
		sigaddset(&block, sigs[i]);
	pthread_sigmask(SIG_BLOCK, &block, &oldmask);
	waitmask = oldmask;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 5; i++) {
		sigdelset(&waitmask, sigs[i]);
		sigaction(sigs[i], &sa, &old_sa[i]);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);	/* a closed events pipe is a write error */
	sigs_set = true;

	main_tid = pthread_self();
	atomic_store(&stop_flag, false);
	for (i = 0; i < nw; i++) {
		r = pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]);
		if (r != 0) {
			errno = r;
			log_warn("pthread_create");
			atomic_store(&stop_flag, true);
			break;
		}
		ws[i].started = true;
		started++;
	}
	if (ctl && started == nw && ctl_start(ctl) < 0) {
		log_warn("control thread");
		atomic_store(&stop_flag, true);
	}
	if (started == nw && nw == 1)
		log_info("running on queue %u: TERM/INT stop, HUP reloads, USR1 dumps flows",
		    o.qlo);
	else if (started == nw)
		log_info("running on queues %u-%u, one worker each: TERM/INT stop, "
		    "HUP reloads, USR1 dumps flows", o.qlo, o.qhi);

	while (!atomic_load(&stop_flag)) {
		sigsuspend(&waitmask);
		if (got_stop)
			atomic_store(&stop_flag, true);
		if (got_hup && !got_stop) {
			got_hup = 0;
			reload(&o, sink);
		}
		if (got_usr1) {
			got_usr1 = 0;
			atomic_fetch_add(&dump_gen, 1);
		}
		got_wake = 0;
	}

	rc = started == nw ? 0 : 1;
	ctl_stop(ctl);		/* no request waits on a worker that stopped */
	for (i = 0; i < nw; i++) {
		if (!ws[i].started)
			continue;
		pthread_join(ws[i].tid, NULL);
		if (ws[i].failed)
			rc = 1;
	}
	for (i = 0; i < nw; i++)
		if (ws[i].started)
			summary(&ws[i]);
out:
	for (i = 0; ws && i < nw; i++) {
		struct worker *w = &ws[i];

		if (w->dump && w->dump != w->eb)
			evbuf_free(w->dump);
		evbuf_free(w->eb);
		if (w->e)
			engine_free(w->e);
		rstsend_close(w->rs);
		nfqueue_close(w->q);
	}
	free(ws);
	if (sigs_set) {
		struct timespec zero = { 0, 0 };

		/* A second TERM during shutdown must not kill us now. */
		while (sigtimedwait(&block, NULL, &zero) > 0)
			;
		for (i = 0; i < 5; i++)
			sigaction(sigs[i], &old_sa[i], NULL);
		sigaction(SIGPIPE, &old_pipe, NULL);
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	}
	if (sink) {
		struct evsink_stats st;

		evsink_stats(sink, &st);
		if (st.lost)
			log_warnx("%" PRIu64 " event lines were lost to write errors on %s",
			    st.lost, o.events);
	}
	ctl_free(ctl);
	livepol_free();		/* flushes its [CONTROL] lines: before the sink */
	if (sink)
		evsink_close(sink);
	else if (dumpsink)
		evsink_close(dumpsink);
	free(o.sets);
	return rc;
}
