/* check_infer.c -- the timer search against a simulated device with known timers, with and without flows lost for other reasons. */
#include <check.h>
#include <stdint.h>

#include "infer.h"
#include "suites.h"

/* xorshift: the same noise every run */
static uint64_t rng = 88172645463325252ULL;

static double
uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / (double)(1ULL << 53);
}

/* A device whose timer is T (ms): a flow idle d lives iff d < T, except
 * that with probability loss it dies anyway, and with probability ghost
 * a dead one is seen alive. Returns the rounds the search took. */
static unsigned
search(uint64_t T, uint64_t max, double loss, double ghost, struct infer_est *e)
{
	struct infer s;
	uint64_t d[16];
	unsigned n, rounds = 0;

	infer_init(&s, 1000, max, 500, 8, 12);
	while ((n = infer_plan(&s, d, 16)) > 0) {
		rounds++;
		for (unsigned i = 0; i < n; i++) {
			bool alive = d[i] < T;

			if (alive && uniform() < loss)
				alive = false;
			else if (!alive && uniform() < ghost)
				alive = true;
			infer_add(&s, d[i], alive);
		}
	}
	infer_estimate(&s, e);
	return rounds;
}

START_TEST(test_exact)
{
	static const uint64_t timers[] = { 1001, 1500, 6000, 7000, 29999, 30000, 59000 };
	struct infer_est e;

	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++) {
		uint64_t T = timers[i];
		unsigned rounds = search(T, 60000, 0, 0, &e);

		ck_assert_msg(e.lo < T && T <= e.hi, "T %lu: (%lu, %lu]", (unsigned long)T,
		    (unsigned long)e.lo, (unsigned long)e.hi);
		ck_assert_uint_le(e.hi - e.lo, 500);
		ck_assert_uint_eq(e.agreed, e.total);
		ck_assert_uint_le(rounds, 5);
	}
}
END_TEST

/* The timer outlives --max-wait: never, after one round. */
START_TEST(test_never)
{
	struct infer_est e;
	unsigned rounds = search(1000000, 60000, 0, 0, &e);

	ck_assert_uint_eq(e.hi, INFER_NEVER);
	ck_assert_uint_eq(e.lo, 60000);
	ck_assert_uint_eq(rounds, 1);
}
END_TEST

/* A timer under the first idle: dead at once. */
START_TEST(test_below_first)
{
	struct infer_est e;

	search(300, 60000, 0, 0, &e);
	ck_assert(e.lo < 300 && 300 <= e.hi);
	ck_assert_uint_le(e.hi - e.lo, 500);
}
END_TEST

/* 10% of flows lost for other reasons: over 200 searches the interval
 * holds the timer in over 90% (a miss needs two flows lost side by side
 * just below the split, where nothing contradicts them), and no miss
 * reads "never". */
START_TEST(test_noisy)
{
	unsigned hits = 0, runs = 200;

	for (unsigned i = 0; i < runs; i++) {
		uint64_t T = 2000 + (uint64_t)(uniform() * 50000);
		struct infer_est e;

		search(T, 60000, 0.10, 0, &e);
		if (e.lo < T && T <= e.hi)
			hits++;
		else
			ck_assert_msg(e.hi != INFER_NEVER && e.hi * 2 >= T,
			    "T %lu: (%lu, %lu]", (unsigned long)T, (unsigned long)e.lo,
			    (unsigned long)e.hi);
	}
	ck_assert_msg(hits >= runs * 90 / 100, "%u of %u", hits, runs);	/* 185 now */
}
END_TEST

/* Rarer still, a dead flow seen alive (1%) on top of 5% lost: most
 * searches still hold the timer. */
START_TEST(test_ghosts)
{
	unsigned hits = 0, runs = 200;

	for (unsigned i = 0; i < runs; i++) {
		uint64_t T = 2000 + (uint64_t)(uniform() * 50000);
		struct infer_est e;

		search(T, 60000, 0.05, 0.01, &e);
		hits += e.lo < T && T <= e.hi;
	}
	ck_assert_msg(hits >= runs * 85 / 100, "%u of %u", hits, runs);
}
END_TEST

