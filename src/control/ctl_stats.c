/* ctl_stats.c -- the control server's stats reply: one table of counters, printed as key=value, JSON or Prometheus text.
 *
 * Names printed here are stable (counter and metric names scripts depend
 * on) and come from the table or the enums' name tables, so they never
 * drift from the code. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ctl_fmt.h"
#include "event.h"
#include "fieldw.h"
#include "reason.h"

/* ---- stats ----
 *
 * One table of counters, in the order key=value and JSON list them; the
 * Prometheus form walks the same rows in its own order (prom_order). A
 * row says where it shows (the sums, each queue, or the control thread's
 * own figures), the JSON object it sits in, its key=value and JSON
 * names, how to read it, and its metric (name, type, help) if it has one. */

/* Where a row shows in key=value and JSON. */
#define AT_SUM		1	/* the sums over the queues */
#define AT_Q		2	/* each queue */
#define AT_QJSON	4	/* each queue, in JSON only */
#define AT_CTL		8	/* the control thread's own, after the sums */

/* The JSON object a row sits in (a family also opens its own, inside). */
enum { IN_REC, IN_FLOWS, IN_NAT, IN_KERNEL, IN_QUEUE, IN_HISTORY, IN_EVLINES, IN_CTL };
static const char *const in_name[] = {
	[IN_REC] = NULL, [IN_FLOWS] = "flows", [IN_NAT] = "nat", [IN_KERNEL] = "kernel",
	[IN_QUEUE] = "queue", [IN_HISTORY] = "history",
	[IN_EVLINES] = "event_lines", [IN_CTL] = "ctl",
};

/* How a row is read: a field of struct ctl_wsnap (of struct ctl_global
 * for AT_CTL rows), live flows, the queue counter's name (a string), or a
 * family: one value per name of an enum. */
enum { V_FIELD, V_LIVE, V_QNAME, V_EVENTS, V_DROPS, V_ENDS, V_DECODE, V_STATES };

struct counter {
	const char *kv;		/* key=value name ("queue.Q." before it per queue) */
	const char *json;	/* JSON name, in object `in` */
	unsigned char at, in, how, size;
	unsigned short off;	/* V_FIELD: offset and size of the field */
	const char *prom, *type, *help;	/* metric (after "natbox_"), or NULL */
};

#define SNAP(m)	.off = offsetof(struct ctl_wsnap, m), .size = sizeof(((struct ctl_wsnap *)0)->m)
#define GLOB(m)	.off = offsetof(struct ctl_global, m), .size = sizeof(((struct ctl_global *)0)->m)
#define PROM(n, t, h)	.prom = n, .type = t, .help = h
#define ROW(k, j, a, i, h)	.kv = k, .json = j, .at = a, .in = i, .how = h

enum {
	C_LIVE, C_EXPIRED, C_CAPACITY, C_STATES,
	C_PACKETS, C_ACCEPTED, C_DROPPED, C_RESETS, C_SKIPPED, C_ICMP_ERRORS, C_EVICTIONS,
	C_GRACE,
	C_EVENTS, C_DROPS, C_ENDS, C_DECODE,
	C_NAT_LIVE, C_NAT_MADE, C_NAT_FREED, C_NAT_REUSED, C_NAT_PORTS, C_NAT_QUOTA,
	C_NAT_REST_CUT, C_NAT_REBINDS,
	C_BURSTS, C_MAX_BURST, C_ENOBUFS, C_ID_GAPS, C_VERDICTS, C_VERDICT_MSGS, C_SEND_ERRORS,
	C_NACKS, C_GSO, C_CSUM, C_ODDITIES, C_UNSEEN, C_RSTS_SENT, C_RST_ERRORS, C_RCVBUF,
	C_REWRITTEN, C_RW_FAILED, C_ICMP_SENT, C_ICMP_SEND_ERRORS,
	C_MEMORY_Q, C_HIST_EVENTS, C_HIST_SIZE,
	C_KQ_PORTID, C_KQ_TOTAL, C_KQ_COPY_RANGE, C_KQ_DROPPED, C_KQ_USER_DROPPED, C_KQ_IDSEQ,
	C_Q_COUNTER, C_Q_MATCHED, C_Q_BYPASSED, C_Q_DROPPED, C_Q_USER_DROPPED,
	C_MEMORY_SUM, C_EV_LINES, C_EV_LOST,
	C_CTL_CLIENTS, C_CTL_REQUESTS, C_CTL_ERRORS, C_CTL_DROPPED,
	C__N
};

