/* check_profiles.c -- every profile of policies/ loads, cites a source, and says what it claims. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policy_tb.h"
#include "suites.h"

#define SEC NS_PER_SEC
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAXPROF 64
#define MAXDIRS 8

/* The directories of $NATBOX_POLICY_PATH (make unit sets it), else
 * ./policies; and the profiles found there, first of each name. */
static char dirbuf[4096];
static const char *dirs[MAXDIRS];
static int ndirs;
static char profiles[MAXPROF][128];
static char paths[MAXPROF][4096 + 128];
static int nprofiles;

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
find_profiles(void)
{
	const char *env = getenv("NATBOX_POLICY_PATH");
	char *save = NULL, *d;

	snprintf(dirbuf, sizeof(dirbuf), "%s", env != NULL && *env ? env : "policies");
	for (d = strtok_r(dirbuf, ":", &save); d != NULL && ndirs < MAXDIRS;
	    d = strtok_r(NULL, ":", &save))
		dirs[ndirs++] = d;
	for (int i = 0; i < ndirs; i++) {
		DIR *dp = opendir(dirs[i]);
		struct dirent *de;

		if (dp == NULL)
			continue;
		while ((de = readdir(dp)) != NULL && nprofiles < MAXPROF) {
			size_t n = strlen(de->d_name);
			bool dup = false;

			if (n <= 8 || n - 8 >= sizeof(profiles[0]) ||
			    strcmp(de->d_name + n - 8, ".profile") != 0)
				continue;
			for (int j = 0; j < nprofiles; j++)
				dup |= strncmp(profiles[j], de->d_name, n - 8) == 0 &&
				    profiles[j][n - 8] == '\0';
			if (dup)
				continue;
			memcpy(profiles[nprofiles], de->d_name, n - 8);
			profiles[nprofiles][n - 8] = '\0';
			nprofiles++;
		}
		closedir(dp);
	}
	qsort(profiles, (size_t)nprofiles, sizeof(profiles[0]), by_name);
	for (int j = 0; j < nprofiles; j++)
		for (int i = 0; i < ndirs; i++) {
			FILE *f;

			snprintf(paths[j], sizeof(paths[j]), "%.4000s/%.100s.profile",
			    dirs[i], profiles[j]);
			if ((f = fopen(paths[j], "r")) != NULL) {
				fclose(f);
				break;
			}
		}
}

/* Texts handed to the parser live until the parse returns. */
static char *texts[16];
static int ntexts;
static char lookup_path[4096 + 128];

static int
file_lookup(void *ctx, const char *name, const char **text, size_t *len,
    const char **path)
{
	(void)ctx;
	for (int i = 0; i < ndirs && ntexts < (int)NELEM(texts); i++) {
		char *t;

		snprintf(lookup_path, sizeof(lookup_path), "%s/%s.profile", dirs[i], name);
		if ((t = read_file(lookup_path, len)) != NULL) {
			texts[ntexts++] = t;
			*text = t;
			*path = lookup_path;
			return 0;
		}
	}
	return -1;
}

static void
free_texts(void)
{
	while (ntexts > 0)
		free(texts[--ntexts]);
}

static struct policy_errors errs;

static int
parse_text(struct policy *p, const char *path, const char *text, size_t len)
{
	struct policy_resolver res = { file_lookup, NULL };
	int rc;

	memset(&errs, 0, sizeof(errs));
	rc = policy_parse(p, path, text, len, &res, &errs);
	free_texts();
	return rc;
}

static int
index_of(const char *name)
{
	for (int i = 0; i < nprofiles; i++)
		if (strcmp(profiles[i], name) == 0)
			return i;
	return -1;
}

static void
load(const char *name, struct policy *p)
{
	int i = index_of(name);
	size_t len;
	char *text;

	ck_assert_msg(i >= 0, "profile %s not found in %s", name, dirbuf);
	text = read_file(paths[i], &len);
	ck_assert_ptr_nonnull(text);
	if (parse_text(p, paths[i], text, len) != 0)
		ck_abort_msg("%s: %u errors, first: %s", name, errs.count, errs.msg[0]);
	free(text);
}

