/* check_livepol_log.c -- the live profile's change log and describe (reload, switch and
 * readers: check_livepol_reload.c). */
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

Suite *
suite_livepol_log(void)
{
	Suite *s = suite_create("livepol_log");
	TCase *tc = tcase_create("log_describe");

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
