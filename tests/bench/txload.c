/* txload.c -- TCP load generator for tests/bench/bench_lab.sh.
 *
 *   txload server --addr A --port P [--threads 2] [--timeout 120]
 *       echo server: every byte read is written back; SO_REUSEPORT, one
 *       epoll loop per thread; exits after --timeout seconds or on TERM/INT.
 *   txload rr  --addr A --port P [--conns 50] [--size 64] [--duration 5]
 *       request/response: --conns connections, each sends --size bytes and
 *       waits for the --size byte echo, in a loop (one epoll loop); every
 *       transaction's round trip goes into a histogram (p50/p99).
 *       --conns 1 --size 1 is a plain ping-pong latency probe.
 *   txload crr --addr A --port P [--workers 4] [--size 64] [--duration 5]
 *       connect/request/response/close: --workers threads, each looping
 *       connect, send --size bytes, read the echo, close (client closes
 *       first, so the TIME_WAIT sockets stay on the client).
 *
 * Common: [--warmup 0.5] seconds of load not counted, before --duration.
 * Output: one line of key=value pairs on stdout, e.g.
 *   mode=rr conns=50 size=64 secs=5.00 txns=123456 tps=24691.2 p50_us=1890 p99_us=4210 mean_us=2010 errors=0
 * Every loop is bounded by the wall clock and a count; every socket
 * operation has a timeout. Without arguments it prints this usage and exits
 * 0, so `make bench` (which runs every tests/bench program bare) passes.
 *
 * Built standalone by bench_lab.sh (cc -O2 -pthread); when the Makefile
 * links it with the core objects, every symbol but main is static. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define HIST_US		200000		/* 1 us buckets up to 200 ms, then one overflow */
#define CONNS_MAX	1024
#define WORKERS_MAX	64
#define THREADS_MAX	16
#define SIZE_MAX_	65536
#define OP_TIMEOUT_MS	2000		/* any single socket wait */
#define TXNS_CAP	100000000ULL	/* per run, whatever the clock says */

struct opts {
	const char *mode;
	const char *addr;
	int port;
	int conns;
	int size;
	int workers;
	int threads;
	double duration;
	double warmup;
	double timeout;
};

static struct opts O = {
	.port = 5300, .conns = 50, .size = 64, .workers = 4, .threads = 2,
	.duration = 5.0, .warmup = 0.5, .timeout = 120.0,
};

static volatile sig_atomic_t tx_stop;
static struct sockaddr_storage tx_sa;
static socklen_t tx_salen;

static void
tx_on_signal(int sig)
{
	(void)sig;
	tx_stop = 1;
}

static uint64_t
tx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
tx_usage(FILE *f)
{
	fputs("usage: txload server --addr A --port P [--threads N] [--timeout S]\n"
	    "       txload rr  --addr A --port P [--conns N] [--size B] [--duration S] [--warmup S]\n"
	    "       txload crr --addr A --port P [--workers N] [--size B] [--duration S] [--warmup S]\n"
	    "(load generator for tests/bench/bench_lab.sh; needs the lab's namespaces)\n", f);
}

static int
tx_resolve(void)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&tx_sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&tx_sa;

	memset(&tx_sa, 0, sizeof(tx_sa));
	if (inet_pton(AF_INET, O.addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)O.port);
		tx_salen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, O.addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)O.port);
		tx_salen = sizeof(*s6);
		return 0;
	}
	fprintf(stderr, "txload: bad address '%s'\n", O.addr);
	return -1;
}

static void
tx_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
tx_timeouts(int fd)
{
	struct timeval tv = { OP_TIMEOUT_MS / 1000, (OP_TIMEOUT_MS % 1000) * 1000 };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- histogram ------------------------------------------------------ */

struct hist {
	uint32_t *b;		/* HIST_US + 1 buckets */
	uint64_t n, sum_ns;
};

static int
hist_init(struct hist *h)
{
	h->b = calloc(HIST_US + 1, sizeof(*h->b));
	h->n = h->sum_ns = 0;
	return h->b ? 0 : -1;
}

static void
hist_add(struct hist *h, uint64_t ns)
{
	uint64_t us = ns / 1000;

	h->b[us < HIST_US ? us : HIST_US]++;
	h->n++;
	h->sum_ns += ns;
}

static void
hist_merge(struct hist *into, const struct hist *from)
{
	for (size_t i = 0; i <= HIST_US; i++)
		into->b[i] += from->b[i];
	into->n += from->n;
	into->sum_ns += from->sum_ns;
}

/* The smallest bucket with at least q of the samples at or below it. */
static long
hist_q(const struct hist *h, double q)
{
	uint64_t want, acc = 0;

	if (h->n == 0)
		return -1;
	want = (uint64_t)(q * (double)h->n);
	if (want == 0)
		want = 1;
	for (size_t i = 0; i <= HIST_US; i++) {
		acc += h->b[i];
		if (acc >= want)
			return (long)i;
	}
	return HIST_US;
}

/* ---- server --------------------------------------------------------- */

static int
tx_write_all(int fd, const char *p, size_t n)
{
	int spins = 0;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && spins++ < 20) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			(void)poll(&pfd, 1, 100);
			continue;
		}
		return -1;
	}
	return 0;
}

