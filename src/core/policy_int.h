/* policy_int.h -- the profile parser's state, name tables and value readers, shared by policy*.c (core-internal). */
#ifndef NATBOX_POLICY_INT_H
#define NATBOX_POLICY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define SEC		NS_PER_SEC
#define MS		(NS_PER_SEC / 1000)
#define DUR_MAX		(365ULL * 86400 * SEC)	/* longest timeout a profile may set */
#define INHERIT_DEPTH	8
#define ADAPTIVE_MAX	1000u		/* table.adaptive: % of max_flows */
/* Key ids for duplicate detection (policy.c): one slot per spelling of a
 * key; a tracker state's keys, and a state group's, have ID_STATE_SLOTS
 * each (TRK_STATE_MAX may grow to it), the faults 16. */
#define ID_STATE_SLOTS		32
#define ID_TIMEOUT_STATE	32
#define ID_TIMEOUT_GROUP	(ID_TIMEOUT_STATE + ID_STATE_SLOTS)
#define ID_REFRESH_STATE	(ID_TIMEOUT_GROUP + ID_STATE_SLOTS)
#define ID_REFRESH_GROUP	(ID_REFRESH_STATE + ID_STATE_SLOTS)
#define ID_FAULT		(ID_REFRESH_GROUP + ID_STATE_SLOTS)
#define POLICY_NAT_ID		(ID_FAULT + 16)		/* policy_nat.c */
#define POLICY_NAT_KEYS		16
#define POLICY_TCP_ID		(POLICY_NAT_ID + POLICY_NAT_KEYS)	/* policy_tcp.c */
#define POLICY_TCP_KEYS		8
#define ID_MAX			(POLICY_TCP_ID + POLICY_TCP_KEYS)

/* One file (or one --set) being parsed. */
struct parser {
	const char *where;	/* path or origin quoted in messages */
	bool is_file;		/* messages carry ":line"; inherit allowed */
	struct policy_errors *errs;
	unsigned *nerr;		/* errors of this whole policy_parse/policy_set */
	const struct policy_resolver *res;
	const char *chain[INHERIT_DEPTH + 2];	/* names, top file first */
	int depth;
	struct policy *p;
	unsigned line;
	unsigned seen[ID_MAX];	/* line where each key was set, 0 = not yet */
	bool settings;		/* a setting other than name/description/source */
};

/* Record "where:line: message" (or "origin: message") in ps's error list. */
void policy_perr(struct parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A profile's values (policy_value.c). The others return 0, or -1 after
 * recording why through policy_perr (pval_uint and pval_name_ok only
 * answer). */
/* v's index in names[n], or -1 (recorded, with the names listed). */
int pval_enum(struct parser *ps, const char *v, const char *const *names, size_t n);
bool pval_name_ok(const char *s);
int pval_duration(struct parser *ps, const char *v, bool zero_ok, uint64_t *ns);
int pval_uint(const char *v, uint64_t *out);
int pval_probability(struct parser *ps, const char *v, double *out);
int pval_adaptive(struct parser *ps, const char *v, uint16_t *start, uint16_t *end);
int pval_string(struct parser *ps, const char *key, const char *v, size_t cap);

/* Enum names as spelled in files, indexed by the enums of policy.h. */
extern const char *const policy_refresh_names[4];
extern const char *const policy_hc_names[3];
extern const char *const policy_expire_names[2];
extern const char *const policy_late_names[3];
extern const char *const policy_reopen_names[2];
extern const char *const policy_bad_names[2];
extern const char *const policy_full_names[3];
extern const char *const policy_onoff_names[2];
extern const char *const policy_pass_names[2];
extern const char *const policy_fault_names[FAULT__MAX];

/* The nat.* keys (policy_nat.c). Key ids POLICY_NAT_ID.. for duplicates. */
struct outbuf;
void policy_nat_defaults(struct nat_conf *c);
/* The index of "nat.SUB"'s SUB, or -1. */
int policy_nat_key(const char *sub);
void policy_nat_apply(struct parser *ps, unsigned id, const char *v);
/* The section in file syntax, when it differs from the defaults; JSON
 * always (",\"nat\":{...}"). */
void policy_nat_format(const struct nat_conf *c, struct outbuf *o);
void policy_nat_format_json(const struct nat_conf *c, struct outbuf *o);

/* The tcp.* keys and timeout.max_retrans (policy_tcp.c): the kernel's
 * sysctls that change tracking. Key ids POLICY_TCP_ID.. */
void policy_tcp_defaults(struct policy *p);
/* The index of a whole key ("tcp.loose", "timeout.max_retrans"), or -1. */
int policy_tcp_key(const char *key);
void policy_tcp_apply(struct parser *ps, unsigned id, const char *v);
/* File syntax when they differ from the kernel's defaults; JSON always. */
void policy_tcp_format(const struct policy *p, struct outbuf *o);
void policy_tcp_format_json(const struct policy *p, struct outbuf *o);

#endif
