/* check_natrw.c -- translation in place (natrw) and through the engine: checksums, ICMP errors, filtering, expiry, hairpin. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "engine.h"
#include "engine_nat.h"
#include "event.h"
#include "nat.h"
#include "natrw.h"
#include "policy.h"
#include "reason.h"
#include "nat_tb.h"
#include "suites.h"

/* ---- the rewriter ---- */

/* The pseudo-header sum of an IPv4 packet's L4 part. */
static uint32_t
pseudo(const uint8_t *ip, size_t l4len)
{
	return (uint32_t)rd16(ip + 12) + rd16(ip + 14) + rd16(ip + 16) + rd16(ip + 18) +
	    ip[9] + (uint32_t)l4len;
}

/* Fill every checksum of an IPv4 TCP/UDP/ICMP packet of len bytes. */
static void
finish(uint8_t *b, size_t len)
{
	size_t l4 = (b[0] & 15u) * 4;

	wr16(b + 2, (uint16_t)len);
	wr16(b + 10, 0);
	wr16(b + 10, natrw_checksum(b, l4, 0));
	switch (b[9]) {
	case P_TCP:
		wr16(b + l4 + 16, 0);
		wr16(b + l4 + 16, natrw_checksum(b + l4, len - l4, pseudo(b, len - l4)));
		break;
	case P_UDP:
		wr16(b + l4 + 6, 0);
		wr16(b + l4 + 6, natrw_checksum(b + l4, len - l4, pseudo(b, len - l4)));
		break;
	case P_ICMP:
		wr16(b + l4 + 2, 0);
		wr16(b + l4 + 2, natrw_checksum(b + l4, len - l4, 0));
		break;
	}
}

/* Every checksum of the packet verifies (sums to 0). */
static void
verify(const uint8_t *b, size_t len)
{
	size_t l4 = (b[0] & 15u) * 4;

	ck_assert_uint_eq(natrw_checksum(b, l4, 0), 0);
	if (b[9] == P_TCP || (b[9] == P_UDP && rd16(b + l4 + 6) != 0))
		ck_assert_uint_eq(natrw_checksum(b + l4, len - l4, pseudo(b, len - l4)), 0);
	if (b[9] == P_ICMP)
		ck_assert_uint_eq(natrw_checksum(b + l4, len - l4, 0), 0);
}

static size_t
mk4(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst, size_t l4len)
{
	memset(b, 0, 20 + l4len);
	b[0] = 0x45;
	b[8] = 64;
	b[9] = proto;
	wr32(b + 12, src);
	wr32(b + 16, dst);
	for (size_t i = 0; i < l4len; i++)
		b[20 + i] = (uint8_t)(i * 7 + 3);
	return 20 + l4len;
}

static size_t
mk_tcp(uint8_t *b, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint8_t flags)
{
	size_t n = mk4(b, P_TCP, src, dst, 20 + 33);

	wr16(b + 20, sp);
	wr16(b + 22, dp);
	b[32] = 5 << 4;
	b[33] = flags;
	finish(b, n);
	return n;
}

static size_t
mk_udp(uint8_t *b, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp)
{
	size_t n = mk4(b, P_UDP, src, dst, 8 + 21);

	wr16(b + 20, sp);
	wr16(b + 22, dp);
	wr16(b + 24, 8 + 21);
	finish(b, n);
	return n;
}

static size_t
mk_echo(uint8_t *b, uint32_t src, uint32_t dst, uint8_t type, uint16_t id)
{
	size_t n = mk4(b, P_ICMP, src, dst, 8 + 16);

	b[20] = type;
	b[21] = 0;
	wr16(b + 24, id);
	wr16(b + 26, 1);
	finish(b, n);
	return n;
}

/* An ICMP error from `from` to `to` quoting the first qlen bytes of q. */
static size_t
mk_error(uint8_t *b, uint32_t from, uint32_t to, uint8_t type, uint8_t code,
    const uint8_t *q, size_t qlen)
{
	size_t n = mk4(b, P_ICMP, from, to, 8 + qlen);

	b[20] = type;
	b[21] = code;
	memcpy(b + 28, q, qlen);
	finish(b, n);
	return n;
}

