/* check_conform.c -- the requirement table: figures measured on a virtual clock equal what the profile says, verdicts, what the probe did not measure. */
#include <check.h>
#include <string.h>

#include "conform.h"
#include "suites.h"

#define SEC 1000000000ULL

static void
mkpol(struct policy *p, const char *const *sets)
{
	struct policy_errors errs;

	policy_defaults(p);
	for (; sets && *sets; sets++)
		ck_assert_msg(policy_set(p, "t", *sets, &errs) == 0, "%s", errs.msg[0]);
}

static const struct conform_row *
find(const struct conform_report *r, const char *rfc, const char *req, const char *what)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->row[i].rfc, rfc) && !strcmp(r->row[i].req, req) &&
		    strstr(r->row[i].what, what))
			return &r->row[i];
	ck_abort_msg("no row %s %s %s", rfc, req, what);
	return NULL;
}

START_TEST(test_figures_are_the_profiles)
{
	static const char *const sets[] = {
		"timeout.established = 77s", "timeout.syn_sent = 13s", "timeout.half_closed = 21s",
		"timeout.last_ack = 9s", "timeout.time_wait = 250ms", "timeout.close = 4s",
		"timeout.udp_unreplied = 31s", "timeout.udp = 3m", "timeout.icmp = 45s", NULL,
	};
	struct policy p;
	struct conform_report r;

	mkpol(&p, sets);
	ck_assert_int_eq(conform_run(&p, CA_ALL, &r), 0);
	ck_assert_uint_eq(r.fig.tcp_est, 77 * SEC);
	ck_assert_uint_eq(r.fig.tcp_opening, 13 * SEC);
	ck_assert_uint_eq(r.fig.tcp_half, 21 * SEC);
	ck_assert_uint_eq(r.fig.tcp_closing, 9 * SEC);
	ck_assert_uint_eq(r.fig.tcp_time_wait, 250 * SEC / 1000);
	ck_assert_uint_eq(r.fig.tcp_rst_hold, 4 * SEC);
	ck_assert_uint_eq(r.fig.udp_unreplied, 31 * SEC);
	ck_assert_uint_eq(r.fig.udp_replied, 180 * SEC);
	ck_assert_uint_eq(r.fig.icmp_query, 45 * SEC);
	ck_assert(!r.fig.half_absolute);
	ck_assert(r.fig.udp_refresh_out && r.fig.udp_refresh_in);
	ck_assert_int_eq(find(&r, "RFC 5382", "REQ-5", "established")->result, CR_FAIL);
	ck_assert_int_eq(find(&r, "RFC 4787", "REQ-5", "2m")->result, CR_FAIL);
	ck_assert_int_eq(find(&r, "RFC 5508", "REQ-2", "60s")->result, CR_FAIL);
}
END_TEST

START_TEST(test_compliant_profile_passes_every_must)
{
	static const char *const sets[] = {
		"timeout.established = 2h4m", "timeout.opening = 4m", "timeout.half_closed = 4m",
		"timeout.closing = 4m", "timeout.time_wait = 4m", "timeout.close = 4m",
		"half_closed.start = both_fins", "timeout.udp_unreplied = 5m", "timeout.udp = 5m",
		"refresh.udp = orig", "timeout.icmp = 60s", "nat.hairpin = on",
		"nat.unsolicited = drop", "nat.filtering = endpoint-independent", "nat.parity = on",
		"nat.pooling = paired", NULL,
	};
	struct policy p;
	struct conform_report r;
	unsigned pass, judged;

	mkpol(&p, sets);
	ck_assert_int_eq(conform_run(&p, CA_ALL, &r), 0);
	for (unsigned i = 0; i < r.n; i++)
		if (r.row[i].level == CL_MUST)
			ck_assert_msg(r.row[i].result == CR_PASS, "%s %s %s: %s", r.row[i].rfc,
			    r.row[i].req, r.row[i].what, r.row[i].measured);
	conform_count(&r, "RFC 5382", CL_MUST, &pass, &judged);
	ck_assert_uint_eq(pass, judged);
	ck_assert_uint_ge(judged, 10);
	ck_assert_uint_eq(r.fig.mapping, NAT_EI);
	ck_assert_uint_eq(r.fig.filtering, NAT_EI);
	ck_assert(!r.fig.udp_refresh_in);	/* refresh.udp = orig */
	ck_assert_int_eq(find(&r, "RFC 4787", "REQ-4", "parity")->result, CR_PASS);
	ck_assert_int_eq(find(&r, "RFC 4787", "REQ-2", "pooling")->result, CR_PASS);
}
END_TEST