static void *
tx_server_thread(void *arg)
{
	uint64_t deadline = *(uint64_t *)arg;
	struct epoll_event ev, evs[256];
	char *buf = malloc(SIZE_MAX_);
	int one = 1, lfd, ep;

	if (buf == NULL)
		return NULL;
	lfd = socket(tx_sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		perror("txload: socket");
		free(buf);
		return NULL;
	}
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&tx_sa, tx_salen) < 0 || listen(lfd, 4096) < 0) {
		perror("txload: bind/listen");
		close(lfd);
		free(buf);
		return NULL;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	(void)epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!tx_stop && tx_now_ns() < deadline) {
		int n = epoll_wait(ep, evs, 256, 200);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				/* Bounded: at most 256 accepts per wakeup. */
				for (int k = 0; k < 256; k++) {
					int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

					if (c < 0)
						break;
					tx_nodelay(c);
					ev.events = EPOLLIN;
					ev.data.fd = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
						close(c);
				}
				continue;
			}
			ssize_t r = read(fd, buf, SIZE_MAX_);

			if (r > 0) {
				if (tx_write_all(fd, buf, (size_t)r) == 0)
					continue;
			} else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
				continue;
			}
			close(fd);	/* EOF, error: also leaves the epoll set */
		}
	}
	close(ep);
	close(lfd);
	free(buf);
	return NULL;
}

static int
tx_server(void)
{
	pthread_t tid[THREADS_MAX];
	uint64_t deadline = tx_now_ns() + (uint64_t)(O.timeout * 1e9);
	int n = O.threads;

	for (int i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, tx_server_thread, &deadline) != 0) {
			n = i;
			break;
		}
	printf("mode=server listening=%s:%d threads=%d\n", O.addr, O.port, n);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	return n > 0 ? 0 : 1;
}

/* ---- rr: many connections, request/response in a loop --------------- */

struct rrconn {
	int fd;
	int got;		/* bytes of the current response read */
	uint64_t t0;
};

static int
tx_connect_blocking(void)
{
	int fd = socket(tx_sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	tx_timeouts(fd);
	if (connect(fd, (struct sockaddr *)&tx_sa, tx_salen) < 0) {
		close(fd);
		return -1;
	}
	tx_nodelay(fd);
	return fd;
}

static void
tx_report(const char *mode, const struct hist *h, double secs, uint64_t errors)
{
	printf("mode=%s conns=%d workers=%d size=%d secs=%.2f txns=%" PRIu64
	    " tps=%.1f p50_us=%ld p90_us=%ld p99_us=%ld mean_us=%.0f errors=%" PRIu64 "\n",
	    mode, O.conns, O.workers, O.size, secs, h->n, secs > 0 ? (double)h->n / secs : 0.0,
	    hist_q(h, 0.50), hist_q(h, 0.90), hist_q(h, 0.99),
	    h->n ? (double)h->sum_ns / (double)h->n / 1000.0 : 0.0, errors);
}

static int
tx_rr(void)
{
	static struct rrconn c[CONNS_MAX];
	struct epoll_event ev, evs[CONNS_MAX];
	char req[SIZE_MAX_], rsp[SIZE_MAX_];
	struct hist h;
	uint64_t start, t_meas, t_end, errors = 0, last_progress;
	int ep, live = 0;

	if (hist_init(&h) < 0)
		return 1;
	memset(req, 'q', (size_t)O.size);
	ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < O.conns; i++) {
		c[i].fd = tx_connect_blocking();
		if (c[i].fd < 0) {
			fprintf(stderr, "txload: connect %d/%d: %s\n", i + 1, O.conns, strerror(errno));
			while (i-- > 0)
				close(c[i].fd);
			close(ep);
			free(h.b);
			return 1;
		}
		(void)fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		(void)epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
	}
	start = tx_now_ns();
	t_meas = start + (uint64_t)(O.warmup * 1e9);
	t_end = t_meas + (uint64_t)(O.duration * 1e9);
	for (int i = 0; i < O.conns; i++) {
		c[i].got = 0;
		c[i].t0 = tx_now_ns();
		if (write(c[i].fd, req, (size_t)O.size) != O.size) {
			errors++;
			close(c[i].fd);
			c[i].fd = -1;
			continue;
		}
		live++;
	}
	last_progress = tx_now_ns();
	while (live > 0 && !tx_stop && h.n < TXNS_CAP) {
		int n = epoll_wait(ep, evs, CONNS_MAX, 100);
		uint64_t now = tx_now_ns();

		if (now >= t_end)
			break;
		if (n <= 0) {
			if (now - last_progress > (uint64_t)OP_TIMEOUT_MS * 1000000ULL) {
				fprintf(stderr, "txload: no response for %d ms, giving up\n", OP_TIMEOUT_MS);
				errors++;
				break;
			}
			continue;
		}
		for (int k = 0; k < n; k++) {
			struct rrconn *cc = &c[evs[k].data.u32];
			ssize_t r = read(cc->fd, rsp, (size_t)(O.size - cc->got));

			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				errors++;
				(void)epoll_ctl(ep, EPOLL_CTL_DEL, cc->fd, NULL);
				close(cc->fd);
				cc->fd = -1;
				live--;
				continue;
			}
			cc->got += (int)r;
			if (cc->got < O.size)
				continue;
			now = tx_now_ns();
			last_progress = now;
			if (now >= t_meas && now < t_end)
				hist_add(&h, now - cc->t0);
			cc->got = 0;
			cc->t0 = now;
			if (write(cc->fd, req, (size_t)O.size) != O.size) {
				errors++;
				(void)epoll_ctl(ep, EPOLL_CTL_DEL, cc->fd, NULL);
				close(cc->fd);
				cc->fd = -1;
				live--;
			}
		}
	}
	{
		uint64_t stop = tx_now_ns();
		double secs = (double)((stop < t_end ? stop : t_end) - t_meas) / 1e9;

		tx_report("rr", &h, secs, errors);
	}
	for (int i = 0; i < O.conns; i++)
		if (c[i].fd >= 0)
			close(c[i].fd);
	close(ep);
	free(h.b);
	return 0;
}

