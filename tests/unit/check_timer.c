/* check_timer.c -- timing wheel: due order, lazy refresh, disarm, budget, time jumps. */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "timer.h"

/* ck_assert() records a checkpoint through a pipe on every call, which
 * dominates loops of 100k checks; loops use this quiet form instead. */
#define CHECK(c) do {							\
	if (!(c))							\
		ck_abort_msg("assertion failed: %s", #c);		\
} while (0)

#define SLOTS_LOG2	12			/* 4096 slots */
#define SHIFT		20			/* ~1.05 ms ticks */
#define TICK		(1ULL << SHIFT)
#define ROTATION	(TICK << SLOTS_LOG2)	/* ~4.3 s */
#define SEC		1000000000ULL
#define START		(1000 * SEC + 12345)	/* off a tick boundary */
#define ALL		UINT_MAX

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct flow *
pool_new(uint32_t n)
{
	struct flow *pool = calloc(n, sizeof(*pool));
	uint32_t i;

	ck_assert_ptr_nonnull(pool);
	for (i = 0; i < n; i++)
		pool[i].wnext = pool[i].wprev = FLOW_NIL;
	return pool;
}

static void
arm_at(struct wheel *w, uint32_t idx, uint64_t deadline)
{
	w->pool[idx].deadline = deadline;
	wheel_arm(w, idx);
}

static uint32_t
pop1(struct wheel *w, uint64_t now)
{
	unsigned budget = ALL;

	return wheel_pop_due(w, now, &budget);
}

static int
wheel_empty(const struct wheel *w)
{
	uint32_t i;

	for (i = 0; i <= w->mask + 1; i++)
		if (w->heads[i] != FLOW_NIL)
			return 0;
	return w->armed == 0;
}

START_TEST(test_init_args)
{
	struct flow *pool = pool_new(1);
	struct wheel w;

	ck_assert_int_eq(wheel_init(&w, pool, 3, 20, 0), -1);
	ck_assert_int_eq(wheel_init(&w, pool, 21, 20, 0), -1);
	ck_assert_int_eq(wheel_init(&w, pool, 12, 9, 0), -1);
	ck_assert_int_eq(wheel_init(&w, pool, 12, 41, 0), -1);
	ck_assert_int_eq(wheel_init(&w, pool, 4, 10, START), 0);
	ck_assert_uint_eq(w.mask, 15);
	ck_assert_uint_eq(w.cur, START >> 10);
	ck_assert_uint_eq(w.armed, 0);
	wheel_free(&w);
	ck_assert_int_eq(wheel_init(&w, pool, 20, 40, 0), 0);
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(pool);
}
END_TEST

/*
 * N flows, random deadlines over several rotations (and some already
 * past), popped with now moving in random steps, zero included. Each
 * flow comes out once, never before its deadline, and by the first call
 * whose now is a tick past max(deadline, start).
 */
START_TEST(test_random_deadlines)
{
	enum { N = 100000 };
	struct flow *pool = pool_new(N);
	unsigned char *done = calloc(N, 1);
	uint64_t s = 11, now = START, prev = START, bound;
	struct wheel w;
	uint32_t i, idx, returned = 0;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	for (i = 0; i < N; i++) {
		uint64_t r = rng_next(&s);

		if (i % 50 == 0)
			arm_at(&w, i, START - r % SEC);
		else
			arm_at(&w, i, START + r % (20 * SEC));
	}
	ck_assert_uint_eq(w.armed, N);
	while (returned < N) {
		CHECK(now < START + 21 * SEC);
		while ((idx = pop1(&w, now)) != FLOW_NIL) {
			CHECK(idx < N);
			if (done[idx])
				ck_abort_msg("flow %u returned twice", idx);
			done[idx] = 1;
			returned++;
			CHECK(pool[idx].deadline <= now);
			bound = pool[idx].deadline > START ?
			    pool[idx].deadline : START;
			if (prev >= bound + TICK)
				ck_abort_msg("flow %u late: deadline %llu, "
				    "previous now %llu", idx,
				    (unsigned long long)pool[idx].deadline,
				    (unsigned long long)prev);
			CHECK(pool[idx].wnext == FLOW_NIL);
			CHECK(pool[idx].wprev == FLOW_NIL);
		}
		CHECK(w.armed == N - returned);
		prev = now;
		now += rng_next(&s) % (3 * TICK);
	}
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(done);
	free(pool);
}
END_TEST

/*
 * A model run: between pops, random flows are refreshed later, made
 * earlier, disarmed, or re-armed after expiry. Checks as above against
 * each flow's latest deadline, and disarmed flows never come out.
 */
