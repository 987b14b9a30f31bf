/* check_natrw_icmp.c -- natrw_icmp_unreach(): the ICMP destination unreachable natbox answers refused packets with. */
#include <check.h>
#include <string.h>

#include "natrw.h"
#include "suites.h"

/* A UDP datagram 198.51.100.2:40000 -> 203.0.113.100:5000 with 12 bytes
 * of data; IP checksum left 0 (the builder quotes, never checks it). */
static size_t
udp_packet(uint8_t *b)
{
	static const uint8_t hdr[28] = {
		0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0,
		198, 51, 100, 2, 203, 0, 113, 100,
		0x9c, 0x40, 0x13, 0x88, 0, 20, 0xab, 0xcd,
	};

	memcpy(b, hdr, sizeof(hdr));
	memset(b + 28, 'x', 12);
	return 40;
}

START_TEST(unreach_fields)
{
	uint8_t pkt[64], out[NATRW_UNREACH_MAX];
	size_t n, len = udp_packet(pkt);

	n = natrw_icmp_unreach(pkt, len, 3, out, sizeof(out));
	ck_assert_uint_eq(n, 20 + 8 + 28);
	ck_assert_uint_eq(out[0], 0x45);
	ck_assert_uint_eq((unsigned)(out[2] << 8 | out[3]), n);
	ck_assert_uint_eq(out[9], 1);
	ck_assert_uint_eq(out[8], 64);
	ck_assert_mem_eq(out + 12, pkt + 16, 4);	/* from the pool address */
	ck_assert_mem_eq(out + 16, pkt + 12, 4);	/* to the sender */
	ck_assert_uint_eq(out[20], 3);
	ck_assert_uint_eq(out[21], 3);
	ck_assert_mem_eq(out + 28, pkt, 28);		/* header + 8 bytes */
	/* both checksums verify: the sum over a checked span is all ones */
	ck_assert_uint_eq(natrw_checksum(out, 20, 0), 0);
	ck_assert_uint_eq(natrw_checksum(out + 20, n - 20, 0), 0);
}
END_TEST

START_TEST(unreach_short_packets)
{
	uint8_t pkt[64], out[NATRW_UNREACH_MAX];
	size_t n;

	udp_packet(pkt);
	/* a copy that ends inside the 8 bytes: what there is is quoted */
	n = natrw_icmp_unreach(pkt, 24, 13, out, sizeof(out));
	ck_assert_uint_eq(n, 28 + 24);
	ck_assert_uint_eq(out[21], 13);
	ck_assert_uint_eq(natrw_checksum(out + 20, n - 20, 0), 0);
	/* an IP length shorter than header + 8 bounds the quote too */
	pkt[3] = 24;
	n = natrw_icmp_unreach(pkt, 40, 3, out, sizeof(out));
	ck_assert_uint_eq(n, 28 + 24);
	/* no whole header: no answer */
	ck_assert_uint_eq(natrw_icmp_unreach(pkt, 19, 3, out, sizeof(out)), 0);
	/* a buffer short of the most the builder writes */
	ck_assert_uint_eq(natrw_icmp_unreach(pkt, 40, 3, out, NATRW_UNREACH_MAX - 1), 0);
}
END_TEST

START_TEST(unreach_refused)
{
	uint8_t pkt[64], out[NATRW_UNREACH_MAX];
	size_t len = udp_packet(pkt);

	/* a non-first fragment */
	pkt[6] = 0x20;
	pkt[7] = 0x10;
	ck_assert_uint_eq(natrw_icmp_unreach(pkt, len, 3, out, sizeof(out)), 0);
	udp_packet(pkt);
	/* sources that name no single host (RFC 1122 3.2.2) */
	pkt[12] = 224;
	ck_assert_uint_eq(natrw_icmp_unreach(pkt, len, 3, out, sizeof(out)), 0);
	pkt[12] = 0;
	ck_assert_uint_eq(natrw_icmp_unreach(pkt, len, 3, out, sizeof(out)), 0);
	pkt[12] = 127;
	ck_assert_uint_eq(natrw_icmp_unreach(pkt, len, 3, out, sizeof(out)), 0);
	/* IPv6 */
	udp_packet(pkt);
	pkt[0] = 0x60;
	ck_assert_uint_eq(natrw_icmp_unreach(pkt, len, 3, out, sizeof(out)), 0);
}
END_TEST

/* The answer to a packet with IP options quotes them too. */
START_TEST(unreach_options)
{
	uint8_t pkt[80], out[NATRW_UNREACH_MAX];
	size_t n;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x46;		/* IHL 6: one word of options (NOPs and EOL) */
	pkt[3] = 44;
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, (const uint8_t[]){ 198, 51, 100, 2, 203, 0, 113, 100 }, 8);
	memset(pkt + 20, 1, 4);
	n = natrw_icmp_unreach(pkt, 44, 3, out, sizeof(out));
	ck_assert_uint_eq(n, 28 + 24 + 8);
	ck_assert_mem_eq(out + 28, pkt, 32);
	ck_assert_uint_eq(natrw_checksum(out + 20, n - 20, 0), 0);
}
END_TEST

Suite *
suite_natrw_icmp(void)
{
	Suite *s = suite_create("natrw_icmp");
	TCase *tc = tcase_create("unreach");

	tcase_add_test(tc, unreach_fields);
	tcase_add_test(tc, unreach_short_packets);
	tcase_add_test(tc, unreach_refused);
	tcase_add_test(tc, unreach_options);
	suite_add_tcase(s, tc);
	return s;
}