/* A device with established timer E and half-closed timer H started at
 * the FIN (at_fin) or only after both FINs: a flow with one FIN lives by
 * H or E. Both searches as the probe runs them, then when H starts. */
static enum infer_hc
half_start(uint64_t E, uint64_t H, bool at_fin, double loss)
{
	struct infer_est est, half;

	search(E, 60000, loss, 0, &est);
	/* one FIN acked 40 ms late (delayed ACK) restarts the timer */
	search(at_fin ? H : E + 40, 60000, loss, 0, &half);
	return infer_half_start(&est, &half, 500);
}

START_TEST(test_half_start)
{
	static const uint64_t pairs[][2] = {
		{ 6000, 3000 }, { 30000, 10000 }, { 100000, 3000 }, { 6000, 20000 },
		{ 4000, 2500 }, { 100000, 100000 },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		uint64_t E = pairs[i][0], H = pairs[i][1];
		/* timers both over max-wait cannot be told apart */
		bool apart = (E < 60000 || H < 60000) && E != H;

		ck_assert_int_eq(half_start(E, H, true, 0), apart ? INFER_HC_AT_FIN :
		    E >= 60000 && H >= 60000 ? INFER_HC_UNKNOWN : INFER_HC_BOTH_FINS);
		ck_assert_int_eq(half_start(E, H, false, 0),
		    E < 60000 ? INFER_HC_BOTH_FINS : INFER_HC_UNKNOWN);
	}
}
END_TEST

/* With 10% of flows lost, seed 000's device (established 5d, half-closed
 * 10 s from the first FIN) and RFC 5382's (both FINs; a short
 * established timer so it shows) are told apart nearly always. */
START_TEST(test_half_start_noisy)
{
	unsigned right = 0, runs = 100;

	for (unsigned i = 0; i < runs; i++) {
		uint64_t E = 5000 + (uint64_t)(uniform() * 40000);
		uint64_t H = 2000 + (uint64_t)(uniform() * (double)(E - 4000));

		right += half_start(1000000, H, true, 0.10) == INFER_HC_AT_FIN;
		right += half_start(E, H, false, 0.10) == INFER_HC_BOTH_FINS;
	}
	ck_assert_msg(right >= 2 * runs * 90 / 100, "%u of %u", right, 2 * runs);
}
END_TEST

/* A device with established timer E and a FIN timer H, started at the
 * FIN (first_fin), at its ACK (fin_acked) or after both FINs: the three
 * searches the probe's raw flows run (a FIN never acked, one acked at
 * once), then when the timer starts. The kernel's kind of device (its
 * FIN_WAIT and CLOSE_WAIT timers apart, both unlike ESTABLISHED) is
 * first_fin with W != C. */
static enum infer_hc
close_start(uint64_t E, uint64_t W, uint64_t C, double loss)
{
	struct infer_est est, fw, cw;

	search(E, 60000, loss, 0, &est);
	search(W, 60000, loss, 0, &fw);
	search(C, 60000, loss, 0, &cw);
	return infer_close_start(&est, &fw, &cw, 500);
}