START_TEST(test_random_mixed)
{
	enum { N = 20000, OPS = 50 };
	enum { OFF, ON };
	struct flow *pool = pool_new(N);
	unsigned char *state = calloc(N, 1);
	uint64_t *bound = calloc(N, sizeof(*bound));
	uint64_t s = 12, now = START, prev = START, old, end = START + 60 * SEC;
	struct wheel w;
	uint32_t i, idx, on = 0;
	int k;

	/* 256 slots: more flows per slot, more rotations. */
	ck_assert_int_eq(wheel_init(&w, pool, 8, SHIFT, START), 0);
	for (i = 0; i < N; i++) {
		arm_at(&w, i, START + rng_next(&s) % (10 * SEC));
		bound[i] = pool[i].deadline + TICK;
		state[i] = ON;
		on++;
	}
	while (now < end || on > 0) {
		CHECK(now < end + 20 * SEC);
		while ((idx = pop1(&w, now)) != FLOW_NIL) {
			if (state[idx] != ON)
				ck_abort_msg("flow %u not armed", idx);
			CHECK(pool[idx].deadline <= now);
			if (prev >= bound[idx])
				ck_abort_msg("flow %u late", idx);
			state[idx] = OFF;
			on--;
		}
		CHECK(w.armed == on);
		for (k = 0; k < OPS && now < end; k++) {
			uint64_t r = rng_next(&s);

			i = (uint32_t)(r % N);
			r >>= 20;
			old = pool[i].deadline;
			if (state[i] == OFF) {
				if (r % 4 == 0) {
					arm_at(&w, i, now + r % (10 * SEC));
					state[i] = ON;
					on++;
				}
			} else if (r % 8 == 0) {
				wheel_disarm(&w, i);
				state[i] = OFF;
				on--;
				continue;
			} else {
				/* A new deadline from 2 s ago to 10 s ahead. */
				uint32_t wn = pool[i].wnext, wp = pool[i].wprev;

				pool[i].deadline = now - 2 * SEC +
				    r % (12 * SEC);
				wheel_update(&w, i, old);
				if (pool[i].deadline >= old) {
					CHECK(pool[i].wnext == wn);
					CHECK(pool[i].wprev == wp);
				}
			}
			bound[i] = (pool[i].deadline > now ?
			    pool[i].deadline : now) + TICK;
		}
		prev = now;
		now += rng_next(&s) % (2 * TICK);
	}
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(bound);
	free(state);
	free(pool);
}
END_TEST

START_TEST(test_refresh_later)
{
	struct flow *pool = pool_new(4);
	uint64_t d = START + 100 * TICK, d2 = START + 3 * ROTATION;
	struct wheel w;
	uint32_t wn, wp, heads0;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	arm_at(&w, 1, d);
	arm_at(&w, 2, d);
	arm_at(&w, 3, d);	/* 1 sits between 2 and 3 in one slot */
	wn = pool[1].wnext;
	wp = pool[1].wprev;
	heads0 = w.heads[(d >> SHIFT) & w.mask];

	pool[1].deadline = d2;
	wheel_update(&w, 1, d);
	ck_assert_uint_eq(pool[1].wnext, wn);
	ck_assert_uint_eq(pool[1].wprev, wp);
	ck_assert_uint_eq(w.heads[(d >> SHIFT) & w.mask], heads0);
	ck_assert_uint_eq(w.heads[(d2 >> SHIFT) & w.mask], FLOW_NIL);

	/* Same deadline: also nothing. */
	wheel_update(&w, 1, d2);
	ck_assert_uint_eq(pool[1].wnext, wn);

	/* Past the old deadline only the other two come out. */
	ck_assert_uint_ne(pop1(&w, d + TICK), 1);
	ck_assert_uint_ne(pop1(&w, d + TICK), 1);
	ck_assert_uint_eq(pop1(&w, d + TICK), FLOW_NIL);
	ck_assert_uint_eq(w.armed, 1);
	/* Re-filed where it belongs now. */
	ck_assert_uint_eq(w.heads[(d2 >> SHIFT) & w.mask], 1);
	ck_assert_uint_eq(pop1(&w, d2 - 1), FLOW_NIL);
	ck_assert_uint_eq(pop1(&w, d2 + TICK), 1);
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(pool);
}
END_TEST

