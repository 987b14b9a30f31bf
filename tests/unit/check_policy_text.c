/* check_policy_text.c -- the profile parser's error messages, inherit, --set and the writers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_parse_tb.h"
#include "suites.h"

/* ---- error messages, exact ---- */

static const struct {
	const char *line, *msg;
} bad_lines[] = {
	{ "timeout.establshed = 5d", "unknown key 'timeout.establshed'" },
	{ "timeout.none = 5s", "unknown key 'timeout.none'" },
	{ "timeout.bogus = 5s", "unknown key 'timeout.bogus'" },
	{ "refresh.unacknowledged = any", "unknown key 'refresh.unacknowledged'" },
	{ "refresh.tombstone = any", "unknown key 'refresh.tombstone'" },
	{ "fault.drop_everything = 1", "unknown key 'fault.drop_everything'" },
	{ "Name = x", "unknown key 'Name'" },
	{ "timeout.established = 30", "duration needs a unit: '30'" },
	{ "timeout.established = 2h30", "duration needs a unit: '2h30'" },
	{ "timeout.established = 5sec",
	  "unknown duration unit (use d, h, m, s, ms): '5sec'" },
	{ "timeout.established = 30s1m",
	  "duration units must go from largest to smallest, each once: '30s1m'" },
	{ "timeout.established = 1s1s",
	  "duration units must go from largest to smallest, each once: '1s1s'" },
	{ "timeout.established = 1.5s", "invalid duration: '1.5s'" },
	{ "timeout.established = -1s", "invalid duration: '-1s'" },
	{ "timeout.established = 2h 4m", "invalid duration: '2h 4m'" },
	{ "timeout.established = 99999999999999999999s",
	  "duration too large: '99999999999999999999s'" },
	{ "timeout.established = 400d",
	  "duration out of range (at most 365d): '400d'" },
	{ "timeout.tombstone = 366d",
	  "duration out of range (at most 365d): '366d'" },
	{ "timeout.established = 0s", "timeout must be longer than 0s: '0s'" },
	{ "timeout.opening = 0ms", "timeout must be longer than 0s: '0ms'" },
	{ "refresh.established = sometimes",
	  "expected any, orig, reply or none: 'sometimes'" },
	{ "refresh.half_closed = ANY", "expected any, orig, reply or none: 'ANY'" },
	{ "half_closed.start = second_fin",
	  "expected first_fin, fin_acked or both_fins: 'second_fin'" },
	{ "expire.action = rst", "expected drop or reset: 'rst'" },
	{ "expire.later = reset", "expected pickup, drop or reset-sender: 'reset'" },
	{ "unknown.action = accept",
	  "expected pickup, drop or reset-sender: 'accept'" },
	{ "timewait.reopen = yes", "expected allow or drop: 'yes'" },
	{ "invalid.action = reject", "expected accept or drop: 'reject'" },
	{ "malformed.action = pickup", "expected accept or drop: 'pickup'" },
	{ "tracking.window = yes", "expected off or on: 'yes'" },
	{ "table.full = lru", "expected drop, evict or early_drop: 'lru'" },
	{ "fault.drop_rst_orig = 1.5", "probability out of range 0..1: '1.5'" },
	{ "fault.drop_rst_reply = 150%", "probability out of range 0..1: '150%'" },
	{ "fault.drop_fin_ack = abc",
	  "expected a probability (0..1 or a percentage): 'abc'" },
	{ "fault.drop_first_fin = -0.5",
	  "expected a probability (0..1 or a percentage): '-0.5'" },
	{ "fault.drop_second_fin = 50 %",
	  "expected a probability (0..1 or a percentage): '50 %'" },
	{ "fault.drop_second_fin = 0x1p-1",
	  "expected a probability (0..1 or a percentage): '0x1p-1'" },
	{ "fault.drop_second_fin = nan",
	  "expected a probability (0..1 or a percentage): 'nan'" },
	{ "fault.seed = x", "expected an integer 0..18446744073709551615: 'x'" },
	{ "fault.seed = -1", "expected an integer 0..18446744073709551615: '-1'" },
	{ "fault.seed = 18446744073709551616",
	  "expected an integer 0..18446744073709551615: '18446744073709551616'" },
	{ "table.max_flows = 0", "expected an integer 1..16777216: '0'" },
	{ "table.max_flows = 16777217", "expected an integer 1..16777216: '16777217'" },
	{ "table.max_flows = 1k", "expected an integer 1..16777216: '1k'" },
	{ "table.adaptive = 120%..60%", "adaptive end must be above start: '120%..60%'" },
	{ "table.adaptive = 60%..60%", "adaptive end must be above start: '60%..60%'" },
	{ "table.adaptive = 60..120",
	  "expected off or START%..END% (e.g. 60%..120%): '60..120'" },
	{ "table.adaptive = on",
	  "expected off or START%..END% (e.g. 60%..120%): 'on'" },
	{ "table.adaptive = 0%..50%",
	  "adaptive percentages out of range 1..1000%: '0%..50%'" },
	{ "table.adaptive = 60%..1001%",
	  "adaptive percentages out of range 1..1000%: '60%..1001%'" },
	{ "name = a b", "invalid name (letters, digits, '.', '_', '-'): 'a b'" },
	{ "name = a/b", "invalid name (letters, digits, '.', '_', '-'): 'a/b'" },
	{ "timeout.established 5d", "missing '=': 'timeout.established 5d'" },
	/* a file that is not a profile: its lines are not echoed back */
	{ "root:*:20228:0:99999:7:::", "not a key = value line (is this a profile?)" },
	{ "root:$6$salt$hash = x", "not a profile key (is this a profile?)" },
	{ "timeout.established =", "empty value for 'timeout.established'" },
	{ "timeout.close =   # only a comment", "empty value for 'timeout.close'" },
	{ "= 5d", "missing key before '='" },
	{ "inherit = nope", "unknown profile in inherit: 'nope'" },
	{ "inherit = ../x", "invalid profile name in inherit: '../x'" },
	{ "name = a\001b", "control character 0x01 in line" },
	{ "name = a\rb", "control character 0x0d in line" },
};

