/* check_track_policy.c -- the UDP, ICMP and other-protocol profile keys: defaults, values, errors, round trip, JSON (dgram_tb.h: the bench). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "engine.h"
#include "engine_shadow.h"
#include "engine_tb.h"
#include "event.h"
#include "policy.h"
#include "policy_tb.h"
#include "reason.h"
#include "suites.h"
#include "track.h"
#include "dgram_tb.h"

/* ---- the profile keys ---- */

static struct policy_errors errs;

static int
pparse(struct policy *p, const char *text)
{
	memset(&errs, 0, sizeof(errs));
	return policy_parse(p, "t.profile", text, strlen(text), NULL, &errs);
}

START_TEST(test_policy_defaults)
{
	struct policy p;

	policy_defaults(&p);
	ck_assert_uint_eq(p.timeout[TRK_UDP_UNREPLIED], S(30));
	ck_assert_uint_eq(p.timeout[TRK_UDP_REPLIED], S(120));
	ck_assert_uint_eq(p.timeout[TRK_ICMP], S(30));
	ck_assert_uint_eq(p.timeout[TRK_OTHER], S(600));
	for (int s = TRK_UDP_UNREPLIED; s < TRK_STATE_MAX; s++)
		ck_assert_uint_eq(p.refresh[s], REFRESH_ANY);
	ck_assert_uint_eq(p.icmp_errors, BAD_ACCEPT);
	ck_assert_str_eq(tcp_state_key(TRK_UDP_UNREPLIED), "udp_unreplied");
	ck_assert_str_eq(tcp_state_key(TRK_UDP_REPLIED), "udp");
	ck_assert_str_eq(tcp_state_key(TRK_ICMP), "icmp");
	ck_assert_str_eq(tcp_state_key(TRK_OTHER), "other");
	ck_assert_str_eq(tcp_state_name(TRK_UDP_REPLIED), "UDP_REPLIED");
}
END_TEST

START_TEST(test_policy_keys)
{
	struct policy d, p;

	policy_defaults(&d);
#define TIMEOUTS_BUT(st, v) do { \
		for (int s_ = 0; s_ < TRK_STATE_MAX; s_++) \
			ck_assert_uint_eq(p.timeout[s_], s_ == (st) ? (v) : d.timeout[s_]); \
		ck_assert_mem_eq(p.refresh, d.refresh, sizeof(p.refresh)); \
	} while (0)
	ck_assert_int_eq(pparse(&p, "timeout.udp_unreplied = 45s\n"), 0);
	TIMEOUTS_BUT(TRK_UDP_UNREPLIED, S(45));
	ck_assert_int_eq(pparse(&p, "timeout.udp = 3m\n"), 0);
	TIMEOUTS_BUT(TRK_UDP_REPLIED, S(180));
	ck_assert_int_eq(pparse(&p, "timeout.udp_replied = 4m\n"), 0);
	TIMEOUTS_BUT(TRK_UDP_REPLIED, S(240));
	ck_assert_int_eq(pparse(&p, "timeout.icmp = 5s\n"), 0);
	TIMEOUTS_BUT(TRK_ICMP, S(5));
	ck_assert_int_eq(pparse(&p, "timeout.other = 1h\n"), 0);
	TIMEOUTS_BUT(TRK_OTHER, S(3600));
	ck_assert_int_eq(pparse(&p, "timeout.udp_unreplied = 250ms\n"), 0);
	TIMEOUTS_BUT(TRK_UDP_UNREPLIED, S(0.25));
	/* GRE: nf_conntrack_gre_timeout, _gre_timeout_stream */
	ck_assert_uint_eq(d.timeout[TRK_GRE_UNREPLIED], S(30));
	ck_assert_uint_eq(d.timeout[TRK_GRE_REPLIED], S(180));
	ck_assert_int_eq(pparse(&p, "timeout.gre_unreplied = 10s\n"), 0);
	TIMEOUTS_BUT(TRK_GRE_UNREPLIED, S(10));
	ck_assert_int_eq(pparse(&p, "timeout.gre = 2m\n"), 0);
	TIMEOUTS_BUT(TRK_GRE_REPLIED, S(120));
	ck_assert_int_eq(pparse(&p, "timeout.gre_replied = 3m\n"), 0);
	TIMEOUTS_BUT(TRK_GRE_REPLIED, S(180));
