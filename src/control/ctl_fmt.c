/* ctl_fmt.c -- the control server's replies as text: flow rows and explain lines (stats: ctl_stats.c).
 *
 * Names printed here are stable (column names scripts depend on) and come
 * from the enums' name tables,
 * so they never drift from the code. A field that has a text and a JSON
 * form is printed once, through the field writer (fieldw.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ctl_fmt.h"
#include "ctl_proto.h"
#include "event.h"
#include "fieldw.h"
#include "reason.h"

/* Replies spell times in seconds to the millisecond, rounded (the field
 * writer prints microseconds, cut): round first. FW_NONE stays "none". */
uint64_t
ctl_fmt_ms_round(uint64_t ns)
{
	return (ns + 500000) / 1000000 * 1000000;
}

static uint64_t
ms_round_or_none(uint64_t ns)
{
	return ns == FW_NONE ? FW_NONE : ctl_fmt_ms_round(ns);
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
	FL_QUEUE, FL_FLOW, FJ_FAMILY, FL_PROTO, FL_SRC, FL_SPORT, FL_DST, FL_DPORT, FL_STATE,
	FL_TIMER,
	FL_LEFT, FL_TIMEOUT, FL_REFRESH, FL_FIN_ORIG, FL_FIN_REPLY, FL_PKTS_ORIG,
	FL_BYTES_ORIG, FL_PKTS_REPLY, FL_BYTES_REPLY, FL_DROPS, FL_AGE, FL_IDLE, FL_STATUS,
	FL_HISTORY, FJ_CONN_STATE, FL_PROFILE, FL_SERIAL,
	FL_NAT_SRC, FL_NAT_SPORT, FL_NAT_DST, FL_NAT_DPORT,
};

static const unsigned char line_order[] = {
	FL_QUEUE, FL_FLOW, FL_SERIAL, FL_PROTO, FL_SRC, FL_DST, FL_SPORT, FL_DPORT, FL_STATE,
	FL_TIMER,
	FL_LEFT, FL_TIMEOUT, FL_REFRESH, FL_FIN_ORIG, FL_FIN_REPLY, FL_PKTS_ORIG,
	FL_BYTES_ORIG, FL_PKTS_REPLY, FL_BYTES_REPLY, FL_DROPS, FL_AGE, FL_IDLE, FL_STATUS,
	FL_HISTORY, FL_PROFILE,
	FL_NAT_SRC, FL_NAT_SPORT, FL_NAT_DST, FL_NAT_DPORT,
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
	case FL_TIMEOUT:	v.kind = FV_SECS; v.u = ctl_fmt_ms_round(r->timeout); break;
	case FL_IDLE:		v.kind = FV_SECS; v.u = ctl_fmt_ms_round(r->idle); break;
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
	case FL_PROTO:		v.s = event_proto_name(r->proto, buf); break;
	case FL_NAT_SRC:
	case FL_NAT_DST:
		if (!r->nat)
			break;		/* "-" */
		uint32_t a = f == FL_NAT_SRC ? r->nat_src : r->nat_dst;

		snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
		v.s = buf;
		break;
	case FL_NAT_SPORT:
	case FL_NAT_DPORT:
		if (r->nat) {
			v.kind = FV_UINT;
			v.u = f == FL_NAT_SPORT ? r->nat_sport : r->nat_dport;
		}
		break;
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

		/* the outside tuple, by name, only of a translated flow */
		if (!r->nat && (named || w->json) && order[i] >= FL_NAT_SRC &&
		    order[i] <= FL_NAT_DPORT)
			continue;
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

	/* A member of the array the caller writes around it (its commas
	 * too): the writer starts one level down, so no newline follows. */
	fw_init_sb(&w, sb, true);
	fw_continue(&w, 1, false);
	fw_obj_open(&w, NULL);
	flow_fields(&w, r, profile, json_order, sizeof(json_order), "", false);
	fw_obj_close(&w);
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
	struct fieldw w;

	if (n >= sizeof(line) || n < 2)
		return;
	/* The event stream's line without its end ("\n", and JSON's "}"),
	 * then where it came from: the writer goes on in the line's object,
	 * which has members already. */
	n -= json ? 2 : 1;
	sb_put(sb, line, n);
	fw_init_sb(&w, sb, json);
	fw_continue(&w, 1, true);
	fw_uint(&w, "queue", " queue=%llu", er->queue);
	fw_uint(&w, "serial", " serial=%llu", er->serial);
	fw_text(&w, "\n");
	fw_obj_close(&w);
}
