/* cmd_ctl.c -- `natbox ctl` and `natbox top`: talk to a running natbox over its control socket. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cli.h"
#include "ctl.h"
#include "ctlc_view.h"
#include "log.h"
#include "strbuf.h"

#define REPLY_TIMEOUT_MS	10000
#define REPLY_MAX		(512u * 1024 * 1024)
#define REQUEST_MAX		4096	/* the daemon's line limit */

static void
flows_pretty(FILE *out, char *body)
{
	struct ctlc_view_opts vo = { .color = false };

	ctlc_view_flows(out, body, &vo);
}

enum { F_JSON = 1, F_PROM = 2, F_PRETTY = 4, F_WATCH = 8 };
enum outmode { OUT_AUTO, OUT_PRETTY, OUT_DUMP, OUT_JSON, OUT_PROM };

/* Drives dispatch and the usage text alike. */
static const struct {
	const char *name, *args, *help;
	unsigned flags;
	void (*pretty)(FILE *out, char *body);
} cmds[] = {
	{ "flows", "[FILTER] [--watch]",
	  "the flow table: endpoints, state, half-close facts, timer left, packets, bytes, drops",
	  F_JSON | F_PRETTY | F_WATCH, flows_pretty },
	{ "explain", "FLOW|FILTER",
	  "one flow's history: state changes, timers, drops and why, profile changes",
	  F_JSON | F_PRETTY, ctlc_view_explain },
	{ "stats", "",
	  "counters by event and drop reason, flows by state, kernel queue figures, per queue",
	  F_JSON | F_PROM | F_PRETTY, ctlc_view_stats },
	{ "set", "KEY=VALUE... [--for DURATION]",
	  "change settings of the running profile; with --for they revert by themselves", 0, NULL },
	{ "unset", "KEY...|--all", "drop settings made with set (back to the profile's)", 0, NULL },
	{ "policy", "[NAME|FILE]", "show the profile in force and its changes, or switch profile",
	  F_JSON, NULL },
	{ "reload", "", "read the profile file again and apply it, settings kept", 0, NULL },
	{ "flush", "[FILTER]", "end flows: all of them, or those the filter matches", 0, NULL },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

struct copts {
	const char *path;
	long queue;
	enum outmode out;
	bool watch;
	double interval;
	long count;
};

static int
usage(FILE *f)
{
	fprintf(f, "usage: natbox ctl [--ctl PATH | --queue N] COMMAND [ARGS] "
	    "[--json | --prom | --dump | --pretty]\n       natbox top [--ctl PATH | --queue N] "
	    "[FILTER] [--interval SECS]\n\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-7s%s%s\n          %s\n", cmds[i].name, cmds[i].args[0] ? " " : "",
		    cmds[i].args, cmds[i].help);
	fprintf(f, "\nFILTER: state or group (fin_wait, half-closed, closing, opening, expired, all),\n"
	    "  src|dst|addr ADDR[/LEN], sport|dport|port N, queue N, flow [Q:]N, -4, -6.\n"
	    "FLOW: the FLOW column of `flows` (N or QUEUE:N), or a FILTER.\n"
	    "Output: pretty on a terminal, else the dump form (tab-separated flows,\n"
	    "key=value stats); --json where it applies, --prom for stats.\n"
	    "flows --watch (natbox top): refreshes every --interval (1s); q quits.\n"
	    "The socket: --ctl PATH, $NATBOX_CTL, --queue N (%s/natbox-N.sock),\n"
	    "or the only one in %s.\n", CTL_DIR, CTL_DIR);
	return f == stdout ? 0 : 2;
}

/* ---- the socket ---- */

static int
find_socket(const struct copts *o, char *path, size_t cap)
{
	const char *env = getenv("NATBOX_CTL");
	glob_t g;
	int rc = -1;

	if (o->path) {
		snprintf(path, cap, "%s", o->path);
		return 0;
	}
	if (o->queue >= 0) {
		ctl_default_path((unsigned)o->queue, path, cap);
		return 0;
	}
	if (env && *env) {
		snprintf(path, cap, "%s", env);
		return 0;
	}
	if (glob(CTL_DIR "/natbox-*.sock", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		log_warnx("no control socket in %s: is natbox run running? "
		    "(or give --ctl PATH)", CTL_DIR);
	} else if (g.gl_pathc > 1) {
		log_warnx("several natbox are running; choose one with --queue N or --ctl PATH:");
		for (size_t i = 0; i < g.gl_pathc; i++)
			fprintf(stderr, "  %s\n", g.gl_pathv[i]);
	} else {
		snprintf(path, cap, "%s", g.gl_pathv[0]);
		rc = 0;
	}
	globfree(&g);
	return rc;
}

static int
ctl_connect(const char *path, bool quiet)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("%s: path too long for a unix socket", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		log_warn("socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (!quiet) {
		if (errno == ENOENT)
			log_warnx("no control socket at %s: is natbox run running?", path);
		else if (errno == ECONNREFUSED)
			log_warnx("nothing listens on %s: natbox has stopped", path);
		else if (errno == EACCES || errno == EPERM)
			log_warnx("%s: permission denied (the socket is root's, mode 0600)", path);
		else
			log_warn("connect %s", path);
	}
	close(fd);
	return -1;
}

/* One request; body lines to out as they come (out != NULL) or into body.
 * 0 ok, 1 the daemon said error (in err), -1 the connection failed. */
static int
request(int fd, char *const *words, int n, FILE *out, struct strbuf *body,
    char *err, size_t cap)
{
	struct strbuf req, in;
	char buf[65536];
	int rc = -1;

	sb_init(&req, REQUEST_MAX + 1);
	for (int i = 0; i < n; i++) {
		if (i)
			sb_puts(&req, " ");
		for (const char *p = words[i]; *p; p++) {
			if (*p == '\n') {
				snprintf(err, cap, "an argument holds a newline");
				sb_free(&req);
				return 1;
			}
			if (*p == ' ' || *p == '\t' || *p == '\\' || *p == '\r')
				sb_puts(&req, "\\");
			sb_put(&req, p, 1);
		}
	}
	sb_puts(&req, "\n");
	if (req.cut) {
		snprintf(err, cap, "request longer than %d bytes", REQUEST_MAX);
		sb_free(&req);
		return 1;
	}
	for (size_t off = 0; off < req.len;) {
		ssize_t w = send(fd, req.buf + off, req.len - off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, cap, "sending the request: %s", strerror(errno));
			sb_free(&req);
			return -1;
		}
		off += (size_t)w;
	}
	sb_free(&req);
	sb_init(&in, REPLY_MAX);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl, *line;
		ssize_t r;
		int pr = poll(&p, 1, REPLY_TIMEOUT_MS);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			snprintf(err, cap, "natbox did not answer within %d s", REPLY_TIMEOUT_MS / 1000);
			break;
		}
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, cap, "natbox closed the connection%s%s", r < 0 ? ": " : "",
			    r < 0 ? strerror(errno) : "");
			break;
		}
		sb_put(&in, buf, (size_t)r);
		if (in.cut) {
			snprintf(err, cap, "answer too large");
			break;
		}
		while ((nl = memchr(in.buf, '\n', in.len)) != NULL) {
			size_t len = (size_t)(nl - in.buf);

			line = in.buf;
			*nl = '\0';
			if (strcmp(line, "ok") == 0) {
				rc = 0;
			} else if (strncmp(line, "error: ", 7) == 0) {
				snprintf(err, cap, "%s", line + 7);
				rc = 1;
			} else if (out) {
				fwrite(line, 1, len, out);
				fputc('\n', out);
			} else {
				sb_put(body, line, len);
				sb_puts(body, "\n");
			}
			sb_consume(&in, len + 1);
			if (rc >= 0) {
				sb_free(&in);
				return rc;
			}
		}
	}
	sb_free(&in);
	return -1;
}

