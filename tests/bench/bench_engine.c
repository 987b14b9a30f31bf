/* bench_engine.c -- engine_process on synthetic traffic with a million live flows; prints figures. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "nat.h"
#include "natrw.h"
#include "policy.h"

/* Synthetic packets only: nothing is sent anywhere. Addresses are from
 * the documentation prefixes anyway (RFC 5737). */
#define NFLOWS_DEFAULT	1000000u
#define CHUNK		65536u

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Flow i: client 198.51.100.(i & 255):(1024 + i >> 8) -> 203.0.113.7:443 */
static void
mk(uint8_t *b, uint32_t i, int from_client, uint8_t flags, uint32_t seq,
    uint32_t ack, uint16_t len)
{
	uint8_t c[4] = { 198, 51, 100, (uint8_t)i }, s[4] = { 203, 0, 113, 7 };
	uint16_t cport = (uint16_t)(1024 + (i >> 8));

	memset(b, 0, 52);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(52 + len));
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, from_client ? c : s, 4);
	memcpy(b + 16, from_client ? s : c, 4);
	put16(b + 20, from_client ? cport : 443);
	put16(b + 22, from_client ? 443 : cport);
	put32(b + 24, seq);
	put32(b + 28, ack);
	b[32] = 8 << 4;		/* 32-byte header: timestamps, as Linux sends */
	b[33] = flags;
	put16(b + 34, 502);
	b[40] = 1, b[41] = 1, b[42] = 8, b[43] = 10;
	put32(b + 44, 12345), put32(b + 48, 54321);
}

/* The same flow as UDP: 203.0.113.7:443 as a QUIC server would be. The
 * UDP length covers the payload a header-only copy leaves out. */
static void
mk_udp(uint8_t *b, uint32_t i, int from_client, uint16_t len)
{
	uint8_t c[4] = { 198, 51, 100, (uint8_t)i }, s[4] = { 203, 0, 113, 7 };
	uint16_t cport = (uint16_t)(1024 + (i >> 8));

	memset(b, 0, 52);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(28 + len));
	b[8] = 64;
	b[9] = 17;
	memcpy(b + 12, from_client ? c : s, 4);
	memcpy(b + 16, from_client ? s : c, 4);
	put16(b + 20, from_client ? cport : 443);
	put16(b + 22, from_client ? 443 : cport);
	put16(b + 24, (uint16_t)(8 + len));
}

struct fl {
	uint32_t cseq, sseq;
	uint32_t xaddr;		/* translated: the flow's outside address and port */
	uint16_t xport;
};

/* Translation: the server's packets go to the client's outside address
 * and port, as a NAT's outside sees them. */
static void
to_outside(uint8_t *b, const struct fl *f)
{
	put32(b + 16, f->xaddr);
	put16(b + 22, f->xport);
}

static void
note_outside(const struct verdict *v, struct fl *f)
{
	if (v->rw.set & NRW_SRC) {
		f->xaddr = v->rw.src;
		f->xport = v->rw.sport;
	}
}

/* The front's part of a verdict: the rewrite, in place. */
static inline void
apply(uint8_t *b, const struct verdict *v)
{
	if (v->rw.set)
		(void)nat_rewrite(b, 52, &v->rw, false);
}

/* Every flow opened: the UDP datagram and its answer, or the TCP
 * handshake. Returns new-flow packets per microsecond; drops counted. */
