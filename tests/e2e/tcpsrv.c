/* tcpsrv -- TCP server endpoint for natbox's namespace scenarios: streams
 * after the client's FIN, echoes, aborts with RST, holds, or closes on EOF,
 * and reports what happened as key=value lines. Self-contained on purpose:
 * the Makefile builds each C file in tests/e2e as a program of its own.
 *
 * Every wait is a poll() slice of at most 100 ms against one overall deadline
 * (--timeout), so a run always ends by itself, whatever the network does.
 *
 * Output (stdout, line-buffered, one line per event or connection):
 *   listening addr=A port=P mode=M
 *   event=state conn=N t=T state=S          (hold mode, on each TCP state change)
 *   conn=N peer=A:P mode=M result=R ...     (summary, see usage text)
 *   server=done conns=N result=R
 * Exit: 0 the server ran (outcomes are data), 1 local error, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "endpoint.h"

#define MAX_CONNS_CAP   1024
#define IOBUF           16384

enum mode {
	MODE_STREAM_AFTER_FIN,
	MODE_ECHO,
	MODE_ABORT,
	MODE_HOLD,
	MODE_CLOSE_AFTER_FIN,
	MODE_COUNT
};

static const char *const mode_names[MODE_COUNT + 1] = {
	[MODE_STREAM_AFTER_FIN] = "stream-after-fin",
	[MODE_ECHO] = "echo",
	[MODE_ABORT] = "abort",
	[MODE_HOLD] = "hold",
	[MODE_CLOSE_AFTER_FIN] = "close-after-fin",
};

/* Linux TCP states (include/net/tcp_states.h), as ss prints them. */

struct opts {
	const char *addr;
	const char *port;
	enum mode mode;
	int once;
	int max_conns;
	double timeout;
	double stream_secs;
	double hold_secs;
	double drain_secs;
	long rate;              /* bytes per second while streaming */
	int user_timeout_ms;    /* TCP_USER_TIMEOUT, 0 = kernel default */
};

struct conn {
	int fd;
	int id;
	char peer[INET6_ADDRSTRLEN + 16];
	double t_accept;        /* absolute, monotonic seconds */
	double t_fin;           /* absolute time the peer's FIN was read, 0 = none */
	long long req_bytes;
	long long bytes_sent;
	long long send_blocked; /* stream ticks skipped because the send buffer was full */
	int fin_seen;
	int err;                /* first socket error, 0 = none */
	double t_err;
	int rst_sent;
	int outq_at_close;      /* bytes sent but not acked when we closed, -1 unknown */
	const char *result;
};

static struct opts g_opt;
static pthread_mutex_t g_out_lock = PTHREAD_MUTEX_INITIALIZER;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One whole line per call under a lock, so threads never interleave lines. */
static void out(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&g_out_lock);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&g_out_lock);
}

static void note_err(struct conn *c, int e)
{
	if (c->err == 0) {
		c->err = e;
		c->t_err = now_s();
	}
}

/* Read and discard until the peer's FIN (EOF), an error or `until`. */
static void read_until_eof(struct conn *c, double until)
{
	char buf[IOBUF];
	long iter;
	ssize_t n;
	int ev;

	/* Each pass either reads >= 1 byte or waits one slice: bounded either way. */
	for (iter = 0; iter < 50000000L; iter++) {
		ev = wait_fd(c->fd, POLLIN, until);
		if (ev <= 0)
			return;
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			c->req_bytes += n;
		} else if (n == 0) {
			c->fin_seen = 1;
			c->t_fin = now_s();
			return;
		} else if (errno != EAGAIN && errno != EINTR) {
			note_err(c, errno);
			return;
		}
	}
}

/* Read at least one byte (the request), an error, EOF or `until`. */
static void read_request(struct conn *c, double until)
{
	char buf[IOBUF];
	ssize_t n;
	int i;

	for (i = 0; i < 100000; i++) {
		if (wait_fd(c->fd, POLLIN, until) <= 0)
			return;
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			c->req_bytes += n;
			return;
		}
		if (n == 0) {
			c->fin_seen = 1;
			c->t_fin = now_s();
			return;
		}
		if (errno != EAGAIN && errno != EINTR) {
			note_err(c, errno);
			return;
		}
	}
}

/* Send all of buf or fail, waiting for room in bounded slices. */
static int send_all(struct conn *c, const char *buf, size_t len, double until)
{
	size_t off = 0;
	ssize_t n;
	int i;

	for (i = 0; off < len && i < 1000000; i++) {
		n = send(c->fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			c->bytes_sent += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			note_err(c, sock_error(c->fd, errno));
			return -1;
		}
		if (wait_fd(c->fd, POLLOUT, until) <= 0)
			return -1;
	}
	return off == len ? 0 : -1;
}

