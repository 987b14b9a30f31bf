/* check_engine_timer.c -- the timer ladder as pure functions (policy_timer_state,
 * policy_timer_key) and an engine without timers. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_tb.h"
#include "suites.h"

START_TEST(test_timer_state_ladder)
{
	/* exhaustive over states x FIN facts x start rules */
	struct policy p;
	struct tcp_track tr;

	policy_defaults(&p);
	for (int rule = HC_FIRST_FIN; rule <= HC_BOTH_FINS; rule++) {
		p.half_close_start = (uint8_t)rule;
		for (int s = 0; s < TCP_STATE_MAX; s++) {
			for (int facts = 0; facts < 16; facts++) {
				bool ofin = facts & 1, rfin = facts & 2, acked = facts & 4;
				enum tcp_state want, got;
				bool hc = s == TCP_FIN_WAIT || s == TCP_CLOSE_WAIT || s == TCP_LAST_ACK;

				memset(&tr, 0, sizeof(tr));
				tr.state = (uint8_t)s;
				tr.d[0].flags = (uint16_t)((ofin ? TDF_FIN_SEEN : 0) | (acked ? TDF_FIN_ACKED : 0));
				tr.d[1].flags = rfin ? TDF_FIN_SEEN : 0;
				want = (enum tcp_state)s;
				if (hc && rule == HC_FIN_ACKED && !acked)
					want = TCP_ESTABLISHED;
				if (hc && rule == HC_BOTH_FINS && !(ofin && rfin))
					want = TCP_ESTABLISHED;
				got = policy_timer_state(&p, &tr);
				ck_assert_int_eq(got, want);
			}
		}
	}
}
END_TEST

/* An untimed engine tracks without timers: an hour idle in SYN_SENT
 * and past the established timeout is nothing to it, events carry no
 * timeout, and the tracker still ends flows (a RST before any reply). */
START_TEST(test_untimed_never_expires)
{
	struct tb t;
	const struct event *ev;

	tb_init(&t);
	t.pol.timeout[TCP_SYN_SENT] = S(5);
	t.pol.timeout[TCP_ESTABLISHED] = S(60);
	tb_start(&t);
	engine_set_untimed(t.e);
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	ev = find_ev(&t, EV_NEW);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->timeout, EV_NO_TIMEOUT);
	t.now += S(3600);
	ck_assert_uint_eq(engine_expire(t.e, t.now, 1000), 0);
	ck_assert_int_eq(tx(&t, false, TH_SYN | TH_ACK, 0), V_ACCEPT);
	ck_assert_int_eq(tx(&t, true, TH_ACK, 0), V_ACCEPT);
	for (int i = 0; i < 3; i++) {
		t.now += S(7200);
		ck_assert_uint_eq(engine_expire(t.e, t.now, 1000), 0);
		ck_assert_int_eq(tx(&t, true, TH_ACK | TH_PSH, 100), V_ACCEPT);
	}
	ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_NONE), 0);
	for (unsigned i = 0; i < t.nev; i++)
		ck_assert_uint_eq(t.ev[i].timeout, EV_NO_TIMEOUT);
	ck_assert_uint_eq(engine_flow_count(t.e), 1);
	/* a new flow, reset before any reply: the tracker ends it */
	t.cport++;
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	ck_assert_uint_eq(engine_flow_count(t.e), 2);
	ck_assert_int_eq(tx(&t, false, TH_RST | TH_ACK, 0), V_ACCEPT);
	ck_assert_uint_eq(engine_flow_count(t.e), 1);
	tb_done(&t);
}
END_TEST

/* policy_timer_key() sees every input of the timer ladder: any tracker
 * state gets the timer its key's stand-in gets, under profiles that read
 * each input (half-close rules, the unacknowledged cap with and without
 * window tracking). */
START_TEST(test_timer_key_covers_ladder)
{
	struct policy p;
	struct tcp_track tr, k;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	policy_defaults(&p);
	p.unacknowledged = 300 * NS_PER_SEC;
	for (unsigned key = 0; key < POLICY_TIMER_KEYS; key++) {
		policy_timer_key_trk(key, &k);
		ck_assert_uint_eq(policy_timer_key(&k), key);
	}
	/* the state field has room for 32 tracker states, more than
	 * TRK_STATE_MAX: a new tracker (SCTP's) fits without a new layout */
	ck_assert_uint_le(TRK_STATE_MAX, 32);
	policy_timer_key_trk(31, &k);
	ck_assert_uint_eq(k.state, 31);
	ck_assert_uint_eq(k.flags, 0);
	for (int i = 0; i < 20000; i++) {
		unsigned key;

		/* any bytes at all, a real state */
		for (size_t b = 0; b < sizeof(tr); b++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			((uint8_t *)&tr)[b] = (uint8_t)x;
		}
		tr.state = (uint8_t)(x % TCP_STATE_MAX);
		key = policy_timer_key(&tr);
		ck_assert_uint_lt(key, POLICY_TIMER_KEYS);
		policy_timer_key_trk(key, &k);
		for (int rule = HC_FIRST_FIN; rule <= HC_BOTH_FINS; rule++) {
			for (int win = 0; win < 2; win++) {
				enum tcp_state ts;

				p.half_close_start = (uint8_t)rule;
				p.window_tracking = win;
				ts = policy_timer_state(&p, &tr);
				ck_assert_int_eq(policy_timer_state(&p, &k), ts);
				ck_assert_uint_eq(policy_timeout(&p, &k, ts, 0),
				    policy_timeout(&p, &tr, ts, 0));
			}
		}
	}
}
END_TEST

Suite *
suite_engine_timer(void)
{
	Suite *s = suite_create("engine_timer");
	TCase *tc = tcase_create("timers");

	tcase_add_test(tc, test_timer_key_covers_ladder);
	tcase_add_test(tc, test_untimed_never_expires);
	tcase_add_test(tc, test_timer_state_ladder);
	suite_add_tcase(s, tc);
	return s;
}