START_TEST(test_close_start)
{
	/* E, W (FIN not acked), C (FIN acked), the start */
	static const struct { uint64_t E, W, C; enum infer_hc want; } cases[] = {
		{ 6000, 3000, 3000, INFER_HC_AT_FIN },		/* first_fin */
		{ 7000, 3000, 5000, INFER_HC_AT_FIN },		/* the kernel's sysctls */
		{ 100000, 3000, 3000, INFER_HC_AT_FIN },	/* seed 000 */
		{ 6000, 6000, 3000, INFER_HC_FIN_ACKED },	/* cisco-asa */
		{ 100000, 100000, 10000, INFER_HC_FIN_ACKED },
		{ 6000, 6000, 6000, INFER_HC_BOTH_FINS },	/* RFC 5382 */
		{ 100000, 100000, 100000, INFER_HC_UNKNOWN },	/* nothing ran out */
		{ 6000, 20000, 20000, INFER_HC_AT_FIN },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(close_start(cases[i].E, cases[i].W, cases[i].C, 0) == cases[i].want,
		    "case %zu", i);
}
END_TEST

/* With 10% of flows lost, the three starts are still told apart nearly
 * always (timers at least two resolutions apart). */
START_TEST(test_close_start_noisy)
{
	unsigned right = 0, runs = 100;

	for (unsigned i = 0; i < runs; i++) {
		uint64_t E = 8000 + (uint64_t)(uniform() * 40000);
		uint64_t H = 2000 + (uint64_t)(uniform() * (double)(E - 6000));

		right += close_start(E, H, H, 0.10) == INFER_HC_AT_FIN;
		right += close_start(E, E, H, 0.10) == INFER_HC_FIN_ACKED;
		right += close_start(E, E, E, 0.10) == INFER_HC_BOTH_FINS;
	}
	ck_assert_msg(right >= 3 * runs * 90 / 100, "%u of %u", right, 3 * runs);
}
END_TEST

/* An empty search decides nothing. */
START_TEST(test_close_start_empty)
{
	struct infer_est e = { .lo = 0, .hi = 3000, .agreed = 8, .total = 8 }, none = { 0 };

	ck_assert_int_eq(infer_close_start(&e, &none, &e, 500), INFER_HC_UNKNOWN);
	ck_assert_int_eq(infer_close_start(&none, &e, &e, 500), INFER_HC_UNKNOWN);
	ck_assert(infer_same_timer(&e, &e, 0));
}
END_TEST

/* The time left, before each round: what the rounds from there on
 * actually idle (each round as long as its longest idle) against a
 * device whose timer is T. With no timer (never) it is exact from the
 * start; with one, exact once the interval is pinned down to where the
 * middle-of-interval guess is the truth's round plan, and within a
 * factor of the truth on the way; 0 when done. */
static void
left_vs_actual(uint64_t T, uint64_t *est, uint64_t *actual, unsigned *n)
{
	struct infer s;
	uint64_t d[16];
	unsigned m, r = 0;

	infer_init(&s, 1000, 60000, 500, 8, 12);
	for (;;) {
		const struct infer *one = &s;

		est[r] = infer_time_left(&one, 1);
		if ((m = infer_plan(&s, d, 16)) == 0)
			break;
		actual[r] = d[m - 1];
		for (unsigned i = 0; i < m; i++)
			infer_add(&s, d[i], d[i] < T);
		r++;
	}
	actual[r] = 0;
	*n = r;
	/* actual[i]: the sum of round i's and later rounds' longest idles */
	for (unsigned i = r; i-- > 0;)
		actual[i] += actual[i + 1];
}

START_TEST(test_time_left)
{
	static const uint64_t timers[] = { 1500, 7000, 29999, 59000, 1000000 };
	uint64_t est[32], actual[32];
	unsigned n;

	for (size_t t = 0; t < sizeof(timers) / sizeof(timers[0]); t++) {
		left_vs_actual(timers[t], est, actual, &n);
		ck_assert_uint_eq(est[n], 0);
		if (timers[t] > 60000)
			ck_assert_uint_eq(est[0], actual[0]);
		for (unsigned i = 1; i < n; i++)
			ck_assert_msg(est[i] <= 2 * actual[i] + 1000 && actual[i] <= 2 * est[i] + 1000,
			    "T %lu round %u: estimated %lu, actual %lu", (unsigned long)timers[t], i,
			    (unsigned long)est[i], (unsigned long)actual[i]);
	}
}
END_TEST

/* Searches that share rounds: at least the longest single one's time,
 * at most their sum; a search that is done adds nothing. */
START_TEST(test_time_left_shared)
{
	struct infer a, b, c;
	const struct infer *ab[2] = { &a, &b }, *one;
	uint64_t d[16], la, lb, lab;
	unsigned m;

	infer_init(&a, 1000, 60000, 500, 8, 12);
	infer_init(&b, 1000, 60000, 500, 8, 12);
	infer_init(&c, 1000, 60000, 500, 8, 12);
	m = infer_plan(&a, d, 16);
	for (unsigned i = 0; i < m; i++)
		infer_add(&a, d[i], d[i] < 5000);
	m = infer_plan(&b, d, 16);
	for (unsigned i = 0; i < m; i++)
		infer_add(&b, d[i], d[i] < 40000);
	one = &a;
	la = infer_time_left(&one, 1);
	one = &b;
	lb = infer_time_left(&one, 1);
	lab = infer_time_left(ab, 2);
	ck_assert_uint_gt(la, 0);
	ck_assert_uint_ge(lab, la > lb ? la : lb);
	ck_assert_uint_le(lab, la + lb);
	/* c never runs out within max: one round of up to 60 s, then done */
	m = infer_plan(&c, d, 16);
	for (unsigned i = 0; i < m; i++)
		infer_add(&c, d[i], true);
	one = &c;
	ck_assert_uint_eq(infer_time_left(&one, 1), 0);
}
END_TEST

/* A device whose established timer is T and whose refresh rule counts
 * the originator's packets (orig), the responder's (reply), both or
 * neither, played the probe's schedule (probe_ackkeep.c): flows opened
 * at 0 (both directions), kept by one direction's pure ACKs every T/4
 * for 2 T, probed at 2 T + gap. Flow `lose` of each set (-1: none) dies
 * for another reason. The direction found. */
static int
refresh_dir(uint64_t T, bool orig, bool reply, uint64_t gap, int lose)
{
	unsigned kept[2] = { 0 }, lost[2] = { 0 };

	for (unsigned dir = 0; dir < 2; dir++) {
		bool counts = dir == 0 ? orig : reply;

		for (int f = 0; f < 3; f++) {
			uint64_t last = 0, probe = 2 * T + gap;
			bool alive = true;

			for (uint64_t k = 1; k <= 8; k++) {
				alive = alive && k * T / 4 - last < T;
				if (alive && counts)
					last = k * T / 4;
			}
			alive = alive && probe - last < T && f != lose;
			kept[dir] += alive;
			lost[dir] += !alive;
		}
	}
	return infer_refresh_dir(kept, lost);
}

START_TEST(test_refresh_dir)
{
	static const struct { bool orig, reply; int want; } c[] = {
		{ false, false, 0 }, { true, false, INFER_RD_ORIG },
		{ false, true, INFER_RD_REPLY }, { true, true, INFER_RD_ORIG | INFER_RD_REPLY },
	};
	unsigned kept[2] = { 3, 0 }, lost[2] = { 0, 0 };

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		for (int lose = -1; lose < 3; lose++)
			/* T 6 s, its lower bound 5.7 s: gap 1.425 s */
			ck_assert_int_eq(refresh_dir(6000, c[i].orig, c[i].reply, 1425, lose),
			    c[i].want);
	ck_assert_int_eq(infer_refresh_dir(kept, lost), -1);	/* a set empty */
}
END_TEST

Suite *
suite_infer(void)
{
	Suite *s = suite_create("infer");
	TCase *tc = tcase_create("infer");

	tcase_add_test(tc, test_exact);
	tcase_add_test(tc, test_never);
	tcase_add_test(tc, test_below_first);
	tcase_add_test(tc, test_noisy);
	tcase_add_test(tc, test_ghosts);
	tcase_add_test(tc, test_half_start);
	tcase_add_test(tc, test_half_start_noisy);
	tcase_add_test(tc, test_close_start);
	tcase_add_test(tc, test_close_start_noisy);
	tcase_add_test(tc, test_close_start_empty);
	tcase_add_test(tc, test_time_left);
	tcase_add_test(tc, test_time_left_shared);
	tcase_add_test(tc, test_refresh_dir);
	suite_add_tcase(s, tc);
	return s;
}
