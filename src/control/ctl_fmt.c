/* ctl_fmt.c -- the control server's replies as text: flow rows, explain lines, stats (key=value, JSON, Prometheus).
 *
 * Names printed here are stable (they are column names, counter names and
 * metric names scripts depend on) and come from the enums' name tables,
 * so they never drift from the code. A field that has a text and a JSON
 * form is printed once, through the field writer (fieldw.h). */
#include <stdio.h>
#include <string.h>

#include "ctl_fmt.h"
#include "ctl_proto.h"
#include "event.h"
#include "fieldw.h"
#include "reason.h"

/* Replies spell times in seconds to the millisecond, rounded (the field
 * writer prints microseconds, cut): round first. FW_NONE stays "none". */
static uint64_t
ms_round(uint64_t ns)
{
	return (ns + 500000) / 1000000 * 1000000;
}

static uint64_t
ms_round_or_none(uint64_t ns)
{
	return ns == FW_NONE ? FW_NONE : ms_round(ns);
}

/* ---- flows ---- */

static const char *const fin_names[] = { "none", "sent", "acked" };

/* Every field a flow is shown with: the dump's columns (ctl_proto.h),
 * then two that only JSON carries. */
enum { FJ_FAMILY = FL__COUNT, FJ_CONN_STATE, F__ALL };

static const char *const field_name[F__ALL] = {
#define FIELD_NAME(id, name) [FL_##id] = name,
	CTL_FLOW_COLUMNS(FIELD_NAME)
#undef FIELD_NAME
	[FJ_FAMILY] = "family",
	[FJ_CONN_STATE] = "conn_state",
};

/* The dump walks the columns in their order; JSON (flows --json, the
 * explain line {"event":"flow"}) and explain's [FLOW] line have theirs. */
static const unsigned char dump_order[FL__COUNT] = {
#define FIELD_ID(id, name) FL_##id,
	CTL_FLOW_COLUMNS(FIELD_ID)
#undef FIELD_ID
};

static const unsigned char json_order[] = {
	FL_QUEUE, FL_FLOW, FJ_FAMILY, FL_SRC, FL_SPORT, FL_DST, FL_DPORT, FL_STATE, FL_TIMER,
	FL_LEFT, FL_TIMEOUT, FL_REFRESH, FL_FIN_ORIG, FL_FIN_REPLY, FL_PKTS_ORIG,
	FL_BYTES_ORIG, FL_PKTS_REPLY, FL_BYTES_REPLY, FL_DROPS, FL_AGE, FL_IDLE, FL_STATUS,
	FL_HISTORY, FJ_CONN_STATE, FL_PROFILE, FL_SERIAL,
};

static const unsigned char line_order[] = {
	FL_QUEUE, FL_FLOW, FL_SERIAL, FL_SRC, FL_DST, FL_SPORT, FL_DPORT, FL_STATE, FL_TIMER,
	FL_LEFT, FL_TIMEOUT, FL_REFRESH, FL_FIN_ORIG, FL_FIN_REPLY, FL_PKTS_ORIG,
	FL_BYTES_ORIG, FL_PKTS_REPLY, FL_BYTES_REPLY, FL_DROPS, FL_AGE, FL_IDLE, FL_STATUS,
	FL_HISTORY, FL_PROFILE,
};

/* One field's value: a number, a string or a time (ns, FW_NONE: none). */
struct fval {
	enum { FV_UINT, FV_STR, FV_SECS } kind;
	unsigned long long u;
	const char *s;
};

