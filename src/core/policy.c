/* policy.c -- profile defaults and the key = value parser (no I/O). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_int.h"

#define MAX_FLOWS_MAX	16777216u
#define LINE_MAX_LEN	1024

#define BIT(s) (1u << (s))

/* State groups: vendor vocabulary over tracker states (DESIGN.md). */
static const struct {
	const char *name;
	unsigned states;
} groups[] = {
	{ "opening", BIT(TCP_SYN_SENT) | BIT(TCP_SYN_SENT2) | BIT(TCP_SYN_RECV) },
	{ "half_closed", BIT(TCP_FIN_WAIT) | BIT(TCP_CLOSE_WAIT) },
	{ "closing", BIT(TCP_LAST_ACK) },
	/* refresh.udp, refresh.gre: both of the protocol's timers
	 * (timeout.udp and timeout.gre are the replied ones) */
	{ "udp", BIT(TRK_UDP_UNREPLIED) | BIT(TRK_UDP_REPLIED) },
	{ "gre", BIT(TRK_GRE_UNREPLIED) | BIT(TRK_GRE_REPLIED) },
};

enum kind {
	K_NAME, K_DESCRIPTION, K_SOURCE, K_INHERIT,
	K_UNACK, K_TOMBSTONE, K_HC_START, K_EXPIRE_ACTION, K_EXPIRE_LATER,
	K_UNKNOWN, K_REOPEN, K_INVALID, K_MALFORMED, K_WINDOW,
	K_SEED, K_MAX_FLOWS, K_TABLE_FULL, K_ADAPTIVE, K_ICMP_ERRORS,
	K_SIMPLE_MAX,
	/* keys with an argument (a state mask or a fault) */
	K_TIMEOUT = K_SIMPLE_MAX, K_REFRESH, K_FAULT, K_NAT, K_TCP,
};

static const char *const simple_keys[K_SIMPLE_MAX] = {
	[K_NAME] = "name", [K_DESCRIPTION] = "description",
	[K_SOURCE] = "source", [K_INHERIT] = "inherit",
	[K_UNACK] = "timeout.unacknowledged", [K_TOMBSTONE] = "timeout.tombstone",
	[K_HC_START] = "half_closed.start", [K_EXPIRE_ACTION] = "expire.action",
	[K_EXPIRE_LATER] = "expire.later", [K_UNKNOWN] = "unknown.action",
	[K_REOPEN] = "timewait.reopen", [K_INVALID] = "invalid.action",
	[K_MALFORMED] = "malformed.action", [K_WINDOW] = "tracking.window",
	[K_SEED] = "fault.seed", [K_MAX_FLOWS] = "table.max_flows",
	[K_TABLE_FULL] = "table.full", [K_ADAPTIVE] = "table.adaptive",
	[K_ICMP_ERRORS] = "icmp.errors",
};

/* Key ids for duplicate detection: policy_int.h. */
_Static_assert(TRK_STATE_MAX <= ID_STATE_SLOTS && NELEM(groups) <= ID_STATE_SLOTS &&
    FAULT__MAX <= 16 && K_SIMPLE_MAX <= ID_TIMEOUT_STATE, "key id slots");

struct keyref {
	enum kind kind;
	unsigned id;
	unsigned arg;		/* state mask, or fault index */
};


