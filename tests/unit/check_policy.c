/* check_policy.c -- the profile parser: durations, defaults, every key and value (policy_parse_tb.h: the bench). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_parse_tb.h"
#include "suites.h"

/* ---- durations ---- */

static const struct {
	const char *s;
	uint64_t ns;
} good_durations[] = {
	{ "7440s", 7440 * SEC }, { "2h4m", 7440 * SEC }, { "30s", 30 * SEC },
	{ "250ms", 250 * MS }, { "5d", 432000 * SEC }, { "1h30m15s", 5415 * SEC },
	{ "1m30s", 90 * SEC }, { "0s", 0 }, { "0ms", 0 }, { "1ms", MS },
	{ "1d2h3m4s5ms", (93784 * SEC) + 5 * MS }, { "1m5ms", 60 * SEC + 5 * MS },
	{ "007s", 7 * SEC }, { "213503d", 213503ULL * 86400 * SEC },
};

START_TEST(duration_valid)
{
	uint64_t ns = 12345;

	ck_assert_int_eq(policy_parse_duration(good_durations[_i].s, &ns), 0);
	ck_assert_uint_eq(ns, good_durations[_i].ns);
}
END_TEST

static const char *const bad_durations[] = {
	"", "30", "2h30", "30x", "5sec", "1s1s", "30s1m", "1m1h", "1ms1s",
	"-1s", "1.5s", "2h 4m", " 2h", "s", "h4m", "99999999999999999999s",
	"213504d", "1M", "1S", "1 s", "1s ", "1us", "1ns", "+1s", "0x10s",
};

START_TEST(duration_invalid)
{
	uint64_t ns = 12345;

	ck_assert_msg(policy_parse_duration(bad_durations[_i], &ns) == -1,
	    "'%s' parsed", bad_durations[_i]);
	ck_assert_uint_eq(ns, 12345);
}
END_TEST

static const struct {
	uint64_t ns;
	const char *s;
} formatted[] = {
	{ 7440 * SEC, "2h4m" }, { 0, "0s" }, { 432000 * SEC, "5d" },
	{ 250 * MS, "250ms" }, { 90 * SEC, "90s" }, { 120 * SEC, "2m" },
	{ 86400 * SEC, "1d" }, { 3600 * SEC, "1h" }, { 1500 * MS, "1500ms" },
	{ 350 * SEC, "350s" }, { 18000 * SEC, "5h" }, { 900 * SEC, "15m" },
	{ 30 * SEC, "30s" }, { SEC, "1s" }, { MS, "1ms" },
	{ 90000 * SEC, "25h" }, { 86401 * SEC, "1d1s" },
	{ 999999, "0s" },	/* below the millisecond resolution */
	{ 1500 * MS + 7, "1500ms" },
};

START_TEST(duration_format)
{
	char buf[64];

	policy_format_duration(formatted[_i].ns, buf, sizeof(buf));
	ck_assert_str_eq(buf, formatted[_i].s);
}
END_TEST