static struct fval
field_value(const struct ctl_flowrec *r, const char *profile, unsigned f, bool json,
    char *buf, size_t cap)
{
	struct fval v = { .kind = FV_UINT };

	switch (f) {
	case FL_QUEUE:		v.u = r->queue; break;
	case FL_FLOW:		v.u = r->slot; break;
	case FJ_FAMILY:		v.u = r->family; break;
	case FL_SPORT:		v.u = r->sport; break;
	case FL_DPORT:		v.u = r->dport; break;
	case FL_PKTS_ORIG:	v.u = r->pkts[0]; break;
	case FL_BYTES_ORIG:	v.u = r->bytes[0]; break;
	case FL_PKTS_REPLY:	v.u = r->pkts[1]; break;
	case FL_BYTES_REPLY:	v.u = r->bytes[1]; break;
	case FL_DROPS:		v.u = r->drops; break;
	case FL_SERIAL:		v.u = r->serial; break;
	case FL_LEFT:		v.kind = FV_SECS; v.u = ms_round_or_none(r->left); break;
	case FL_AGE:		v.kind = FV_SECS; v.u = ms_round_or_none(r->age); break;
	case FL_TIMEOUT:	v.kind = FV_SECS; v.u = ms_round(r->timeout); break;
	case FL_IDLE:		v.kind = FV_SECS; v.u = ms_round(r->idle); break;
	default:
		v.kind = FV_STR;
		break;
	}
	switch (f) {
	case FL_SRC:
	case FL_DST:
		event_addr_str(r->family, f == FL_SRC ? &r->src : &r->dst, buf, cap);
		v.s = buf;
		break;
	case FL_STATE:		v.s = tcp_state_name(r->state); break;
	case FL_TIMER:		v.s = r->dead ? "tombstone" : tcp_state_key(r->timer_state); break;
	case FL_REFRESH:	v.s = refresh_rule_name(r->refresh); break;
	case FL_FIN_ORIG:	v.s = fin_names[r->fin[0] % 3]; break;
	case FL_FIN_REPLY:	v.s = fin_names[r->fin[1] % 3]; break;
	case FL_STATUS:		v.s = r->dead ? reason_name(r->dead_reason) : "live"; break;
	case FL_HISTORY:	v.s = r->history[0] || json ? r->history : NULL; break;	/* "-" */
	case FJ_CONN_STATE:	v.s = r->conn_state; break;
	case FL_PROFILE:	v.s = profile; break;
	default:
		break;
	}
	return v;
}

/* The fields in order through w. In text each is preceded by sep, and
 * by its name and '=' if named (the first one by nothing in the dump). */
static void
flow_fields(struct fieldw *w, const struct ctl_flowrec *r, const char *profile,
    const unsigned char *order, size_t n, const char *sep, bool named)
{
	for (size_t i = 0; i < n; i++) {
		const char *key = field_name[order[i]];
		char fmt[48], buf[64];
		struct fval v = field_value(r, profile, order[i], w->json, buf, sizeof(buf));

		snprintf(fmt, sizeof(fmt), "%s%s%s%s", i || named ? sep : "", named ? key : "",
		    named ? "=" : "", v.kind == FV_UINT ? "%llu" : "%s");
		if (v.kind == FV_UINT)
			fw_uint(w, key, fmt, v.u);
		else if (v.kind == FV_SECS)
			fw_secs(w, key, fmt, v.u);
		else
			fw_str(w, key, fmt, v.s);
	}
}

void
ctl_fmt_flow_dump(struct strbuf *sb, const struct ctl_flowrec *r, const char *profile)
{
	struct fieldw w;

	fw_init_sb(&w, sb, false);
	flow_fields(&w, r, profile, dump_order, FL__COUNT, "\t", false);
	fw_text(&w, "\n");
}

void
ctl_fmt_flow_json(struct strbuf *sb, const struct ctl_flowrec *r, const char *profile)
{
	struct fieldw w;

	/* One member of the array the caller writes around it: no newline
	 * after the object, so the writer starts inside it. */
	fw_init_sb(&w, sb, true);
	w.depth = 1;
	sb_puts(sb, "{");
	flow_fields(&w, r, profile, json_order, sizeof(json_order), "", false);
	sb_puts(sb, "}");
}

void
ctl_fmt_flow_line(struct strbuf *sb, const struct ctl_flowrec *r, const char *profile,
    bool json)
{
	struct fieldw w;

	fw_init_sb(&w, sb, json);
	fw_obj_open(&w, NULL);
	fw_text(&w, "[FLOW]");
	fw_str(&w, "event", NULL, "flow");
	if (json)
		flow_fields(&w, r, profile, json_order, sizeof(json_order), "", false);
	else
		flow_fields(&w, r, profile, line_order, sizeof(line_order), " ", true);
	fw_text(&w, "\n");
	fw_obj_close(&w);
}

