/* cmd_top.c -- `natbox top`: the flow table live, timers counting down and drops as they happen.
 *
 * `natbox top [OPTIONS] [FILTER]` is `natbox ctl flows --watch ...` (its
 * options are ctl's); this file is the live view both run: every interval
 * it asks the daemon for stats and flows over the control socket and
 * draws a frame on the terminal's alternate screen (or prints the dump
 * when stdout is not a terminal), until q, ^C or --count frames. */
#include <poll.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "cli.h"
#include "clock.h"
#include "ctlc.h"
#include "ctlc_view.h"
#include "log.h"
#include "strbuf.h"
#include "top.h"

/* `natbox top` is `natbox ctl flows --watch`; the live view shows expired
 * flows too (their drops are what it is about). */
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

/* ---- the live view ---- */

struct top {
	const char *path;
	char **words;
	int nw;
	double interval;
	long count;
	bool tty, tin;		/* stdout, and stdin too, a terminal */
	struct termios saved;
	int fd;
	long frames;
	struct strbuf stats, flows, prevstats;
	struct ctlc_view_seen seen[2];	/* drops by flow: last frame, this one */
	int cur;
};

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
	return (double)clock_now_ns() / 1e9;
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

/* Signals (no SA_RESTART: poll() returns at once), keys without echo or
 * line editing, the terminal's own screen. */
static void
top_start(struct top *t)
{
	struct sigaction sa;
	struct termios raw;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sb_init(&t->stats, CTLC_REPLY_MAX);
	sb_init(&t->flows, CTLC_REPLY_MAX);
	sb_init(&t->prevstats, CTLC_REPLY_MAX);
	if (t->tin && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		raw = t->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);	/* ISIG stays: ^C quits */
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		t->tin = false;
	}
	if (t->tty)
		fputs("\033[?1049h\033[?25l", stdout);	/* own screen, no cursor */
}

static void
top_end(struct top *t)
{
	if (t->tty)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (t->tin)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	if (t->fd >= 0)
		close(t->fd);
	sb_free(&t->stats);
	sb_free(&t->flows);
	sb_free(&t->prevstats);
	ctlc_view_seen_free(&t->seen[0]);
	ctlc_view_seen_free(&t->seen[1]);
}

/* stats, then the flows request, on the connection kept from the last
 * frame or a new one: a connection that failed is made again once. */
static int
fetch(struct top *t, char *err, size_t cap)
{
	char *stats_words[1] = { "stats" };
	int rc = -1;

	sb_reset(&t->stats);
	sb_reset(&t->flows);
	for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
		if (t->fd < 0 && (t->fd = ctlc_connect(t->path, true)) < 0) {
			/* not "not answering": it answers, not to this user */
			if (errno == EACCES || errno == EPERM) {
				snprintf(err, cap, "%s: permission denied (the socket is root's)",
				    t->path);
				rc = 1;
			}
			break;
		}
		rc = ctlc_request(t->fd, stats_words, 1, NULL, &t->stats, err, cap);
		if (rc == 0)
			rc = ctlc_request(t->fd, t->words, t->nw, NULL, &t->flows, err, cap);
		if (rc < 0) {
			close(t->fd);
			t->fd = -1;
			sb_reset(&t->stats);
			sb_reset(&t->flows);
		}
	}
	return rc;
}

/* Off a terminal: the dump, or why there is none, and an empty line. */
static void
print_dump(const struct top *t, int rc, const char *err)
{
	if (rc == 0)
		fputs(t->flows.buf ? t->flows.buf : "", stdout);
	else
		fprintf(stdout, "# %s\n", rc > 0 ? err : "natbox is not answering");
	fputs("\n", stdout);
	fflush(stdout);
}

/* The frame's head: where, the profile, the time; flows; packets and
 * drops, as rates from the second frame on (dt: seconds since the last). */
