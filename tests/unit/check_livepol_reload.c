/* check_livepol_reload.c -- the live profile: reload, switch, readers (the change log and
 * describe: check_livepol_log.c). */
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

/* ---- reload ---- */

#define DEV_V1 "name = dev\ntimeout.established = 1h\n"

START_TEST(test_reload_rereads)
{
	const char *path = tmp_file("dev.profile", DEV_V1);
	unsigned g;

	ck_assert_int_eq(livepol_init(path, NULL, 0), 0);
	ck_assert_int_eq(SET(300 * SEC, AT(0), "expire.action=reset"), 0);
	g = generation();
	tmp_file("dev.profile", "name = dev\ntimeout.established = 2h\n"
	    "timeout.time_wait = 30s\n");
	ck_assert_int_eq(livepol_reload(AT(5), "ctl", msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, expect("dev, generation %u: timeout.established 1h -> 2h, "
	    "timeout.time_wait 2m -> 30s", g + 1));
	ck_assert_uint_eq(generation(), g + 1);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7200 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_TIME_WAIT], 30 * SEC);
	/* the override stays, with its deadline */
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_RESET);
	ck_assert_uint_eq(livepol_revert_due(AT(5)), AT(300));
	ck_assert_uint_eq(changes(), 2);
	ck_change(1, "reload", AT(5), "", path, "dev", g + 1);
	/* the same file again: a generation, no setting changed */
	ck_assert_int_eq(livepol_reload(AT(6), "SIGHUP", msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, expect("dev, generation %u: no setting changed", g + 2));
	/* the revert applies to the reloaded base */
	ck_assert_uint_eq(livepol_revert_due(AT(300)), 0);
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_DROP);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7200 * SEC);
}
END_TEST

START_TEST(test_reload_keeps_cl_sets)
{
	static char *const sets[] = { "timeout.established=5m" };
	const char *path = tmp_file("dev.profile", DEV_V1);
	unsigned g;

	ck_assert_int_eq(livepol_init(path, sets, 1), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 300 * SEC);
	g = generation();
	tmp_file("dev.profile", "name = dev\ntimeout.established = 2h\ntimeout.close = 20s\n");
	ck_assert_int_eq(livepol_reload(AT(1), "ctl", msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, expect("dev, generation %u: timeout.close 10s -> 20s", g + 1));
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 300 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 20 * SEC);
}
END_TEST

START_TEST(test_reload_bad_keeps_old)
{
	const char *path = tmp_file("dev.profile", DEV_V1);
	const struct policy *p;
	char want[1024];
	unsigned g;

	ck_assert_int_eq(livepol_init(path, NULL, 0), 0);
	ck_assert_int_eq(SET(0, AT(0), "expire.action=reset"), 0);
	p = pol();
	g = generation();
	tmp_file("dev.profile", "name = dev\ntimeout.established = 2h\n"
	    "timeout.bogus = 1s\ntimeout.close = 0s\n");
	ck_assert_int_eq(livepol_reload(AT(1), "ctl", msg, sizeof(msg)), -1);
	/* every error, file:line: message, then what happened */
	snprintf(want, sizeof(want), "%s:3: unknown key 'timeout.bogus'\n"
	    "%s:4: timeout must be longer than 0s: '0s'\n"
	    "reload of %s failed; keeping profile dev", path, path, path);
	ck_assert_str_eq(msg, want);
	ck_assert_ptr_eq(pol(), p);
	ck_assert_uint_eq(generation(), g);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 3600 * SEC);
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_RESET);
	ck_assert_int_eq(count_overrides(), 1);
	ck_assert_uint_eq(changes(), 1);

	/* the file gone */
	unlink(path);
	ck_assert_int_eq(livepol_reload(AT(2), "SIGHUP", msg, sizeof(msg)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory\n"
	    "reload of %s failed; keeping profile dev", path, path);
	ck_assert_str_eq(msg, want);
	ck_assert_ptr_eq(pol(), p);

	/* fixed and good again */
	tmp_file("dev.profile", "name = dev\ntimeout.established = 2h\n");
	ck_assert_int_eq(livepol_reload(AT(3), "ctl", msg, sizeof(msg)), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7200 * SEC);
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_RESET);
	ck_assert_uint_eq(generation(), g + 1);
}
END_TEST

