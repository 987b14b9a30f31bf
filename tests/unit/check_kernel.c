/* check_kernel.c -- linux-conntrack's tracking against the kernel's: the fidelity examples as the kernel tracked them, each class's rule, the tcp.* knobs, early_drop. */
#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "engine_tb.h"
#include "suites.h"
#include "tcpfsm.h"
#include "timeout.h"

/* One packet as the fidelity examples give it (kernel-repro.json). */
struct kp {
	int srv;		/* from the server (reply direction) */
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win, len;
	uint16_t mss;
	int ws;			/* -1: no option */
	int sackok, ts;
	uint32_t tsval, tsecr;
	int sack;
	uint32_t sack_l, sack_r;
};

struct kcase {
	const char *name;
	int family;
	/* what the kernel (6.18, sysctls at their defaults) reported in the
	 * lab (tests/e2e/s15_kernel_diff.sh with KDIFF_EXAMPLES): conntrack
	 * -E's states, DESTROY for an entry deleted by a packet, and the
	 * packets NFLOG'd as --ctstate INVALID (bit k: packet k+1) */
	const char *states;
	uint32_t invalid;
	unsigned n;
	struct kp p[8];
};

static const struct kcase examples[] = {
#include "check_kernel_examples.h"
};

/* IP + TCP header with options; the payload is only counted. */
static size_t
kbuild(uint8_t *b, int v6, const struct kp *p, uint16_t cport, uint16_t idx)
{
	static const uint8_t c4[4] = { 198, 51, 100, 2 }, s4[4] = { 203, 0, 113, 2 };
	static const uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2 };
	size_t iph = v6 ? 40 : 20, ol = 0, thl;
	uint8_t *t, *o;

	memset(b, 0, 120);
	t = b + iph;
	o = t + 20;
	if (p->mss)
		o[ol++] = 2, o[ol++] = 4, put16(o + ol, p->mss), ol += 2;
	if (p->sackok)
		o[ol++] = 1, o[ol++] = 1, o[ol++] = 4, o[ol++] = 2;
	if (p->ts) {
		o[ol++] = 1, o[ol++] = 1, o[ol++] = 8, o[ol++] = 10;
		put32(o + ol, p->tsval), ol += 4;
		put32(o + ol, p->tsecr), ol += 4;
	}
	if (p->ws >= 0)
		o[ol++] = 1, o[ol++] = 3, o[ol++] = 3, o[ol++] = (uint8_t)p->ws;
	if (p->sack) {
		o[ol++] = 1, o[ol++] = 1, o[ol++] = 5, o[ol++] = 10;
		put32(o + ol, p->sack_l), ol += 4;
		put32(o + ol, p->sack_r), ol += 4;
	}
	thl = 20 + ol;
	if (v6) {
		b[0] = 0x60;
		put16(b + 4, (uint16_t)(thl + p->len));
		b[6] = 6;
		b[7] = 64;
		memcpy(b + 8, p->srv ? s6 : c6, 16);
		memcpy(b + 24, p->srv ? c6 : s6, 16);
	} else {
		b[0] = 0x45;
		put16(b + 2, (uint16_t)(iph + thl + p->len));
		b[8] = 64;
		b[9] = 6;
		memcpy(b + 12, p->srv ? s4 : c4, 4);
		memcpy(b + 16, p->srv ? c4 : s4, 4);
	}
	put16(t, p->srv ? 5001 : cport);
	put16(t + 2, p->srv ? cport : 5001);
	put32(t + 4, p->seq);
	put32(t + 8, p->ack);
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = p->flags;
	put16(t + 14, p->win);
	put16(t + 18, idx);
	return iph + thl;
}

/* A flow that leaves its slot's kernel memory (struct tcp_last, kept
 * beside the pool) full of its own facts: retransmissions, a zero
 * window, the last packet an ACK; then it is reset and reaped. */