#define SQ	(AT_SUM | AT_Q)
static const struct counter counters[C__N] = {
	[C_LIVE] = { ROW("flows", "live", SQ, IN_FLOWS, V_LIVE) },
	[C_EXPIRED] = { ROW("flows.expired", "expired", SQ, IN_FLOWS, V_FIELD), SNAP(dead),
	    PROM("flows_expired", "gauge", "Expired flows still remembered.") },
	[C_CAPACITY] = { ROW("flows.capacity", "capacity", AT_SUM | AT_QJSON, IN_FLOWS, V_FIELD),
	    SNAP(capacity), PROM("flows_capacity", "gauge", "Flow table size (table.max_flows).") },
	[C_STATES] = { ROW("flows.state.", "by_state", SQ, IN_FLOWS, V_STATES),
	    PROM("flows", "gauge", "Live flows, by tracker state.") },
	[C_PACKETS] = { ROW("packets", "packets", SQ, IN_REC, V_FIELD), SNAP(es.packets),
	    PROM("packets_total", "counter", "Packets given a verdict.") },
	[C_ACCEPTED] = { ROW("accepted", "accepted", SQ, IN_REC, V_FIELD), SNAP(es.accepted),
	    PROM("accepted_total", "counter", "Packets accepted.") },
	[C_DROPPED] = { ROW("dropped", "dropped", SQ, IN_REC, V_FIELD), SNAP(es.dropped),
	    PROM("dropped_total", "counter", "Packets dropped.") },
	[C_RESETS] = { ROW("resets_sent", "resets_sent", SQ, IN_REC, V_FIELD), SNAP(es.resets_sent),
	    PROM("resets_sent_total", "counter", "RSTs natbox sent.") },
	[C_SKIPPED] = { ROW("skipped", "skipped", SQ, IN_REC, V_FIELD), SNAP(es.skipped) },
	[C_ICMP_ERRORS] = { ROW("icmp_errors", "icmp_errors", SQ, IN_REC, V_FIELD),
	    SNAP(es.icmp_errors), PROM("icmp_errors_total", "counter",
	    "ICMP errors that quoted a live flow (passed or dropped by icmp.errors).") },
	[C_EVICTIONS] = { ROW("evictions", "evictions", SQ, IN_REC, V_FIELD), SNAP(es.evictions),
	    PROM("evictions_total", "counter", "Flows evicted from a full table.") },
	[C_GRACE] = { ROW("grace_pickups", "grace_pickups", SQ, IN_REC, V_FIELD),
	    SNAP(es.grace_pickups) },
	/* translation's rows show only when the profile translates */
	[C_NAT_LIVE] = { ROW("nat.mappings", "mappings", SQ, IN_NAT, V_FIELD), SNAP(nat_live),
	    PROM("nat_mappings", "gauge", "Live NAT mappings.") },
	[C_NAT_MADE] = { ROW("nat.made", "made", SQ, IN_NAT, V_FIELD), SNAP(ns.made),
	    PROM("nat_mappings_made_total", "counter", "NAT mappings made.") },
	[C_NAT_FREED] = { ROW("nat.freed", "freed", SQ, IN_NAT, V_FIELD), SNAP(ns.freed) },
	[C_NAT_REUSED] = { ROW("nat.reused", "reused", SQ, IN_NAT, V_FIELD), SNAP(ns.reused) },
	[C_NAT_PORTS] = { ROW("nat.ports_exhausted", "ports_exhausted", SQ, IN_NAT, V_FIELD),
	    SNAP(ns.ports_exhausted), PROM("nat_ports_exhausted_total", "counter",
	    "New flows refused: no external port free.") },
	[C_NAT_QUOTA] = { ROW("nat.host_quota", "host_quota", SQ, IN_NAT, V_FIELD),
	    SNAP(ns.quota), PROM("nat_host_quota_total", "counter",
	    "New flows refused: the inside host's nat.ports_per_host reached.") },
	[C_NAT_REST_CUT] = { ROW("nat.rest_cut", "rest_cut", SQ, IN_NAT, V_FIELD),
	    SNAP(ns.rest_cut) },
	[C_NAT_REBINDS] = { ROW("nat.rebinds", "rebinds", SQ, IN_NAT, V_FIELD), SNAP(ns.rebinds) },
	[C_EVENTS] = { ROW("event.", "events", SQ, IN_REC, V_EVENTS),
	    PROM("events_total", "counter", "Engine events, by type.") },
	[C_DROPS] = { ROW("drop.", "drops", SQ, IN_REC, V_DROPS),
	    PROM("drops_total", "counter", "Packets dropped, by reason.") },
	[C_ENDS] = { ROW("end.", "ends", SQ, IN_REC, V_ENDS),
	    PROM("flow_ends_total", "counter", "Flows that left the table, by reason.") },
	[C_DECODE] = { ROW("decode.", "decode", SQ, IN_REC, V_DECODE),
	    PROM("decode_total", "counter", "Decoder outcomes.") },
	[C_BURSTS] = { ROW("bursts", "bursts", AT_Q, IN_REC, V_FIELD), SNAP(ws.bursts),
	    PROM("bursts_total", "counter", "Bursts read from the queue.") },
	[C_MAX_BURST] = { ROW("max_burst", "max_burst", AT_Q, IN_REC, V_FIELD),
	    SNAP(ws.max_burst) },
	[C_ENOBUFS] = { ROW("enobufs", "enobufs", SQ, IN_REC, V_FIELD), SNAP(ws.enobufs),
	    PROM("enobufs_total", "counter", "Netlink receive overruns (packets lost).") },
	[C_ID_GAPS] = { ROW("id_gaps", "id_gaps", SQ, IN_REC, V_FIELD), SNAP(ws.id_gaps),
	    PROM("id_gaps_total", "counter", "Packet ids skipped in the queue's sequence.") },
	[C_VERDICTS] = { ROW("verdicts", "verdicts", AT_Q, IN_REC, V_FIELD), SNAP(ws.verdicts) },
	[C_VERDICT_MSGS] = { ROW("verdict_msgs", "verdict_msgs", AT_Q, IN_REC, V_FIELD),
	    SNAP(ws.verdict_msgs) },
	[C_SEND_ERRORS] = { ROW("send_errors", "send_errors", AT_Q, IN_REC, V_FIELD),
	    SNAP(ws.send_errors),
	    PROM("verdict_send_errors_total", "counter", "Verdict batches not sent.") },
	[C_NACKS] = { ROW("nacks", "nacks", AT_Q, IN_REC, V_FIELD), SNAP(ws.nacks) },
	[C_GSO] = { ROW("gso", "gso", AT_Q, IN_REC, V_FIELD), SNAP(ws.gso) },
	[C_CSUM] = { ROW("csum_not_ready", "csum_not_ready", AT_Q, IN_REC, V_FIELD),
	    SNAP(ws.csum_not_ready) },
	[C_ODDITIES] = { ROW("oddities", "oddities", AT_Q, IN_REC, V_FIELD), SNAP(ws.oddities) },
	[C_UNSEEN] = { ROW("unseen", "unseen", AT_Q, IN_REC, V_FIELD), SNAP(ws.unseen) },
	[C_RSTS_SENT] = { ROW("rsts_sent", "rsts_sent", AT_Q, IN_REC, V_FIELD),
	    SNAP(ws.rsts_sent) },
	[C_RST_ERRORS] = { ROW("rst_errors", "rst_errors", AT_Q, IN_REC, V_FIELD),
	    SNAP(ws.rst_errors) },
	[C_RCVBUF] = { ROW("rcvbuf", "rcvbuf", AT_Q, IN_REC, V_FIELD), SNAP(ws.rcvbuf) },
	[C_REWRITTEN] = { ROW("nat.rewritten", "nat_rewritten", SQ, IN_REC, V_FIELD),
	    SNAP(ws.payload_verdicts),
	    PROM("nat_rewritten_total", "counter", "Translated packets handed back rewritten.") },
	[C_RW_FAILED] = { ROW("nat.rewrite_failed", "nat_rewrite_failed", SQ, IN_REC, V_FIELD),
	    SNAP(ws.nat_rw_failed), PROM("nat_rewrite_failed_total", "counter",
	    "Translated packets dropped: not copied whole, or not rewritable.") },
	[C_ICMP_SENT] = { ROW("icmp_sent", "icmp_sent", SQ, IN_REC, V_FIELD), SNAP(ws.icmp_sent),
	    PROM("icmp_sent_total", "counter", "ICMP errors natbox sent (nat.unsolicited).") },
	[C_ICMP_SEND_ERRORS] = { ROW("icmp_send_errors", "icmp_send_errors", AT_Q, IN_REC,
	    V_FIELD), SNAP(ws.icmp_errors) },
	[C_MEMORY_Q] = { ROW("memory", "memory", AT_Q, IN_REC, V_FIELD), SNAP(memory),
	    PROM("memory_bytes", "gauge", "Memory of flow table, counters and history.") },
	[C_HIST_EVENTS] = { ROW("history.events", "events", AT_Q, IN_HISTORY, V_FIELD),
	    SNAP(history_seen) },
	[C_HIST_SIZE] = { ROW("history.size", "size", AT_Q, IN_HISTORY, V_FIELD),
	    SNAP(history_size) },
	/* a queue's kernel figures show only if /proc listed the queue */
	[C_KQ_PORTID] = { ROW("kernel.portid", "portid", AT_Q, IN_KERNEL, V_FIELD),
	    SNAP(kq.portid) },
	[C_KQ_TOTAL] = { ROW("kernel.queue_total", "queue_total", SQ, IN_KERNEL, V_FIELD),
	    SNAP(kq.total),
	    PROM("kernel_queue_packets", "gauge", "Packets waiting in the kernel queue.") },
	[C_KQ_COPY_RANGE] = { ROW("kernel.copy_range", "copy_range", AT_Q, IN_KERNEL, V_FIELD),
	    SNAP(kq.copy_range) },
	[C_KQ_DROPPED] = { ROW("kernel.dropped", "dropped", SQ, IN_KERNEL, V_FIELD),
	    SNAP(kq.dropped), PROM("kernel_queue_dropped_total", "counter",
	    "Packets the kernel dropped: queue full.") },
	[C_KQ_USER_DROPPED] = { ROW("kernel.user_dropped", "user_dropped", SQ, IN_KERNEL, V_FIELD),
	    SNAP(kq.user_dropped), PROM("kernel_queue_user_dropped_total", "counter",
	    "Packets the kernel could not send to natbox (socket buffer full).") },
	[C_KQ_IDSEQ] = { ROW("kernel.id_sequence", "id_sequence", AT_Q, IN_KERNEL, V_FIELD),
	    SNAP(kq.id_sequence) },
	/* Where the packets that reached natbox's queue rules went, over all its
	 * queues since start: matched = packets (+ unseen) + bypassed + dropped
	 * + user_dropped, once the queues are empty. The counter's name is "-"
	 * (null) and matched and bypassed are absent when the rules carry no
	 * counter: nothing else tells how many --fail-open let past. */
	[C_Q_COUNTER] = { ROW("queue.counter", "counter", AT_CTL, IN_QUEUE, V_QNAME) },
	[C_Q_MATCHED] = { ROW("queue.matched", "matched", AT_CTL, IN_QUEUE, V_FIELD),
	    GLOB(q.matched), PROM("queue_matched_total", "counter",
	    "Packets that reached natbox's queue rules (their nfacct counter).") },
	[C_Q_BYPASSED] = { ROW("queue.bypassed", "bypassed", AT_CTL, IN_QUEUE, V_FIELD),
	    GLOB(q.bypassed), PROM("queue_bypassed_total", "counter",
	    "Packets the kernel accepted without natbox (--fail-open, queue or socket full).") },
	[C_Q_DROPPED] = { ROW("queue.dropped", "dropped", AT_CTL, IN_QUEUE, V_FIELD),
	    GLOB(q.dropped), PROM("queue_dropped_total", "counter",
	    "Packets the kernel dropped, natbox's queues full (all its queues).") },
	[C_Q_USER_DROPPED] = { ROW("queue.user_dropped", "user_dropped", AT_CTL, IN_QUEUE,
	    V_FIELD), GLOB(q.user_dropped), PROM("queue_user_dropped_total", "counter",
	    "Packets the kernel dropped, natbox's socket buffer full (all its queues).") },
	/* the sums list memory after the kernel's figures, a queue before its history */
	[C_MEMORY_SUM] = { ROW("memory", "memory", AT_SUM, IN_REC, V_FIELD), SNAP(memory) },
	/* the event lines' counters show only with an event sink */
	[C_EV_LINES] = { ROW("events.lines", "written", AT_CTL, IN_EVLINES, V_FIELD),
	    GLOB(event_lines), PROM("event_lines_total", "counter", "Event lines written.") },
	[C_EV_LOST] = { ROW("events.lost", "lost", AT_CTL, IN_EVLINES, V_FIELD), GLOB(event_lost),
	    PROM("event_lines_lost_total", "counter", "Event lines lost to write errors.") },
	[C_CTL_CLIENTS] = { ROW("ctl.clients", "clients", AT_CTL, IN_CTL, V_FIELD), GLOB(clients),
	    PROM("ctl_clients", "gauge", "Control clients connected.") },
	[C_CTL_REQUESTS] = { ROW("ctl.requests", "requests", AT_CTL, IN_CTL, V_FIELD),
	    GLOB(requests), PROM("ctl_requests_total", "counter", "Control requests answered.") },
	[C_CTL_ERRORS] = { ROW("ctl.errors", "errors", AT_CTL, IN_CTL, V_FIELD), GLOB(errors) },
	[C_CTL_DROPPED] = { ROW("ctl.dropped", "dropped", AT_CTL, IN_CTL, V_FIELD),
	    GLOB(clients_dropped), PROM("ctl_dropped_total", "counter",
	    "Control clients dropped (slow, idle, too many).") },
};
#undef SQ