START_TEST(test_reload_max_flows_fixed)
{
	const char *path = tmp_file("dev.profile", DEV_V1);
	const struct policy *p;
	unsigned g;

	ck_assert_int_eq(livepol_init(path, NULL, 0), 0);
	ck_assert_int_eq(SET(0, AT(0), "timeout.close=5s"), 0);
	p = pol();
	g = generation();
	tmp_file("dev.profile", "name = dev\ntimeout.established = 2h\ntable.max_flows = 1000\n");
	ck_assert_int_eq(livepol_reload(AT(1), "ctl", msg, sizeof(msg)), -1);
	ck_assert_str_eq(msg, "table.max_flows cannot change while natbox runs (262144 -> 1000)");
	ck_assert_ptr_eq(pol(), p);
	ck_assert_uint_eq(generation(), g);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 3600 * SEC);
	/* the overrides survive the failed rebuild */
	ck_assert_int_eq(count_overrides(), 1);
	ck_assert_uint_eq(changes(), 1);
	tmp_file("dev.profile", "name = dev\ntimeout.established = 2h\n");
	ck_assert_int_eq(livepol_reload(AT(2), "ctl", msg, sizeof(msg)), 0);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 5 * SEC);
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 7200 * SEC);
}
END_TEST

/* ---- switch ---- */

START_TEST(test_switch_by_name)
{
	struct strbuf sb;
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(0, AT(0), "expire.action=reset"), 0);
	g = generation();
	ck_assert_int_eq(livepol_switch("linux-conntrack", AT(1), msg, sizeof(msg)), 0);
	ck_prefix(msg, expect("linux-conntrack, generation %u: profile rfc5382 -> "
	    "linux-conntrack, timeout.syn_sent 4m -> 2m, ", g + 1));
	ck_assert(strstr(msg, ", timeout.established 2h4m -> 5d, ") != NULL);
	ck_assert(strstr(msg, "half_closed.start both_fins -> first_fin") != NULL);
	ck_assert(strstr(msg, "expire.action") == NULL);
	ck_assert_str_eq(pol()->name, "linux-conntrack");
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 432000 * SEC);
	/* overrides carry over to the new base */
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_RESET);
	ck_assert_uint_eq(changes(), 2);
	ck_change(1, "policy", AT(1), "", "linux-conntrack", "linux-conntrack", g + 1);
	sb_init(&sb, 1 << 20);
	livepol_describe(AT(1), false, &sb);
	ck_prefix(sb.buf, expect("# linux-conntrack, generation %u, from linux-conntrack\n"
	    "# ctl set expire.action=reset\nname = linux-conntrack\n", g + 1));
	sb_free(&sb);
	ck_assert_int_eq(UNSET(AT(2), "expire.action"), 0);
	ck_assert_uint_eq(pol()->expire_action, EXPIRE_DROP);
	/* a reload now reads the new base */
	ck_assert_int_eq(livepol_reload(AT(3), "ctl", msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, expect("linux-conntrack, generation %u: no setting changed", g + 3));
	ck_assert_uint_eq(changes(), 4);
	ck_change(3, "reload", AT(3), "", "linux-conntrack", "linux-conntrack", g + 3);
}
END_TEST

START_TEST(test_switch_to_file_then_reload)
{
	const char *path = tmp_file("dev.profile", DEV_V1);
	unsigned g;

	init("rfc5382");
	g = generation();
	ck_assert_int_eq(livepol_switch(path, AT(1), msg, sizeof(msg)), 0);
	ck_assert_str_eq(pol()->name, "dev");
	ck_assert_uint_eq(pol()->timeout[TCP_ESTABLISHED], 3600 * SEC);
	tmp_file("dev.profile", "name = dev\ntimeout.established = 2h\n");
	ck_assert_int_eq(livepol_reload(AT(2), "ctl", msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, expect("dev, generation %u: timeout.established 1h -> 2h", g + 2));
	ck_assert_uint_eq(changes(), 2);
	ck_change(0, "policy", AT(1), "", path, "dev", g + 1);
	ck_change(1, "reload", AT(2), "", path, "dev", g + 2);
}
END_TEST

START_TEST(test_switch_refused)
{
	const char *bad = tmp_file("bad.profile", "name = bad\nbogus = 1\n");
	const struct policy *p;
	char want[512];
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(0, AT(0), "timeout.close=5s"), 0);
	p = pol();
	g = generation();
	ck_assert_int_eq(livepol_switch("no-such-profile-here", AT(1), msg, sizeof(msg)), -1);
	ck_assert_str_eq(msg, "unknown profile 'no-such-profile-here' (natbox policy list shows them)");
	ck_assert_int_eq(livepol_switch(bad, AT(1), msg, sizeof(msg)), -1);
	snprintf(want, sizeof(want), "%s:2: unknown key 'bogus'", bad);
	ck_assert_str_eq(msg, want);
	/* pf-normal's table is another size */
	ck_assert_int_eq(livepol_switch("pf-normal", AT(1), msg, sizeof(msg)), -1);
	ck_assert_str_eq(msg, "table.max_flows cannot change while natbox runs (262144 -> 100000)");
	ck_assert_ptr_eq(pol(), p);
	ck_assert_uint_eq(generation(), g);
	ck_assert_int_eq(count_overrides(), 1);
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 5 * SEC);
	ck_assert_uint_eq(changes(), 1);
	/* the base is still rfc5382 */
	ck_assert_int_eq(livepol_reload(AT(2), "ctl", msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, expect("rfc5382, generation %u: no setting changed", g + 1));
}
END_TEST