START_TEST(error_message)
{
	char text[256];
	struct policy p;

	policy_defaults(&p);
	snprintf(text, sizeof(text), "# first line\n%s\n", bad_lines[_i].line);
	ck_assert_int_eq(parse(&p, text), -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0] + strlen("t.profile:2: "), bad_lines[_i].msg);
	ck_assert_int_eq(strncmp(errs.msg[0], "t.profile:2: ", 13), 0);
	/* the same through --set (inherit is refused there) */
	if (strncmp(bad_lines[_i].line, "inherit", 7) != 0 &&
	    strchr(bad_lines[_i].line, '=') != NULL &&
	    strchr(bad_lines[_i].line, '#') == NULL) {
		char want[256];

		memset(&errs, 0, sizeof(errs));
		ck_assert_int_eq(policy_set(&p, "--set", bad_lines[_i].line, &errs), -1);
		ck_assert_uint_eq(errs.count, 1);
		snprintf(want, sizeof(want), "--set: %s", bad_lines[_i].msg);
		ck_assert_str_eq(errs.msg[0], want);
	}
}
END_TEST

START_TEST(error_too_long)
{
	char text[2048];
	struct policy p;

	memset(text, 'x', sizeof(text));
	memcpy(text, "description = ", 14);
	text[14 + 256] = '\n';
	text[14 + 256 + 1] = '\0';
	ck_assert_int_eq(parse(&p, text), -1);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:1: value of 'description' too long (at most 255 characters)");
	memcpy(text, "source = ", 9);
	memset(text + 9, 'y', 512);
	text[9 + 512] = '\0';
	ck_assert_int_eq(parse(&p, text), -1);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:1: value of 'source' too long (at most 511 characters)");
	memcpy(text, "name = ", 7);
	memset(text + 7, 'n', 64);
	text[7 + 64] = '\0';
	ck_assert_int_eq(parse(&p, text), -1);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:1: value of 'name' too long (at most 63 characters)");
	/* exactly at the limits is fine */
	text[7 + 63] = '\0';
	ck_assert_int_eq(parse(&p, text), 0);
	/* a line longer than the line buffer */
	memset(text, 'z', 1500);
	memcpy(text, "source = ", 9);
	memcpy(text + 1500, "\ntimeout.close = 1\n", 20);
	ck_assert_int_eq(parse(&p, text), -1);
	ck_assert_uint_eq(errs.count, 2);
	ck_assert_str_eq(errs.msg[0], "t.profile:1: line too long (at most 1023 characters)");
	ck_assert_str_eq(errs.msg[1], "t.profile:2: duration needs a unit: '1'");
}
END_TEST