static double
open_flows(struct engine *e, struct fl *fl, uint32_t nflows, bool udp, bool nat,
    uint64_t now, uint64_t *drops)
{
	uint8_t b[64];
	struct verdict v;
	uint64_t t0 = mono_ns(), t1;

	for (uint32_t i = 0; i < nflows && udp; i++) {
		/* a UDP flow: the client's datagram and the answer */
		mk_udp(b, i, 1, 1200);
		engine_process(e, b, 52, now, &v);
		note_outside(&v, &fl[i]);
		apply(b, &v);
		mk_udp(b, i, 0, 1200);
		if (nat)
			to_outside(b, &fl[i]);
		*drops += engine_process(e, b, 52, now, &v) != V_ACCEPT;
		apply(b, &v);
	}
	for (uint32_t i = 0; i < nflows && !udp; i++) {
		fl[i].cseq = i * 7919u;
		fl[i].sseq = i * 104729u;
		mk(b, i, 1, TH_SYN, fl[i].cseq++, 0, 0);
		engine_process(e, b, 52, now, &v);
		note_outside(&v, &fl[i]);
		apply(b, &v);
		mk(b, i, 0, TH_SYN | TH_ACK, fl[i].sseq++, fl[i].cseq, 0);
		if (nat)
			to_outside(b, &fl[i]);
		engine_process(e, b, 52, now, &v);
		apply(b, &v);
		mk(b, i, 1, TH_ACK, fl[i].cseq, fl[i].sseq, 0);
		*drops += engine_process(e, b, 52, now, &v) != V_ACCEPT;
		apply(b, &v);
	}
	t1 = mono_ns();
	return (udp ? 2.0 : 3.0) * nflows / ((double)(t1 - t0) / 1e3);
}

/* One chunk of established traffic: random flow, random direction,
 * 1400-byte segments described by a header-only copy (as NFQUEUE gives). */
static void
fill_chunk(uint8_t (*ring)[64], struct fl *fl, uint32_t nflows, bool udp, bool nat,
    uint64_t *x)
{
	for (unsigned j = 0; j < CHUNK; j++) {
		uint32_t i;

		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		i = (uint32_t)(*x % nflows);
		if (udp) {
			mk_udp(ring[j], i, (int)(*x >> 63), 1400);
		} else if (*x >> 63) {
			mk(ring[j], i, 1, TH_ACK | TH_PSH, fl[i].cseq, fl[i].sseq, 1400);
			fl[i].cseq += 1400;
		} else {
			mk(ring[j], i, 0, TH_ACK | TH_PSH, fl[i].sseq, fl[i].cseq, 1400);
			fl[i].sseq += 1400;
		}
		if (nat && !(*x >> 63))
			to_outside(ring[j], &fl[i]);
	}
}

/* One chunk handed over in bursts of `burst` (1 = engine_process()).
 * Returns the time it took, ns. */
static uint64_t
run_chunk(struct engine *e, uint8_t (*ring)[64], unsigned burst, uint64_t now,
    uint64_t *drops)
{
	struct engine_pkt pk[64];
	struct verdict vv[64], v;
	uint64_t t0 = mono_ns();

	for (unsigned j = 0; j < 64; j++)
		pk[j].caplen = 52;
	if (burst == 1) {
		for (unsigned j = 0; j < CHUNK; j++) {
			*drops += engine_process(e, ring[j], 52, now, &v) != V_ACCEPT;
			apply(ring[j], &v);
		}
		return mono_ns() - t0;
	}
	for (unsigned j = 0; j < CHUNK; j += burst) {
		for (unsigned q = 0; q < burst; q++)
			pk[q].buf = ring[j + q];
		engine_process_burst(e, pk, burst, now, vv);
		for (unsigned q = 0; q < burst; q++) {
			*drops += vv[q].action != V_ACCEPT;
			apply(ring[j + q], &vv[q]);
		}
	}
	return mono_ns() - t0;
}

