/* mkcap_tcp.c -- mkcap's TCP scenarios: request/response, mid-stream starts, simultaneous
 * open, RSTs, IPv6 extension headers, timer gaps, idle waits, compare's shadow corners. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mkcap.h"


/* Three flows: request/response with a normal close, the seed's
 * half-close (client FIN, server streams 3 s, then closes), and IPv6. */
void
sc_basic(void)
{
	struct conn k;
	uint64_t t;
	int i;

	conn_init(&k, 4, 2, 40001, 2, 80, 1000, 5000);
	t = 100 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 120);
	tcp(&k, t += 5 * MS, 1, PSH | ACK, 1400);
	tcp(&k, t += 1 * MS, 1, PSH | ACK, 800);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 10 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	conn_init(&k, 4, 2, 40002, 2, 5001, 7000, 9000);
	t = 300 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 64);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	for (i = 0; i < 30; i++) {
		tcp(&k, t += 100 * MS, 1, PSH | ACK, 500);
		tcp(&k, t += 1 * MS, 0, ACK, 0);
	}
	tcp(&k, t += 10 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	conn_init(&k, 6, 2, 40003, 2, 443, 11000, 13000);
	t = 500 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 200);
	tcp(&k, t += 3 * MS, 1, PSH | ACK, 1200);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 50 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);

	other_protocols(200 * MS);
}

/* The capture starts in the middle of two conversations. */
void
sc_midstream(void)
{
	struct conn k;
	uint64_t t = 0;
	int i;

	conn_init(&k, 4, 3, 41000, 3, 22, 0x10000000, 0x20000000);
	for (i = 0; i < 5; i++) {
		tcp(&k, t += 200 * MS, 0, PSH | ACK, 48);
		tcp(&k, t += 2 * MS, 1, PSH | ACK, 96);
	}
	tcp(&k, t += 1 * NS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	/* first seen from the server's side */
	conn_init(&k, 4, 4, 41001, 3, 443, 0x30000000, 0x40000000);
	t = 50 * MS;
	for (i = 0; i < 4; i++) {
		tcp(&k, t += 300 * MS, 1, PSH | ACK, 1000);
		tcp(&k, t += 1 * MS, 0, ACK, 0);
	}
}

/* Simultaneous open (RFC 793 figure 8), then a simultaneous close. */
void
sc_simultaneous(void)
{
	struct conn k;
	uint64_t t = 0;

	conn_init(&k, 4, 5, 42000, 5, 42001, 100, 200);
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 1 * MS, 1, SYN, 0);
	/* each answers the other's SYN with SYN-ACK (same ISN again) */
	k.seq[0]--, k.seq[1]--;
	k.ack[0] = k.seq[1] + 1;
	k.ack[1] = k.seq[0] + 1;
	tcp(&k, t += 1 * MS, 0, SYN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, SYN | ACK, 0);
	k.ack[0] = k.seq[1];
	k.ack[1] = k.seq[0];
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 1, PSH | ACK, 100);
	/* both FINs cross on the wire */
	tcp(&k, t += 500 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 10 * US, 1, FIN | ACK, 0);
	k.ack[0] = k.seq[1];
	k.ack[1] = k.seq[0];
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 10 * US, 1, ACK, 0);
}

/* A RST in every state, one flow each (ports 43001...). */
void
sc_rst(void)
{
	struct conn k;
	uint64_t t;
	uint16_t p = 43000;

	/* SYN_SENT: the client gives up and resets */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 0;
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 1 * NS, 0, RST, 0);
	/* SYN_SENT: refused by the server (REJ) */
	conn_init(&k, 4, 6, ++p, 6, 81, 1, 2);
	t = 100 * MS;
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	/* SYN_RECV: the client resets the SYN-ACK */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 200 * MS;
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 1 * MS, 1, SYN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, RST, 0);
	/* ESTABLISHED: the originator resets */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 300 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 10);
	tcp(&k, t += 1 * MS, 0, RST | ACK, 0);
	/* ESTABLISHED: the responder resets, then a stray ACK 500 ms later */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 400 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 10);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	tcp(&k, t += 500 * MS, 0, ACK, 0);
	/* FIN_WAIT: client FIN, server resets */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 500 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	/* CLOSE_WAIT: client FIN acked, then the server resets */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 600 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	/* LAST_ACK: both FINs, then a RST instead of the last ACK */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 700 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, RST, 0);
	/* TIME_WAIT: a full close, then a late RST */
	conn_init(&k, 4, 6, ++p, 6, 80, 1, 2);
	t = 800 * MS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 200 * MS, 1, RST, 0);
	/* a RST of no flow at all */
	conn_init(&k, 4, 7, 9, 7, 9, 1, 2);
	tcp(&k, 900 * MS, 1, RST | ACK, 0);
}