START_TEST(error_nul_byte)
{
	static const char text[] = "name = a\0b\ntimeout.close = x\n";
	struct policy p;

	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(policy_parse(&p, "t", text, sizeof(text) - 1, NULL, &errs), -1);
	ck_assert_uint_eq(errs.count, 2);
	ck_assert_str_eq(errs.msg[0], "t:1: NUL byte in line");
	ck_assert_str_eq(errs.msg[1], "t:2: invalid duration: 'x'");
}
END_TEST

START_TEST(error_duplicate)
{
	struct policy p;

	ck_assert_int_eq(parse(&p,
	    "timeout.established = 5d\n"
	    "\n"
	    "timeout.established = 1d\n"
	    "refresh.opening = none\n"
	    "refresh.opening = any\n"
	    "name = a\n"
	    "name = b\n"
	    "timeout.opening = 30s\n"	/* a group and a member are two keys */
	    "timeout.syn_sent = 1m\n"), -1);
	ck_assert_uint_eq(errs.count, 3);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:3: duplicate key 'timeout.established' (first set on line 1)");
	ck_assert_str_eq(errs.msg[1],
	    "t.profile:5: duplicate key 'refresh.opening' (first set on line 4)");
	ck_assert_str_eq(errs.msg[2],
	    "t.profile:7: duplicate key 'name' (first set on line 6)");
	/* a bad first value still counts as set */
	ck_assert_int_eq(parse(&p, "timeout.close = 1\ntimeout.close = 1s\n"), -1);
	ck_assert_uint_eq(errs.count, 2);
	ck_assert_str_eq(errs.msg[1],
	    "t.profile:2: duplicate key 'timeout.close' (first set on line 1)");
}
END_TEST

/* One pass: five bad lines among good ones give five messages, in order,
 * with their own line numbers. */
START_TEST(errors_all_in_one_pass)
{
	struct policy p;

	policy_defaults(&p);
	ck_assert_int_eq(parse(&p,
	    "name = five\n"				/* 1 */
	    "# comment\n"				/* 2 */
	    "timeout.establshed = 5d\n"		/* 3 */
	    "timeout.close = 10s\n"			/* 4 */
	    "timeout.established = 30\n"		/* 5 */
	    "\n"					/* 6 */
	    "refresh.established = sometimes\n"	/* 7 */
	    "tracking.window on\n"			/* 8 */
	    "expire.action = drop\n"			/* 9 */
	    "table.max_flows = 0\n"),			/* 10 */
	    -1);
	ck_assert_uint_eq(errs.count, 5);
	ck_assert_str_eq(errs.msg[0], "t.profile:3: unknown key 'timeout.establshed'");
	ck_assert_str_eq(errs.msg[1], "t.profile:5: duration needs a unit: '30'");
	ck_assert_str_eq(errs.msg[2],
	    "t.profile:7: expected any, orig, reply or none: 'sometimes'");
	ck_assert_str_eq(errs.msg[3], "t.profile:8: missing '=': 'tracking.window on'");
	ck_assert_str_eq(errs.msg[4], "t.profile:10: expected an integer 1..16777216: '0'");
	/* the target is untouched by a failed parse */
	ck_assert_str_eq(p.name, "default");
}
END_TEST