static void
dirty_slot(struct tb *t, int v6)
{
	static const struct kp d[] = {
		{ 0, 0x02, 100, 0, 1000, 0, 1460, 7, 1, 0, 0, 0, 0, 0, 0 },
		{ 1, 0x12, 900, 101, 0, 0, 1460, 7, 1, 0, 0, 0, 0, 0, 0 },
		{ 0, 0x10, 101, 901, 5, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0 },
		{ 1, 0x10, 901, 101, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0 },
		{ 1, 0x18, 901, 101, 0, 10, 0, -1, 0, 0, 0, 0, 0, 0, 0 },
		{ 1, 0x18, 901, 101, 0, 10, 0, -1, 0, 0, 0, 0, 0, 0, 0 },
		{ 1, 0x18, 901, 101, 0, 10, 0, -1, 0, 0, 0, 0, 0, 0, 0 },
		{ 1, 0x18, 901, 101, 0, 10, 0, -1, 0, 0, 0, 0, 0, 0, 0 },
		{ 0, 0x04, 101, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0 },
	};

	for (unsigned k = 0; k < sizeof(d) / sizeof(d[0]); k++) {
		uint8_t b[160];
		size_t n = kbuild(b, v6, &d[k], 39999, (uint16_t)(k + 1));

		engine_process(t->e, b, n, t->now, &t->v);
		t->now += S(0.002);
	}
	t->now += S(1000);
	engine_expire(t->e, t->now, UINT_MAX);
	ck_assert_uint_eq(engine_flow_count(t->e), 0);
	t->nev = 0;
}

/* Each packet's flow's timer after it, by replay(): ns left, or 0. */
static uint64_t trail[8];

/* Replay a case through an engine under linux-conntrack's tracking: its
 * state sequence (as s15 writes the kernel's) and INVALID set. dirty:
 * in a slot another flow used before (dirty_slot()). */
static void
replay(const struct kcase *c, struct policy *pol, bool dirty, char *seq, size_t cap,
    uint32_t *inv)
{
	struct tb t;
	const char *last = "";

	tb_init(&t);
	t.pol = *pol;
	tb_start(&t);
	if (dirty)
		dirty_slot(&t, c->family == 6);
	seq[0] = '\0';
	*inv = 0;
	for (unsigned k = 0; k < c->n; k++) {
		uint8_t b[160];
		size_t n = kbuild(b, c->family == 6, &c->p[k], 40000, (uint16_t)(k + 1));
		unsigned from = t.nev;

		const struct flow *f;

		engine_process(t.e, b, n, t.now, &t.v);
		f = t.v.flow == FLOW_NIL ? NULL : engine_flow_at(t.e, t.v.flow);
		trail[k] = f != NULL && f->deadline > t.now ? f->deadline - t.now : 0;
		t.now += S(0.002);
		for (unsigned i = from; i < t.nev; i++) {
			const struct event *ev = &t.ev[i];
			const char *w = NULL;

			if (ev->type == EV_NEW || ev->type == EV_UPDATE)
				w = tcp_state_name(ev->state);
			else if (ev->type == EV_END)
				w = "DESTROY";
			else if (ev->type == EV_INVALID)
				*inv |= 1u << k;
			if (w && strcmp(w, last) != 0) {
				if (seq[0])
					strncat(seq, " ", cap - strlen(seq) - 1);
				strncat(seq, w, cap - strlen(seq) - 1);
				last = w;
			}
		}
	}
	tb_done(&t);
}

static void
linux_conntrack(struct policy *p)
{
	policy_defaults(p);
	p->window_tracking = true;
	p->max_flows = 64;
}

START_TEST(test_fidelity_examples)
{
	const struct kcase *c = &examples[_i];
	struct policy pol;
	char seq[256];
	uint32_t inv;

	linux_conntrack(&pol);
	replay(c, &pol, false, seq, sizeof(seq), &inv);
	ck_assert_msg(strcmp(seq, c->states) == 0, "%s: states [%s], the kernel's [%s]",
	    c->name, seq, c->states);
	ck_assert_msg(inv == c->invalid, "%s: INVALID 0x%x, the kernel's 0x%x", c->name, inv,
	    c->invalid);
}
END_TEST

