/* check_flowfilter.c -- ss-style filters of natbox ctl: every word, errors, prefix matching, liveness. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "flowfilter.h"
#include "suites.h"
#include "tcpfsm.h"

#define NWORDS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static struct flow_filter ff;
static char err[256];

/* Parse a filter from words; the result of flow_filter_parse. */
static int
parse_v(bool dead_default, int n, char *const *w)
{
	err[0] = '\0';
	return flow_filter_parse(&ff, n, w, dead_default, err, sizeof(err));
}

#define PARSE(dead, ...) parse_v(dead, NWORDS(((char *[]){ __VA_ARGS__ })), \
	(char *[]){ __VA_ARGS__ })

/* A flow from src:sport to dst:dport (text addresses, either family). */
static struct flow
mkflow(const char *src, uint16_t sport, const char *dst, uint16_t dport,
    enum tcp_state state, bool dead)
{
	struct flow f;
	int af = strchr(src, ':') ? AF_INET6 : AF_INET;

	memset(&f, 0, sizeof(f));
	f.family = af == AF_INET6 ? 6 : 4;
	ck_assert_int_eq(inet_pton(af, src, f.src.b), 1);
	ck_assert_int_eq(inet_pton(af, dst, f.dst.b), 1);
	f.sport = sport;
	f.dport = dport;
	f.trk.state = (uint8_t)state;
	f.fflags = (uint8_t)(FF_USED | (dead ? FF_DEAD : 0));
	return f;
}

START_TEST(test_empty_takes_live_only)
{
	struct flow live = mkflow("198.51.100.2", 40000, "203.0.113.2", 80, TCP_ESTABLISHED, false);
	struct flow dead = mkflow("198.51.100.2", 40001, "203.0.113.2", 80, TCP_ESTABLISHED, true);

	ck_assert_int_eq(flow_filter_parse(&ff, 0, NULL, false, err, sizeof(err)), 0);
	ck_assert(flow_filter_match(&ff, &live, 0));
	ck_assert(!flow_filter_match(&ff, &dead, 1));
	ck_assert(flow_filter_queue(&ff, 7));
	/* flush: expired flows too when no state word is given */
	ck_assert_int_eq(flow_filter_parse(&ff, 0, NULL, true, err, sizeof(err)), 0);
	ck_assert(flow_filter_match(&ff, &dead, 1));
}
END_TEST

START_TEST(test_states_and_groups)
{
	struct flow fw = mkflow("198.51.100.2", 1, "203.0.113.2", 2, TCP_FIN_WAIT, false);
	struct flow cw = mkflow("198.51.100.2", 1, "203.0.113.2", 2, TCP_CLOSE_WAIT, false);
	struct flow la = mkflow("198.51.100.2", 1, "203.0.113.2", 2, TCP_LAST_ACK, false);
	struct flow es = mkflow("198.51.100.2", 1, "203.0.113.2", 2, TCP_ESTABLISHED, false);
	struct flow ss = mkflow("198.51.100.2", 1, "203.0.113.2", 2, TCP_SYN_SENT, false);
	struct flow dead = mkflow("198.51.100.2", 1, "203.0.113.2", 2, TCP_FIN_WAIT, true);

	/* a group, in any case and with - or _ */
	ck_assert_int_eq(PARSE(false, "Half-Closed"), 0);
	ck_assert(flow_filter_match(&ff, &fw, 0) && flow_filter_match(&ff, &cw, 0));
	ck_assert(!flow_filter_match(&ff, &la, 0) && !flow_filter_match(&ff, &es, 0));
	ck_assert(!flow_filter_match(&ff, &dead, 0));	/* a state word means live */
	ck_assert_int_eq(PARSE(false, "state", "closing"), 0);
	ck_assert(flow_filter_match(&ff, &la, 0) && !flow_filter_match(&ff, &fw, 0));
	ck_assert_int_eq(PARSE(false, "opening"), 0);
	ck_assert(flow_filter_match(&ff, &ss, 0) && !flow_filter_match(&ff, &es, 0));
	/* states of one kind are alternatives */
	ck_assert_int_eq(PARSE(false, "state", "established", "state", "syn-sent"), 0);
	ck_assert(flow_filter_match(&ff, &es, 0) && flow_filter_match(&ff, &ss, 0));
	ck_assert(!flow_filter_match(&ff, &fw, 0));
	/* liveness words */
	ck_assert_int_eq(PARSE(false, "expired"), 0);
	ck_assert(flow_filter_match(&ff, &dead, 0) && !flow_filter_match(&ff, &es, 0));
	ck_assert_int_eq(PARSE(false, "all"), 0);
	ck_assert(flow_filter_match(&ff, &dead, 0) && flow_filter_match(&ff, &es, 0));
	ck_assert_int_eq(PARSE(true, "live"), 0);
	ck_assert(!flow_filter_match(&ff, &dead, 0) && flow_filter_match(&ff, &es, 0));
	/* a tombstone has no state to match: expired plus a state takes both */
	ck_assert_int_eq(PARSE(false, "expired", "fin_wait"), 0);
	ck_assert(flow_filter_match(&ff, &dead, 0) && flow_filter_match(&ff, &fw, 0));
	ck_assert(!flow_filter_match(&ff, &es, 0));
}
END_TEST

