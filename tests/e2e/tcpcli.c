/* tcpcli -- TCP client endpoint for natbox's namespace scenarios: half-close
 * then read, idle then resend, reset, abort, hold, or just connect, and report
 * the outcome as key=value lines. Self-contained on purpose: the Makefile
 * builds each C file in tests/e2e as a program of its own.
 *
 * Every wait is a poll() slice of at most 100 ms against one overall deadline
 * (--timeout), so a run always ends by itself, whatever the network does.
 *
 * Output (stdout, line-buffered):
 *   connected local=A:P peer=A:P connect_ms=X
 *   progress t=T bytes_so_far=N               (half-close with --progress)
 *   event=state t=T state=S                   (hold, on each TCP state change)
 *   mode=M result=R key=value...              (summary, always the last line)
 * Exit: 0 the client ran (the outcome, even a refused connect, is data),
 *       1 local error, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "endpoint.h"

#define IOBUF           16384

enum mode {
	MODE_HALF_CLOSE,
	MODE_IDLE,
	MODE_RESET,
	MODE_ABORT,
	MODE_HOLD,
	MODE_CONNECT,
	MODE_COUNT
};

static const char *const mode_names[MODE_COUNT + 1] = {
	[MODE_HALF_CLOSE] = "half-close",
	[MODE_IDLE] = "idle",
	[MODE_RESET] = "reset",
	[MODE_ABORT] = "abort",
	[MODE_HOLD] = "hold",
	[MODE_CONNECT] = "connect",
};

enum close_how { CLOSE_FIN, CLOSE_RST, CLOSE_NONE };

/* Linux TCP states (include/net/tcp_states.h), as ss prints them. */

struct opts {
	const char *addr;
	const char *port;
	const char *bind_addr;
	long bind_port;
	enum mode mode;
	enum close_how close_how;
	double timeout;
	double connect_timeout;
	double idle_limit;
	double idle_secs;
	double reply_timeout;
	double hold_secs;       /* < 0: the mode's default */
	long request_bytes;     /* < 0: the mode's default */
	long user_timeout_ms;   /* < 0: the mode's default */
	int progress;
};

static struct opts g_opt;
static char g_local[INET6_ADDRSTRLEN + 16] = "-";
static char g_peer[INET6_ADDRSTRLEN + 16] = "-";
static double g_connect_ms = -1;

/* "state_at_end=S retrans=N" for the summary line. */
static void fmt_tcp_end(int fd, char *buf, size_t len)
{
	struct tcp_info ti;

	if (fd >= 0 && tcp_info_get(fd, &ti) == 0)
		snprintf(buf, len, "state_at_end=%s retrans=%u", state_name(ti.tcpi_state),
			 ti.tcpi_total_retrans);
	else
		snprintf(buf, len, "state_at_end=UNKNOWN retrans=0");
}

/* Map a socket error to the outcome word scripts match on. */
static const char *err_result(int e)
{
	switch (e) {
	case ECONNRESET:
	case EPIPE:
		return "reset";
	case ETIMEDOUT:
		return "timeout";
	case ECONNREFUSED:
		return "refused";
	case EHOSTUNREACH:
	case ENETUNREACH:
		return "unreachable";
	default:
		return "error";
	}
}

/* Resolve, optionally bind, connect within --connect-timeout.
 * Returns the fd, or -1 with *result and *err set (an outcome), -2 for a
 * local error, -3 for a usage error (an address that does not parse). */
