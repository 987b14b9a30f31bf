/* check_adopt.c -- what offline shadows build on: the pure timer step, the tracker watch, adopting a flow, the outside count. */
#include <check.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_shadow.h"
#include "engine_tb.h"
#include "suites.h"

#define TICK	(1ULL << ENGINE_WHEEL_TICK_SHIFT)

/* The engine's own timer is policy_timer_next(): followed from outside,
 * packet by packet, it gives the engine's deadlines exactly, through
 * state changes, refresh rules and an absolute timer. */
START_TEST(test_timer_next_follows_engine)
{
	static struct tb t;
	static const struct { bool client; uint8_t flags; uint32_t len; double dt; } seq[] = {
		{ true, TH_SYN, 0, 0 }, { false, TH_SYN | TH_ACK, 0, 0.1 },
		{ true, TH_ACK, 0, 0.1 }, { true, TH_ACK | TH_PSH, 100, 1 },
		{ false, TH_ACK, 0, 2 }, { true, TH_FIN | TH_ACK, 0, 1 },
		{ false, TH_ACK | TH_PSH, 500, 0.5 }, { true, TH_ACK, 0, 0.5 },
		{ false, TH_ACK | TH_PSH, 500, 0.7 }, { false, TH_FIN | TH_ACK, 0, 0.2 },
		{ true, TH_ACK, 0, 0.05 },
	};
	uint8_t ts = TCP_NONE;
	uint64_t dl = 0;

	tb_init(&t);
	fin_kills_mapping(&t.pol, S(2));
	t.pol.refresh[TCP_ESTABLISHED] = REFRESH_ORIG;
	t.pol.timeout[TCP_ESTABLISHED] = S(30);
	tb_start(&t);
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		const struct flow *f;

		t.now += S(seq[i].dt);
		ck_assert_int_eq(tx(&t, seq[i].client, seq[i].flags, seq[i].len), V_ACCEPT);
		f = engine_flow_at(t.e, t.v.flow);
		ck_assert_ptr_nonnull(f);
		if (i == 0) {
			ts = (uint8_t)policy_timer_state(&t.pol, &f->trk);
			dl = t.now + policy_timeout(&t.pol, &f->trk, ts, 1);
		} else {
			policy_timer_next(&t.pol, &f->trk, (enum flow_dir)t.v.dir, true,
			    t.now, 1, &ts, &dl);
		}
		ck_assert_uint_eq(ts, f->timer_state);
		ck_assert_uint_eq(dl, f->deadline);
		/* refresh.established = orig: the server's ACK (at 103.2 s)
		 * leaves the deadline from the client's data (101.2 s) */
		if (i == 4)
			ck_assert_uint_eq(dl, S(101.2) + S(30));
	}
	/* the absolute timer runs from the first FIN (at 104.2 s) */
	ck_assert_uint_eq(dl, S(104.2) + S(2));
	tb_done(&t);
}
END_TEST

struct seen {
	unsigned before, after;
	uint32_t tag;
	uint8_t pre_state, post_state, outcome;
};

static void
w_before(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
    enum flow_dir dir, uint64_t now)
{
	struct seen *s = ctx;

	(void)idx, (void)dir, (void)now;
	s->before++;
	s->tag = tag;
	s->pre_state = f->trk.state;
}

static void
w_after(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
    enum flow_dir dir, const struct nb_packet *p, const struct tcp_result *r,
    uint64_t now)
{
	struct seen *s = ctx;

	(void)tag, (void)idx, (void)dir, (void)p, (void)now;
	s->after++;
	s->post_state = f->trk.state;
	s->outcome = (uint8_t)r->outcome;
}

/* The watch sees every packet of a flow the engine has, before and after
 * the tracker, not a flow's first packet; a RST before any reply is
 * seen (TO_KILL) while the flow is still there. */
START_TEST(test_watch_before_after)
{
	static struct tb t;
	struct seen s = { 0 };
	struct engine_watch w = { .before = w_before, .after = w_after, .ctx = &s };

	tb_init(&t);
	tb_start(&t);
	engine_set_watch(t.e, &w);
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	ck_assert_uint_eq(s.before, 0);
	ck_assert_int_eq(tx(&t, false, TH_SYN | TH_ACK, 0), V_ACCEPT);
	ck_assert_uint_eq(s.before, 1);
	ck_assert_uint_eq(s.after, 1);
	ck_assert_uint_eq(s.tag, EV_TAG_NONE);
	ck_assert_uint_eq(s.pre_state, TCP_SYN_SENT);
	ck_assert_uint_eq(s.post_state, TCP_SYN_RECV);
	ck_assert_uint_eq(s.outcome, TO_OK);
	t.cport = 40001;
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	ck_assert_int_eq(tx(&t, false, TH_RST | TH_ACK, 0), V_ACCEPT);
	ck_assert_uint_eq(s.outcome, TO_KILL);
	ck_assert_uint_eq(s.after, 2);
	engine_set_watch(t.e, NULL);
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	ck_assert_int_eq(tx(&t, false, TH_SYN | TH_ACK, 0), V_ACCEPT);
	ck_assert_uint_eq(s.after, 2);
	tb_done(&t);
}
END_TEST