START_TEST(duration_format_small_buffer)
{
	char buf[3] = "xx";

	policy_format_duration(7440 * SEC, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2h");
	policy_format_duration(7440 * SEC, buf, 0);	/* writes nothing */
	ck_assert_str_eq(buf, "2h");
}
END_TEST

/* Every whole-millisecond value reads back; the spelling is never longer
 * than the plain greedy one. */
START_TEST(duration_round_trip)
{
	uint64_t x = 88172645463325252ULL;

	for (int i = 0; i < 20000; i++) {
		char buf[64];
		uint64_t v, back;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (i % 4) {
		case 0: v = (x % 1000) * MS; break;
		case 1: v = (x % 100000) * SEC; break;
		case 2: v = (x % (400ULL * 86400 * 1000)) * MS; break;
		default: v = (x % 1000) * 60 * SEC; break;
		}
		policy_format_duration(v, buf, sizeof(buf));
		ck_assert_msg(policy_parse_duration(buf, &back) == 0,
		    "%llu -> '%s' does not parse", (unsigned long long)v, buf);
		ck_assert_uint_eq(back, v);
	}
}
END_TEST

/* ---- defaults ---- */

START_TEST(defaults_are_linux)
{
	struct policy p;

	memset(&p, 0xa5, sizeof(p));
	policy_defaults(&p);
	ck_assert_str_eq(p.name, "default");
	ck_assert_uint_eq(p.timeout[TCP_SYN_SENT], 120 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_SYN_RECV], 60 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_ESTABLISHED], 432000 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_FIN_WAIT], 120 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_CLOSE_WAIT], 60 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_LAST_ACK], 30 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_TIME_WAIT], 120 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_CLOSE], 10 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_SYN_SENT2], 120 * SEC);
	for (int s = 0; s < TCP_STATE_MAX; s++)
		ck_assert_uint_eq(p.refresh[s], REFRESH_ANY);
	ck_assert_uint_eq(p.unacknowledged, 300 * SEC);
	ck_assert_uint_eq(p.tombstone, 120 * SEC);
	ck_assert_uint_eq(p.half_close_start, HC_FIRST_FIN);
	ck_assert_uint_eq(p.expire_action, EXPIRE_DROP);
	ck_assert_uint_eq(p.after_expiry, LATE_PICKUP);
	ck_assert_uint_eq(p.unknown_flow, LATE_PICKUP);
	ck_assert_uint_eq(p.timewait_reopen, REOPEN_ALLOW);
	ck_assert_uint_eq(p.invalid, BAD_ACCEPT);
	ck_assert_uint_eq(p.malformed, BAD_ACCEPT);
	ck_assert(!p.window_tracking);
	for (int f = 0; f < FAULT__MAX; f++)
		ck_assert(p.fault[f] == 0.0);
	ck_assert_uint_eq(p.fault_seed, 1);
	ck_assert_uint_eq(p.max_flows, 262144);
	ck_assert_uint_eq(p.table_full, FULL_DROP);
	ck_assert_uint_eq(p.adaptive_start, 0);
	ck_assert_uint_eq(p.adaptive_end, 0);
	assert_round_trip(&p);
}
END_TEST

START_TEST(empty_file_is_defaults)
{
	struct policy p, d;

	ck_assert_int_eq(parse_with(&p, "dir/empty.profile", "", NULL), 0);
	ck_assert_uint_eq(errs.count, 0);
	policy_defaults(&d);
	/* name from the file name; no description or source of its own */
	ck_assert_str_eq(p.name, "empty");
	ck_assert_str_eq(p.description, "");
	ck_assert_str_eq(p.source, "");
	ck_assert_mem_eq(p.timeout, d.timeout, sizeof(d.timeout));
	ck_assert_uint_eq(p.max_flows, d.max_flows);
	ck_assert_int_eq(policy_parse(&p, NULL, NULL, 0, NULL, NULL), 0);
}
END_TEST

/* ---- keys ---- */

