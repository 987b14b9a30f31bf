/* policy_value.c -- a profile's values: durations, numbers, probabilities, names (no I/O). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_int.h"

/* Enum names as spelled in files; designated so they never drift. */
const char *const policy_refresh_names[] = {
	[REFRESH_ANY] = "any", [REFRESH_ORIG] = "orig",
	[REFRESH_REPLY] = "reply", [REFRESH_NONE] = "none",
};
const char *const policy_hc_names[] = {
	[HC_FIRST_FIN] = "first_fin", [HC_FIN_ACKED] = "fin_acked",
	[HC_BOTH_FINS] = "both_fins",
};
const char *const policy_expire_names[] = {
	[EXPIRE_DROP] = "drop", [EXPIRE_RESET] = "reset",
};
const char *const policy_late_names[] = {
	[LATE_PICKUP] = "pickup", [LATE_DROP] = "drop",
	[LATE_RESET_SENDER] = "reset-sender",
};
const char *const policy_reopen_names[] = {
	[REOPEN_ALLOW] = "allow", [REOPEN_DROP] = "drop",
};
const char *const policy_bad_names[] = {
	[BAD_ACCEPT] = "accept", [BAD_DROP] = "drop",
};
const char *const policy_full_names[] = {
	[FULL_DROP] = "drop", [FULL_EVICT] = "evict", [FULL_EARLY_DROP] = "early_drop",
};
const char *const policy_onoff_names[] = { "off", "on" };
const char *const policy_pass_names[] = { [BAD_ACCEPT] = "pass", [BAD_DROP] = "drop" };
const char *const policy_fault_names[] = {
	[FAULT_DROP_RST_ORIG] = "drop_rst_orig",
	[FAULT_DROP_RST_REPLY] = "drop_rst_reply",
	[FAULT_DROP_FIN_ACK] = "drop_fin_ack",
	[FAULT_DROP_FIRST_FIN] = "drop_first_fin",
	[FAULT_DROP_SECOND_FIN] = "drop_second_fin",
};

/* ---- durations ---- */

/* *n = *n * 10 + digit, or -1 on overflow. */
static int
mul10_add(uint64_t *n, int digit)
{
	if (*n > UINT64_MAX / 10 || *n * 10 > UINT64_MAX - (uint64_t)digit)
		return -1;
	*n = *n * 10 + (uint64_t)digit;
	return 0;
}

static const struct {
	const char *unit;
	uint64_t ns;
} units[] = {
	{ "d", 86400 * SEC }, { "h", 3600 * SEC }, { "m", 60 * SEC },
	{ "s", SEC }, { "ms", MS },
};

/* Returns NULL, or why the text is not a duration. */
static const char *
duration_parse(const char *s, uint64_t *ns)
{
	const char *p = s;
	uint64_t total = 0;
	int last = -1;

	if (*p == '\0')
		return "invalid duration";
	while (*p != '\0') {
		uint64_t n = 0;
		size_t ulen = 0;
		int u = -1;

		if (!isdigit((unsigned char)*p))
			return "invalid duration";
		for (; isdigit((unsigned char)*p); p++)
			if (mul10_add(&n, *p - '0') != 0)
				return "duration too large";
		while (isalpha((unsigned char)p[ulen]))
			ulen++;
		if (ulen == 0)
			return *p == '\0' ? "duration needs a unit" :
			    "invalid duration";
		for (size_t i = 0; i < NELEM(units); i++)
			if (strlen(units[i].unit) == ulen &&
			    strncmp(p, units[i].unit, ulen) == 0)
				u = (int)i;
		if (u < 0)
			return "unknown duration unit (use d, h, m, s, ms)";
		if (u <= last)
			return "duration units must go from largest to smallest, each once";
		if (n > UINT64_MAX / units[u].ns ||
		    total > UINT64_MAX - n * units[u].ns)
			return "duration too large";
		total += n * units[u].ns;
		last = u;
		p += ulen;
	}
	*ns = total;
	return NULL;
}

int
policy_parse_duration(const char *s, uint64_t *ns)
{
	uint64_t v;

	if (s == NULL || duration_parse(s, &v) != NULL)
		return -1;
	*ns = v;
	return 0;
}

/* Shortest spelling among those that give each unit either its greedy
 * count or nothing (32 candidates); ties go to the greedy one, so
 * 7440 s is "2h4m" rather than "124m". Values are whole milliseconds
 * (the parser's resolution); a sub-millisecond rest is dropped. */