struct ahead_seen {
	const struct flow *want;
	unsigned hits, before;
};

static void
a_ahead(void *ctx, const struct flow *f)
{
	struct ahead_seen *a = ctx;

	if (f == a->want && a->before == 0)
		a->hits++;
}

static void
a_before(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
    enum flow_dir dir, uint64_t now)
{
	struct ahead_seen *a = ctx;

	(void)tag, (void)idx, (void)f, (void)dir, (void)now;
	a->before++;
}

static void
a_verdict(void *ctx, const struct engine_tpkt *tp, const struct verdict *v)
{
	(void)tp;
	ck_assert_int_eq(v->action, V_ACCEPT);
	(*(unsigned *)ctx)++;
}

/* In a burst long enough to pipeline, ahead names the flow of a packet
 * before the engine gets to it; a short one goes unpiped, without. */
START_TEST(test_watch_ahead)
{
	static struct tb t;
	struct ahead_seen a = { 0 };
	struct engine_watch w = { .before = a_before, .ctx = &a, .ahead = a_ahead };
	struct engine_tpkt tp[16];
	uint8_t buf[16][80];
	unsigned done = 0;

	tb_init(&t);
	tb_start(&t);
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	ck_assert_int_eq(tx(&t, false, TH_SYN | TH_ACK, 0), V_ACCEPT);
	ck_assert_int_eq(tx(&t, true, TH_ACK, 0), V_ACCEPT);
	for (unsigned i = 0; i < 16; i++) {
		size_t n = build(buf[i], false, true, t.cport, TH_ACK | TH_PSH, t.cseq,
		    t.sseq, 100);

		t.cseq += 100;
		tp[i] = (struct engine_tpkt){ buf[i], (uint32_t)n, i, t.now + i, NULL };
	}
	/* the one flow, wherever its slot */
	ck_assert_uint_eq(engine_flow_count(t.e), 1);
	for (uint32_t i = 0; i < t.pol.max_flows && a.want == NULL; i++)
		a.want = engine_flow_at(t.e, i);
	ck_assert_ptr_nonnull(a.want);
	engine_set_watch(t.e, &w);
	engine_process_timed(t.e, tp, 4, a_verdict, &done);
	ck_assert_uint_eq(a.hits, 0);
	ck_assert_uint_eq(a.before, 4);
	a.before = 0;
	engine_process_timed(t.e, tp + 4, 12, a_verdict, &done);
	ck_assert_uint_eq(done, 16);
	ck_assert_uint_ge(a.hits, 1);
	ck_assert_uint_eq(a.before, 12);
	tb_done(&t);
}
END_TEST

struct rel_seen {
	unsigned related, tracked;
	uint32_t idx, tag;
	uint8_t dir;
};

static void
r_before(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
    enum flow_dir dir, uint64_t now)
{
	(void)tag, (void)idx, (void)f, (void)dir, (void)now;
	((struct rel_seen *)ctx)->tracked++;
}

static void
r_related(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
    enum flow_dir dir, uint64_t now)
{
	struct rel_seen *s = ctx;

	(void)now;
	ck_assert_uint_eq(flow_kind(f), NBK_UDP);
	s->related++;
	s->idx = idx;
	s->tag = tag;
	s->dir = (uint8_t)dir;
}

static void
r_verdict(void *ctx, const struct engine_tpkt *tp, const struct verdict *v)
{
	(void)ctx, (void)tp, (void)v;
}

/* An ICMP error about a live flow reaches related, with the flow, the
 * direction it travels and its tag, and no tracker observer; one about
 * no flow or a dead one (a tombstone) does not. */