#undef TIMEOUTS_BUT

#define REFRESH_ONLY(a, b, c, e) do { \
		ck_assert_uint_eq(p.refresh[TRK_UDP_UNREPLIED], (a)); \
		ck_assert_uint_eq(p.refresh[TRK_UDP_REPLIED], (b)); \
		ck_assert_uint_eq(p.refresh[TRK_ICMP], (c)); \
		ck_assert_uint_eq(p.refresh[TRK_OTHER], (e)); \
		for (int s_ = 0; s_ < TCP_STATE_MAX; s_++) \
			ck_assert_uint_eq(p.refresh[s_], REFRESH_ANY); \
		ck_assert_mem_eq(p.timeout, d.timeout, sizeof(p.timeout)); \
	} while (0)
	ck_assert_int_eq(pparse(&p, "refresh.udp = orig\n"), 0);
	REFRESH_ONLY(REFRESH_ORIG, REFRESH_ORIG, REFRESH_ANY, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.udp = none\n"), 0);
	REFRESH_ONLY(REFRESH_NONE, REFRESH_NONE, REFRESH_ANY, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.udp_unreplied = reply\n"), 0);
	REFRESH_ONLY(REFRESH_REPLY, REFRESH_ANY, REFRESH_ANY, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.udp_replied = none\n"), 0);
	REFRESH_ONLY(REFRESH_ANY, REFRESH_NONE, REFRESH_ANY, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.icmp = orig\n"), 0);
	REFRESH_ONLY(REFRESH_ANY, REFRESH_ANY, REFRESH_ORIG, REFRESH_ANY);
	ck_assert_int_eq(pparse(&p, "refresh.other = reply\n"), 0);
	REFRESH_ONLY(REFRESH_ANY, REFRESH_ANY, REFRESH_ANY, REFRESH_REPLY);
	/* a member after its group overrides it */
	ck_assert_int_eq(pparse(&p, "refresh.udp = orig\nrefresh.udp_replied = reply\n"), 0);
	REFRESH_ONLY(REFRESH_ORIG, REFRESH_REPLY, REFRESH_ANY, REFRESH_ANY);
	/* refresh.gre is both GRE timers, refresh.gre_replied the second */
	ck_assert_int_eq(pparse(&p, "refresh.gre = orig\nrefresh.gre_replied = none\n"), 0);
	ck_assert_uint_eq(p.refresh[TRK_GRE_UNREPLIED], REFRESH_ORIG);
	ck_assert_uint_eq(p.refresh[TRK_GRE_REPLIED], REFRESH_NONE);
	ck_assert_uint_eq(p.refresh[TRK_OTHER], REFRESH_ANY);
#undef REFRESH_ONLY

	ck_assert_int_eq(pparse(&p, "icmp.errors = drop\n"), 0);
	ck_assert_uint_eq(p.icmp_errors, BAD_DROP);
	ck_assert_int_eq(pparse(&p, "icmp.errors = pass\n"), 0);
	ck_assert_uint_eq(p.icmp_errors, BAD_ACCEPT);

	/* --set: the same keys */
	policy_defaults(&p);
	set(&p, "refresh.udp=reply");
	ck_assert_uint_eq(p.refresh[TRK_UDP_UNREPLIED], REFRESH_REPLY);
	ck_assert_uint_eq(p.refresh[TRK_UDP_REPLIED], REFRESH_REPLY);
	set(&p, "timeout.udp=7s");
	ck_assert_uint_eq(p.timeout[TRK_UDP_REPLIED], S(7));
	ck_assert_uint_eq(p.timeout[TRK_UDP_UNREPLIED], S(30));
	set(&p, "icmp.errors=drop");
	ck_assert_uint_eq(p.icmp_errors, BAD_DROP);
}
END_TEST

static const struct {
	const char *line, *msg;
} bad[] = {
	{ "timeout.udp = 30", "duration needs a unit: '30'" },
	{ "timeout.udp_unreplied = 0s", "timeout must be longer than 0s: '0s'" },
	{ "timeout.icmp = soon", "invalid duration: 'soon'" },
	{ "timeout.other = 400d", "duration out of range (at most 365d): '400d'" },
	{ "timeout.udp_replied = 1x", "unknown duration unit (use d, h, m, s, ms): '1x'" },
	{ "refresh.udp = sometimes", "expected any, orig, reply or none: 'sometimes'" },
	{ "refresh.udp_unreplied = both", "expected any, orig, reply or none: 'both'" },
	{ "refresh.icmp = 1", "expected any, orig, reply or none: '1'" },
	{ "refresh.other = ANY", "expected any, orig, reply or none: 'ANY'" },
	{ "icmp.errors = accept", "expected pass or drop: 'accept'" },
	{ "icmp.errors = reset", "expected pass or drop: 'reset'" },
	{ "icmp.errors =", "empty value for 'icmp.errors'" },
	{ "timeout.udp_stream = 1m", "unknown key 'timeout.udp_stream'" },
	{ "refresh.dgram = any", "unknown key 'refresh.dgram'" },
	{ "icmp.error = drop", "unknown key 'icmp.error'" },
};

START_TEST(test_policy_bad_values)
{
	char text[256], want[256];
	struct policy p, before;

	policy_defaults(&p);
	p.timeout[TRK_UDP_REPLIED] = S(1);
	before = p;
	snprintf(text, sizeof(text), "# first line\n%s\n", bad[_i].line);
	ck_assert_int_eq(pparse(&p, text), -1);
	ck_assert_uint_eq(errs.count, 1);
	snprintf(want, sizeof(want), "t.profile:2: %s", bad[_i].msg);
	ck_assert_str_eq(errs.msg[0], want);
	/* a failed parse leaves the policy alone */
	ck_assert_mem_eq(p.timeout, before.timeout, sizeof(p.timeout));
	/* the same through --set */
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(policy_set(&p, "--set", bad[_i].line, &errs), -1);
	ck_assert_uint_eq(errs.count, 1);
	snprintf(want, sizeof(want), "--set: %s", bad[_i].msg);
	ck_assert_str_eq(errs.msg[0], want);
	ck_assert_mem_eq(p.timeout, before.timeout, sizeof(p.timeout));
	ck_assert_mem_eq(p.refresh, before.refresh, sizeof(p.refresh));
	ck_assert_uint_eq(p.icmp_errors, before.icmp_errors);
}
END_TEST

START_TEST(test_policy_duplicates)
{
	struct policy p;

	/* timeout.udp is timeout.udp_replied spelled short */
	ck_assert_int_eq(pparse(&p, "timeout.udp = 1m\ntimeout.udp_replied = 2m\n"), -1);
	ck_assert_uint_eq(errs.count, 1);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:2: duplicate key 'timeout.udp_replied' (first set on line 1)");
	ck_assert_int_eq(pparse(&p, "refresh.udp = orig\n\nrefresh.udp = any\n"), -1);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:3: duplicate key 'refresh.udp' (first set on line 1)");
	ck_assert_int_eq(pparse(&p, "icmp.errors = drop\nicmp.errors = pass\n"), -1);
	ck_assert_str_eq(errs.msg[0],
	    "t.profile:2: duplicate key 'icmp.errors' (first set on line 1)");
}
END_TEST

START_TEST(test_policy_round_trip)
{
	char a[8192], b[8192];
	struct policy p, q;
	size_t n;

	for (int variant = 0; variant < 2; variant++) {
		policy_defaults(&p);
		memset(p.name, 0, sizeof(p.name));
		strcpy(p.name, "dgram");
		if (variant == 0) {
			p.timeout[TRK_UDP_UNREPLIED] = S(45);
			p.timeout[TRK_UDP_REPLIED] = S(180);
			p.timeout[TRK_ICMP] = S(5);
			p.timeout[TRK_OTHER] = S(3600);
			p.refresh[TRK_UDP_UNREPLIED] = REFRESH_ORIG;
			p.refresh[TRK_UDP_REPLIED] = REFRESH_REPLY;
			p.refresh[TRK_ICMP] = REFRESH_NONE;
			p.refresh[TRK_OTHER] = REFRESH_ORIG;
			p.icmp_errors = BAD_DROP;
		} else {
			p.timeout[TRK_UDP_UNREPLIED] = S(0.25);
			p.timeout[TRK_UDP_REPLIED] = S(7441);
			p.timeout[TRK_ICMP] = S(0.001);
			p.timeout[TRK_OTHER] = S(86400) * 365;
			p.refresh[TRK_UDP_REPLIED] = REFRESH_NONE;
			p.refresh[TRK_OTHER] = REFRESH_REPLY;
		}
		n = policy_format(&p, a, sizeof(a));
		ck_assert_uint_lt(n, sizeof(a));
		if (variant == 0) {
			ck_assert_ptr_nonnull(strstr(a, "\ntimeout.syn_sent2 = 2m\n"
			    "timeout.udp_unreplied = 45s\ntimeout.udp = 3m\n"
			    "timeout.icmp = 5s\ntimeout.other = 1h\n"));
			ck_assert_ptr_nonnull(strstr(a, "\nrefresh.udp_unreplied = orig\n"
			    "refresh.udp_replied = reply\nrefresh.icmp = none\n"
			    "refresh.other = orig\n"));
			ck_assert_ptr_nonnull(strstr(a, "\nicmp.errors = drop\n"));
		} else {
			ck_assert_ptr_nonnull(strstr(a, "\ntimeout.udp_unreplied = 250ms\n"
			    "timeout.udp = 7441s\ntimeout.icmp = 1ms\ntimeout.other = 365d\n"));
			ck_assert_ptr_nonnull(strstr(a, "\nicmp.errors = pass\n"));
		}
		memset(&errs, 0, sizeof(errs));
		if (policy_parse(&q, "fmt", a, n, NULL, &errs) != 0)
			ck_abort_msg("format output does not parse: %s\n%s", errs.msg[0], a);
		assert_same_policy(&p, &q);
		policy_format(&q, b, sizeof(b));
		ck_assert_str_eq(a, b);
	}
}
END_TEST

START_TEST(test_policy_json)
{
	char buf[8192];
	struct policy p;

	policy_defaults(&p);
	policy_format_json(&p, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, ",\"icmp_errors\":\"pass\","));
	ck_assert_ptr_nonnull(strstr(buf, "\"udp_unreplied\":30,\"udp\":120,\"icmp\":30,\"other\":600,"));
	p.icmp_errors = BAD_DROP;
	p.timeout[TRK_UDP_UNREPLIED] = S(45);
	p.timeout[TRK_UDP_REPLIED] = S(0.5);
	p.refresh[TRK_UDP_UNREPLIED] = REFRESH_ORIG;
	p.refresh[TRK_UDP_REPLIED] = REFRESH_REPLY;
	p.refresh[TRK_ICMP] = REFRESH_NONE;
	policy_format_json(&p, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, ",\"icmp_errors\":\"drop\","));
	ck_assert_ptr_null(strstr(buf, "\"pass\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"udp_unreplied\":45,\"udp\":0.5,\"icmp\":30,\"other\":600,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"udp_unreplied\":\"orig\",\"udp_replied\":\"reply\","
	    "\"icmp\":\"none\",\"other\":\"any\",\"gre_unreplied\":\"any\","
	    "\"gre_replied\":\"any\"}"));
}
END_TEST

Suite *
suite_track_policy(void)
{
	Suite *st = suite_create("track_policy");
	TCase *tc;

	tc = tcase_create("policy");
	tcase_add_test(tc, test_policy_defaults);
	tcase_add_test(tc, test_policy_keys);
	tcase_add_loop_test(tc, test_policy_bad_values, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_policy_duplicates);
	tcase_add_test(tc, test_policy_round_trip);
	tcase_add_test(tc, test_policy_json);
	suite_add_tcase(st, tc);
	return st;
}