START_TEST(every_key)
{
	static const char text[] =
	    "name = every-key_1.0\n"
	    "description = a \"quoted\" one-liner\n"
	    "source = https://example.org/doc.html#part, and more\n"
	    "timeout.syn_sent = 1s\n"
	    "timeout.syn_recv = 2s\n"
	    "timeout.established = 3s\n"
	    "timeout.fin_wait = 4s\n"
	    "timeout.close_wait = 5s\n"
	    "timeout.last_ack = 6s\n"
	    "timeout.time_wait = 7s\n"
	    "timeout.close = 8s\n"
	    "timeout.syn_sent2 = 9s\n"
	    "timeout.unacknowledged = 0s\n"
	    "timeout.tombstone = 250ms\n"
	    "refresh.syn_sent = orig\n"
	    "refresh.syn_recv = reply\n"
	    "refresh.established = none\n"
	    "refresh.fin_wait = orig\n"
	    "refresh.close_wait = reply\n"
	    "refresh.last_ack = none\n"
	    "refresh.time_wait = orig\n"
	    "refresh.close = reply\n"
	    "refresh.syn_sent2 = none\n"
	    "half_closed.start = both_fins\n"
	    "expire.action = reset\n"
	    "expire.later = reset-sender\n"
	    "unknown.action = drop\n"
	    "timewait.reopen = drop\n"
	    "invalid.action = drop\n"
	    "malformed.action = drop\n"
	    "tracking.window = on\n"
	    "fault.drop_rst_orig = 0.5\n"
	    "fault.drop_rst_reply = 25%\n"
	    "fault.drop_fin_ack = 1\n"
	    "fault.drop_first_fin = 12.5%\n"
	    "fault.drop_second_fin = 0.001\n"
	    "fault.seed = 18446744073709551615\n"
	    "table.max_flows = 16777216\n"
	    "table.full = evict\n"
	    "table.adaptive = 60%..120%\n";
	struct policy p;

	ck_assert_int_eq(parse(&p, text), 0);
	ck_assert_str_eq(p.name, "every-key_1.0");
	ck_assert_str_eq(p.description, "a \"quoted\" one-liner");
	ck_assert_str_eq(p.source, "https://example.org/doc.html#part, and more");
	for (unsigned s = 1; s < TCP_STATE_MAX; s++)
		ck_assert_uint_eq(p.timeout[s], s * SEC);
	ck_assert_uint_eq(p.unacknowledged, 0);
	ck_assert_uint_eq(p.tombstone, 250 * MS);
	ck_assert_uint_eq(p.refresh[TCP_SYN_SENT], REFRESH_ORIG);
	ck_assert_uint_eq(p.refresh[TCP_SYN_RECV], REFRESH_REPLY);
	ck_assert_uint_eq(p.refresh[TCP_ESTABLISHED], REFRESH_NONE);
	ck_assert_uint_eq(p.refresh[TCP_FIN_WAIT], REFRESH_ORIG);
	ck_assert_uint_eq(p.refresh[TCP_CLOSE_WAIT], REFRESH_REPLY);
	ck_assert_uint_eq(p.refresh[TCP_LAST_ACK], REFRESH_NONE);
	ck_assert_uint_eq(p.refresh[TCP_TIME_WAIT], REFRESH_ORIG);
	ck_assert_uint_eq(p.refresh[TCP_CLOSE], REFRESH_REPLY);
	ck_assert_uint_eq(p.refresh[TCP_SYN_SENT2], REFRESH_NONE);
	ck_assert_uint_eq(p.half_close_start, HC_BOTH_FINS);
	ck_assert_uint_eq(p.expire_action, EXPIRE_RESET);
	ck_assert_uint_eq(p.after_expiry, LATE_RESET_SENDER);
	ck_assert_uint_eq(p.unknown_flow, LATE_DROP);
	ck_assert_uint_eq(p.timewait_reopen, REOPEN_DROP);
	ck_assert_uint_eq(p.invalid, BAD_DROP);
	ck_assert_uint_eq(p.malformed, BAD_DROP);
	ck_assert(p.window_tracking);
	ck_assert(p.fault[FAULT_DROP_RST_ORIG] == 0.5);
	ck_assert(p.fault[FAULT_DROP_RST_REPLY] == 0.25);
	ck_assert(p.fault[FAULT_DROP_FIN_ACK] == 1.0);
	ck_assert(p.fault[FAULT_DROP_FIRST_FIN] == 0.125);
	ck_assert(p.fault[FAULT_DROP_SECOND_FIN] == 0.001);
	ck_assert_uint_eq(p.fault_seed, UINT64_MAX);
	ck_assert_uint_eq(p.max_flows, 16777216);
	ck_assert_uint_eq(p.table_full, FULL_EVICT);
	ck_assert_uint_eq(p.adaptive_start, 60);
	ck_assert_uint_eq(p.adaptive_end, 120);
	ck_assert_str_eq(p.inherit, "");
	assert_round_trip(&p);
}
END_TEST

START_TEST(groups)
{
	struct policy p;

	ck_assert_int_eq(parse(&p,
	    "timeout.opening = 11s\n"
	    "timeout.half_closed = 12s\n"
	    "timeout.closing = 13s\n"
	    "refresh.opening = orig\n"
	    "refresh.half_closed = none\n"
	    "refresh.closing = reply\n"), 0);
	ck_assert_uint_eq(p.timeout[TCP_SYN_SENT], 11 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_SYN_SENT2], 11 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_SYN_RECV], 11 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_FIN_WAIT], 12 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_CLOSE_WAIT], 12 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_LAST_ACK], 13 * SEC);
	ck_assert_uint_eq(p.refresh[TCP_SYN_SENT], REFRESH_ORIG);
	ck_assert_uint_eq(p.refresh[TCP_SYN_SENT2], REFRESH_ORIG);
	ck_assert_uint_eq(p.refresh[TCP_SYN_RECV], REFRESH_ORIG);
	ck_assert_uint_eq(p.refresh[TCP_FIN_WAIT], REFRESH_NONE);
	ck_assert_uint_eq(p.refresh[TCP_CLOSE_WAIT], REFRESH_NONE);
	ck_assert_uint_eq(p.refresh[TCP_LAST_ACK], REFRESH_REPLY);
	/* untouched by any group */
	ck_assert_uint_eq(p.timeout[TCP_ESTABLISHED], 432000 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_TIME_WAIT], 120 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_CLOSE], 10 * SEC);
	ck_assert_uint_eq(p.refresh[TCP_ESTABLISHED], REFRESH_ANY);
	ck_assert_uint_eq(p.refresh[TCP_TIME_WAIT], REFRESH_ANY);
	ck_assert_uint_eq(p.refresh[TCP_CLOSE], REFRESH_ANY);
}
END_TEST