/* ---- crr: connect, request, response, close ------------------------- */

struct crrw {
	pthread_t tid;
	uint64_t t_meas, t_end;
	uint64_t errors;
	struct hist h;
};

static int
tx_read_full(int fd, char *p, int n)
{
	int got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, (size_t)(n - got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (int)r;
	}
	return 0;
}

static void *
tx_crr_thread(void *arg)
{
	struct crrw *w = arg;
	char req[SIZE_MAX_], rsp[SIZE_MAX_];
	uint64_t iter = 0;

	memset(req, 'c', (size_t)O.size);
	while (!tx_stop && iter++ < TXNS_CAP) {
		uint64_t t0 = tx_now_ns(), t1;
		int fd;

		if (t0 >= w->t_end)
			break;
		fd = tx_connect_blocking();
		if (fd < 0) {
			w->errors++;
			usleep(1000);	/* e.g. EADDRNOTAVAIL: no hot spin */
			continue;
		}
		if (write(fd, req, (size_t)O.size) != O.size ||
		    tx_read_full(fd, rsp, O.size) < 0) {
			w->errors++;
			close(fd);
			continue;
		}
		close(fd);
		t1 = tx_now_ns();
		if (t1 >= w->t_meas && t1 < w->t_end)
			hist_add(&w->h, t1 - t0);
	}
	return NULL;
}

static int
tx_crr(void)
{
	static struct crrw w[WORKERS_MAX];
	struct hist all;
	uint64_t start = tx_now_ns(), errors = 0;
	int n = O.workers;

	if (hist_init(&all) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		w[i].t_meas = start + (uint64_t)(O.warmup * 1e9);
		w[i].t_end = w[i].t_meas + (uint64_t)(O.duration * 1e9);
		if (hist_init(&w[i].h) < 0 ||
		    pthread_create(&w[i].tid, NULL, tx_crr_thread, &w[i]) != 0) {
			n = i;
			break;
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		hist_merge(&all, &w[i].h);
		errors += w[i].errors;
		free(w[i].h.b);
	}
	tx_report("crr", &all, O.duration, errors);
	free(all.b);
	return n > 0 ? 0 : 1;
}

/* ---- main ----------------------------------------------------------- */

static int
tx_int(const char *s, int lo, int hi, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "txload: %s must be %d..%d\n", what, lo, hi);
		exit(2);
	}
	return (int)v;
}

static double
tx_secs(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v >= 0.0 && v <= 3600.0)) {
		fprintf(stderr, "txload: %s must be 0..3600 seconds\n", what);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "conns", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa;
	int ch;

	if (argc < 2) {
		tx_usage(stdout);
		return 0;
	}
	O.mode = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': O.addr = optarg; break;
		case 'p': O.port = tx_int(optarg, 1, 65535, "--port"); break;
		case 'c': O.conns = tx_int(optarg, 1, CONNS_MAX, "--conns"); break;
		case 's': O.size = tx_int(optarg, 1, SIZE_MAX_, "--size"); break;
		case 'w': O.workers = tx_int(optarg, 1, WORKERS_MAX, "--workers"); break;
		case 't': O.threads = tx_int(optarg, 1, THREADS_MAX, "--threads"); break;
		case 'd': O.duration = tx_secs(optarg, "--duration"); break;
		case 'W': O.warmup = tx_secs(optarg, "--warmup"); break;
		case 'T': O.timeout = tx_secs(optarg, "--timeout"); break;
		case 'h': tx_usage(stdout); return 0;
		default: tx_usage(stderr); return 2;
		}
	}
	if (O.addr == NULL || optind != argc) {
		tx_usage(stderr);
		return 2;
	}
	if (tx_resolve() < 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tx_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(O.mode, "server") == 0)
		return tx_server();
	if (strcmp(O.mode, "rr") == 0)
		return tx_rr();
	if (strcmp(O.mode, "crr") == 0)
		return tx_crr();
	tx_usage(stderr);
	return 2;
}