START_TEST(errors_keep_first_32)
{
	char text[4096];
	size_t n = 0;
	struct policy p;

	for (int i = 1; i <= 40; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "bad%d = 1\n", i);
	ck_assert_int_eq(parse(&p, text), -1);
	ck_assert_uint_eq(errs.count, 40);
	ck_assert_str_eq(errs.msg[0], "t.profile:1: unknown key 'bad1'");
	ck_assert_str_eq(errs.msg[31], "t.profile:32: unknown key 'bad32'");
	/* no room for errors at all: still -1 */
	ck_assert_int_eq(policy_parse(&p, "t", text, n, NULL, NULL), -1);
}
END_TEST

/* Errors accumulate in *errs across calls (profile_load_errs relies on it). */
START_TEST(errors_accumulate)
{
	struct policy p;

	ck_assert_int_eq(parse(&p, "x = 1\n"), -1);
	ck_assert_int_eq(policy_set(&p, "--set", "y=1", &errs), -1);
	ck_assert_uint_eq(errs.count, 2);
	ck_assert_str_eq(errs.msg[1], "--set: unknown key 'y'");
}
END_TEST

/* ---- inherit ---- */

static const struct memfile family[] = {
	{ "base", "mem/base.profile",
	  "name = base\n"
	  "description = the base\n"
	  "source = here\n"
	  "timeout.established = 1h\n"
	  "timeout.close = 5s\n"
	  "unknown.action = drop\n" },
	{ "mid", "mem/mid.profile",
	  "name = mid\n"
	  "inherit = base\n"
	  "timeout.close = 6s\n"
	  "tracking.window = on\n" },
	{ "broken", "mem/broken.profile",
	  "name = broken\n"
	  "\n"
	  "timeout.close = soon\n" },
	{ "cyc-a", "mem/cyc-a.profile", "inherit = cyc-b\n" },
	{ "cyc-b", "mem/cyc-b.profile", "# b\ninherit = cyc-a\n" },
	{ "self", "mem/self.profile", "inherit = self\n" },
	{ "d1", "mem/d1.profile", "inherit = d2\n" },
	{ "d2", "mem/d2.profile", "inherit = d3\n" },
	{ "d3", "mem/d3.profile", "inherit = d4\n" },
	{ "d4", "mem/d4.profile", "inherit = d5\n" },
	{ "d5", "mem/d5.profile", "inherit = d6\n" },
	{ "d6", "mem/d6.profile", "inherit = d7\n" },
	{ "d7", "mem/d7.profile", "inherit = d8\n" },
	{ "d8", "mem/d8.profile", "timeout.close = 8s\n" },
	{ "d9", "mem/d9.profile", "inherit = d1\n" },
	{ NULL, NULL, NULL },
};

START_TEST(inherit_chain)
{
	struct policy p;

	ck_assert_int_eq(parse_with(&p, "mem/kid.profile",
	    "name = kid\n"
	    "description = a kid\n"
	    "inherit = mid   # the middle one\n"
	    "source = mine\n"
	    "timeout.fin_wait = 7s\n", family), 0);
	ck_assert_str_eq(p.name, "kid");
	ck_assert_str_eq(p.description, "a kid");
	ck_assert_str_eq(p.source, "mine");
	ck_assert_str_eq(p.inherit, "mid");
	ck_assert_uint_eq(p.timeout[TCP_ESTABLISHED], 3600 * SEC);	/* base */
	ck_assert_uint_eq(p.timeout[TCP_CLOSE], 6 * SEC);		/* mid */
	ck_assert_uint_eq(p.timeout[TCP_FIN_WAIT], 7 * SEC);		/* kid */
	ck_assert_uint_eq(p.timeout[TCP_SYN_SENT], 120 * SEC);	/* default */
	ck_assert_uint_eq(p.unknown_flow, LATE_DROP);
	ck_assert(p.window_tracking);
}
END_TEST