START_TEST(test_rewrite_tcp_udp)
{
	uint8_t b[128];
	size_t n;
	struct nat_rewrite rw = { .set = NRW_SRC, .src = POOL, .sport = 61000 };

	n = mk_tcp(b, CLIENT, 40000, SERVER, 80, 0x12);
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_OK);
	ck_assert_uint_eq(rd32(b + 12), POOL);
	ck_assert_uint_eq(rd16(b + 20), 61000);
	verify(b, n);

	rw.set = NRW_DST;
	rw.dst = CLIENT;
	rw.dport = 40000;
	n = mk_udp(b, SERVER, 53, POOL, 61000);
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_OK);
	ck_assert_uint_eq(rd32(b + 16), CLIENT);
	ck_assert_uint_eq(rd16(b + 22), 40000);
	verify(b, n);

	/* UDP without a checksum keeps none */
	n = mk_udp(b, SERVER, 53, POOL, 61000);
	wr16(b + 26, 0);
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_OK);
	ck_assert_uint_eq(rd16(b + 26), 0);

	/* both sides at once (hairpin) */
	rw.set = NRW_SRC | NRW_DST;
	n = mk_tcp(b, CLIENT2, 5555, POOL, 61000, 0x02);
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_OK);
	ck_assert_uint_eq(rd32(b + 12), POOL);
	ck_assert_uint_eq(rd32(b + 16), CLIENT);
	verify(b, n);

	/* checksum offload pending: the field is the pseudo-header sum */
	n = mk_tcp(b, CLIENT, 40000, SERVER, 80, 0x10);
	wr16(b + 36, (uint16_t)~natrw_checksum(NULL, 0, pseudo(b, n - 20)));
	rw.set = NRW_SRC;
	ck_assert_int_eq(nat_rewrite(b, n, &rw, true), NATRW_OK);
	ck_assert_uint_eq(rd16(b + 36), (uint16_t)~natrw_checksum(NULL, 0, pseudo(b, n - 20)));

	/* too short to reach the checksum; a later fragment */
	n = mk_tcp(b, CLIENT, 40000, SERVER, 80, 0x10);
	ck_assert_int_eq(nat_rewrite(b, 30, &rw, false), NATRW_SHORT);
	wr16(b + 6, 100);
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_FRAGMENT);
}
END_TEST

START_TEST(test_rewrite_icmp)
{
	uint8_t b[256], q[128];
	size_t n, qn;
	struct nat_rewrite rw = { .set = NRW_SRC, .src = POOL, .sport = 777 };

	/* an echo request: its identifier */
	n = mk_echo(b, CLIENT, SERVER, 8, 42);
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_OK);
	ck_assert_uint_eq(rd16(b + 24), 777);
	verify(b, n);
	/* the reply back in */
	rw.set = NRW_DST;
	rw.dst = CLIENT;
	rw.dport = 42;
	n = mk_echo(b, SERVER, POOL, 0, 777);
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_OK);
	ck_assert_uint_eq(rd16(b + 24), 42);
	ck_assert_uint_eq(rd32(b + 16), CLIENT);
	verify(b, n);

	/* a router's port unreachable about the translated datagram
	 * POOL:61000 -> SERVER:53, whole datagram quoted */
	qn = mk_udp(q, POOL, 61000, SERVER, 53);
	n = mk_error(b, IP(192, 0, 2, 1), POOL, 3, 3, q, qn);
	rw.set = NRW_DST;
	rw.dst = CLIENT;
	rw.dport = 40000;
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_OK);
	ck_assert_uint_eq(rd32(b + 12), IP(192, 0, 2, 1));	/* the router stays */
	ck_assert_uint_eq(rd32(b + 16), CLIENT);
	ck_assert_uint_eq(rd32(b + 28 + 12), CLIENT);		/* quoted source */
	ck_assert_uint_eq(rd16(b + 48), 40000);			/* quoted sport */
	verify(b, n);
	verify(b + 28, qn);					/* the quote's own sums */

	/* the inside host's own error about an inbound datagram, quoting 8
	 * bytes of UDP: outer source and quoted destination both translated */
	qn = mk_udp(q, SERVER, 53, CLIENT, 40000);
	n = mk_error(b, CLIENT, SERVER, 3, 3, q, 28);
	rw.set = NRW_SRC;
	rw.src = POOL;
	rw.sport = 61000;
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_OK);
	ck_assert_uint_eq(rd32(b + 12), POOL);
	ck_assert_uint_eq(rd32(b + 28 + 16), POOL);
	ck_assert_uint_eq(rd16(b + 50), 61000);
	verify(b, n);
	ck_assert_uint_eq(natrw_checksum(b + 28, 20, 0), 0);

	/* a quote too short for its ports */
	n = mk_error(b, CLIENT, SERVER, 3, 3, q, 22);
	ck_assert_int_eq(nat_rewrite(b, n, &rw, false), NATRW_SHORT);
}
END_TEST