START_TEST(library_found)
{
	static const char *const required[] = {
		"rfc5382", "rfc4787", "linux-conntrack", "openwrt", "k8s-node", "pf-normal",
		"pf-aggressive", "cisco-asa", "cisco-asa-reset", "panos",
		"fortigate", "juniper-srx", "aws-natgw", "azure-natgw",
		"gcp-cloudnat", "fin-kills-mapping", "rst-blackhole",
		"full-cone", "port-restricted", "symmetric",
	};

	for (size_t i = 0; i < NELEM(required); i++)
		ck_assert_msg(index_of(required[i]) >= 0, "%s.profile missing from %s",
		    required[i], dirbuf);
}
END_TEST

/* Loads without error; names itself after its file; says what it is and
 * where its numbers come from. */
START_TEST(profile_loads)
{
	struct policy p;

	load(profiles[_i], &p);
	ck_assert_str_eq(p.name, profiles[_i]);
	ck_assert_msg(p.description[0] != '\0', "%s: no description", profiles[_i]);
	ck_assert_msg(strlen(p.source) >= 20, "%s: no real source", profiles[_i]);
}
END_TEST

/* policy_format output parses back to the same policy and formats the same. */
START_TEST(profile_round_trip)
{
	char a[8192], b[8192];
	struct policy p, q;
	size_t n;

	load(profiles[_i], &p);
	n = policy_format(&p, a, sizeof(a));
	ck_assert_uint_lt(n, sizeof(a));
	if (parse_text(&q, "formatted", a, n) != 0)
		ck_abort_msg("%s: formatted output: %s", profiles[_i], errs.msg[0]);
	assert_same_policy(&p, &q);
	ck_assert(same_policy(&p, &q));
	policy_format(&q, b, sizeof(b));
	ck_assert_str_eq(a, b);
}
END_TEST

/* A profile sets only what differs from its base: dropping any one
 * setting line changes the result. */
START_TEST(profile_no_redundant_keys)
{
	int i = _i;
	struct policy full, less;
	size_t len;
	char *text = read_file(paths[i], &len);

	ck_assert_ptr_nonnull(text);
	load(profiles[i], &full);
	for (size_t pos = 0, line = 1; pos < len; line++) {
		size_t end = pos;
		const char *c = text + pos;
		char *copy;

		while (end < len && text[end] != '\n')
			end++;
		while (*c == ' ' || *c == '\t')
			c++;
		if (c < text + end && *c != '#' && strncmp(c, "name", 4) != 0 &&
		    strncmp(c, "description", 11) != 0 &&
		    strncmp(c, "source", 6) != 0 && strncmp(c, "inherit", 7) != 0) {
			copy = malloc(len + 1);
			ck_assert_ptr_nonnull(copy);
			memcpy(copy, text, len + 1);
			memset(copy + pos, ' ', end - pos);
			ck_assert_int_eq(parse_text(&less, paths[i], copy, len), 0);
			ck_assert_msg(!same_policy(&full, &less),
			    "%s:%zu: redundant (same as the base)", paths[i], line);
			free(copy);
		}
		pos = end + 1;
	}
	free(text);
}
END_TEST

START_TEST(rfc5382_floors)
{
	static const int transitory[] = {
		TCP_SYN_SENT, TCP_SYN_RECV, TCP_SYN_SENT2, TCP_FIN_WAIT,
		TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_TIME_WAIT,
	};
	struct policy p;

	load("rfc5382", &p);
	ck_assert_uint_ge(p.timeout[TCP_ESTABLISHED], 7440 * SEC);
	for (size_t i = 0; i < NELEM(transitory); i++)
		ck_assert_uint_ge(p.timeout[transitory[i]], 240 * SEC);
	ck_assert_uint_eq(p.half_close_start, HC_BOTH_FINS);
	ck_assert_uint_ge(p.unacknowledged, 240 * SEC);
	for (int s = 1; s < TCP_STATE_MAX; s++)
		ck_assert_uint_eq(p.refresh[s], REFRESH_ANY);
	/* its companions' floors: RFC 4787 REQ-5 and REQ-6 (UDP), RFC 5508
	 * REQ-2 (ICMP queries) and REQ-4/5 (errors translated) */
	ck_assert_uint_ge(p.timeout[TRK_UDP_UNREPLIED], 120 * SEC);
	ck_assert_uint_ge(p.timeout[TRK_UDP_REPLIED], 120 * SEC);
	ck_assert_uint_ge(p.timeout[TRK_ICMP], 60 * SEC);
	ck_assert_uint_eq(p.refresh[TRK_UDP_UNREPLIED], REFRESH_ORIG);
	ck_assert_uint_eq(p.refresh[TRK_UDP_REPLIED], REFRESH_ORIG);
	ck_assert_uint_eq(p.icmp_errors, BAD_ACCEPT);
}
END_TEST

