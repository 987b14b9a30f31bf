/* policy_fmt.c -- a resolved profile written back as file syntax or JSON (no I/O). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonesc.h"
#include "outbuf.h"
#include "policy.h"
#include "policy_int.h"


/* Shortest %g that reads back as the same double. */
static void
format_double(double d, char *buf, size_t cap)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, cap, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

/* The file syntax, every key, in this stable order:
 * name, description, source; timeout.<state> in tracker order, then
 * timeout.unacknowledged and timeout.tombstone; refresh.<state> in tracker
 * order; half_closed.start, expire.action, expire.later, unknown.action,
 * timewait.reopen, invalid.action, malformed.action, tracking.window;
 * fault.<kind> in enum order, fault.seed; table.max_flows, table.full,
 * table.adaptive; the nat.* section when it differs from the defaults
 * (policy_nat.c). Groups are never written: they expand to states. */
size_t
policy_format(const struct policy *p, char *buf, size_t cap)
{
	struct outbuf o = { buf, cap, 0 };
	char d[64];

	if (p->name[0] != '\0')
		outbuf_printf(&o, "name = %s\n", p->name);
	if (p->description[0] != '\0')
		outbuf_printf(&o, "description = %s\n", p->description);
	if (p->source[0] != '\0')
		outbuf_printf(&o, "source = %s\n", p->source);
	for (unsigned s = TCP_NONE + 1; s < TRK_STATE_MAX; s++) {
		policy_format_duration(p->timeout[s], d, sizeof(d));
		outbuf_printf(&o, "timeout.%s = %s\n", tcp_state_key(s), d);
	}
	policy_format_duration(p->unacknowledged, d, sizeof(d));
	outbuf_printf(&o, "timeout.unacknowledged = %s\n", d);
	policy_format_duration(p->tombstone, d, sizeof(d));
	outbuf_printf(&o, "timeout.tombstone = %s\n", d);
	for (unsigned s = TCP_NONE + 1; s < TRK_STATE_MAX; s++)
		outbuf_printf(&o, "refresh.%s = %s\n", tcp_state_refresh_key(s),
		    refresh_rule_name(p->refresh[s]));
	outbuf_printf(&o, "half_closed.start = %s\n",
	    p->half_close_start < NELEM(policy_hc_names) ? policy_hc_names[p->half_close_start] : "?");
	outbuf_printf(&o, "expire.action = %s\n",
	    p->expire_action < NELEM(policy_expire_names) ? policy_expire_names[p->expire_action] : "?");
	outbuf_printf(&o, "expire.later = %s\n", late_action_name(p->after_expiry));
	outbuf_printf(&o, "unknown.action = %s\n", late_action_name(p->unknown_flow));
	outbuf_printf(&o, "timewait.reopen = %s\n",
	    p->timewait_reopen < NELEM(policy_reopen_names) ? policy_reopen_names[p->timewait_reopen] : "?");
	outbuf_printf(&o, "invalid.action = %s\n",
	    p->invalid < NELEM(policy_bad_names) ? policy_bad_names[p->invalid] : "?");
	outbuf_printf(&o, "malformed.action = %s\n",
	    p->malformed < NELEM(policy_bad_names) ? policy_bad_names[p->malformed] : "?");
	outbuf_printf(&o, "tracking.window = %s\n", p->window_tracking ? "on" : "off");
	outbuf_printf(&o, "icmp.errors = %s\n",
	    p->icmp_errors < NELEM(policy_pass_names) ? policy_pass_names[p->icmp_errors] : "?");
	for (unsigned f = 0; f < FAULT__MAX; f++) {
		format_double(p->fault[f], d, sizeof(d));
		outbuf_printf(&o, "fault.%s = %s\n", policy_fault_names[f], d);
	}
	outbuf_printf(&o, "fault.seed = %llu\n", (unsigned long long)p->fault_seed);
	outbuf_printf(&o, "table.max_flows = %u\n", (unsigned)p->max_flows);
	outbuf_printf(&o, "table.full = %s\n",
	    p->table_full < NELEM(policy_full_names) ? policy_full_names[p->table_full] : "?");
	if (p->adaptive_start == 0)
		outbuf_printf(&o, "table.adaptive = off\n");
	else
		outbuf_printf(&o, "table.adaptive = %u%%..%u%%\n",
		    (unsigned)p->adaptive_start, (unsigned)p->adaptive_end);
	policy_tcp_format(p, &o);
	policy_nat_format(&p->nat, &o);
	return outbuf_end(&o);
}