static int do_connect(const char **result, int *err)
{
	struct addrinfo hints = { 0 }, *ai = NULL, *bi = NULL;
	struct sockaddr_storage ss;
	socklen_t sl;
	double t0, until;
	int fd, rc, ev, one = 1, soerr = 0;
	char portbuf[16];

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(g_opt.addr, g_opt.port, &hints, &ai);
	if (rc != 0 || !ai) {
		fprintf(stderr, "tcpcli: bad address %s port %s: %s\n", g_opt.addr,
			g_opt.port, gai_strerror(rc));
		return -3;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "tcpcli: socket: %s\n", strerror(errno));
		freeaddrinfo(ai);
		return -2;
	}
	if (g_opt.user_timeout_ms > 0) {
		unsigned ut = (unsigned)g_opt.user_timeout_ms;

		if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)) < 0) {
			fprintf(stderr, "tcpcli: TCP_USER_TIMEOUT: %s\n", strerror(errno));
			goto local_err;
		}
	}
	if (g_opt.bind_port > 0 || g_opt.bind_addr) {
		/* SO_REUSEADDR lets a fixed source port be bound again while an
		 * old connection on it lingers (TIME_WAIT reuse experiments). */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		snprintf(portbuf, sizeof(portbuf), "%ld", g_opt.bind_port);
		hints.ai_family = ai->ai_family;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
		rc = getaddrinfo(g_opt.bind_addr, portbuf, &hints, &bi);
		if (rc != 0 || !bi) {
			fprintf(stderr, "tcpcli: bad --bind-addr for this family: %s\n",
				gai_strerror(rc));
			freeaddrinfo(ai);
			close(fd);
			return -3;
		}
		if (bind(fd, bi->ai_addr, bi->ai_addrlen) < 0) {
			*err = errno;
			*result = "bind_error";
			freeaddrinfo(bi);
			freeaddrinfo(ai);
			close(fd);
			return -1;
		}
		freeaddrinfo(bi);
	}
	t0 = now_s();
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc < 0 && errno != EINPROGRESS) {
		soerr = errno;
	} else if (rc < 0) {
		until = min_d(t0 + g_opt.connect_timeout, g_deadline);
		ev = wait_fd(fd, POLLOUT, until);
		if (ev == 0) {
			*result = g_stop ? "stopped" : "connect_timeout";
			*err = ETIMEDOUT;
			close(fd);
			return -1;
		}
		sl = sizeof(soerr);
		if (ev < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
	}
	if (soerr) {
		*err = soerr;
		*result = soerr == EADDRNOTAVAIL || soerr == EADDRINUSE ? "connect_error" :
			  err_result(soerr);
		if (strcmp(*result, "error") == 0)
			*result = "connect_error";
		close(fd);
		return -1;
	}
	g_connect_ms = (now_s() - t0) * 1000;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		fmt_addr((struct sockaddr *)&ss, g_local, sizeof(g_local));
	sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		fmt_addr((struct sockaddr *)&ss, g_peer, sizeof(g_peer));
	printf("connected local=%s peer=%s connect_ms=%.3f\n", g_local, g_peer, g_connect_ms);
	return fd;
local_err:
	freeaddrinfo(ai);
	close(fd);
	return -2;
}

/* Send all of buf, waiting for room in bounded slices. 0 or the errno. */
static int send_all(int fd, const char *buf, size_t len, double until)
{
	size_t off = 0;
	ssize_t n;
	int i;

	for (i = 0; off < len && i < 1000000; i++) {
		n = send(fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return sock_error(fd, errno);
		if (wait_fd(fd, POLLOUT, until) <= 0)
			return ETIMEDOUT;
	}
	return off == len ? 0 : ETIMEDOUT;
}

static int send_request(int fd, long nbytes)
{
	char buf[IOBUF];
	long left = nbytes;
	size_t n;
	int e;

	memset(buf, 'q', sizeof(buf));
	while (left > 0) {
		n = left > (long)sizeof(buf) ? sizeof(buf) : (size_t)left;
		e = send_all(fd, buf, n, g_deadline);
		if (e)
			return e;
		left -= (long)n;
	}
	return 0;
}

static void print_connect_failure(const char *result, int err)
{
	int v6 = strchr(g_opt.addr, ':') != NULL;

	printf("mode=%s result=%s err=%s local=%s peer=%s%s%s:%s elapsed=%.3f\n",
	       mode_names[g_opt.mode], result, errname(err), g_local, v6 ? "[" : "",
	       g_opt.addr, v6 ? "]" : "", g_opt.port, now_s() - g_start);
}

/* Send a request, shutdown(SHUT_WR) (our FIN), then read until EOF, a reset,
 * --idle-limit seconds without a byte, or the deadline. Times are relative
 * to our FIN. */
static void run_half_close(int fd)
{
	double t_fin, t_first = 0, t_last = 0, t_end, until, next_progress;
	long long bytes = 0;
	const char *result = NULL;
	char buf[IOBUF], first[32], last[32], tcpend[96];
	long iter;
	ssize_t n;
	int ev, err;

	err = send_request(fd, g_opt.request_bytes);
	t_fin = now_s();
	if (err == 0 && shutdown(fd, SHUT_WR) < 0)
		err = sock_error(fd, errno);
	if (err) {
		result = err_result(err);
		goto done;
	}
	next_progress = t_fin + 1;
	for (iter = 0; iter < 100000000L; iter++) {
		until = (t_last > 0 ? t_last : t_fin) + g_opt.idle_limit;
		if (g_opt.progress)
			until = min_d(until, next_progress);
		ev = wait_fd(fd, POLLIN, until);
		if (g_opt.progress && now_s() >= next_progress) {
			printf("progress t=%.3f bytes_so_far=%lld\n", next_progress - t_fin, bytes);
			next_progress += 1;
		}
		if (ev < 0) {
			err = errno;
			result = "error";
			break;
		}
		if (ev == 0) {
			if (g_stop) {
				result = "stopped";
				break;
			}
			if (now_s() >= g_deadline) {
				result = "timeout";
				break;
			}
			if (now_s() >= (t_last > 0 ? t_last : t_fin) + g_opt.idle_limit) {
				result = "stalled";
				break;
			}
			continue;       /* a progress tick */
		}
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			bytes += n;
			t_last = now_s();
			if (t_first == 0)
				t_first = t_last;
		} else if (n == 0) {
			result = "eof";
			break;
		} else if (errno != EAGAIN && errno != EINTR) {
			err = errno;
			result = err_result(err);
			break;
		}
	}
	if (!result)
		result = "timeout";
done:
	t_end = now_s();
	fmt_rel(first, sizeof(first), t_first, t_fin);
	fmt_rel(last, sizeof(last), t_last, t_fin);
	fmt_tcp_end(fd, tcpend, sizeof(tcpend));
	printf("mode=half-close result=%s bytes=%lld fin_at=0.000 first_byte_at=%s "
	       "last_byte_at=%s end_at=%.3f err=%s sent=%ld %s local=%s peer=%s "
	       "connect_ms=%.3f\n",
	       result, bytes, first, last, t_end - t_fin, errname(err),
	       g_opt.request_bytes, tcpend, g_local, g_peer, g_connect_ms);
	close(fd);
}

