/* check_livepol.c -- the live profile: layers, set/unset and --for, limits (livepol_tb.h: the bench). */
#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "livepol.h"
#include "log.h"
#include "suites.h"
#include "tcpfsm.h"
#include "livepol_tb.h"

uint64_t livepol_tb_epoch;

/* ---- start ---- */

START_TEST(test_init_by_name)
{
	struct policy snap;
	unsigned g;

	init("rfc5382");
	ck_assert_str_eq(pol()->name, "rfc5382");
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7440 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_TIME_WAIT], 240 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 10 * SEC);
	ck_assert_uint_eq(pol()->half_close_start, HC_BOTH_FINS);
	g = livepol_snapshot(&snap);
	ck_assert_str_eq(snap.name, "rfc5382");
	ck_assert_mem_eq(snap.timeout, pol()->timeout, sizeof(snap.timeout));
	ck_assert_uint_eq(generation(), g);
	/* a start is not a change */
	ck_assert_uint_eq(changes(), 0);
}
END_TEST

START_TEST(test_init_sets_and_file)
{
	static char *const sets[] = { "timeout.established=1h", "expire.action=reset" };
	const char *path = tmp_file("dev.profile",
	    "name = dev\ninherit = rfc5382\ntimeout.close = 20s\n");

	/* FILE (has a '/'), inheriting a NAME from the search path */
	ck_assert_int_eq(livepol_init(path, sets, 2), 0);
	ck_assert_str_eq(pol()->name, "dev");
	ck_assert_str_eq(pol()->inherit, "rfc5382");
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 20 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_TIME_WAIT], 240 * SEC);
	/* --set on top of the file */
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 3600 * SEC);
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_RESET);
}
END_TEST

START_TEST(test_init_refused)
{
	static char *const bad[] = { "timeout.established=0s" };
	const char *path = tmp_file("bad.profile", "name = bad\ntimeout.bogus = 1s\n");

	stderr_quiet();
	ck_assert_int_eq(livepol_init("no-such-profile-here", NULL, 0), -1);
	ck_assert_ptr_null(livepol_current());
	ck_assert_int_eq(livepol_init("rfc5382", bad, 1), -1);
	ck_assert_ptr_null(livepol_current());
	ck_assert_int_eq(livepol_init(path, NULL, 0), -1);
	ck_assert_ptr_null(livepol_current());
	stderr_restore();
}
END_TEST

/* ---- set ---- */

START_TEST(test_set_one)
{
	static struct livepol_reader r;
	const struct policy *before;
	unsigned g;

	init("rfc5382");
	livepol_reader_add(&r);
	before = pol();
	g = generation();
	ck_assert_int_eq(SET(0, AT(1), "timeout.established=30s"), 0);
	ck_assert_str_eq(msg, expect("rfc5382, generation %u: timeout.established 2h4m -> 30s", g + 1));
	ck_assert_uint_eq(generation(), g + 1);
	ck_assert_ptr_ne(pol(), before);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 30 * SEC);
	/* nothing else moved */
	ck_assert_uint_eq(pol()->timeout[TCP_TIME_WAIT], 240 * SEC);
	ck_assert_uint_eq(pol()->half_close_start, HC_BOTH_FINS);
	ck_assert_ptr_eq(livepol_reader_poll(&r), pol());
	ck_assert_ptr_null(livepol_reader_poll(&r));

	ck_assert_uint_eq(changes(), 1);
	ck_change(0, "set", AT(1), "timeout.established", "30s", "rfc5382", g + 1);
	ck_assert_uint_eq(chg[0].for_ns, 0);
	ck_assert_int_eq(chg[0].flows, -1);
}
END_TEST

START_TEST(test_set_several_trimmed)
{
	unsigned g;

	init("rfc5382");
	g = generation();
	ck_assert_int_eq(SET(0, AT(2), " timeout.time_wait = 1m ", "expire.action=reset",
	    "timeout.half_closed=10s"), 0);
	/* one generation; the summary in the formatter's key order, a
	 * group as the states it stands for */
	ck_assert_str_eq(msg, expect("rfc5382, generation %u: timeout.fin_wait 4m -> 10s, "
	    "timeout.close_wait 4m -> 10s, timeout.time_wait 4m -> 1m, "
	    "expire.action drop -> reset", g + 1));
	ck_assert_uint_eq(generation(), g + 1);
	ck_assert_uint_eq(pol()->timeout[TCP_TIME_WAIT], 60 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_FIN_WAIT], 10 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE_WAIT], 10 * SEC);
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_RESET);
	/* one log entry a key, in order, key and value trimmed */
	ck_assert_uint_eq(changes(), 3);
	ck_change(0, "set", AT(2), "timeout.time_wait", "1m", "rfc5382", g + 1);
	ck_change(1, "set", AT(2), "expire.action", "reset", "rfc5382", g + 1);
	ck_change(2, "set", AT(2), "timeout.half_closed", "10s", "rfc5382", g + 1);
	ck_assert_int_eq(count_overrides(), 3);
}
END_TEST

