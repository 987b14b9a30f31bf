/* check_livepol_log.c -- the live profile: reload, switch, readers, the change log, describe. */
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

/* ---- the change log ---- */

START_TEST(test_changes_in_order)
{
	unsigned g;

	init("rfc5382");
	g = generation();
	ck_assert_int_eq(SET(0, AT(1), "timeout.established=30s"), 0);
	ck_assert_int_eq(SET(10 * SEC, AT(2), "expire.action=reset"), 0);
	ck_assert_uint_eq(livepol_revert_due(AT(12)), 0);
	ck_assert_int_eq(UNSET(AT(13), "timeout.established"), 0);
	ck_assert_int_eq(livepol_reload(AT(14), "ctl", msg, sizeof(msg)), 0);
	ck_assert_int_eq(livepol_switch("linux-conntrack", AT(15), msg, sizeof(msg)), 0);
	ck_assert_int_eq(UNSET_ALL(AT(16)), 0);

	ck_assert_uint_eq(changes(), 7);
	ck_change(0, "set", AT(1), "timeout.established", "30s", "rfc5382", g + 1);
	ck_change(1, "set", AT(2), "expire.action", "reset", "rfc5382", g + 2);
	ck_assert_uint_eq(chg[1].for_ns, 10 * SEC);
	ck_change(2, "revert", AT(12), "expire.action", "reset", "rfc5382", g + 3);
	ck_change(3, "unset", AT(13), "timeout.established", "", "rfc5382", g + 4);
	ck_change(4, "reload", AT(14), "", "rfc5382", "rfc5382", g + 5);
	ck_change(5, "policy", AT(15), "", "linux-conntrack", "linux-conntrack", g + 6);
	ck_change(6, "unset", AT(16), "*", "", "linux-conntrack", g + 7);
	for (unsigned i = 0; i < 7; i++)
		ck_assert_int_eq(chg[i].flows, -1);

	/* a window: both ends included */
	ck_assert_uint_eq(livepol_changes(AT(2), AT(13), chg, NELEM(chg)), 3);
	ck_assert_uint_eq(chg[0].ts, AT(2));
	ck_assert_uint_eq(chg[2].ts, AT(13));
	/* at most max: the oldest */
	ck_assert_uint_eq(livepol_changes(AT(2), AT(13), chg, 2), 2);
	ck_assert_uint_eq(chg[0].ts, AT(2));
	ck_assert_uint_eq(chg[1].ts, AT(12));
	ck_assert_uint_eq(livepol_changes(AT(3), AT(11), chg, NELEM(chg)), 0);
	ck_assert_uint_eq(livepol_changes(AT(13), AT(2), chg, NELEM(chg)), 0);
	ck_assert_uint_eq(livepol_changes(t0, UINT64_MAX, chg, 0), 0);
}
END_TEST

START_TEST(test_note_and_ring)
{
	struct livepol_change c;
	const unsigned n = LIVEPOL_CHANGES + 44;
	unsigned g;

	init("rfc5382");
	ck_assert_int_eq(SET(0, AT(0), "timeout.close=5s"), 0);
	g = generation();
	/* a flush: livepol fills in the profile and its generation */
	memset(&c, 0, sizeof(c));
	snprintf(c.change, sizeof(c.change), "flush");
	snprintf(c.value, sizeof(c.value), "state half-closed");
	c.ts = AT(1);
	c.flows = 3;
	livepol_note(&c);
	ck_assert_str_eq(c.profile, "rfc5382");
	ck_assert_uint_eq(c.gen, g);
	ck_assert_uint_eq(generation(), g);
	ck_assert_uint_eq(changes(), 2);
	ck_change(1, "flush", AT(1), "", "state half-closed", "rfc5382", g);
	ck_assert_int_eq(chg[1].flows, 3);

	/* the log keeps the last LIVEPOL_CHANGES */
	for (unsigned i = 2; i < n; i++) {
		c.ts = AT(i);
		c.flows = i;
		livepol_note(&c);
	}
	ck_assert_uint_eq(changes(), LIVEPOL_CHANGES);
	ck_assert_uint_eq(chg[0].ts, AT(n - LIVEPOL_CHANGES));
	ck_assert_int_eq(chg[0].flows, (int64_t)(n - LIVEPOL_CHANGES));
	for (unsigned i = 1; i < LIVEPOL_CHANGES; i++)
		ck_assert_uint_eq(chg[i].ts, chg[i - 1].ts + SEC);
	ck_assert_uint_eq(chg[LIVEPOL_CHANGES - 1].ts, AT(n - 1));
	/* the set and the first flush are gone */
	ck_assert_uint_eq(livepol_changes(AT(0), AT(1), chg, NELEM(chg)), 0);
	/* and one more change lands at the end */
	ck_assert_int_eq(SET(0, AT(n), "timeout.close=6s"), 0);
	ck_assert_uint_eq(changes(), LIVEPOL_CHANGES);
	ck_change(LIVEPOL_CHANGES - 1, "set", AT(n), "timeout.close", "6s", "rfc5382", g + 1);
	ck_assert_uint_eq(chg[0].ts, AT(n - LIVEPOL_CHANGES + 1));
}
END_TEST

