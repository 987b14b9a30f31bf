/* policy.h -- a resolved, immutable timeout profile and its text parser (no I/O). */
#ifndef NATBOX_POLICY_H
#define NATBOX_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat.h"
#include "tcpfsm.h"

#define NS_PER_SEC 1000000000ULL

enum refresh_rule {
	REFRESH_ANY = 0,	/* every packet restarts the timer (Linux, pf) */
	REFRESH_ORIG,		/* only packets from the originator */
	REFRESH_REPLY,		/* only packets from the responder */
	REFRESH_NONE,		/* absolute: counted from entering the state */
};

/* When the half-closed timers (FIN_WAIT, CLOSE_WAIT) take over from
 * ESTABLISHED's. Before that point the flow keeps the established timer. */
enum half_close_start {
	HC_FIRST_FIN = 0,	/* Linux, pf, PAN-OS: at the first FIN */
	HC_FIN_ACKED,		/* Cisco ASA: at the FIN and its ACK */
	HC_BOTH_FINS,		/* RFC 5382: the closing phase needs both FINs */
};

enum expire_action { EXPIRE_DROP = 0, EXPIRE_RESET };	/* at expiry: silent, or RST both ends */
enum late_action { LATE_PICKUP = 0, LATE_DROP, LATE_RESET_SENDER };
enum reopen_rule { REOPEN_ALLOW = 0, REOPEN_DROP };
enum bad_action { BAD_ACCEPT = 0, BAD_DROP };
/* table full: drop the new flow; evict (tombstones, closing flows, the
 * least recently active); or the kernel's early_drop (only flows not yet
 * ASSURED, never an established one: else drop the new flow). */
enum full_action { FULL_DROP = 0, FULL_EVICT, FULL_EARLY_DROP };

enum fault_kind {
	FAULT_DROP_RST_ORIG = 0,	/* RSTs sent by the originator */
	FAULT_DROP_RST_REPLY,		/* RSTs sent by the responder */
	FAULT_DROP_FIN_ACK,		/* packets that first acknowledge a FIN */
	FAULT_DROP_FIRST_FIN,
	FAULT_DROP_SECOND_FIN,
	FAULT__MAX
};

struct policy {
	char name[64];
	char description[256];
	char source[512];
	char inherit[64];		/* informational: the parent it came from */

	/* ns, by tracker state ([TCP_NONE] unused): TCP's states, then
	 * UDP unreplied and replied, ICMP and other protocols (tcpfsm.h) */
	uint64_t timeout[TRK_STATE_MAX];
	uint8_t refresh[TRK_STATE_MAX];		/* enum refresh_rule */
	uint64_t unacknowledged;	/* ns cap on ESTABLISHED before a reply; 0 = off */
	uint64_t tombstone;		/* ns an expired flow is remembered */

	uint8_t half_close_start;	/* enum half_close_start */
	uint8_t expire_action;		/* enum expire_action */
	uint8_t after_expiry;		/* enum late_action: packets of a dead flow */
	uint8_t unknown_flow;		/* enum late_action: non-SYN of an unknown flow */
	uint8_t timewait_reopen;	/* enum reopen_rule */
	uint8_t invalid;		/* enum bad_action: packets the tracker calls invalid */
	uint8_t malformed;		/* enum bad_action: packets that fail to decode */
	uint8_t icmp_errors;		/* enum bad_action: ICMP errors about a live flow
					 * (accept: "pass") */
	bool window_tracking;
	/* The kernel's sysctls that change TCP tracking (tcp.*; the last
	 * three only with tracking.window = on) */
	bool tcp_loose;			/* nf_conntrack_tcp_loose: pick up mid-stream */
	bool tcp_liberal;		/* nf_conntrack_tcp_be_liberal */
	bool tcp_ignore_invalid_rst;	/* nf_conntrack_tcp_ignore_invalid_rst */
	uint8_t tcp_max_retrans;	/* nf_conntrack_tcp_max_retrans */
	uint64_t max_retrans_timeout;	/* ns, nf_conntrack_tcp_timeout_max_retrans */

	double fault[FAULT__MAX];	/* probability 0..1 of each fault */
	uint64_t fault_seed;

	uint32_t max_flows;
	uint8_t table_full;		/* enum full_action */
	uint16_t adaptive_start;	/* % of max_flows; 0 = no adaptive scaling */
	uint16_t adaptive_end;		/* % of max_flows */
	struct nat_conf nat;		/* nat.*: translation (off unless nat.outside) */
};

/* A parse's errors, each "file:line: message", in file order. */
struct policy_errors {
	unsigned count;
	char msg[32][256];	/* the first 32; count keeps counting */
};

/* Resolves `inherit = NAME`: return the text of profile NAME and the path
 * to quote in messages, or -1 if there is none. The core does no I/O; the
 * CLI supplies this. *text stays owned by the resolver until the parse
 * returns. */
struct policy_resolver {
	int (*lookup)(void *ctx, const char *name, const char **text,
	    size_t *len, const char **path);
	void *ctx;
};

/* Built-in baseline every profile starts from: Linux nf_conntrack
 * defaults (see policies/linux-conntrack.profile). */
void policy_defaults(struct policy *p);

/* Parse a profile. Returns 0, or -1 with every error in *errs (one pass).
 * res may be NULL (then `inherit` is an error). */
int policy_parse(struct policy *p, const char *path, const char *text,
    size_t len, const struct policy_resolver *res, struct policy_errors *errs);

/* Apply one `key=value` (the --set syntax; same keys as the file).
 * origin names it in messages, e.g. "--set". Returns 0 or -1. */
int policy_set(struct policy *p, const char *origin, const char *kv,
    struct policy_errors *errs);

/* Write the resolved profile in file syntax (it parses back to the same
 * policy). Like snprintf: returns the length it needed. */
size_t policy_format(const struct policy *p, char *buf, size_t cap);
/* Same as JSON: {"name":..,"timeouts":{"established":432000,..},
 * "refresh":{"established":"any",..},...}. */
size_t policy_format_json(const struct policy *p, char *buf, size_t cap);

/* Durations: "7440s", "2h4m", "30s", "250ms", "5d", "1h30m15s".
 * Returns 0 and ns, or -1. A bare number is an error (units required). */
int policy_parse_duration(const char *s, uint64_t *ns);
/* Shortest exact spelling: 7440 s -> "2h4m", 0.25 s -> "250ms". */
void policy_format_duration(uint64_t ns, char *buf, size_t cap);

/* The tracker's configuration under p (tcpfsm.h). */
static inline struct tcp_conf
policy_tcp_conf(const struct policy *p)
{
	struct tcp_conf c = { .window = p->window_tracking, .liberal = p->tcp_liberal,
		.ignore_invalid_rst = p->tcp_ignore_invalid_rst,
		.max_retrans = p->tcp_max_retrans };

	return c;
}

/* Names for enum values, as spelled in files. */
const char *refresh_rule_name(unsigned r);	/* any, orig, reply, none */
const char *late_action_name(unsigned a);	/* pickup, drop, reset-sender */

#endif