/* A set that fails leaves everything as it was: profile, generation,
 * overrides, log; and none of its other (valid) settings applies. */
static void
ck_refused(const struct policy *p, unsigned g, int nov)
{
	ck_assert_ptr_eq(pol(), p);
	ck_assert_uint_eq(generation(), g);
	ck_assert_int_eq(count_overrides(), nov);
	ck_assert_uint_eq(changes(), (unsigned)nov);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7440 * SEC);
}

START_TEST(test_set_refused)
{
	char longkv[400];
	const struct policy *p;
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(0, AT(1), "expire.action=reset"), 0);
	p = pol();
	g = generation();

	ck_assert_int_eq(SET(0, AT(2), "timeout.established=30s", "timeout.bogus=1s"), -1);
	ck_assert_str_eq(msg, "unknown key 'timeout.bogus'");
	ck_refused(p, g, 1);
	ck_assert_int_eq(SET(0, AT(2), "timeout.established=30s", "timeout.close=0s"), -1);
	ck_assert_str_eq(msg, "timeout must be longer than 0s: '0s'");
	ck_refused(p, g, 1);
	ck_assert_int_eq(SET(0, AT(2), "timeout.established=30"), -1);
	ck_assert_str_eq(msg, "duration needs a unit: '30'");
	ck_refused(p, g, 1);
	ck_assert_int_eq(SET(0, AT(2), "fault.drop_rst_orig=2"), -1);
	ck_assert_str_eq(msg, "probability out of range 0..1: '2'");
	ck_refused(p, g, 1);
	ck_assert_int_eq(SET(0, AT(2), "tracking.window=maybe"), -1);
	ck_assert_str_eq(msg, "expected off or on: 'maybe'");
	ck_refused(p, g, 1);
	ck_assert_int_eq(SET(0, AT(2), "timeout.established="), -1);
	ck_assert_str_eq(msg, "empty value for 'timeout.established'");
	ck_refused(p, g, 1);
	ck_assert_int_eq(SET(0, AT(2), "timeout.established=30s", "timeout.established"), -1);
	ck_assert_str_eq(msg, "expected key=value, got 'timeout.established'");
	ck_refused(p, g, 1);
	/* "key=value" must fit an override (319 characters) */
	snprintf(longkv, sizeof(longkv), "fault.seed=%0*d", 320, 0);
	ck_assert_int_eq(SET(0, AT(2), longkv), -1);
	ck_assert_str_eq(msg, "'fault.seed=00000000000000000000000000000...' is too long: "
	    "keys take at most 63 characters, values 255");
	ck_refused(p, g, 1);
	/* a timed set is checked the same way */
	ck_assert_int_eq(SET(60 * SEC, AT(2), "timeout.bogus=1s"), -1);
	ck_refused(p, g, 1);
	ck_assert_uint_eq(livepol_revert_due(AT(1000)), 0);
}
END_TEST

START_TEST(test_set_fixed_keys)
{
	const struct policy *p;
	unsigned g;

	init("rfc5382");
	p = pol();
	g = generation();
	ck_assert_int_eq(SET(0, AT(1), "table.max_flows=1000"), -1);
	ck_assert_str_eq(msg, "table.max_flows cannot change while natbox runs "
	    "(the flow table is allocated once)");
	ck_assert_int_eq(SET(0, AT(1), " name = other"), -1);
	ck_assert_str_eq(msg, "name cannot change while natbox runs");
	ck_assert_int_eq(SET(0, AT(1), "timeout.close=5s", "description=x"), -1);
	ck_assert_str_eq(msg, "description cannot change while natbox runs");
	ck_assert_int_eq(SET(0, AT(1), "source=x"), -1);
	ck_assert_str_eq(msg, "source cannot change while natbox runs");
	ck_assert_int_eq(SET(60 * SEC, AT(1), "inherit=pf-normal"), -1);
	ck_assert_str_eq(msg, "inherit cannot change while natbox runs");
	ck_assert_ptr_eq(pol(), p);
	ck_assert_uint_eq(generation(), g);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 10 * SEC);
	ck_assert_uint_eq(changes(), 0);
}
END_TEST