/* RFC 4787's RECOMMENDED UDP timer (REQ-5c, five minutes or more) with an
 * outbound refresh (REQ-6); TCP and ICMP as rfc5382. */
START_TEST(rfc4787_recommended)
{
	struct policy p, base;

	load("rfc4787", &p);
	load("rfc5382", &base);
	ck_assert_uint_ge(p.timeout[TRK_UDP_UNREPLIED], 300 * SEC);
	ck_assert_uint_ge(p.timeout[TRK_UDP_REPLIED], 300 * SEC);
	ck_assert_uint_eq(p.refresh[TRK_UDP_UNREPLIED], REFRESH_ORIG);
	ck_assert_uint_eq(p.refresh[TRK_UDP_REPLIED], REFRESH_ORIG);
	ck_assert_uint_ge(p.timeout[TRK_ICMP], 60 * SEC);
	ck_assert_uint_eq(p.icmp_errors, BAD_ACCEPT);
	ck_assert_mem_eq(p.timeout, base.timeout, sizeof(p.timeout[0]) * TCP_STATE_MAX);
	ck_assert_mem_eq(p.refresh, base.refresh, sizeof(p.refresh[0]) * TCP_STATE_MAX);
	ck_assert_uint_eq(p.half_close_start, base.half_close_start);
	ck_assert_uint_eq(p.unacknowledged, base.unacknowledged);
}
END_TEST

START_TEST(fin_kills_mapping)
{
	static const int closing[] = {
		TCP_FIN_WAIT, TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_TIME_WAIT,
	};
	struct policy p;

	load("fin-kills-mapping", &p);
	for (size_t i = 0; i < NELEM(closing); i++) {
		ck_assert_uint_eq(p.timeout[closing[i]], 10 * SEC);
		ck_assert_uint_eq(p.refresh[closing[i]], REFRESH_NONE);
	}
	ck_assert_uint_eq(p.timeout[TCP_CLOSE], 10 * SEC);
	ck_assert_uint_eq(p.refresh[TCP_CLOSE], REFRESH_NONE);
	ck_assert_uint_eq(p.refresh[TCP_ESTABLISHED], REFRESH_ANY);
	ck_assert_uint_eq(p.half_close_start, HC_FIRST_FIN);
	ck_assert_uint_eq(p.after_expiry, LATE_DROP);
}
END_TEST