/* ---- live view ---- */

static volatile sig_atomic_t quit_flag, winch_flag;

static void
on_sig(int sig)
{
	if (sig == SIGWINCH)
		winch_flag = 1;
	else
		quit_flag = 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
kv_get(const char *text, const char *key, char *buf, size_t cap)
{
	size_t kl = strlen(key);

	buf[0] = '\0';
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			snprintf(buf, cap, "%.*s", (int)strcspn(p + kl + 1, "\n"), p + kl + 1);
			break;
		}
	}
	return buf;
}

/* Drop reasons whose counters grew, as "reason +N, ...". */
static void
drop_deltas(const char *prev, const char *cur, char *out, size_t cap)
{
	struct strbuf sb;
	char key[96], a[32], b[32];

	sb_init_fixed(&sb, out, cap);
	for (const char *p = cur; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t kl = strcspn(p, "=");

		if (strncmp(p, "drop.", 5) != 0 || kl >= sizeof(key))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)kl, p);
		kv_get(cur, key, b, sizeof(b));
		kv_get(prev ? prev : "", key, a, sizeof(a));
		if (strtoull(b, NULL, 10) > strtoull(a, NULL, 10))
			sb_printf(&sb, "%s%s +%llu", sb.len ? ", " : "", key + 5,
			    strtoull(b, NULL, 10) - strtoull(a, NULL, 10));
	}
}

