/* ctlhog -- control-socket clients that misbehave, for natbox's s10_ctl scenario:
 * many at once, one that never reads, one that never speaks, a crowd past the
 * client limit. Self-contained (the Makefile builds each C file in tests/e2e alone).
 *
 *   ctlhog --ctl PATH --mode hammer  [--clients N] [--requests M] [--request LINE]
 *       N connections at once, each asking M times in turn (one request
 *       waits for its answer); prints answered= errors= failed= max_ms=
 *   ctlhog --ctl PATH --mode noread  [--requests M] [--secs S] [--request LINE]
 *       pipeline M requests, never read; wait up to S s for natbox to hang
 *       up; prints sent= closed= after=
 *   ctlhog --ctl PATH --mode silent  [--secs S]
 *       connect, say nothing; prints closed= after=
 *   ctlhog --ctl PATH --mode crowd   [--clients N] [--secs S]
 *       N connections held for S s, each sending nothing; prints
 *       connected= rejected= (answered "too many" at once)
 * Every wait is bounded; exit 0 when the run completed, 2 on usage. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define MAX_CLIENTS 512

static const char *path;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
conn(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Has the peer hung up? Looks without reading. */
static int
hung_up(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = 0 };

	return poll(&p, 1, ms) > 0 && (p.revents & (POLLHUP | POLLERR));
}

struct cl {
	int fd;
	int left;		/* requests still to send */
	double sent_at;
	char buf[65536];
	size_t len;
};

static int
hammer(int n, int m, const char *req)
{
	static struct cl c[MAX_CLIENTS];
	struct pollfd p[MAX_CLIENTS];
	long answered = 0, errors = 0, failed = 0;
	double max_ms = 0, end = now_s() + 60;
	int live = 0, i;

	for (i = 0; i < n; i++) {
		c[i].fd = conn();
		c[i].left = m;
		c[i].len = 0;
		if (c[i].fd < 0) {
			failed++;
			continue;
		}
		live++;
		c[i].sent_at = now_s();
		if (write(c[i].fd, req, strlen(req)) < 0) {
			failed++;
			close(c[i].fd);
			c[i].fd = -1;
			live--;
		}
	}
	while (live > 0 && now_s() < end) {
		for (i = 0; i < n; i++) {
			p[i].fd = c[i].fd;
			p[i].events = POLLIN;
		}
		if (poll(p, (nfds_t)n, 1000) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			ssize_t r;
			char *nl;

			if (c[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (c[i].len == sizeof(c[i].buf))
				c[i].len = 0;	/* a body line we do not need */
			r = read(c[i].fd, c[i].buf + c[i].len, sizeof(c[i].buf) - c[i].len);
			if (r <= 0) {
				failed++;
				close(c[i].fd);
				c[i].fd = -1;
				live--;
				continue;
			}
			c[i].len += (size_t)r;
			/* Look for the status line, the answer's last. */
			while ((nl = memchr(c[i].buf, '\n', c[i].len)) != NULL) {
				size_t l = (size_t)(nl - c[i].buf);
				int done = 0;

				if (l == 2 && !strncmp(c[i].buf, "ok", 2))
					done = 1;
				else if (l >= 7 && !strncmp(c[i].buf, "error: ", 7))
					done = 2;
				memmove(c[i].buf, nl + 1, c[i].len - l - 1);
				c[i].len -= l + 1;
				if (!done)
					continue;
				answered++;
				errors += done == 2;
				if ((now_s() - c[i].sent_at) * 1000 > max_ms)
					max_ms = (now_s() - c[i].sent_at) * 1000;
				if (--c[i].left == 0) {
					close(c[i].fd);
					c[i].fd = -1;
					live--;
					break;
				}
				c[i].sent_at = now_s();
				if (write(c[i].fd, req, strlen(req)) < 0) {
					failed++;
					close(c[i].fd);
					c[i].fd = -1;
					live--;
					break;
				}
			}
		}
	}
	printf("mode=hammer clients=%d answered=%ld errors=%ld failed=%ld unfinished=%d max_ms=%.0f\n",
	    n, answered, errors, failed, live, max_ms);
	return 0;
}

static int
noread(int m, double secs, const char *req)
{
	int fd = conn(), sent = 0, closed = 0;
	double t0 = now_s(), after = -1;
	size_t len = strlen(req), off = 0;

	if (fd < 0) {
		printf("mode=noread sent=0 closed=0 after=- connect=failed\n");
		return 0;
	}
	/* Pipeline until natbox stops taking them (its buffers and ours fill). */
	while (sent < m && now_s() - t0 < secs) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t w;

		if (poll(&p, 1, 100) <= 0)
			break;
		if (p.revents & (POLLHUP | POLLERR)) {
			closed = 1;
			break;
		}
		w = send(fd, req + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EPIPE || errno == ECONNRESET)
				closed = 1;
			if (errno != EAGAIN)
				break;
			continue;
		}
		off += (size_t)w;
		if (off == len) {
			off = 0;
			sent++;
		}
	}
	while (!closed && now_s() - t0 < secs)
		closed = hung_up(fd, 100);
	if (closed)
		after = now_s() - t0;
	printf("mode=noread sent=%d closed=%d after=%.1f\n", sent, closed, after);
	close(fd);
	return 0;
}

