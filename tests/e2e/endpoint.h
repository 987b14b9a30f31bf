/* endpoint.h -- what the scenario endpoints (tcpcli, tcpsrv, udpka) share:
 * time, bounded waits, start-up, option tables, parsing, names. */
#ifndef NATBOX_E2E_ENDPOINT_H
#define NATBOX_E2E_ENDPOINT_H

/* Header-only, so each endpoint stays one file for the Makefile's
 * one-program-per-file rule; static inline keeps unused ones quiet. */

#define SLICE_MS        100     /* longest single poll: bounds reaction time */

static const char *const tcp_state_names[] = {
	[0] = "UNKNOWN",
	[1] = "ESTABLISHED",
	[2] = "SYN_SENT",
	[3] = "SYN_RECV",
	[4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2",
	[6] = "TIME_WAIT",
	[7] = "CLOSE",
	[8] = "CLOSE_WAIT",
	[9] = "LAST_ACK",
	[10] = "LISTEN",
	[11] = "CLOSING",
	[12] = "NEW_SYN_RECV",
};

static double g_start;		/* when the program started (now_s) */
static double g_deadline;	/* --timeout: nothing runs past it */
static volatile sig_atomic_t g_stop;	/* TERM/INT seen */

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline const char *errname(int e)
{
	const char *n;

	if (e == 0)
		return "none";
	n = strerrorname_np(e);
	return n ? n : "EUNKNOWN";
}

static inline const char *state_name(unsigned s)
{
	if (s < sizeof(tcp_state_names) / sizeof(tcp_state_names[0]) && tcp_state_names[s])
		return tcp_state_names[s];
	return "UNKNOWN";
}

static inline void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static inline int parse_secs(const char *s, double *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || d < 0 || d > 86400)
		return -1;
	if (strcmp(end, "ms") == 0)
		d /= 1000;
	else if (strcmp(end, "m") == 0)
		d *= 60;
	else if (*end != '\0' && strcmp(end, "s") != 0)
		return -1;
	*v = d;
	return 0;
}

static inline int parse_long(const char *s, long lo, long hi, long *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || n < lo || n > hi)
		return -1;
	*v = n;
	return 0;
}

static inline void fmt_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

static inline double min_d(double a, double b)
{
	return a < b ? a : b;
}

static inline int slice_ms(double until)
{
	double left = until - now_s();

	if (left <= 0)
		return 0;
	if (left * 1000 > SLICE_MS)
		return SLICE_MS;
	return (int)(left * 1000) + 1;
}

/* Last resort if a bug ever defeats the deadline checks: the endpoint's
 * closing line, then exit 3. */
static const char *g_hard_msg = "result=hard_timeout\n";

static inline void on_alarm(int sig)
{
	ssize_t r;

	(void)sig;
	r = write(STDOUT_FILENO, g_hard_msg, strlen(g_hard_msg));
	(void)r;
	_exit(3);
}

/* Start the clock: TERM/INT stop the waits (no SA_RESTART), SIGPIPE is
 * ignored, the run ends by `timeout` and SIGALRM 10 s later prints
 * hard_msg (a whole line) and exits. */
static inline void ep_start(const char *hard_msg, double timeout)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	g_hard_msg = hard_msg;
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	g_start = now_s();
	g_deadline = g_start + timeout;
	alarm((unsigned)timeout + 10);
}

/* Wait for events on fd until `until` (never past the overall deadline), in
 * bounded slices. Returns revents (> 0), 0 on timeout or stop, -1 on error. */