/* Seed 000: the half-closed timer is short and absolute. */
START_TEST(test_fin_kills_mapping)
{
	static const char *const sets[] = {
		"timeout.half_closed = 10s", "refresh.fin_wait = none", "refresh.close_wait = none",
		"nat.mapping = address-and-port-dependent", "nat.unsolicited = reset", NULL,
	};
	struct policy p;
	struct conform_report r;

	mkpol(&p, sets);
	ck_assert_int_eq(conform_run(&p, CA_ALL, &r), 0);
	ck_assert_uint_eq(r.fig.tcp_half, 10 * SEC);
	ck_assert(r.fig.half_absolute);
	ck_assert_uint_eq(r.fig.mapping, NAT_APD);
	ck_assert_int_eq(find(&r, "RFC 5382", "REQ-5", "open direction")->result, CR_FAIL);
	ck_assert_int_eq(find(&r, "RFC 5382", "REQ-1", "mapping")->result, CR_FAIL);
	ck_assert_int_eq(find(&r, "RFC 5382", "REQ-4", "SYN")->result, CR_FAIL);
}
END_TEST

/* Hairpinning: RFC 5382 REQ-8 rests on TCP's aspect, RFC 4787 REQ-9 on
 * UDP's; a profile's one nat.hairpin answers both. */
START_TEST(test_hairpin_split)
{
	static const char *const on[] = { "nat.hairpin = on", NULL };
	static const char *const off[] = { "nat.hairpin = off", NULL };
	struct policy p;
	struct conform_report r;

	mkpol(&p, on);
	ck_assert_int_eq(conform_run(&p, 1u << CA_HAIRPIN, &r), 0);
	ck_assert_int_eq(find(&r, "RFC 4787", "REQ-9", "hairpin")->result, CR_PASS);
	ck_assert_int_eq(find(&r, "RFC 5382", "REQ-8", "hairpin")->result, CR_NOT_MEASURED);
	ck_assert_int_eq(conform_run(&p, 1u << CA_HAIRPIN_TCP, &r), 0);
	ck_assert_int_eq(find(&r, "RFC 5382", "REQ-8", "hairpin")->result, CR_PASS);
	ck_assert_int_eq(find(&r, "RFC 4787", "REQ-9", "hairpin")->result, CR_NOT_MEASURED);
	mkpol(&p, off);
	ck_assert_int_eq(conform_run(&p, CA_ALL, &r), 0);
	ck_assert_int_eq(find(&r, "RFC 5382", "REQ-8", "hairpin")->result, CR_FAIL);
	ck_assert_int_eq(find(&r, "RFC 4787", "REQ-9", "hairpin")->result, CR_FAIL);
}
END_TEST

/* The probe's view: only what it measured is judged. */
START_TEST(test_known_aspects_only)
{
	struct policy p;
	struct conform_report r;
	unsigned pass, judged;

	mkpol(&p, NULL);
	ck_assert_int_eq(conform_run(&p, 1u << CA_TCP_EST | CONFORM_NO_NAT, &r), 0);
	ck_assert_int_eq(find(&r, "RFC 5382", "REQ-5", "established")->result, CR_PASS);	/* 5d */
	ck_assert_int_eq(find(&r, "RFC 5382", "REQ-1", "mapping")->result, CR_NA);
	ck_assert_int_eq(find(&r, "RFC 4787", "REQ-5", "2m")->result, CR_NOT_MEASURED);
	ck_assert_int_eq(find(&r, "RFC 7857", "2.2", "RST")->result, CR_NOT_MEASURED);
	conform_count(&r, "RFC 5382", CL_MUST, &pass, &judged);
	ck_assert_uint_eq(judged, 1);
	ck_assert_uint_eq(pass, 1);

	char buf[8192];
	size_t n = conform_format(&r, buf, sizeof(buf));

	ck_assert_uint_lt(n, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "not measured"));
	ck_assert_ptr_nonnull(strstr(buf, "RFC 5382: 1/1 MUSTs"));
	n = conform_format_json(&r, buf, sizeof(buf));
	ck_assert_uint_lt(n, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "\"result\":\"not measured\""));
}
END_TEST

Suite *
suite_conform(void)
{
	Suite *s = suite_create("conform");
	TCase *tc = tcase_create("conform");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_figures_are_the_profiles);
	tcase_add_test(tc, test_compliant_profile_passes_every_must);
	tcase_add_test(tc, test_fin_kills_mapping);
	tcase_add_test(tc, test_known_aspects_only);
	tcase_add_test(tc, test_hairpin_split);
	suite_add_tcase(s, tc);
	return s;
}