/* The order of the metrics (after natbox_info and natbox_uptime_seconds). */
static const unsigned char prom_order[] = {
	C_PACKETS, C_ACCEPTED, C_DROPPED, C_RESETS, C_EVICTIONS,
	C_DROPS, C_ENDS, C_EVENTS, C_DECODE,
	C_STATES, C_EXPIRED, C_CAPACITY, C_MEMORY_Q,
	C_ENOBUFS, C_ID_GAPS, C_SEND_ERRORS, C_BURSTS,
	C_KQ_TOTAL, C_KQ_DROPPED, C_KQ_USER_DROPPED,
	C_Q_MATCHED, C_Q_BYPASSED, C_Q_DROPPED, C_Q_USER_DROPPED,
	C_EV_LINES, C_EV_LOST, C_CTL_CLIENTS, C_CTL_REQUESTS, C_CTL_DROPPED,
};

/* Reasons that are drops, and reasons that end flows. R_NAT_REBIND
 * counts moves, not drops. */
static bool
is_drop_reason(unsigned r)
{
	return (r >= R_EXPIRED_OPENING && r <= R_NAT_HAIRPIN) ||
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

/* A family: an array of counters in struct ctl_wsnap, one per name. */
static const struct family {
	unsigned short off, size;	/* the array, and the size of one value */
	unsigned lo, hi;		/* the names shown: lo .. hi - 1 */
	const char *(*name)(unsigned);
	bool (*take)(unsigned);		/* NULL: all */
	const char *label;		/* its Prometheus label */
} families[] = {
	[V_EVENTS - V_EVENTS] = { SNAP(es.events[0]), 0, EV__MAX, event_type_name, NULL, "event" },
	[V_DROPS - V_EVENTS] = { SNAP(es.reason[0]), 0, R__MAX, reason_name, is_drop_reason,
	    "reason" },
	[V_ENDS - V_EVENTS] = { SNAP(es.ends[0]), 0, R__MAX, reason_name, is_end_reason, "reason" },
	[V_DECODE - V_EVENTS] = { SNAP(es.decode[0]), 0, DEC__MAX, decode_name, NULL, "outcome" },
	[V_STATES - V_EVENTS] = { SNAP(by_state[0]), TCP_NONE + 1, TRK_STATE_MAX, tcp_state_name,
	    NULL, "state" },
};

/* A counter of 4 or 8 bytes (every one is uint32_t, unsigned, uint64_t or
 * unsigned long long) at off in base. */
static unsigned long long
read_at(const void *base, size_t off, size_t size)
{
	const unsigned char *p = (const unsigned char *)base + off;
	uint64_t v64;
	uint32_t v32;

	if (size == sizeof(v32)) {
		memcpy(&v32, p, sizeof(v32));
		return v32;
	}
	memcpy(&v64, p, sizeof(v64));
	return v64;
}

static void
add_at(void *base, size_t off, size_t size, unsigned long long v)
{
	unsigned char *p = (unsigned char *)base + off;
	uint64_t v64;
	uint32_t v32;

	if (size == sizeof(v32)) {
		memcpy(&v32, p, sizeof(v32));
		v32 += (uint32_t)v;
		memcpy(p, &v32, sizeof(v32));
	} else {
		memcpy(&v64, p, sizeof(v64));
		v64 += v;
		memcpy(p, &v64, sizeof(v64));
	}
}

static const struct family *
family_of(const struct counter *c)
{
	return c->how >= V_EVENTS ? &families[c->how - V_EVENTS] : NULL;
}

/* The queue rows need the watch's figures; matched and bypassed, the
 * rules' counter too. */
static bool
queue_row_shown(const struct counter *c, const struct ctl_global *g)
{
	if (c->in != IN_QUEUE)
		return true;
	return g->have_q && (g->q.counter || (c != &counters[C_Q_MATCHED] &&
	    c != &counters[C_Q_BYPASSED]));
}

/* A row's value (not a family's) for a queue or the sums. */
static unsigned long long
row_value(const struct counter *c, const struct ctl_wsnap *s, const struct ctl_global *g)
{
	if (c->how == V_LIVE)
		return (uint32_t)(s->nflows - s->dead);
	return c->at & AT_CTL ? read_at(g, c->off, c->size) : read_at(s, c->off, c->size);
}

static unsigned long long
family_value(const struct family *f, const struct ctl_wsnap *s, unsigned i)
{
	return read_at(s, f->off + (size_t)i * f->size, f->size);
}

/* The sums over the queues of every row the sums show. */
static void
sum(struct ctl_wsnap *t, const struct ctl_wsnap *w, unsigned n)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < n; i++) {
		t->nat |= w[i].nat;
		for (unsigned k = 0; k < C__N; k++) {
			const struct counter *c = &counters[k];
			const struct family *f = family_of(c);

			if (!(c->at & AT_SUM))
				continue;
			if (c->how == V_LIVE) {		/* live = nflows - dead: dead has its row */
				t->nflows += w[i].nflows;
			} else if (f) {
				for (unsigned r = f->lo; r < f->hi; r++)
					add_at(t, f->off + (size_t)r * f->size, f->size,
					    family_value(f, &w[i], r));
			} else {
				add_at(t, c->off, c->size, read_at(&w[i], c->off, c->size));
			}
		}
	}
}