/* The same in a one-slot table whose slot a flow used before: the kernel
 * memory beside the pool is the new flow's own from its first packet
 * (the timers too: the old flow's retransmissions and zero window). */
START_TEST(test_reused_slot)
{
	const struct kcase *c = &examples[_i];
	struct policy pol;
	uint64_t clean[8];
	char seq[256];
	uint32_t inv;

	linux_conntrack(&pol);
	pol.max_flows = 1;
	replay(c, &pol, false, seq, sizeof(seq), &inv);
	memcpy(clean, trail, sizeof(clean));
	replay(c, &pol, true, seq, sizeof(seq), &inv);
	for (unsigned k = 0; k < c->n; k++)
		ck_assert_msg(trail[k] == clean[k],
		    "%s: packet %u's timer %llu, in a fresh slot %llu", c->name, k + 1,
		    (unsigned long long)trail[k], (unsigned long long)clean[k]);
	ck_assert_msg(strcmp(seq, c->states) == 0, "%s: states [%s], the kernel's [%s]",
	    c->name, seq, c->states);
	ck_assert_msg(inv == c->invalid, "%s: INVALID 0x%x, the kernel's 0x%x", c->name, inv,
	    c->invalid);
}
END_TEST

#define P(srv, fl, seq, ack, win, len) { srv, fl, seq, ack, win, len, 0, -1, 0, 0, 0, 0, 0, 0, 0 }

/* A responder's RST whose ACK is the end dirty_slot()'s flow left in its
 * slot's memory (911): a fresh flow's is 0, so the RST is checked (out
 * of the window: ignored), as the kernel checks it. */
static const struct kcase stale_end = { "stale last_end", 4, "SYN_SENT", 0, 3, {
	P(0, TH_SYN, 1000000, 0, 64240, 0),
	P(1, TH_SYN | TH_ACK, 9000, 800001, 64240, 0),
	P(1, TH_RST, 4294876297u, 911, 64240, 0) } };

START_TEST(test_reused_slot_stale)
{
	struct policy pol;
	char seq[256];
	uint32_t inv;

	linux_conntrack(&pol);
	pol.max_flows = 1;
	for (int dirty = 0; dirty < 2; dirty++) {
		replay(&stale_end, &pol, dirty, seq, sizeof(seq), &inv);
		ck_assert_msg(strcmp(seq, stale_end.states) == 0, "%s: states [%s], want [%s]",
		    dirty ? "reused slot" : "fresh slot", seq, stale_end.states);
	}
}
END_TEST
#define SYN_OPTS(srv, fl, seq, ack, win, ws, sackok) \
	{ srv, fl, seq, ack, win, 0, 1460, ws, sackok, 0, 0, 0, 0, 0, 0 }

/* Each class's rule, as nf_conntrack_proto_tcp.c states it; the lab
 * confirmed these (s15, KDIFF_LIST). */