/* IPv6 with extension headers, and a fragmented segment. */
void
sc_ipv6ext(void)
{
	struct conn k;
	uint8_t b[MAXFRAME + 128];
	uint64_t t = 0;
	size_t n;

	conn_init(&k, 6, 8, 44001, 8, 80, 500, 900);
	k.ext = 1;
	handshake(&k, &t, 2 * MS);
	k.ext = 2;
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 300);
	k.ext = 0;
	/* a segment sent as two fragments: the first carries the TCP
	 * header, the second only payload (skipped as a fragment) */
	n = segment(b, &k, 1, PSH | ACK, 1000, k.seq[1], k.ack[1], true, 1000);
	emit(t += 2 * MS, b, n);
	{
		size_t l = link_hdr(b, 1, 0x86dd, 0);

		memset(b + l, 0, 48 + 200);
		b[l] = 0x60;
		put16(b + l + 4, 8 + 200);
		b[l + 6] = 44;
		b[l + 7] = 64;
		memcpy(b + l + 8, k.s.a, 16);
		memcpy(b + l + 24, k.c.a, 16);
		b[l + 40] = 6;
		put16(b + l + 42, (uint16_t)(1000 / 8) << 3);	/* offset, no M */
		put32(b + l + 44, k.seq[1]);
		emit(t += 10 * US, b, l + 48 + 200);
	}
	k.seq[1] += 1000;
	k.ack[0] = k.seq[1];
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	k.ext = 1;
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
}

/* Known waits in every timer phase, each at least a second, so suggest
 * has something to find everywhere:
 *   opening 3.2 s (a slow SYN-ACK), established 7.5 s, half-closed 4.2 s,
 *   closing (LAST_ACK) 2.7 s, TIME_WAIT 1.5 s (a retransmitted FIN), after
 *   a RST 1.3 s; and SYN retransmissions (1 s and 3 s, answered at 3.1 s),
 *   which restart an expired flow and so need no timer of their own. */
void
sc_gaps(void)
{
	struct conn k;
	uint64_t t = 0;

	conn_init(&k, 4, 9, 45001, 9, 80, 100, 200);
	tcp(&k, t, 0, SYN, 0);
	tcp(&k, t += 3200 * MS, 1, SYN | ACK, 0);		/* 3.2 s */
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 7500 * MS, 1, PSH | ACK, 100);		/* idle 7.5 s */
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);			/* half-closed */
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	tcp(&k, t += 4200 * MS, 1, PSH | ACK, 100);		/* 4.2 s later */
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);			/* LAST_ACK */
	tcp(&k, t += 2700 * MS, 0, ACK, 0);			/* 2.7 s later */
	tcp_again(&k, t += 1500 * MS, 1, FIN | ACK, 0);	/* in TIME_WAIT */
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	conn_init(&k, 4, 9, 45002, 9, 80, 100, 200);
	t = 1 * NS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 10);
	tcp(&k, t += 1 * MS, 1, RST | ACK, 0);
	tcp(&k, t += 1300 * MS, 0, PSH | ACK, 10);		/* 1.3 s after RST */

	/* a short clean flow: small waits only */
	conn_init(&k, 6, 9, 45003, 9, 80, 100, 200);
	t = 2 * NS;
	handshake(&k, &t, 20 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 10);
	tcp(&k, t += 10 * MS, 1, PSH | ACK, 10);
	tcp(&k, t += 100 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	/* SYN, retransmitted at 1 s and 3 s (Linux's RTO doubling), answered
	 * at 3.1 s: 3.1 s since the first SYN, yet any opening timeout up to
	 * 3 s passes too (the retransmission finds the flow gone and starts
	 * it again) */
	conn_init(&k, 4, 9, 45004, 9, 80, 100, 200);
	t = 3 * NS;
	tcp(&k, t, 0, SYN, 0);
	tcp_again(&k, t + 1 * NS, 0, SYN, 0);
	tcp_again(&k, t + 3 * NS, 0, SYN, 0);
	tcp(&k, t + 3100 * MS, 1, SYN | ACK, 0);
	tcp(&k, t + 3101 * MS, 0, ACK, 0);
	tcp(&k, t + 3102 * MS, 0, FIN | ACK, 0);
	tcp(&k, t + 3103 * MS, 1, FIN | ACK, 0);
	tcp(&k, t + 3104 * MS, 0, ACK, 0);
}

