/* cmd_run.c -- `natbox run`: the live front; NFQUEUE in, verdicts and RSTs out.
 *
 * On the router, send forwarded TCP to natbox (both families):
 *
 *   iptables  -A FORWARD -p tcp -j NFQUEUE --queue-num 0 --queue-bypass
 *   ip6tables -A FORWARD -p tcp -j NFQUEUE --queue-num 0 --queue-bypass
 *
 * --queue-bypass accepts packets while no natbox is bound, so stopping
 * natbox never blackholes the router. With --queue 0-3 natbox runs one
 * worker thread per queue (worker.c), each with its own netlink socket, its
 * own engine (its own flow table) and its own raw sockets: no lock on the
 * packet path. Spread the flows with
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
 * Here: the options and the main thread. Signals are flags only; the main
 * thread sleeps in sigsuspend() and does the work: SIGHUP reloads the
 * profile (and reopens an --events file), SIGUSR1 asks every worker to dump
 * its flows, SIGTERM/SIGINT stop.
 *
 * A control thread (ctl.c) serves `natbox ctl` on a unix socket. It reaches
 * a worker's engine only through that worker's mailbox, which the worker
 * answers between bursts; profile changes, from it or from SIGHUP, are
 * published by livepol.c and picked up by each worker at its next burst. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "ctl.h"
#include "engine.h"
#include "evsink.h"
#include "livepol.h"
#include "log.h"
#include "nfq.h"
#include "opts.h"
#include "privdrop.h"
#include "qwatch.h"
#include "safefile.h"
#include "worker.h"

#define QUEUES_MAX	64
#define BURST_DEFAULT	64
#define COPY_DEFAULT	128		/* IPv6 40 + TCP 60 + room for an ext. header */
#define MAXLEN_DEFAULT	4096		/* the kernel's default is 1024 */

struct run_opts {
	unsigned qlo, qhi;
	bool have_queue;
	struct opt_profiles prof;	/* --policy (the last one counts), --set */
	const char *policy;
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
	const char *user;	/* --user: switch to it after opening */
	uint64_t grace_ns;	/* --grace */
	const char *ctl_group;	/* --ctl-group: may read through the socket */
};

/* What the main thread holds while natbox runs. */
struct run {
	struct run_opts o;
	struct evsink *sink;		/* --events, or NULL */
	struct evsink *dumpsink;	/* flow dumps: sink, or stdout */
	struct ctl *ctl;
	struct workers *ws;
	struct qwatch *qw;		/* the overload watch, or NULL */
};

/* The signals the main thread takes, and what it replaced. */
#define RUN_NSIGS 5
static const int run_sigs[RUN_NSIGS] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2 };

struct run_signals {
	struct sigaction old[RUN_NSIGS], old_pipe;
	sigset_t block, oldmask, waitmask;
};

/* Set by signal handlers, read by the main thread. */
static volatile sig_atomic_t got_stop, got_hup, got_usr1, got_wake;

static void
usage(FILE *f, bool full)
{
	fprintf(f,
	    "usage: natbox run --queue N[-M] --policy NAME|FILE [--set key=value]...\n"
	    "                  [--events -|FILE] [--format text|json] [--fail-open]\n"
	    "                  [--copy-bytes N] [--queue-maxlen N] [--burst N]\n"
	    "                  [--ctl PATH | --no-ctl] [--history N] [--user NAME]\n"
	    "                  [--grace DURATION] [--ctl-group GROUP]\n"
	    "                  [--syslog] [-v | -Q]\n");
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
	    "  --ctl-group GROUP  the socket 0660 for GROUP, whose members may only read\n"
	    "  --history N        events kept per queue for natbox ctl explain (default %d)\n"
	    "  --user NAME        run as NAME once the queues and sockets are open\n"
	    "  --grace DURATION   adopt mid-stream flows this long after start (restarts)\n"
	    "  --syslog           messages to syslog (daemon facility), not stderr\n"
	    "  -v, -Q, --quiet    more messages (repeat for debug), or warnings only\n"
	    "signals: HUP reloads the profile, USR1 dumps flows, TERM/INT stop\n",
	    COPY_DEFAULT, MAXLEN_DEFAULT, NFQUEUE_BURST_MAX, BURST_DEFAULT, CTL_DIR,
	    CTL_HISTORY_DEFAULT);
}