/* The figures each profile claims, as policy_format spells them. */
static const struct {
	const char *profile, *line;
} figures[] = {
	{ "linux-conntrack", "timeout.syn_sent = 2m\n" },
	{ "linux-conntrack", "timeout.established = 5d\n" },
	{ "linux-conntrack", "timeout.close_wait = 1m\n" },
	{ "linux-conntrack", "timeout.last_ack = 30s\n" },
	{ "linux-conntrack", "timeout.unacknowledged = 5m\n" },
	{ "linux-conntrack", "tracking.window = on\n" },
	{ "linux-conntrack", "expire.later = pickup\n" },
	{ "openwrt", "timeout.established = 2h4m\n" },
	{ "openwrt", "tracking.window = on\n" },
	{ "k8s-node", "timeout.established = 1d\n" },
	{ "k8s-node", "timeout.close_wait = 1h\n" },
	{ "k8s-node", "timeout.fin_wait = 2m\n" },
	{ "rfc5382", "timeout.established = 2h4m\n" },
	{ "rfc5382", "timeout.time_wait = 4m\n" },
	{ "rfc5382", "half_closed.start = both_fins\n" },
	{ "pf-normal", "timeout.syn_sent = 2m\n" },
	{ "pf-normal", "timeout.syn_recv = 30s\n" },
	{ "pf-normal", "timeout.syn_sent2 = 30s\n" },
	{ "pf-normal", "timeout.established = 1d\n" },
	{ "pf-normal", "timeout.fin_wait = 15m\n" },
	{ "pf-normal", "timeout.close_wait = 15m\n" },
	{ "pf-normal", "timeout.last_ack = 45s\n" },
	{ "pf-normal", "timeout.time_wait = 45s\n" },
	{ "pf-normal", "timeout.close = 90s\n" },
	{ "pf-normal", "expire.later = drop\n" },
	{ "pf-normal", "unknown.action = drop\n" },
	{ "pf-normal", "table.max_flows = 100000\n" },
	{ "pf-normal", "table.adaptive = 60%..120%\n" },
	{ "pf-aggressive", "timeout.syn_sent = 30s\n" },
	{ "pf-aggressive", "timeout.syn_recv = 5s\n" },
	{ "pf-aggressive", "timeout.established = 5h\n" },
	{ "pf-aggressive", "timeout.fin_wait = 1m\n" },
	{ "pf-aggressive", "timeout.close_wait = 1m\n" },
	{ "pf-aggressive", "timeout.last_ack = 30s\n" },
	{ "pf-aggressive", "timeout.close = 30s\n" },
	{ "pf-aggressive", "table.adaptive = 60%..120%\n" },
	{ "pf-conservative", "timeout.syn_sent = 1h\n" },
	{ "pf-conservative", "timeout.established = 5d\n" },
	{ "pf-conservative", "timeout.time_wait = 10m\n" },
	{ "pf-conservative", "timeout.close = 3m\n" },
	{ "cisco-asa", "timeout.established = 1h\n" },
	{ "cisco-asa", "timeout.syn_recv = 30s\n" },
	{ "cisco-asa", "timeout.close_wait = 10m\n" },
	{ "cisco-asa", "half_closed.start = fin_acked\n" },
	{ "cisco-asa", "unknown.action = reset-sender\n" },
	{ "cisco-asa", "expire.action = drop\n" },
	{ "cisco-asa-reset", "expire.action = reset\n" },
	{ "cisco-asa-reset", "timeout.established = 1h\n" },
	{ "panos", "timeout.syn_sent = 5s\n" },
	{ "panos", "timeout.syn_recv = 10s\n" },
	{ "panos", "timeout.established = 1h\n" },
	{ "panos", "timeout.fin_wait = 2m\n" },
	{ "panos", "timeout.time_wait = 15s\n" },
	{ "panos", "half_closed.start = first_fin\n" },
	{ "panos", "expire.later = drop\n" },
	{ "fortigate", "timeout.syn_sent = 10s\n" },
	{ "fortigate", "timeout.established = 1h\n" },
	{ "fortigate", "timeout.close_wait = 2m\n" },
	{ "fortigate", "timeout.time_wait = 1s\n" },
	{ "fortigate", "timeout.close = 5s\n" },
	{ "fortigate", "unknown.action = drop\n" },
	{ "juniper-srx", "timeout.syn_sent = 20s\n" },
	{ "juniper-srx", "timeout.established = 30m\n" },
	{ "juniper-srx", "timeout.last_ack = 150s\n" },
	{ "juniper-srx", "timeout.time_wait = 150s\n" },
	{ "juniper-srx", "half_closed.start = both_fins\n" },
	{ "juniper-srx", "unknown.action = drop\n" },
	{ "aws-natgw", "timeout.established = 350s\n" },
	{ "aws-natgw", "refresh.established = any\n" },
	{ "aws-natgw", "expire.later = reset-sender\n" },
	{ "azure-natgw", "timeout.established = 4m\n" },
	{ "azure-natgw", "expire.action = drop\n" },
	{ "azure-natgw", "expire.later = reset-sender\n" },
	{ "gcp-cloudnat", "timeout.established = 20m\n" },
	{ "gcp-cloudnat", "timeout.syn_sent = 30s\n" },
	{ "gcp-cloudnat", "timeout.fin_wait = 30s\n" },
	{ "gcp-cloudnat", "timeout.time_wait = 2m\n" },
	{ "gcp-cloudnat", "expire.later = drop\n" },
	{ "rst-blackhole", "fault.drop_rst_orig = 1\n" },
	{ "rst-blackhole", "fault.drop_rst_reply = 1\n" },
	{ "rst-blackhole", "fault.drop_fin_ack = 0\n" },
	{ "rst-blackhole", "tracking.window = on\n" },
	/* UDP, ICMP, other protocols */
	{ "linux-conntrack", "timeout.udp_unreplied = 30s\n" },
	{ "linux-conntrack", "timeout.udp = 2m\n" },
	{ "linux-conntrack", "timeout.icmp = 30s\n" },
	{ "linux-conntrack", "timeout.other = 10m\n" },
	{ "linux-conntrack", "icmp.errors = pass\n" },
	{ "openwrt", "timeout.udp_unreplied = 1m\n" },
	{ "openwrt", "timeout.udp = 3m\n" },
	{ "rfc5382", "timeout.udp_unreplied = 2m\n" },
	{ "rfc5382", "timeout.icmp = 1m\n" },
	{ "rfc5382", "refresh.udp_unreplied = orig\n" },
	{ "rfc5382", "refresh.udp_replied = orig\n" },
	{ "rfc4787", "timeout.udp_unreplied = 5m\n" },
	{ "rfc4787", "timeout.udp = 5m\n" },
	{ "rfc4787", "timeout.established = 2h4m\n" },
	{ "pf-normal", "timeout.udp_unreplied = 30s\n" },
	{ "pf-normal", "timeout.udp = 1m\n" },
	{ "pf-normal", "timeout.icmp = 10s\n" },
	{ "pf-normal", "timeout.other = 1m\n" },
	{ "pf-aggressive", "timeout.udp = 1m\n" },
	{ "cisco-asa", "timeout.udp_unreplied = 2m\n" },
	{ "cisco-asa", "timeout.udp = 2m\n" },
	{ "cisco-asa", "timeout.icmp = 2s\n" },
	{ "cisco-asa", "timeout.other = 2m\n" },
	{ "panos", "timeout.udp_unreplied = 30s\n" },
	{ "panos", "timeout.udp = 30s\n" },
	{ "panos", "timeout.icmp = 6s\n" },
	{ "panos", "timeout.other = 30s\n" },
	{ "fortigate", "timeout.udp_unreplied = 3m\n" },
	{ "fortigate", "timeout.udp = 3m\n" },
	{ "fortigate", "timeout.other = 1h\n" },
	{ "juniper-srx", "timeout.udp_unreplied = 1m\n" },
	{ "juniper-srx", "timeout.udp = 1m\n" },
	{ "juniper-srx", "timeout.icmp = 1m\n" },
	{ "juniper-srx", "timeout.other = 30m\n" },
	{ "aws-natgw", "timeout.udp_unreplied = 350s\n" },
	{ "aws-natgw", "timeout.udp = 350s\n" },
	{ "aws-natgw", "timeout.icmp = 350s\n" },
	{ "azure-natgw", "timeout.udp_unreplied = 4m\n" },
	{ "azure-natgw", "timeout.udp = 4m\n" },
	{ "gcp-cloudnat", "timeout.udp_unreplied = 30s\n" },
	{ "gcp-cloudnat", "timeout.udp = 30s\n" },
	{ "gcp-cloudnat", "timeout.icmp = 30s\n" },
};