static int
silent(double secs)
{
	int fd = conn(), closed = 0;
	double t0 = now_s();

	if (fd < 0) {
		printf("mode=silent closed=0 after=- connect=failed\n");
		return 0;
	}
	while (!closed && now_s() - t0 < secs)
		closed = hung_up(fd, 100);
	printf("mode=silent closed=%d after=%.1f\n", closed, closed ? now_s() - t0 : -1.0);
	close(fd);
	return 0;
}

/* n clients at once: how many does natbox turn away ("too many")? The
 * answers are polled for the whole --secs, not read once after a fixed
 * pause: a control thread slowed by load or ASan answers late. */
static int
crowd(int n, double secs)
{
	static int fds[MAX_CLIENTS];
	static char got[MAX_CLIENTS][64];
	static size_t len[MAX_CLIENTS];
	static int told[MAX_CLIENTS];
	int connected = 0, rejected = 0, i;
	double t0 = now_s();

	for (i = 0; i < n; i++)
		if ((fds[i] = conn()) >= 0)
			connected++;
	while (now_s() - t0 < secs) {
		for (i = 0; i < n; i++) {
			ssize_t r;

			if (fds[i] < 0 || told[i] || len[i] >= sizeof(got[i]) - 1)
				continue;
			r = recv(fds[i], got[i] + len[i], sizeof(got[i]) - 1 - len[i],
			    MSG_DONTWAIT);
			if (r <= 0)
				continue;
			len[i] += (size_t)r;
			got[i][len[i]] = '\0';
			if (strstr(got[i], "too many") != NULL) {
				told[i] = 1;
				rejected++;
			}
		}
		usleep(50000);
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("mode=crowd clients=%d connected=%d rejected=%d\n", n, connected, rejected);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "clients", required_argument, NULL, 'n' },
		{ "requests", required_argument, NULL, 'r' },
		{ "secs", required_argument, NULL, 's' },
		{ "request", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mode = NULL, *line = "stats";
	char req[4200];
	int n = 20, m = 20, c;
	double secs = 10;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'm': mode = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'r': m = atoi(optarg); break;
		case 's': secs = atof(optarg); break;
		case 'q': line = optarg; break;
		default: return 2;
		}
	}
	if (!path || !mode || n < 1 || n > MAX_CLIENTS || m < 1 || secs <= 0 || secs > 120) {
		fprintf(stderr, "usage: ctlhog --ctl PATH --mode hammer|noread|silent|crowd "
		    "[--clients N] [--requests M] [--secs S] [--request LINE]\n");
		return 2;
	}
	snprintf(req, sizeof(req), "%s\n", line);
	if (!strcmp(mode, "hammer"))
		return hammer(n, m, req);
	if (!strcmp(mode, "noread"))
		return noread(m, secs, req);
	if (!strcmp(mode, "silent"))
		return silent(secs);
	if (!strcmp(mode, "crowd"))
		return crowd(n, secs);
	fprintf(stderr, "ctlhog: unknown mode %s\n", mode);
	return 2;
}