static const struct kcase rules[] = {
	/* C13: a pickup is liberal both ways: old data is no INVALID */
	{ "C13 pickup liberal", 4, "ESTABLISHED", 0, 3, {
		P(0, TH_ACK | TH_PSH, 100000, 5000, 8192, 100),
		P(0, TH_ACK | TH_PSH, 1, 5000, 8192, 1000),
		P(1, TH_ACK, 5000, 100100, 8192, 0) } },
	/* C02: data wholly below the lower bound: IGNORE, not INVALID */
	{ "C02 old data ignored", 4, "SYN_SENT SYN_RECV ESTABLISHED", 0, 4, {
		P(0, TH_SYN, 1000, 0, 65535, 0),
		P(1, TH_SYN | TH_ACK, 9000, 1001, 4096, 0),
		P(0, TH_ACK, 1001, 9001, 65535, 0),
		P(0, TH_ACK | TH_PSH, 1001 - 200000, 9001, 65535, 1000) } },
	/* C08: a RST answering the challenge ACK to a SYN: no window check */
	{ "C08 RST to a challenge ACK", 4, "SYN_SENT CLOSE", 0, 3, {
		P(0, TH_SYN, 1000, 0, 8192, 0),
		P(1, TH_ACK, 5000, 777777, 4096, 0),
		P(0, TH_RST, 777777, 0, 0, 0) } },
	/* C15: after a SYN/ACK the kernel ignored (its ACK under the lower
	 * bound), the originator's RST with ACK 0 is checked (out of the
	 * window: ignored, the flow kept) ... */
	{ "C15 originator's RST after an ignored SYN/ACK", 4, "SYN_SENT", 0, 3, {
		P(0, TH_SYN, 1000000, 0, 64240, 0),
		P(1, TH_SYN | TH_ACK, 9000, 800001, 64240, 0),
		P(0, TH_RST, 500001, 0, 64240, 0) } },
	/* ... the responder's is not (it answers the SYN let through) */
	{ "C15 responder's RST after an ignored SYN/ACK", 4, "SYN_SENT CLOSE", 0, 3, {
		P(0, TH_SYN, 1000000, 0, 64240, 0),
		P(1, TH_SYN | TH_ACK, 9000, 800001, 64240, 0),
		P(1, TH_RST, 4294876297u, 0, 64240, 0) } },
	/* A RST of a flow not yet established, the other side's ACK seen:
	 * the kernel's `break` goes straight to the window check, past the
	 * exemption for a RST answering an ACK let through (s15 seed 32) */
	{ "RST in SYN_RECV checked", 4, "SYN_SENT SYN_RECV", 0x8, 4, {
		SYN_OPTS(0, TH_SYN, 1522238260u, 0, 18227, 11, 1),
		SYN_OPTS(1, TH_SYN | TH_ACK, 2551169415u, 1522238261u, 193, -1, 1),
		P(1, TH_ACK, 2551169416u, 1522238261u, 193, 0),
		P(0, TH_RST | TH_ACK, 1522276313u, 2551169416u, 18227, 0) } },
	/* C12: tcp_error()'s table: a bare FIN on a live flow is INVALID */
	{ "C12 bare FIN", 4, "SYN_SENT", 0x2, 2, {
		P(0, TH_SYN, 1000, 0, 8192, 0),
		P(0, TH_FIN, 1001, 0, 8192, 0) } },
	/* C11: simultaneous open: the reply's ACK in SYN_RECV establishes */
	{ "C11 simultaneous open", 4, "SYN_SENT SYN_SENT2 SYN_RECV ESTABLISHED", 0, 4, {
		P(0, TH_SYN, 1000, 0, 8192, 0),
		P(1, TH_SYN, 5000, 0, 8192, 0),
		P(0, TH_SYN | TH_ACK, 1000, 5001, 8192, 0),
		P(1, TH_ACK, 5001, 1001, 8192, 0) } },
	/* C01: an inexact in-window RST on an ASSURED flow keeps it */
	{ "C01 inexact RST", 4, "SYN_SENT SYN_RECV ESTABLISHED", 0, 5, {
		P(0, TH_SYN, 1000, 0, 65535, 0),
		P(1, TH_SYN | TH_ACK, 9000, 1001, 8192, 0),
		P(0, TH_ACK, 1001, 9001, 65535, 0),
		P(1, TH_ACK, 9001, 1001, 8192, 0),
		P(0, TH_RST, 1500, 0, 0, 0) } },
	/* C09: a RST in a closing state is not checked at all */
	{ "C09 RST while closing", 4,
	  "SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT CLOSE", 0, 5, {
		P(0, TH_SYN, 1000, 0, 65535, 0),
		P(1, TH_SYN | TH_ACK, 9000, 1001, 8192, 0),
		P(0, TH_ACK, 1001, 9001, 65535, 0),
		P(0, TH_FIN | TH_ACK, 1001, 9001, 65535, 0),
		P(1, TH_RST, 3000000000u, 0, 0, 0) } },
	/* C07: a SYN/ACK answering a SYN ignored on a live flow resyncs */
	{ "C07 resync", 4, "ESTABLISHED SYN_RECV", 0, 3, {
		P(0, TH_ACK, 2547400, 349477579, 1024, 0),
		SYN_OPTS(0, TH_SYN, 995610971, 0, 1024, 14, 0),
		SYN_OPTS(1, TH_SYN | TH_ACK, 1425463989, 995610972, 8192, -1, 1) } },
};