START_TEST(test_switch_with_cl_max_flows)
{
	static char *const sets[] = { "table.max_flows=100000" };

	/* --set table.max_flows applies to every base: pf-normal fits */
	ck_assert_int_eq(livepol_init("rfc5382", sets, 1), 0);
	ck_assert_uint_eq(pol()->max_flows, 100000);
	ck_assert_int_eq(livepol_switch("pf-normal", AT(1), msg, sizeof(msg)), 0);
	ck_assert_str_eq(pol()->name, "pf-normal");
	ck_assert_int_eq(livepol_switch("pf-aggressive", AT(2), msg, sizeof(msg)), 0);
	ck_assert_str_eq(pol()->name, "pf-aggressive");
	ck_assert_str_eq(pol()->inherit, "pf-normal");
	ck_assert_uint_eq(pol()->max_flows, 100000);
}
END_TEST

/* ---- readers ---- */

START_TEST(test_reader_poll)
{
	static struct livepol_reader r1, r2;
	const struct policy *p;

	init("rfc5382");
	livepol_reader_add(&r1);
	livepol_reader_add(&r2);
	ck_assert_ptr_null(livepol_reader_poll(&r1));
	ck_assert_int_eq(SET(0, AT(1), "timeout.close=5s"), 0);
	ck_assert_int_eq(SET(0, AT(2), "timeout.close=6s"), 0);
	/* two changes since: one switch, to the latest */
	p = livepol_reader_poll(&r1);
	ck_assert_ptr_eq(p, pol());
	ck_assert_uint_eq(p->timeout[TCP_CLOSE], 6 * SEC);
	ck_assert_ptr_null(livepol_reader_poll(&r1));
	/* every reader sees it */
	ck_assert_ptr_eq(livepol_reader_poll(&r2), p);
	ck_assert_ptr_null(livepol_reader_poll(&r2));
	/* a refused change is no change */
	ck_assert_int_eq(SET(0, AT(3), "timeout.close=0s"), -1);
	ck_assert_ptr_null(livepol_reader_poll(&r1));
}
END_TEST

/* A worker's profile stays valid until it polls again (ASan would report
 * a use after free here). */
START_TEST(test_reader_keeps_its_profile)
{
	static struct livepol_reader r, idle;
	const struct policy *mine;

	init("rfc5382");
	livepol_reader_add(&r);
	livepol_reader_add(&idle);
	ck_assert_int_eq(SET(0, AT(1), "timeout.close=1s"), 0);
	mine = livepol_reader_poll(&r);
	ck_assert_ptr_nonnull(mine);
	for (int i = 2; i < 6; i++) {
		char kv[32], *kvp = kv;

		snprintf(kv, sizeof(kv), "timeout.close=%ds", i);
		ck_assert_int_eq(livepol_set(&kvp, 1, 0, AT(i), msg, sizeof(msg)), 0);
	}
	ck_assert_uint_eq(mine->timeout[TCP_CLOSE], 1 * SEC);
	ck_assert_str_eq(mine->name, "rfc5382");
	ck_assert_uint_eq(pol()->timeout[TCP_CLOSE], 5 * SEC);
	/* the reader that never polled still has the first one */
	ck_assert_ptr_eq(livepol_reader_poll(&idle), pol());
}
END_TEST

