/* check_nat.c -- translation: the mapping table and port allocator with injected time, the packet rewriter's checksums, and the engine translating flows. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_nat.h"
#include "event.h"
#include "nat.h"
#include "natrw.h"
#include "policy.h"
#include "reason.h"
#include "nat_tb.h"
#include "suites.h"

static void
conf_init(struct nat_conf *c)
{
	struct policy p;

	policy_defaults(&p);
	*c = p.nat;
	c->nranges = 1;
	c->range[0].lo = c->range[0].hi = POOL;
}

static struct nat_key
key(uint8_t proto, uint32_t iaddr, uint16_t iport, uint32_t raddr, uint16_t rport)
{
	struct nat_key k = { .proto = proto, .iaddr = iaddr, .iport = iport,
	    .raddr = raddr, .rport = rport };

	return k;
}

/* Get and take a reference, as a flow does. */
static uint32_t
take(struct nat_table *t, struct nat_key k, uint64_t now, enum nat_fail *why)
{
	enum nat_fail w;
	uint32_t m = nat_map_get(t, &k, now, UINT64_MAX, &w);

	if (why)
		*why = w;
	if (m != NAT_NONE)
		nat_map_ref(t, m, k.raddr);
	return m;
}

static uint16_t
xport(const struct nat_table *t, uint32_t m)
{
	ck_assert_uint_ne(m, NAT_NONE);
	return nat_map_at(t, m)->xport;
}

/* ---- the mapping table ---- */

START_TEST(test_preserve_and_mapping_behaviour)
{
	struct nat_conf c;
	struct nat_table *t;
	uint32_t m1, m2, m3;

	for (int beh = NAT_EI; beh <= NAT_APD; beh++) {
		conf_init(&c);
		c.mapping = (uint8_t)beh;
		t = nat_new(&c, 64, seed);
		m1 = take(t, key(P_TCP, CLIENT, 40000, SERVER, 80), 0, NULL);
		ck_assert_uint_eq(xport(t, m1), 40000);		/* preserved */
		/* same endpoint, another port of the same server */
		m2 = take(t, key(P_TCP, CLIENT, 40000, SERVER, 443), 0, NULL);
		/* same endpoint, another server */
		m3 = take(t, key(P_TCP, CLIENT, 40000, SERVER2, 80), 0, NULL);
		ck_assert(beh == NAT_APD ? m2 != m1 : m2 == m1);
		ck_assert(beh == NAT_EI ? m3 == m1 : m3 != m1);
		ck_assert(beh == NAT_EI ? m3 == m2 : m3 != m2);
		/* a second host on the same port cannot have port 40000 */
		m2 = take(t, key(P_TCP, CLIENT2, 40000, SERVER, 80), 0, NULL);
		ck_assert_uint_ne(xport(t, m2), 40000);
		/* another protocol's port space is its own */
		m3 = take(t, key(P_UDP, CLIENT2, 40000, SERVER, 80), 0, NULL);
		ck_assert_uint_eq(xport(t, m3), 40000);
		nat_free(t);
	}
}
END_TEST

START_TEST(test_parity_range_sequential_random)
{
	struct nat_conf c;
	struct nat_table *t;
	uint8_t seen[65536] = { 0 };

	conf_init(&c);
	c.parity = true;
	c.port_lo = 2000;
	c.port_hi = 2999;
	c.ports = NATP_RANDOM;
	t = nat_new(&c, 4096, seed);
	for (uint16_t i = 0; i < 400; i++) {
		uint16_t ip = (uint16_t)(5000 + i);
		uint32_t m = take(t, key(P_UDP, CLIENT, ip, SERVER, 53), 0, NULL);
		uint16_t x = xport(t, m);

		ck_assert_uint_eq(x & 1, ip & 1);
		ck_assert(x >= 2000 && x <= 2999);
		ck_assert_uint_eq(seen[x], 0);
		seen[x] = 1;
	}
	nat_free(t);

	conf_init(&c);
	c.ports = NATP_SEQUENTIAL;
	c.port_lo = 10000;
	c.port_hi = 10003;
	t = nat_new(&c, 64, seed);
	uint16_t prev = 0;
	enum nat_fail why;

	for (uint16_t i = 0; i < 4; i++) {
		uint32_t m = take(t, key(P_TCP, CLIENT, (uint16_t)(100 + i * 7), SERVER, 80), 0, &why);
		uint16_t x = xport(t, m);

		if (i > 0)
			ck_assert_uint_eq(x, prev + 1);
		prev = x;
	}
	/* the range is spent: a fifth is refused and counted */
	ck_assert_uint_eq(take(t, key(P_TCP, CLIENT, 999, SERVER, 80), 0, &why), NAT_NONE);
	ck_assert_int_eq(why, NATF_PORTS);
	ck_assert_uint_eq(nat_stats(t)->ports_exhausted, 1);
	nat_free(t);
}
END_TEST