START_TEST(test_class_rules)
{
	const struct kcase *c = &rules[_i];
	struct policy pol;
	char seq[256];
	uint32_t inv;

	linux_conntrack(&pol);
	replay(c, &pol, false, seq, sizeof(seq), &inv);
	ck_assert_msg(strcmp(seq, c->states) == 0, "%s: states [%s], want [%s]", c->name, seq,
	    c->states);
	ck_assert_msg(inv == c->invalid, "%s: INVALID 0x%x, want 0x%x", c->name, inv, c->invalid);
}
END_TEST

/* tcp.be_liberal: nothing out of window; tcp.ignore_invalid_rst: a RST
 * below the acknowledged data is not INVALID; tcp.loose off: no pickup. */
START_TEST(test_knobs)
{
	static const struct kcase oow = { "beyond the window", 4, "SYN_SENT SYN_RECV ESTABLISHED",
		0x8, 4, {
		P(0, TH_SYN, 1000, 0, 1000, 0),
		P(1, TH_SYN | TH_ACK, 9000, 1001, 1000, 0),
		P(0, TH_ACK, 1001, 9001, 1000, 0),
		P(0, TH_ACK | TH_PSH, 900000, 9001, 1000, 100) } };
	static const struct kcase stale_rst = { "stale RST", 4, "SYN_SENT SYN_RECV ESTABLISHED",
		0x20, 6, {
		P(0, TH_SYN, 1000, 0, 65535, 0),
		P(1, TH_SYN | TH_ACK, 9000, 1001, 65535, 0),
		P(0, TH_ACK, 1001, 9001, 65535, 0),
		P(0, TH_ACK | TH_PSH, 1001, 9001, 65535, 500),
		P(1, TH_ACK, 9001, 1501, 65535, 0),
		P(0, TH_RST, 1100, 0, 0, 0) } };
	static const struct kcase pickup = { "pickup", 4, "", 0x1, 1, {
		P(0, TH_ACK, 1000, 5000, 1000, 0) } };
	struct policy pol;
	char seq[256];
	uint32_t inv;

	linux_conntrack(&pol);
	replay(&oow, &pol, false, seq, sizeof(seq), &inv);
	ck_assert_str_eq(seq, oow.states);
	ck_assert_uint_eq(inv, oow.invalid);
	pol.tcp_liberal = true;
	replay(&oow, &pol, false, seq, sizeof(seq), &inv);
	ck_assert_uint_eq(inv, 0);

	linux_conntrack(&pol);
	replay(&stale_rst, &pol, false, seq, sizeof(seq), &inv);
	ck_assert_str_eq(seq, stale_rst.states);
	ck_assert_uint_eq(inv, stale_rst.invalid);
	pol.tcp_ignore_invalid_rst = true;
	replay(&stale_rst, &pol, false, seq, sizeof(seq), &inv);
	/* then an inexact RST on an ASSURED flow: kept (RFC 5961) */
	ck_assert_str_eq(seq, "SYN_SENT SYN_RECV ESTABLISHED");
	ck_assert_uint_eq(inv, 0);

	linux_conntrack(&pol);
	replay(&pickup, &pol, false, seq, sizeof(seq), &inv);
	ck_assert_str_eq(seq, "ESTABLISHED");
	pol.tcp_loose = false;
	replay(&pickup, &pol, false, seq, sizeof(seq), &inv);
	ck_assert_str_eq(seq, pickup.states);
	ck_assert_uint_eq(inv, pickup.invalid);
}
END_TEST

