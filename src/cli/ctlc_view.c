/* ctlc_view.c -- natbox ctl's terminal views, drawn from the stable dump forms the daemon sends.
 *
 * The daemon formats only the script forms (tab-separated rows, key=value
 * lines); everything meant for eyes is done here, in the client, so the
 * pretty output can change without breaking a script. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlc_view.h"

#define ROWS_MAX	100000	/* flows drawn by a pretty listing; the dump has all */

void
ctlc_view_dur(const char *secs, char *buf, size_t cap)
{
	double s = strtod(secs, NULL);
	unsigned long t;

	if (secs[0] == '-' || secs[0] == '\0') {
		snprintf(buf, cap, "-");
		return;
	}
	if (s < 1.0) {
		snprintf(buf, cap, "%.0fms", s * 1000);
		return;
	}
	if (s < 60.0) {
		snprintf(buf, cap, "%.1fs", s);
		return;
	}
	t = (unsigned long)s;
	if (t < 3600)
		snprintf(buf, cap, "%lum%02lus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, cap, "%luh%02lum", t / 3600, t % 3600 / 60);
	else
		snprintf(buf, cap, "%lud%02luh", t / 86400, t % 86400 / 3600);
}

void
ctlc_view_bytes(const char *n, char *buf, size_t cap)
{
	static const char units[] = "KMGTP";
	double v = strtod(n, NULL);
	int u = -1;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, cap, "%s", n);
	else
		snprintf(buf, cap, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* Split one line at tabs into its first n fields; false if it has fewer.
 * Later fields (a newer daemon may add some at the end) are ignored. */
static bool
split_tabs(char *line, char **f, int n)
{
	char *p = line;

	for (int i = 0; i < n; i++) {
		if (p == NULL)
			return false;
		f[i] = p;
		if ((p = strchr(p, '\t')) != NULL)
			*p++ = '\0';
	}
	return true;
}

static void
endpoint(const char *addr, const char *port, char *buf, size_t cap)
{
	if (strchr(addr, ':'))
		snprintf(buf, cap, "[%s]:%s", addr, port);
	else
		snprintf(buf, cap, "%s:%s", addr, port);
}

static const char *
fin_short(const char *f)
{
	return !strcmp(f, "acked") ? "acked" : !strcmp(f, "sent") ? "sent" : "-";
}

static int
seen_cmp(const void *a, const void *b)
{
	const struct ctlc_view_seen_ent *x = a, *y = b;

	if (x->queue != y->queue)
		return x->queue < y->queue ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* The flow's drops in the last frame (same slot and serial), or -1. */
static int64_t
seen_get(const struct ctlc_view_seen *s, const struct ctlc_view_seen_ent *k)
{
	const struct ctlc_view_seen_ent *e;

	if (s == NULL || s->n == 0)
		return -1;
	e = bsearch(k, s->v, s->n, sizeof(*k), seen_cmp);
	return e && e->serial == k->serial ? (int64_t)e->drops : -1;
}

static void
seen_put(struct ctlc_view_seen *s, const struct ctlc_view_seen_ent *k)
{
	if (s == NULL)
		return;
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 64;
		void *v = realloc(s->v, cap * sizeof(*s->v));

		if (v == NULL)
			return;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *k;
}

void
ctlc_view_seen_free(struct ctlc_view_seen *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

enum { C_FLOW, C_PROTO, C_SRC, C_DST, C_STATE, C_TIMER, C_LEFT, C_DROPS, C_PKTS, C_BYTES,
	C_FIN, C_AGE, C__N };

static const char *const heads[C__N] = {
	"FLOW", "PROTO", "SRC", "DST", "STATE", "TIMER", "LEFT", "DROPS", "PKTS o/r", "BYTES o/r",
	"FIN o/r", "AGE",
};

/* The rows drawn: their cells (strdup'ed) and which are marked. */
struct table {
	char *(*cells)[C__N];
	bool *hot;
	int n, cap, width[C__N];
};

/* Room for one more row; false if there is no memory for it. */
static bool
table_grow(struct table *t)
{
	int nc = t->cap ? t->cap * 2 : 64;
	void *p, *h;

	if (t->n < t->cap)
		return true;
	p = realloc(t->cells, (size_t)nc * sizeof(*t->cells));
	h = p ? realloc(t->hot, (size_t)nc * sizeof(*t->hot)) : NULL;
	if (p)
		t->cells = p;
	if (h == NULL)
		return false;
	t->hot = h;
	t->cap = nc;
	return true;
}

/* One flow's cells from its dump fields f. Its drops are marked "(+N)"
 * when hot (before: its drops in the last frame, -1 if not in it). True
 * if its timer is absolute (refresh none). */
static bool
row_cells(char **c, char **f, uint32_t drops, bool hot, int64_t before)
{
	char b1[32], b2[32], b3[96];
	bool abs = false;

	snprintf(b3, sizeof(b3), "%s:%s", f[FL_QUEUE], f[FL_FLOW]);
	c[C_FLOW] = strdup(b3);
	c[C_PROTO] = strdup(f[FL_PROTO]);
	endpoint(f[FL_SRC], f[FL_SPORT], b3, sizeof(b3));
	c[C_SRC] = strdup(b3);
	endpoint(f[FL_DST], f[FL_DPORT], b3, sizeof(b3));
	c[C_DST] = strdup(b3);
	if (strcmp(f[FL_STATUS], "live") != 0) {
		/* expired, remembered: say which timer killed it */
		const char *why = strchr(f[FL_STATUS], ':');

		c[C_STATE] = strdup("EXPIRED");
		c[C_TIMER] = strdup(why ? why + 1 : f[FL_STATUS]);
		ctlc_view_dur(f[FL_LEFT], b1, sizeof(b1));
		snprintf(b3, sizeof(b3), "forget %s", b1);
	} else {
		c[C_STATE] = strdup(f[FL_STATE]);
		c[C_TIMER] = strdup(f[FL_TIMER]);
		ctlc_view_dur(f[FL_LEFT], b1, sizeof(b1));
		ctlc_view_dur(f[FL_TIMEOUT], b2, sizeof(b2));
		abs = strcmp(f[FL_REFRESH], "none") == 0;
		snprintf(b3, sizeof(b3), "%s/%s%s", b1, b2, abs ? "*" : "");
	}
	c[C_LEFT] = strdup(b3);
	snprintf(b3, sizeof(b3), "%s/%s", f[FL_PKTS_ORIG], f[FL_PKTS_REPLY]);
	c[C_PKTS] = strdup(b3);
	ctlc_view_bytes(f[FL_BYTES_ORIG], b1, sizeof(b1));
	ctlc_view_bytes(f[FL_BYTES_REPLY], b2, sizeof(b2));
	snprintf(b3, sizeof(b3), "%s/%s", b1, b2);
	c[C_BYTES] = strdup(b3);
	if (hot)
		snprintf(b3, sizeof(b3), "%u (+%u)", drops,
		    drops - (uint32_t)(before < 0 ? 0 : before));
	else
		snprintf(b3, sizeof(b3), "%u", drops);
	c[C_DROPS] = strdup(b3);
	snprintf(b3, sizeof(b3), "%s/%s", fin_short(f[FL_FIN_ORIG]), fin_short(f[FL_FIN_REPLY]));
	c[C_FIN] = strdup(b3);
	ctlc_view_dur(f[FL_AGE], b1, sizeof(b1));
	c[C_AGE] = strdup(b1);
	return abs;
}

/* The heads, then each row, its columns padded to their widths. */
static void
table_print(FILE *out, const struct table *t, bool color)
{
	int i, k;

	for (k = 0; k < C__N; k++)
		fprintf(out, "%-*s%s", k + 1 < C__N ? t->width[k] : 0, heads[k],
		    k + 1 < C__N ? "  " : "\n");
	for (i = 0; i < t->n; i++) {
		if (t->hot[i] && color)
			fputs("\033[1;31m", out);
		for (k = 0; k < C__N; k++)
			fprintf(out, "%-*s%s", k + 1 < C__N ? t->width[k] : 0,
			    t->cells[i][k] ? t->cells[i][k] : "?", k + 1 < C__N ? "  " : "");
		if (t->hot[i] && color)
			fputs("\033[0m", out);
		fputc('\n', out);
	}
}

static void
table_free(struct table *t)
{
	for (int i = 0; i < t->n; i++)
		for (int k = 0; k < C__N; k++)
			free(t->cells[i][k]);
	free(t->cells);
	free(t->hot);
}

int
ctlc_view_flows(FILE *out, char *dump, const struct ctlc_view_opts *o)
{
	struct table t = { .n = 0 };
	char *line, *save, *f[FL__COUNT];
	bool any_abs = false, any_hot = false;
	int k, total = 0;

	for (k = 0; k < C__N; k++)
		t.width[k] = (int)strlen(heads[k]);
	for (line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct ctlc_view_seen_ent key;
		int64_t before;
		char **c;

		if (!split_tabs(line, f, FL__COUNT))
			continue;
		total++;
		key.queue = (uint32_t)strtoul(f[FL_QUEUE], NULL, 10);
		key.slot = (uint32_t)strtoul(f[FL_FLOW], NULL, 10);
		key.serial = (uint32_t)strtoul(f[FL_SERIAL], NULL, 10);
		key.drops = (uint32_t)strtoul(f[FL_DROPS], NULL, 10);
		before = seen_get(o->prev, &key);
		seen_put(o->next, &key);	/* rows out of view too */
		if (t.n == ROWS_MAX || (o->max_rows > 0 && t.n >= o->max_rows))
			continue;
		if (!table_grow(&t))
			break;
		c = t.cells[t.n];
		t.hot[t.n] = o->prev && key.drops > (before < 0 ? 0 : before);
		any_hot |= t.hot[t.n];
		any_abs |= row_cells(c, f, key.drops, t.hot[t.n], before);
		for (k = 0; k < C__N; k++) {
			if (c[k] == NULL)
				c[k] = strdup("?");
			if (c[k] && (int)strlen(c[k]) > t.width[k])
				t.width[k] = (int)strlen(c[k]);
		}
		t.n++;
	}
	table_print(out, &t, o->color);
	if (total == 0)
		fprintf(out, "(no flows)\n");
	else if (t.n < total)
		fprintf(out, "... %d more flows (the dump form shows all: --dump)\n", total - t.n);
	if (any_abs)
		fprintf(out, "* absolute timer: traffic does not extend it (refresh none)\n");
	if (any_hot && !o->color)
		fprintf(out, "(+N) drops since the last refresh\n");
	table_free(&t);
	return total;
}

/* ---- stats ---- */

struct kv {
	char *k, *v;
};

static const char *
get(const struct kv *v, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].k, key) == 0)
			return v[i].v;
	return "0";
}

static unsigned long long
num(const struct kv *v, int n, const char *key)
{
	return strtoull(get(v, n, key), NULL, 10);
}

/* "label: a 1, b 2" for every nonzero key starting with pfx. */
static void
nonzero(FILE *out, const struct kv *v, int n, const char *label, const char *pfx,
    bool one_per_line)
{
	size_t pl = strlen(pfx);
	int shown = 0;

	for (int i = 0; i < n; i++) {
		if (strncmp(v[i].k, pfx, pl) != 0 || strcmp(v[i].v, "0") == 0)
			continue;
		if (one_per_line)
			fprintf(out, "%s\n  %-24s %s", shown ? "" : label, v[i].k + pl, v[i].v);
		else
			fprintf(out, "%s%s %s", shown ? ", " : label, v[i].k + pl, v[i].v);
		shown++;
	}
	if (shown)
		fputc('\n', out);
	else
		fprintf(out, "%s%snone\n", label, one_per_line ? " " : "");
}

void
ctlc_view_stats(FILE *out, char *text)
{
	struct kv v[2048];
	char *line, *save, *eq, up[32], mem[32], pfx[64], key[96], queues[256];
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line && n < 2048;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		v[n].k = line;
		v[n++].v = eq + 1;
	}
	snprintf(queues, sizeof(queues), "%s", get(v, n, "queues"));
	ctlc_view_dur(get(v, n, "uptime"), up, sizeof(up));
	ctlc_view_bytes(get(v, n, "memory"), mem, sizeof(mem));
	fprintf(out, "natbox on queue %s: profile %s (generation %s), up %s, %s memory\n",
	    queues, get(v, n, "profile"), get(v, n, "generation"), up, mem);
	fprintf(out, "flows: %s live, %s expired remembered, capacity %s\n",
	    get(v, n, "flows"), get(v, n, "flows.expired"), get(v, n, "flows.capacity"));
	nonzero(out, v, n, "  by state: ", "flows.state.", false);
	fprintf(out, "packets: %s (accepted %s, dropped %s), skipped %s, resets sent %s, "
	    "evictions %s\n", get(v, n, "packets"), get(v, n, "accepted"), get(v, n, "dropped"),
	    get(v, n, "skipped"), get(v, n, "resets_sent"), get(v, n, "evictions"));
	nonzero(out, v, n, "drops by reason:", "drop.", true);
	nonzero(out, v, n, "flow ends: ", "end.", false);
	nonzero(out, v, n, "events: ", "event.", false);
	fprintf(out, "kernel: waiting %s, dropped %s (queue full), user dropped %s "
	    "(socket full); natbox saw enobufs %s, id gaps %s\n",
	    get(v, n, "kernel.queue_total"), get(v, n, "kernel.dropped"),
	    get(v, n, "kernel.user_dropped"), get(v, n, "enobufs"), get(v, n, "id_gaps"));
	if (strcmp(get(v, n, "queue.counter"), "-") == 0)
		fprintf(out, "rules: no counter in them: packets that bypass natbox are not "
		    "counted\n");
	else if (strcmp(get(v, n, "queue.counter"), "0") != 0)	/* "0": an older natbox */
		fprintf(out, "rules (counter %s): %s packets reached them, %s bypassed natbox "
		    "(fail-open), %s dropped (queue full), %s (socket full)\n",
		    get(v, n, "queue.counter"), get(v, n, "queue.matched"),
		    get(v, n, "queue.bypassed"), get(v, n, "queue.dropped"),
		    get(v, n, "queue.user_dropped"));
	for (char *q = strtok_r(queues, ",", &save); q; q = strtok_r(NULL, ",", &save)) {
		snprintf(pfx, sizeof(pfx), "queue.%s.", q);
#define Q(k) (snprintf(key, sizeof(key), "%s%s", pfx, (k)), get(v, n, key))
		ctlc_view_bytes(Q("rcvbuf"), up, sizeof(up));
		fprintf(out, "queue %s: %s flows, %s packets in %s bursts (max %s), "
		    "dropped %s, enobufs %s, id gaps %s, rcvbuf %s\n", q, Q("flows"),
		    Q("packets"), Q("bursts"), Q("max_burst"), Q("dropped"), Q("enobufs"),
		    Q("id_gaps"), up);
		fprintf(out, "  kernel: waiting %s, dropped %s, user dropped %s, id sequence %s; "
		    "history %s of %s events\n", Q("kernel.queue_total"), Q("kernel.dropped"),
		    Q("kernel.user_dropped"), Q("kernel.id_sequence"), Q("history.events"),
		    Q("history.size"));
#undef Q
	}
	if (strcmp(get(v, n, "events.lines"), "0") != 0 || num(v, n, "events.lost"))
		fprintf(out, "event lines: %s written, %s lost\n", get(v, n, "events.lines"),
		    get(v, n, "events.lost"));
	fprintf(out, "control: %s clients, %s requests, %s errors, %s clients dropped\n",
	    get(v, n, "ctl.clients"), get(v, n, "ctl.requests"), get(v, n, "ctl.errors"),
	    get(v, n, "ctl.dropped"));
}