/* One row as key=value ("pfx" before the key; nothing if !text) or JSON. */
static void
put_row(struct fieldw *w, const struct counter *c, const char *pfx, bool text,
    const struct ctl_wsnap *s, const struct ctl_global *g)
{
	const struct family *f = family_of(c);
	char fmt[160];

	if (c->how == V_QNAME) {
		snprintf(fmt, sizeof(fmt), "%s%s=%%s\n", pfx, c->kv);
		fw_str(w, c->json, text ? fmt : NULL, g->q.counter ? g->q.name : NULL);
		return;
	}
	if (f == NULL) {
		snprintf(fmt, sizeof(fmt), "%s%s=%%llu\n", pfx, c->kv);
		fw_uint(w, c->json, text ? fmt : NULL, row_value(c, s, g));
		return;
	}
	fw_obj_open(w, c->json);
	for (unsigned r = f->lo; r < f->hi; r++) {
		if (f->take && !f->take(r))
			continue;
		snprintf(fmt, sizeof(fmt), "%s%s%s=%%llu\n", pfx, c->kv, f->name(r));
		fw_uint(w, f->name(r), text ? fmt : NULL, family_value(f, s, r));
	}
	fw_obj_close(w);
}

/* The rows of a section: the sums and the control thread's own (queue
 * false), or one queue's; each row in its JSON object. */