/* ---- the engine ---- */

struct ntb {
	struct policy pol;
	struct engine *e;
	struct verdict v;
	uint64_t now;
	unsigned events[EV__MAX];
	struct event last;
};

static void
nt_event(void *ctx, const struct event *ev)
{
	struct ntb *t = ctx;

	t->events[ev->type]++;
	t->last = *ev;
}

static void
nt_init(struct ntb *t, const char *const *sets)
{
	struct policy_errors errs;
	struct engine_ops ops = { .event = nt_event, .ctx = t };

	memset(t, 0, sizeof(*t));
	policy_defaults(&t->pol);
	ck_assert_int_eq(policy_set(&t->pol, "t", "nat.outside = 203.0.113.100", &errs), 0);
	ck_assert_int_eq(policy_set(&t->pol, "t", "nat.inside = 198.51.100.0/24", &errs), 0);
	ck_assert_int_eq(policy_set(&t->pol, "t", "table.max_flows = 1024", &errs), 0);
	for (; sets && *sets; sets++)
		ck_assert_msg(policy_set(&t->pol, "t", *sets, &errs) == 0, "%s", errs.msg[0]);
	t->e = engine_new(&t->pol, &ops, seed, 0);
	ck_assert_ptr_nonnull(t->e);
}

/* Run b through the engine; on accept apply the rewrite and check it. */
static enum verdict_action
nt_tx(struct ntb *t, uint8_t *b, size_t n)
{
	enum verdict_action a = engine_process(t->e, b, n, t->now, &t->v);

	if (a == V_ACCEPT && t->v.rw.set) {
		ck_assert_int_eq(nat_rewrite(b, n, &t->v.rw, false), NATRW_OK);
		verify(b, n);
	}
	return a;
}

START_TEST(test_engine_tcp)
{
	static const char *const sets[] = { "nat.port_reuse_delay = 2m", "nat.unsolicited = drop",
	    "timeout.established = 30s", "expire.later = pickup", NULL };
	struct ntb t;
	uint8_t b[128];
	size_t n;
	struct flow_outside o;

	nt_init(&t, sets);
	n = mk_tcp(b, CLIENT, 40000, SERVER, 80, 0x02);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_eq(rd32(b + 12), POOL);
	ck_assert_uint_eq(rd16(b + 20), 40000);
	ck_assert(engine_flow_outside(t.e, t.v.flow, &o));
	ck_assert_uint_eq(o.src, POOL);
	ck_assert_uint_eq(o.dst, SERVER);
	ck_assert(t.last.nat && t.last.nat_src == POOL && t.last.nat_sport == 40000);
	/* the answer comes to the pool and goes to the client */
	n = mk_tcp(b, SERVER, 80, POOL, 40000, 0x12);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_eq(rd32(b + 16), CLIENT);
	n = mk_tcp(b, CLIENT, 40000, SERVER, 80, 0x10);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	/* nobody holds pool port 40001 */
	n = mk_tcp(b, SERVER, 80, POOL, 40001, 0x02);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NAT_NO_MAPPING);
	/* a packet just past the deadline, before the wheel reaped it: the
	 * lookup ends the flow and its mapping; no new flow comes in
	 * through the mapping that went */
	t.now = 30 * SEC + 1;
	n = mk_tcp(b, SERVER, 80, POOL, 40000, 0x02);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NAT_NO_MAPPING);
	ck_assert_uint_eq(nat_count(engine_nat(t.e)), 0);
	/* idle past the timer: the mapping goes with the flow */
	t.now = 31 * SEC;
	engine_expire(t.e, t.now, UINT32_MAX);
	ck_assert_uint_eq(nat_count(engine_nat(t.e)), 0);
	n = mk_tcp(b, SERVER, 80, POOL, 40000, 0x10);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NAT_NO_MAPPING);
	/* the client's next segment is picked up from a new port: the
	 * old one rests */
	n = mk_tcp(b, CLIENT, 40000, SERVER, 80, 0x18);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_ne(rd16(b + 20), 40000);
	ck_assert_uint_eq(rd32(b + 12), POOL);
	engine_free(t.e);
}
END_TEST