START_TEST(test_set_replaces_same_key)
{
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(0, AT(1), "timeout.established=30s"), 0);
	ck_assert_int_eq(SET(0, AT(2), "timeout.established=40s"), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 40 * SEC);
	ck_assert_int_eq(count_overrides(), 1);
	/* the same key twice in one set: the last wins, one override */
	g = generation();
	ck_assert_int_eq(SET(0, AT(3), "timeout.established=50s", "timeout.established=1m"), 0);
	ck_assert_str_eq(msg, expect("rfc5382, generation %u: timeout.established 40s -> 1m", g + 1));
	ck_assert_int_eq(count_overrides(), 1);
	/* one unset brings back the profile's value */
	ck_assert_int_eq(UNSET(AT(4), "timeout.established"), 0);
	ck_assert_str_eq(msg, expect("rfc5382, generation %u: timeout.established 1m -> 2h4m", g + 2));
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7440 * SEC);
	ck_assert_int_eq(count_overrides(), 0);
}
END_TEST

START_TEST(test_set_override_limit)
{
	const struct policy *p;
	struct strbuf sb;
	unsigned g;
	char kv[64];
	char *kvp = kv;

	init("rfc5382");
	ck_assert_int_eq(SET(0, AT(0), "timeout.last_ack=1m"), 0);
	/* timed sets of one key stack: LIVEPOL_OVERRIDES_MAX overrides fit */
	for (int i = 1; i < LIVEPOL_OVERRIDES_MAX - 1; i++) {
		snprintf(kv, sizeof(kv), "timeout.close=%ds", i);
		ck_assert_int_eq(livepol_set(&kvp, 1, 3600 * SEC, AT(i), msg, sizeof(msg)), 0);
	}
	ck_assert_int_eq(count_overrides(), LIVEPOL_OVERRIDES_MAX - 1);
	p = pol();
	g = generation();
	/* two more: the first would fit, the second not; neither stays */
	ck_assert_int_eq(SET(3600 * SEC, AT(100), "timeout.close=1m", "timeout.time_wait=1m"), -1);
	ck_assert_str_eq(msg, "at most 64 runtime overrides; unset some first");
	ck_assert_int_eq(count_overrides(), LIVEPOL_OVERRIDES_MAX - 1);
	ck_assert_ptr_eq(pol(), p);
	ck_assert_uint_eq(generation(), g);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 62 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_TIME_WAIT], 240 * SEC);
	ck_assert_uint_eq(changes(), LIVEPOL_OVERRIDES_MAX - 1);
	/* the last slot */
	ck_assert_int_eq(SET(3600 * SEC, AT(101), "timeout.close=63s"), 0);
	ck_assert_int_eq(count_overrides(), LIVEPOL_OVERRIDES_MAX);
	ck_assert_int_eq(SET(0, AT(102), "timeout.time_wait=1m"), -1);
	ck_assert_str_eq(msg, "at most 64 runtime overrides; unset some first");
	/* full, a permanent set of a key already there fits (it replaces
	 * it); a second, new key does not, and the first is undone too */
	ck_assert_int_eq(SET(0, AT(103), "timeout.last_ack=2m", "timeout.time_wait=1m"), -1);
	ck_assert_str_eq(msg, "at most 64 runtime overrides; unset some first");
	ck_assert_int_eq(count_overrides(), LIVEPOL_OVERRIDES_MAX);
	sb_init(&sb, 1 << 20);
	livepol_describe(AT(103), false, &sb);
	ck_prefix(strstr(sb.buf, "# ctl set "), "# ctl set timeout.last_ack=1m\n"
	    "# ctl set timeout.close=1s (reverts in 3498s)\n");
	ck_assert(strstr(sb.buf, "last_ack=2m") == NULL);
	sb_free(&sb);
	ck_assert_uint_eq(pol()->timeout[TCP_LAST_ACK], 60 * SEC);
	/* a permanent set replaces every override of its key, so it fits */
	ck_assert_int_eq(SET(0, AT(104), "timeout.close=5s"), 0);
	ck_assert_int_eq(count_overrides(), 2);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 5 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_LAST_ACK], 60 * SEC);
	/* and nothing is left to revert */
	ck_assert_uint_eq(livepol_revert_due(AT(100000)), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 5 * SEC);
}
END_TEST