static void
put_rows(struct fieldw *w, const char *pfx, const struct ctl_wsnap *s,
    const struct ctl_global *g, bool queue)
{
	unsigned in = IN_REC;

	for (unsigned k = 0; k < C__N; k++) {
		const struct counter *c = &counters[k];
		unsigned at = c->at & (queue ? AT_Q | AT_QJSON : AT_SUM | AT_CTL);

		if (at == 0 || (queue && c->in == IN_KERNEL && !s->kq.found) ||
		    (c->in == IN_NAT && !s->nat) ||
		    (c->in == IN_EVLINES && !g->have_events) || !queue_row_shown(c, g))
			continue;
		if (c->in != in) {
			if (in != IN_REC)
				fw_obj_close(w);
			if (c->in != IN_REC)
				fw_obj_open(w, in_name[c->in]);
			in = c->in;
		}
		put_row(w, c, pfx, at != AT_QJSON, s, g);
	}
	if (in != IN_REC)
		fw_obj_close(w);
}

/* key=value lines, or one JSON object: one sequence of fields for both. */
static void
fw_stats(struct strbuf *sb, const struct ctl_wsnap *w, unsigned n, const struct ctl_global *g,
    bool json)
{
	struct ctl_wsnap t;
	struct fieldw fw;
	char pfx[32], fmt[48];

	sum(&t, w, n);
	fw_init_sb(&fw, sb, json);
	fw_obj_open(&fw, NULL);
	fw_str(&fw, "profile", "profile=%s\n", g->profile);
	fw_uint(&fw, "generation", "generation=%llu\n", g->generation);
	fw_secs(&fw, "uptime", "uptime=%s\n", ctl_fmt_ms_round(g->uptime));
	fw_text(&fw, "queues=");
	for (unsigned i = 0; i < n; i++)
		fw_text(&fw, "%s%u", i ? "," : "", w[i].queue);
	fw_text(&fw, "\n");
	put_rows(&fw, "", &t, g, false);
	fw_arr_open(&fw, "queues");
	for (unsigned i = 0; i < n; i++) {
		snprintf(pfx, sizeof(pfx), "queue.%u.", w[i].queue);
		snprintf(fmt, sizeof(fmt), "%sprofile=%%s\n", pfx);
		fw_obj_open(&fw, NULL);
		fw_uint(&fw, "queue", NULL, w[i].queue);
		fw_str(&fw, "profile", fmt, w[i].profile);
		put_rows(&fw, pfx, &w[i], g, true);
		fw_obj_close(&fw);
	}
	fw_arr_close(&fw);
	fw_obj_close(&fw);
}

