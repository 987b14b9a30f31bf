/* kdgramgen.c -- crafted datagram flows for the kernel differential test (s20): generate, send through the lab, judge. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kdgramgen.h"

/*
 * kdgramgen gen SEED FLOWS       flows as a packet list on stdout
 * kdgramgen send LIST LOG CLIENT_NS SERVER_NS [STAGGER_MS [WAIT_MS]]
 *                                send them on their schedule, flow i from
 *                                client address i (its owner adds them),
 *                                flow i starting STAGGER_MS * i in; LOG
 *                                gets the times
 * kdgramgen judge LIST LOG EVENTS CT NFLOG [SHOW [TOL_MS]]
 *                                natbox's events and INVALID marks against
 *                                the kernel's conntrack -E and NFLOG, per
 *                                flow: NEW / ASSURED / DESTROY sequences,
 *                                INVALID sets, and the last DESTROY's
 *                                time after the last packet (within TOL_MS)
 */

static uint64_t
now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Flow i's client address. */
static void
kd_client_addr(int family, unsigned i, uint8_t *a)
{
	if (family == 4) {
		inet_pton(AF_INET, "198.51.100.0", a);
		a[3] = (uint8_t)(20 + i);
	} else {
		inet_pton(AF_INET6, "2001:db8:1::", a);
		a[14] = (uint8_t)((0x1000 + i) >> 8);
		a[15] = (uint8_t)(0x1000 + i);
	}
}

/* The flow an address belongs to, or -1. */
static int
kd_flow_of(const uint8_t *a, int family)
{
	uint8_t c[16];

	if (family == 4) {
		kd_client_addr(4, 0, c);
		if (memcmp(a, c, 3) != 0 || a[3] < 20 || a[3] - 20u >= KD_MAX_FLOWS)
			return -1;
		return a[3] - 20;
	}
	kd_client_addr(6, 0, c);
	if (memcmp(a, c, 14) != 0)
		return -1;
	unsigned v = (unsigned)(a[14] << 8 | a[15]);

	return v >= 0x1000 && v - 0x1000 < KD_MAX_FLOWS ? (int)(v - 0x1000) : -1;
}