START_TEST(test_watch_related)
{
	static struct tb t;
	struct rel_seen s = { 0 };
	struct engine_watch w = { .before = r_before, .ctx = &s, .related = r_related };
	uint8_t q[64], q2[64], b[128];
	struct engine_tpkt tp;
	uint32_t idx;
	size_t n;

	tb_init(&t);
	t.pol.after_expiry = LATE_DROP;
	t.pol.tombstone = S(60);
	t.pol.timeout[TRK_UDP_UNREPLIED] = S(30);
	tb_start(&t);
	engine_set_watch(t.e, &w);
	n = build_dgram(q, 17, true, t.cport, 10);
	ck_assert_int_eq(engine_process(t.e, q, n, t.now, &t.v), V_ACCEPT);
	idx = t.v.flow;
	n = build_unreach(b, q);
	ck_assert_int_eq(engine_process(t.e, b, n, t.now + 1, &t.v), V_ACCEPT);
	ck_assert_uint_eq(s.related, 1);
	ck_assert_uint_eq(s.idx, idx);
	ck_assert_uint_eq(s.dir, DIR_REPLY);
	ck_assert_uint_eq(s.tag, EV_TAG_NONE);
	ck_assert_uint_eq(s.tracked, 0);
	tp = (struct engine_tpkt){ b, (uint32_t)n, 7, t.now + 2, NULL };
	engine_process_timed(t.e, &tp, 1, r_verdict, NULL);
	ck_assert_uint_eq(s.related, 2);
	ck_assert_uint_eq(s.tag, 7);
	/* about a datagram of no flow */
	build_dgram(q2, 17, true, (uint16_t)(t.cport + 1), 10);
	n = build_unreach(b, q2);
	engine_process(t.e, b, n, t.now + 3, &t.v);
	ck_assert_uint_eq(s.related, 2);
	/* about the flow once it expired: its tombstone drops the error */
	n = build_unreach(b, q);
	ck_assert_int_eq(engine_process(t.e, b, n, t.now + S(31), &t.v), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_EXPIRED_UDP_UNREPLIED);
	ck_assert_uint_eq(s.related, 2);
	ck_assert_uint_eq(s.tracked, 0);
	tb_done(&t);
}
END_TEST

/* A flow tracked by one engine and adopted by another (with the state
 * and timer it had there) goes on in the second exactly as in the first:
 * same verdicts, same end. */
START_TEST(test_adopt_goes_on)
{
	static struct tb a, b;
	const struct flow *f;
	uint32_t idx;

	tb_init(&a);
	fin_kills_mapping(&a.pol, S(2));
	tb_start(&a);
	tb_init(&b);
	b.pol = a.pol;
	tb_start(&b);
	handshake(&a);
	a.now += S(1);
	ck_assert_int_eq(tx(&a, true, TH_FIN | TH_ACK, 0), V_ACCEPT);
	f = engine_flow_at(a.e, a.v.flow);
	ck_assert_ptr_nonnull(f);
	idx = engine_adopt(b.e, f, NULL, f->timer_state, f->deadline);
	ck_assert_uint_ne(idx, FLOW_NIL);
	ck_assert_uint_eq(engine_flow_count(b.e), 1);
	ck_assert_uint_eq(b.nev, 0);			/* no EV_NEW */
	engine_expire(b.e, a.now, UINT_MAX);		/* not due: nothing */
	ck_assert_uint_eq(b.nev, 0);
	b.cseq = a.cseq, b.sseq = a.sseq, b.now = a.now;
	for (int i = 0; i < 6; i++) {
		a.now += S(0.5), b.now += S(0.5);
		ck_assert_int_eq(tx(&b, false, TH_ACK | TH_PSH, 100),
		    tx(&a, false, TH_ACK | TH_PSH, 100));
		ck_assert_int_eq(a.v.reason, b.v.reason);
	}
	/* 3 s after the FIN: both dropped it, at the same expiry */
	ck_assert_int_eq(a.v.action, V_DROP);
	ck_assert_uint_eq(count_ev(&a, EV_EXPIRE, R_NONE), 1);
	ck_assert_uint_eq(count_ev(&b, EV_EXPIRE, R_NONE), 1);
	ck_assert_uint_eq(find_ev(&b, EV_EXPIRE)->ts, S(101) + S(2));
	tb_done(&a);
	tb_done(&b);
}
END_TEST

/* An adopted flow is reaped by its deadline's tick alone: not within
 * that tick, at the first call after it; and at once when the engine's
 * wheel is already past it. */
START_TEST(test_adopt_old_deadline)
{
	static struct tb a, b;
	const struct flow *f;
	uint64_t dl;
	uint32_t idx;

	tb_init(&a);
	tb_start(&a);
	tb_init(&b);
	tb_start(&b);
	handshake(&a);
	f = engine_flow_at(a.e, a.v.flow);
	dl = (a.now / TICK + 1) * TICK + 5;		/* early in the next tick */
	idx = engine_adopt(b.e, f, NULL, TCP_ESTABLISHED, dl);
	engine_expire(b.e, dl + 10, UINT_MAX);		/* same tick */
	ck_assert_uint_eq(count_ev(&b, EV_EXPIRE, R_NONE), 0);
	ck_assert_ptr_nonnull(engine_flow_at(b.e, idx));
	engine_expire(b.e, dl + TICK, UINT_MAX);	/* the next */
	ck_assert_uint_eq(count_ev(&b, EV_EXPIRE, R_EXPIRED_IDLE), 1);
	ck_assert_uint_eq(find_ev(&b, EV_EXPIRE)->ts, dl);
	/* expire.later = pickup: no tombstone */
	ck_assert_ptr_null(engine_flow_at(b.e, idx));
	/* the wheel is 5 ticks on: a flow adopted 3 ticks late goes at once */
	engine_expire(b.e, dl + 5 * TICK, UINT_MAX);
	idx = engine_adopt(b.e, f, NULL, TCP_ESTABLISHED, dl + 2 * TICK);
	engine_expire(b.e, dl + 5 * TICK, UINT_MAX);
	ck_assert_uint_eq(count_ev(&b, EV_EXPIRE, R_EXPIRED_IDLE), 2);
	ck_assert_uint_eq(engine_flow_count(b.e), 0);
	tb_done(&a);
	tb_done(&b);
}
END_TEST