/* Write a frame at the top of the screen, each line cut to the width
 * (escape sequences take no room). */
static void
draw(const char *frame, int cols, int rows)
{
	int row = 0;

	fputs("\033[H", stdout);
	for (const char *p = frame; *p && row < rows; row++) {
		int shown = 0;

		for (; *p && *p != '\n'; p++) {
			if (*p == '\033') {
				size_t n = strcspn(p, "m");

				fwrite(p, 1, p[n] ? n + 1 : n, stdout);
				p += p[n] ? n : n - 1;
				continue;
			}
			if (shown < cols)
				fputc(*p, stdout);
			shown++;
		}
		fputs("\033[0m\033[K", stdout);
		if (*p == '\n')
			p++;
		if (row + 1 < rows)
			fputs("\n", stdout);
	}
	fputs("\033[J", stdout);
	fflush(stdout);
}

static int
watch(const struct copts *o, const char *path, char **words, int nw)
{
	bool tty = isatty(STDOUT_FILENO), tin = tty && isatty(STDIN_FILENO);
	struct termios saved, raw;
	struct sigaction sa;
	struct ctlc_view_seen seen[2];
	struct strbuf stats, flows, prevstats;
	char err[1024], *stats_words[1] = { "stats" };
	double last = 0;
	int fd = -1, cur = 0;
	long frames = 0;

	memset(seen, 0, sizeof(seen));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;	/* no SA_RESTART: poll() returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sb_init(&stats, REPLY_MAX);
	sb_init(&flows, REPLY_MAX);
	sb_init(&prevstats, REPLY_MAX);
	if (tin && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);	/* ISIG stays: ^C quits */
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tin = false;
	}
	if (tty)
		fputs("\033[?1049h\033[?25l", stdout);	/* own screen, no cursor */
	while (!quit_flag && (o->count <= 0 || frames < o->count)) {
		struct winsize ws = { .ws_row = 24, .ws_col = 80 };
		char *frame = NULL, tbuf[16], b[8][64], deltas[512];
		size_t flen = 0;
		FILE *mf;
		double t = now_s(), dt = last ? t - last : 0;
		int rc = -1;
		time_t wall = time(NULL);

		/* A pty nobody sized (script(1), some CI) says 0x0. */
		if (tty && (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 ||
		    ws.ws_col == 0)) {
			ws.ws_row = 24;
			ws.ws_col = 80;
		}
		sb_reset(&stats);
		sb_reset(&flows);
		for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
			if (fd < 0 && (fd = ctl_connect(path, true)) < 0)
				break;
			rc = request(fd, stats_words, 1, NULL, &stats, err, sizeof(err));
			if (rc == 0)
				rc = request(fd, words, nw, NULL, &flows, err, sizeof(err));
			if (rc < 0) {
				close(fd);
				fd = -1;
				sb_reset(&stats);
				sb_reset(&flows);
			}
		}
		if (!tty) {
			if (rc == 0)
				fputs(flows.buf ? flows.buf : "", stdout);
			else
				fprintf(stdout, "# %s\n", rc > 0 ? err : "natbox is not answering");
			fputs("\n", stdout);
			fflush(stdout);
		} else if ((mf = open_memstream(&frame, &flen)) != NULL) {
			strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&wall));
			if (rc != 0) {
				fprintf(mf, "natbox top   %s   %s\n\n%s: %s\nretrying every %.3gs; "
				    "q quits\n", path, tbuf, rc > 0 ? "error" : "not answering",
				    rc > 0 ? err : "is natbox run running?", o->interval);
			} else {
				struct ctlc_view_opts vo = {
					.color = true, .width = ws.ws_col,
					.max_rows = ws.ws_row > 6 ? ws.ws_row - 6 : 1,
					.prev = frames ? &seen[cur] : NULL, .next = &seen[!cur],
				};
				double dp = strtod(kv_get(stats.buf, "packets", b[0], 64), NULL) -
				    strtod(kv_get(prevstats.buf ? prevstats.buf : "", "packets", b[1],
				    64), NULL);
				double dd = strtod(kv_get(stats.buf, "dropped", b[2], 64), NULL) -
				    strtod(kv_get(prevstats.buf ? prevstats.buf : "", "dropped", b[3],
				    64), NULL);

				drop_deltas(prevstats.len ? prevstats.buf : NULL, stats.buf, deltas,
				    sizeof(deltas));
				fprintf(mf, "natbox top   queue %s   profile %s (generation %s)%*s%s\n",
				    kv_get(stats.buf, "queues", b[4], 64),
				    kv_get(stats.buf, "profile", b[5], 64),
				    kv_get(stats.buf, "generation", b[6], 64), 4, "", tbuf);
				fprintf(mf, "flows %s live, %s expired   ", kv_get(stats.buf, "flows",
				    b[4], 64), kv_get(stats.buf, "flows.expired", b[5], 64));
				if (dt > 0 && frames)
					fprintf(mf, "%.0f pkt/s   %.0f drops/s%s%s%s\n", dp / dt, dd / dt,
					    deltas[0] ? "   [" : "", deltas, deltas[0] ? "]" : "");
				else
					fprintf(mf, "packets %s, dropped %s\n", b[0], b[2]);
				fputs("\n", mf);
				seen[!cur].n = 0;
				ctlc_view_flows(mf, flows.buf ? flows.buf : (char[]){ "" }, &vo);
				cur = !cur;
				fprintf(mf, "\nq quits, space refreshes; refresh every %.3gs\n",
				    o->interval);
				sb_reset(&prevstats);
				sb_put(&prevstats, stats.buf, stats.len);
			}
			fclose(mf);
			draw(frame, ws.ws_col, ws.ws_row);
			free(frame);
		}
		last = t;
		frames++;
		if (o->count > 0 && frames >= o->count)
			break;
		/* Wait for the next refresh, a key, or a signal. */
		for (double until = now_s() + o->interval; !quit_flag;) {
			struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
			double left = until - now_s();
			char key;

			if (left <= 0 || winch_flag)
				break;
			if (poll(&p, tin ? 1 : 0, (int)(left * 1000) + 1) > 0 &&
			    read(STDIN_FILENO, &key, 1) == 1) {
				if (key == 'q' || key == 'Q' || key == 3 || key == 4)
					quit_flag = 1;
				else if (key == ' ' || key == 'r')
					break;
			}
		}
		winch_flag = 0;
	}
	if (tty)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (tin)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (fd >= 0)
		close(fd);
	sb_free(&stats);
	sb_free(&flows);
	sb_free(&prevstats);
	ctlc_view_seen_free(&seen[0]);
	ctlc_view_seen_free(&seen[1]);
	return 0;
}