static int outq(int fd)
{
	int v = -1;

	if (ioctl(fd, SIOCOUTQ, &v) < 0)
		return -1;
	return v;
}

/* After our FIN: give the peer up to --drain-secs to acknowledge what we sent. */
static void drain(struct conn *c)
{
	double until = min_d(now_s() + g_opt.drain_secs, g_deadline);
	socklen_t sl;
	int i, e;

	for (i = 0; i < 100000 && !g_stop; i++) {
		c->outq_at_close = outq(c->fd);
		if (c->outq_at_close <= 0 || now_s() >= until)
			return;
		/* A RST or TCP_USER_TIMEOUT while draining surfaces only here. */
		e = 0;
		sl = sizeof(e);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e) {
			note_err(c, e);
			return;
		}
		sleep_until(min_d(now_s() + 0.01, until));
	}
}

static void serve_stream_after_fin(struct conn *c)
{
	char buf[IOBUF];
	double tick = 0.01, t0, t_end, next;
	size_t chunk;
	long i, ticks;
	ssize_t n;

	read_until_eof(c, g_deadline);
	if (!c->fin_seen) {
		c->result = c->err ? "error" : (g_stop ? "stopped" : "no_fin");
		return;
	}
	memset(buf, 'x', sizeof(buf));
	chunk = (size_t)((double)g_opt.rate * tick);
	if (chunk < 1)
		chunk = 1;
	if (chunk > sizeof(buf))
		chunk = sizeof(buf);
	t0 = now_s();
	t_end = min_d(t0 + g_opt.stream_secs, g_deadline);
	ticks = (long)(g_opt.stream_secs / tick) + 2;
	next = t0;
	/* Fixed-size writes on a fixed clock: a full send buffer skips a tick
	 * instead of bursting later, so the peer sees a steady trickle. */
	for (i = 0; i < ticks && !g_stop; i++) {
		if (now_s() >= t_end)
			break;
		n = send(c->fd, buf, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			c->bytes_sent += n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			c->send_blocked++;
		} else {
			note_err(c, n < 0 ? sock_error(c->fd, errno) : EIO);
			break;
		}
		next += tick;
		sleep_until(min_d(next, t_end));
	}
	if (c->err) {
		c->result = c->err == ECONNRESET ? "reset" :
			    c->err == EPIPE ? "pipe" :
			    c->err == ETIMEDOUT ? "timedout" : "error";
		return;
	}
	if (shutdown(c->fd, SHUT_WR) < 0)
		note_err(c, sock_error(c->fd, errno));
	drain(c);
	if (c->err)
		c->result = c->err == ECONNRESET ? "reset" :
			    c->err == ETIMEDOUT ? "timedout" : "error";
	else if (g_stop)
		c->result = "stopped";
	else if (t0 + g_opt.stream_secs > g_deadline)
		c->result = "deadline";     /* --timeout cut the stream short */
	else if (c->outq_at_close > 0)
		c->result = "unacked";      /* streamed, but the peer never acked it all */
	else
		c->result = "ok";
}

static void serve_echo(struct conn *c)
{
	char buf[IOBUF];
	long iter;
	ssize_t n;
	int ev;

	for (iter = 0; iter < 50000000L && !g_stop; iter++) {
		ev = wait_fd(c->fd, POLLIN, g_deadline);
		if (ev < 0) {
			note_err(c, errno);
			break;
		}
		if (ev == 0)
			break;
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			c->req_bytes += n;
			if (send_all(c, buf, (size_t)n, g_deadline) < 0)
				break;
		} else if (n == 0) {
			c->fin_seen = 1;
			c->t_fin = now_s();
			break;
		} else if (errno != EAGAIN && errno != EINTR) {
			note_err(c, errno);
			break;
		}
	}
	if (c->err)
		c->result = c->err == ECONNRESET ? "reset" : "error";
	else if (c->fin_seen)
		c->result = "ok";
	else
		c->result = g_stop ? "stopped" : "deadline";
}