static struct rst_spec rsts[4];
static unsigned nrsts;

static void
nt_rst(void *ctx, const struct rst_spec *r)
{
	(void)ctx;
	if (nrsts < 4)
		rsts[nrsts] = *r;
	nrsts++;
}

/* expire.action = reset: the server's RST comes from the outside tuple
 * it knows, the client's from the server as it is. */
START_TEST(test_engine_expiry_reset)
{
	static const char *const sets[] = { "expire.action = reset",
	    "timeout.established = 10s", "nat.ports = sequential", NULL };
	struct ntb t;
	struct engine_ops ops = { .event = nt_event, .rst = nt_rst, .ctx = &t };
	uint8_t b[128];
	size_t n;
	uint16_t x;

	nt_init(&t, sets);
	engine_free(t.e);
	t.e = engine_new(&t.pol, &ops, seed, 0);
	nrsts = 0;
	n = mk_tcp(b, CLIENT, 40000, SERVER, 80, 0x02);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	x = rd16(b + 20);
	n = mk_tcp(b, SERVER, 80, POOL, x, 0x12);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	n = mk_tcp(b, CLIENT, 40000, SERVER, 80, 0x10);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	engine_expire(t.e, 20 * SEC, UINT32_MAX);
	ck_assert_uint_eq(nrsts, 2);
	for (unsigned i = 0; i < 2; i++) {
		uint32_t src = rd32(rsts[i].src.b), dst = rd32(rsts[i].dst.b);

		if (dst == SERVER) {
			ck_assert_uint_eq(src, POOL);
			ck_assert_uint_eq(rsts[i].sport, x);
		} else {
			ck_assert_uint_eq(dst, CLIENT);
			ck_assert_uint_eq(src, SERVER);
			ck_assert_uint_eq(rsts[i].dport, 40000);
		}
	}
	engine_free(t.e);
}
END_TEST