/* ---- explain ---- */

/* The value of key= in a key=value line (into buf), "" if absent. */
static const char *
field(const char *line, const char *key, char *buf, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = line;

	buf[0] = '\0';
	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			const char *v = p + kl + 1, *e;

			if (*v == '"') {
				e = strchr(++v, '"');
				e = e ? e : v + strlen(v);
			} else {
				e = v + strcspn(v, " ");
			}
			snprintf(buf, cap, "%.*s", (int)(e - v), v);
			return buf;
		}
		p += kl;
	}
	return buf;
}

struct exline {
	char *text;
	double ts;
	char tag[16];
	char serial[16];
};

static void
explain_one(FILE *out, const struct exline *l, double t0, bool multi)
{
	char b[8][96], what[640];
	const char *tag = l->tag;

	if (strcmp(tag, "FLOW") == 0) {
		char left[32], to[32], age[32], bo[32], br[32];

		ctlc_view_dur(field(l->text, "left", b[0], sizeof(b[0])), left, sizeof(left));
		ctlc_view_dur(field(l->text, "timeout", b[1], sizeof(b[1])), to, sizeof(to));
		ctlc_view_dur(field(l->text, "age", b[2], sizeof(b[2])), age, sizeof(age));
		ctlc_view_bytes(field(l->text, "bytes_orig", b[3], sizeof(b[3])), bo, sizeof(bo));
		ctlc_view_bytes(field(l->text, "bytes_reply", b[4], sizeof(b[4])), br, sizeof(br));
		field(l->text, "status", b[5], sizeof(b[5]));
		if (strcmp(b[5], "live") == 0)
			fprintf(out, "  %-10s %s%s%s, timer %s: %s left of %s%s\n", "now",
			    multi ? field(l->text, "flow", b[6], sizeof(b[6])) : "", multi ? " " : "",
			    field(l->text, "state", b[7], sizeof(b[7])),
			    field(l->text, "timer", b[0], sizeof(b[0])), left, to,
			    !strcmp(field(l->text, "refresh", b[1], sizeof(b[1])), "none") ?
			    " (absolute: traffic does not extend it)" : "");
		else
			fprintf(out, "  %-10s %s%sexpired (%s), remembered for %s more\n", "now",
			    multi ? field(l->text, "flow", b[6], sizeof(b[6])) : "", multi ? " " : "",
			    b[5], left);
		fprintf(out, "  %-10s age %s; orig %s pkts %s, reply %s pkts %s; %s dropped; "
		    "FIN orig %s, reply %s; history %s\n", "", age,
		    field(l->text, "pkts_orig", b[0], sizeof(b[0])), bo,
		    field(l->text, "pkts_reply", b[1], sizeof(b[1])), br,
		    field(l->text, "drops", b[2], sizeof(b[2])),
		    field(l->text, "fin_orig", b[3], sizeof(b[3])),
		    field(l->text, "fin_reply", b[4], sizeof(b[4])),
		    field(l->text, "history", b[5], sizeof(b[5])));
		return;
	}
	if (strcmp(tag, "CONTROL") == 0) {
		field(l->text, "change", b[0], sizeof(b[0]));
		field(l->text, "key", b[1], sizeof(b[1]));
		field(l->text, "value", b[2], sizeof(b[2]));
		field(l->text, "for", b[3], sizeof(b[3]));
		snprintf(what, sizeof(what), "%s %s%s%s%s%s (profile %s, generation %s)", b[0],
		    b[1], b[1][0] ? "=" : "", b[2], b[3][0] ? " for " : "", b[3],
		    field(l->text, "profile", b[4], sizeof(b[4])),
		    field(l->text, "generation", b[5], sizeof(b[5])));
	} else if (!strcmp(tag, "NEW") || !strcmp(tag, "UPDATE")) {
		field(l->text, "timeout", b[3], sizeof(b[3]));
		ctlc_view_dur(b[3], b[4], sizeof(b[4]));
		if (strcmp(tag, "UPDATE") == 0)
			snprintf(what, sizeof(what), "%s -> %s, timer %s %s",
			    field(l->text, "old_state", b[0], sizeof(b[0])),
			    field(l->text, "state", b[1], sizeof(b[1])),
			    field(l->text, "timer", b[2], sizeof(b[2])), b[4]);
		else
			snprintf(what, sizeof(what), "%s, timer %s %s",
			    field(l->text, "state", b[1], sizeof(b[1])),
			    field(l->text, "timer", b[2], sizeof(b[2])), b[4]);
	} else if (!strcmp(tag, "EXPIRE")) {
		snprintf(what, sizeof(what), "%s: the %s timer ran out (%s)",
		    field(l->text, "state", b[0], sizeof(b[0])),
		    field(l->text, "timer", b[1], sizeof(b[1])),
		    field(l->text, "reason", b[2], sizeof(b[2])));
	} else if (!strcmp(tag, "DESTROY")) {
		snprintf(what, sizeof(what), "left the table: %s, conn_state %s, history %s",
		    field(l->text, "reason", b[0], sizeof(b[0])),
		    field(l->text, "conn_state", b[1], sizeof(b[1])),
		    field(l->text, "history", b[2], sizeof(b[2])));
	} else if (!strcmp(tag, "RESET")) {
		field(l->text, "dir", b[0], sizeof(b[0]));
		snprintf(what, sizeof(what), "%s%s%s: %s (state %s)",
		    !strcmp(b[0], "both") ? "sent RSTs to both ends" : "answered the ",
		    !strcmp(b[0], "both") ? "" : b[0],
		    !strcmp(b[0], "both") ? "" : " side with a RST",
		    field(l->text, "reason", b[1], sizeof(b[1])),
		    field(l->text, "state", b[2], sizeof(b[2])));
	} else {
		field(l->text, "dir", b[0], sizeof(b[0]));
		snprintf(what, sizeof(what), "%sdropped %s %s packet: %s (state %s)",
		    !strcmp(tag, "FAULT") ? "injected fault " : "",
		    strcmp(b[0], "orig") == 0 ? "an" : "a", b[0],
		    field(l->text, "reason", b[1], sizeof(b[1])),
		    field(l->text, "state", b[2], sizeof(b[2])));
	}
	if (multi)
		fprintf(out, "  %+9.3fs %-8s %-8s %s\n", l->ts - t0,
		    field(l->text, "flow", b[7], sizeof(b[7])), tag, what);
	else
		fprintf(out, "  %+9.3fs %-8s %s\n", l->ts - t0, tag, what);
}