/* Read exactly `want` bytes within `secs`. 0, or the outcome word. */
static const char *read_reply(int fd, long want, double secs, int *err)
{
	char buf[IOBUF];
	double until = now_s() + secs;
	long got = 0;
	ssize_t n;
	int i, ev;

	for (i = 0; got < want && i < 10000000; i++) {
		ev = wait_fd(fd, POLLIN, until);
		if (ev < 0) {
			*err = errno;
			return "error";
		}
		if (ev == 0)
			return g_stop ? "stopped" : "timeout";
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			got += n;
		else if (n == 0)
			return "eof";
		else if (errno != EAGAIN && errno != EINTR) {
			*err = errno;
			return err_result(errno);
		}
	}
	return got >= want ? NULL : "timeout";
}

/* Request/echo, stay idle --idle-secs (watching for a RST or FIN meanwhile),
 * then send again and say what became of it. Needs tcpsrv --mode echo. */
static void run_idle(int fd)
{
	const char *result = NULL, *first = NULL, *idle_event = "none";
	double t_idle, until, t_event = 0, t_send = 0, t_reply = 0;
	char buf[64], ev_at[32], reply_ms[32], tcpend[96];
	ssize_t n;
	int err = 0, e, ev, i;

	e = send_request(fd, g_opt.request_bytes);
	first = e ? err_result(e) : read_reply(fd, g_opt.request_bytes, g_opt.reply_timeout, &err);
	if (e)
		err = e;
	if (first) {
		result = "no_first_echo";
		goto done;
	}
	t_idle = now_s();
	until = t_idle + g_opt.idle_secs;
	for (i = 0; i < 10000000 && now_s() < until && !g_stop; i++) {
		ev = wait_fd(fd, POLLIN, until);
		if (ev <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			idle_event = "data";
		} else if (n == 0) {
			idle_event = "eof";
		} else if (errno == EAGAIN || errno == EINTR) {
			continue;
		} else {
			err = errno;
			idle_event = err_result(errno);
		}
		t_event = now_s();
		break;
	}
	if (g_stop) {
		result = "stopped";
		goto done;
	}
	if (now_s() >= g_deadline) {
		result = "timeout";
		goto done;
	}
	if (strcmp(idle_event, "none") != 0 && strcmp(idle_event, "data") != 0) {
		result = idle_event;    /* the connection died while idle */
		goto done;
	}
	/* Stay idle for the full period even after stray data. */
	sleep_until(until);
	t_send = now_s();
	e = send_request(fd, g_opt.request_bytes);
	if (e) {
		err = e;
		result = err_result(e);
		goto done;
	}
	result = read_reply(fd, g_opt.request_bytes, g_opt.reply_timeout, &err);
	if (!result) {
		result = "echo";
		t_reply = now_s();
	}
	if (strcmp(result, "timeout") == 0 && err == 0) {
		/* Did the kernel give up (TCP_USER_TIMEOUT) meanwhile? */
		socklen_t sl = sizeof(e);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e)
			err = e;
	}
