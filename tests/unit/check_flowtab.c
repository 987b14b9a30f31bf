/* check_flowtab.c -- flow table: both directions, tuple matching, pool limits, hash, sampling. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "suites.h"

/* ck_assert() records a checkpoint through a pipe on every call, which
 * dominates loops of 100k checks; loops use this quiet form instead. */
#define CHECK(c) do {							\
	if (!(c))							\
		ck_abort_msg("assertion failed: %s", #c);		\
} while (0)

static uint64_t seed_a[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
static uint64_t seed_b[2] = { 0x0123456789abcdefULL, 0xfedcba9876543211ULL };

/* splitmix64: a fixed, reproducible stream for the randomized tests. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct nb_packet
pkt4(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct nb_packet p;

	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.flags = TH_SYN;
	p.src.b[0] = src >> 24; p.src.b[1] = src >> 16;
	p.src.b[2] = src >> 8; p.src.b[3] = src;
	p.dst.b[0] = dst >> 24; p.dst.b[1] = dst >> 16;
	p.dst.b[2] = dst >> 8; p.dst.b[3] = dst;
	p.sport = sport;
	p.dport = dport;
	return p;
}

/* 2001:db8::/32 with the given low 64 bits. */
static struct nb_packet
pkt6(uint64_t src, uint16_t sport, uint64_t dst, uint16_t dport)
{
	struct nb_packet p;
	int i;

	memset(&p, 0, sizeof(p));
	p.family = 6;
	p.src.b[0] = p.dst.b[0] = 0x20;
	p.src.b[1] = p.dst.b[1] = 0x01;
	p.src.b[2] = p.dst.b[2] = 0x0d;
	p.src.b[3] = p.dst.b[3] = 0xb8;
	for (i = 0; i < 8; i++) {
		p.src.b[15 - i] = (uint8_t)(src >> (8 * i));
		p.dst.b[15 - i] = (uint8_t)(dst >> (8 * i));
	}
	p.sport = sport;
	p.dport = dport;
	return p;
}

static struct nb_packet
pkt_swap(const struct nb_packet *p)
{
	struct nb_packet r = *p;

	r.src = p->dst;
	r.dst = p->src;
	r.sport = p->dport;
	r.dport = p->sport;
	return r;
}

static struct nb_packet
pkt_random(uint64_t *s)
{
	uint64_t r = rng_next(s);

	if (r & 1)
		return pkt4((uint32_t)rng_next(s), (uint16_t)(r >> 8),
		    (uint32_t)rng_next(s), (uint16_t)(r >> 24));
	return pkt6(rng_next(s), (uint16_t)(r >> 8), rng_next(s),
	    (uint16_t)(r >> 24));
}

static struct flow *
lookup(struct flowtab *ft, const struct nb_packet *p, enum flow_dir *dir)
{
	return flowtab_lookup(ft, p, flowtab_hash(ft, p), dir);
}

static struct flow *
insert(struct flowtab *ft, const struct nb_packet *p)
{
	return flowtab_insert(ft, p, flowtab_hash(ft, p));
}

static void
check_both_dirs(const struct nb_packet *p)
{
	struct flowtab *ft = flowtab_new(64, seed_a);
	struct nb_packet r = pkt_swap(p);
	enum flow_dir dir = DIR_REPLY;
	struct flow *f;

	ck_assert_ptr_nonnull(ft);
	ck_assert_uint_eq(flowtab_hash(ft, p), flowtab_hash(ft, &r));
	ck_assert_ptr_null(lookup(ft, p, &dir));
	f = insert(ft, p);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(flowtab_count(ft), 1);

	/* The packet's sender is the originator, the rest is zero. */
	ck_assert_int_eq(memcmp(&f->src, &p->src, sizeof(f->src)), 0);
	ck_assert_int_eq(memcmp(&f->dst, &p->dst, sizeof(f->dst)), 0);
	ck_assert_uint_eq(f->sport, p->sport);
	ck_assert_uint_eq(f->dport, p->dport);
	ck_assert_uint_eq(f->family, p->family);
	ck_assert_uint_eq(f->fflags, FF_USED);
	ck_assert_uint_eq(f->wnext, FLOW_NIL);
	ck_assert_uint_eq(f->wprev, FLOW_NIL);
	ck_assert_uint_eq(f->deadline, 0);
	ck_assert_uint_eq(f->trk.state, TCP_NONE);

	/* Prefetching changes nothing, on a used or an empty bucket. */
	flowtab_prefetch(ft, flowtab_hash(ft, p));
	flowtab_prefetch_flow(ft, flowtab_hash(ft, p), 0);
	flowtab_prefetch_flow(ft, flowtab_hash(ft, p) + 1, 1);
	ck_assert_ptr_eq(lookup(ft, p, &dir), f);
	ck_assert_int_eq(dir, DIR_ORIG);
	ck_assert_ptr_eq(lookup(ft, &r, &dir), f);
	ck_assert_int_eq(dir, DIR_REPLY);
	flowtab_free(ft);
}

START_TEST(test_v4_both_dirs)
{
	struct nb_packet p = pkt4(0xc6336401, 40000, 0xcb007102, 80);

	check_both_dirs(&p);
}
END_TEST

START_TEST(test_v6_both_dirs)
{
	struct nb_packet p = pkt6(1, 40000, 0x10000000000002ULL, 443);

	check_both_dirs(&p);
}
END_TEST

/*
 * Near misses must not match. Each is also looked up with the inserted
 * flow's own hash, so it reaches the flow's chain and the tuple compare,
 * not just an empty bucket.
 */
static void
check_near_misses(const struct nb_packet *p)
{
	struct flowtab *ft = flowtab_new(16, seed_a);
	struct nb_packet miss[6];
	enum flow_dir dir;
	uint32_t h;
	size_t i;

	ck_assert_ptr_nonnull(insert(ft, p));
	h = flowtab_hash(ft, p);

	miss[0] = *p;			/* ports swapped, addresses not */
	miss[0].sport = p->dport;
	miss[0].dport = p->sport;
	miss[1] = *p;			/* addresses swapped, ports not */
	miss[1].src = p->dst;
	miss[1].dst = p->src;
	miss[2] = *p;			/* other family, same bytes */
	miss[2].family = p->family == 4 ? 6 : 4;
	miss[3] = *p;			/* one port off */
	miss[3].dport++;
	miss[4] = *p;			/* last address byte off */
	miss[4].dst.b[15] ^= 1;
	miss[5] = *p;			/* first address byte off */
	miss[5].src.b[0] ^= 0x80;

	for (i = 0; i < sizeof(miss) / sizeof(miss[0]); i++) {
		struct nb_packet r = pkt_swap(&miss[i]);

		ck_assert_msg(lookup(ft, &miss[i], &dir) == NULL,
		    "miss %zu", i);
		ck_assert_msg(flowtab_lookup(ft, &miss[i], h, &dir) == NULL,
		    "miss %zu (same bucket)", i);
		ck_assert_msg(flowtab_lookup(ft, &r, h, &dir) == NULL,
		    "miss %zu reversed (same bucket)", i);
	}
	flowtab_free(ft);
}

START_TEST(test_near_misses_v4)
{
	struct nb_packet p = pkt4(0xc0000201, 1234, 0xc0000202, 80);

	check_near_misses(&p);
}
END_TEST

START_TEST(test_near_misses_v6)
{
	struct nb_packet p = pkt6(7, 1234, 9, 80);

	check_near_misses(&p);
}
END_TEST

/* Equal ports on both ends: the flow matches in both directions, once. */
START_TEST(test_same_ports)
{
	struct flowtab *ft = flowtab_new(16, seed_a);
	struct nb_packet p = pkt4(0xc0000201, 5000, 0xc0000202, 5000);
	struct nb_packet r = pkt_swap(&p);
	enum flow_dir dir;
	struct flow *f = insert(ft, &p);

	ck_assert_ptr_eq(lookup(ft, &p, &dir), f);
	ck_assert_int_eq(dir, DIR_ORIG);
	ck_assert_ptr_eq(lookup(ft, &r, &dir), f);
	ck_assert_int_eq(dir, DIR_REPLY);
	flowtab_free(ft);
}
END_TEST

START_TEST(test_remove)
{
	struct flowtab *ft = flowtab_new(16, seed_a);
	struct nb_packet p = pkt4(0xc0000201, 1234, 0xc0000202, 80);
	struct nb_packet q = pkt4(0xc0000201, 1235, 0xc0000202, 80);
	struct nb_packet r = pkt_swap(&p);
	enum flow_dir dir;
	struct flow *f, *g;

	f = insert(ft, &p);
	g = insert(ft, &q);
	ck_assert_uint_eq(flowtab_count(ft), 2);
	flowtab_remove(ft, f);
	ck_assert_uint_eq(flowtab_count(ft), 1);
	ck_assert_uint_eq(f->fflags & FF_USED, 0);
	ck_assert_ptr_null(lookup(ft, &p, &dir));
	ck_assert_ptr_null(lookup(ft, &r, &dir));
	ck_assert_ptr_eq(lookup(ft, &q, &dir), g);

	/* Re-inserting from the reply side makes that side the originator. */
	f = insert(ft, &r);
	ck_assert_ptr_eq(lookup(ft, &p, &dir), f);
	ck_assert_int_eq(dir, DIR_REPLY);
	flowtab_remove(ft, g);
	flowtab_remove(ft, f);
	ck_assert_uint_eq(flowtab_count(ft), 0);
	flowtab_free(ft);
}
END_TEST

/* Eager and lazy tables (loop index 0, 1) behave alike. */
START_TEST(test_capacity)
{
	enum { CAP = 10 };
	struct flowtab *ft = flowtab_new_lazy(CAP, seed_a, _i);
	struct flow *f[CAP];
	struct nb_packet p;
	enum flow_dir dir;
	unsigned i;

	ck_assert_uint_eq(flowtab_capacity(ft), CAP);
	for (i = 0; i < CAP; i++) {
		p = pkt4(0xc0000201, (uint16_t)(1000 + i), 0xc0000202, 80);
		f[i] = insert(ft, &p);
		ck_assert_ptr_nonnull(f[i]);
		ck_assert_uint_lt(flowtab_index(ft, f[i]), CAP);
		ck_assert_uint_eq(flowtab_count(ft), i + 1);
	}
	p = pkt4(0xc0000201, 999, 0xc0000202, 80);
	ck_assert_ptr_null(insert(ft, &p));
	ck_assert_uint_eq(flowtab_count(ft), CAP);

	flowtab_remove(ft, f[3]);
	ck_assert_uint_eq(flowtab_count(ft), CAP - 1);
	ck_assert_ptr_eq(insert(ft, &p), f[3]);	/* the freed slot */
	ck_assert_ptr_eq(lookup(ft, &p, &dir), f[3]);
	ck_assert_uint_eq(flowtab_count(ft), CAP);
	ck_assert_ptr_null(insert(ft, &p));
	flowtab_free(ft);
}
END_TEST

START_TEST(test_new_invalid)
{
	ck_assert_ptr_null(flowtab_new(0, seed_a));
	ck_assert_ptr_null(flowtab_new(10, NULL));
	ck_assert_ptr_null(flowtab_new(0x80000001u, seed_a));
}
END_TEST

START_TEST(test_hash_symmetry)
{
	struct flowtab *ft = flowtab_new(16, seed_a);
	uint64_t s = 1;
	int i;

	for (i = 0; i < 100000; i++) {
		struct nb_packet p = pkt_random(&s);
		struct nb_packet r = pkt_swap(&p);

		CHECK(flowtab_hash(ft, &p) == flowtab_hash(ft, &r));
	}
	flowtab_free(ft);
}
END_TEST

START_TEST(test_hash_seeds)
{
	struct flowtab *a = flowtab_new(16, seed_a);
	struct flowtab *a2 = flowtab_new(16, seed_a);
	struct flowtab *b = flowtab_new(16, seed_b);
	uint64_t s = 2;
	int i, same = 0;

	for (i = 0; i < 10000; i++) {
		struct nb_packet p = pkt_random(&s);

		CHECK(flowtab_hash(a, &p) == flowtab_hash(a2, &p));
		same += flowtab_hash(a, &p) == flowtab_hash(b, &p);
	}
	ck_assert_int_le(same, 2);	/* expect 10000 / 2^32 */
	flowtab_free(a);
	flowtab_free(a2);
	flowtab_free(b);
}
END_TEST

/*
 * Known answers, to pin the hash to real SipHash-1-3: the message (lower
 * address, higher address, their ports big-endian in the same order,
 * family; endpoints ordered by address bytes then port; 4-byte addresses
 * for IPv4, so 13 bytes, 37 for IPv6) under a zero key, low 32 bits. Computed independently with CPython 3.11, whose
 * bytes hash is SipHash-1-3 with an all-zero key when PYTHONHASHSEED=0:
 *   hash(lo_addr + hi_addr + lo_port.to_bytes(2, "big")
 *       + hi_port.to_bytes(2, "big") + bytes([family])) & 0xffffffff
 */
START_TEST(test_hash_known_answer)
{
	uint64_t zero[2] = { 0, 0 };
	struct flowtab *ft = flowtab_new(16, zero);
	struct nb_packet p4 = pkt4(0xc6336401, 40000, 0xcb007102, 80);
	struct nb_packet p6 = pkt6(1, 40000, 2, 443);
	struct nb_packet pp = pkt4(0xc0000201, 5000, 0xc0000201, 80);

	/* 198.51.100.1:40000 -> 203.0.113.2:80 */
	ck_assert_uint_eq(flowtab_hash(ft, &p4), 0xac2b6c23);
	/* [2001:db8::1]:40000 -> [2001:db8:1::2]:443 */
	p6.dst.b[5] = 1;
	ck_assert_uint_eq(flowtab_hash(ft, &p6), 0x71e88725);
	/* 192.0.2.1:5000 -> 192.0.2.1:80: equal addresses, ports decide */
	ck_assert_uint_eq(flowtab_hash(ft, &pp), 0x13ba300e);
	flowtab_free(ft);
}
END_TEST

/* Distinct random tuples (retry on a hit), both families. */
static void
fill_random(struct flowtab *ft, struct nb_packet *pk, uint32_t n, uint64_t s)
{
	enum flow_dir dir;
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct flow *f;

		do
			pk[i] = pkt_random(&s);
		while (lookup(ft, &pk[i], &dir) != NULL);
		f = insert(ft, &pk[i]);
		CHECK(f != NULL);
	}
}

