/* fuzz_zconn.c -- libFuzzer target: the model of Zeek's connections
 * (zconn) on arbitrary packet and time sequences: every decodable packet
 * goes in, as the offline path feeds it, and every connection's labels
 * (conn_state, history, byte counts) are read back out.
 *
 * Input: records. A record's first byte says what: raw bytes as a packet;
 * a TCP, UDP or ICMP packet built from a few fields (two hosts, two
 * ports, flags, sequence numbers near one base, so connections go deep:
 * handshakes, FINs, RSTs, gaps, retransmissions, flips); or time moving
 * on, or back (a capture merged from two interfaces: the model takes a
 * time that goes back as it comes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "zconn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static const uint8_t hosts[2][4] = { { 198, 51, 100, 2 }, { 203, 0, 113, 2 } };

/* A packet from 9 bytes of fields: direction and ports, length, seq,
 * ack, flags, window. */
static size_t
build(uint8_t *b, const uint8_t *f, unsigned kind)
{
	static const uint8_t protos[3] = { 6, 17, 1 };
	size_t l4 = kind == 0 ? 20 : 8, len = f[1] & 0x3f;
	uint8_t *t = b + 20;
	unsigned d = f[0] & 1;

	memset(b, 0, 60);
	b[0] = 0x45;
	b[8] = 64;
	b[9] = protos[kind];
	memcpy(b + 12, hosts[d], 4);
	memcpy(b + 16, hosts[!d], 4);
	put16(t, d ? 443 : 40000 + (f[0] >> 1 & 1));
	put16(t + 2, d ? 40000 + (f[0] >> 1 & 1) : 443);
	if (kind == 0) {
		put32(t + 4, 1000000u + ((uint32_t)f[2] << 8 | f[3]));
		put32(t + 8, 1000000u + ((uint32_t)f[4] << 8 | f[5]));
		t[12] = 5 << 4;
		t[13] = f[6];
		put16(t + 14, (unsigned)f[7] << 8);
	} else if (kind == 1) {
		put16(t + 4, (unsigned)(8 + len));
	} else {
		t[0] = f[2] & 1 ? 0 : 8;	/* echo reply or request */
		put16(t + 4, f[3]);
	}
	put16(b + 2, (unsigned)(20 + l4 + len));
	memset(t + l4, 0xab, len);
	return 20 + l4 + len;
}

/* Every connection's labels, read as the reports read them. */
static void
read_back(const struct zconn *z)
{
	char hist[ZC_HIST_MAX + 1];

	for (uint32_t i = 0; i < zconn_count(z); i++) {
		const struct zc_conn *c = zconn_get(z, i);

		if (c == NULL)
			abort();
		if (zconn_state(c) == NULL)
			abort();
		zconn_history(c, hist);
		if (strlen(hist) > ZC_HIST_MAX)
			abort();
		(void)zconn_bytes(c, true);
		(void)zconn_bytes(c, false);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pkt[1600];
	struct nb_packet p;
	struct zconn *z = zconn_new(4);
	uint64_t now = 1000000000ULL;
	size_t i = 0, n;

	if (z == NULL)
		abort();
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
			if (size - i < 8)
				goto out;
			n = build(pkt, data + i, (op >> 2) % 3);
			i += 8;
			break;
		case 2:		/* time moves on: ms, or up to ~4 min */
			now += (op & 0x80) ? (uint64_t)(op >> 2 & 0x1f) * 8000000000ULL :
			    (uint64_t)(op >> 2) * 1000000ULL;
			continue;
		default:	/* ... or back a little (merged captures) */
			now -= (uint64_t)(op >> 2) * 1000000ULL;
			continue;
		}
		if (decode_packet(pkt, n, &p) == DEC_OK)
			(void)zconn_packet(z, &p, pkt, n, now);
	}
out:
	read_back(z);
	zconn_free(z);
	return 0;
}