void
policy_format_duration(uint64_t ns, char *buf, size_t cap)
{
	char best[128] = "0s", cand[128];
	size_t bestlen = SIZE_MAX;

	if (cap == 0)
		return;
	ns -= ns % MS;
	if (ns == 0) {
		snprintf(buf, cap, "0s");
		return;
	}
	for (unsigned skip = 0; skip < 32; skip++) {
		uint64_t rest = ns;
		size_t len = 0;

		for (size_t i = 0; i < NELEM(units); i++) {
			uint64_t c;

			if (skip & (1u << i))
				continue;
			c = rest / units[i].ns;
			rest -= c * units[i].ns;
			if (c != 0)
				len += (size_t)snprintf(cand + len, sizeof(cand) - len,
				    "%llu%s", (unsigned long long)c, units[i].unit);
		}
		if (rest == 0 && len < bestlen) {
			memcpy(best, cand, len + 1);
			bestlen = len;
		}
	}
	snprintf(buf, cap, "%s", best);
}

/* ---- values ---- */

int
pval_enum(struct parser *ps, const char *v, const char *const *names,
    size_t n)
{
	char list[128];
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
	policy_perr(ps, "expected %s: '%s'", list, v);
	return -1;
}

bool
pval_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	return true;
}

/* A duration within 0..365d. A zero state timeout would expire a flow
 * as it enters the state, which no device does, so only the keys where
 * 0 means "off" (unacknowledged, tombstone) take it. */
int
pval_duration(struct parser *ps, const char *v, bool zero_ok, uint64_t *ns)
{
	const char *why = duration_parse(v, ns);

	if (why != NULL) {
		policy_perr(ps, "%s: '%s'", why, v);
		return -1;
	}
	if (*ns > DUR_MAX) {
		policy_perr(ps, "duration out of range (at most 365d): '%s'", v);
		return -1;
	}
	if (*ns == 0 && !zero_ok) {
		policy_perr(ps, "timeout must be longer than 0s: '%s'", v);
		return -1;
	}
	return 0;
}

int
pval_uint(const char *v, uint64_t *out)
{
	uint64_t n = 0;

	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++)
		if (!isdigit((unsigned char)*v) || mul10_add(&n, *v - '0') != 0)
			return -1;
	*out = n;
	return 0;
}

/* "0.25", "1", "50%", "12.5%". Only plain decimals (and the exponent
 * form policy_format may print for tiny values); strtod does the
 * rounding, in the C locale the core assumes. */
int
pval_probability(struct parser *ps, const char *v, double *out)
{
	char *end;
	double d;

	if ((!isdigit((unsigned char)v[0]) && v[0] != '.') ||
	    strpbrk(v, "xX") != NULL)	/* no hex floats */
		goto bad;
	d = strtod(v, &end);
	if (end == v)
		goto bad;
	if (*end == '%') {
		end++;
		d /= 100.0;
	}
	if (*end != '\0')
		goto bad;
	if (!(d >= 0.0 && d <= 1.0)) {
		policy_perr(ps, "probability out of range 0..1: '%s'", v);
		return -1;
	}
	*out = d;
	return 0;
bad:
	policy_perr(ps, "expected a probability (0..1 or a percentage): '%s'", v);
	return -1;
}

/* "off" or "START%..END%" */
int
pval_adaptive(struct parser *ps, const char *v, uint16_t *start, uint16_t *end)
{
	unsigned long a, b;
	char *e;

	if (strcmp(v, "off") == 0) {
		*start = *end = 0;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		goto bad;
	a = strtoul(v, &e, 10);
	if (strncmp(e, "%..", 3) != 0 || !isdigit((unsigned char)e[3]))
		goto bad;
	b = strtoul(e + 3, &e, 10);
	if (strcmp(e, "%") != 0)
		goto bad;
	if (a < 1 || a > ADAPTIVE_MAX || b > ADAPTIVE_MAX) {
		policy_perr(ps, "adaptive percentages out of range 1..%u%%: '%s'",
		    ADAPTIVE_MAX, v);
		return -1;
	}
	if (b <= a) {
		policy_perr(ps, "adaptive end must be above start: '%s'", v);
		return -1;
	}
	*start = (uint16_t)a;
	*end = (uint16_t)b;
	return 0;
bad:
	policy_perr(ps, "expected off or START%%..END%% (e.g. 60%%..120%%): '%s'", v);
	return -1;
}

int
pval_string(struct parser *ps, const char *key, const char *v, size_t cap)
{
	if (strlen(v) >= cap) {
		policy_perr(ps, "value of '%s' too long (at most %zu characters)",
		    key, cap - 1);
		return -1;
	}
	return 0;
}
