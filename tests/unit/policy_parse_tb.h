/* policy_parse_tb.h -- the parser tests' bench: profiles parsed from memory
 * (an in-memory resolver for inherit), errors kept, the format/parse round
 * trip checked. */
#ifndef NATBOX_POLICY_PARSE_TB_H
#define NATBOX_POLICY_PARSE_TB_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "policy_tb.h"

#define SEC NS_PER_SEC
#define MS (NS_PER_SEC / 1000)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- an in-memory resolver ---- */

struct memfile {
	const char *name, *path, *text;
};

static inline int
mem_lookup(void *ctx, const char *name, const char **text, size_t *len,
    const char **path)
{
	const struct memfile *f = ctx;

	for (; f != NULL && f->name != NULL; f++)
		if (strcmp(f->name, name) == 0) {
			*text = f->text;
			*len = strlen(f->text);
			*path = f->path;
			return 0;
		}
	return -1;
}

static struct policy_errors errs;

static inline int
parse_with(struct policy *p, const char *path, const char *text,
    const struct memfile *files)
{
	struct policy_resolver res = { mem_lookup, NULL };

	res.ctx = (void *)(uintptr_t)files;
	memset(&errs, 0, sizeof(errs));
	return policy_parse(p, path, text, strlen(text), files ? &res : NULL, &errs);
}

static inline int
parse(struct policy *p, const char *text)
{
	return parse_with(p, "t.profile", text, NULL);
}

/* format -> parse -> same policy, and format -> parse -> format gives the
 * same text. */
static inline void
assert_round_trip(const struct policy *p)
{
	char a[8192], b[8192];
	struct policy q;
	size_t n;

	n = policy_format(p, a, sizeof(a));
	ck_assert_uint_lt(n, sizeof(a));
	ck_assert_uint_eq(n, strlen(a));
	memset(&errs, 0, sizeof(errs));
	if (policy_parse(&q, "fmt", a, n, NULL, &errs) != 0)
		ck_abort_msg("format output does not parse: %s\n%s", errs.msg[0], a);
	assert_same_policy(p, &q);
	policy_format(&q, b, sizeof(b));
	ck_assert_str_eq(a, b);
}

#endif