void
ctl_fmt_event(struct strbuf *sb, const struct ctl_evrec *er, bool json)
{
	char line[1024];
	size_t n = event_format(&er->ev, json ? EVF_JSON : EVF_TEXT, line, sizeof(line));

	if (n >= sizeof(line) || n < 2)
		return;
	/* Drop "\n" (and JSON's closing brace), add where it came from. */
	n -= json ? 2 : 1;
	sb_put(sb, line, n);
	if (json)
		sb_printf(sb, ",\"queue\":%u,\"serial\":%u}\n", er->queue, er->serial);
	else
		sb_printf(sb, " queue=%u serial=%u\n", er->queue, er->serial);
}

/* ---- stats ---- */

/* Reasons that are drops, and reasons that end flows. */
static bool
is_drop_reason(unsigned r)
{
	return (r >= R_EXPIRED_OPENING && r <= R_FAULT_DROP_SECOND_FIN) ||
	    (r >= R_DECODE + DEC_TRUNCATED && r < R__MAX);
}

static bool
is_end_reason(unsigned r)
{
	return (r >= R_EXPIRED_OPENING && r <= R_EXPIRED_CLOSED) ||
	    (r >= R_END_RST && r <= R_END_TOMBSTONE);
}

/* "decode:truncated" -> "truncated" */
static const char *
decode_name(unsigned d)
{
	const char *n = reason_name(R_DECODE + d), *c = strchr(n, ':');

	return c ? c + 1 : n;
}

static void
sum(struct ctl_wsnap *t, const struct ctl_wsnap *w, unsigned n)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < n; i++) {
		const struct engine_stats *a = &w[i].es;
		struct engine_stats *s = &t->es;

		s->packets += a->packets;
		s->accepted += a->accepted;
		s->dropped += a->dropped;
		s->resets_sent += a->resets_sent;
		s->skipped += a->skipped;
		s->evictions += a->evictions;
		for (unsigned r = 0; r < R__MAX; r++) {
			s->reason[r] += a->reason[r];
			s->ends[r] += a->ends[r];
		}
		for (unsigned e = 0; e < EV__MAX; e++)
			s->events[e] += a->events[e];
		for (unsigned d = 0; d < DEC__MAX; d++)
			s->decode[d] += a->decode[d];
		for (unsigned st = 0; st < TCP_STATE_MAX; st++)
			t->by_state[st] += w[i].by_state[st];
		t->dead += w[i].dead;
		t->nflows += w[i].nflows;
		t->capacity += w[i].capacity;
		t->memory += w[i].memory;
		t->ws.enobufs += w[i].ws.enobufs;
		t->ws.id_gaps += w[i].ws.id_gaps;
		t->kq.dropped += w[i].kq.dropped;
		t->kq.user_dropped += w[i].kq.user_dropped;
		t->kq.total += w[i].kq.total;
	}
}

#define U(x) ((unsigned long long)(x))

/* The engine counters under a key prefix ("" or "queue.10."). */
static void
kv_engine(struct strbuf *sb, const char *pfx, const struct engine_stats *s)
{
	unsigned r;

	sb_printf(sb, "%spackets=%llu\n%saccepted=%llu\n%sdropped=%llu\n%sresets_sent=%llu\n"
	    "%sskipped=%llu\n%sevictions=%llu\n", pfx, U(s->packets), pfx, U(s->accepted),
	    pfx, U(s->dropped), pfx, U(s->resets_sent), pfx, U(s->skipped), pfx,
	    U(s->evictions));
	for (r = 0; r < EV__MAX; r++)
		sb_printf(sb, "%sevent.%s=%llu\n", pfx, event_type_name(r), U(s->events[r]));
	for (r = 0; r < R__MAX; r++)
		if (is_drop_reason(r))
			sb_printf(sb, "%sdrop.%s=%llu\n", pfx, reason_name(r), U(s->reason[r]));
	for (r = 0; r < R__MAX; r++)
		if (is_end_reason(r))
			sb_printf(sb, "%send.%s=%llu\n", pfx, reason_name(r), U(s->ends[r]));
	for (r = 0; r < DEC__MAX; r++)
		sb_printf(sb, "%sdecode.%s=%llu\n", pfx, decode_name(r), U(s->decode[r]));
}