static void
json_enum(struct outbuf *o, const char *key, unsigned v, const char *const *names,
    size_t n)
{
	outbuf_printf(o, ",\"%s\":", key);
	outbuf_json_str(o, v < n ? names[v] : "?");
}

size_t
policy_format_json(const struct policy *p, char *buf, size_t cap)
{
	struct outbuf o = { buf, cap, 0 };
	char d[64];

	outbuf_printf(&o, "{\"name\":");
	outbuf_json_str(&o, p->name);
	outbuf_printf(&o, ",\"description\":");
	outbuf_json_str(&o, p->description);
	outbuf_printf(&o, ",\"source\":");
	outbuf_json_str(&o, p->source);
	outbuf_printf(&o, ",\"inherit\":");
	outbuf_json_str(&o, p->inherit);
	outbuf_printf(&o, ",\"timeouts\":{");
	for (unsigned s = TCP_NONE + 1; s < TRK_STATE_MAX; s++) {
		outbuf_printf(&o, "\"%s\":", tcp_state_key(s));
		outbuf_json_secs(&o, p->timeout[s]);
		outbuf_printf(&o, ",");
	}
	outbuf_printf(&o, "\"unacknowledged\":");
	outbuf_json_secs(&o, p->unacknowledged);
	outbuf_printf(&o, ",\"tombstone\":");
	outbuf_json_secs(&o, p->tombstone);
	outbuf_printf(&o, "},\"refresh\":{");
	for (unsigned s = TCP_NONE + 1; s < TRK_STATE_MAX; s++)
		outbuf_printf(&o, "%s\"%s\":\"%s\"", s == TCP_NONE + 1 ? "" : ",",
		    tcp_state_refresh_key(s),
		    refresh_rule_name(p->refresh[s]));
	outbuf_printf(&o, "}");
	json_enum(&o, "half_closed_start", p->half_close_start, policy_hc_names, NELEM(policy_hc_names));
	json_enum(&o, "expire_action", p->expire_action, policy_expire_names, NELEM(policy_expire_names));
	json_enum(&o, "expire_later", p->after_expiry, policy_late_names, NELEM(policy_late_names));
	json_enum(&o, "unknown_action", p->unknown_flow, policy_late_names, NELEM(policy_late_names));
	json_enum(&o, "timewait_reopen", p->timewait_reopen, policy_reopen_names, NELEM(policy_reopen_names));
	json_enum(&o, "invalid", p->invalid, policy_bad_names, NELEM(policy_bad_names));
	json_enum(&o, "malformed", p->malformed, policy_bad_names, NELEM(policy_bad_names));
	json_enum(&o, "icmp_errors", p->icmp_errors, policy_pass_names, NELEM(policy_pass_names));
	outbuf_printf(&o, ",\"window_tracking\":%s",
	    p->window_tracking ? "true" : "false");
	outbuf_printf(&o, ",\"faults\":{");
	for (unsigned f = 0; f < FAULT__MAX; f++) {
		format_double(p->fault[f], d, sizeof(d));
		outbuf_printf(&o, "%s\"%s\":%s", f == 0 ? "" : ",", policy_fault_names[f], d);
	}
	outbuf_printf(&o, "},\"fault_seed\":%llu", (unsigned long long)p->fault_seed);
	outbuf_printf(&o, ",\"table\":{\"max_flows\":%u", (unsigned)p->max_flows);
	json_enum(&o, "full", p->table_full, policy_full_names, NELEM(policy_full_names));
	outbuf_printf(&o, ",\"adaptive_start\":%u,\"adaptive_end\":%u}",
	    (unsigned)p->adaptive_start, (unsigned)p->adaptive_end);
	policy_nat_format_json(&p->nat, &o);
	policy_tcp_format_json(p, &o);
	outbuf_printf(&o, "}");
	return outbuf_end(&o);
}
