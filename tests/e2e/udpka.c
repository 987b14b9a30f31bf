/* udpka -- UDP keepalive endpoints for natbox's namespace scenarios: a client
 * that sends a numbered datagram every --every ms and reports each reply (with
 * the time it was sent), each missing one and each ICMP error its connected
 * socket is told of; a server that echoes and/or sends keepalives of its own.
 * Self-contained on purpose: the Makefile builds each C file in tests/e2e as a
 * program of its own.
 *
 *   udpka client --to ADDR:PORT [--from ADDR:PORT] --every MS --count N
 *                [--wait-replies] [--reply-timeout S] [--pause-after N --pause MS]
 *                [--hold S] [--timeout S]
 *   udpka server --listen ADDR:PORT [--echo] [--keepalive S --to ADDR:PORT]
 *                [--hello ADDR:PORT] [--count N] [--timeout S]
 *
 * ADDR:PORT is 203.0.113.2:5000 or [2001:db8:2::2]:5000; the family follows
 * the address. Every wait is a poll() slice of at most 100 ms against one
 * overall deadline (--timeout), every loop has a count bound, and a SIGALRM
 * 10 s past the deadline is the last resort: a run always ends by itself.
 *
 * Output (stdout, line-buffered), one line per event. t= is seconds since
 * the program started, mono= CLOCK_MONOTONIC seconds: the clock natbox's
 * event timestamps (ts=) are read from, the same in every network namespace.
 *   client:
 *     start role=client local=A:P peer=A:P every_ms=N count=N mono=M
 *     sent seq=N t=T mono=M
 *     reply seq=N sent_t=T t=T rtt_ms=X mono=M [late=1]   (our datagram echoed)
 *     peer seq=N t=T mono=M                  (a keepalive the server sent)
 *     icmp port-unreachable after_seq=N t=T mono=M   (recv or send failed with
 *                                             ECONNREFUSED; N: datagrams sent)
 *     icmp host-unreachable|net-unreachable after_seq=N t=T mono=M
 *     timeout seq=N sent_t=T t=T             (--wait-replies: no reply within
 *                                             --reply-timeout)
 *     done role=client result=R sent=N replies=N late=N timeouts=N peer=N
 *          unreach=N last_reply_seq=N last_reply_mono=M last_peer_mono=M
 *          first_timeout_seq=N elapsed=T
 *   server:
 *     listening role=server local=A:P echo=0|1 keepalive=S mono=M
 *     hello to=A:P t=T mono=M                (--hello: one datagram first, from
 *                                             the listening port: behind a NAT
 *                                             it opens the server's mapping)
 *     got from=A:P seq=N t=T mono=M
 *     echo to=A:P seq=N t=T mono=M
 *     keepalive seq=N to=A:P t=T mono=M      (they start with the first
 *                                             datagram received: the client
 *                                             opened the flow by then)
 *     send_error err=ERRNO t=T
 *     done role=server result=R got=N echoed=N keepalives=N elapsed=T
 * result (client): all_replies, replies_stopped (every reply came before the
 * first missing one), no_replies, gaps (a reply after a missing one), sent
 * (no --wait-replies); stopped (TERM) or deadline (--timeout) override them.
 * result (server): keepalives_sent (--count of them: the server ends), stopped,
 * deadline.
 * Exit: 0 the endpoint ran (outcomes are data), 1 local error, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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

#define MAX_COUNT       100000  /* datagrams a client sends, keepalives a server */
#define DGRAM_MAX       512
#define DRAIN_MAX       64      /* datagrams read per wake-up */
#define LOOP_MAX        100000000L
#define CLI_TAG         "udpka-cli"
#define SRV_TAG         "udpka-srv"

enum role { ROLE_NONE, ROLE_CLIENT, ROLE_SERVER };

struct endpoint_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	const char *text;
};

struct opts {
	enum role role;
	struct endpoint_addr to, from, listen, hello;
	long every_ms;
	long count;
	int wait_replies;
	double reply_timeout;
	long pause_after;
	long pause_ms;
	double hold;
	double timeout;
	int echo;
	double keepalive;
};