/* name, description and source belong to the file: not inherited. */
START_TEST(inherit_own_names)
{
	struct policy p;

	ck_assert_int_eq(parse_with(&p, "mem/plain.profile", "inherit = base\n",
	    family), 0);
	ck_assert_str_eq(p.name, "plain");
	ck_assert_str_eq(p.description, "");
	ck_assert_str_eq(p.source, "");
	ck_assert_str_eq(p.inherit, "base");
	ck_assert_uint_eq(p.timeout[TCP_ESTABLISHED], 3600 * SEC);
	/* the result formats and parses back without the inherit line */
	assert_round_trip(&p);
}
END_TEST

START_TEST(inherit_depth)
{
	struct policy p;

	/* kid -> d1 -> ... -> d8: eight levels, allowed */
	ck_assert_int_eq(parse_with(&p, "mem/kid.profile", "inherit = d1\n",
	    family), 0);
	ck_assert_uint_eq(p.timeout[TCP_CLOSE], 8 * SEC);
	/* kid -> d9 -> d1 -> ... -> d8: nine */
	ck_assert_int_eq(parse_with(&p, "mem/kid.profile", "inherit = d9\n",
	    family), -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0],
	    "mem/d7.profile:1: inherit chain deeper than 8 profiles");
}
END_TEST

START_TEST(inherit_cycle)
{
	struct policy p;

	ck_assert_int_eq(parse_with(&p, "mem/cyc-a.profile",
	    "inherit = cyc-b\n", family), -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0],
	    "mem/cyc-b.profile:2: inherit cycle: cyc-a -> cyc-b -> cyc-a");
	ck_assert_int_eq(parse_with(&p, "mem/self.profile", "inherit = self\n",
	    family), -1);
	ck_assert_str_eq(errs.msg[0], "mem/self.profile:1: inherit cycle: self -> self");
	/* a cycle further up the chain */
	ck_assert_int_eq(parse_with(&p, "mem/top.profile", "inherit = cyc-a\n",
	    family), -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0],
	    "mem/cyc-b.profile:2: inherit cycle: cyc-a -> cyc-b -> cyc-a");
}
END_TEST

START_TEST(inherit_errors)
{
	struct policy p;

	/* the parent's errors carry the parent's file and line */
	ck_assert_int_eq(parse_with(&p, "mem/kid.profile",
	    "inherit = broken\ntimeout.close = x\n", family), -1);
	ck_assert_uint_eq(errs.count, 2);
	ck_assert_str_eq(errs.msg[0], "mem/broken.profile:3: invalid duration: 'soon'");
	ck_assert_str_eq(errs.msg[1], "mem/kid.profile:2: invalid duration: 'x'");
	/* after a setting */
	ck_assert_int_eq(parse_with(&p, "mem/kid.profile",
	    "name = kid\ntimeout.close = 1s\ninherit = base\n", family), -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0],
	    "mem/kid.profile:3: inherit must come before other settings");
	/* twice */
	ck_assert_int_eq(parse_with(&p, "mem/kid.profile",
	    "inherit = base\ninherit = mid\n", family), -1);
	ck_assert_str_eq(errs.msg[0],
	    "mem/kid.profile:2: duplicate key 'inherit' (first set on line 1)");
	/* unknown, and with no resolver at all */
	ck_assert_int_eq(parse_with(&p, "mem/kid.profile", "inherit = zzz\n",
	    family), -1);
	ck_assert_str_eq(errs.msg[0], "mem/kid.profile:1: unknown profile in inherit: 'zzz'");
	ck_assert_int_eq(parse_with(&p, "mem/kid.profile", "inherit = base\n",
	    NULL), -1);
	ck_assert_str_eq(errs.msg[0], "mem/kid.profile:1: unknown profile in inherit: 'base'");
}
END_TEST