START_TEST(test_reuse_delay)
{
	struct nat_conf c;
	struct nat_table *t;
	uint32_t m;

	conf_init(&c);
	c.reuse_delay = 120 * SEC;
	t = nat_new(&c, 64, seed);
	m = take(t, key(P_TCP, CLIENT, 40000, SERVER, 80), 10 * SEC, NULL);
	ck_assert_uint_eq(xport(t, m), 40000);
	nat_map_put(t, m, SERVER, 20 * SEC);
	ck_assert_uint_eq(nat_count(t), 0);
	ck_assert_uint_eq(nat_map_find(t, P_TCP, 0, 40000), NAT_NONE);
	/* within the rest: the same endpoint gets another port */
	m = take(t, key(P_TCP, CLIENT, 40000, SERVER, 80), 139 * SEC, NULL);
	ck_assert_uint_ne(xport(t, m), 40000);
	nat_map_put(t, m, SERVER, 139 * SEC);
	/* after it (to the clock's tick, ~1 ms): the port is free again */
	m = take(t, key(P_TCP, CLIENT, 40000, SERVER, 80), 140 * SEC + SEC / 100, NULL);
	ck_assert_uint_eq(xport(t, m), 40000);
	nat_free(t);

	/* no delay: straight back */
	conf_init(&c);
	t = nat_new(&c, 64, seed);
	m = take(t, key(P_TCP, CLIENT, 40000, SERVER, 80), 0, NULL);
	nat_map_put(t, m, SERVER, 1);
	m = take(t, key(P_TCP, CLIENT, 40000, SERVER, 80), 1, NULL);
	ck_assert_uint_eq(xport(t, m), 40000);
	nat_free(t);
}
END_TEST

START_TEST(test_quota)
{
	struct nat_conf c;
	struct nat_table *t;
	enum nat_fail why;
	uint32_t m[3];

	conf_init(&c);
	c.ports_per_host = 2;
	t = nat_new(&c, 64, seed);
	m[0] = take(t, key(P_TCP, CLIENT, 1, SERVER, 80), 0, &why);
	m[1] = take(t, key(P_UDP, CLIENT, 2, SERVER, 80), 0, &why);
	ck_assert_uint_eq(nat_host_count(t, CLIENT), 2);
	m[2] = take(t, key(P_TCP, CLIENT, 3, SERVER, 80), 0, &why);
	ck_assert_uint_eq(m[2], NAT_NONE);
	ck_assert_int_eq(why, NATF_QUOTA);
	ck_assert_uint_eq(nat_stats(t)->quota, 1);
	/* another host is not held back; a reused mapping costs nothing */
	ck_assert_uint_ne(take(t, key(P_TCP, CLIENT2, 3, SERVER, 80), 0, &why), NAT_NONE);
	ck_assert_uint_eq(take(t, key(P_TCP, CLIENT, 1, SERVER2, 80), 0, &why), m[0]);
	nat_map_put(t, m[1], SERVER, 5);
	ck_assert_uint_ne(take(t, key(P_TCP, CLIENT, 3, SERVER, 80), 5, &why), NAT_NONE);
	nat_free(t);
}
END_TEST