START_TEST(test_engine_filtering_and_unsolicited)
{
	static const char *const eif[] = { "nat.filtering = endpoint-independent", NULL };
	static const char *const drop[] = { "nat.unsolicited = drop", NULL };
	static const char *const rst[] = { "nat.unsolicited = reset", NULL };
	static const char *const icmp[] = { "nat.unsolicited = icmp", NULL };
	struct ntb t;
	uint8_t b[128];
	size_t n;

	/* default APDF: another server's datagram to the mapping is refused */
	nt_init(&t, drop);
	n = mk_udp(b, CLIENT, 5000, SERVER, 3478);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	n = mk_udp(b, SERVER2, 3478, POOL, 5000);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NAT_FILTERED);
	ck_assert_uint_eq(t.v.icmp_unreach, 0);
	engine_free(t.e);

	/* EIF: it comes in, to the client */
	nt_init(&t, eif);
	n = mk_udp(b, CLIENT, 5000, SERVER, 3478);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	n = mk_udp(b, SERVER2, 3478, POOL, 5000);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_eq(rd32(b + 16), CLIENT);
	/* and the client's answer leaves from the same mapping */
	n = mk_udp(b, CLIENT, 5000, SERVER2, 3478);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_eq(rd32(b + 12), POOL);
	ck_assert_uint_eq(rd16(b + 20), 5000);

	/* seen inside (a capture on the inside): a datagram from elsewhere
	 * to the client's own address is judged as if it came through the
	 * client's mapping: EIF lets it in; a host with no mapping gets
	 * nothing */
	n = mk_udp(b, SERVER, 3478, CLIENT, 5000);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	n = mk_udp(b, IP(203, 0, 113, 99), 9, CLIENT, 5000);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	n = mk_udp(b, SERVER, 3478, CLIENT2, 5000);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NAT_NO_MAPPING);
	engine_free(t.e);
	nt_init(&t, drop);
	n = mk_udp(b, CLIENT, 5000, SERVER, 3478);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	n = mk_udp(b, SERVER, 3478, CLIENT, 5000);	/* the answer: its flow */
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	n = mk_udp(b, SERVER2, 3478, CLIENT, 5000);	/* APDF refuses */
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NAT_FILTERED);
	engine_free(t.e);

	/* reset: an unsolicited SYN's sender gets a RST from the pool port */
	nt_init(&t, rst);
	n = mk_tcp(b, SERVER, 80, POOL, 2222, 0x02);
	ck_assert_int_eq(nt_tx(&t, b, n), V_RESET);
	ck_assert_uint_eq(t.v.nrst, 1);
	ck_assert_uint_eq(t.v.rst[0].sport, 2222);
	ck_assert_mem_eq(t.v.rst[0].src.b, "\xcb\x00\x71\x64", 4);
	/* as a host stack would: a datagram gets port unreachable */
	n = mk_udp(b, SERVER, 53, POOL, 2222);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.icmp_unreach, 3 + 1);
	engine_free(t.e);

	/* icmp: a datagram gets port unreachable, a SYN nothing (REQ-4) */
	nt_init(&t, icmp);
	n = mk_udp(b, SERVER, 53, POOL, 2222);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.icmp_unreach, 3 + 1);
	n = mk_tcp(b, SERVER, 80, POOL, 2222, 0x02);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.icmp_unreach, 0);
	engine_free(t.e);
}
END_TEST

START_TEST(test_engine_icmp)
{
	struct ntb t;
	uint8_t b[256], q[128];
	size_t n, qn;
	uint16_t x;

	nt_init(&t, NULL);
	/* ping */
	n = mk_echo(b, CLIENT, SERVER, 8, 99);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	x = rd16(b + 24);
	n = mk_echo(b, SERVER, POOL, 0, x);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_eq(rd16(b + 24), 99);
	ck_assert_uint_eq(rd32(b + 16), CLIENT);
	/* a UDP flow, and a port unreachable about it from the server */
	n = mk_udp(b, CLIENT, 6000, SERVER, 9);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	x = rd16(b + 20);
	qn = mk_udp(q, POOL, x, SERVER, 9);
	n = mk_error(b, SERVER, POOL, 3, 3, q, qn);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_eq(rd32(b + 16), CLIENT);
	ck_assert_uint_eq(rd16(b + 48), 6000);
	/* the mapping is still there */
	ck_assert_uint_ne(nat_map_find(engine_nat(t.e), P_UDP, 0, x), NAT_NONE);
	n = mk_udp(b, SERVER, 9, POOL, x);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	/* ESP: no ports, the address alone; one inside host per protocol */
	n = mk4(b, 50, CLIENT, SERVER, 24);
	finish(b, n);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_eq(rd32(b + 12), POOL);
	n = mk4(b, 50, SERVER, POOL, 24);
	finish(b, n);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_eq(rd32(b + 16), CLIENT);
	n = mk4(b, 50, CLIENT2, SERVER2, 24);
	finish(b, n);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	ck_assert_uint_eq(t.v.reason, R_NAT_PORTS);
	engine_free(t.e);
}
END_TEST