START_TEST(test_addresses_and_prefixes)
{
	struct flow a = mkflow("198.51.100.2", 40000, "203.0.113.2", 80, TCP_ESTABLISHED, false);
	struct flow b = mkflow("198.51.100.130", 40000, "203.0.113.9", 80, TCP_ESTABLISHED, false);
	struct flow v6 = mkflow("2001:db8:1::2", 40000, "2001:db8:2::2", 80, TCP_ESTABLISHED, false);

	ck_assert_int_eq(PARSE(false, "src", "198.51.100.0/25"), 0);
	ck_assert(flow_filter_match(&ff, &a, 0) && !flow_filter_match(&ff, &b, 0));
	ck_assert(!flow_filter_match(&ff, &v6, 0));
	/* a prefix not on a byte boundary */
	ck_assert_int_eq(PARSE(false, "dst", "203.0.113.8/29"), 0);
	ck_assert(flow_filter_match(&ff, &b, 0) && !flow_filter_match(&ff, &a, 0));
	/* dst is the responder: the client's address does not match it */
	ck_assert_int_eq(PARSE(false, "dst", "198.51.100.2"), 0);
	ck_assert(!flow_filter_match(&ff, &a, 0));
	/* addr, or a bare address: either end */
	ck_assert_int_eq(PARSE(false, "203.0.113.2"), 0);
	ck_assert(flow_filter_match(&ff, &a, 0) && !flow_filter_match(&ff, &b, 0));
	ck_assert_int_eq(PARSE(false, "addr", "198.51.100.2", "addr", "203.0.113.9"), 0);
	ck_assert(flow_filter_match(&ff, &a, 0) && flow_filter_match(&ff, &b, 0));
	/* IPv6, with a prefix; /0 takes the whole family */
	ck_assert_int_eq(PARSE(false, "src", "2001:db8:1::/48"), 0);
	ck_assert(flow_filter_match(&ff, &v6, 0) && !flow_filter_match(&ff, &a, 0));
	ck_assert_int_eq(PARSE(false, "2001:db8:2::2"), 0);
	ck_assert(flow_filter_match(&ff, &v6, 0));
	ck_assert_int_eq(PARSE(false, "addr", "0.0.0.0/0"), 0);
	ck_assert(flow_filter_match(&ff, &a, 0) && !flow_filter_match(&ff, &v6, 0));
	/* family words */
	ck_assert_int_eq(PARSE(false, "-6"), 0);
	ck_assert(flow_filter_match(&ff, &v6, 0) && !flow_filter_match(&ff, &a, 0));
	ck_assert_int_eq(PARSE(false, "ipv4"), 0);
	ck_assert(!flow_filter_match(&ff, &v6, 0) && flow_filter_match(&ff, &a, 0));
}
END_TEST