static void serve_abort(struct conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	read_request(c, g_deadline);
	/* SO_LINGER {1, 0}: close() sends RST and drops any queued data. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0)
		c->rst_sent = 1;
	c->result = c->err ? "error" : "ok";
}

/* Hold the connection without reading, reporting each TCP state change. */
static void serve_hold(struct conn *c)
{
	double until = min_d(now_s() + g_opt.hold_secs, g_deadline);
	struct tcp_info ti;
	unsigned last = 0;
	char buf[IOBUF];
	ssize_t n;
	int i;

	for (i = 0; i < 10000000 && !g_stop && now_s() < until; i++) {
		if (tcp_info_get(c->fd, &ti) == 0 && ti.tcpi_state != last) {
			last = ti.tcpi_state;
			out("event=state conn=%d t=%.3f state=%s", c->id,
			    now_s() - c->t_accept, state_name(last));
		}
		sleep_until(min_d(now_s() + 0.05, until));
	}
	/* Read what is pending so close() sends a FIN, not a RST for unread data. */
	for (i = 0; i < 100000; i++) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			c->req_bytes += n;
			continue;
		}
		if (n == 0) {
			c->fin_seen = 1;
			c->t_fin = now_s();
		} else if (errno != EAGAIN && errno != EINTR) {
			note_err(c, errno);
		}
		break;
	}
	c->result = c->err ? (c->err == ECONNRESET ? "reset" : "error") :
		    g_stop ? "stopped" : "ok";
}

static void serve_close_after_fin(struct conn *c)
{
	read_until_eof(c, g_deadline);
	if (c->err)
		c->result = c->err == ECONNRESET ? "reset" : "error";
	else if (c->fin_seen)
		c->result = "ok";
	else
		c->result = g_stop ? "stopped" : "no_fin";
}

static void serve_conn(struct conn *c)
{
	char fin_at[32], err_at[32], err_after_fin[32];
	struct tcp_info ti;
	int have_ti;

	c->outq_at_close = -1;
	if (g_opt.user_timeout_ms > 0) {
		unsigned ut = (unsigned)g_opt.user_timeout_ms;

		if (setsockopt(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)) < 0)
			note_err(c, errno);
	}
	switch (g_opt.mode) {
	case MODE_STREAM_AFTER_FIN:
		serve_stream_after_fin(c);
		break;
	case MODE_ECHO:
		serve_echo(c);
		break;
	case MODE_ABORT:
		serve_abort(c);
		break;
	case MODE_HOLD:
		serve_hold(c);
		break;
	case MODE_CLOSE_AFTER_FIN:
	case MODE_COUNT:
		serve_close_after_fin(c);
		break;
	}
	have_ti = tcp_info_get(c->fd, &ti) == 0;
	if (c->outq_at_close < 0)
		c->outq_at_close = outq(c->fd);
	fmt_rel(fin_at, sizeof(fin_at), c->t_fin, c->t_accept);
	fmt_rel(err_at, sizeof(err_at), c->t_err, c->t_accept);
	fmt_rel(err_after_fin, sizeof(err_after_fin), c->err ? c->t_err : 0, c->t_fin);
	out("conn=%d peer=%s mode=%s result=%s req_bytes=%lld fin_seen=%d fin_at=%s "
	    "bytes_sent=%lld send_blocked=%lld err=%s err_at=%s err_after_fin=%s "
	    "rst_sent=%d outq_at_close=%d state_at_end=%s retrans=%u bytes_acked=%llu "
	    "duration=%.3f",
	    c->id, c->peer, mode_names[g_opt.mode], c->result ? c->result : "error",
	    c->req_bytes, c->fin_seen, fin_at, c->bytes_sent, c->send_blocked,
	    errname(c->err), err_at, err_after_fin, c->rst_sent, c->outq_at_close,
	    have_ti ? state_name(ti.tcpi_state) : "UNKNOWN",
	    have_ti ? ti.tcpi_total_retrans : 0,
	    have_ti ? (unsigned long long)ti.tcpi_bytes_acked : 0ULL,
	    now_s() - c->t_accept);
	close(c->fd);
	c->fd = -1;
}

static void *conn_thread(void *arg)
{
	serve_conn(arg);
	return NULL;
}

static int open_listener(void)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	int fd, one = 1, zero = 0, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	rc = getaddrinfo(g_opt.addr, g_opt.port, &hints, &ai);
	if (rc != 0 || !ai) {
		fprintf(stderr, "tcpsrv: bad address %s port %s: %s\n", g_opt.addr,
			g_opt.port, gai_strerror(rc));
		return -2;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "tcpsrv: socket: %s\n", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" serves IPv4 too (mapped addresses), a specific address only itself. */
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "tcpsrv: bind/listen %s port %s: %s\n", g_opt.addr,
			g_opt.port, strerror(errno));
		close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Drop the "::ffff:" of a mapped IPv4 peer so logs read like the lab's plan. */
static void peer_name(struct sockaddr_storage *ss, char *buf, size_t len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = s6->sin6_port };

		memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		fmt_addr((struct sockaddr *)&s4, buf, len);
		return;
	}
	fmt_addr((struct sockaddr *)ss, buf, len);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tcpsrv --port P [--addr A] [--mode M] [--once] [--timeout S]\n"
