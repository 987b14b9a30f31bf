/* fuzz_policy.c -- libFuzzer target: the profile parser on arbitrary text,
 * with an inherit resolver (two fixed parents, and "self", the input
 * itself: loops must be refused), and the show/parse round trip: a profile
 * that parses is printed (policy_format), parsed again, and must print
 * the same, as text and as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char parent_a[] =
    "name = a\ntimeout.established = 1h\nunknown.action = drop\ntracking.window = on\n"
    "fault.drop_rst_orig = 50%\ntable.full = evict\ntable.max_flows = 64\n";
static const char parent_b[] =
    "inherit = a\nname = b\nnat.outside = 203.0.113.100-203.0.113.101\n"
    "nat.mapping = address-dependent\nnat.port_reuse_delay = 2m\n";

struct src {
	const char *text;
	size_t len;
};

static int
lookup(void *ctx, const char *name, const char **text, size_t *len, const char **path)
{
	const struct src *self = ctx;

	if (strcmp(name, "a") == 0) {
		*text = parent_a;
		*len = sizeof(parent_a) - 1;
	} else if (strcmp(name, "b") == 0) {
		*text = parent_b;
		*len = sizeof(parent_b) - 1;
	} else if (strcmp(name, "self") == 0) {
		*text = self->text;
		*len = self->len;
	} else {
		return -1;
	}
	*path = name;
	return 0;
}

static char out1[1 << 16], out2[1 << 16];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src self = { (const char *)data, size };
	struct policy_resolver res = { lookup, &self };
	static struct policy p, q;
	static struct policy_errors errs;
	size_t n1, n2;

	memset(&errs, 0, sizeof(errs));
	if (policy_parse(&p, "fuzz", (const char *)data, size, &res, &errs) < 0) {
		if (errs.count == 0)
			abort();	/* a refusal always says why */
		return 0;
	}
	n1 = policy_format(&p, out1, sizeof(out1));
	if (n1 >= sizeof(out1))
		abort();
	memset(&errs, 0, sizeof(errs));
	if (policy_parse(&q, "round-trip", out1, n1, NULL, &errs) < 0) {
		fprintf(stderr, "printed profile does not parse: %s\n%s", errs.msg[0], out1);
		abort();
	}
	n2 = policy_format(&q, out2, sizeof(out2));
	if (n1 != n2 || memcmp(out1, out2, n1) != 0) {
		fprintf(stderr, "round trip differs:\n%s\n---\n%s", out1, out2);
		abort();
	}
	/* The printed profile is resolved: it has no inherit line, so the
	 * parent's name (informational, shown in JSON) does not come back. */
	memcpy(q.inherit, p.inherit, sizeof(q.inherit));
	n1 = policy_format_json(&p, out1, sizeof(out1));
	n2 = policy_format_json(&q, out2, sizeof(out2));
	if (n1 >= sizeof(out1) || n1 != n2 || memcmp(out1, out2, n1) != 0) {
		fprintf(stderr, "JSON round trip differs:\n%s\n---\n%s\n", out1, out2);
		abort();
	}
	return 0;
}