/* ---- options ---- */

enum { O_FAIL_OPEN = 256, O_COPY, O_MAXLEN, O_BURST, O_CTL, O_NO_CTL, O_HISTORY,
    O_SYSLOG, O_USER, O_GRACE, O_CTL_GROUP };

static const struct option run_lopts[] = {
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
	{ "user", required_argument, NULL, O_USER },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "ctl-group", required_argument, NULL, O_CTL_GROUP },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'Q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* The options that take a number: 0, or -1 with the message. */
static int
take_number(struct run_opts *o, int c, const char *arg)
{
	unsigned long long v;

	switch (c) {
	case O_COPY:
		if (opt_unsigned(&v, "copy-bytes", arg, 40, 65535) < 0)
			return -1;
		o->copy_bytes = (uint32_t)v;
		break;
	case O_MAXLEN:
		if (opt_unsigned(&v, "queue-maxlen", arg, 1, 1000000) < 0)
			return -1;
		o->maxlen = (uint32_t)v;
		break;
	case O_BURST:
		if (opt_unsigned(&v, "burst", arg, 1, NFQUEUE_BURST_MAX) < 0)
			return -1;
		o->burst = (unsigned)v;
		break;
	case O_HISTORY:
		if (opt_unsigned(&v, "history", arg, 0, 16777216) < 0)
			return -1;
		o->history = (unsigned)v;
		break;
	}
	return 0;
}

/* One option from getopt_long(): 0, 1 for --help (printed), -1 on an error
 * (the message is out). */
static int
take_option(struct run_opts *o, int c, const char *arg)
{
	bool json;

	switch (c) {
	case 'q':
		if (get_queues(arg, &o->qlo, &o->qhi, QUEUES_MAX) < 0) {
			log_warnx("--queue %s: expected N or N-M, 0-65535, at most %d queues",
			    arg, QUEUES_MAX);
			return -1;
		}
		o->have_queue = true;
		return 0;
	case 'p':
	case 's':
		return opt_profiles_take(&o->prof, c, arg, "run");
	case 'e':
		o->events = arg;
		return 0;
	case 'f':
		if (opt_format(&json, arg) < 0)
			return -1;
		o->fmt = json ? EVF_JSON : EVF_TEXT;
		return 0;
	case O_COPY:
	case O_MAXLEN:
	case O_BURST:
	case O_HISTORY:
		return take_number(o, c, arg);
	case O_FAIL_OPEN:
		o->fail_open = true;
		return 0;
	case O_CTL:
		o->ctl_path = arg;
		return 0;
	case O_NO_CTL:
		o->no_ctl = true;
		return 0;
	case O_SYSLOG:
		o->syslog = true;
		return 0;
	case O_USER:
		o->user = arg;
		return 0;
	case O_CTL_GROUP:
		o->ctl_group = arg;
		return 0;
	case O_GRACE:
		if (policy_parse_duration(arg, &o->grace_ns) < 0) {
			log_warnx("--grace %s: expected a duration with its unit (30s, 2m)", arg);
			return -1;
		}
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'Q':
		o->verbose = -1;
		return 0;
	case 'h':
		usage(stdout, true);
		return 1;
	default:
		return -1;	/* getopt printed why */
	}
}