/* ---- --set ---- */

START_TEST(set_overrides)
{
	struct policy p;

	policy_defaults(&p);
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(policy_set(&p, "--set", "timeout.established=30s", &errs), 0);
	ck_assert_int_eq(policy_set(&p, "--set", " timeout.half_closed = 2s ", &errs), 0);
	ck_assert_int_eq(policy_set(&p, "--set", "refresh.half_closed=none", &errs), 0);
	ck_assert_int_eq(policy_set(&p, "--set", "fault.drop_rst_orig=50%", &errs), 0);
	ck_assert_int_eq(policy_set(&p, "--set", "name=lab", &errs), 0);
	ck_assert_int_eq(policy_set(&p, "--set", "description=scaled for the lab", &errs), 0);
	/* the same key twice on the command line: the later wins */
	ck_assert_int_eq(policy_set(&p, "--set", "timeout.established=40s", &errs), 0);
	ck_assert_uint_eq(p.timeout[TCP_ESTABLISHED], 40 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_FIN_WAIT], 2 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_CLOSE_WAIT], 2 * SEC);
	ck_assert_uint_eq(p.refresh[TCP_FIN_WAIT], REFRESH_NONE);
	ck_assert(p.fault[FAULT_DROP_RST_ORIG] == 0.5);
	ck_assert_str_eq(p.name, "lab");
	ck_assert_str_eq(p.description, "scaled for the lab");
}
END_TEST

START_TEST(set_errors)
{
	struct policy p, before;

	policy_defaults(&p);
	before = p;
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(policy_set(&p, "--set", "x=1", &errs), -1);
	ck_assert_int_eq(policy_set(&p, "--set", "timeout.established", &errs), -1);
	ck_assert_int_eq(policy_set(&p, "--set", "timeout.established=", &errs), -1);
	ck_assert_int_eq(policy_set(&p, "--set", "inherit=base", &errs), -1);
	ck_assert_int_eq(policy_set(&p, "ctl", "timeout.close=10", &errs), -1);
	ck_assert_int_eq(policy_set(&p, NULL, "timeout.close=10", &errs), -1);
	ck_assert_int_eq(policy_set(&p, "--set", "", &errs), -1);
	/* a comment is not a setting (it was accepted and did nothing) */
	ck_assert_int_eq(policy_set(&p, "--set", " #timeout.close=10s", &errs), -1);
	ck_assert_uint_eq(errs.count, 8);
	ck_assert_str_eq(errs.msg[0], "--set: unknown key 'x'");
	ck_assert_str_eq(errs.msg[1], "--set: expected key=value: 'timeout.established'");
	ck_assert_str_eq(errs.msg[2], "--set: empty value for 'timeout.established'");
	ck_assert_str_eq(errs.msg[3], "--set: inherit is only allowed in a profile file");
	ck_assert_str_eq(errs.msg[4], "ctl: duration needs a unit: '10'");
	ck_assert_str_eq(errs.msg[5], "--set: duration needs a unit: '10'");
	ck_assert_str_eq(errs.msg[6], "--set: expected key=value: ''");
	ck_assert_str_eq(errs.msg[7], "--set: expected key=value: ' #timeout.close=10s'");
	assert_same_policy(&p, &before);
}
END_TEST

/* ---- writers ---- */

