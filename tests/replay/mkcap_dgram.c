/* mkcap_dgram.c -- mkcap's datagram scenarios: UDP, ICMP, ESP (dgram), GRE (gre) and
 * peer-to-peer traffic on a NAT's inside (p2p). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mkcap.h"

/*
 * UDP, ICMP and another protocol, with waits that profiles' timers cut
 * (times in seconds):
 *  - DNS-like: a query and its answer, IPv4 (0.1) and IPv6 (0.3);
 *  - an IPsec NAT-T-like keepalive flow (udp 4500): spoken both ways at 1
 *    and 4 s (replied from then: the kernel's stream rule), then silent
 *    for 140 s, longer than Linux's 120 s stream timeout; the server
 *    speaks first after it (144), the client after the next (284);
 *  - ping (IPv4, identifier 1234): echoes each second from 2 to 5, one
 *    after 40 s (45), one answered 2.5 s late (46, 48.5); ping6 at 6-8;
 *  - a UDP datagram to a closed port at 10 and 11, each answered by an
 *    ICMP port unreachable quoting it, and one (12) quoting a datagram
 *    of no flow;
 *  - ESP (protocol 50) both ways every 10 s from 20 to 60, the server
 *    first after 50 s (110), the client after 700 s (810);
 *  - a SIP-like datagram (udp 5060) at 30, 70 and 110, never answered.
 */
void
sc_dgram(void)
{
	struct conn k, q;
	int i;

	conn_init(&k, 4, 10, 53001, 53, 53, 0, 0);
	dg(&k, 100 * MS, 0, P_UDP, 32);
	dg(&k, 120 * MS, 1, P_UDP, 120);
	conn_init(&k, 6, 10, 53002, 53, 53, 0, 0);
	dg(&k, 300 * MS, 0, P_UDP, 32);
	dg(&k, 310 * MS, 1, P_UDP, 140);

	conn_init(&k, 4, 11, 4500, 4, 4500, 0, 0);
	dg(&k, 1 * NS, 0, P_UDP, 100);
	dg(&k, 1 * NS + 50 * MS, 1, P_UDP, 100);
	dg(&k, 4 * NS, 0, P_UDP, 1);
	dg(&k, 4 * NS + 50 * MS, 1, P_UDP, 100);
	dg(&k, 144 * NS, 1, P_UDP, 100);
	dg(&k, 144 * NS + 50 * MS, 0, P_UDP, 100);
	dg(&k, 284 * NS, 0, P_UDP, 1);
	dg(&k, 284 * NS + 50 * MS, 1, P_UDP, 100);

	conn_init(&k, 4, 12, 1234, 12, 0, 0, 0);
	for (i = 2; i <= 5; i++) {
		dg(&k, (uint64_t)i * NS, 0, P_ICMP, 56);
		dg(&k, (uint64_t)i * NS + 10 * MS, 1, P_ICMP, 56);
	}
	dg(&k, 45 * NS, 0, P_ICMP, 56);
	dg(&k, 45 * NS + 10 * MS, 1, P_ICMP, 56);
	dg(&k, 46 * NS, 0, P_ICMP, 56);
	dg(&k, 48 * NS + 500 * MS, 1, P_ICMP, 56);
	conn_init(&k, 6, 12, 4321, 12, 0, 0, 0);
	for (i = 6; i <= 8; i++) {
		dg(&k, (uint64_t)i * NS, 0, P_ICMP, 56);
		dg(&k, (uint64_t)i * NS + 10 * MS, 1, P_ICMP, 56);
	}

	conn_init(&k, 4, 13, 33434, 13, 33434, 0, 0);
	dg(&k, 10 * NS, 0, P_UDP, 24);
	unreach(&k, 10 * NS + 1 * MS, P_UDP, 24);
	dg(&k, 11 * NS, 0, P_UDP, 24);
	unreach(&k, 11 * NS + 1 * MS, P_UDP, 24);
	conn_init(&q, 4, 13, 33500, 13, 33500, 0, 0);
	unreach(&q, 12 * NS, P_UDP, 24);

	conn_init(&k, 4, 14, 0, 14, 0, 0, 0);
	for (i = 20; i <= 60; i += 10) {
		dg(&k, (uint64_t)i * NS, 0, P_ESP, 120);
		dg(&k, (uint64_t)i * NS + 20 * MS, 1, P_ESP, 120);
	}
	dg(&k, 110 * NS, 1, P_ESP, 120);
	dg(&k, 110 * NS + 20 * MS, 0, P_ESP, 120);
	dg(&k, 810 * NS, 0, P_ESP, 120);
	dg(&k, 810 * NS + 20 * MS, 1, P_ESP, 120);

	conn_init(&k, 4, 15, 5060, 15, 5060, 0, 0);
	for (i = 30; i <= 110; i += 40)
		dg(&k, (uint64_t)i * NS, 0, P_UDP, 400);
}