static int
parse_args(int argc, char **argv, struct run_opts *o)
{
	int c, r;

	memset(o, 0, sizeof(*o));
	o->copy_bytes = COPY_DEFAULT;
	o->maxlen = MAXLEN_DEFAULT;
	o->burst = BURST_DEFAULT;
	o->fmt = EVF_TEXT;
	o->history = CTL_HISTORY_DEFAULT;
	/* Room for every --policy: a repeated one replaces the last. */
	opt_profiles_init(&o->prof, argc, (unsigned)argc);

	optind = 0;	/* argv[0] is "run"; 0 also resets getopt's state */
	while ((c = getopt_long(argc, argv, "+q:p:s:e:f:vQh", run_lopts, NULL)) != -1)
		if ((r = take_option(o, c, optarg)) != 0)
			return r;
	if (o->prof.nspecs)
		o->policy = o->prof.specs[o->prof.nspecs - 1];
	if (optind < argc) {
		log_warnx("run: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (!o->have_queue || o->policy == NULL) {
		log_warnx("run: --queue and --policy are required");
		return -1;
	}
	return 0;
}

/* ---- the main thread ---- */

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

/* Block the signals before the workers exist so only the main thread takes
 * them, and only inside sigsuspend(): no wakeup is lost. */
static void
signals_catch(struct run_signals *s)
{
	struct sigaction sa;
	unsigned i;

	sigemptyset(&s->block);
	for (i = 0; i < RUN_NSIGS; i++)
		sigaddset(&s->block, run_sigs[i]);
	pthread_sigmask(SIG_BLOCK, &s->block, &s->oldmask);
	s->waitmask = s->oldmask;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < RUN_NSIGS; i++) {
		sigdelset(&s->waitmask, run_sigs[i]);
		sigaction(run_sigs[i], &sa, &s->old[i]);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &s->old_pipe);	/* a closed events pipe is a write error */
}

static void
signals_restore(struct run_signals *s)
{
	struct timespec zero = { 0, 0 };
	unsigned i;

	/* A second TERM during shutdown must not kill us now. */
	while (sigtimedwait(&s->block, NULL, &zero) > 0)
		;
	for (i = 0; i < RUN_NSIGS; i++)
		sigaction(run_sigs[i], &s->old[i], NULL);
	sigaction(SIGPIPE, &s->old_pipe, NULL);
	pthread_sigmask(SIG_SETMASK, &s->oldmask, NULL);
}