START_TEST(test_update_earlier)
{
	struct flow *pool = pool_new(2);
	uint64_t d = START + 2 * ROTATION, d2 = START + 10 * TICK;
	struct wheel w;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	arm_at(&w, 0, d);
	arm_at(&w, 1, d);
	pool[0].deadline = d2;
	wheel_update(&w, 0, d);
	ck_assert_uint_eq(w.heads[(d2 >> SHIFT) & w.mask], 0);
	ck_assert_uint_eq(w.heads[(d >> SHIFT) & w.mask], 1);
	ck_assert_uint_eq(pool[1].wnext, FLOW_NIL);
	ck_assert_uint_eq(w.armed, 2);
	ck_assert_uint_eq(pop1(&w, d2 - 1), FLOW_NIL);
	ck_assert_uint_eq(pop1(&w, d2 + TICK), 0);
	ck_assert_uint_eq(pop1(&w, d - 1), FLOW_NIL);
	ck_assert_uint_eq(pop1(&w, d + TICK), 1);

	/* Earlier than cur (a tick already done): pending, out at the
	 * next call, even one in cur's own tick. */
	arm_at(&w, 0, d + 100 * TICK);
	pool[0].deadline = START;
	wheel_update(&w, 0, d + 100 * TICK);
	ck_assert_uint_eq(w.heads[w.mask + 1], 0);
	ck_assert_uint_eq(pop1(&w, w.cur << SHIFT), 0);

	/* An unarmed flow stays unarmed. */
	pool[1].deadline = START;
	wheel_update(&w, 1, d);
	ck_assert_uint_eq(pool[1].wprev, FLOW_NIL);
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(pool);
}
END_TEST

START_TEST(test_due_in_current_tick)
{
	struct flow *pool = pool_new(1);
	uint64_t d = ((START >> SHIFT) + 10) << SHIFT;	/* starts a tick */
	struct wheel w;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	arm_at(&w, 0, d + 5);
	ck_assert_uint_eq(pop1(&w, d + 4), FLOW_NIL);
	/* Due, but its tick is not over: may wait (the engine checks too). */
	ck_assert_uint_eq(pop1(&w, d + TICK - 1), FLOW_NIL);
	ck_assert_uint_eq(pop1(&w, d + TICK), 0);
	wheel_free(&w);
	free(pool);
}
END_TEST

/* A lazy refresh that pushes a deadline into the next tick leaves the
 * flow in its old slot; when that slot comes up in the new deadline's
 * tick the flow is not due yet, though its deadline has passed: when a
 * flow is reaped depends on its deadline alone, not on where it sat. */
START_TEST(test_due_by_deadline_tick_only)
{
	struct flow *pool = pool_new(2);
	uint64_t d = ((START >> SHIFT) + 10) << SHIFT;	/* starts a tick */
	struct wheel w;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	arm_at(&w, 0, d + 5);			/* tick T */
	arm_at(&w, 1, d + TICK + 5);		/* tick T+1, filed there */
	pool[0].deadline = d + TICK + 5;	/* lazily later: stays in T */
	wheel_update(&w, 0, d + 5);
	/* in T+1, after both deadlines: T's slot comes up, nothing due */
	ck_assert_uint_eq(pop1(&w, d + TICK + 100), FLOW_NIL);
	ck_assert_uint_eq(w.armed, 2);
	/* in T+2 both go */
	ck_assert_uint_ne(pop1(&w, d + 2 * TICK), FLOW_NIL);
	ck_assert_uint_ne(pop1(&w, d + 2 * TICK), FLOW_NIL);
	ck_assert_uint_eq(pop1(&w, d + 2 * TICK), FLOW_NIL);
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(pool);
}
END_TEST

START_TEST(test_disarm)
{
	struct flow *pool = pool_new(8);
	uint64_t d = START + 5 * TICK;
	struct wheel w;
	unsigned budget;
	uint32_t i, idx, seen = 0;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	wheel_disarm(&w, 0);			/* not armed: no-op */
	ck_assert_uint_eq(w.armed, 0);

	/* From a slot list: middle, head, tail. */
	for (i = 0; i < 5; i++)
		arm_at(&w, i, d);		/* list: 4 3 2 1 0 */
	wheel_disarm(&w, 2);
	wheel_disarm(&w, 4);
	wheel_disarm(&w, 0);
	ck_assert_uint_eq(w.armed, 2);
	for (i = 0; i < 5; i += 2) {
		ck_assert_uint_eq(pool[i].wnext, FLOW_NIL);
		ck_assert_uint_eq(pool[i].wprev, FLOW_NIL);
	}
	while ((idx = pop1(&w, d + TICK)) != FLOW_NIL)
		seen |= 1u << idx;
	ck_assert_uint_eq(seen, (1u << 1) | (1u << 3));
	ck_assert(wheel_empty(&w));

	/* From the pending list: budget 1 leaves the slot's rest pending. */
	d += 10 * TICK;
	for (i = 0; i < 6; i++)
		arm_at(&w, i, d);		/* list: 5 4 3 2 1 0 */
	budget = 1;
	ck_assert_uint_eq(wheel_pop_due(&w, d + TICK, &budget), 5);
	ck_assert_uint_eq(budget, 0);
	ck_assert_uint_eq(w.heads[w.mask + 1], 4);
	wheel_disarm(&w, 4);			/* pending's head */
	wheel_disarm(&w, 2);			/* pending's middle */
	wheel_disarm(&w, 0);			/* pending's tail */
	ck_assert_uint_eq(w.armed, 2);
	seen = 0;
	while ((idx = pop1(&w, d + TICK)) != FLOW_NIL)
		seen |= 1u << idx;
	ck_assert_uint_eq(seen, (1u << 3) | (1u << 1));
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(pool);
}
END_TEST