START_TEST(format_round_trip)
{
	struct policy p;

	policy_defaults(&p);
	/* strings zero-filled, as the parser leaves them */
	memset(p.name, 0, sizeof(p.name));
	memset(p.description, 0, sizeof(p.description));
	memset(p.source, 0, sizeof(p.source));
	strcpy(p.name, "odd");
	strcpy(p.description, "has \"quotes\", a \\ and 100% #tags");
	strcpy(p.source, "x.html#frag");
	p.timeout[TCP_ESTABLISHED] = 7440 * SEC;
	p.timeout[TCP_CLOSE] = 250 * MS;
	p.unacknowledged = 0;
	p.tombstone = 5 * MS;
	p.refresh[TCP_LAST_ACK] = REFRESH_NONE;
	p.fault[FAULT_DROP_RST_ORIG] = 1.0 / 3.0;
	p.fault[FAULT_DROP_FIN_ACK] = 0.1;
	p.fault[FAULT_DROP_SECOND_FIN] = 1e-7;
	p.fault_seed = UINT64_MAX;
	p.adaptive_start = 60;
	p.adaptive_end = 120;
	assert_round_trip(&p);
}
END_TEST

START_TEST(format_text)
{
	char buf[8192];
	struct policy p;
	int lines = 0;

	policy_defaults(&p);
	policy_format(&p, buf, sizeof(buf));
	for (char *c = buf; *c != '\0'; c++)
		lines += *c == '\n';
	/* name, description, source, 9 + 6 + 2 timeouts, 9 + 6 refresh,
	 * 9 behaviours, 5 faults + seed, 3 table keys */
	ck_assert_int_eq(lines, 3 + 17 + 15 + 9 + 6 + 3);
	ck_assert_ptr_nonnull(strstr(buf, "name = default\n"));
	ck_assert_ptr_nonnull(strstr(buf, "timeout.syn_sent = 2m\ntimeout.syn_recv = 1m\n"
	    "timeout.established = 5d\n"));
	ck_assert_ptr_nonnull(strstr(buf, "timeout.unacknowledged = 5m\n"));
	ck_assert_ptr_nonnull(strstr(buf, "refresh.syn_sent2 = any\nrefresh.udp_unreplied = any\nrefresh.udp_replied = any\n"
	    "refresh.icmp = any\nrefresh.other = any\nrefresh.gre_unreplied = any\n"
	    "refresh.gre_replied = any\nhalf_closed.start = first_fin\n"));
	ck_assert_ptr_nonnull(strstr(buf, "fault.drop_rst_orig = 0\n"));
	ck_assert_ptr_nonnull(strstr(buf, "table.adaptive = off\n"));
	ck_assert_ptr_null(strstr(buf, "inherit"));
	/* empty strings are left out (an empty value would not parse) */
	memset(p.description, 0, sizeof(p.description));
	policy_format(&p, buf, sizeof(buf));
	ck_assert_ptr_null(strstr(buf, "description"));
	assert_round_trip(&p);
}
END_TEST

START_TEST(format_like_snprintf)
{
	char small[16], big[8192];
	struct policy p;
	size_t need;

	policy_defaults(&p);
	need = policy_format(&p, NULL, 0);
	ck_assert_uint_eq(policy_format(&p, big, sizeof(big)), need);
	ck_assert_uint_eq(strlen(big), need);
	ck_assert_uint_eq(policy_format(&p, small, sizeof(small)), need);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(strncmp(small, big, sizeof(small) - 1), 0);
	need = policy_format_json(&p, NULL, 0);
	ck_assert_uint_eq(policy_format_json(&p, big, sizeof(big)), need);
	ck_assert_uint_eq(strlen(big), need);
	ck_assert_uint_eq(policy_format_json(&p, small, sizeof(small)), need);
	ck_assert_str_eq(small, "{\"name\":\"defaul");
}
END_TEST