/* ---- Prometheus text exposition format 0.0.4 ---- */

static void
prom_row(struct strbuf *sb, const struct counter *c, const struct ctl_wsnap *w, unsigned n,
    const struct ctl_global *g)
{
	const struct family *f = family_of(c);

	if ((c->in == IN_EVLINES && !g->have_events) || (c->in == IN_NAT && (n == 0 || !w[0].nat)) ||
	    !queue_row_shown(c, g))
		return;
	sb_printf(sb, "# HELP natbox_%s %s\n# TYPE natbox_%s %s\n", c->prom, c->help, c->prom,
	    c->type);
	if (c->at & AT_CTL) {
		sb_printf(sb, "natbox_%s %llu\n", c->prom, row_value(c, NULL, g));
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		if (f == NULL) {
			sb_printf(sb, "natbox_%s{queue=\"%u\"} %llu\n", c->prom, w[i].queue,
			    row_value(c, &w[i], g));
			continue;
		}
		for (unsigned r = f->lo; r < f->hi; r++)
			if (f->take == NULL || f->take(r))
				sb_printf(sb, "natbox_%s{queue=\"%u\",%s=\"%s\"} %llu\n", c->prom,
				    w[i].queue, f->label, f->name(r), family_value(f, &w[i], r));
	}
}

static void
prom_stats(struct strbuf *sb, const struct ctl_wsnap *w, unsigned n, const struct ctl_global *g)
{
	sb_puts(sb, "# HELP natbox_info The profile in force (value always 1).\n"
	    "# TYPE natbox_info gauge\nnatbox_info{profile=");
	sb_json_str(sb, g->profile);	/* same escaping rules as Prometheus' */
	sb_printf(sb, ",generation=\"%u\"} 1\n", g->generation);
	sb_puts(sb, "# HELP natbox_uptime_seconds Seconds since natbox run started.\n"
	    "# TYPE natbox_uptime_seconds gauge\nnatbox_uptime_seconds ");
	sb_secs(sb, g->uptime, 3);
	sb_puts(sb, "\n");
	for (size_t i = 0; i < sizeof(prom_order); i++)
		prom_row(sb, &counters[prom_order[i]], w, n, g);
}

void
ctl_fmt_stats(struct strbuf *sb, const struct ctl_wsnap *w, unsigned n,
    const struct ctl_global *g, enum ctl_fmt fmt)
{
	if (fmt == CTLF_PROM)
		prom_stats(sb, w, n, g);
	else
		fw_stats(sb, w, n, g, fmt == CTLF_JSON);
}