void
ctlc_view_explain(FILE *out, char *text)
{
	struct exline *v = NULL;
	char *line, *save, buf[96], first_serial[16] = "";
	int n = 0, cap = 0, i, j;
	bool multi = false;
	double t0 = -1;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct exline *l;
		char *close;

		if (line[0] != '[' || (close = strchr(line, ']')) == NULL)
			continue;
		if (n == cap) {
			void *p = realloc(v, (size_t)(cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (p == NULL)
				break;
			v = p;
		}
		l = &v[n++];
		l->text = line;
		snprintf(l->tag, sizeof(l->tag), "%.*s", (int)(close - line - 1), line + 1);
		l->ts = strtod(field(line, "ts", buf, sizeof(buf)), NULL);
		field(line, "serial", l->serial, sizeof(l->serial));
		if (l->serial[0] && strcmp(l->serial, "0") != 0) {
			if (first_serial[0] == '\0')
				snprintf(first_serial, sizeof(first_serial), "%s", l->serial);
			else if (strcmp(first_serial, l->serial) != 0)
				multi = true;
		}
		if (t0 < 0 && strcmp(l->tag, "FLOW") != 0 && strcmp(l->tag, "CONTROL") != 0)
			t0 = l->ts;
	}
	for (i = 0; i < n; i++) {
		char q[16], fl[16], a[64], ap[16], b[64], bp[16], e1[96], e2[96];

		if (strcmp(v[i].tag, "CONTROL") == 0)
			continue;
		field(v[i].text, "queue", q, sizeof(q));
		field(v[i].text, "flow", fl, sizeof(fl));
		endpoint(field(v[i].text, "src", a, sizeof(a)),
		    field(v[i].text, "sport", ap, sizeof(ap)), e1, sizeof(e1));
		endpoint(field(v[i].text, "dst", b, sizeof(b)),
		    field(v[i].text, "dport", bp, sizeof(bp)), e2, sizeof(e2));
		if (multi)
			fprintf(out, "several flows match (first: %s -> %s); times from the first "
			    "event\n", e1, e2);
		else
			fprintf(out, "flow %s:%s (serial %s)  %s -> %s\n", q, fl[0] ? fl : "-",
			    v[i].serial[0] ? v[i].serial : "-", e1, e2);
		break;
	}
	if (t0 < 0)
		t0 = 0;
	for (i = 0; i < n; i = j) {
		/* Repeats of one drop (a stalled sender retransmitting) fold
		 * into one line with a count. */
		for (j = i + 1; j < n && (!strcmp(v[i].tag, "DROP") || !strcmp(v[i].tag, "FAULT")) &&
		    !strcmp(v[j].tag, v[i].tag) && !strcmp(v[j].serial, v[i].serial); j++) {
			char a[64], b[64];

			if (strcmp(field(v[i].text, "reason", a, sizeof(a)),
			    field(v[j].text, "reason", b, sizeof(b))) != 0 ||
			    strcmp(field(v[i].text, "dir", a, sizeof(a)),
			    field(v[j].text, "dir", b, sizeof(b))) != 0)
				break;
		}
		explain_one(out, &v[i], t0, multi);
		if (j - i > 1)
			fprintf(out, "  %10s %s%-8s ... %d times in all, the last at %+.3fs\n", "",
			    multi ? "         " : "", "", j - i, v[j - 1].ts - t0);
	}
	free(v);
}