static void
reload(const struct run *r)
{
	char msg[4096], *save, *l;

	if (r->sink && evsink_reopen(r->sink) < 0)
		log_warn("reopening %s", r->o.events);
	if (livepol_reload(clock_now_ns(), "SIGHUP", msg, sizeof(msg)) < 0)
		for (l = strtok_r(msg, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			log_warnx("SIGHUP: %s", l);
}

/* How often the overload watch reads the queues' figures. */
#define QWATCH_EVERY_S	1

/* Sleep until a stop: by signal, or by a worker that failed (it wakes us
 * with SIGUSR2). Reload and dump on the way; the overload watch every
 * QWATCH_EVERY_S (ppoll() with no descriptor: sigsuspend() with a timeout). */
static void
wait_for_stop(const struct run *r, const sigset_t *waitmask)
{
	const struct timespec every = { .tv_sec = QWATCH_EVERY_S };

	while (!workers_stopping(r->ws)) {
		if (ppoll(NULL, 0, &every, waitmask) == 0) {
			qwatch_tick(r->qw, clock_now_ns());
			continue;
		}
		if (got_stop)
			workers_stop(r->ws);
		if (got_hup && !got_stop) {
			got_hup = 0;
			reload(r);
		}
		if (got_usr1) {
			got_usr1 = 0;
			workers_dump(r->ws);
		}
		got_wake = 0;
	}
}

/* --ctl-group: the socket's group, whose members may read. */
static int
ctl_group(const struct run_opts *o, struct ctl *c, const char *path)
{
	struct group *gr;

	errno = 0;
	if ((gr = getgrnam(o->ctl_group)) == NULL) {
		if (errno)
			log_warn("--ctl-group %s", o->ctl_group);
		else
			log_warnx("--ctl-group %s: no such group", o->ctl_group);
		return -1;
	}
	if (ctl_set_group(c, gr->gr_gid) < 0) {
		log_warn("control socket %s: group %s", path, o->ctl_group);
		return -1;
	}
	log_info("control socket %s: group %s may read", path, o->ctl_group);
	return 0;
}

/* The control socket: --ctl PATH must work (-1 if not); the default is
 * best effort, so two natbox on one queue number (in two namespaces) run. */
static int
open_ctl(const struct run_opts *o, struct evsink *sink, struct ctl **out)
{
	char def[108];
	const char *path = o->ctl_path;

	*out = NULL;
	if (o->no_ctl) {
		if (o->ctl_group)
			log_warnx("run: --ctl-group without a control socket (--no-ctl): ignored");
		return 0;
	}
	if (path == NULL) {
		ctl_default_path(o->qlo, def, sizeof(def));
		path = def;
	}
	if ((*out = ctl_open(path, sink)) != NULL) {
		log_info("control socket %s", path);
		return o->ctl_group ? ctl_group(o, *out, path) : 0;
	}
	if (errno == EADDRINUSE)
		log_warnx("control socket %s is in use by another natbox%s", path,
		    o->ctl_path ? "" : "; running without one (give --ctl PATH)");
	else
		log_warn("control socket %s%s", path,
		    o->ctl_path ? "" : "; running without one");
	return o->ctl_path ? -1 : 0;
}

/* --events, and where flow dumps go without it (stdout). */
static int
open_sinks(struct run *r)
{
	if (r->o.events) {
		r->sink = evsink_open(r->o.events, r->o.fmt);
		if (r->sink == NULL) {
			log_warnx("cannot open events file %s: %s", r->o.events,
			    safe_strerror(errno));
			return -1;
		}
		r->dumpsink = r->sink;
	} else {
		r->dumpsink = evsink_open("-", r->o.fmt);	/* SIGUSR1 dumps only */
		if (r->dumpsink == NULL)
			fatal("evsink");
	}
	return 0;
}

static uint64_t
run_id_gaps(void *ctx)
{
	return workers_id_gaps(ctx);
}

/* The overload watch, once the queues are bound and while natbox may
 * still open a netlink socket: without it natbox runs, uncounted. */
static void
open_qwatch(struct run *r)
{
	struct qwatch_config qc = {
		.qlo = r->o.qlo, .qhi = r->o.qhi, .fail_open = r->o.fail_open,
		.id_gaps = run_id_gaps, .ctx = r->ws,
	};

	r->qw = qwatch_open(&qc, clock_now_ns());
	if (r->qw && r->ctl)
		ctl_set_qstats(r->ctl, qwatch_stats, r->qw);
}

/* Everything before the threads: the profile, the sinks, the control
 * socket, the queues. The exit status if one fails (2: the profile), or 0. */
static int
run_open(struct run *r)
{
	const struct run_opts *o = &r->o;
	struct workers_config wc = {
		.qlo = o->qlo, .qhi = o->qhi, .copy_bytes = o->copy_bytes,
		.maxlen = o->maxlen, .burst = o->burst, .fail_open = o->fail_open,
		.history = o->history, .wake_signal = SIGUSR2, .grace_ns = o->grace_ns,
	};

	if (livepol_init(o->policy, o->prof.sets, o->prof.nsets) < 0)
		return 2;	/* profile_load printed every file:line */
	/* One mapping table per engine: two workers would hand out the same
	 * external ports, and --queue-balance hashes the inside and outside
	 * views of a flow to different queues. */
	if (nat_on(&livepol_current()->nat) && o->qlo != o->qhi) {
		log_warnx("run: profile %s translates (nat.outside): give one queue, not %u-%u",
		    livepol_current()->name, o->qlo, o->qhi);
		return 2;
	}
	if (!nfqueue_may_bind()) {
		log_warnx("natbox run needs root (CAP_NET_ADMIN) to bind a netfilter queue");
		return 1;
	}
	if (open_sinks(r) < 0)
		return 1;
	livepol_set_sink(r->sink);
	if (open_ctl(o, r->sink, &r->ctl) < 0)
		return 1;
	wc.pol = livepol_current();
	wc.sink = r->sink;
	wc.dumpsink = r->dumpsink;
	wc.ctl = r->ctl;
	r->ws = workers_open(&wc);
	if (r->ws == NULL)
		return 1;
	open_qwatch(r);
	return 0;
}

/* Everything is open: keep CAP_NET_ADMIN (verdicts need it), become
 * --user, no new privileges (privdrop.c). Before any thread starts. */
static int
run_drop(struct run *r)
{
	struct privdrop pd = { .keep_net_raw = false };

	if (r->o.user) {
		if (privdrop_lookup_user(&pd, r->o.user) < 0)
			return -1;
		if (r->sink && evsink_chown(r->sink, pd.uid, pd.gid) < 0)
			log_warn("%s: cannot give it to %s; a SIGHUP reopen may fail",
			    r->o.events, r->o.user);
	}
	if (privdrop_apply(&pd) < 0)
		return -1;
	log_info("privileges dropped: CAP_NET_ADMIN kept%s%s", r->o.user ? ", user " : "",
	    r->o.user ? r->o.user : "");
	return 0;
}

/* Start the workers and the control thread, serve signals until a stop,
 * join. The workers are closed before the signals are restored: their last
 * event lines may still meet a closed pipe. */
static int
run_workers(struct run *r)
{
	const struct run_opts *o = &r->o;
	struct run_signals sigs;
	int rc = 0;

	signals_catch(&sigs);
	if (workers_start(r->ws) < 0) {
		rc = 1;
	} else {
		if (r->ctl && ctl_start(r->ctl) < 0) {
			log_warn("control thread");
			workers_stop(r->ws);
		}
		if (o->qlo == o->qhi)
			log_info("running on queue %u: TERM/INT stop, HUP reloads, "
			    "USR1 dumps flows", o->qlo);
		else
			log_info("running on queues %u-%u, one worker each: TERM/INT stop, "
			    "HUP reloads, USR1 dumps flows", o->qlo, o->qhi);
		if (o->grace_ns)
			log_info("grace: for %.1f s, packets of unknown flows start flows "
			    "whatever unknown.action says", (double)o->grace_ns / 1e9);
	}
	wait_for_stop(r, &sigs.waitmask);
	qwatch_tick(r->qw, clock_now_ns());	/* the queues are still bound */
	ctl_stop(r->ctl);	/* no request waits on a worker that stopped */
	if (workers_join(r->ws) < 0)
		rc = 1;
	workers_close(r->ws);
	r->ws = NULL;
	signals_restore(&sigs);
	return rc;
}

static void
run_close(struct run *r)
{
	qwatch_close(r->qw, clock_now_ns());
	workers_close(r->ws);
	if (r->sink) {
		struct evsink_stats st;

		evsink_stats(r->sink, &st);
		if (st.lost)
			log_warnx("%" PRIu64 " event lines were lost to write errors on %s",
			    st.lost, r->o.events);
	}
	ctl_free(r->ctl);
	livepol_free();		/* flushes its [CONTROL] lines: before the sink */
	if (r->sink)
		evsink_close(r->sink);
	else if (r->dumpsink)
		evsink_close(r->dumpsink);
	opt_profiles_free(&r->o.prof);
}

int
cmd_run(int argc, char **argv)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	privdrop_close_inherited();	/* before anything of ours is open */
	rc = parse_args(argc, argv, &r.o);
	if (rc != 0) {
		if (rc < 0)
			usage(stderr, false);
		opt_profiles_free(&r.o.prof);
		return rc < 0 ? 2 : 0;
	}
	if (r.o.verbose || r.o.syslog)
		log_init(r.o.verbose, r.o.syslog);	/* else keep what main set */
	got_stop = got_hup = got_usr1 = got_wake = 0;

	rc = run_open(&r);
	if (rc == 0 && run_drop(&r) < 0)
		rc = 1;
	if (rc == 0)
		rc = run_workers(&r);
	run_close(&r);
	return rc;
}