/* tcp.max_retrans: the fourth identical ACK (the third retransmission)
 * caps an ESTABLISHED flow's timer at timeout.max_retrans. */
START_TEST(test_max_retrans)
{
	struct tb t;
	struct policy pol;
	const struct event *ev;

	linux_conntrack(&pol);
	tb_init(&t);
	t.pol = pol;
	tb_start(&t);
	handshake(&t);
	tx(&t, true, TH_ACK | TH_PSH, 100);
	for (int i = 0; i < 3; i++) {
		uint8_t b[80];
		size_t n = build(b, false, false, t.cport, TH_ACK, t.sseq, t.cseq, 0);

		t.now += S(1);
		engine_process(t.e, b, n, t.now, &t.v);
	}
	ck_assert_uint_eq(t.nev, 3);	/* NEW, SYN_RECV, ESTABLISHED */
	{
		uint8_t b[80];
		size_t n = build(b, false, false, t.cport, TH_ACK, t.sseq, t.cseq, 0);

		t.now += S(1);
		engine_process(t.e, b, n, t.now, &t.v);
	}
	/* the flow dies at 300 s, not 5 days */
	engine_expire(t.e, t.now + S(301), UINT32_MAX);
	ev = find_ev(&t, EV_EXPIRE);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->ts, t.now + pol.max_retrans_timeout);
	tb_done(&t);
}
END_TEST

/* The timer each packet leaves, with the kernel's timeouts 2 s apart as
 * s15's KDIFF_TIMERS sets them (the lab confirmed each line with
 * KDIFF_LIST=tests/e2e/kdiff-timers.list). */
static const struct {
	struct kcase c;
	uint64_t left[8];	/* ms the flow's timer holds after packet k */
} timer_rules[] = {
	/* nf_conntrack_tcp_packet(): a SYN in SYN_SENT before any reply
	 * does not renew the timer, a crossing one (SYN_SENT2) neither */
	{ { "crossing SYN keeps the timer", 4, "SYN_SENT SYN_SENT2", 0, 2, {
		P(0, TH_SYN, 1000, 0, 8192, 0),
		P(1, TH_SYN, 5000, 0, 8192, 0) } }, { 5000, 4998 } },
	/* a pickup's ACK fails the window check against tcp_new()'s empty
	 * receiver: let through liberally, last_win stays 0, so the ladder
	 * gives timeout.max_retrans (17 s, under unacknowledged's 19) */
	{ { "pickup: last_win 0", 4, "ESTABLISHED", 0, 1, {
		P(0, TH_ACK | TH_PSH, 100000, 5000, 8192, 100) } }, { 17000 } },
	/* ... unless its ACK is 0: in the window, recorded (last_win 8192),
	 * and only the no-reply cap applies (timeout.unacknowledged) */
	{ { "pickup with ACK 0: recorded", 4, "ESTABLISHED", 0, 1, {
		P(0, TH_ACK, 1000, 0, 8192, 0) } }, { 19000 } },
	/* nf_tcp_handle_invalid(): an ASSURED flow's out-of-window FIN is
	 * remembered; the other side's out-of-window RST answering it cuts
	 * the timer (300 s left, over 120) to timeout.unacknowledged */
	{ { "invalid RST answering an invalid FIN", 4, "SYN_SENT SYN_RECV ESTABLISHED", 0x30, 6, {
		P(0, TH_SYN, 1000, 0, 65535, 0),
		P(1, TH_SYN | TH_ACK, 9000, 1001, 8192, 0),
		P(0, TH_ACK, 1001, 9001, 65535, 0),
		P(1, TH_ACK, 9001, 1001, 8192, 0),
		P(0, TH_FIN | TH_ACK, 500000000, 9001, 65535, 0),
		P(1, TH_RST | TH_ACK, 700000000, 1001, 8192, 0) } },
	  { 5000, 7000, 300000, 300000, 299998, 19000 } },
};