static double
run(const char *label, const struct policy *pol, uint32_t nflows, uint32_t npkts,
    unsigned burst, bool udp)
{
	bool nat = nat_on(&pol->nat);
	static uint8_t ring[CHUNK][64];
	uint64_t seed[2] = { 0x1234, 0x5678 }, t0, t1, now = 1000000000ULL;
	struct engine *e = engine_new(pol, NULL, seed, now);
	struct fl *fl = calloc(nflows, sizeof(*fl));
	uint64_t drops = 0, x = 88172645463325252ULL, elapsed = 0;
	double mpps_new, mpps_est;

	if (e == NULL || fl == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	mpps_new = open_flows(e, fl, nflows, udp, nat, now, &drops);

	/* Established traffic, generated a chunk at a time outside the timed
	 * part (like a NIC ring filled before the burst is read). */
	for (uint32_t k = 0; k < npkts; k += CHUNK) {
		fill_chunk(ring, fl, nflows, udp, nat, &x);
		elapsed += run_chunk(e, ring, burst, now + k, &drops);
	}
	mpps_est = npkts / ((double)elapsed / 1e3);

	printf("%-30s flows=%u  bytes/flow=%.1f  new-flow packets: %.2f Mpps  "
	    "established: %.2f Mpps (%.1f ns/pkt, burst %u)  drops=%llu\n",
	    label, engine_flow_count(e), (double)engine_memory(e) / nflows,
	    mpps_new, mpps_est, 1e3 / mpps_est, burst, (unsigned long long)drops);

	/* Expiry: every flow times out at once; reap them all. */
	t0 = mono_ns();
	while (engine_expire(e, now + 7ULL * 86400 * 1000000000ULL, 1u << 20) > 0)
		;
	t1 = mono_ns();
	printf("%-30s expired %u flows in %.1f ms (%.1f ns/flow), %u left\n", label,
	    nflows, (double)(t1 - t0) / 1e6, (double)(t1 - t0) / nflows, engine_flow_count(e));
	engine_free(e);
	free(fl);
	return mpps_est;
}

int
main(int argc, char **argv)
{
	uint32_t nflows = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : NFLOWS_DEFAULT;
	uint32_t npkts = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 20000000u;
	struct policy pol;

	if (nflows == 0 || npkts == 0) {
		fprintf(stderr, "usage: bench_engine [FLOWS [PACKETS]]\n");
		return 2;
	}
	npkts = (npkts + CHUNK - 1) / CHUNK * CHUNK;
	policy_defaults(&pol);
	pol.max_flows = nflows;
	printf("bench_engine: %u flows, %u established packets, one core\n", nflows, npkts);
	run("1M flows, one by one", &pol, nflows, npkts, 1, false);
	run("1M flows, bursts of 32", &pol, nflows, npkts, 32, false);
	run("1M flows, bursts of 64", &pol, nflows, npkts, 64, false);
	pol.window_tracking = true;
	run("1M flows, window tracking, 32", &pol, nflows, npkts, 32, false);
	pol.window_tracking = false;
	run("1M UDP flows, one by one", &pol, nflows, npkts, 1, true);
	run("1M UDP flows, bursts of 32", &pol, nflows, npkts, 32, true);
	pol.max_flows = 10000;
	run("10k flows, one by one", &pol, 10000, npkts, 1, false);
	run("10k flows, bursts of 32", &pol, 10000, npkts, 32, false);
	run("10k UDP flows, bursts of 32", &pol, 10000, npkts, 32, true);

	/* Translation: the same flows through a NAT (EIM, APDF, ports
	 * preserved where free), the client's side translated, the server
	 * answering the outside address; each verdict's rewrite applied. */
	struct policy_errors errs;

	if (policy_set(&pol, "bench", "nat.outside = 203.0.113.64-203.0.113.127", &errs) != 0) {
		fprintf(stderr, "bench: %s\n", errs.msg[0]);
		return 1;
	}
	pol.max_flows = 10000;
	run("10k flows, NAT, bursts of 32", &pol, 10000, npkts, 32, false);
	pol.max_flows = nflows;
	run("1M flows, NAT, bursts of 32", &pol, nflows, npkts, 32, false);
	run("1M UDP flows, NAT, bursts of 32", &pol, nflows, npkts, 32, true);
	pol.nat.mapping = NAT_APD;
	pol.nat.ports = NATP_RANDOM;
	run("1M UDP flows, symmetric NAT, 32", &pol, nflows, npkts, 32, true);
	return 0;
}