static struct livepol_change
mkchange(const char *what, uint64_t ts, const char *key, const char *value,
    uint64_t for_ns, int64_t flows)
{
	struct livepol_change c;

	memset(&c, 0, sizeof(c));
	snprintf(c.change, sizeof(c.change), "%s", what);
	snprintf(c.key, sizeof(c.key), "%s", key);
	snprintf(c.value, sizeof(c.value), "%s", value);
	snprintf(c.profile, sizeof(c.profile), "rfc5382");
	c.ts = ts;
	c.for_ns = for_ns;
	c.flows = flows;
	c.gen = 7;
	return c;
}

static const char *
fmt(struct livepol_change c, enum event_format f)
{
	static char buf[1024];
	struct strbuf sb;

	sb_init_fixed(&sb, buf, sizeof(buf));
	livepol_change_format(&c, f, &sb);
	ck_assert(!sb.cut);
	return buf;
}

START_TEST(test_change_format)
{
	struct livepol_change set = mkchange("set", 12500 * MS, "timeout.established", "30s",
	    120 * SEC, -1);
	struct livepol_change flush = mkchange("flush", 3 * SEC + 1000, "", "state half-closed", 0, 3);
	struct livepol_change none = mkchange("flush", 1, "", "", 0, 0);
	struct livepol_change all = mkchange("unset", 5 * SEC, "*", "", 0, -1);
	struct livepol_change sw = mkchange("policy", 2 * SEC, "", "/tmp/my dir/x.profile", 0, -1);
	struct livepol_change half = mkchange("set", 1 * SEC, "timeout.close", "1s", 1500 * MS, -1);
	struct livepol_change q = mkchange("policy", 1 * SEC, "", "a\"b\\c", 0, -1);

	ck_assert_str_eq(fmt(set, EVF_TEXT), "[CONTROL] ts=12.5 change=set key=timeout.established "
	    "value=30s for=120s profile=rfc5382 generation=7\n");
	ck_assert_str_eq(fmt(set, EVF_JSON), "{\"ts\":12.5,\"event\":\"control\",\"change\":\"set\","
	    "\"key\":\"timeout.established\",\"value\":\"30s\",\"for\":120,"
	    "\"profile\":\"rfc5382\",\"generation\":7}\n");
	ck_assert_str_eq(fmt(flush, EVF_TEXT), "[CONTROL] ts=3.000001 change=flush "
	    "filter=\"state half-closed\" flows=3 profile=rfc5382 generation=7\n");
	ck_assert_str_eq(fmt(flush, EVF_JSON), "{\"ts\":3.000001,\"event\":\"control\","
	    "\"change\":\"flush\",\"filter\":\"state half-closed\",\"flows\":3,"
	    "\"profile\":\"rfc5382\",\"generation\":7}\n");
	ck_assert_str_eq(fmt(none, EVF_TEXT), "[CONTROL] ts=0 change=flush flows=0 "
	    "profile=rfc5382 generation=7\n");
	ck_assert_str_eq(fmt(all, EVF_TEXT), "[CONTROL] ts=5 change=unset key=* "
	    "profile=rfc5382 generation=7\n");
	ck_assert_str_eq(fmt(all, EVF_JSON), "{\"ts\":5,\"event\":\"control\",\"change\":\"unset\","
	    "\"key\":\"*\",\"profile\":\"rfc5382\",\"generation\":7}\n");
	ck_assert_str_eq(fmt(sw, EVF_TEXT), "[CONTROL] ts=2 change=policy "
	    "value=\"/tmp/my dir/x.profile\" profile=rfc5382 generation=7\n");
	ck_assert_str_eq(fmt(half, EVF_TEXT), "[CONTROL] ts=1 change=set key=timeout.close "
	    "value=1s for=1.5s profile=rfc5382 generation=7\n");
	ck_assert_str_eq(fmt(half, EVF_JSON), "{\"ts\":1,\"event\":\"control\",\"change\":\"set\","
	    "\"key\":\"timeout.close\",\"value\":\"1s\",\"for\":1.5,"
	    "\"profile\":\"rfc5382\",\"generation\":7}\n");
	/* text and JSON escapes */
	ck_assert_str_eq(fmt(q, EVF_TEXT), "[CONTROL] ts=1 change=policy "
	    "value=\"a\\\"b\\\\c\" profile=rfc5382 generation=7\n");
	ck_assert_str_eq(fmt(q, EVF_JSON), "{\"ts\":1,\"event\":\"control\",\"change\":\"policy\","
	    "\"value\":\"a\\\"b\\\\c\",\"profile\":\"rfc5382\",\"generation\":7}\n");
}
END_TEST

