/* endpoint.h -- what tcpcli.c and tcpsrv.c share: time, bounded waits, parsing, names. */
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