START_TEST(profile_figure)
{
	char buf[8192];
	struct policy p;

	load(figures[_i].profile, &p);
	policy_format(&p, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, figures[_i].line) != NULL, "%s: no '%.*s'",
	    figures[_i].profile, (int)strlen(figures[_i].line) - 1, figures[_i].line);
}
END_TEST

/* linux-conntrack is the built-in baseline plus window tracking. */
START_TEST(linux_is_baseline)
{
	struct policy p, d;

	load("linux-conntrack", &p);
	policy_defaults(&d);
	memcpy(d.name, p.name, sizeof(d.name));
	memcpy(d.description, p.description, sizeof(d.description));
	memcpy(d.source, p.source, sizeof(d.source));
	d.window_tracking = true;
	d.table_full = FULL_EARLY_DROP;	/* the kernel's; the baseline's is drop */
	assert_same_policy(&p, &d);
}
END_TEST

Suite *
suite_profiles(void)
{
	Suite *s = suite_create("profiles");
	TCase *tc;

	find_profiles();
	tc = tcase_create("library");
	tcase_add_test(tc, library_found);
	tcase_add_loop_test(tc, profile_loads, 0, nprofiles);
	tcase_add_loop_test(tc, profile_round_trip, 0, nprofiles);
	tcase_add_loop_test(tc, profile_no_redundant_keys, 0, nprofiles);
	suite_add_tcase(s, tc);

	tc = tcase_create("claims");
	tcase_add_test(tc, rfc5382_floors);
	tcase_add_test(tc, rfc4787_recommended);
	tcase_add_test(tc, fin_kills_mapping);
	tcase_add_test(tc, linux_is_baseline);
	tcase_add_loop_test(tc, profile_figure, 0, NELEM(figures));
	suite_add_tcase(s, tc);
	return s;
}