START_TEST(test_filtering)
{
	struct nat_conf c;
	struct nat_table *t;
	uint32_t m;

	/* EIM + ADF: permissions by remote address, counted by flows */
	conf_init(&c);
	c.filtering = NAT_AD;
	t = nat_new(&c, 64, seed);
	m = take(t, key(P_UDP, CLIENT, 5000, SERVER, 3478), 0, NULL);
	ck_assert(nat_filter_allows(t, m, SERVER, 9999));
	ck_assert(!nat_filter_allows(t, m, SERVER2, 3478));
	nat_map_ref(t, m, SERVER);	/* a second flow to the same address */
	nat_map_put(t, m, SERVER, 1);
	ck_assert(nat_filter_allows(t, m, SERVER, 1));
	nat_free(t);

	/* EIF lets anyone in; APDF under APDM only the mapping's remote */
	conf_init(&c);
	c.filtering = NAT_EI;
	t = nat_new(&c, 64, seed);
	m = take(t, key(P_UDP, CLIENT, 5000, SERVER, 3478), 0, NULL);
	ck_assert(nat_filter_allows(t, m, SERVER2, 1));
	nat_free(t);
	conf_init(&c);
	c.mapping = c.filtering = NAT_APD;
	t = nat_new(&c, 64, seed);
	m = take(t, key(P_UDP, CLIENT, 5000, SERVER, 3478), 0, NULL);
	ck_assert(nat_filter_allows(t, m, SERVER, 3478));
	ck_assert(!nat_filter_allows(t, m, SERVER, 3479));
	ck_assert(!nat_filter_allows(t, m, SERVER2, 3478));
	nat_free(t);
}
END_TEST

START_TEST(test_pooling)
{
	struct nat_conf c;
	struct nat_table *t;
	uint32_t xai0 = 0;

	conf_init(&c);
	c.range[0].hi = POOL + 7;
	c.pooling = NATPOOL_PAIRED;
	t = nat_new(&c, 256, seed);
	for (uint16_t i = 0; i < 50; i++) {
		uint32_t m = take(t, key(P_TCP, CLIENT, (uint16_t)(1000 + i), SERVER, 80), 0, NULL);

		if (i == 0)
			xai0 = nat_map_at(t, m)->xai;
		ck_assert_uint_eq(nat_map_at(t, m)->xai, xai0);	/* paired */
	}
	nat_free(t);
	c.pooling = NATPOOL_ARBITRARY;
	t = nat_new(&c, 256, seed);
	unsigned differ = 0;

	for (uint16_t i = 0; i < 50; i++) {
		uint32_t m = take(t, key(P_TCP, CLIENT, (uint16_t)(1000 + i), SERVER, 80), 0, NULL);

		differ += nat_map_at(t, m)->xai != 0;
	}
	ck_assert_uint_gt(differ, 0);
	nat_free(t);
}
END_TEST

/* Random gets and puts with time moving on: no two live mappings ever
 * share an external (protocol, address, port); counts add up; a host
 * never goes over its quota. */
START_TEST(test_property_unique_external)
{
	struct nat_conf c;
	struct nat_table *t;
	uint32_t held[512];
	unsigned nheld = 0;
	uint64_t rng = 12345, now = 0;

	conf_init(&c);
	c.range[0].hi = POOL + 1;
	c.port_lo = 4000;
	c.port_hi = 4199;		/* 2 x 200 ports per protocol: they run out */
	c.ports = (uint8_t)(_i % 3);
	c.mapping = (uint8_t)(_i / 3 % 3);
	c.reuse_delay = (_i & 1) ? 3 * SEC : 0;
	c.ports_per_host = 150;
	t = nat_new(&c, 512, seed);
	for (int step = 0; step < 20000; step++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		uint32_t r = (uint32_t)(rng >> 33);

		now += (r & 7) * (SEC / 10);
		if ((r & 1) && nheld < 512) {
			struct nat_key k = key((r >> 1) & 1 ? P_TCP : P_UDP,
			    CLIENT + ((r >> 2) & 3), (uint16_t)(1000 + ((r >> 4) & 1023)),
			    SERVER + ((r >> 14) & 1), (uint16_t)(80 + ((r >> 15) & 3)));
			uint32_t m = take(t, k, now, NULL);

			if (m != NAT_NONE)
				held[nheld++] = m;
		} else if (nheld > 0) {
			unsigned j = (r >> 1) % nheld;
			struct nat_key mk;

			nat_map_key(t, held[j], &mk);
			nat_map_put(t, held[j], c.mapping == NAT_EI ? SERVER : mk.raddr, now);
			held[j] = held[--nheld];
		}
		if (step % 1000 != 0)
			continue;
		/* the invariant, over the whole table */
		static uint8_t used[2][2][65536];
		uint32_t live = 0;

		memset(used, 0, sizeof(used));
		for (uint32_t i = 0; i < nat_capacity(t); i++) {
			const struct nat_map *m = nat_map_at(t, i);

			if (!(m->flags & NMF_LIVE))
				continue;
			live++;
			ck_assert_uint_eq(used[m->proto == P_TCP][m->xai][m->xport], 0);
			used[m->proto == P_TCP][m->xai][m->xport] = 1;
			ck_assert(m->xport >= 4000 && m->xport <= 4199);
			ck_assert_uint_gt(m->nflows, 0);
		}
		ck_assert_uint_eq(live, nat_count(t));
		for (uint32_t h = 0; h < 4; h++)
			ck_assert_uint_le(nat_host_count(t, CLIENT + h), 150);
	}
	nat_free(t);
}
END_TEST

