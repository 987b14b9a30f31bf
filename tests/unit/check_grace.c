/* check_grace.c -- a restart's grace period (engine_set_grace()): mid-stream
 * packets of unknown flows are adopted while it runs, whatever
 * unknown.action says, and refused as the profile says once it ends. Time
 * is the bench's, injected. */
#include "engine_tb.h"
#include "suites.h"

/* A drop-unknown profile (pf's): the first packet natbox sees of a
 * connection open before the restart is mid-stream data. */
static void
grace_bench(struct tb *t, uint8_t unknown)
{
	tb_init(t);
	t->pol.unknown_flow = unknown;
	tb_start(t);
	engine_set_grace(t->e, t->now + S(10));
}

START_TEST(test_grace_adopts_midstream)
{
	static const uint8_t acts[] = { LATE_DROP, LATE_RESET_SENDER };

	for (unsigned i = 0; i < 2; i++) {
		struct tb t;

		grace_bench(&t, acts[i]);
		t.now += S(9);
		ck_assert_int_eq(tx(&t, true, TH_ACK | TH_PSH, 100), V_ACCEPT);
		ck_assert_int_eq(engine_flow_count(t.e), 1);
		ck_assert_int_eq(tx(&t, false, TH_ACK, 0), V_ACCEPT);
		ck_assert_uint_eq(engine_stats(t.e)->grace_pickups, 1);
		/* adopted: it goes on after the grace period ended */
		t.now += S(5);
		ck_assert_int_eq(tx(&t, true, TH_ACK | TH_PSH, 100), V_ACCEPT);
		ck_assert_int_eq(tx(&t, false, TH_ACK | TH_PSH, 100), V_ACCEPT);
		ck_assert_uint_eq(engine_stats(t.e)->reason[R_NO_FLOW], 0);
		tb_done(&t);
	}
}
END_TEST

START_TEST(test_grace_ends)
{
	struct tb t;

	grace_bench(&t, LATE_DROP);
	t.now += S(10);		/* the deadline itself is past the grace */
	ck_assert_int_eq(tx(&t, true, TH_ACK | TH_PSH, 100), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NO_FLOW);
	ck_assert_int_eq(engine_flow_count(t.e), 0);
	ck_assert_uint_eq(engine_stats(t.e)->grace_pickups, 0);
	tb_done(&t);
}
END_TEST

START_TEST(test_grace_off_and_syn)
{
	struct tb t;

	/* no grace: the profile's drop, as before */
	tb_init(&t);
	t.pol.unknown_flow = LATE_DROP;
	tb_start(&t);
	ck_assert_int_eq(tx(&t, true, TH_ACK, 0), V_DROP);
	engine_set_grace(t.e, t.now + S(1));
	engine_set_grace(t.e, 0);	/* ended early */
	ck_assert_int_eq(tx(&t, true, TH_ACK, 0), V_DROP);
	tb_done(&t);

	/* a new connection in the grace period is an ordinary one */
	grace_bench(&t, LATE_DROP);
	handshake(&t);
	ck_assert_uint_eq(engine_stats(t.e)->grace_pickups, 0);
	ck_assert_int_eq(engine_flow_count(t.e), 1);
	tb_done(&t);
}
END_TEST

START_TEST(test_grace_icmp_reply)
{
	/* an ICMP echo reply whose request the old process saw */
	static const uint8_t reply[28] = {
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 203, 0, 113, 2, 198, 51, 100, 2,
		0, 0, 0, 0, 0x12, 0x34, 0, 1,
	};
	struct tb t;

	grace_bench(&t, LATE_DROP);
	ck_assert_int_ne(engine_process(t.e, reply, sizeof(reply), t.now, &t.v), V_DROP);
	t.now += S(11);
	ck_assert_int_eq(engine_process(t.e, reply, sizeof(reply), t.now, &t.v), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NO_FLOW);
	tb_done(&t);
}
END_TEST

Suite *
suite_grace(void)
{
	Suite *s = suite_create("grace");
	TCase *tc = tcase_create("grace");

	tcase_add_test(tc, test_grace_adopts_midstream);
	tcase_add_test(tc, test_grace_ends);
	tcase_add_test(tc, test_grace_off_and_syn);
	tcase_add_test(tc, test_grace_icmp_reply);
	suite_add_tcase(s, tc);
	return s;
}