START_TEST(test_engine_hairpin_and_rebind)
{
	static const char *const on[] = { "nat.hairpin = on", NULL };
	static const char *const off[] = { "nat.hairpin = off", NULL };
	static const char *const rb[] = { "nat.rebind_every = 10s", NULL };
	struct ntb t;
	uint8_t b[128];
	size_t n;
	uint16_t xa, xb;

	for (int hp = 1; hp >= 0; hp--) {
		nt_init(&t, hp ? on : off);
		/* CLIENT2 has a mapping (talking to the server) */
		n = mk_udp(b, CLIENT2, 7000, SERVER, 3478);
		ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
		xb = rd16(b + 20);
		/* CLIENT sends to it through the pool */
		n = mk_udp(b, CLIENT, 7100, POOL, xb);
		if (!hp) {
			ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
			ck_assert_uint_eq(t.v.reason, R_NAT_HAIRPIN);
			engine_free(t.e);
			continue;
		}
		ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
		ck_assert_uint_eq(rd32(b + 12), POOL);	/* from CLIENT's mapping */
		xa = rd16(b + 20);
		ck_assert_uint_eq(rd32(b + 16), CLIENT2);
		ck_assert_uint_eq(rd16(b + 22), 7000);
		/* CLIENT2 answers to CLIENT's outside address */
		n = mk_udp(b, CLIENT2, 7000, POOL, xa);
		ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
		ck_assert_uint_eq(rd32(b + 12), POOL);
		ck_assert_uint_eq(rd16(b + 20), xb);
		ck_assert_uint_eq(rd32(b + 16), CLIENT);
		ck_assert_uint_eq(rd16(b + 22), 7100);
		engine_free(t.e);
	}

	nt_init(&t, rb);
	n = mk_udp(b, CLIENT, 8000, SERVER, 443);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	xa = rd16(b + 20);
	uint32_t flow = t.v.flow;

	t.now = 5 * SEC;
	n = mk_udp(b, CLIENT, 8000, SERVER, 443);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_eq(rd16(b + 20), xa);
	t.now = 11 * SEC;
	n = mk_udp(b, CLIENT, 8000, SERVER, 443);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_ne(rd16(b + 20), xa);
	ck_assert_uint_eq(engine_stats(t.e)->reason[R_NAT_REBIND], 1);
	/* the old port is gone: the server's late packet to it is refused */
	n = mk_udp(b, SERVER, 443, POOL, xa);
	ck_assert_int_eq(nt_tx(&t, b, n), V_DROP);
	/* ctl rebind moves it again at once */
	n = mk_udp(b, CLIENT, 8000, SERVER, 443);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	xb = rd16(b + 20);
	ck_assert_uint_eq(t.v.flow, flow);
	ck_assert_int_eq(engine_rebind(t.e, flow, t.now), 0);
	n = mk_udp(b, CLIENT, 8000, SERVER, 443);
	ck_assert_int_eq(nt_tx(&t, b, n), V_ACCEPT);
	ck_assert_uint_ne(rd16(b + 20), xb);
	ck_assert_int_eq(engine_rebind(t.e, 1000, t.now), -1);	/* no such flow */
	engine_free(t.e);
}
END_TEST

Suite *
suite_natrw(void)
{
	Suite *s = suite_create("natrw");
	TCase *tc;

	tc = tcase_create("rewrite");
	tcase_add_test(tc, test_rewrite_tcp_udp);
	tcase_add_test(tc, test_rewrite_icmp);
	suite_add_tcase(s, tc);

	tc = tcase_create("engine");
	tcase_add_test(tc, test_engine_tcp);
	tcase_add_test(tc, test_engine_filtering_and_unsolicited);
	tcase_add_test(tc, test_engine_icmp);
	tcase_add_test(tc, test_engine_expiry_reset);
	tcase_add_test(tc, test_engine_hairpin_and_rebind);
	suite_add_tcase(s, tc);
	return s;
}