START_TEST(test_ports_queues_slots)
{
	struct flow a = mkflow("198.51.100.2", 40000, "203.0.113.2", 80, TCP_ESTABLISHED, false);
	struct flow b = mkflow("198.51.100.2", 80, "203.0.113.2", 5001, TCP_ESTABLISHED, false);

	ck_assert_int_eq(PARSE(false, "dport", "80"), 0);
	ck_assert(flow_filter_match(&ff, &a, 0) && !flow_filter_match(&ff, &b, 0));
	ck_assert_int_eq(PARSE(false, "sport", ":80"), 0);
	ck_assert(flow_filter_match(&ff, &b, 0) && !flow_filter_match(&ff, &a, 0));
	/* port and :N match either end */
	ck_assert_int_eq(PARSE(false, ":80"), 0);
	ck_assert(flow_filter_match(&ff, &a, 0) && flow_filter_match(&ff, &b, 0));
	ck_assert_int_eq(PARSE(false, "port", "5001"), 0);
	ck_assert(!flow_filter_match(&ff, &a, 0) && flow_filter_match(&ff, &b, 0));
	/* kinds must all match: a group and a port */
	ck_assert_int_eq(PARSE(false, "half-closed", "dport", "80"), 0);
	ck_assert(!flow_filter_match(&ff, &a, 0));
	/* queues and slots: flow Q:N, a bare Q:N, flow N */
	ck_assert_int_eq(PARSE(false, "queue", "3"), 0);
	ck_assert(flow_filter_queue(&ff, 3) && !flow_filter_queue(&ff, 4));
	ck_assert_int_eq(PARSE(false, "flow", "2:17"), 0);
	ck_assert(flow_filter_queue(&ff, 2) && !flow_filter_queue(&ff, 0));
	ck_assert(flow_filter_match(&ff, &a, 17) && !flow_filter_match(&ff, &a, 18));
	ck_assert_int_eq(PARSE(false, "1:5"), 0);
	ck_assert(flow_filter_queue(&ff, 1) && flow_filter_match(&ff, &a, 5));
	ck_assert_int_eq(PARSE(false, "flow", "9"), 0);
	ck_assert(flow_filter_queue(&ff, 12) && flow_filter_match(&ff, &a, 9));
	/* the tuple form used for events */
	ck_assert_int_eq(PARSE(false, "dport", "80", "src", "198.51.100.0/24"), 0);
	ck_assert(flow_filter_match_tuple(&ff, 4, NB_PROTO_TCP, &a.src, &a.dst, 40000, 80, 0));
	ck_assert(!flow_filter_match_tuple(&ff, 4, NB_PROTO_TCP, &a.dst, &a.src, 80, 40000, 0));
}
END_TEST

/* tcp, udp, icmp (ICMPv6 too), other: the flow's kind, bare or after proto */
START_TEST(test_protocols)
{
	struct flow t = mkflow("198.51.100.2", 53, "203.0.113.2", 53, TCP_ESTABLISHED, false);
	struct flow u = t, i6 = mkflow("2001:db8:1::2", 7, "2001:db8:2::2", 7, TRK_ICMP, false);
	struct flow g = mkflow("198.51.100.2", 47, "203.0.113.2", 47, TRK_OTHER, false);

	u.fflags |= NBK_UDP << FF_KIND_SHIFT;
	u.trk.state = TRK_UDP_UNREPLIED;
	i6.fflags |= NBK_ICMP << FF_KIND_SHIFT;
	g.fflags |= NBK_OTHER << FF_KIND_SHIFT;
	ck_assert_int_eq(PARSE(false, "udp"), 0);
	ck_assert(flow_filter_match(&ff, &u, 0) && !flow_filter_match(&ff, &t, 0));
	ck_assert_int_eq(PARSE(false, "proto", "tcp", "icmp"), 0);
	ck_assert(flow_filter_match(&ff, &t, 0) && flow_filter_match(&ff, &i6, 0));
	ck_assert(!flow_filter_match(&ff, &u, 0) && !flow_filter_match(&ff, &g, 0));
	ck_assert_int_eq(PARSE(false, "other", "dport", "47"), 0);
	ck_assert(flow_filter_match(&ff, &g, 0) && !flow_filter_match(&ff, &t, 0));
	/* events carry the protocol number */
	ck_assert(flow_filter_match_tuple(&ff, 4, 47, &g.src, &g.dst, 47, 47, 0));
	ck_assert(!flow_filter_match_tuple(&ff, 4, NB_PROTO_UDP, &g.src, &g.dst, 47, 47, 0));
	/* a UDP state by its key */
	ck_assert_int_eq(PARSE(false, "udp_unreplied"), 0);
	ck_assert(flow_filter_match(&ff, &u, 0) && !flow_filter_match(&ff, &t, 0));
	ck_assert_int_eq(PARSE(false, "proto", "sctp"), -1);
	ck_assert_int_eq(PARSE(false, "proto"), -1);
}
END_TEST