START_TEST(test_many)
{
	enum { N = 100000 };
	struct flowtab *ft = flowtab_new(N, seed_a);
	struct nb_packet *pk = calloc(N, sizeof(*pk));
	enum flow_dir dir;
	uint32_t i;

	fill_random(ft, pk, N, 3);
	ck_assert_uint_eq(flowtab_count(ft), N);
	for (i = 0; i < N; i++) {
		struct nb_packet r = pkt_swap(&pk[i]);
		struct flow *f = lookup(ft, &pk[i], &dir);

		CHECK(f != NULL);
		CHECK(dir == DIR_ORIG);
		CHECK(f->sport == pk[i].sport);
		CHECK(memcmp(&f->src, &pk[i].src, 16) == 0);
		CHECK(lookup(ft, &r, &dir) == f);
		CHECK(dir == DIR_REPLY);
	}
	free(pk);
	flowtab_free(ft);
}
END_TEST

/* Remove in random order; the survivors stay findable, the removed don't. */
START_TEST(test_remove_random_order)
{
	enum { N = 20000 };
	struct flowtab *ft = flowtab_new_lazy(N, seed_a, _i);
	struct nb_packet *pk = calloc(N, sizeof(*pk));
	uint32_t *order = calloc(N, sizeof(*order));
	uint64_t s = 4;
	enum flow_dir dir;
	uint32_t i, j, t;

	fill_random(ft, pk, N, 5);
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N - 1; i > 0; i--) {
		j = (uint32_t)(rng_next(&s) % (i + 1));
		t = order[i], order[i] = order[j], order[j] = t;
	}
	for (i = 0; i < N; i++) {
		struct flow *f = lookup(ft, &pk[order[i]], &dir);

		CHECK(f != NULL);
		flowtab_remove(ft, f);
		CHECK(flowtab_count(ft) == N - i - 1);
		CHECK(lookup(ft, &pk[order[i]], &dir) == NULL);
		if (i % 2000 == 0 || i == N / 2) {
			for (j = 0; j <= i; j++)
				CHECK(lookup(ft, &pk[order[j]], &dir) == NULL);
			for (j = i + 1; j < N; j++)
				CHECK(lookup(ft, &pk[order[j]], &dir) != NULL);
		}
	}
	/* Every slot went back to the pool. */
	for (i = 0; i < N; i++)
		CHECK(insert(ft, &pk[i]) != NULL);
	ck_assert_ptr_null(insert(ft, &pk[0]));
	free(order);
	free(pk);
	flowtab_free(ft);
}
END_TEST