/* A group, then one of its members: later lines win. */
START_TEST(group_then_member)
{
	struct policy p;

	ck_assert_int_eq(parse(&p, "timeout.opening = 30s\ntimeout.syn_sent = 2m\n"), 0);
	ck_assert_uint_eq(p.timeout[TCP_SYN_SENT], 120 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_SYN_RECV], 30 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_SYN_SENT2], 30 * SEC);
}
END_TEST

/* Every value of every enum key, through --set. */
static const struct {
	const char *kv;
	size_t off;
	unsigned want;
} enum_values[] = {
#define E(kv, field, v) { kv, offsetof(struct policy, field), v }
	E("half_closed.start=first_fin", half_close_start, HC_FIRST_FIN),
	E("half_closed.start=fin_acked", half_close_start, HC_FIN_ACKED),
	E("half_closed.start=both_fins", half_close_start, HC_BOTH_FINS),
	E("expire.action=drop", expire_action, EXPIRE_DROP),
	E("expire.action=reset", expire_action, EXPIRE_RESET),
	E("expire.later=pickup", after_expiry, LATE_PICKUP),
	E("expire.later=drop", after_expiry, LATE_DROP),
	E("expire.later=reset-sender", after_expiry, LATE_RESET_SENDER),
	E("unknown.action=pickup", unknown_flow, LATE_PICKUP),
	E("unknown.action=drop", unknown_flow, LATE_DROP),
	E("unknown.action=reset-sender", unknown_flow, LATE_RESET_SENDER),
	E("timewait.reopen=allow", timewait_reopen, REOPEN_ALLOW),
	E("timewait.reopen=drop", timewait_reopen, REOPEN_DROP),
	E("invalid.action=accept", invalid, BAD_ACCEPT),
	E("invalid.action=drop", invalid, BAD_DROP),
	E("malformed.action=accept", malformed, BAD_ACCEPT),
	E("malformed.action=drop", malformed, BAD_DROP),
	E("tracking.window=off", window_tracking, 0),
	E("tracking.window=on", window_tracking, 1),
	E("table.full=drop", table_full, FULL_DROP),
	E("table.full=evict", table_full, FULL_EVICT),
	E("refresh.established=any", refresh[TCP_ESTABLISHED], REFRESH_ANY),
	E("refresh.established=orig", refresh[TCP_ESTABLISHED], REFRESH_ORIG),
	E("refresh.established=reply", refresh[TCP_ESTABLISHED], REFRESH_REPLY),
	E("refresh.established=none", refresh[TCP_ESTABLISHED], REFRESH_NONE),
#undef E
};

START_TEST(enum_value)
{
	struct policy p;
	const uint8_t *field;

	policy_defaults(&p);
	/* start from a value different from the wanted one */
	field = (const uint8_t *)&p + enum_values[_i].off;
	memset((uint8_t *)&p + enum_values[_i].off,
	    enum_values[_i].want == 0 ? 1 : 0, 1);
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(policy_set(&p, "--set", enum_values[_i].kv, &errs), 0);
	ck_assert_uint_eq(*field, enum_values[_i].want);
	assert_round_trip(&p);
}
END_TEST