static struct opts g_opt;

/* "198.51.100.2:5000" or "[2001:db8:1::2]:5000" (numeric only). */
static int parse_hostport(const char *s, struct endpoint_addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *hs;
	size_t hl;
	long port;

	memset(a, 0, sizeof(*a));
	a->text = s;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		hs = s + 1;
		hl = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -1;      /* an IPv6 address wants brackets */
		hs = s;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host) || parse_long(colon + 1, 0, 65535, &port) < 0)
		return -1;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (s[0] != '[') {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&a->ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		a->len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&a->ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*s6);
	}
	return 0;
}

static double rel(double t)
{
	return t - g_start;
}

/* Wait until fd is readable (or has an error to report) or `until`, in
 * slices. 1 readable, 0 not (time up or a stop), -1 poll error. */
static int wait_readable(int fd, double until)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	until = min_d(until, g_deadline);
	do {
		p.revents = 0;
		n = poll(&p, 1, slice_ms(until));
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	} while (!g_stop && now_s() < until);
	return 0;
}

/* The ICMP error a connected UDP socket reports, as the line's words. */
static const char *icmp_word(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return "port-unreachable";
	case EHOSTUNREACH:
		return "host-unreachable";
	case ENETUNREACH:
		return "net-unreachable";
	default:
		return NULL;
	}
}

static int open_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		fprintf(stderr, "udpka: socket: %s\n", strerror(errno));
	return fd;
}