static void
kv_stats(struct strbuf *sb, const struct ctl_wsnap *w, unsigned n, const struct ctl_global *g)
{
	struct ctl_wsnap t;
	unsigned i, s;

	sum(&t, w, n);
	sb_printf(sb, "profile=%s\ngeneration=%u\nuptime=", g->profile, g->generation);
	sb_secs(sb, g->uptime, 3);
	sb_puts(sb, "\nqueues=");
	for (i = 0; i < n; i++)
		sb_printf(sb, "%s%u", i ? "," : "", w[i].queue);
	sb_printf(sb, "\nflows=%u\nflows.expired=%u\nflows.capacity=%u\n", t.nflows - t.dead,
	    t.dead, t.capacity);
	for (s = TCP_NONE + 1; s < TCP_STATE_MAX; s++)
		sb_printf(sb, "flows.state.%s=%u\n", tcp_state_name(s), t.by_state[s]);
	kv_engine(sb, "", &t.es);
	sb_printf(sb, "enobufs=%llu\nid_gaps=%llu\nkernel.queue_total=%llu\n"
	    "kernel.dropped=%llu\nkernel.user_dropped=%llu\nmemory=%llu\n",
	    U(t.ws.enobufs), U(t.ws.id_gaps), U(t.kq.total), U(t.kq.dropped),
	    U(t.kq.user_dropped), U(t.memory));
	if (g->have_events)
		sb_printf(sb, "events.lines=%llu\nevents.lost=%llu\n", U(g->event_lines),
		    U(g->event_lost));
	sb_printf(sb, "ctl.clients=%u\nctl.requests=%llu\nctl.errors=%llu\nctl.dropped=%llu\n",
	    g->clients, U(g->requests), U(g->errors), U(g->clients_dropped));
	for (i = 0; i < n; i++) {
		const struct ctl_wsnap *q = &w[i];
		const struct ctl_wstats *ws = &q->ws;
		char pfx[32];

		snprintf(pfx, sizeof(pfx), "queue.%u.", q->queue);
		sb_printf(sb, "%sprofile=%s\n%sflows=%u\n%sflows.expired=%u\n", pfx, q->profile,
		    pfx, q->nflows - q->dead, pfx, q->dead);
		for (s = TCP_NONE + 1; s < TCP_STATE_MAX; s++)
			sb_printf(sb, "%sflows.state.%s=%u\n", pfx, tcp_state_name(s), q->by_state[s]);
		kv_engine(sb, pfx, &q->es);
		sb_printf(sb, "%sbursts=%llu\n%smax_burst=%llu\n%senobufs=%llu\n%sid_gaps=%llu\n"
		    "%sverdicts=%llu\n%sverdict_msgs=%llu\n%ssend_errors=%llu\n%snacks=%llu\n"
		    "%sgso=%llu\n%scsum_not_ready=%llu\n%soddities=%llu\n%sunseen=%llu\n"
		    "%srsts_sent=%llu\n%srst_errors=%llu\n%srcvbuf=%u\n%smemory=%llu\n"
		    "%shistory.events=%llu\n%shistory.size=%llu\n",
		    pfx, U(ws->bursts), pfx, U(ws->max_burst), pfx, U(ws->enobufs),
		    pfx, U(ws->id_gaps), pfx, U(ws->verdicts), pfx, U(ws->verdict_msgs),
		    pfx, U(ws->send_errors), pfx, U(ws->nacks), pfx, U(ws->gso),
		    pfx, U(ws->csum_not_ready), pfx, U(ws->oddities), pfx, U(ws->unseen),
		    pfx, U(ws->rsts_sent), pfx, U(ws->rst_errors), pfx, ws->rcvbuf,
		    pfx, U(q->memory), pfx, U(q->history_seen), pfx, U(q->history_size));
		if (q->kq.found)
			sb_printf(sb, "%skernel.portid=%u\n%skernel.queue_total=%u\n"
			    "%skernel.copy_range=%u\n%skernel.dropped=%llu\n"
			    "%skernel.user_dropped=%llu\n%skernel.id_sequence=%llu\n",
			    pfx, q->kq.portid, pfx, q->kq.total, pfx, q->kq.copy_range,
			    pfx, q->kq.dropped, pfx, q->kq.user_dropped, pfx, q->kq.id_sequence);
	}
}

