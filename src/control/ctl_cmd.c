/* ctl_cmd.c -- the control socket's commands: parse a request, ask the workers, format the answer.
 *
 * Commands that change the profile (set, unset, policy, reload) are done
 * here at once through livepol.c. Commands that need flow tables (flows,
 * explain, stats, flush) become a job: a request posted to one worker at a
 * time, chunk after chunk, its replies formatted into the client's output
 * as they come (ctl.c moves the bytes and decides when to post). Time is
 * the transport's `now`, given with each call. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cmd.h"
#include "livepol.h"
#include "log.h"
#include "nfqproc.h"

/* End the current request: its status line. */
void
ctl_cmd_end(struct ctl *c, struct client *cl, const char *err)
{
	if (err) {
		c->errors++;
		sb_printf(&cl->out, "error: %s\n", err);
	} else {
		sb_puts(&cl->out, "ok\n");
	}
	c->requests++;
	free(cl->job.snaps);
	memset(&cl->job, 0, sizeof(cl->job));
	cl->busy = false;
}

/* Split a request line into words; backslash escapes. */
static int
split_words(char *line, char **argv, int max)
{
	int argc = 0;
	char *r = line, *w = line;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r')
			r++;
		if (*r == '\0')
			return argc;
		if (argc == max)
			return -1;
		argv[argc++] = w;
		while (*r && *r != ' ' && *r != '\t' && *r != '\r') {
			if (*r == '\\' && r[1])
				r++;
			*w++ = *r++;
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
}

/* Take --json/--prom/--dump out of argv; -1 on a conflict. */
static int
take_format(int *argc, char **argv, enum ctl_fmt *fmt, bool prom_ok)
{
	int i, j;
	bool seen = false;

	*fmt = CTLF_DUMP;
	for (i = j = 0; i < *argc; i++) {
		enum ctl_fmt f;

		if (strcmp(argv[i], "--json") == 0)
			f = CTLF_JSON;
		else if (strcmp(argv[i], "--dump") == 0)
			f = CTLF_DUMP;
		else if (prom_ok && strcmp(argv[i], "--prom") == 0)
			f = CTLF_PROM;
		else {
			argv[j++] = argv[i];
			continue;
		}
		if (seen && f != *fmt)
			return -1;
		seen = true;
		*fmt = f;
	}
	*argc = j;
	return 0;
}

/* Index of the first worker at or after i that the filter takes; c->nw if none. */
static unsigned
next_worker(const struct ctl *c, const struct flow_filter *ff, unsigned i)
{
	while (i < c->nw && !flow_filter_queue(ff, c->w[i]->queue))
		i++;
	return i;
}

static void
job_begin_worker(struct client *cl, enum ctl_op op)
{
	struct job *j = &cl->job;

	memset(&j->req, 0, sizeof(j->req));
	j->req.op = op;
	j->req.filter = j->filter;
	j->phase = (int)op;
}

int
ctl_cmd_start(struct ctl *c, struct client *cl, enum job_kind kind, enum ctl_op op, char *err)
{
	struct job *j = &cl->job;

	j->kind = kind;
	j->wi = next_worker(c, &j->filter, 0);
	if (j->wi == c->nw) {
		snprintf(err, CTL_MSG_MAX, "no such queue here (queues: %u-%u)",
		    c->w[0]->queue, c->w[c->nw - 1]->queue);
		return -1;
	}
	job_begin_worker(cl, op);
	cl->busy = true;
	return 0;
}

static int
cmd_flows(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err)
{
	struct job *j = &cl->job;

	(void)now;
	if (take_format(&argc, argv, &j->fmt, false) < 0) {
		snprintf(err, CTL_MSG_MAX, "flows: --json and --dump exclude each other");
		return -1;
	}
	if (flow_filter_parse(&j->filter, argc - 1, argv + 1, false, err, CTL_MSG_MAX) < 0 ||
	    ctl_cmd_start(c, cl, J_FLOWS, CTL_OP_FLOWS, err) < 0)
		return -1;
	if (j->fmt == CTLF_JSON)
		sb_puts(&cl->out, "[");
	return 0;
}

int
ctl_cmd_take_filter(struct job *j, int argc, char **argv, char *err)
{
	struct strbuf t;

	if (flow_filter_parse(&j->filter, argc - 1, argv + 1, true, err, CTL_MSG_MAX) < 0)
		return -1;
	sb_init_fixed(&t, j->text, sizeof(j->text));
	for (int i = 1; i < argc; i++)
		sb_printf(&t, "%s%s", i > 1 ? " " : "", argv[i]);
	if (argc == 1)
		sb_puts(&t, "all");
	return 0;
}

static int
cmd_flush(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err)
{
	(void)now;
	if (ctl_cmd_take_filter(&cl->job, argc, argv, err) < 0)
		return -1;
	return ctl_cmd_start(c, cl, J_FLUSH, CTL_OP_FLUSH, err);
}

static int
cmd_stats(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err)
{
	struct job *j = &cl->job;

	(void)now;
	if (take_format(&argc, argv, &j->fmt, true) < 0 || argc > 1) {
		snprintf(err, CTL_MSG_MAX, "usage: stats [--json|--prom|--dump]");
		return -1;
	}
	j->snaps = calloc(c->nw, sizeof(*j->snaps));
	if (j->snaps == NULL) {
		snprintf(err, CTL_MSG_MAX, "out of memory");
		return -1;
	}
	memset(&j->filter, 0, sizeof(j->filter));
	return ctl_cmd_start(c, cl, J_STATS, CTL_OP_STATS, err);
}

static int
cmd_explain(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err)
{
	struct job *j = &cl->job;
	struct flow_filter *f = &j->filter;

	(void)now;
	if (take_format(&argc, argv, &j->fmt, false) < 0) {
		snprintf(err, CTL_MSG_MAX, "explain: --json and --dump exclude each other");
		return -1;
	}
	if (argc < 2) {
		snprintf(err, CTL_MSG_MAX, "usage: explain [--json] FLOW|FILTER "
		    "(FLOW: the flow column of `flows`, N or QUEUE:N)");
		return -1;
	}
	/* A bare number is a slot, as `flows` prints it. */
	if (argc == 2 && argv[1][strspn(argv[1], "0123456789")] == '\0') {
		char *words[2] = { "flow", argv[1] };

		if (flow_filter_parse(f, 2, words, true, err, CTL_MSG_MAX) < 0)
			return -1;
	} else if (flow_filter_parse(f, argc - 1, argv + 1, true, err, CTL_MSG_MAX) < 0) {
		return -1;
	}
	f->live = f->dead = true;	/* the "now" lines: any flow that is still there */
	f->states = 0;
	j->by_slot = f->nslot == 1 && !f->nsrc && !f->ndst && !f->naddr && !f->nsport &&
	    !f->ndport && !f->nport;
	if (ctl_cmd_start(c, cl, J_EXPLAIN, j->by_slot ? CTL_OP_FIND : CTL_OP_EVENTS, err) < 0)
		return -1;
	j->req.slot = f->slot[0];
	return 0;
}

static int
cmd_set(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err)
{
	char *kvs[CTL_ARGS_MAX];
	uint64_t for_ns = 0;
	int n = 0;

	(void)c;
	for (int i = 1; i < argc; i++) {
		const char *d = NULL;

		if (strcmp(argv[i], "--for") == 0 && i + 1 < argc)
			d = argv[++i];
		else if (strncmp(argv[i], "--for=", 6) == 0)
			d = argv[i] + 6;
		else if (argv[i][0] == '-') {
			snprintf(err, CTL_MSG_MAX, "set: unknown option '%s'", argv[i]);
			return -1;
		} else {
			kvs[n++] = argv[i];
			continue;
		}
		if (policy_parse_duration(d, &for_ns) < 0 || for_ns == 0) {
			snprintf(err, CTL_MSG_MAX, "set: --for %s: expected a duration with its unit "
			    "(30s, 2m, 250ms)", d);
			return -1;
		}
	}
	if (n == 0) {
		snprintf(err, CTL_MSG_MAX, "usage: set KEY=VALUE... [--for DURATION]");
		return -1;
	}
	if (livepol_set(kvs, n, for_ns, now, err, CTL_MSG_MAX) < 0)
		return -1;
	sb_printf(&cl->out, "%s\n", err);
	return 0;
}

static int
cmd_unset(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err)
{
	bool all = argc == 2 && strcmp(argv[1], "--all") == 0;

	(void)c;
	if (argc < 2) {
		snprintf(err, CTL_MSG_MAX, "usage: unset KEY...|--all");
		return -1;
	}
	if (livepol_unset(argv + 1, argc - 1, all, now, err, CTL_MSG_MAX) < 0)
		return -1;
	sb_printf(&cl->out, "%s\n", err);
	return 0;
}

static int
cmd_policy(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err)
{
	enum ctl_fmt fmt;

	(void)c;
	if (take_format(&argc, argv, &fmt, false) < 0 || argc > 2) {
		snprintf(err, CTL_MSG_MAX, "usage: policy [--json] [NAME|FILE]");
		return -1;
	}
	if (argc == 1) {
		livepol_describe(now, fmt == CTLF_JSON, &cl->out);
		return 0;
	}
	if (livepol_switch(argv[1], now, err, CTL_MSG_MAX) < 0)
		return -1;
	sb_printf(&cl->out, "%s\n", err);
	return 0;
}

static int
cmd_reload(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err)
{
	(void)c;
	(void)argv;
	if (argc > 1) {
		snprintf(err, CTL_MSG_MAX, "usage: reload");
		return -1;
	}
	if (livepol_reload(now, "ctl", err, CTL_MSG_MAX) < 0)
		return -1;
	sb_printf(&cl->out, "%s\n", err);
	return 0;
}

static int cmd_help(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err);

static int
cmd_mappings(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now, char *err)
{
	(void)now;
	return ctl_nat_cmd_mappings(c, cl, argc, argv, err);
}

static int
cmd_rebind(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now, char *err)
{
	(void)now;
	return ctl_nat_cmd_rebind(c, cl, argc, argv, err);
}

static const struct {
	const char *name;
	int (*fn)(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
	    char *err);
	const char *usage;
	bool reads;		/* changes nothing: --ctl-group members may run it */
} cmds[] = {
	{ "flows", cmd_flows, "flows [--json] [FILTER]", true },
	{ "explain", cmd_explain, "explain [--json] FLOW|FILTER", true },
	{ "stats", cmd_stats, "stats [--json|--prom]", true },
	{ "set", cmd_set, "set KEY=VALUE... [--for DURATION]", false },
	{ "unset", cmd_unset, "unset KEY...|--all", false },
	{ "policy", cmd_policy, "policy [--json] [NAME|FILE]", true },	/* a NAME: see below */
	{ "reload", cmd_reload, "reload", false },
	{ "flush", cmd_flush, "flush [FILTER]", false },
	{ "mappings", cmd_mappings, "mappings [--json]", true },
	{ "rebind", cmd_rebind, "rebind FLOW|FILTER|all", false },
	{ "help", cmd_help, "help", true },
};

/* May a read-only client run this? `policy` reads only without a NAME. */
static bool
ctl_cmd_reads(size_t i, int argc, char **argv)
{
	if (!cmds[i].reads)
		return false;
	if (cmds[i].fn == cmd_policy)
		for (int k = 1; k < argc; k++)
			if (strcmp(argv[k], "--json") != 0)
				return false;
	return true;
}

static int
cmd_help(struct ctl *c, struct client *cl, int argc, char **argv, uint64_t now,
    char *err)
{
	(void)c;
	(void)argc;
	(void)argv;
	(void)now;
	(void)err;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		sb_printf(&cl->out, "%s\n", cmds[i].usage);
	return 0;
}

void
ctl_cmd_dispatch(struct ctl *c, struct client *cl, char *line, uint64_t now)
{
	char *argv[CTL_ARGS_MAX], err[CTL_MSG_MAX];
	int argc = split_words(line, argv, CTL_ARGS_MAX);
	size_t i;

	if (argc == 0)
		return;
	memset(&cl->job, 0, sizeof(cl->job));
	err[0] = '\0';
	if (argc < 0) {
		ctl_cmd_end(c, cl, "too many words in the request");
		return;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		snprintf(err, sizeof(err), "unknown command '%s' (help lists them)", argv[0]);
		ctl_cmd_end(c, cl, err);
		return;
	}
	if (cl->readonly && !ctl_cmd_reads(i, argc, argv)) {
		log_info("ctl: client %u (read-only): %s refused", cl->id, argv[0]);
		ctl_cmd_end(c, cl, "permission denied");
		return;
	}
	log_debug("ctl: client %u: %s", cl->id, argv[0]);
	if (cmds[i].fn(c, cl, argc, argv, now, err) < 0) {
		free(cl->job.snaps);
		cl->job.snaps = NULL;
		cl->busy = false;
		ctl_cmd_end(c, cl, err);
	} else if (!cl->busy) {
		ctl_cmd_end(c, cl, NULL);
	}
}


/* ---- answers from the workers ---- */

static void
emit_changes(struct client *cl, uint64_t to)
{
	struct livepol_change ch[32];
	struct job *j = &cl->job;
	unsigned n;

	if (j->ctl_ts == 0 || to <= j->ctl_ts)
		return;
	n = livepol_changes(j->ctl_ts + 1, to, ch, 32);
	for (unsigned i = 0; i < n; i++)
		livepol_change_format(&ch[i], j->fmt == CTLF_JSON ? EVF_JSON : EVF_TEXT, &cl->out);
	j->ctl_ts = to;
}

struct kq_fill {
	struct ctl_wsnap *s;
	unsigned n;
};

static void
kq_line(void *ctx, const struct nfqproc_line *l)
{
	struct kq_fill *f = ctx;

	for (unsigned i = 0; i < f->n; i++) {
		if (f->s[i].queue != l->queue)
			continue;
		f->s[i].kq = (struct ctl_kqueue){ .found = true, .portid = l->portid,
		    .total = l->total, .copy_mode = l->copy_mode, .copy_range = l->copy_range,
		    .dropped = l->dropped, .user_dropped = l->user_dropped,
		    .id_sequence = l->id_sequence };
	}
}

/* The kernel's lines for the workers' queues (not shown if unreadable). */
static void
read_kernel_queues(const struct ctl *c, struct ctl_wsnap *s, unsigned n)
{
	struct kq_fill f = { .s = s, .n = n };

	(void)nfqproc_read(c->have_kq ? c->kq_fd : -1, kq_line, &f);
}

static void
finish_stats(struct ctl *c, struct client *cl, uint64_t now)
{
	struct ctl_global g;
	struct evsink_stats es;
	struct policy *p = malloc(sizeof(*p));

	memset(&g, 0, sizeof(g));
	if (p) {
		g.generation = livepol_snapshot(p);
		snprintf(g.profile, sizeof(g.profile), "%s", p->name);
		free(p);
	}
	g.uptime = now - c->t0;
	g.clients = c->nc;
	g.requests = c->requests;
	g.errors = c->errors;
	g.clients_dropped = c->dropped;
	if (c->sink) {
		evsink_stats(c->sink, &es);
		g.have_events = true;
		g.event_lines = es.lines;
		g.event_lost = es.lost;
	}
	if (c->qstats) {
		g.have_q = true;
		c->qstats(c->qctx, &g.q);
	}
	read_kernel_queues(c, cl->job.snaps, c->nw);
	ctl_fmt_stats(&cl->out, cl->job.snaps, c->nw, &g, cl->job.fmt);
}

/* The current worker is done with this job: on to the next, or finish. */
static void
job_next_worker(struct ctl *c, struct client *cl, uint64_t now)
{
	struct job *j = &cl->job;
	char msg[128];

	j->wi = next_worker(c, &j->filter, j->wi + 1);
	if (j->wi < c->nw) {
		job_begin_worker(cl, j->kind == J_FLOWS ? CTL_OP_FLOWS :
		    j->kind == J_FLUSH ? CTL_OP_FLUSH : j->kind == J_STATS ? CTL_OP_STATS :
		    j->kind == J_REBIND ? CTL_OP_REBIND : j->kind == J_MAPPINGS ? CTL_OP_MAPPINGS :
		    j->by_slot ? CTL_OP_FIND : CTL_OP_EVENTS);
		j->req.slot = j->filter.slot[0];
		j->ctl_ts = 0;
		j->have_now = false;
		return;
	}
	switch (j->kind) {
	case J_FLOWS:
		if (j->fmt == CTLF_JSON)
			sb_puts(&cl->out, j->count ? "\n]\n" : "]\n");
		break;
	case J_FLUSH: {
		struct livepol_change ch;

		memset(&ch, 0, sizeof(ch));
		snprintf(ch.change, sizeof(ch.change), "flush");
		snprintf(ch.value, sizeof(ch.value), "%s", j->text);
		ch.ts = now;
		ch.flows = (int64_t)j->count;
		livepol_note(&ch);
		log_notice("ctl flush %s: %" PRIu64 " flows ended", j->text, j->count);
		sb_printf(&cl->out, "flushed %" PRIu64 " flows\n", j->count);
		break;
	}
	case J_STATS:
		finish_stats(c, cl, now);
		break;
	case J_REBIND:
	case J_MAPPINGS:
		ctl_nat_finish(cl);
		break;
	case J_EXPLAIN:
		if (j->count == 0) {
			snprintf(msg, sizeof(msg), "no such flow in the table or in the "
			    "recent history (see --history of natbox run)");
			ctl_cmd_end(c, cl, msg);
			return;
		}
		break;
	default:
		break;
	}
	ctl_cmd_end(c, cl, NULL);
}

static void
flows_reply(struct client *cl, const struct ctl_reply *r)
{
	struct job *j = &cl->job;

	for (unsigned i = 0; i < r->n; i++, j->count++) {
		if (j->fmt == CTLF_JSON) {
			sb_puts(&cl->out, j->count ? ",\n" : "\n");
			ctl_fmt_flow_json(&cl->out, &r->r.flows[i], r->profile);
		} else {
			ctl_fmt_flow_dump(&cl->out, &r->r.flows[i], r->profile);
		}
	}
}

static void
stats_reply(struct job *j, const struct ctl_worker *w, const struct ctl_reply *r)
{
	struct ctl_wsnap *s = &j->snaps[j->wi];

	if (r->capacity) {	/* the first chunk carries the counters */
		s->es = r->es;
		s->ws = r->ws;
		s->nflows = r->nflows;
		s->capacity = r->capacity;
		s->memory = r->memory;
		s->history_seen = r->history_seen;
		s->history_size = r->history_size;
		s->nat = r->nat;
		s->ns = r->ns;
		s->nat_live = r->nat_live;
	}
	s->queue = w->queue;
	memcpy(s->profile, r->profile, sizeof(s->profile));
	for (unsigned i = 0; i < TRK_STATE_MAX; i++)
		s->by_state[i] += r->by_state[i];
	s->dead += r->dead;
}

/* explain's replies, in its phases: by slot, the flow there (FIND), then
 * its events; by filter, the matching events, then the matching flows as
 * they are now. False while this worker has more to answer (the next
 * request is set up). */
static bool
explain_reply(struct client *cl, const struct ctl_reply *r)
{
	struct job *j = &cl->job;
	bool json = j->fmt == CTLF_JSON;
	unsigned i;

	if (j->phase == CTL_OP_FIND) {
		if (r->n == 1) {
			j->now = r->r.flows[0];
			j->have_now = true;
			memcpy(j->text, r->profile, sizeof(r->profile));
		}
		if (r->serial == 0)
			return true;
		j->req.op = CTL_OP_EVENTS;
		j->phase = CTL_OP_EVENTS;
		j->req.serial = r->serial;
		j->req.seq = j->req.seq_end = 0;
		return false;
	}
	if (j->phase == CTL_OP_EVENTS) {
		for (i = 0; i < r->n; i++, j->count++) {
			if (j->ctl_ts == 0)
				j->ctl_ts = r->r.evs[i].ev.ts;
			emit_changes(cl, r->r.evs[i].ev.ts);
			ctl_fmt_event(&cl->out, &r->r.evs[i], json);
		}
		if (!r->finished)
			return false;
		if (j->by_slot) {
			if (j->have_now) {
				emit_changes(cl, r->now);
				ctl_fmt_flow_line(&cl->out, &j->now, j->text, json);
				j->count++;
			}
			return true;
		}
		/* By filter: the matching flows as they are now. */
		j->phase = CTL_OP_FLOWS;
		j->req.op = CTL_OP_FLOWS;
		j->req.cursor = j->req.found = 0;
		return false;
	}
	for (i = 0; i < r->n; i++, j->count++) {
		emit_changes(cl, r->now);
		ctl_fmt_flow_line(&cl->out, &r->r.flows[i], r->profile, json);
	}
	return true;
}

void
ctl_cmd_on_reply(struct ctl *c, struct client *cl, struct ctl_worker *w, uint64_t now)
{
	struct job *j = &cl->job;
	const struct ctl_reply *r = w->rep;

	j->waiting = false;
	j->since = 0;
	j->req.cursor = r->cursor;
	j->req.found = r->found;
	j->req.seq = r->seq;
	j->req.seq_end = r->seq_end;
	switch (j->kind) {
	case J_FLOWS:
		flows_reply(cl, r);
		break;
	case J_FLUSH:
		j->count += r->flushed;
		break;
	case J_STATS:
		stats_reply(j, w, r);
		break;
	case J_REBIND:
	case J_MAPPINGS:
		ctl_nat_reply(cl, r);
		break;
	case J_EXPLAIN:
		if (!explain_reply(cl, r))
			return;
		break;
	default:
		break;
	}
	if (r->finished)
		job_next_worker(c, cl, now);
}