START_TEST(test_errors_say_what_was_expected)
{
	char many[FLOW_FILTER_TERMS + 1][2][16];
	char *w[2 * (FLOW_FILTER_TERMS + 1)];

	ck_assert_int_eq(PARSE(false, "state", "sleeping"), -1);
	ck_assert_ptr_nonnull(strstr(err, "expected a tracker state"));
	ck_assert_int_eq(PARSE(false, "state"), -1);
	ck_assert_int_eq(PARSE(false, "src", "198.51.100.300"), -1);
	ck_assert_ptr_nonnull(strstr(err, "198.51.100.300"));
	ck_assert_int_eq(PARSE(false, "src", "198.51.100.0/33"), -1);
	ck_assert_int_eq(PARSE(false, "dst", "2001:db8::/129"), -1);
	ck_assert_int_eq(PARSE(false, "dst"), -1);
	ck_assert_int_eq(PARSE(false, "dport", "65536"), -1);
	ck_assert_ptr_nonnull(strstr(err, "0-65535"));
	ck_assert_int_eq(PARSE(false, "sport", "-1"), -1);
	ck_assert_int_eq(PARSE(false, "port", "80x"), -1);
	ck_assert_int_eq(PARSE(false, "queue", "q"), -1);
	ck_assert_int_eq(PARSE(false, "flow", "1:"), -1);
	ck_assert_int_eq(PARSE(false, "bogus"), -1);
	ck_assert_ptr_nonnull(strstr(err, "'bogus': not a filter word"));
	/* a long word is refused, not copied past a buffer */
	ck_assert_int_eq(PARSE(false, "src",
	    "2001:0db8:0000:0000:0000:0000:0000:0001:2001:0db8:0000:0000:0000:0000"), -1);
	/* at most FLOW_FILTER_TERMS of a kind */
	for (int i = 0; i <= FLOW_FILTER_TERMS; i++) {
		snprintf(many[i][0], sizeof(many[i][0]), "dport");
		snprintf(many[i][1], sizeof(many[i][1]), "%u", 1000u + (unsigned)i);
		w[2 * i] = many[i][0];
		w[2 * i + 1] = many[i][1];
	}
	ck_assert_int_eq(parse_v(false, 2 * FLOW_FILTER_TERMS, w), 0);
	ck_assert_int_eq(parse_v(false, 2 * (FLOW_FILTER_TERMS + 1), w), -1);
	ck_assert_ptr_nonnull(strstr(err, "at most"));
}
END_TEST

Suite *
suite_flowfilter(void)
{
	Suite *s = suite_create("flowfilter");
	TCase *tc = tcase_create("parse_match");

	tcase_add_test(tc, test_empty_takes_live_only);
	tcase_add_test(tc, test_states_and_groups);
	tcase_add_test(tc, test_addresses_and_prefixes);
	tcase_add_test(tc, test_ports_queues_slots);
	tcase_add_test(tc, test_protocols);
	tcase_add_test(tc, test_errors_say_what_was_expected);
	suite_add_tcase(s, tc);
	return s;
}