#ifdef __SANITIZE_ADDRESS__
static void
set_close(int secs)
{
	char kv[32], *kvp = kv;

	snprintf(kv, sizeof(kv), "timeout.close=%ds", secs);
	ck_assert_int_eq(livepol_set(&kvp, 1, 0, AT(secs), msg, sizeof(msg)), 0);
}

/* Old profiles go once every reader has moved past them. */
START_TEST(test_reclaim_follows_acks)
{
	static struct livepol_reader r;
	size_t start, polled, pinned, freed;
	const int n = 100;

	init("rfc5382");
	livepol_reader_add(&r);
	set_close(1);
	ck_assert_ptr_nonnull(livepol_reader_poll(&r));
	start = __sanitizer_get_current_allocated_bytes();
	for (int i = 0; i < n; i++) {
		set_close(2 + i);
		ck_assert_ptr_nonnull(livepol_reader_poll(&r));
	}
	polled = __sanitizer_get_current_allocated_bytes();
	ck_assert_uint_lt(polled, start + 4 * sizeof(struct policy));
	/* a reader that stops polling pins every profile since its ack */
	for (int i = 0; i < n; i++)
		set_close(200 + i);
	pinned = __sanitizer_get_current_allocated_bytes();
	ck_assert_uint_ge(pinned, polled + (size_t)n * sizeof(struct policy));
	/* it polls twice (switching, then acknowledging the switch): the
	 * next change frees the lot */
	ck_assert_ptr_eq(livepol_reader_poll(&r), pol());
	ck_assert_ptr_null(livepol_reader_poll(&r));
	set_close(400);
	freed = __sanitizer_get_current_allocated_bytes();
	ck_assert_uint_lt(freed, start + 4 * sizeof(struct policy));
}
END_TEST

START_TEST(test_reclaim_without_readers)
{
	size_t start;

	init("rfc5382");
	set_close(1);
	start = __sanitizer_get_current_allocated_bytes();
	for (int i = 0; i < 100; i++)
		set_close(2 + i);
	ck_assert_uint_lt(__sanitizer_get_current_allocated_bytes(),
	    start + 2 * sizeof(struct policy));
}
END_TEST
#endif

START_TEST(test_snapshot)
{
	struct policy snap;
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(0, AT(1), "timeout.close=5s", "fault.seed=42"), 0);
	g = livepol_snapshot(&snap);
	ck_assert_uint_eq(g, generation());
	ck_assert_ptr_ne(&snap, pol());
	ck_assert_str_eq(snap.name, "rfc5382");
	ck_assert_uint_eq(snap.timeout[TCP_CLOSE], 5 * SEC);
	ck_assert_uint_eq(snap.fault_seed, 42);
	ck_assert_mem_eq(snap.timeout, pol()->timeout, sizeof(snap.timeout));
	/* a copy: later changes leave it alone */
	ck_assert_int_eq(SET(0, AT(2), "timeout.close=6s"), 0);
	ck_assert_uint_eq(snap.timeout[TCP_CLOSE], 5 * SEC);
	ck_assert_uint_eq(livepol_snapshot(&snap), g + 1);
	ck_assert_uint_eq(snap.timeout[TCP_CLOSE], 6 * SEC);
}
END_TEST

Suite *
suite_livepol_reload(void)
{
	Suite *s = suite_create("livepol_reload");
	TCase *tc;

	tc = tcase_create("reload_switch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reload_rereads);
	tcase_add_test(tc, test_reload_keeps_cl_sets);
	tcase_add_test(tc, test_reload_bad_keeps_old);
	tcase_add_test(tc, test_reload_max_flows_fixed);
	tcase_add_test(tc, test_switch_by_name);
	tcase_add_test(tc, test_switch_to_file_then_reload);
	tcase_add_test(tc, test_switch_refused);
	tcase_add_test(tc, test_switch_with_cl_max_flows);
	suite_add_tcase(s, tc);

	tc = tcase_create("readers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reader_poll);
	tcase_add_test(tc, test_reader_keeps_its_profile);
#ifdef __SANITIZE_ADDRESS__
	tcase_add_test(tc, test_reclaim_follows_acks);
	tcase_add_test(tc, test_reclaim_without_readers);
#endif
	tcase_add_test(tc, test_snapshot);
	suite_add_tcase(s, tc);
	return s;
}