static void
frame_head(FILE *mf, const struct top *t, double dt, const char *tbuf)
{
	const char *stats = t->stats.buf, *prev = t->prevstats.buf ? t->prevstats.buf : "";
	char b[8][64], deltas[512];
	double dp = strtod(kv_get(stats, "packets", b[0], 64), NULL) -
	    strtod(kv_get(prev, "packets", b[1], 64), NULL);
	double dd = strtod(kv_get(stats, "dropped", b[2], 64), NULL) -
	    strtod(kv_get(prev, "dropped", b[3], 64), NULL);

	drop_deltas(t->prevstats.len ? t->prevstats.buf : NULL, stats, deltas, sizeof(deltas));
	fprintf(mf, "natbox top   queue %s   profile %s (generation %s)%*s%s\n",
	    kv_get(stats, "queues", b[4], 64), kv_get(stats, "profile", b[5], 64),
	    kv_get(stats, "generation", b[6], 64), 4, "", tbuf);
	fprintf(mf, "flows %s live, %s expired   ", kv_get(stats, "flows", b[4], 64),
	    kv_get(stats, "flows.expired", b[5], 64));
	if (dt > 0 && t->frames)
		fprintf(mf, "%.0f pkt/s   %.0f drops/s%s%s%s\n", dp / dt, dd / dt,
		    deltas[0] ? "   [" : "", deltas, deltas[0] ? "]" : "");
	else
		fprintf(mf, "packets %s, dropped %s\n", b[0], b[2]);
	fputs("\n", mf);
}

/* On a terminal: the frame, sized to it, drawn at once. */
static void
draw_frame(struct top *t, int rc, const char *err, double dt)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	time_t wall = time(NULL);
	char *frame = NULL, tbuf[16];
	size_t flen = 0;
	FILE *mf;

	/* A pty nobody sized (script(1), some CI) says 0x0. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0) {
		ws.ws_row = 24;
		ws.ws_col = 80;
	}
	if ((mf = open_memstream(&frame, &flen)) == NULL)
		return;
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&wall));
	if (rc != 0) {
		fprintf(mf, "natbox top   %s   %s\n\n%s: %s\nretrying every %.3gs; q quits\n",
		    t->path, tbuf, rc > 0 ? "error" : "not answering",
		    rc > 0 ? err : "is natbox run running?", t->interval);
	} else {
		struct ctlc_view_opts vo = {
			.color = true, .width = ws.ws_col,
			.max_rows = ws.ws_row > 6 ? ws.ws_row - 6 : 1,
			.prev = t->frames ? &t->seen[t->cur] : NULL, .next = &t->seen[!t->cur],
		};

		frame_head(mf, t, dt, tbuf);
		t->seen[!t->cur].n = 0;
		ctlc_view_flows(mf, t->flows.buf ? t->flows.buf : (char[]){ "" }, &vo);
		t->cur = !t->cur;
		fprintf(mf, "\nq quits, space refreshes; refresh every %.3gs\n", t->interval);
		sb_reset(&t->prevstats);
		sb_put(&t->prevstats, t->stats.buf, t->stats.len);
	}
	fclose(mf);
	draw(frame, ws.ws_col, ws.ws_row);
	free(frame);
}

/* Until the next refresh, a key (q quits, space or r refreshes), a
 * signal or a resize. */
static void
wait_next(const struct top *t)
{
	for (double until = now_s() + t->interval; !quit_flag;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		double left = until - now_s();
		char key;

		if (left <= 0 || winch_flag)
			break;
		if (poll(&p, t->tin ? 1 : 0, (int)(left * 1000) + 1) > 0 &&
		    read(STDIN_FILENO, &key, 1) == 1) {
			if (key == 'q' || key == 'Q' || key == 3 || key == 4)
				quit_flag = 1;
			else if (key == ' ' || key == 'r')
				break;
		}
	}
	winch_flag = 0;
}

int
top_watch(const char *path, char **words, int nw, double interval, long count)
{
	struct top t = {
		.path = path, .words = words, .nw = nw, .interval = interval, .count = count,
		.fd = -1,
	};
	double last = 0;

	t.tty = isatty(STDOUT_FILENO);
	t.tin = t.tty && isatty(STDIN_FILENO);
	top_start(&t);
	while (!quit_flag && (count <= 0 || t.frames < count)) {
		char err[1024];
		double now = now_s(), dt = last ? now - last : 0;
		int rc = fetch(&t, err, sizeof(err));

		if (t.tty)
			draw_frame(&t, rc, err, dt);
		else
			print_dump(&t, rc, err);
		last = now;
		t.frames++;
		if (count > 0 && t.frames >= count)
			break;
		wait_next(&t);
	}
	top_end(&t);
	return 0;
}