done:
	fmt_rel(ev_at, sizeof(ev_at), t_event, t_event > 0 ? t_idle : 0);
	if (t_reply > 0)
		snprintf(reply_ms, sizeof(reply_ms), "%.3f", (t_reply - t_send) * 1000);
	else
		snprintf(reply_ms, sizeof(reply_ms), "-");
	fmt_tcp_end(fd, tcpend, sizeof(tcpend));
	printf("mode=idle result=%s idle_secs=%.3f idle_event=%s idle_event_at=%s "
	       "reply_ms=%s err=%s %s local=%s peer=%s connect_ms=%.3f\n",
	       result, g_opt.idle_secs, idle_event, ev_at, reply_ms, errname(err),
	       tcpend, g_local, g_peer, g_connect_ms);
	close(fd);
}

/* Connected: optionally send, hold --hold-secs watching the peer and the TCP
 * state, then end as the mode (or --close) says. */
static void run_hold_like(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	double until, t0 = now_s(), t_fin = 0;
	const char *result = g_opt.mode == MODE_CONNECT ? "connected" : "ok";
	struct tcp_info ti;
	unsigned last = 0;
	long long rx = 0;
	char buf[IOBUF], fin_at[32], tcpend[96];
	ssize_t n;
	int e, err = 0, i, eof = 0;

	e = send_request(fd, g_opt.request_bytes);
	if (e) {
		err = e;
		result = err_result(e);
	}
	until = min_d(t0 + g_opt.hold_secs, g_deadline);
	for (i = 0; i < 10000000 && !err && !g_stop && now_s() < until; i++) {
		if (g_opt.mode == MODE_HOLD && tcp_info_get(fd, &ti) == 0 &&
		    ti.tcpi_state != last) {
			last = ti.tcpi_state;
			printf("event=state t=%.3f state=%s\n", now_s() - t0, state_name(last));
		}
		if (eof) {      /* after EOF, POLLIN stays set: just sleep */
			sleep_until(min_d(now_s() + 0.05, until));
			continue;
		}
		if (wait_fd(fd, POLLIN, min_d(now_s() + 0.05, until)) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			rx += n;
		} else if (n == 0) {
			eof = 1;
			t_fin = now_s();
		} else if (errno != EAGAIN && errno != EINTR) {
			err = errno;
			result = err_result(errno);
		}
	}
	if (g_stop)
		result = "stopped";
	fmt_rel(fin_at, sizeof(fin_at), t_fin, t0);
	fmt_tcp_end(fd, tcpend, sizeof(tcpend));
	printf("mode=%s result=%s sent=%ld rx_bytes=%lld peer_fin=%d peer_fin_at=%s "
	       "err=%s close=%s %s local=%s peer=%s connect_ms=%.3f\n",
	       mode_names[g_opt.mode], result, g_opt.request_bytes, rx, eof, fin_at,
	       errname(err), g_opt.close_how == CLOSE_RST ? "rst" :
	       g_opt.close_how == CLOSE_NONE ? "none" : "fin",
	       tcpend, g_local, g_peer, g_connect_ms);
	fflush(stdout);
	switch (g_opt.close_how) {
	case CLOSE_RST:
		/* SO_LINGER {1, 0}: close() sends RST instead of FIN. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		break;
	case CLOSE_NONE:
		/* Exit with the socket open: the kernel closes it as for a killed
		 * process (FIN, or RST if unread data is pending). */
		_exit(0);
	case CLOSE_FIN:
		close(fd);
		break;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tcpcli --addr A --port P [--mode M] [--timeout S] [--bind-port P]\n"
"              [--bind-addr A] [--connect-timeout S] [--request-bytes N]\n"
"              [--idle-limit S] [--progress] [--idle-secs S] [--reply-timeout S]\n"
"              [--hold-secs S] [--close fin|rst|none] [--user-timeout MS]\n"
"modes:\n"
"  half-close  send --request-bytes (64), shutdown(SHUT_WR), read until EOF,\n"
"              a reset, or --idle-limit (5 s) without a byte\n"
"              -> result=eof|reset|stalled|timeout; times relative to our FIN\n"
"  idle        request/echo, idle --idle-secs (5), send again, wait for the\n"
"              echo up to --reply-timeout (5) -> result=echo|reset|timeout|eof\n"
"              (TCP_USER_TIMEOUT defaults to --reply-timeout)\n"
"  reset       connect, send --request-bytes (0), wait --hold-secs (0), RST\n"
"  abort       same, then exit without closing the socket\n"
"  hold        connect, hold --hold-secs (5) reporting state changes, close\n"
"  connect     connect, report, close (--close fin|rst|none)\n"
"defaults: --timeout 30, --connect-timeout 5; durations take 2.5, 250ms, 3s, 1m\n"
"connect failures: result=refused|connect_timeout|unreachable|reset|\n"
"                  connect_error|bind_error with err=ERRNO_NAME\n");
}