START_TEST(test_budget)
{
	enum { N = 100 };
	struct flow *pool = pool_new(2 * N);
	uint64_t d = START + 3 * TICK;
	struct wheel w;
	unsigned budget, i, n;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	for (i = 0; i < N; i++)
		arm_at(&w, i, d);
	budget = 1;
	ck_assert_uint_ne(wheel_pop_due(&w, d + TICK, &budget), FLOW_NIL);
	ck_assert_uint_eq(budget, 0);
	ck_assert_uint_eq(wheel_pop_due(&w, d + TICK, &budget), FLOW_NIL);
	ck_assert_uint_eq(w.armed, N - 1);
	budget = 10;
	for (n = 0; wheel_pop_due(&w, d + TICK, &budget) != FLOW_NIL; n++)
		;
	ck_assert_uint_eq(n, 10);
	ck_assert_uint_eq(w.armed, N - 11);
	for (n = 0; pop1(&w, d + TICK) != FLOW_NIL; n++)
		;
	ck_assert_uint_eq(n, N - 11);

	/* Entries re-filed for a later rotation cost budget too. */
	for (i = N; i < 2 * N; i++)
		arm_at(&w, i, d + 10 * TICK + 5 * ROTATION);
	budget = 10;
	ck_assert_uint_eq(wheel_pop_due(&w, d + 11 * TICK, &budget), FLOW_NIL);
	ck_assert_uint_eq(budget, 0);
	budget = ALL;
	ck_assert_uint_eq(wheel_pop_due(&w, d + 11 * TICK, &budget), FLOW_NIL);
	ck_assert_uint_eq(ALL - budget, N - 10);
	ck_assert_uint_eq(w.armed, N);
	wheel_free(&w);
	free(pool);
}
END_TEST

/* A deadline rotations ahead waits through every pass of its slot. */
START_TEST(test_far_deadline)
{
	struct flow *pool = pool_new(1);
	uint64_t d = START + 5 * ROTATION + ROTATION / 2 + 3, now;
	struct wheel w;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	arm_at(&w, 0, d);
	for (now = START; now < d; now += TICK / 2)
		CHECK(pop1(&w, now) == FLOW_NIL);
	ck_assert_uint_eq(pop1(&w, d - 1), FLOW_NIL);
	ck_assert_uint_eq(w.armed, 1);
	ck_assert_uint_eq(pop1(&w, d + TICK), 0);
	wheel_free(&w);
	free(pool);
}
END_TEST

/*
 * An offline capture with a day's gap: one call catches up, returns what
 * is due and keeps what is not. O(ticks) would be 8e7 ticks here and 8e13
 * in the second half, which Check's timeout would kill.
 */