START_TEST(format_json)
{
	char buf[8192];
	struct policy p;

	policy_defaults(&p);
	strcpy(p.description, "say \"hi\"\\");
	p.timeout[TCP_CLOSE] = 250 * MS;
	p.fault[FAULT_DROP_RST_REPLY] = 0.5;
	p.window_tracking = true;
	p.adaptive_start = 60;
	p.adaptive_end = 120;
	policy_format_json(&p, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "{\"name\":\"default\",\"description\":"
	    "\"say \\\"hi\\\"\\\\\",\"source\":"));
	ck_assert_ptr_nonnull(strstr(buf, "\"timeouts\":{\"syn_sent\":120,"
	    "\"syn_recv\":60,\"established\":432000,\"fin_wait\":120,"
	    "\"close_wait\":60,\"last_ack\":30,\"time_wait\":120,\"close\":0.25,"
	    "\"syn_sent2\":120,\"udp_unreplied\":30,\"udp\":120,\"icmp\":30,"
	    "\"other\":600,\"gre_unreplied\":30,\"gre\":180,"
	    "\"unacknowledged\":300,\"tombstone\":120}"));
	ck_assert_ptr_nonnull(strstr(buf, "\"refresh\":{\"syn_sent\":\"any\","
	    "\"syn_recv\":\"any\",\"established\":\"any\",\"fin_wait\":\"any\","
	    "\"close_wait\":\"any\",\"last_ack\":\"any\",\"time_wait\":\"any\","
	    "\"close\":\"any\",\"syn_sent2\":\"any\",\"udp_unreplied\":\"any\","
	    "\"udp_replied\":\"any\",\"icmp\":\"any\",\"other\":\"any\","
	    "\"gre_unreplied\":\"any\",\"gre_replied\":\"any\"}"));
	ck_assert_ptr_nonnull(strstr(buf, "\"half_closed_start\":\"first_fin\","
	    "\"expire_action\":\"drop\",\"expire_later\":\"pickup\","
	    "\"unknown_action\":\"pickup\",\"timewait_reopen\":\"allow\","
	    "\"invalid\":\"accept\",\"malformed\":\"accept\",\"icmp_errors\":\"pass\","
	    "\"window_tracking\":true,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"faults\":{\"drop_rst_orig\":0,"
	    "\"drop_rst_reply\":0.5,\"drop_fin_ack\":0,\"drop_first_fin\":0,"
	    "\"drop_second_fin\":0},\"fault_seed\":1,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"table\":{\"max_flows\":262144,"
	    "\"full\":\"drop\",\"adaptive_start\":60,\"adaptive_end\":120},\"nat\":{\"on\":false,"));
	ck_assert_int_eq(buf[strlen(buf) - 1], '}');
	/* milliseconds and control characters */
	p.timeout[TCP_CLOSE] = 1 * MS;
	p.description[0] = '\t';
	policy_format_json(&p, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"close\":0.001,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"description\":\"\\u0009ay"));
}
END_TEST

Suite *
suite_policy_text(void)
{
	Suite *s = suite_create("policy_text");
	TCase *tc;

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, error_message, 0, NELEM(bad_lines));
	tcase_add_test(tc, error_too_long);
	tcase_add_test(tc, error_nul_byte);
	tcase_add_test(tc, error_duplicate);
	tcase_add_test(tc, errors_all_in_one_pass);
	tcase_add_test(tc, errors_keep_first_32);
	tcase_add_test(tc, errors_accumulate);
	suite_add_tcase(s, tc);

	tc = tcase_create("inherit");
	tcase_add_test(tc, inherit_chain);
	tcase_add_test(tc, inherit_own_names);
	tcase_add_test(tc, inherit_depth);
	tcase_add_test(tc, inherit_cycle);
	tcase_add_test(tc, inherit_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("set");
	tcase_add_test(tc, set_overrides);
	tcase_add_test(tc, set_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, format_round_trip);
	tcase_add_test(tc, format_text);
	tcase_add_test(tc, format_like_snprintf);
	tcase_add_test(tc, format_json);
	suite_add_tcase(s, tc);
	return s;
}