START_TEST(enum_names)
{
	ck_assert_str_eq(refresh_rule_name(REFRESH_ANY), "any");
	ck_assert_str_eq(refresh_rule_name(REFRESH_ORIG), "orig");
	ck_assert_str_eq(refresh_rule_name(REFRESH_REPLY), "reply");
	ck_assert_str_eq(refresh_rule_name(REFRESH_NONE), "none");
	ck_assert_str_eq(refresh_rule_name(99), "?");
	ck_assert_str_eq(late_action_name(LATE_PICKUP), "pickup");
	ck_assert_str_eq(late_action_name(LATE_DROP), "drop");
	ck_assert_str_eq(late_action_name(LATE_RESET_SENDER), "reset-sender");
	ck_assert_str_eq(late_action_name(3), "?");
}
END_TEST

START_TEST(values)
{
	struct policy p;

	ck_assert_int_eq(parse(&p,
	    "fault.drop_rst_orig = 0\n"
	    "fault.drop_rst_reply = 100%\n"
	    "fault.drop_fin_ack = .5\n"
	    "fault.drop_first_fin = 0%\n"
	    "fault.drop_second_fin = 1e-07\n"
	    "fault.seed = 0\n"
	    "table.max_flows = 1\n"
	    "table.adaptive = off\n"), 0);
	ck_assert(p.fault[FAULT_DROP_RST_ORIG] == 0.0);
	ck_assert(p.fault[FAULT_DROP_RST_REPLY] == 1.0);
	ck_assert(p.fault[FAULT_DROP_FIN_ACK] == 0.5);
	ck_assert(p.fault[FAULT_DROP_FIRST_FIN] == 0.0);
	ck_assert(p.fault[FAULT_DROP_SECOND_FIN] == 1e-7);
	ck_assert_uint_eq(p.fault_seed, 0);
	ck_assert_uint_eq(p.max_flows, 1);
	ck_assert_uint_eq(p.adaptive_start, 0);
	ck_assert_uint_eq(p.adaptive_end, 0);
	ck_assert_int_eq(parse(&p, "table.adaptive = 1%..1000%\n"), 0);
	ck_assert_uint_eq(p.adaptive_start, 1);
	ck_assert_uint_eq(p.adaptive_end, 1000);
	ck_assert_int_eq(parse(&p, "timeout.established = 365d\n"), 0);
	ck_assert_uint_eq(p.timeout[TCP_ESTABLISHED], 365ULL * 86400 * SEC);
}
END_TEST

/* Comments, blanks, CRLF, spaces: the syntax around the values. */
START_TEST(syntax)
{
	struct policy p;

	ck_assert_int_eq(parse(&p,
	    "# a comment\r\n"
	    "\r\n"
	    "   \t\n"
	    "  # indented comment\n"
	    "timeout.established=1d   # trailing comment\r\n"
	    "\ttimeout.close   =   3s\t\n"
	    "description = 100% #1 seller\n"
	    "source = a#b c\n"
	    "fault.seed = 7 #8\n"), 0);
	ck_assert_uint_eq(p.fault_seed, 7);
	ck_assert_uint_eq(p.timeout[TCP_ESTABLISHED], 86400 * SEC);
	ck_assert_uint_eq(p.timeout[TCP_CLOSE], 3 * SEC);
	ck_assert_str_eq(p.description, "100% #1 seller");
	ck_assert_str_eq(p.source, "a#b c");
	/* no final newline */
	ck_assert_int_eq(parse(&p, "timeout.close = 4s"), 0);
	ck_assert_uint_eq(p.timeout[TCP_CLOSE], 4 * SEC);
	/* a length that stops inside the text */
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(policy_parse(&p, "t", "timeout.close = 5sXXXX", 18,
	    NULL, &errs), 0);
	ck_assert_uint_eq(p.timeout[TCP_CLOSE], 5 * SEC);
}
END_TEST

Suite *
suite_policy(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("durations");
	tcase_add_loop_test(tc, duration_valid, 0, NELEM(good_durations));
	tcase_add_loop_test(tc, duration_invalid, 0, NELEM(bad_durations));
	tcase_add_loop_test(tc, duration_format, 0, NELEM(formatted));
	tcase_add_test(tc, duration_format_small_buffer);
	tcase_add_test(tc, duration_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, defaults_are_linux);
	tcase_add_test(tc, empty_file_is_defaults);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, groups);
	tcase_add_test(tc, group_then_member);
	tcase_add_loop_test(tc, enum_value, 0, NELEM(enum_values));
	tcase_add_test(tc, enum_names);
	tcase_add_test(tc, values);
	tcase_add_test(tc, syntax);
	suite_add_tcase(s, tc);
	return s;
}