/* What vendor profiles disagree on: a 6.5-minute idle gap, an idle
 * 2.5-minute half-closed wait, a SYN reusing a port still in TIME_WAIT. */
void
sc_idle(void)
{
	struct conn k;
	uint64_t t = 0;

	conn_init(&k, 4, 10, 46001, 10, 443, 100, 200);
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 2 * MS, 1, PSH | ACK, 300);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 390 * NS, 0, PSH | ACK, 100);		/* after 6.5 min */
	tcp(&k, t += 2 * MS, 1, PSH | ACK, 300);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	conn_init(&k, 4, 10, 46002, 10, 80, 100, 200);
	t = 10 * NS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	tcp(&k, t += 150 * NS, 1, PSH | ACK, 1000);		/* 2.5 min half-closed */
	tcp(&k, t += 1 * MS, 0, ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);

	/* closes, then the same 4-tuple opens again 5 s later */
	conn_init(&k, 4, 10, 46003, 10, 80, 100, 200);
	t = 20 * NS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, ACK, 0);
	conn_init(&k, 4, 10, 46003, 10, 80, 300000, 400000);
	t += 5 * NS;
	handshake(&k, &t, 2 * MS);
	tcp(&k, t += 1 * MS, 0, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 1, PSH | ACK, 100);
	tcp(&k, t += 1 * MS, 0, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 1, FIN | ACK, 0);
	tcp(&k, t += 1 * MS, 0, ACK, 0);
}

/*
 * Corners of compare's shadows (report_shadow.c), each a capture of its
 * own, run with the settings tests/replay/run.sh gives them: where a
 * profile's table is full to the last slot at the tick its tombstones go.
 *
 * shadow-evict: the reference (--max-flows 1) forgets a flow whose
 * profile state had long become a tombstone and gone; a UDP frame earlier
 * in the same wheel tick as the next flow.
 */
void
sc_shadow_evict(void)
{
	struct conn k;

	conn_init(&k, 4, 20, 1000, 20, 80, 100, 200);
	tcp(&k, 0, 0, ACK, 0);
	other_protocols(10 * NS - 1 * US);		/* the UDP at 10 s */
	conn_init(&k, 4, 20, 1001, 20, 80, 100, 200);
	tcp(&k, 10 * NS + 1 * MS, 0, ACK, 0);
	tcp(&k, 10 * NS + 2 * MS, 0, ACK, 0);
}

/* shadow-lag: a profile's engine that sees no packet for 559 s while the
 * capture goes on (a shadowed flow at 1 s and 200 s), its tombstone due
 * in the tick the next flow starts in. */
void
sc_shadow_lag(void)
{
	struct conn k;
	uint64_t z = 66729ULL * (1ULL << 23) + (1ULL << 22);

	conn_init(&k, 4, 21, 1000, 21, 80, 100, 200);
	tcp(&k, 0, 0, SYN, 0);
	tcp(&k, 1 * MS, 0, 0, 0);			/* no flags: invalid */
	conn_init(&k, 4, 22, 2000, 21, 80, 500, 900);
	tcp(&k, 1 * NS, 0, ACK, 0);
	tcp(&k, 200 * NS, 0, ACK, 0);
	conn_init(&k, 4, 23, 3000, 21, 80, 700, 0);
	tcp(&k, z, 0, SYN, 0);
	tcp(&k, z + 1 * MS, 0, ACK, 0);
}

/* shadow-short: a tombstone shorter than a wheel tick, the next flow in
 * the tick after its flow's deadline. */
void
sc_shadow_short(void)
{
	struct conn k;

	conn_init(&k, 4, 24, 1000, 24, 80, 100, 200);
	tcp(&k, 0, 0, ACK, 0);
	conn_init(&k, 4, 25, 2000, 24, 80, 100, 5);
	tcp(&k, 2008 * MS, 0, SYN, 0);
	tcp(&k, 2009 * MS, 0, ACK, 0);
}

/* shadow-tail: the capture ends with an ARP frame long after the last
 * TCP packet (engines stop at the last IP packet). */
void
sc_shadow_tail(void)
{
	struct conn k;
	uint64_t t = 0;

	conn_init(&k, 4, 26, 1000, 26, 80, 100, 300);
	handshake(&k, &t, 20 * MS);
	arp_frame(100 * NS);
}
