/* ctl_fmt.h -- the control server's replies as text: flow rows, explain lines (ctl_fmt.c), stats (key=value, JSON, Prometheus: ctl_stats.c). */
#ifndef NATBOX_CTL_FMT_H
#define NATBOX_CTL_FMT_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"
#include "ctl_work_int.h"
#include "strbuf.h"

enum ctl_fmt { CTLF_DUMP = 0, CTLF_JSON, CTLF_PROM };

/* The kernel's view of one queue (/proc/net/netfilter/nfnetlink_queue). */
struct ctl_kqueue {
	bool found;
	unsigned portid, total, copy_mode, copy_range;
	unsigned long long dropped, user_dropped, id_sequence;
};

/* One worker's answer to stats, summed over its chunks. */
struct ctl_wsnap {
	uint16_t queue;
	char profile[64];
	struct engine_stats es;
	struct ctl_wstats ws;
	uint32_t by_state[TRK_STATE_MAX];
	uint32_t dead, nflows, capacity;
	uint64_t memory, history_seen, history_size;
	struct ctl_kqueue kq;
	bool nat;
	struct nat_stats ns;
	uint32_t nat_live;
};

/* What the control thread knows itself. */
struct ctl_global {
	char profile[64];
	unsigned generation;
	uint64_t uptime;		/* ns */
	unsigned clients;
	uint64_t requests, errors, clients_dropped;
	bool have_events;
	uint64_t event_lines, event_lost;
	bool have_q;			/* q is filled (natbox run) */
	struct ctl_qstats q;
};

/* flows: one tab-separated line, its fields in the order of
 * CTL_FLOW_COLUMNS (ctl_proto.h). */
void ctl_fmt_flow_dump(struct strbuf *sb, const struct ctl_flowrec *r, const char *profile);
/* The same as a JSON object (no separator, no newline). */
void ctl_fmt_flow_json(struct strbuf *sb, const struct ctl_flowrec *r, const char *profile);
/* explain's line for a flow as it is now: "[FLOW] key=value..." or a JSON line. */
void ctl_fmt_flow_line(struct strbuf *sb, const struct ctl_flowrec *r, const char *profile,
    bool json);
/* An event from the history: the event stream's line plus queue= serial=. */
void ctl_fmt_event(struct strbuf *sb, const struct ctl_evrec *er, bool json);

/* ns rounded to the millisecond, as replies spell times. */
uint64_t ctl_fmt_ms_round(uint64_t ns);

void ctl_fmt_stats(struct strbuf *sb, const struct ctl_wsnap *w, unsigned n,
    const struct ctl_global *g, enum ctl_fmt fmt);

#endif
