/* fuzz_engine.c -- libFuzzer target: the engine on arbitrary packet and time
 * sequences, under profiles with window tracking, faults, a tiny table
 * that evicts, adaptive timeouts, translation (nat.outside), and a restart
 * grace period. Translated packets go through nat_rewrite() as the live
 * path does, and must still decode.
 *
 * Input: byte 0 picks the profile; then records. A record's first byte
 * says what: raw bytes as a packet; a TCP, UDP or ICMP packet built from a
 * few fields (so the fuzzer reaches deep tracker states quickly); or time
 * moving on (engine_expire). Time only moves forward, as both fronts'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "engine.h"
#include "natrw.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPROF 6
static const char *const profiles[NPROF] = {
	"tracking.window = on\nunknown.action = drop\ntable.max_flows = 8\ntable.full = evict\n"
	"timeout.established = 3s\ntimeout.unacknowledged = 1s\n",
	"fault.drop_rst_orig = 50%\nfault.drop_fin_ack = 50%\nfault.drop_first_fin = 30%\n"
	"fault.drop_second_fin = 30%\nfault.seed = 7\nexpire.action = reset\n"
	"expire.later = reset-sender\ntimeout.half_closed = 2s\ntable.max_flows = 16\n",
	"nat.outside = 203.0.113.100-203.0.113.101\nnat.inside = 198.51.100.0/24\n"
	"nat.mapping = endpoint-independent\nnat.filtering = address-dependent\n"
	"nat.hairpin = on\nnat.unsolicited = icmp\nnat.port_range = 1024-1040\n"
	"nat.port_reuse_delay = 2s\ntable.max_flows = 32\ntracking.window = on\n",
	"nat.outside = 203.0.113.100\nnat.mapping = address-and-port-dependent\n"
	"nat.ports = random\nnat.parity = on\nnat.ports_per_host = 3\nnat.rebind_every = 1s\n"
	"nat.unsolicited = reset\ntable.max_flows = 8\ntable.full = evict\n",
	"table.adaptive = 60%..120%\ntable.max_flows = 10\ntable.full = evict\ntimeout.tombstone = 1s\n"
	"half_closed.start = both_fins\nrefresh.established = orig\ntimewait.reopen = drop\n",
	"unknown.action = reset-sender\ninvalid.action = drop\nmalformed.action = drop\n"
	"icmp.errors = drop\ntracking.window = on\nrefresh.udp = orig\ntable.max_flows = 16\n",
};

static struct policy pols[NPROF];
static int ready;

static void
setup(void)
{
	struct policy_errors errs;

	for (int i = 0; i < NPROF; i++) {
		memset(&errs, 0, sizeof(errs));
		if (policy_parse(&pols[i], "fuzz", profiles[i], strlen(profiles[i]), NULL,
		    &errs) < 0) {
			fprintf(stderr, "fuzz_engine: profile %d: %s\n", i, errs.msg[0]);
			abort();
		}
	}
	ready = 1;
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Hosts: two inside, two outside, and the pool's first address. */
static const uint8_t hosts[8][4] = {
	{ 198, 51, 100, 2 }, { 198, 51, 100, 3 }, { 203, 0, 113, 2 }, { 203, 0, 113, 3 },
	{ 203, 0, 113, 100 }, { 203, 0, 113, 101 }, { 198, 51, 100, 2 }, { 192, 0, 2, 1 },
};

/* A packet from 12 bytes of fields: kind, hosts, ports, flags, seq, ack. */
static size_t
build(uint8_t *b, const uint8_t *f, unsigned kind)
{
	static const uint8_t protos[3] = { 6, 17, 1 };
	size_t l4 = kind == 0 ? 20 : 8, len;
	uint8_t *t = b + 20;

	memset(b, 0, 60);
	b[0] = 0x45;
	b[8] = 64;
	b[9] = protos[kind];
	memcpy(b + 12, hosts[f[0] & 7], 4);
	memcpy(b + 16, hosts[f[0] >> 3 & 7], 4);
	put16(t, 40000 + (f[1] & 3));
	put16(t + 2, 80 + (f[1] >> 2 & 3));
	if ((f[1] & 0x80) != 0) {	/* swap the ports: the other direction */
		unsigned a = (unsigned)t[0] << 8 | t[1], c = (unsigned)t[2] << 8 | t[3];

		put16(t, c);
		put16(t + 2, a);
	}
	len = f[2] & 0x3f;
	if (kind == 0) {
		/* both directions' sequence spaces near one base: acks can match */
		put32(t + 4, 1000000u + ((uint32_t)f[3] << 8 | f[4]));
		put32(t + 8, 1000000u + ((uint32_t)f[5] << 8 | f[6]));
		t[12] = 5 << 4;
		t[13] = f[7];
		put16(t + 14, (unsigned)f[8] << 8);
	} else if (kind == 1) {
		put16(t + 4, (unsigned)(8 + len));
	} else {
		t[0] = f[3] & 1 ? 0 : 8;	/* echo reply or request */
		t[1] = 0;
		put16(t + 4, f[4]);
	}
	put16(b + 2, (unsigned)(20 + l4 + len));
	memset(t + l4, 0xab, len);
	return 20 + l4 + len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t seed[2] = { 1, 2 };
	struct engine_ops ops = { NULL, NULL, NULL };
	uint8_t pkt[1600];
	struct engine *e;
	struct verdict v;
	struct nb_packet dp;
	uint64_t now = 1000000000ULL;
	size_t i = 1, n;
	const struct policy *pol;

	if (!ready)
		setup();
	if (size < 1)
		return 0;
	pol = &pols[data[0] % NPROF];
	e = engine_new(pol, &ops, seed, now);
	if (e == NULL)
		abort();
	if (data[0] & 0x80)
		engine_set_grace(e, now + 2000000000ULL);
	while (i < size) {
		uint8_t op = data[i++];

		switch (op & 3) {
		case 0:		/* raw bytes */
			n = (size_t)(op >> 2) * 4;
			if (n > size - i)
				n = size - i;
			memcpy(pkt, data + i, n);
			i += n;
			break;
		case 1:		/* a built packet */
			if (size - i < 9)
				goto out;
			n = build(pkt, data + i, (op >> 2) % 3);
			i += 9;
			break;
		default:	/* time moves on: ms, or up to ~4 min */
			now += (op & 1) ? (uint64_t)(op >> 2) * 4000000000ULL :
			    (uint64_t)(op >> 2) * 1000000ULL;
			(void)engine_expire(e, now, (unsigned)(op >> 4) * 16 + 1);
			continue;
		}
		(void)engine_process(e, pkt, n, now, &v);
		if (v.action == V_ACCEPT && v.rw.set) {
			if (nat_rewrite(pkt, n, &v.rw, op & 0x40) == NATRW_OK &&
			    decode_packet(pkt, n, &dp) != DEC_OK)
				abort();	/* a rewrite keeps a packet decodable */
		}
	}
out:
	engine_flush(e, now);
	engine_free(e);
	return 0;
}

