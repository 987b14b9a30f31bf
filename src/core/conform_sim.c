/* conform_sim.c -- the conformance runs' bench: a profile's engine on a virtual clock, fed packets built by hand.
 *
 * Packets are header-only copies, as the live path hands the engine: the
 * IP length says how much payload follows. Checksums are left zero (the
 * engine does not check them) and rewrites are read off the verdict, not
 * applied: an inbound packet is built straight to the external endpoint.
 */
#include <limits.h>
#include <string.h>

#include "bytes.h"
#include "conform_int.h"

/* An IPv4 header for l4len bytes of proto; returns 20. */
static size_t
ip4(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst, size_t l4len)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	wr16(b + 2, (uint16_t)(20 + l4len));
	b[8] = 64;
	b[9] = proto;
	wr32(b + 12, src);
	wr32(b + 16, dst);
	return 20;
}

int
csim_start(struct csim *s, const struct policy *p)
{
	static const char *const sets[] = {
		"nat.outside = 203.0.113.100-203.0.113.101",
		"nat.inside = 198.51.100.0/24",
		"table.max_flows = 256",
	};
	struct policy_errors errs;
	struct engine_ops ops = { 0 };
	uint64_t seed[2] = { 0x636f6e66, 0x6f726d };

	memset(s, 0, sizeof(*s));
	s->pol = *p;
	memset(&s->pol.nat.range, 0, sizeof(s->pol.nat.range));
	memset(&s->pol.nat.inside, 0, sizeof(s->pol.nat.inside));
	s->pol.nat.nranges = 0;
	s->pol.nat.ninside = 0;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (policy_set(&s->pol, "conform", sets[i], &errs) != 0)
			return -1;
	/* a table near full would scale timers (pf adaptive): not here */
	s->pol.adaptive_start = 0;
	s->now = 1000 * CS_SEC;
	s->e = engine_new(&s->pol, &ops, seed, s->now);
	return s->e != NULL ? 0 : -1;
}

void
csim_stop(struct csim *s)
{
	engine_free(s->e);
	s->e = NULL;
}

void
csim_wait(struct csim *s, uint64_t dt)
{
	s->now += dt;
	engine_expire(s->e, s->now, UINT_MAX);
}

static enum verdict_action
run(struct csim *s, const uint8_t *b, size_t n)
{
	engine_expire(s->e, s->now, UINT_MAX);
	return engine_process(s->e, b, n, s->now, &s->v);
}

enum verdict_action
csim_tcp(struct csim *s, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
    uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	uint8_t b[40];
	uint8_t *t = b + ip4(b, 6, src, dst, 20 + len);

	memset(t, 0, 20);
	wr16(t, sp);
	wr16(t + 2, dp);
	wr32(t + 4, seq);
	wr32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	wr16(t + 14, 65535);
	return run(s, b, sizeof(b));
}

enum verdict_action
csim_udp(struct csim *s, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp)
{
	uint8_t b[28];
	uint8_t *u = b + ip4(b, 17, src, dst, 8 + 16);

	wr16(u, sp);
	wr16(u + 2, dp);
	wr16(u + 4, 8 + 16);
	wr16(u + 6, 0);
	return run(s, b, sizeof(b));
}

enum verdict_action
csim_echo(struct csim *s, uint32_t src, uint32_t dst, uint8_t type, uint16_t id)
{
	uint8_t b[28];
	uint8_t *m = b + ip4(b, 1, src, dst, 8 + 16);

	memset(m, 0, 8);
	m[0] = type;
	wr16(m + 4, id);
	wr16(m + 6, 1);
	return run(s, b, sizeof(b));
}

enum verdict_action
csim_icmp_err(struct csim *s, uint32_t from, uint32_t to, uint8_t type, uint8_t code,
    uint8_t proto, uint32_t qsrc, uint16_t qsp, uint32_t qdst, uint16_t qdp)
{
	uint8_t b[56];
	uint8_t *m = b + ip4(b, 1, from, to, 8 + 28);
	uint8_t *q = m + 8;

	memset(m, 0, 8);
	m[0] = type;
	m[1] = code;
	ip4(q, proto, qsrc, qdst, 20);
	memset(q + 20, 0, 8);
	wr16(q + 20, qsp);
	wr16(q + 22, qdp);
	return run(s, b, sizeof(b));
}

void
csim_xsrc(const struct csim *s, uint32_t src, uint16_t sp, uint32_t *xa, uint16_t *xp)
{
	*xa = src;
	*xp = sp;
	if (s->v.action == V_ACCEPT && (s->v.rw.set & NRW_SRC)) {
		*xa = s->v.rw.src;
		*xp = s->v.rw.sport;
	}
}

void
cconn_init(struct cconn *k, uint32_t c, uint16_t cp, uint32_t sv, uint16_t sp)
{
	memset(k, 0, sizeof(*k));
	k->c = c;
	k->cp = cp;
	k->s = sv;
	k->sp = sp;
	k->xa = c;
	k->xp = cp;
	k->cseq = 1000;
	k->sseq = 700000;
}

static uint32_t
advance(uint32_t *seq, uint8_t flags, uint32_t len)
{
	uint32_t at = *seq;

	*seq += len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	return at;
}

enum verdict_action
cc_out(struct csim *s, struct cconn *k, uint8_t flags, uint32_t len)
{
	uint32_t ack = (flags & TH_ACK) ? k->sseq : 0;
	uint32_t seq = advance(&k->cseq, flags, len);

	return csim_tcp(s, k->c, k->cp, k->s, k->sp, flags, seq, ack, len);
}

enum verdict_action
cc_in(struct csim *s, struct cconn *k, uint8_t flags, uint32_t len)
{
	uint32_t ack = (flags & TH_ACK) ? k->cseq : 0;
	uint32_t seq = advance(&k->sseq, flags, len);

	return csim_tcp(s, k->s, k->sp, k->xa, k->xp, flags, seq, ack, len);
}

bool
cc_open(struct csim *s, struct cconn *k)
{
	bool ok = cc_out(s, k, TH_SYN, 0) == V_ACCEPT;

	csim_xsrc(s, k->c, k->cp, &k->xa, &k->xp);
	ok &= cc_in(s, k, TH_SYN | TH_ACK, 0) == V_ACCEPT;
	ok &= cc_out(s, k, TH_ACK, 0) == V_ACCEPT;
	ok &= cc_out(s, k, TH_ACK | TH_PSH, 100) == V_ACCEPT;
	ok &= cc_in(s, k, TH_ACK | TH_PSH, 100) == V_ACCEPT;
	ok &= cc_out(s, k, TH_ACK, 0) == V_ACCEPT;	/* nothing left unacknowledged */
	return ok;
}