START_TEST(test_policy_nat_keys)
{
	struct policy p, q;
	struct policy_errors errs;
	char buf[8192];

	policy_defaults(&p);
	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(policy_set(&p, "t", "nat.outside = 203.0.113.100-203.0.113.103, 192.0.2.7", &errs), 0);
	ck_assert_uint_eq(nat_pool_size(&p.nat), 5);
	ck_assert_uint_eq(nat_pool_addr(&p.nat, 4), IP(192, 0, 2, 7));
	ck_assert_int_eq(nat_pool_index(&p.nat, IP(203, 0, 113, 102)), 2);
	ck_assert_int_eq(policy_set(&p, "t", "nat.inside = 198.51.100.0/24,192.0.2.0/24", &errs), 0);
	ck_assert(nat_inside(&p.nat, IP(192, 0, 2, 3)));
	ck_assert(!nat_inside(&p.nat, SERVER));
	ck_assert_int_eq(policy_set(&p, "t", "nat.mapping = address-and-port-dependent", &errs), 0);
	ck_assert_int_eq(policy_set(&p, "t", "nat.port_range = 2000-2999", &errs), 0);
	ck_assert_int_eq(policy_set(&p, "t", "nat.parity = on", &errs), 0);
	ck_assert_int_eq(policy_set(&p, "t", "nat.port_reuse_delay = 2m", &errs), 0);
	/* written back, read back: the same */
	policy_format(&p, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "nat.outside = 203.0.113.100-203.0.113.103,192.0.2.7\n"));
	ck_assert_int_eq(policy_parse(&q, "x.profile", buf, strlen(buf), NULL, &errs), 0);
	ck_assert_mem_eq(&p.nat, &q.nat, sizeof(p.nat));
	/* no translation, nothing written */
	policy_defaults(&p);
	policy_format(&p, buf, sizeof(buf));
	ck_assert_ptr_null(strstr(buf, "nat."));
	/* mistakes */
	static const char *const bad[] = {
		"nat.outside = 203.0.113.300", "nat.outside = 203.0.113.9-203.0.113.1",
		"nat.outside = 198.18.0.0-198.19.255.255", "nat.outside = 1.1.1.1-1.1.1.5,1.1.1.3",
		"nat.inside = 192.0.2.1/24", "nat.inside = 192.0.2.0/33",
		"nat.port_range = 5-4", "nat.port_range = 0-10", "nat.mapping = cone",
		"nat.ports_per_host = -1", "nat.unsolicited = rst",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&errs, 0, sizeof(errs));
		ck_assert_msg(policy_set(&p, "t", bad[i], &errs) < 0, "accepted %s", bad[i]);
		ck_assert_uint_eq(errs.count, 1);
	}
	/* a file with a duplicate nat key says where */
	const char *txt = "nat.outside = 203.0.113.1\nnat.outside = 203.0.113.2\n";

	memset(&errs, 0, sizeof(errs));
	ck_assert_int_lt(policy_parse(&q, "f.profile", txt, strlen(txt), NULL, &errs), 0);
	ck_assert_ptr_nonnull(strstr(errs.msg[0], "f.profile:2: duplicate key 'nat.outside'"));
}
END_TEST

Suite *
suite_nat(void)
{
	Suite *s = suite_create("nat");
	TCase *tc;

	tc = tcase_create("table");

	tcase_add_test(tc, test_preserve_and_mapping_behaviour);
	tcase_add_test(tc, test_parity_range_sequential_random);
	tcase_add_test(tc, test_reuse_delay);
	tcase_add_test(tc, test_quota);
	tcase_add_test(tc, test_filtering);
	tcase_add_test(tc, test_pooling);
	tcase_add_loop_test(tc, test_property_unique_external, 0, 18);
	tcase_add_test(tc, test_policy_nat_keys);
	suite_add_tcase(s, tc);
	return s;
}
