/* check_probeaddr.c -- the probe's one endpoint parser: IPv4 with or without a port, bracketed IPv6 with or without one, a bare IPv6; what it writes back reads the same. And the ICMP echo the probe's server and client build (probe_srvicmp.c). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/ip_icmp.h>
#include <string.h>

#include "probe.h"
#include "probe_addr.h"
#include "probe_srvicmp.h"
#include "suites.h"

/* s parses, and writes back as want */
static void
round_trip(const char *s, int family, const char *want)
{
	union probe_sa a, b;
	char buf[64];

	ck_assert_int_eq(probe_parse_addr(s, &a), 0);
	ck_assert_int_eq(a.sa.sa_family, family);
	probe_sa_fmt(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(probe_parse_addr(buf, &b), 0);
	ck_assert(probe_sa_same_host(&a, &b));
	ck_assert_uint_eq(probe_sa_port(&a), probe_sa_port(&b));
	ck_assert_uint_eq(probe_sa_len(&a), family == AF_INET6 ? sizeof(a.in6) : sizeof(a.in));
}

START_TEST(parse_good)
{
	round_trip("192.0.2.1", AF_INET, "192.0.2.1:7445");
	round_trip("192.0.2.1:80", AF_INET, "192.0.2.1:80");
	round_trip("[2001:db8::1]:7446", AF_INET6, "[2001:db8::1]:7446");
	round_trip("[2001:db8::1]", AF_INET6, "[2001:db8::1]:7445");
	round_trip("2001:db8::1", AF_INET6, "[2001:db8::1]:7445");
	round_trip("::", AF_INET6, "[::]:7445");
	round_trip("[::]:9", AF_INET6, "[::]:9");
}
END_TEST

START_TEST(parse_bad)
{
	static const char *const bad[] = {
		"", ":", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:x",
		"[192.0.2.1]:80", "[192.0.2.1]", "[2001:db8::1", "[2001:db8::1]80",
		"[2001:db8::1]:", "[2001:db8::1]:0", "[]:80", "2001:db8::1:x:y:z:w:v:u",
		"host.example:80", "192.0.2.300", "[2001:db8::1]:80x", "2001:db8::g",
	};
	union probe_sa a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(probe_parse_addr(bad[i], &a) < 0, "%s parsed", bad[i]);
}
END_TEST

START_TEST(helpers)
{
	union probe_sa a, b, c;
	struct sockaddr_in v4;

	ck_assert_int_eq(probe_parse_addr("[::]:7446", &a), 0);
	ck_assert_int_eq(probe_parse_addr("2001:db8::1", &b), 0);
	ck_assert(probe_sa_is_any(&a));
	ck_assert(!probe_sa_is_any(&b));
	probe_sa_set_host(&a, &b);	/* a wildcard listen: the address we reach */
	ck_assert(probe_sa_same_host(&a, &b));
	ck_assert_uint_eq(probe_sa_port(&a), 7446);
	ck_assert(!probe_sa_v4(&a, &v4));
	ck_assert_int_eq(v4.sin_family, AF_UNSPEC);
	ck_assert_int_eq(probe_parse_addr("192.0.2.1:80", &c), 0);
	ck_assert(!probe_sa_same_host(&b, &c));	/* families differ */
	ck_assert(probe_sa_v4(&c, &v4));
	ck_assert_uint_eq(ntohs(v4.sin_port), 80);
	ck_assert_uint_eq(v4.sin_addr.s_addr, htonl(0xc0000201));
	ck_assert_int_eq(probe_parse_addr("0.0.0.0", &c), 0);
	ck_assert(probe_sa_is_any(&c));
}
END_TEST

/* An echo reply as the server sends it: fields in network order, and a
 * checksum over the whole message that sums to 0xffff (RFC 792). */
START_TEST(icmp_echo)
{
	uint8_t pkt[64];
	uint32_t sum = 0;
	size_t n = probe_icmp_echo(pkt, sizeof(pkt), ICMP_ECHOREPLY, 0x1234, 7, "NBI 42 L");

	ck_assert_uint_eq(n, 8 + 8);
	ck_assert_uint_eq(pkt[0], ICMP_ECHOREPLY);
	ck_assert_uint_eq(pkt[1], 0);
	ck_assert_uint_eq(pkt[4] << 8 | pkt[5], 0x1234);
	ck_assert_uint_eq(pkt[6] << 8 | pkt[7], 7);
	ck_assert(memcmp(pkt + 8, "NBI 42 L", 8) == 0);
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck_assert_uint_eq(sum, 0xffff);
	/* an odd payload: the last byte padded with zero */
	n = probe_icmp_echo(pkt, sizeof(pkt), ICMP_ECHO, 1, 1, "NBI 7");
	ck_assert_uint_eq(n, 13);
	pkt[n] = 0;
	sum = 0;
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck_assert_uint_eq(sum, 0xffff);
	ck_assert_uint_eq(probe_icmp_echo(pkt, 12, ICMP_ECHO, 1, 1, "NBI 7"), 0);
}
END_TEST

Suite *
suite_probeaddr(void)
{
	Suite *s = suite_create("probeaddr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_good);
	tcase_add_test(tc, parse_bad);
	tcase_add_test(tc, helpers);
	tcase_add_test(tc, icmp_echo);
	suite_add_tcase(s, tc);
	return s;
}