"              [--stream-secs S] [--rate BYTES_PER_S] [--hold-secs S]\n"
"              [--drain-secs S] [--max-conns N] [--user-timeout MS]\n"
"modes:\n"
"  stream-after-fin  read the request until the client's FIN, then send\n"
"                    --rate bytes/s (default 65536) in 10 ms writes for\n"
"                    --stream-secs (default 10), then FIN and close\n"
"  echo              echo everything back; close after the client's FIN\n"
"  abort             read a request, then close with SO_LINGER {1,0} (RST)\n"
"  hold              keep the connection without reading for --hold-secs\n"
"                    (default 10), reporting TCP state changes, then close\n"
"  close-after-fin   read until the client's FIN, then close at once (FIN)\n"
"defaults: --addr :: (IPv4 too), --timeout 60, --drain-secs 2, --max-conns 64\n"
"durations are seconds, optionally with a unit: 2.5, 250ms, 3s, 1m\n"
"summary line per connection (times in seconds from accept):\n"
"  conn peer mode result req_bytes fin_seen fin_at bytes_sent send_blocked\n"
"  err err_at err_after_fin rst_sent outq_at_close state_at_end retrans\n"
"  bytes_acked duration\n"
"result: ok unacked reset pipe timedout error no_fin deadline stopped\n");
}

static int parse_args(int argc, char **argv)
{
	long max_conns = 64, user_timeout = 0;
	struct ep_opt t[] = {
		EPO_STR("addr", &g_opt.addr),
		EPO_PORT("port", &g_opt.port),
		EPO_WORD("mode", &g_opt.mode, mode_names),
		EPO_FLAG("once", &g_opt.once),
		EPO_POS_SECS("timeout", &g_opt.timeout),
		EPO_SECS("stream-secs", &g_opt.stream_secs),
		EPO_LONG("rate", &g_opt.rate, 1, 100L * 1024 * 1024),
		EPO_SECS("hold-secs", &g_opt.hold_secs),
		EPO_SECS("drain-secs", &g_opt.drain_secs),
		EPO_LONG("max-conns", &max_conns, 1, MAX_CONNS_CAP),
		EPO_LONG("user-timeout", &user_timeout, 0, INT_MAX),
	};

	g_opt.addr = "::";
	g_opt.port = NULL;
	g_opt.mode = MODE_ECHO;
	g_opt.timeout = 60;
	g_opt.stream_secs = 10;
	g_opt.hold_secs = 10;
	g_opt.drain_secs = 2;
	g_opt.rate = 65536;
	if (ep_parse("tcpsrv", argc, argv, 1, t, (int)(sizeof(t) / sizeof(t[0])), usage) < 0)
		return -1;
	g_opt.max_conns = (int)max_conns;
	g_opt.user_timeout_ms = (int)user_timeout;
	if (!g_opt.port) {
		fprintf(stderr, "tcpsrv: --port is required\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static pthread_t tids[MAX_CONNS_CAP];
	static struct conn conns[MAX_CONNS_CAP];
	int lfd, nconn = 0, nthreads = 0, i, ev;
	long iter;
	const char *result = "ok";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv) < 0)
		return 2;

	ep_start("server=done result=hard_timeout\n", g_opt.timeout);

	lfd = open_listener();
	if (lfd < 0)
		return lfd == -2 ? 2 : 1;
	out("listening addr=%s port=%s mode=%s", g_opt.addr, g_opt.port,
	    mode_names[g_opt.mode]);

	for (iter = 0; iter < 1000000 && !g_stop && nconn < g_opt.max_conns &&
	     now_s() < g_deadline; iter++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct conn *c;
		int fd;

		ev = wait_fd(lfd, POLLIN, g_deadline);
		if (ev <= 0)
			break;
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "tcpsrv: accept: %s\n", strerror(errno));
			result = "error";
			break;
		}
		c = &conns[nconn];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->id = ++nconn;
		c->t_accept = now_s();
		peer_name(&ss, c->peer, sizeof(c->peer));
		if (g_opt.once) {
			close(lfd);
			lfd = -1;
			serve_conn(c);
			break;
		}
		if (pthread_create(&tids[nthreads], NULL, conn_thread, c) != 0) {
			serve_conn(c);  /* no thread to be had: serve inline */
			continue;
		}
		nthreads++;
	}
	if (lfd >= 0)
		close(lfd);
	/* Threads watch the same deadline and stop flag, so these joins end. */
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	if (nconn == 0 && strcmp(result, "ok") == 0)
		result = g_stop ? "stopped" : "no_connection";
	out("server=done conns=%d result=%s elapsed=%.3f", nconn, result, now_s() - g_start);
	return strcmp(result, "error") == 0 ? 1 : 0;
}