/* ---- natbox ctl ---- */

/* A profile given as a path is read by the daemon: make it absolute. */
static char *
abs_profile(char *arg, char *buf)
{
	size_t n = strlen(arg);

	if (!strchr(arg, '/') && !(n > 8 && strcmp(arg + n - 8, ".profile") == 0))
		return arg;
	return realpath(arg, buf) ? buf : arg;
}

int
cmd_ctl(int argc, char **argv)
{
	struct copts o = { .queue = -1, .out = OUT_AUTO, .interval = 1.0 };
	char **words, path[PATH_MAX], err[4096], absbuf[PATH_MAX];
	struct strbuf body;
	int nw = 0, fd, rc, i;
	size_t ci;
	FILE *stream = NULL;
	void (*pretty)(FILE *, char *) = NULL;

	if ((words = calloc((size_t)argc + 2, sizeof(*words))) == NULL)
		fatal("calloc");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-h") || !strcmp(a, "--help") || (nw == 0 && !strcmp(a, "help"))) {
			free(words);
			return usage(stdout);
		} else if (!strcmp(a, "--ctl") || !strcmp(a, "-s")) {
			if (val == NULL)
				goto needs_value;
			o.path = argv[++i];
		} else if (!strncmp(a, "--ctl=", 6)) {
			o.path = a + 6;
		} else if (!strcmp(a, "--queue") || !strcmp(a, "-q")) {
			char *end;

			if (val == NULL)
				goto needs_value;
			o.queue = strtol(argv[++i], &end, 10);
			if (*end || o.queue < 0 || o.queue > 65535) {
				log_warnx("ctl: --queue %s: expected 0-65535", argv[i]);
				goto bad;
			}
		} else if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
			o.out = OUT_JSON;
		} else if (!strcmp(a, "--prom")) {
			o.out = OUT_PROM;
		} else if (!strcmp(a, "--dump")) {
			o.out = OUT_DUMP;
		} else if (!strcmp(a, "--pretty") || !strcmp(a, "-p")) {
			o.out = OUT_PRETTY;
		} else if (!strcmp(a, "--watch") || !strcmp(a, "-w")) {
			o.watch = true;
		} else if (!strcmp(a, "--interval")) {
			char *end;

			if (val == NULL)
				goto needs_value;
			o.interval = strtod(argv[++i], &end);
			if (*end == 's')
				end++;
			if (*end || o.interval < 0.1 || o.interval > 3600) {
				log_warnx("ctl: --interval %s: expected seconds, 0.1-3600", argv[i]);
				goto bad;
			}
		} else if (!strcmp(a, "--count")) {
			char *end;

			if (val == NULL)
				goto needs_value;
			o.count = strtol(argv[++i], &end, 10);
			if (*end || o.count < 1) {
				log_warnx("ctl: --count %s: expected a positive number", argv[i]);
				goto bad;
			}
		} else {
			words[nw++] = argv[i];
		}
	}
	if (nw == 0) {
		free(words);
		return usage(stderr);
	}
	for (ci = 0; ci < NCMDS && strcmp(words[0], cmds[ci].name) != 0; ci++)
		;
	if (ci == NCMDS) {
		log_warnx("ctl: unknown command '%s'", words[0]);
		goto bad;
	}
	if ((o.out == OUT_JSON && !(cmds[ci].flags & F_JSON)) ||
	    (o.out == OUT_PROM && !(cmds[ci].flags & F_PROM)) ||
	    (o.watch && !(cmds[ci].flags & F_WATCH))) {
		log_warnx("ctl %s: no %s form", cmds[ci].name,
		    o.watch ? "--watch" : o.out == OUT_JSON ? "--json" : "--prom");
		goto bad;
	}
	if (strcmp(words[0], "policy") == 0 && nw == 2)
		words[1] = abs_profile(words[1], absbuf);
	if (find_socket(&o, path, sizeof(path)) < 0) {
		free(words);
		return 1;
	}
	if (o.watch) {
		if (o.out == OUT_JSON) {
			log_warnx("ctl flows --watch: no --json form");
			goto bad;
		}
		if (nw == 1)	/* a live view shows expired flows too: drops go there */
			words[nw++] = "all";
		rc = watch(&o, path, words, nw);
		free(words);
		return rc;
	}
	if (o.out == OUT_JSON)
		words[nw++] = "--json";
	else if (o.out == OUT_PROM)
		words[nw++] = "--prom";
	if ((cmds[ci].flags & F_PRETTY) &&
	    (o.out == OUT_PRETTY || (o.out == OUT_AUTO && isatty(STDOUT_FILENO))))
		pretty = cmds[ci].pretty;
	else
		stream = stdout;
	if ((fd = ctl_connect(path, false)) < 0) {
		free(words);
		return 1;
	}
	sb_init(&body, REPLY_MAX);
	rc = request(fd, words, nw, stream, &body, err, sizeof(err));
	close(fd);
	if (rc == 0 && pretty)
		pretty(stdout, body.buf ? body.buf : (char[]){ "" });
	fflush(stdout);
	sb_free(&body);
	free(words);
	if (rc != 0) {
		log_warnx("ctl %s: %s", cmds[ci].name, err);
		return 1;
	}
	return 0;

needs_value:
	log_warnx("ctl: %s needs a value", argv[i]);
bad:
	free(words);
	usage(stderr);
	return 2;
}

/* `natbox top [OPTIONS] [FILTER]` is `natbox ctl flows --watch ...`; the
 * live view shows expired flows too (their drops are what it is about). */
int
cmd_top(int argc, char **argv)
{
	char **v = calloc((size_t)argc + 3, sizeof(*v));
	int n = 0, rc;

	if (v == NULL)
		fatal("calloc");
	v[n++] = "ctl";
	v[n++] = "flows";
	v[n++] = "--watch";
	for (int i = 1; i < argc; i++)
		v[n++] = argv[i];
	rc = cmd_ctl(n, v);
	free(v);
	return rc;
}