static void
put16(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

static uint16_t
csum(const uint8_t *b, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)(b[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
crc32c(const uint8_t *b, size_t n)
{
	uint32_t c = 0xffffffff;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
	}
	return ~c;
}

static unsigned
kd_proto(const struct kdflow *f, const struct kdpkt *p)
{
	switch (p->what) {
	case 'u': return 17;
	case 'i': case 'e': return f->family == 6 ? 58 : 1;
	case 'g': return 47;
	case 'x': return 50;
	case 's': return 132;
	default: return p->a & 0xff;
	}
}

/* An ICMP error's quoted packet: the client's UDP datagram to the server
 * (from port 20000+i, or 30000+i, a tuple nobody opened). */
static size_t
kd_quote(uint8_t *b, int family, unsigned i, int live)
{
	uint8_t c[16], s[16];
	size_t hl = family == 6 ? 40 : 20;

	kd_client_addr(family, i, c);
	memset(b, 0, hl + 8);
	if (family == 6) {
		inet_pton(AF_INET6, KD_SERVER6, s);
		b[0] = 0x60;
		put16(b + 4, 24);
		b[6] = 17, b[7] = 64;
		memcpy(b + 8, c, 16);
		memcpy(b + 24, s, 16);
	} else {
		inet_pton(AF_INET, KD_SERVER4, s);
		b[0] = 0x45;
		put16(b + 2, 44);
		b[8] = 64, b[9] = 17;
		memcpy(b + 12, c, 4);
		memcpy(b + 16, s, 4);
		put16(b + 10, csum(b, 20));
	}
	put16(b + hl, (live ? 20000 : 30000) + i);
	put16(b + hl + 2, KD_SERVER_PORT);
	put16(b + hl + 4, 24);
	return hl + 8;
}

#define KD_PKT_MAX	(64 * (KD_MAX_PKTS + 1))

/* Packet k of flow i, from the transport header on; returns its length. */
static size_t
kd_build(uint8_t *b, const struct kdflow *f, unsigned i, unsigned k)
{
	const struct kdpkt *p = &f->pkts[k];
	uint16_t cp = (uint16_t)(20000 + i), sp = KD_SERVER_PORT;
	size_t n = 0;

	memset(b, 0, KD_PKT_MAX);
	switch (p->what) {
	case 'u':
		put16(b, p->dir ? sp : cp);
		put16(b + 2, p->dir ? cp : sp);
		put16(b + 4, 8 + 16);
		n = 24;		/* v4: checksum 0 (none); v6: the kernel's (IPV6_CHECKSUM) */
		break;
	case 'i':
		b[0] = (uint8_t)p->a;
		put16(b + 4, p->b);
		put16(b + 6, k + 1);
		n = 8 + 16;
		break;
	case 'e':
		b[0] = f->family == 6 ? 1 : 3;
		b[1] = f->family == 6 ? 4 : 3;
		n = 8 + kd_quote(b + 8, f->family, i, p->a != 0);
		break;
	case 'g':
		put16(b + 2, 0x0800);
		n = 4 + 20;
		break;
	case 'x':
		put32(b, p->a);
		put32(b + 4, k + 1);
		n = 8 + 16;
		break;
	case 's':
		put16(b, p->dir ? sp : cp);
		put16(b + 2, p->dir ? cp : sp);
		put32(b + 4, p->b);
		b[12] = (uint8_t)p->a;
		if (p->a == 1 || p->a == 2) {	/* INIT, INIT_ACK: initiate tag, rwnd, streams, TSN */
			put16(b + 14, 20);
			put32(b + 16, p->a == 1 ? 2000 + i : 1000 + i);
			put32(b + 20, 65535);
			put16(b + 24, 1), put16(b + 26, 1);
			put32(b + 28, 1);
			n = 32;
		} else {
			put16(b + 14, 8);
			n = 20;
		}
		break;
	default:
		n = 20;
		break;
	}
	/* packet k is 64 * k bytes longer than its kind's own (< 64): its
	 * NFLOG copy says which it was */
	n += 64 * k;
	if (p->what == 'u') {
		/* the malformed ones: the kernel's udp_error() */
		put16(b + 4, (uint32_t)(p->a == 1 ? n + 8 : p->a == 2 ? 4 : n));
		if (p->a == 3 && f->family == 4)
			put16(b + 6, 0x1234);
		if (p->a == 4)
			n = 4;
	}
	if (p->what == 's') {
		uint32_t c;

		put16(b + 14, (uint32_t)(n - 12));
		c = crc32c(b, n);
		b[8] = (uint8_t)c, b[9] = (uint8_t)(c >> 8), b[10] = (uint8_t)(c >> 16),
		b[11] = (uint8_t)(c >> 24);
	}
	if (f->family == 4 && (p->what == 'i' || p->what == 'e'))
		put16(b + 2, csum(b, n));
	return n;
}

#include "kdgramsend.h"
#include "kdgramjudge.h"

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "gen") == 0)
		return kd_gen((uint64_t)strtoull(argv[2], NULL, 10), (unsigned)atoi(argv[3]));
	if (argc >= 6 && strcmp(argv[1], "send") == 0)
		return kd_send(argv[2], argv[3], argv[4], argv[5], argc > 6 ? atoi(argv[6]) : 150,
		    argc > 7 ? atoi(argv[7]) : 100);
	if (argc >= 7 && strcmp(argv[1], "judge") == 0)
		return kd_judge(argv[2], argv[3], argv[4], argv[5], argv[6],
		    argc > 7 ? atoi(argv[7]) : 5, argc > 8 ? atoi(argv[8]) : 1000);
	fprintf(stderr, "usage: kdgramgen gen SEED FLOWS | send LIST LOG CLIENT_NS SERVER_NS "
	    "[STAGGER_MS [WAIT_MS]] | judge LIST LOG EVENTS CT NFLOG [SHOW [TOL_MS]]\n");
	return 2;
}