/*
 * Peer-to-peer seen on the inside of a NAT (for NAT what-ifs: replay and
 * compare with nat.outside and nat.inside; times in seconds), the client
 * 198.51.100.10:
 *  - asks a STUN-like server 203.0.113.20:3478 from udp 40000 (0), answered;
 *  - a peer 203.0.113.30:5000 sends to that port (1), the client answers
 *    (1.01), the peer again (1.05): endpoint-independent filtering lets the
 *    first in, address(-and-port)-dependent refuses it;
 *  - the server answers from its other port 3479 (2): address-dependent
 *    filtering lets it in, address-and-port-dependent refuses it;
 *  - a TCP connection to 203.0.113.20:443 (5), silent from 5.12 until the
 *    client speaks again at 70.005 (a 60 s idle timeout loses it first);
 *  - an unsolicited SYN from 203.0.113.40:51000 to the client's port 22
 *    (80, again at 81): no mapping holds that port.
 */
void
sc_p2p(void)
{
	struct conn k;
	uint64_t t;

	conn_init(&k, 4, 10, 40000, 20, 3478, 0, 0);
	dg(&k, 0, 0, P_UDP, 20);
	dg(&k, 20 * MS, 1, P_UDP, 32);

	conn_init(&k, 4, 10, 40000, 30, 5000, 0, 0);
	dg(&k, 1 * NS, 1, P_UDP, 40);
	dg(&k, 1 * NS + 10 * MS, 0, P_UDP, 40);
	dg(&k, 1 * NS + 50 * MS, 1, P_UDP, 40);

	conn_init(&k, 4, 10, 40000, 20, 3479, 0, 0);
	dg(&k, 2 * NS, 1, P_UDP, 32);

	conn_init(&k, 4, 10, 40001, 20, 443, 1000, 5000);
	t = 5 * NS;
	handshake(&k, &t, 20 * MS);
	tcp(&k, 5 * NS + 100 * MS, 0, PSH | ACK, 200);
	tcp(&k, 5 * NS + 120 * MS, 1, PSH | ACK, 1000);
	tcp(&k, 70 * NS + 5 * MS, 0, PSH | ACK, 100);
	tcp(&k, 70 * NS + 30 * MS, 1, PSH | ACK, 200);

	conn_init(&k, 4, 10, 22, 40, 51000, 0, 9000);
	tcp(&k, 80 * NS, 1, SYN, 0);
	tcp_again(&k, 81 * NS, 1, SYN, 0);
}

/*
 * GRE (version 0, protocol 47), with waits past Linux's GRE timers
 * (times in seconds):
 *  - a tunnel spoken both ways at 0 and 1 (replied, ASSURED from the
 *    second packet after the reply), then silent for 200 s, longer than
 *    the 180 s stream timer; the client speaks first after it (201);
 *  - a one-way tunnel: the client at 0.5 and again 40 s later (40.5),
 *    longer than the 30 s unreplied timer.
 */
void
sc_gre(void)
{
	struct conn k;

	conn_init(&k, 4, 16, 0, 16, 0, 0, 0);
	dg(&k, 0, 0, P_GRE, 60);
	dg(&k, 20 * MS, 1, P_GRE, 60);
	dg(&k, 1 * NS, 0, P_GRE, 60);
	dg(&k, 1 * NS + 20 * MS, 1, P_GRE, 60);
	dg(&k, 201 * NS, 0, P_GRE, 60);
	dg(&k, 201 * NS + 20 * MS, 1, P_GRE, 60);

	conn_init(&k, 4, 17, 0, 17, 0, 0, 0);
	dg(&k, 500 * MS, 0, P_GRE, 60);
	dg(&k, 40 * NS + 500 * MS, 0, P_GRE, 60);
}