/* ---- unset ---- */

START_TEST(test_unset_keys)
{
	const struct policy *p;
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(0, AT(1), "timeout.established=30s", "expire.action=reset"), 0);
	ck_assert_int_eq(SET(90 * SEC, AT(1), "timeout.time_wait=1m"), 0);
	g = generation();
	ck_assert_int_eq(UNSET(AT(2), "expire.action"), 0);
	ck_assert_str_eq(msg, expect("rfc5382, generation %u: expire.action reset -> drop", g + 1));
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_DROP);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 30 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_TIME_WAIT], 60 * SEC);
	ck_assert_int_eq(count_overrides(), 2);

	/* all or nothing: one key without an override refuses the lot */
	p = pol();
	ck_assert_int_eq(UNSET(AT(3), "timeout.established", "timeout.close"), -1);
	ck_assert_str_eq(msg, "no runtime override of 'timeout.close' (`natbox ctl policy` lists them)");
	ck_assert_ptr_eq(pol(), p);
	ck_assert_uint_eq(generation(), g + 1);
	ck_assert_int_eq(count_overrides(), 2);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 30 * SEC);
	ck_assert_int_eq(UNSET(AT(3), "expire.action"), -1);

	/* a timed override goes too, and does not revert later */
	ck_assert_int_eq(UNSET(AT(4), "timeout.time_wait", "timeout.established"), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_TIME_WAIT], 240 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7440 * SEC);
	ck_assert_int_eq(count_overrides(), 0);
	ck_assert_uint_eq(livepol_revert_due(AT(1000)), 0);
	ck_assert_uint_eq(generation(), g + 2);

	ck_assert_uint_eq(changes(), 6);
	ck_change(3, "unset", AT(2), "expire.action", "", "rfc5382", g + 1);
	ck_change(4, "unset", AT(4), "timeout.time_wait", "", "rfc5382", g + 2);
	ck_change(5, "unset", AT(4), "timeout.established", "", "rfc5382", g + 2);
}
END_TEST

START_TEST(test_unset_all)
{
	unsigned g;

	init("rfc5382");
	g = generation();
	/* nothing to unset: still a change, and says so */
	ck_assert_int_eq(UNSET_ALL(AT(1)), 0);
	ck_assert_str_eq(msg, expect("rfc5382, generation %u: no setting changed", g + 1));
	ck_assert_int_eq(SET(0, AT(2), "timeout.established=30s"), 0);
	ck_assert_int_eq(SET(60 * SEC, AT(2), "expire.action=reset"), 0);
	ck_assert_int_eq(UNSET_ALL(AT(3)), 0);
	ck_assert_str_eq(msg, expect("rfc5382, generation %u: timeout.established 30s -> 2h4m, "
	    "expire.action reset -> drop", g + 4));
	ck_assert_int_eq(count_overrides(), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7440 * SEC);
	ck_assert_uint_eq(livepol_revert_due(AT(100)), 0);
	ck_assert_uint_eq(generation(), g + 4);
	/* one entry, key "*" */
	ck_assert_uint_eq(changes(), 4);
	ck_change(0, "unset", AT(1), "*", "", "rfc5382", g + 1);
	ck_change(3, "unset", AT(3), "*", "", "rfc5382", g + 4);
}
END_TEST

/* ---- set --for ---- */