static void
json_engine(struct strbuf *sb, const struct engine_stats *s)
{
	unsigned r;
	const char *sep = "";

	sb_printf(sb, "\"packets\":%llu,\"accepted\":%llu,\"dropped\":%llu,\"resets_sent\":%llu,"
	    "\"skipped\":%llu,\"evictions\":%llu,\"events\":{", U(s->packets), U(s->accepted),
	    U(s->dropped), U(s->resets_sent), U(s->skipped), U(s->evictions));
	for (r = 0; r < EV__MAX; r++)
		sb_printf(sb, "%s\"%s\":%llu", r ? "," : "", event_type_name(r), U(s->events[r]));
	sb_puts(sb, "},\"drops\":{");
	for (r = 0; r < R__MAX; r++) {
		if (!is_drop_reason(r))
			continue;
		sb_printf(sb, "%s\"%s\":%llu", sep, reason_name(r), U(s->reason[r]));
		sep = ",";
	}
	sb_puts(sb, "},\"ends\":{");
	for (r = 0, sep = ""; r < R__MAX; r++) {
		if (!is_end_reason(r))
			continue;
		sb_printf(sb, "%s\"%s\":%llu", sep, reason_name(r), U(s->ends[r]));
		sep = ",";
	}
	sb_puts(sb, "},\"decode\":{");
	for (r = 0; r < DEC__MAX; r++)
		sb_printf(sb, "%s\"%s\":%llu", r ? "," : "", decode_name(r), U(s->decode[r]));
	sb_puts(sb, "}");
}

static void
json_states(struct strbuf *sb, const uint32_t *by_state)
{
	sb_puts(sb, "{");
	for (unsigned s = TCP_NONE + 1; s < TCP_STATE_MAX; s++)
		sb_printf(sb, "%s\"%s\":%u", s > TCP_NONE + 1 ? "," : "", tcp_state_name(s),
		    by_state[s]);
	sb_puts(sb, "}");
}

static void
json_stats(struct strbuf *sb, const struct ctl_wsnap *w, unsigned n, const struct ctl_global *g)
{
	struct ctl_wsnap t;

	sum(&t, w, n);
	sb_puts(sb, "{\"profile\":");
	sb_json_str(sb, g->profile);
	sb_printf(sb, ",\"generation\":%u,\"uptime\":", g->generation);
	sb_secs(sb, g->uptime, 3);
	sb_printf(sb, ",\"flows\":{\"live\":%u,\"expired\":%u,\"capacity\":%u,\"by_state\":",
	    t.nflows - t.dead, t.dead, t.capacity);
	json_states(sb, t.by_state);
	sb_puts(sb, "},");
	json_engine(sb, &t.es);
	sb_printf(sb, ",\"enobufs\":%llu,\"id_gaps\":%llu,\"kernel\":{\"queue_total\":%llu,"
	    "\"dropped\":%llu,\"user_dropped\":%llu},\"memory\":%llu",
	    U(t.ws.enobufs), U(t.ws.id_gaps), U(t.kq.total), U(t.kq.dropped),
	    U(t.kq.user_dropped), U(t.memory));
	if (g->have_events)
		sb_printf(sb, ",\"event_lines\":{\"written\":%llu,\"lost\":%llu}",
		    U(g->event_lines), U(g->event_lost));
	sb_printf(sb, ",\"ctl\":{\"clients\":%u,\"requests\":%llu,\"errors\":%llu,\"dropped\":%llu}"
	    ",\"queues\":[", g->clients, U(g->requests), U(g->errors), U(g->clients_dropped));
	for (unsigned i = 0; i < n; i++) {
		const struct ctl_wsnap *q = &w[i];
		const struct ctl_wstats *ws = &q->ws;

		sb_printf(sb, "%s{\"queue\":%u,\"profile\":", i ? "," : "", q->queue);
		sb_json_str(sb, q->profile);
		sb_printf(sb, ",\"flows\":{\"live\":%u,\"expired\":%u,\"capacity\":%u,\"by_state\":",
		    q->nflows - q->dead, q->dead, q->capacity);
		json_states(sb, q->by_state);
		sb_puts(sb, "},");
		json_engine(sb, &q->es);
		sb_printf(sb, ",\"bursts\":%llu,\"max_burst\":%llu,\"enobufs\":%llu,\"id_gaps\":%llu,"
		    "\"verdicts\":%llu,\"verdict_msgs\":%llu,\"send_errors\":%llu,\"nacks\":%llu,"
		    "\"gso\":%llu,\"csum_not_ready\":%llu,\"oddities\":%llu,\"unseen\":%llu,"
		    "\"rsts_sent\":%llu,\"rst_errors\":%llu,\"rcvbuf\":%u,\"memory\":%llu,"
		    "\"history\":{\"events\":%llu,\"size\":%llu}",
		    U(ws->bursts), U(ws->max_burst), U(ws->enobufs), U(ws->id_gaps),
		    U(ws->verdicts), U(ws->verdict_msgs), U(ws->send_errors), U(ws->nacks),
		    U(ws->gso), U(ws->csum_not_ready), U(ws->oddities), U(ws->unseen),
		    U(ws->rsts_sent), U(ws->rst_errors), ws->rcvbuf, U(q->memory),
		    U(q->history_seen), U(q->history_size));
		if (q->kq.found)
			sb_printf(sb, ",\"kernel\":{\"portid\":%u,\"queue_total\":%u,\"copy_range\":%u,"
			    "\"dropped\":%llu,\"user_dropped\":%llu,\"id_sequence\":%llu}",
			    q->kq.portid, q->kq.total, q->kq.copy_range, q->kq.dropped,
			    q->kq.user_dropped, q->kq.id_sequence);
		sb_puts(sb, "}");
	}
	sb_puts(sb, "]}\n");
}