/* [CONTROL] lines reach the event stream as they happen. */
START_TEST(test_sink_lines)
{
	const char *path;
	struct evsink *s;
	char want[2048];
	unsigned n;

	init("rfc5382");
	path = tmp_file("events.txt", "");
	ck_assert_ptr_nonnull(s = evsink_open(path, EVF_TEXT));
	livepol_set_sink(s);
	ck_assert_int_eq(SET(0, AT(1), "timeout.established=30s"), 0);
	ck_assert_int_eq(SET(0, AT(2), "timeout.bogus=1s"), -1);
	ck_assert_int_eq(UNSET(AT(3), "timeout.established"), 0);
	/* written and flushed at once, before the sink goes */
	n = changes();
	ck_assert_uint_eq(n, 2);
	snprintf(want, sizeof(want), "%s", fmt(chg[0], EVF_TEXT));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s", fmt(chg[1], EVF_TEXT));
	ck_assert_str_eq(slurp(path), want);
	ck_assert(strstr(want, " change=set key=timeout.established value=30s profile=rfc5382 "
	    "generation=") != NULL);
	livepol_set_sink(NULL);
	evsink_close(s);
	/* no sink: no line */
	ck_assert_int_eq(SET(0, AT(4), "timeout.close=5s"), 0);
	ck_assert_str_eq(slurp(path), want);

	path = tmp_file("events.json", "");
	ck_assert_ptr_nonnull(s = evsink_open(path, EVF_JSON));
	livepol_set_sink(s);
	ck_assert_int_eq(SET(60 * SEC, AT(5), "timeout.time_wait=1m"), 0);
	ck_assert_uint_eq(livepol_revert_due(AT(65)), 0);
	livepol_set_sink(NULL);
	evsink_close(s);
	ck_assert_uint_eq(changes(), 5);
	snprintf(want, sizeof(want), "%s", fmt(chg[3], EVF_JSON));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s", fmt(chg[4], EVF_JSON));
	ck_assert_str_eq(slurp(path), want);
	ck_assert(strstr(want, "\"event\":\"control\",\"change\":\"revert\","
	    "\"key\":\"timeout.time_wait\",\"value\":\"1m\",\"profile\":\"rfc5382\"") != NULL);
}
END_TEST

/* ---- describe ---- */