START_TEST(test_for_reverts_at_deadline)
{
	static struct livepol_reader r;
	uint64_t dl = AT(10) + 120 * SEC;
	unsigned g;

	init("rfc5382");
	livepol_reader_add(&r);
	g = generation();
	ck_assert_uint_eq(livepol_revert_due(AT(10)), 0);
	ck_assert_int_eq(SET(120 * SEC, AT(10), "timeout.established=30s"), 0);
	ck_assert_str_eq(msg, expect("rfc5382, generation %u: timeout.established 2h4m -> 30s; "
	    "reverts in 120s", g + 1));
	ck_assert_ptr_nonnull(livepol_reader_poll(&r));
	ck_assert_uint_eq(livepol_revert_due(AT(10)), dl);
	/* one nanosecond before: nothing */
	ck_assert_uint_eq(livepol_revert_due(dl - 1), dl);
	ck_assert_uint_eq(generation(), g + 1);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 30 * SEC);
	ck_assert_ptr_null(livepol_reader_poll(&r));
	/* at the deadline: reverted, nothing further due */
	ck_assert_uint_eq(livepol_revert_due(dl), 0);
	ck_assert_uint_eq(generation(), g + 2);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7440 * SEC);
	ck_assert_ptr_eq(livepol_reader_poll(&r), pol());
	ck_assert_int_eq(count_overrides(), 0);
	/* only once */
	ck_assert_uint_eq(livepol_revert_due(dl + 1), 0);
	ck_assert_uint_eq(generation(), g + 2);

	ck_assert_uint_eq(changes(), 2);
	ck_change(0, "set", AT(10), "timeout.established", "30s", "rfc5382", g + 1);
	ck_assert_uint_eq(chg[0].for_ns, 120 * SEC);
	/* the revert names the value that went away */
	ck_change(1, "revert", dl, "timeout.established", "30s", "rfc5382", g + 2);
	ck_assert_uint_eq(chg[1].for_ns, 0);
}
END_TEST

START_TEST(test_for_late_revert)
{
	init("rfc5382");
	ck_assert_int_eq(SET(1500 * MS, AT(0), "timeout.close=1s"), 0);
	ck_assert(strstr(msg, "; reverts in 1.5s") != NULL);
	/* the control thread was late: the revert carries its own time */
	ck_assert_uint_eq(livepol_revert_due(AT(3600)), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 10 * SEC);
	ck_assert_uint_eq(changes(), 2);
	ck_assert_uint_eq(chg[1].ts, AT(3600));
}
END_TEST

START_TEST(test_for_stacks)
{
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(0, AT(0), "timeout.established=1h"), 0);
	ck_assert_int_eq(SET(60 * SEC, AT(0), "timeout.established=30s"), 0);
	ck_assert_int_eq(SET(30 * SEC, AT(0), "timeout.established=10s"), 0);
	g = generation();
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 10 * SEC);
	ck_assert_uint_eq(livepol_revert_due(AT(29)), AT(30));
	/* the top one ends: the one below is back */
	ck_assert_uint_eq(livepol_revert_due(AT(30)), AT(60));
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 30 * SEC);
	/* then the permanent one */
	ck_assert_uint_eq(livepol_revert_due(AT(60)), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 3600 * SEC);
	ck_assert_int_eq(count_overrides(), 1);
	ck_assert_uint_eq(generation(), g + 2);
	ck_assert_uint_eq(changes(), 5);
	ck_change(3, "revert", AT(30), "timeout.established", "10s", "rfc5382", g + 1);
	ck_change(4, "revert", AT(60), "timeout.established", "30s", "rfc5382", g + 2);
}
END_TEST

START_TEST(test_for_shorter_underneath)
{
	unsigned g;

	init("rfc5382");
	/* a longer timed set on top of a shorter one */
	ck_assert_int_eq(SET(60 * SEC, AT(0), "timeout.established=30s"), 0);
	ck_assert_int_eq(SET(120 * SEC, AT(0), "timeout.established=10s"), 0);
	g = generation();
	ck_assert_uint_eq(livepol_revert_due(AT(60)), AT(120));
	/* the one underneath went; the value in force did not change */
	ck_assert_str_eq(pol()->name, "rfc5382");
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 10 * SEC);
	ck_assert_uint_eq(generation(), g + 1);
	ck_assert_int_eq(count_overrides(), 1);
	ck_assert_uint_eq(livepol_revert_due(AT(120)), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7440 * SEC);
	ck_assert_uint_eq(changes(), 4);
	ck_change(2, "revert", AT(60), "timeout.established", "30s", "rfc5382", g + 1);
	ck_change(3, "revert", AT(120), "timeout.established", "10s", "rfc5382", g + 2);
}
END_TEST

START_TEST(test_for_permanent_replaces_timed)
{
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(60 * SEC, AT(0), "timeout.established=30s"), 0);
	ck_assert_int_eq(SET(0, AT(10), "timeout.established=40s"), 0);
	g = generation();
	ck_assert_uint_eq(livepol_revert_due(AT(10)), 0);
	ck_assert_uint_eq(livepol_revert_due(AT(60)), 0);
	ck_assert_uint_eq(generation(), g);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 40 * SEC);
	ck_assert_uint_eq(changes(), 2);
}
END_TEST