static inline int wait_fd(int fd, short events, double until)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	until = min_d(until, g_deadline);
	while (!g_stop && now_s() < until) {
		p.revents = 0;
		n = poll(&p, 1, slice_ms(until));
		if (n > 0)
			return p.revents;
		if (n < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

/* Sleep until t (never past the overall deadline). */
static inline void sleep_until(double t)
{
	struct timespec ts;

	t = min_d(t, g_deadline);
	if (t <= now_s())
		return;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* ---- option tables ---------------------------------------------------- */

enum ep_kind {
	EP_FLAG,	/* int *: set to 1 */
	EP_LONG,	/* long *: integer in [lo, hi] */
	EP_PORT,	/* const char **: the text, checked to be 1..65535 */
	EP_SECS,	/* double *: duration (2.5, 250ms, 3s, 1m); > 0 when lo */
	EP_STR,		/* const char **: the text as given */
	EP_WORD,	/* int *: the index of the text in words[] */
	EP_FUNC,	/* parse(text, dst) < 0 is a bad value */
};

struct ep_opt {
	const char *name;
	enum ep_kind kind;
	void *dst;
	long lo, hi;
	const char *const *words;	/* EP_WORD: NULL-terminated */
	int (*parse)(const char *s, void *dst);
	int seen;			/* set when given */
};

#define EP_MAX_OPTS	24

/* Table rows. */
#define EPO_FLAG(n, d)		{ .name = (n), .kind = EP_FLAG, .dst = (d) }
#define EPO_LONG(n, d, l, h)	{ .name = (n), .kind = EP_LONG, .dst = (d), .lo = (l), .hi = (h) }
#define EPO_PORT(n, d)		{ .name = (n), .kind = EP_PORT, .dst = (d) }
#define EPO_SECS(n, d)		{ .name = (n), .kind = EP_SECS, .dst = (d) }
#define EPO_POS_SECS(n, d)	{ .name = (n), .kind = EP_SECS, .dst = (d), .lo = 1 }
#define EPO_STR(n, d)		{ .name = (n), .kind = EP_STR, .dst = (d) }
#define EPO_WORD(n, d, w)	{ .name = (n), .kind = EP_WORD, .dst = (d), .words = (w) }
#define EPO_FUNC(n, d, f)	{ .name = (n), .kind = EP_FUNC, .dst = (d), .parse = (f) }

static inline int ep_value(struct ep_opt *o, const char *arg)
{
	const char *const *w;
	long v;

	switch (o->kind) {
	case EP_FLAG:
		*(int *)o->dst = 1;
		return 0;
	case EP_LONG:
		return parse_long(arg, o->lo, o->hi, (long *)o->dst);
	case EP_PORT:
		if (parse_long(arg, 1, 65535, &v) < 0)
			return -1;
		*(const char **)o->dst = arg;
		return 0;
	case EP_SECS:
		if (parse_secs(arg, (double *)o->dst) < 0)
			return -1;
		return o->lo && *(double *)o->dst <= 0 ? -1 : 0;
	case EP_STR:
		*(const char **)o->dst = arg;
		return 0;
	case EP_WORD:
		for (w = o->words; *w; w++) {
			if (strcmp(arg, *w) == 0) {
				*(int *)o->dst = (int)(w - o->words);
				return 0;
			}
		}
		return -1;
	case EP_FUNC:
		return o->parse(arg, o->dst);
	}
	return -1;
}

/* Parse argv[first..] against the table (and --help, which prints usage to
 * stdout and exits 0). Each given option's `seen` is set. No positional
 * arguments. 0, or -1 after a message naming prog and the option. */
static inline int ep_parse(const char *prog, int argc, char **argv, int first,
			   struct ep_opt *t, int n, void (*usage)(FILE *))
{
	struct option lo[EP_MAX_OPTS + 2];
	int c, i;

	if (n > EP_MAX_OPTS) {
		fprintf(stderr, "%s: too many options for the table\n", prog);
		return -1;
	}
	for (i = 0; i < n; i++)
		lo[i] = (struct option){ t[i].name,
			t[i].kind == EP_FLAG ? no_argument : required_argument, NULL, 256 + i };
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	optind = first;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c < 256 || c >= 256 + n) {
			usage(stderr);
			return -1;
		}
		if (ep_value(&t[c - 256], optarg) < 0) {
			fprintf(stderr, "%s: bad value for --%s: %s\n", prog, t[c - 256].name, optarg);
			return -1;
		}
		t[c - 256].seen = 1;
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		return -1;
	}
	return 0;
}

/* Was option `name` given? */
static inline int ep_seen(const struct ep_opt *t, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) == 0)
			return t[i].seen;
	}
	return 0;
}

static inline void fmt_rel(char *buf, size_t len, double t, double base)
{
	if (t <= 0 || base <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.3f", t - base);
}

/* The error behind ENOTCONN/EPIPE: after a RST the socket is closed and
 * shutdown()/send() say only that, while SO_ERROR still holds ECONNRESET. */
static inline int sock_error(int fd, int fallback)
{
	socklen_t sl;
	int e = 0;

	sl = sizeof(e);
	if ((fallback == ENOTCONN || fallback == EPIPE) &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e)
		return e;
	return fallback;
}

static inline int tcp_info_get(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

#endif