START_TEST(test_describe_text)
{
	static char *const sets[] = { "timeout.close=5s" };
	struct strbuf sb;
	unsigned g;

	ck_assert_int_eq(livepol_init("rfc5382", sets, 1), 0);
	ck_assert_int_eq(SET(0, AT(0), "timeout.established=30s"), 0);
	ck_assert_int_eq(SET(90 * SEC, AT(0), "timeout.time_wait = 1m"), 0);
	g = generation();
	sb_init(&sb, 1 << 20);
	livepol_describe(AT(0), false, &sb);
	ck_prefix(sb.buf, expect("# rfc5382, generation %u, from rfc5382\n"
	    "# --set timeout.close=5s (command line)\n"
	    "# ctl set timeout.established=30s\n"
	    "# ctl set timeout.time_wait=1m (reverts in 90s)\n"
	    "name = rfc5382\n"
	    "description = RFC 5382 compliant floor", g));
	/* the profile in force, in file syntax */
	ck_assert(strstr(sb.buf, "\ntimeout.established = 30s\n") != NULL);
	ck_assert(strstr(sb.buf, "\ntimeout.time_wait = 1m\n") != NULL);
	ck_assert(strstr(sb.buf, "\ntimeout.close = 5s\n") != NULL);
	ck_assert(strstr(sb.buf, "\nhalf_closed.start = both_fins\n") != NULL);
	ck_assert_int_eq(sb.buf[sb.len - 1], '\n');
	/* time left counts down, to a tenth */
	sb_reset(&sb);
	livepol_describe(AT(77) + 660 * MS, false, &sb);
	ck_assert(strstr(sb.buf, "# ctl set timeout.time_wait=1m (reverts in 12.3s)\n") != NULL);
	/* due but not yet reverted */
	sb_reset(&sb);
	livepol_describe(AT(95), false, &sb);
	ck_assert(strstr(sb.buf, "# ctl set timeout.time_wait=1m (reverts in 0s)\n") != NULL);
	/* reverted: gone from the list */
	ck_assert_uint_eq(livepol_revert_due(AT(95)), 0);
	sb_reset(&sb);
	livepol_describe(AT(95), false, &sb);
	ck_assert(strstr(sb.buf, "time_wait=1m") == NULL);
	ck_assert(strstr(sb.buf, "\ntimeout.time_wait = 4m\n") != NULL);
	ck_assert_int_eq(count_overrides(), 1);
	sb_free(&sb);
}
END_TEST

START_TEST(test_describe_json)
{
	static char *const sets[] = { "timeout.close=5s" };
	const char *path = tmp_file("my \"dev\".profile", "name = dev\ninherit = rfc5382\n");
	struct strbuf sb;
	char want[1024];
	unsigned g;

	ck_assert_int_eq(livepol_init(path, sets, 1), 0);
	ck_assert_int_eq(SET(0, AT(0), "timeout.established=30s"), 0);
	ck_assert_int_eq(SET(90 * SEC, AT(0), "timeout.time_wait=1m"), 0);
	g = generation();
	sb_init(&sb, 1 << 20);
	livepol_describe(AT(0) + 250 * MS, true, &sb);
	snprintf(want, sizeof(want), "{\"generation\":%u,\"base\":\"%s/my \\\"dev\\\".profile\","
	    "\"sets\":[\"timeout.close=5s\"],\"overrides\":["
	    "{\"key\":\"timeout.established\",\"value\":\"30s\"},"
	    "{\"key\":\"timeout.time_wait\",\"value\":\"1m\",\"reverts_in\":89.75}],"
	    "\"profile\":{\"name\":\"dev\",", g, tmpdir);
	ck_prefix(sb.buf, want);
	ck_assert(strstr(sb.buf, "\"established\":30,") != NULL);
	ck_assert(strstr(sb.buf, "\"time_wait\":60,") != NULL);
	ck_assert(strstr(sb.buf, "\"close\":5,") != NULL);
	/* one object, one line */
	ck_assert_uint_ge(sb.len, 3);
	ck_assert_str_eq(sb.buf + sb.len - 3, "}}\n");
	ck_assert_ptr_eq(strchr(sb.buf, '\n'), sb.buf + sb.len - 1);
	/* due but not yet reverted */
	sb_reset(&sb);
	livepol_describe(AT(95), true, &sb);
	ck_assert(strstr(sb.buf, "\"value\":\"1m\",\"reverts_in\":0}],") != NULL);
	sb_free(&sb);

	/* none of either */
	livepol_free();
	init("rfc5382");
	sb_init(&sb, 1 << 20);
	livepol_describe(AT(0), true, &sb);
	snprintf(want, sizeof(want), "{\"generation\":%u,\"base\":\"rfc5382\",\"sets\":[],"
	    "\"overrides\":[],\"profile\":{\"name\":\"rfc5382\",", generation());
	ck_prefix(sb.buf, want);
	sb_free(&sb);
}
END_TEST

/* A value longer than livepol keeps (255 characters) is refused, not
 * checked whole and then stored cut (fault.seed=000...042 was accepted
 * as 42 and published as 0). */

Suite *
suite_livepol_log(void)
{
	Suite *s = suite_create("livepol_log");
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

	tc = tcase_create("log_describe");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_changes_in_order);
	tcase_add_test(tc, test_note_and_ring);
	tcase_add_test(tc, test_change_format);
	tcase_add_test(tc, test_sink_lines);
	tcase_add_test(tc, test_describe_text);
	tcase_add_test(tc, test_describe_json);
	suite_add_tcase(s, tc);
	return s;
}