START_TEST(test_sample)
{
	enum { CAP = 1000, N = 300, K = 16 };
	struct flowtab *ft = flowtab_new_lazy(CAP, seed_a, _i);
	struct nb_packet *pk = calloc(CAP, sizeof(*pk));
	unsigned char *seen = calloc(CAP, 1);
	struct flow *out[K];
	uint64_t s = 6;
	enum flow_dir dir;
	unsigned i, k, got, distinct = 0, calls;

	ck_assert_uint_eq(flowtab_sample(ft, out, K), 0);
	fill_random(ft, pk, CAP, 7);
	/* Free 700 random ones, so used slots are scattered. */
	while (flowtab_count(ft) > N) {
		struct flow *f = &flowtab_pool(ft)[rng_next(&s) % CAP];

		if (f->fflags & FF_USED)
			flowtab_remove(ft, f);
	}
	for (calls = 0; calls < 1000 && distinct < N; calls++) {
		got = flowtab_sample(ft, out, K);
		CHECK(got <= K);
		for (k = 0; k < got; k++) {
			uint32_t idx = flowtab_index(ft, out[k]);

			CHECK(idx < CAP);
			CHECK(out[k]->fflags & FF_USED);
			if (!seen[idx]) {
				seen[idx] = 1;
				distinct++;
			}
		}
	}
	ck_assert_uint_eq(distinct, N);
	/* A table of one in a thousand: each call scans at most 8 * n. */
	for (i = 0; i < CAP; i++)
		if (flowtab_pool(ft)[i].fflags & FF_USED)
			flowtab_remove(ft, &flowtab_pool(ft)[i]);
	ck_assert_ptr_nonnull(insert(ft, &pk[0]));
	for (calls = 0, k = 0; calls < CAP; calls++) {
		got = flowtab_sample(ft, out, 2);
		CHECK(got <= 1);
		if (got == 1) {
			CHECK(out[0] == lookup(ft, &pk[0], &dir));
			k++;
		}
	}
	/* 16 slots a call: found once per 1000 / 16 calls, not every call. */
	ck_assert_uint_ge(k, 1);
	ck_assert_uint_le(k, 100);
	free(seen);
	free(pk);
	flowtab_free(ft);
}
END_TEST