/* A tombstone whose deadline's tick is over when its flow is reaped (a
 * pass catching up after a gap, a tombstone shorter than a tick) goes in
 * the same pass: the table never holds it past that tick. */
START_TEST(test_tombstone_reaped_in_pass)
{
	static struct tb t;

	tb_init(&t);
	t.pol.timeout[TCP_ESTABLISHED] = S(2);
	t.pol.after_expiry = LATE_DROP;
	t.pol.tombstone = S(1);
	tb_start(&t);
	handshake(&t);
	engine_expire(t.e, t.now + S(600), UINT_MAX);	/* a 10-minute gap */
	ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_NONE), 1);
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
	tb_done(&t);

	tb_init(&t);
	t.pol.timeout[TCP_ESTABLISHED] = S(2);
	t.pol.after_expiry = LATE_DROP;
	t.pol.tombstone = 1000;				/* 1 us */
	tb_start(&t);
	handshake(&t);
	engine_expire(t.e, t.now + S(2) + TICK, UINT_MAX);	/* the next tick */
	ck_assert_uint_eq(count_ev(&t, EV_EXPIRE, R_NONE), 1);
	ck_assert_uint_eq(engine_flow_count(t.e), 0);
	tb_done(&t);
}
END_TEST

/* Flows held outside count against max_flows: the table is full when
 * its own flows and the outside ones reach it; adopting still works
 * (the adopted flow was among the outside ones). */
START_TEST(test_outside_count)
{
	static struct tb t;
	struct flow other;

	tb_init(&t);
	t.pol.max_flows = 4;
	tb_start(&t);
	handshake(&t);
	other = *engine_flow_at(t.e, t.v.flow);
	other.sport = 41000;
	engine_set_outside(t.e, 3);
	t.cport = 40001;
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_TABLE_FULL);
	engine_set_outside(t.e, 2);
	ck_assert_int_eq(tx(&t, true, TH_SYN, 0), V_ACCEPT);
	/* the pool itself has room for two more, outside or not */
	ck_assert_uint_ne(engine_adopt(t.e, &other, NULL, TCP_ESTABLISHED, t.now + S(10)), FLOW_NIL);
	ck_assert_uint_eq(engine_flow_count(t.e), 3);
	ck_assert_uint_ne(engine_adopt(t.e, &other, NULL, TCP_ESTABLISHED, t.now + S(10)), FLOW_NIL);
	ck_assert_uint_eq(engine_adopt(t.e, &other, NULL, TCP_ESTABLISHED, t.now + S(10)), FLOW_NIL);
	tb_done(&t);
}
END_TEST

/* engine_has_flow() finds a flow from either direction's packet. */
START_TEST(test_has_flow)
{
	static struct tb t;
	struct engine_tpkt tp;
	struct engine_prep pr;
	uint8_t b[80];

	tb_init(&t);
	tb_start(&t);
	handshake(&t);
	tp = (struct engine_tpkt){ b, (uint32_t)build(b, false, false, 40000, TH_ACK, 1, 1, 0),
	    0, t.now, NULL };
	engine_prepare(t.e, &tp, 1, &pr);
	ck_assert(engine_has_flow(t.e, &pr.p, pr.hash));
	tp.caplen = (uint32_t)build(b, false, true, 40001, TH_ACK, 1, 1, 0);
	engine_prepare(t.e, &tp, 1, &pr);
	ck_assert(!engine_has_flow(t.e, &pr.p, pr.hash));
	tb_done(&t);
}
END_TEST

Suite *
suite_adopt(void)
{
	Suite *s = suite_create("adopt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_timer_next_follows_engine);
	tcase_add_test(tc, test_watch_before_after);
	tcase_add_test(tc, test_watch_ahead);
	tcase_add_test(tc, test_watch_related);
	tcase_add_test(tc, test_adopt_goes_on);
	tcase_add_test(tc, test_adopt_old_deadline);
	tcase_add_test(tc, test_tombstone_reaped_in_pass);
	tcase_add_test(tc, test_outside_count);
	tcase_add_test(tc, test_has_flow);
	suite_add_tcase(s, tc);
	return s;
}