START_TEST(test_timer_rules)
{
	const struct kcase *c = &timer_rules[_i].c;
	static const struct { enum tcp_state s; double v; } to[] = {
		{ TCP_CLOSE, 3 }, { TCP_SYN_SENT, 5 }, { TCP_SYN_RECV, 7 },
		{ TCP_TIME_WAIT, 9 }, { TCP_LAST_ACK, 11 }, { TCP_CLOSE_WAIT, 13 },
		{ TCP_FIN_WAIT, 15 }, { TCP_ESTABLISHED, 300 },
	};
	struct policy pol;
	char seq[256];
	uint32_t inv;

	linux_conntrack(&pol);
	for (unsigned k = 0; k < sizeof(to) / sizeof(to[0]); k++)
		pol.timeout[to[k].s] = S(to[k].v);
	pol.max_retrans_timeout = S(17);
	pol.unacknowledged = S(19);
	replay(c, &pol, false, seq, sizeof(seq), &inv);
	ck_assert_msg(strcmp(seq, c->states) == 0, "%s: states [%s], want [%s]", c->name, seq,
	    c->states);
	ck_assert_msg(inv == c->invalid, "%s: INVALID 0x%x, want 0x%x", c->name, inv, c->invalid);
	for (unsigned k = 0; k < c->n; k++)
		ck_assert_msg(trail[k] == timer_rules[_i].left[k] * 1000000,
		    "%s: packet %u leaves %.3f s, want %.3f s", c->name, k + 1, trail[k] / 1e9,
		    timer_rules[_i].left[k] / 1e3);
}
END_TEST

/* table.full = early_drop: a SYN flood does not evict an ASSURED flow. */
START_TEST(test_early_drop)
{
	struct tb t;
	unsigned ends = 0;

	tb_init(&t);
	t.pol.window_tracking = true;
	t.pol.max_flows = 8;
	t.pol.table_full = FULL_EARLY_DROP;
	tb_start(&t);
	handshake(&t);
	tx(&t, false, TH_ACK, 0);	/* ASSURED */
	for (uint16_t i = 0; i < 40; i++) {
		uint8_t b[80];
		size_t n = build(b, false, true, (uint16_t)(50000 + i), TH_SYN, 7, 0, 0);

		t.now += S(0.01);
		engine_process(t.e, b, n, t.now, &t.v);
	}
	for (unsigned i = 0; i < t.nev; i++)
		if (t.ev[i].type == EV_END && t.ev[i].sport == t.cport)
			ends++;
	ck_assert_uint_eq(ends, 0);
	ck_assert_uint_eq(engine_flow_count(t.e), 8);
	tb_done(&t);
}
END_TEST

Suite *
suite_kernel(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_fidelity_examples, 0,
	    (int)(sizeof(examples) / sizeof(examples[0])));
	tcase_add_loop_test(tc, test_reused_slot, 0,
	    (int)(sizeof(examples) / sizeof(examples[0])));
	tcase_add_test(tc, test_reused_slot_stale);
	tcase_add_loop_test(tc, test_class_rules, 0, (int)(sizeof(rules) / sizeof(rules[0])));
	tcase_add_test(tc, test_knobs);
	tcase_add_test(tc, test_max_retrans);
	tcase_add_loop_test(tc, test_timer_rules, 0,
	    (int)(sizeof(timer_rules) / sizeof(timer_rules[0])));
	tcase_add_test(tc, test_early_drop);
	suite_add_tcase(s, tc);
	return s;
}