START_TEST(test_memory_budget)
{
	struct flowtab *ft = flowtab_new(1000000, seed_a);
	double per;

	ck_assert_ptr_nonnull(ft);
	per = (double)flowtab_memory(ft) / 1e6;
	ck_assert_msg(per <= 128.0, "%.2f bytes per flow", per);
	ck_assert_uint_le(sizeof(struct flow), 120);
	/* kernel mode's side entries count once asked for, 16 bytes each */
	ck_assert_uint_eq(sizeof(struct tcp_last), 16);
	ck_assert_ptr_nonnull(flowtab_last_base(ft));
	ck_assert_uint_eq(flowtab_memory(ft), (size_t)(per * 1e6 + 0.5) + 16 * 1000000u);
	flowtab_free(ft);

	/* The worst case: one past a power of two doubles the buckets. */
	ft = flowtab_new((1u << 16) + 1, seed_a);
	ck_assert_uint_le(flowtab_memory(ft), 128 * ((1u << 16) + 1));
	flowtab_free(ft);
}
END_TEST

Suite *
suite_flowtab(void)
{
	Suite *s = suite_create("flowtab");
	TCase *tc = tcase_create("basic");
	TCase *big = tcase_create("big");

	tcase_add_test(tc, test_v4_both_dirs);
	tcase_add_test(tc, test_v6_both_dirs);
	tcase_add_test(tc, test_near_misses_v4);
	tcase_add_test(tc, test_near_misses_v6);
	tcase_add_test(tc, test_same_ports);
	tcase_add_test(tc, test_remove);
	tcase_add_loop_test(tc, test_capacity, 0, 2);
	tcase_add_test(tc, test_new_invalid);
	tcase_add_test(tc, test_hash_seeds);
	tcase_add_test(tc, test_hash_known_answer);
	tcase_add_loop_test(tc, test_sample, 0, 2);
	suite_add_tcase(s, tc);

	tcase_set_timeout(big, 60);
	tcase_add_test(big, test_hash_symmetry);
	tcase_add_test(big, test_many);
	tcase_add_loop_test(big, test_remove_random_order, 0, 2);
	tcase_add_test(big, test_memory_budget);
	suite_add_tcase(s, big);
	return s;
}