START_TEST(test_huge_jump)
{
	enum { N = 10000 };
	struct flow *pool = pool_new(N);
	uint64_t s = 13, day = 86400 * SEC, now = START + day;
	struct wheel w;
	uint32_t i, idx, n = 0;
	int j;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	for (i = 0; i < N; i++) {
		uint64_t r = rng_next(&s);

		switch (i % 4) {
		case 0: arm_at(&w, i, START + r % (10 * SEC)); break;
		case 1: arm_at(&w, i, now - SEC + r % (2 * SEC)); break;
		case 2: arm_at(&w, i, now + day + r % SEC); break;
		default: arm_at(&w, i, START + r % (2 * day)); break;
		}
	}
	while ((idx = pop1(&w, now)) != FLOW_NIL) {
		CHECK(pool[idx].deadline <= now);
		pool[idx].hnext = 1;	/* scratch mark: returned */
		n++;
	}
	for (i = 0; i < N; i++)
		if (pool[i].deadline + TICK <= now && pool[i].hnext != 1)
			ck_abort_msg("flow %u missed", i);
	ck_assert_uint_eq(w.cur, now >> SHIFT);
	ck_assert_uint_eq(w.armed, N - n);

	now += 2 * day;
	while ((idx = pop1(&w, now)) != FLOW_NIL)
		n++;
	ck_assert_uint_eq(n, N);
	ck_assert(wheel_empty(&w));
	wheel_free(&w);

	/* A thousand day-long jumps at 1 us ticks, a few flows each time. */
	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, 10, START), 0);
	for (j = 0, now = START; j < 1000; j++) {
		arm_at(&w, 0, now + day / 2);
		arm_at(&w, 1, now + day + day / 2);
		now += day;
		CHECK(pop1(&w, now) == 0);
		CHECK(pop1(&w, now) == FLOW_NIL);
		wheel_disarm(&w, 1);
	}
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(pool);
}
END_TEST

START_TEST(test_idle_catch_up)
{
	struct flow *pool = pool_new(1);
	struct wheel w;

	ck_assert_int_eq(wheel_init(&w, pool, 4, 10, 0), 0);
	ck_assert_uint_eq(pop1(&w, UINT64_MAX), FLOW_NIL);
	ck_assert_uint_eq(w.cur, UINT64_MAX >> 10);
	/* "Never": the largest deadline still files and stays. */
	arm_at(&w, 0, UINT64_MAX);
	ck_assert_uint_eq(pop1(&w, UINT64_MAX - 1), FLOW_NIL);
	/* Its tick never ends, so it never comes out. */
	ck_assert_uint_eq(pop1(&w, UINT64_MAX), FLOW_NIL);
	wheel_disarm(&w, 0);
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(pool);
}
END_TEST

/* The clock steps back (a capture merged from two interfaces, a caller's
 * slip): a flow filed as overdue, whose deadline is after the smaller
 * now, used to go from "pending" back to "pending" until the budget ran
 * out (UINT_MAX offline: a hang). Now it waits, and one due by the
 * smaller now is still returned. */
START_TEST(test_clock_steps_back)
{
	struct flow *pool = pool_new(3);
	struct wheel w;
	unsigned budget = ALL;

	ck_assert_int_eq(wheel_init(&w, pool, SLOTS_LOG2, SHIFT, START), 0);
	ck_assert_uint_eq(pop1(&w, START + 100 * TICK), FLOW_NIL);	/* cur moves on */
	arm_at(&w, 0, START + 50 * TICK);	/* overdue for cur: filed pending */
	arm_at(&w, 1, START + 10 * TICK);
	/* back to START + 20 ticks: flow 1 is due, flow 0 is not */
	ck_assert_uint_eq(wheel_pop_due(&w, START + 20 * TICK, &budget), 1);
	ck_assert_uint_eq(wheel_pop_due(&w, START + 20 * TICK, &budget), FLOW_NIL);
	ck_assert_uint_gt(budget, ALL - 100);	/* a few looks, not the budget */
	ck_assert_uint_eq(w.armed, 1);
	/* the clock goes forward again: flow 0 is reaped when due */
	ck_assert_uint_eq(pop1(&w, START + 40 * TICK), FLOW_NIL);
	ck_assert_uint_eq(pop1(&w, START + 60 * TICK), 0);
	ck_assert(wheel_empty(&w));
	wheel_free(&w);
	free(pool);
}
END_TEST

Suite *
suite_timer(void)
{
	Suite *s = suite_create("timer");
	TCase *tc = tcase_create("basic");
	TCase *big = tcase_create("random");

	tcase_add_test(tc, test_init_args);
	tcase_add_test(tc, test_refresh_later);
	tcase_add_test(tc, test_update_earlier);
	tcase_add_test(tc, test_due_in_current_tick);
	tcase_add_test(tc, test_due_by_deadline_tick_only);
	tcase_add_test(tc, test_disarm);
	tcase_add_test(tc, test_budget);
	tcase_add_test(tc, test_far_deadline);
	tcase_add_test(tc, test_huge_jump);
	tcase_add_test(tc, test_idle_catch_up);
	tcase_add_test(tc, test_clock_steps_back);
	suite_add_tcase(s, tc);

	tcase_set_timeout(big, 60);
	tcase_add_test(big, test_random_deadlines);
	tcase_add_test(big, test_random_mixed);
	suite_add_tcase(s, big);
	return s;
}