/* ---- Prometheus text exposition format 0.0.4 ---- */

static void
prom_head(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	sb_printf(sb, "# HELP natbox_%s %s\n# TYPE natbox_%s %s\n", name, help, name, type);
}

/* One sample per worker, labelled with its queue; expr reads q. */
#define PROM_Q(sb, w, n, name, expr) do {					\
	for (unsigned i_ = 0; i_ < (n); i_++) {					\
		const struct ctl_wsnap *q = &(w)[i_];				\
		sb_printf((sb), "natbox_%s{queue=\"%u\"} %llu\n", (name), q->queue, \
		    U(expr));							\
	}									\
} while (0)

static void
prom_stats(struct strbuf *sb, const struct ctl_wsnap *w, unsigned n, const struct ctl_global *g)
{
	unsigned i, r;

	prom_head(sb, "info", "gauge", "The profile in force (value always 1).");
	sb_puts(sb, "natbox_info{profile=");
	sb_json_str(sb, g->profile);	/* same escaping rules as Prometheus' */
	sb_printf(sb, ",generation=\"%u\"} 1\n", g->generation);
	prom_head(sb, "uptime_seconds", "gauge", "Seconds since natbox run started.");
	sb_puts(sb, "natbox_uptime_seconds ");
	sb_secs(sb, g->uptime, 3);
	sb_puts(sb, "\n");

	prom_head(sb, "packets_total", "counter", "Packets given a verdict.");
	PROM_Q(sb, w, n, "packets_total", q->es.packets);
	prom_head(sb, "accepted_total", "counter", "Packets accepted.");
	PROM_Q(sb, w, n, "accepted_total", q->es.accepted);
	prom_head(sb, "dropped_total", "counter", "Packets dropped.");
	PROM_Q(sb, w, n, "dropped_total", q->es.dropped);
	prom_head(sb, "resets_sent_total", "counter", "RSTs natbox sent.");
	PROM_Q(sb, w, n, "resets_sent_total", q->es.resets_sent);
	prom_head(sb, "evictions_total", "counter", "Flows evicted from a full table.");
	PROM_Q(sb, w, n, "evictions_total", q->es.evictions);

	prom_head(sb, "drops_total", "counter", "Packets dropped, by reason.");
	for (i = 0; i < n; i++)
		for (r = 0; r < R__MAX; r++)
			if (is_drop_reason(r))
				sb_printf(sb, "natbox_drops_total{queue=\"%u\",reason=\"%s\"} %llu\n",
				    w[i].queue, reason_name(r), U(w[i].es.reason[r]));
	prom_head(sb, "flow_ends_total", "counter", "Flows that left the table, by reason.");
	for (i = 0; i < n; i++)
		for (r = 0; r < R__MAX; r++)
			if (is_end_reason(r))
				sb_printf(sb, "natbox_flow_ends_total{queue=\"%u\",reason=\"%s\"} %llu\n",
				    w[i].queue, reason_name(r), U(w[i].es.ends[r]));
	prom_head(sb, "events_total", "counter", "Engine events, by type.");
	for (i = 0; i < n; i++)
		for (r = 0; r < EV__MAX; r++)
			sb_printf(sb, "natbox_events_total{queue=\"%u\",event=\"%s\"} %llu\n",
			    w[i].queue, event_type_name(r), U(w[i].es.events[r]));
	prom_head(sb, "decode_total", "counter", "Decoder outcomes.");
	for (i = 0; i < n; i++)
		for (r = 0; r < DEC__MAX; r++)
			sb_printf(sb, "natbox_decode_total{queue=\"%u\",outcome=\"%s\"} %llu\n",
			    w[i].queue, decode_name(r), U(w[i].es.decode[r]));
	prom_head(sb, "flows", "gauge", "Live flows, by tracker state.");
	for (i = 0; i < n; i++)
		for (r = TCP_NONE + 1; r < TCP_STATE_MAX; r++)
			sb_printf(sb, "natbox_flows{queue=\"%u\",state=\"%s\"} %u\n", w[i].queue,
			    tcp_state_name(r), w[i].by_state[r]);
	prom_head(sb, "flows_expired", "gauge", "Expired flows still remembered.");
	PROM_Q(sb, w, n, "flows_expired", q->dead);
	prom_head(sb, "flows_capacity", "gauge", "Flow table size (table.max_flows).");
	PROM_Q(sb, w, n, "flows_capacity", q->capacity);
	prom_head(sb, "memory_bytes", "gauge", "Memory of flow table, counters and history.");
	PROM_Q(sb, w, n, "memory_bytes", q->memory);

	prom_head(sb, "enobufs_total", "counter", "Netlink receive overruns (packets lost).");
	PROM_Q(sb, w, n, "enobufs_total", q->ws.enobufs);
	prom_head(sb, "id_gaps_total", "counter", "Packet ids skipped in the queue's sequence.");
	PROM_Q(sb, w, n, "id_gaps_total", q->ws.id_gaps);
	prom_head(sb, "verdict_send_errors_total", "counter", "Verdict batches not sent.");
	PROM_Q(sb, w, n, "verdict_send_errors_total", q->ws.send_errors);
	prom_head(sb, "bursts_total", "counter", "Bursts read from the queue.");
	PROM_Q(sb, w, n, "bursts_total", q->ws.bursts);
	prom_head(sb, "kernel_queue_packets", "gauge", "Packets waiting in the kernel queue.");
	PROM_Q(sb, w, n, "kernel_queue_packets", q->kq.total);
	prom_head(sb, "kernel_queue_dropped_total", "counter",
	    "Packets the kernel dropped: queue full.");
	PROM_Q(sb, w, n, "kernel_queue_dropped_total", q->kq.dropped);
	prom_head(sb, "kernel_queue_user_dropped_total", "counter",
	    "Packets the kernel could not send to natbox (socket buffer full).");
	PROM_Q(sb, w, n, "kernel_queue_user_dropped_total", q->kq.user_dropped);

	if (g->have_events) {
		prom_head(sb, "event_lines_total", "counter", "Event lines written.");
		sb_printf(sb, "natbox_event_lines_total %llu\n", U(g->event_lines));
		prom_head(sb, "event_lines_lost_total", "counter", "Event lines lost to write errors.");
		sb_printf(sb, "natbox_event_lines_lost_total %llu\n", U(g->event_lost));
	}
	prom_head(sb, "ctl_clients", "gauge", "Control clients connected.");
	sb_printf(sb, "natbox_ctl_clients %u\n", g->clients);
	prom_head(sb, "ctl_requests_total", "counter", "Control requests answered.");
	sb_printf(sb, "natbox_ctl_requests_total %llu\n", U(g->requests));
	prom_head(sb, "ctl_dropped_total", "counter", "Control clients dropped (slow, idle, too many).");
	sb_printf(sb, "natbox_ctl_dropped_total %llu\n", U(g->clients_dropped));
}

void
ctl_fmt_stats(struct strbuf *sb, const struct ctl_wsnap *w, unsigned n,
    const struct ctl_global *g, enum ctl_fmt fmt)
{
	switch (fmt) {
	case CTLF_JSON:
		json_stats(sb, w, n, g);
		break;
	case CTLF_PROM:
		prom_stats(sb, w, n, g);
		break;
	default:
		kv_stats(sb, w, n, g);
		break;
	}
}