static const char *const close_names[] = { "fin", "rst", "none", NULL };

/* What each mode does unless told otherwise. */
static void mode_defaults(int close_set)
{
	if (g_opt.request_bytes < 0)
		g_opt.request_bytes = (g_opt.mode == MODE_HALF_CLOSE || g_opt.mode == MODE_IDLE) ? 64 : 0;
	if (g_opt.mode == MODE_IDLE && g_opt.request_bytes == 0)
		g_opt.request_bytes = 1;
	if (g_opt.hold_secs < 0)
		g_opt.hold_secs = g_opt.mode == MODE_HOLD ? 5 : 0;
	if (g_opt.user_timeout_ms < 0)
		g_opt.user_timeout_ms = g_opt.mode == MODE_IDLE ?
					(long)(g_opt.reply_timeout * 1000) : 0;
	if (!close_set && g_opt.mode == MODE_RESET)
		g_opt.close_how = CLOSE_RST;
	if (!close_set && g_opt.mode == MODE_ABORT)
		g_opt.close_how = CLOSE_NONE;
}

static int parse_args(int argc, char **argv)
{
	struct ep_opt t[] = {
		EPO_STR("addr", &g_opt.addr),
		EPO_PORT("port", &g_opt.port),
		EPO_WORD("mode", &g_opt.mode, mode_names),
		EPO_POS_SECS("timeout", &g_opt.timeout),
		EPO_LONG("bind-port", &g_opt.bind_port, 1, 65535),
		EPO_STR("bind-addr", &g_opt.bind_addr),
		EPO_SECS("connect-timeout", &g_opt.connect_timeout),
		EPO_LONG("request-bytes", &g_opt.request_bytes, 0, 1L << 30),
		EPO_SECS("idle-limit", &g_opt.idle_limit),
		EPO_FLAG("progress", &g_opt.progress),
		EPO_SECS("idle-secs", &g_opt.idle_secs),
		EPO_SECS("reply-timeout", &g_opt.reply_timeout),
		EPO_SECS("hold-secs", &g_opt.hold_secs),
		EPO_WORD("close", &g_opt.close_how, close_names),
		EPO_LONG("user-timeout", &g_opt.user_timeout_ms, 0, INT_MAX),
	};
	const int n = (int)(sizeof(t) / sizeof(t[0]));

	g_opt.mode = MODE_HALF_CLOSE;
	g_opt.close_how = CLOSE_FIN;
	g_opt.timeout = 30;
	g_opt.connect_timeout = 5;
	g_opt.idle_limit = 5;
	g_opt.idle_secs = 5;
	g_opt.reply_timeout = 5;
	g_opt.hold_secs = -1;
	g_opt.request_bytes = -1;
	g_opt.user_timeout_ms = -1;
	if (ep_parse("tcpcli", argc, argv, 1, t, n, usage) < 0)
		return -1;
	if (!g_opt.addr || !g_opt.port) {
		fprintf(stderr, "tcpcli: --addr and --port are required\n");
		usage(stderr);
		return -1;
	}
	mode_defaults(ep_seen(t, n, "close"));
	return 0;
}

int main(int argc, char **argv)
{
	const char *result = NULL;
	int fd, err = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv) < 0)
		return 2;

	ep_start("result=hard_timeout\n", g_opt.timeout);

	fd = do_connect(&result, &err);
	if (fd == -2)
		return 1;
	if (fd == -3)
		return 2;
	if (fd < 0) {
		print_connect_failure(result, err);
		return 0;
	}
	switch (g_opt.mode) {
	case MODE_HALF_CLOSE:
		run_half_close(fd);
		break;
	case MODE_IDLE:
		run_idle(fd);
		break;
	case MODE_RESET:
	case MODE_ABORT:
	case MODE_HOLD:
	case MODE_CONNECT:
	case MODE_COUNT:
		run_hold_like(fd);
		break;
	}
	return 0;
}