static int bind_to(int fd, const struct endpoint_addr *a)
{
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		fprintf(stderr, "udpka: bind %s: %s\n", a->text, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- client ---------------------------------------------------------- */

struct cli {
	int fd;
	double *sent_at;        /* mono time of each datagram, by seq - 1 */
	unsigned char *st;      /* 0 waiting, 1 replied, 2 timed out */
	long sent, replies, late, timeouts, peer, unreach;
	long last_reply_seq, first_timeout_seq;
	double last_reply_mono, last_peer_mono;
};

/* When datagram k (0-based) is due: every --every ms, and --pause instead
 * of --every after the --pause-after'th. */
static double send_time(double t0, long k)
{
	double t = t0 + (double)k * (double)g_opt.every_ms / 1000;

	if (g_opt.pause_after > 0 && k >= g_opt.pause_after)
		t += (double)(g_opt.pause_ms - g_opt.every_ms) / 1000;
	return t;
}

static void report_icmp(struct cli *c, int e)
{
	double t = now_s();
	const char *w = icmp_word(e);

	if (w) {
		c->unreach++;
		printf("icmp %s after_seq=%ld t=%.3f mono=%.6f\n", w, c->sent, rel(t), t);
	} else {
		printf("error err=%s t=%.3f mono=%.6f\n", errname(e), rel(t), t);
	}
}

static void cli_send(struct cli *c)
{
	char buf[DGRAM_MAX];
	long seq = c->sent + 1;
	double t = now_s();
	ssize_t n;
	int len, tries;

	len = snprintf(buf, sizeof(buf), CLI_TAG " seq=%ld sent=%.6f", seq, t);
	/* A pending ICMP error fails the next send on the socket (and is
	 * cleared by that): report it and send again, once. */
	for (tries = 0; tries < 2; tries++) {
		n = send(c->fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			break;
		report_icmp(c, errno);
	}
	c->sent_at[c->sent] = t;
	c->sent++;
	printf("sent seq=%ld t=%.3f mono=%.6f%s\n", seq, rel(t), t, n < 0 ? " send_failed=1" : "");
}

/* One datagram received: our own echoed, or the server's keepalive. */
static void cli_got(struct cli *c, const char *buf)
{
	double t = now_s(), sent;
	long seq;

	if (sscanf(buf, CLI_TAG " seq=%ld sent=%lf", &seq, &sent) == 2) {
		int late;

		if (seq < 1 || seq > c->sent) {
			printf("stray seq=%ld t=%.3f\n", seq, rel(t));
			return;
		}
		late = c->st[seq - 1] == 2;
		if (c->st[seq - 1] == 1) {
			printf("duplicate seq=%ld t=%.3f\n", seq, rel(t));
			return;
		}
		if (late) {
			c->late++;
		} else {
			c->st[seq - 1] = 1;
			c->replies++;
			c->last_reply_seq = seq;
			c->last_reply_mono = t;
		}
		printf("reply seq=%ld sent_t=%.3f t=%.3f rtt_ms=%.3f mono=%.6f%s\n", seq,
		       rel(c->sent_at[seq - 1]), rel(t), (t - c->sent_at[seq - 1]) * 1000, t,
		       late ? " late=1" : "");
		return;
	}
	if (sscanf(buf, SRV_TAG " seq=%ld", &seq) == 1) {
		c->peer++;
		c->last_peer_mono = t;
		printf("peer seq=%ld t=%.3f mono=%.6f\n", seq, rel(t), t);
		return;
	}
	printf("unknown t=%.3f\n", rel(t));
}

static void cli_drain(struct cli *c)
{
	char buf[DGRAM_MAX + 1];
	ssize_t n;
	int i;

	for (i = 0; i < DRAIN_MAX; i++) {
		n = recv(c->fd, buf, DGRAM_MAX, MSG_DONTWAIT);
		if (n >= 0) {
			buf[n] = '\0';
			cli_got(c, buf);
			continue;
		}
		if (errno == EAGAIN || errno == EINTR)
			return;
		report_icmp(c, errno);
	}
}

/* Datagrams whose reply is overdue, oldest first (their deadlines come in
 * the order they were sent). Returns the index of the oldest still
 * waiting, or c->sent when none is. */
static long cli_timeouts(struct cli *c, long lo, double now)
{
	while (lo < c->sent) {
		if (c->st[lo] != 0) {
			lo++;
			continue;
		}
		if (c->sent_at[lo] + g_opt.reply_timeout > now)
			break;
		c->st[lo] = 2;
		c->timeouts++;
		if (c->first_timeout_seq == 0)
			c->first_timeout_seq = lo + 1;
		printf("timeout seq=%ld sent_t=%.3f t=%.3f\n", lo + 1, rel(c->sent_at[lo]), rel(now));
		lo++;
	}
	return lo;
}

static const char *cli_result(const struct cli *c)
{
	if (g_stop)
		return "stopped";
	if (c->sent < g_opt.count || (g_opt.wait_replies && c->replies + c->timeouts < c->sent))
		return "deadline";
	if (!g_opt.wait_replies)
		return "sent";
	if (c->replies == c->sent)
		return "all_replies";
	if (c->replies == 0)
		return "no_replies";
	if (c->first_timeout_seq > c->last_reply_seq)
		return "replies_stopped";
	return "gaps";
}

static int run_client(void)
{
	struct cli c;
	struct sockaddr_storage ss;
	char local[INET6_ADDRSTRLEN + 16] = "-", peer[INET6_ADDRSTRLEN + 16] = "-";
	double t0, now, wake, hold_until = 0;
	socklen_t sl;
	long lo = 0, it;

	memset(&c, 0, sizeof(c));
	c.fd = open_socket(g_opt.to.ss.ss_family);
	if (c.fd < 0)
		return 1;
	if (g_opt.from.len && (g_opt.from.ss.ss_family != g_opt.to.ss.ss_family ||
			       bind_to(c.fd, &g_opt.from) < 0)) {
		if (g_opt.from.ss.ss_family != g_opt.to.ss.ss_family)
			fprintf(stderr, "udpka: --from and --to are of different families\n");
		close(c.fd);
		return g_opt.from.ss.ss_family != g_opt.to.ss.ss_family ? 2 : 1;
	}
	/* Connected: the kernel then hands ICMP errors about our datagrams
	 * to the socket (ECONNREFUSED for a port unreachable). */
	if (connect(c.fd, (const struct sockaddr *)&g_opt.to.ss, g_opt.to.len) < 0) {
		fprintf(stderr, "udpka: connect %s: %s\n", g_opt.to.text, strerror(errno));
		close(c.fd);
		return 1;
	}
	sl = sizeof(ss);
	if (getsockname(c.fd, (struct sockaddr *)&ss, &sl) == 0)
		fmt_addr((struct sockaddr *)&ss, local, sizeof(local));
	fmt_addr((const struct sockaddr *)&g_opt.to.ss, peer, sizeof(peer));
	c.sent_at = calloc((size_t)g_opt.count, sizeof(*c.sent_at));
	c.st = calloc((size_t)g_opt.count, 1);
	if (!c.sent_at || !c.st) {
		fprintf(stderr, "udpka: out of memory\n");
		free(c.sent_at);
		free(c.st);
		close(c.fd);
		return 1;
	}
	t0 = now_s();
	printf("start role=client local=%s peer=%s every_ms=%ld count=%ld wait_replies=%d "
	       "reply_timeout=%.3f mono=%.6f\n", local, peer, g_opt.every_ms, g_opt.count,
	       g_opt.wait_replies, g_opt.reply_timeout, t0);
	for (it = 0; it < LOOP_MAX && !g_stop; it++) {
		now = now_s();
		if (now >= g_deadline)
			break;
		if (c.sent < g_opt.count && now >= send_time(t0, c.sent))
			cli_send(&c);
		if (g_opt.wait_replies)
			lo = cli_timeouts(&c, lo, now);
		if (c.sent == g_opt.count && (!g_opt.wait_replies || lo >= c.sent)) {
			/* Everything sent and answered (or not): --hold more. */
			if (hold_until == 0)
				hold_until = now + g_opt.hold;
			if (now >= hold_until)
				break;
		}
		wake = g_deadline;
		if (c.sent < g_opt.count)
			wake = min_d(wake, send_time(t0, c.sent));
		if (g_opt.wait_replies && lo < c.sent)
			wake = min_d(wake, c.sent_at[lo] + g_opt.reply_timeout);
		if (hold_until > 0)
			wake = min_d(wake, hold_until);
		if (wait_readable(c.fd, wake) > 0)
			cli_drain(&c);
	}
	now = now_s();
	printf("done role=client result=%s sent=%ld replies=%ld late=%ld timeouts=%ld peer=%ld "
	       "unreach=%ld last_reply_seq=%ld last_reply_mono=%.6f last_peer_mono=%.6f "
	       "first_timeout_seq=%ld local=%s peer_addr=%s elapsed=%.3f\n",
	       cli_result(&c), c.sent, c.replies, c.late, c.timeouts, c.peer, c.unreach,
	       c.last_reply_seq, c.last_reply_mono, c.last_peer_mono, c.first_timeout_seq,
	       local, peer, now - g_start);
	free(c.sent_at);
	free(c.st);
	close(c.fd);
	return 0;
}

/* ---- server ---------------------------------------------------------- */

static int run_server(void)
{
	struct sockaddr_storage from, ss;
	char local[INET6_ADDRSTRLEN + 16] = "-", fromtxt[INET6_ADDRSTRLEN + 16], to[INET6_ADDRSTRLEN + 16] = "-";
	char buf[DGRAM_MAX + 1], ka[DGRAM_MAX];
	const char *result = NULL;
	double now, wake, ka_next = 0;
	long got = 0, echoed = 0, kas = 0, seq, it;
	socklen_t sl;
	ssize_t n;
	int fd, i, len;

	fd = open_socket(g_opt.listen.ss.ss_family);
	if (fd < 0)
		return 1;
	if (bind_to(fd, &g_opt.listen) < 0) {
		close(fd);
		return 1;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		fmt_addr((struct sockaddr *)&ss, local, sizeof(local));
	if (g_opt.keepalive > 0)
		fmt_addr((const struct sockaddr *)&g_opt.to.ss, to, sizeof(to));
	printf("listening role=server local=%s echo=%d keepalive=%.3f to=%s mono=%.6f\n", local,
	       g_opt.echo, g_opt.keepalive, to, now_s());
	if (g_opt.hello.len) {
		fmt_addr((const struct sockaddr *)&g_opt.hello.ss, fromtxt, sizeof(fromtxt));
		if (sendto(fd, SRV_TAG " hello", sizeof(SRV_TAG " hello") - 1, MSG_NOSIGNAL,
			   (const struct sockaddr *)&g_opt.hello.ss, g_opt.hello.len) < 0)
			printf("send_error err=%s t=%.3f\n", errname(errno), rel(now_s()));
		else
			printf("hello to=%s t=%.3f mono=%.6f\n", fromtxt, rel(now_s()), now_s());
	}
	for (it = 0; it < LOOP_MAX && !g_stop; it++) {
		now = now_s();
		if (now >= g_deadline) {
			result = "deadline";
			break;
		}
		if (ka_next > 0 && kas < g_opt.count && now >= ka_next) {
			len = snprintf(ka, sizeof(ka), SRV_TAG " seq=%ld sent=%.6f", kas + 1, now);
			if (sendto(fd, ka, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (const struct sockaddr *)&g_opt.to.ss, g_opt.to.len) < 0)
				printf("send_error err=%s t=%.3f\n", errname(errno), rel(now));
			kas++;
			printf("keepalive seq=%ld to=%s t=%.3f mono=%.6f\n", kas, to, rel(now), now);
			ka_next += g_opt.keepalive;
		}
		if (g_opt.keepalive > 0 && kas >= g_opt.count) {
			result = "keepalives_sent";
			break;
		}
		wake = ka_next > 0 ? min_d(g_deadline, ka_next) : g_deadline;
		if (wait_readable(fd, wake) <= 0)
			continue;
		for (i = 0; i < DRAIN_MAX; i++) {
			sl = sizeof(from);
			n = recvfrom(fd, buf, DGRAM_MAX, MSG_DONTWAIT, (struct sockaddr *)&from, &sl);
			if (n < 0)
				break;  /* EAGAIN; an unconnected socket gets no ICMP errors */
			buf[n] = '\0';
			now = now_s();
			got++;
			fmt_addr((struct sockaddr *)&from, fromtxt, sizeof(fromtxt));
			if (sscanf(buf, CLI_TAG " seq=%ld", &seq) != 1)
				seq = 0;
			printf("got from=%s seq=%ld t=%.3f mono=%.6f\n", fromtxt, seq, rel(now), now);
			if (g_opt.keepalive > 0 && ka_next == 0)
				ka_next = now + g_opt.keepalive;
			if (!g_opt.echo)
				continue;
			if (sendto(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (struct sockaddr *)&from, sl) < 0) {
				printf("send_error err=%s t=%.3f\n", errname(errno), rel(now));
				continue;
			}
			echoed++;
			printf("echo to=%s seq=%ld t=%.3f mono=%.6f\n", fromtxt, seq, rel(now), now);
		}
	}
	if (!result)
		result = g_stop ? "stopped" : "deadline";
	printf("done role=server result=%s got=%ld echoed=%ld keepalives=%ld elapsed=%.3f\n", result,
	       got, echoed, kas, now_s() - g_start);
	close(fd);
	return 0;
}

/* ---- arguments ------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: udpka client --to ADDR:PORT [--from ADDR:PORT] --every MS --count N\n"
"                    [--wait-replies] [--reply-timeout S] [--pause-after N --pause MS]\n"
"                    [--hold S] [--timeout S]\n"
"       udpka server --listen ADDR:PORT [--echo] [--keepalive S --to ADDR:PORT]\n"
"                    [--hello ADDR:PORT]\n"
"                    [--count N] [--timeout S]\n"
"ADDR:PORT: 203.0.113.2:5000 or [2001:db8:2::2]:5000\n"
"client: a connected UDP socket sends datagram 1..N, one every MS ms (after\n"
"  the --pause-after'th, the next comes --pause MS later); --wait-replies\n"
"  expects each echoed within --reply-timeout (1 s) and reports a timeout\n"
"  otherwise; after the last, --hold S (0) more of listening. ICMP errors\n"
"  the socket is told of print as 'icmp port-unreachable' (ECONNREFUSED).\n"
"server: --echo sends each datagram back; --keepalive S sends its own\n"
"  datagram to --to every S seconds from the listening port, starting with\n"
"  the first datagram received, --count (10) of them, then ends. --hello\n"
"  sends one datagram to ADDR:PORT first (a NAT maps the listening port).\n"
"--timeout (60 s) bounds either. Durations take 2.5, 250ms, 3s, 1m.\n");
}

static int parse_addr(const char *s, void *dst)
{
	return parse_hostport(s, dst);
}

static int check_client(const struct ep_opt *t, int n)
{
	if (!g_opt.to.len || !ep_seen(t, n, "every") || !ep_seen(t, n, "count")) {
		fprintf(stderr, "udpka client: --to, --every and --count are required\n");
		return -1;
	}
	if ((g_opt.pause_after > 0) != (g_opt.pause_ms > 0)) {
		fprintf(stderr, "udpka client: --pause-after and --pause go together\n");
		return -1;
	}
	if (g_opt.listen.len || g_opt.echo || g_opt.keepalive > 0 || g_opt.hello.len) {
		fprintf(stderr, "udpka client: --listen, --echo, --keepalive, --hello are the "
			"server's\n");
		return -1;
	}
	return 0;
}

static int check_server(const struct ep_opt *t, int n)
{
	if (!g_opt.listen.len) {
		fprintf(stderr, "udpka server: --listen is required\n");
		return -1;
	}
	if ((g_opt.keepalive > 0) != (g_opt.to.len > 0)) {
		fprintf(stderr, "udpka server: --keepalive and --to go together\n");
		return -1;
	}
	if (g_opt.to.len && g_opt.to.ss.ss_family != g_opt.listen.ss.ss_family) {
		fprintf(stderr, "udpka server: --listen and --to are of different families\n");
		return -1;
	}
	if (g_opt.from.len || ep_seen(t, n, "every") || g_opt.wait_replies ||
	    g_opt.pause_after || g_opt.hold > 0) {
		fprintf(stderr, "udpka server: --from, --every, --wait-replies, --pause*, "
			"--hold are the client's\n");
		return -1;
	}
	if (!ep_seen(t, n, "count"))
		g_opt.count = 10;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	struct ep_opt t[] = {
		EPO_FUNC("to", &g_opt.to, parse_addr),
		EPO_FUNC("from", &g_opt.from, parse_addr),
		EPO_FUNC("listen", &g_opt.listen, parse_addr),
		EPO_LONG("every", &g_opt.every_ms, 1, 3600000),
		EPO_LONG("count", &g_opt.count, 1, MAX_COUNT),
		EPO_FLAG("wait-replies", &g_opt.wait_replies),
		EPO_POS_SECS("reply-timeout", &g_opt.reply_timeout),
		EPO_LONG("pause-after", &g_opt.pause_after, 1, MAX_COUNT),
		EPO_LONG("pause", &g_opt.pause_ms, 1, 3600000),
		EPO_SECS("hold", &g_opt.hold),
		EPO_POS_SECS("timeout", &g_opt.timeout),
		EPO_FLAG("echo", &g_opt.echo),
		EPO_POS_SECS("keepalive", &g_opt.keepalive),
		EPO_FUNC("hello", &g_opt.hello, parse_addr),
	};
	const int n = (int)(sizeof(t) / sizeof(t[0]));

	if (argc < 2) {
		usage(stderr);
		return -1;
	}
	if (strcmp(argv[1], "client") == 0) {
		g_opt.role = ROLE_CLIENT;
	} else if (strcmp(argv[1], "server") == 0) {
		g_opt.role = ROLE_SERVER;
	} else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		exit(0);
	} else {
		usage(stderr);
		return -1;
	}
	g_opt.count = -1;
	g_opt.reply_timeout = 1;
	g_opt.timeout = 60;
	if (ep_parse("udpka", argc, argv, 2, t, n, usage) < 0)
		return -1;
	return g_opt.role == ROLE_CLIENT ? check_client(t, n) : check_server(t, n);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv) < 0)
		return 2;
	ep_start("done result=hard_timeout\n", g_opt.timeout);
	return g_opt.role == ROLE_CLIENT ? run_client() : run_server();
}