START_TEST(test_for_several_due_at_once)
{
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(60 * SEC, AT(0), "timeout.time_wait=1m", "expire.action=reset"), 0);
	ck_assert_int_eq(SET(30 * SEC, AT(20), "timeout.close=1s"), 0);
	ck_assert_int_eq(SET(0, AT(20), "timeout.last_ack=1m"), 0);
	g = generation();
	/* the earliest deadline first, whatever the order of the sets */
	ck_assert_uint_eq(livepol_revert_due(AT(20)), AT(50));
	ck_assert_uint_eq(livepol_revert_due(AT(70)), 0);
	/* all three in one generation, logged in the order they were set */
	ck_assert_uint_eq(generation(), g + 1);
	ck_assert_uint_eq(pol()->timeout[TCP_TIME_WAIT], 240 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 10 * SEC);
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_DROP);
	ck_assert_uint_eq(pol()->timeout[TCP_LAST_ACK], 60 * SEC);
	ck_assert_uint_eq(changes(), 7);
	ck_change(4, "revert", AT(70), "timeout.time_wait", "1m", "rfc5382", g + 1);
	ck_change(5, "revert", AT(70), "expire.action", "reset", "rfc5382", g + 1);
	ck_change(6, "revert", AT(70), "timeout.close", "1s", "rfc5382", g + 1);
}
END_TEST

START_TEST(test_set_value_too_long)
{
	char kv[320], *kvp = kv;
	uint64_t seed;

	init("rfc5382");
	seed = pol()->fault_seed;
	snprintf(kv, sizeof(kv), "fault.seed=%0*d", 300, 42);
	ck_assert_uint_lt(strlen(kv), sizeof(kv));
	ck_assert_int_eq(livepol_set(&kvp, 1, 0, AT(1), msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, "too long") != NULL, "message: %s", msg);
	ck_assert_uint_eq(pol()->fault_seed, seed);
	/* 255 characters still fit */
	snprintf(kv, sizeof(kv), "fault.seed=%0*d", 255, 42);
	ck_assert_int_eq(livepol_set(&kvp, 1, 0, AT(2), msg, sizeof(msg)), 0);
	ck_assert_uint_eq(pol()->fault_seed, 42);
}
END_TEST

/* ctl set --for takes up to UINT64_MAX ns (213503d): the deadline stops
 * at the end of time instead of wrapping into the past, where the set
 * reverted at the next revert_due(). */
START_TEST(test_for_huge_duration)
{
	const uint64_t now = 36 * 3600 * SEC;
	uint64_t for_ns;

	init("rfc5382");
	ck_assert_int_eq(policy_parse_duration("213503d", &for_ns), 0);
	ck_assert_int_eq(SET(for_ns, now, "timeout.close=5s"), 0);
	/* nothing reverts; the next deadline is the end of time */
	ck_assert_uint_eq(livepol_revert_due(now + SEC), UINT64_MAX);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 5 * SEC);
	ck_assert_uint_eq(livepol_revert_due(UINT64_MAX - 1), UINT64_MAX);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 5 * SEC);
}
END_TEST

Suite *
suite_livepol(void)
{
	Suite *s = suite_create("livepol");
	TCase *tc;

	tc = tcase_create("start");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init_by_name);
	tcase_add_test(tc, test_init_sets_and_file);
	tcase_add_test(tc, test_init_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("set");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_set_one);
	tcase_add_test(tc, test_set_several_trimmed);
	tcase_add_test(tc, test_set_refused);
	tcase_add_test(tc, test_set_fixed_keys);
	tcase_add_test(tc, test_set_replaces_same_key);
	tcase_add_test(tc, test_set_override_limit);
	tcase_add_test(tc, test_unset_keys);
	tcase_add_test(tc, test_unset_all);
	suite_add_tcase(s, tc);

	tc = tcase_create("for");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_for_reverts_at_deadline);
	tcase_add_test(tc, test_for_late_revert);
	tcase_add_test(tc, test_for_stacks);
	tcase_add_test(tc, test_for_shorter_underneath);
	tcase_add_test(tc, test_for_permanent_replaces_timed);
	tcase_add_test(tc, test_for_several_due_at_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_set_value_too_long);
	tcase_add_test(tc, test_for_huge_duration);
	suite_add_tcase(s, tc);
	return s;
}