void
policy_perr(struct parser *ps, const char *fmt, ...)
{
	struct policy_errors *e = ps->errs;
	size_t cap;
	char *m;
	va_list ap;
	int n;

	(*ps->nerr)++;
	if (e == NULL)
		return;
	if (e->count < NELEM(e->msg)) {
		m = e->msg[e->count];
		cap = sizeof(e->msg[0]);
		if (ps->is_file)
			n = snprintf(m, cap, "%s:%u: ", ps->where, ps->line);
		else
			n = snprintf(m, cap, "%s: ", ps->where);
		if (n >= 0 && (size_t)n < cap) {
			va_start(ap, fmt);
			vsnprintf(m + n, cap - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	e->count++;
}

/* Copy a string into a fixed field, zero-filling the rest so two policies
 * with the same values compare equal byte for byte. */
static void
set_field(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memset(dst, 0, cap);
	memcpy(dst, src, n);
}

#define SET_FIELD(dst, src) set_field((dst), sizeof(dst), (src))

const char *
refresh_rule_name(unsigned r)
{
	return r < NELEM(policy_refresh_names) ? policy_refresh_names[r] : "?";
}

const char *
late_action_name(unsigned a)
{
	return a < NELEM(policy_late_names) ? policy_late_names[a] : "?";
}

void
policy_defaults(struct policy *p)
{
	/* Linux nf_conntrack, net/netfilter/nf_conntrack_proto_tcp.c */
	static const uint64_t linux_timeout[TRK_STATE_MAX] = {
		[TCP_SYN_SENT] = 120 * SEC, [TCP_SYN_RECV] = 60 * SEC,
		[TCP_ESTABLISHED] = 432000 * SEC, [TCP_FIN_WAIT] = 120 * SEC,
		[TCP_CLOSE_WAIT] = 60 * SEC, [TCP_LAST_ACK] = 30 * SEC,
		[TCP_TIME_WAIT] = 120 * SEC, [TCP_CLOSE] = 10 * SEC,
		[TCP_SYN_SENT2] = 120 * SEC,
		/* nf_conntrack_udp_timeout, _udp_timeout_stream,
		 * _icmp_timeout, _generic_timeout, _gre_timeout,
		 * _gre_timeout_stream */
		[TRK_UDP_UNREPLIED] = 30 * SEC, [TRK_UDP_REPLIED] = 120 * SEC,
		[TRK_ICMP] = 30 * SEC, [TRK_OTHER] = 600 * SEC,
		[TRK_GRE_UNREPLIED] = 30 * SEC, [TRK_GRE_REPLIED] = 180 * SEC,
	};

	memset(p, 0, sizeof(*p));
	SET_FIELD(p->name, "default");
	SET_FIELD(p->description, "built-in baseline: Linux nf_conntrack defaults");
	SET_FIELD(p->source, "net/netfilter/nf_conntrack_proto_tcp.c, "
	    "nf_conntrack-sysctl documentation");
	memcpy(p->timeout, linux_timeout, sizeof(p->timeout));
	/* refresh[] all REFRESH_ANY (0): every packet restarts the timer */
	p->unacknowledged = 300 * SEC;	/* nf_conntrack_tcp_timeout_unacknowledged */
	p->tombstone = 120 * SEC;
	p->half_close_start = HC_FIRST_FIN;
	p->expire_action = EXPIRE_DROP;
	p->after_expiry = LATE_PICKUP;	/* nf_conntrack_tcp_loose = 1 */
	p->unknown_flow = LATE_PICKUP;
	p->timewait_reopen = REOPEN_ALLOW;
	p->invalid = BAD_ACCEPT;
	p->malformed = BAD_ACCEPT;
	p->window_tracking = false;
	p->fault_seed = 1;
	p->max_flows = 262144;
	p->table_full = FULL_DROP;
	policy_nat_defaults(&p->nat);
	policy_tcp_defaults(p);
}

/* ---- keys ---- */

static int
key_lookup(const char *key, struct keyref *k)
{
	const char *sub;
	int s;

	for (unsigned i = 0; i < K_SIMPLE_MAX; i++)
		if (strcmp(key, simple_keys[i]) == 0) {
			k->kind = (enum kind)i;
			k->id = i;
			k->arg = 0;
			return 0;
		}
	if ((s = policy_tcp_key(key)) >= 0) {
		k->kind = K_TCP;
		k->id = POLICY_TCP_ID + (unsigned)s;
		k->arg = (unsigned)s;
		return 0;
	}
	if (strncmp(key, "timeout.", 8) == 0 || strncmp(key, "refresh.", 8) == 0) {
		bool to = key[0] == 't';

		sub = key + 8;
		k->kind = to ? K_TIMEOUT : K_REFRESH;
		/* what policy_format() writes for the replied UDP and GRE
		 * timers' refresh rules, accepted for their timeouts too */
		s = strcmp(sub, "udp_replied") == 0 ? TRK_UDP_REPLIED :
		    strcmp(sub, "gre_replied") == 0 ? TRK_GRE_REPLIED : tcp_state_from_key(sub);
		/* refresh.udp is the group of both UDP timers; timeout.udp
		 * the replied one's (GRE likewise) */
		if (s > TCP_NONE && s < TRK_STATE_MAX &&
		    (to || strcmp(sub, tcp_state_key(s)) != 0 ||
		    (s != TRK_UDP_REPLIED && s != TRK_GRE_REPLIED))) {
			k->id = (to ? ID_TIMEOUT_STATE : ID_REFRESH_STATE) + (unsigned)s;
			k->arg = BIT(s);
			return 0;
		}
		for (unsigned g = 0; g < NELEM(groups); g++)
			if (strcmp(sub, groups[g].name) == 0 &&
			    (!to || (groups[g].states >> TCP_STATE_MAX) == 0)) {
				k->id = (to ? ID_TIMEOUT_GROUP : ID_REFRESH_GROUP) + g;
				k->arg = groups[g].states;
				return 0;
			}
		return -1;
	}
	if (strncmp(key, "nat.", 4) == 0 && (s = policy_nat_key(key + 4)) >= 0) {
		k->kind = K_NAT;
		k->id = POLICY_NAT_ID + (unsigned)s;
		k->arg = (unsigned)s;
		return 0;
	}
	if (strncmp(key, "fault.", 6) == 0) {
		for (unsigned f = 0; f < FAULT__MAX; f++)
			if (strcmp(key + 6, policy_fault_names[f]) == 0) {
				k->kind = K_FAULT;
				k->id = ID_FAULT + f;
				k->arg = f;
				return 0;
			}
	}
	return -1;
}

static int parse_text(struct policy *p, const char *path, const char *text,
    size_t len, struct parser *up);

/* `inherit = NAME`: replace everything but this file's name, description
 * and source with the parent's resolved profile. */
static void
do_inherit(struct parser *ps, const char *v)
{
	struct policy parent, *p = ps->p;
	const char *text = NULL, *path = NULL;
	size_t len = 0;
	char name[sizeof(p->name)], desc[sizeof(p->description)];
	char src[sizeof(p->source)];

	if (!pval_name_ok(v) || strlen(v) >= sizeof(p->inherit)) {
		policy_perr(ps, "invalid profile name in inherit: '%s'", v);
		return;
	}
	if (ps->settings) {
		policy_perr(ps, "inherit must come before other settings");
		return;
	}
	for (int i = 0; i <= ps->depth; i++)
		if (ps->chain[i] != NULL && strcmp(ps->chain[i], v) == 0) {
			char cyc[160] = "";
			size_t n = 0;

			for (int j = i; j <= ps->depth && n < sizeof(cyc); j++)
				n += (size_t)snprintf(cyc + n, sizeof(cyc) - n,
				    "%s -> ", ps->chain[j]);
			policy_perr(ps, "inherit cycle: %s%s", cyc, v);
			return;
		}
	if (ps->depth + 1 > INHERIT_DEPTH) {
		policy_perr(ps, "inherit chain deeper than %d profiles", INHERIT_DEPTH);
		return;
	}
	if (ps->res == NULL || ps->res->lookup == NULL ||
	    ps->res->lookup(ps->res->ctx, v, &text, &len, &path) != 0) {
		policy_perr(ps, "unknown profile in inherit: '%s'", v);
		return;
	}
	ps->chain[ps->depth + 1] = v;
	parse_text(&parent, path != NULL ? path : v, text, len, ps);
	ps->chain[ps->depth + 1] = NULL;

	memcpy(name, p->name, sizeof(name));
	memcpy(desc, p->description, sizeof(desc));
	memcpy(src, p->source, sizeof(src));
	*p = parent;
	memcpy(p->name, name, sizeof(name));
	memcpy(p->description, desc, sizeof(desc));
	memcpy(p->source, src, sizeof(src));
	SET_FIELD(p->inherit, v);
}

/* name, description, source, inherit: the profile's identity. */
static void
apply_text(struct parser *ps, const char *key, const struct keyref *k, const char *v)
{
	struct policy *p = ps->p;

	switch (k->kind) {
	case K_NAME:
		if (pval_string(ps, key, v, sizeof(p->name)) != 0)
			break;
		if (!pval_name_ok(v)) {
			policy_perr(ps, "invalid name (letters, digits, '.', '_', '-'): '%s'", v);
			break;
		}
		SET_FIELD(p->name, v);
		break;
	case K_DESCRIPTION:
		if (pval_string(ps, key, v, sizeof(p->description)) == 0)
			SET_FIELD(p->description, v);
		break;
	case K_SOURCE:
		if (pval_string(ps, key, v, sizeof(p->source)) == 0)
			SET_FIELD(p->source, v);
		break;
	case K_INHERIT:
		if (!ps->is_file)
			policy_perr(ps, "inherit is only allowed in a profile file");
		else
			do_inherit(ps, v);
		break;
	default:
		break;
	}
}

/* A key whose value is one of a few words: the behaviours. */
static void
apply_choice(struct parser *ps, const struct keyref *k, const char *v)
{
	struct policy *p = ps->p;
	int e;

	switch (k->kind) {
	case K_HC_START:
		if ((e = pval_enum(ps, v, policy_hc_names, NELEM(policy_hc_names))) >= 0)
			p->half_close_start = (uint8_t)e;
		break;
	case K_EXPIRE_ACTION:
		if ((e = pval_enum(ps, v, policy_expire_names, NELEM(policy_expire_names))) >= 0)
			p->expire_action = (uint8_t)e;
		break;
	case K_EXPIRE_LATER:
		if ((e = pval_enum(ps, v, policy_late_names, NELEM(policy_late_names))) >= 0)
			p->after_expiry = (uint8_t)e;
		break;
	case K_UNKNOWN:
		if ((e = pval_enum(ps, v, policy_late_names, NELEM(policy_late_names))) >= 0)
			p->unknown_flow = (uint8_t)e;
		break;
	case K_REOPEN:
		if ((e = pval_enum(ps, v, policy_reopen_names, NELEM(policy_reopen_names))) >= 0)
			p->timewait_reopen = (uint8_t)e;
		break;
	case K_INVALID:
		if ((e = pval_enum(ps, v, policy_bad_names, NELEM(policy_bad_names))) >= 0)
			p->invalid = (uint8_t)e;
		break;
	case K_MALFORMED:
		if ((e = pval_enum(ps, v, policy_bad_names, NELEM(policy_bad_names))) >= 0)
			p->malformed = (uint8_t)e;
		break;
	case K_WINDOW:
		if ((e = pval_enum(ps, v, policy_onoff_names, NELEM(policy_onoff_names))) >= 0)
			p->window_tracking = e == 1;
		break;
	case K_ICMP_ERRORS:
		if ((e = pval_enum(ps, v, policy_pass_names, NELEM(policy_pass_names))) >= 0)
			p->icmp_errors = (uint8_t)e;
		break;
	case K_TABLE_FULL:
		if ((e = pval_enum(ps, v, policy_full_names, NELEM(policy_full_names))) >= 0)
			p->table_full = (uint8_t)e;
		break;
	default:
		break;
	}
}

static void
apply(struct parser *ps, const char *key, const struct keyref *k, const char *v)
{
	struct policy *p = ps->p;
	uint64_t ns, n;
	int e;

	switch (k->kind) {
	case K_NAME:
	case K_DESCRIPTION:
	case K_SOURCE:
	case K_INHERIT:
		apply_text(ps, key, k, v);
		break;
	case K_HC_START:
	case K_EXPIRE_ACTION:
	case K_EXPIRE_LATER:
	case K_UNKNOWN:
	case K_REOPEN:
	case K_INVALID:
	case K_MALFORMED:
	case K_WINDOW:
	case K_TABLE_FULL:
	case K_ICMP_ERRORS:
		apply_choice(ps, k, v);
		break;
	case K_TIMEOUT:
		if (pval_duration(ps, v, false, &ns) == 0)
			for (unsigned s = 0; s < TRK_STATE_MAX; s++)
				if (k->arg & BIT(s))
					p->timeout[s] = ns;
		break;
	case K_REFRESH:
		if ((e = pval_enum(ps, v, policy_refresh_names, NELEM(policy_refresh_names))) >= 0)
			for (unsigned s = 0; s < TRK_STATE_MAX; s++)
				if (k->arg & BIT(s))
					p->refresh[s] = (uint8_t)e;
		break;
	case K_UNACK:
		if (pval_duration(ps, v, true, &ns) == 0)
			p->unacknowledged = ns;
		break;
	case K_TOMBSTONE:
		if (pval_duration(ps, v, true, &ns) == 0)
			p->tombstone = ns;
		break;
	case K_FAULT:
		pval_probability(ps, v, &p->fault[k->arg]);
		break;
	case K_SEED:
		if (pval_uint(v, &n) != 0)
			policy_perr(ps, "expected an integer 0..%llu: '%s'",
			    (unsigned long long)UINT64_MAX, v);
		else
			p->fault_seed = n;
		break;
	case K_MAX_FLOWS:
		if (pval_uint(v, &n) != 0 || n < 1 || n > MAX_FLOWS_MAX)
			policy_perr(ps, "expected an integer 1..%u: '%s'", MAX_FLOWS_MAX, v);
		else
			p->max_flows = (uint32_t)n;
		break;
	case K_ADAPTIVE:
		pval_adaptive(ps, v, &p->adaptive_start, &p->adaptive_end);
		break;
	case K_NAT:
		policy_nat_apply(ps, k->arg, v);
		break;
	case K_TCP:
		policy_tcp_apply(ps, k->arg, v);
		break;
	}
}

/* A line's first word looks like a profile key (letters, digits, . _ -, short): an
 * error may quote it. Anything else (a file that is not a profile: a
 * passwd or shadow line) is not echoed, so a message never shows the
 * content of a file that was never meant to be read as a profile. */
static bool
key_like(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n > 0 && n <= 48 && (s[n] == '\0' || s[n] == ' ' || s[n] == '\t');
}

static void
trim(char **s)
{
	char *b = *s, *e;

	while (*b == ' ' || *b == '\t')
		b++;
	e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	*s = b;
}

/* Cut a comment: a '#' at the start or after a blank, so "x.html#part"
 * stays whole. */
static void
strip_comment(char *s, const char *line)
{
	for (char *c = s; *c != '\0'; c++)
		if (*c == '#' && (c == line || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			return;
		}
}

/* Is the key before '=' one whose value is free text? */
static bool
free_text_key(const char *line, const char *eq)
{
	while (*line == ' ' || *line == '\t')
		line++;
	while (eq > line && (eq[-1] == ' ' || eq[-1] == '\t'))
		eq--;
	return ((size_t)(eq - line) == 11 && strncmp(line, "description", 11) == 0) ||
	    ((size_t)(eq - line) == 6 && strncmp(line, "source", 6) == 0);
}

/* One line (or one --set argument), NUL-terminated and writable. In
 * description and source a '#' is text (so every string policy_format
 * writes reads back the same); elsewhere it may start a comment. */
static void
parse_line(struct parser *ps, char *line)
{
	struct keyref k;
	char *key, *val, *eq, *c;

	for (c = line; *c == ' ' || *c == '\t'; c++)
		;
	if (*c == '#' || *c == '\0')
		return;
	eq = strchr(line, '=');
	if (eq == NULL)
		strip_comment(line, line);
	else if (!free_text_key(line, eq))
		strip_comment(eq + 1, line);
	for (c = line; *c != '\0'; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) {
			policy_perr(ps, "control character 0x%02x in line",
			    (unsigned char)*c);
			return;
		}
	key = line;
	if (eq == NULL) {
		trim(&key);
		if (key_like(key))
			policy_perr(ps, "missing '=': '%s'", key);
		else
			policy_perr(ps, "not a key = value line (is this a profile?)");
		return;
	}
	*eq = '\0';
	val = eq + 1;
	trim(&key);
	trim(&val);
	if (*key == '\0') {
		policy_perr(ps, "missing key before '='");
		return;
	}
	if (key_lookup(key, &k) != 0) {
		if (key_like(key))
			policy_perr(ps, "unknown key '%s'", key);
		else
			policy_perr(ps, "not a profile key (is this a profile?)");
		return;
	}
	if (ps->is_file) {
		if (ps->seen[k.id] != 0) {
			policy_perr(ps, "duplicate key '%s' (first set on line %u)",
			    key, ps->seen[k.id]);
			return;
		}
		ps->seen[k.id] = ps->line;
	}
	if (*val == '\0') {
		policy_perr(ps, "empty value for '%s'", key);
		return;
	}
	apply(ps, key, &k, val);
	if (k.kind != K_NAME && k.kind != K_DESCRIPTION && k.kind != K_SOURCE)
		ps->settings = true;
}

/* Basename without ".profile": the name of a file that has no `name`. */
static void
name_from_path(char *dst, size_t cap, const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b != NULL ? b + 1 : path;
	n = strlen(b);
	if (n > 8 && strcmp(b + n - 8, ".profile") == 0)
		n -= 8;
	if (n >= cap)
		n = cap - 1;
	memset(dst, 0, cap);
	memcpy(dst, b, n);
}

static int
parse_text(struct policy *p, const char *path, const char *text, size_t len,
    struct parser *up)
{
	struct parser ps;
	char line[LINE_MAX_LEN];
	char self[sizeof(p->name)];
	size_t pos = 0;
	unsigned before;

	memset(&ps, 0, sizeof(ps));
	ps.where = path;
	ps.is_file = true;
	ps.errs = up->errs;
	ps.nerr = up->nerr;
	ps.res = up->res;
	ps.p = p;
	before = *ps.nerr;
	if (up->p == NULL) {	/* the top file: start the chain with its name */
		name_from_path(self, sizeof(self), path);
		ps.chain[0] = self;
		ps.depth = 0;
	} else {
		memcpy(ps.chain, up->chain, sizeof(ps.chain));
		ps.depth = up->depth + 1;
	}

	policy_defaults(p);
	name_from_path(p->name, sizeof(p->name), path);
	memset(p->description, 0, sizeof(p->description));
	memset(p->source, 0, sizeof(p->source));

	while (pos < len) {
		size_t end = pos, n;

		while (end < len && text[end] != '\n')
			end++;
		n = end - pos;
		ps.line++;
		if (n > 0 && text[end - 1] == '\r')
			n--;
		if (n >= sizeof(line)) {
			policy_perr(&ps, "line too long (at most %zu characters)",
			    sizeof(line) - 1);
		} else {
			memcpy(line, text + pos, n);
			line[n] = '\0';
			if (memchr(line, '\0', n) != NULL)
				policy_perr(&ps, "NUL byte in line");
			else
				parse_line(&ps, line);
		}
		pos = end + 1;
	}
	return *ps.nerr == before ? 0 : -1;
}

int
policy_parse(struct policy *p, const char *path, const char *text,
    size_t len, const struct policy_resolver *res, struct policy_errors *errs)
{
	struct policy tmp;
	struct parser top;
	unsigned nerr = 0;

	memset(&top, 0, sizeof(top));
	top.errs = errs;
	top.nerr = &nerr;
	top.res = res;
	if (path == NULL)
		path = "(profile)";
	if (text == NULL)
		len = 0;
	parse_text(&tmp, path, text, len, &top);
	if (nerr != 0)
		return -1;
	*p = tmp;
	return 0;
}

int
policy_set(struct policy *p, const char *origin, const char *kv,
    struct policy_errors *errs)
{
	struct policy tmp = *p;
	struct parser ps;
	char line[LINE_MAX_LEN];
	unsigned nerr = 0;

	memset(&ps, 0, sizeof(ps));
	ps.where = origin != NULL ? origin : "--set";
	ps.errs = errs;
	ps.nerr = &nerr;
	ps.p = &tmp;
	if (kv == NULL || strlen(kv) >= sizeof(line)) {
		policy_perr(&ps, "setting too long (at most %zu characters)",
		    sizeof(line) - 1);
		return -1;
	}
	memcpy(line, kv, strlen(kv) + 1);
	/* A profile line may be a comment; a setting may not (it would
	 * be accepted and do nothing). */
	if (strchr(line, '=') == NULL || line[strspn(line, " \t")] == '#') {
		policy_perr(&ps, "expected key=value: '%s'", kv);
		return -1;
	}
	parse_line(&ps, line);
	if (nerr != 0)
		return -1;
	*p = tmp;
	return 0;
}
