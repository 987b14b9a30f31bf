/* conform_behave.c -- a profile's translation behaviours as its engine shows them: the rewrites its verdicts carry. */
#include <stdio.h>
#include <string.h>

#include "conform_int.h"
#include "conform_probe.h"

/* ---- behaviours ---- */

/* Mapping: the external endpoint of c:40000 towards S:80, S:81, S2:80. */
int
behave_mapping(const struct policy *p, uint8_t proto, uint8_t *dep)
{
	static const uint32_t dst[3] = { CS_SERVER, CS_SERVER, CS_SERVER2 };
	static const uint16_t dport[3] = { 80, 81, 80 };
	uint32_t xa[3];
	uint16_t xp[3];
	struct csim s;

	if (csim_start(&s, p) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (proto == 6)
			csim_tcp(&s, CS_CLIENT, 40000, dst[i], dport[i], TH_SYN, 1, 0, 0);
		else
			csim_udp(&s, CS_CLIENT, 40000, dst[i], dport[i]);
		csim_xsrc(&s, CS_CLIENT, 40000, &xa[i], &xp[i]);
	}
	csim_stop(&s);
	if (xa[0] == xa[2] && xp[0] == xp[2] && xa[0] == xa[1] && xp[0] == xp[1])
		*dep = NAT_EI;
	else if (xa[0] == xa[1] && xp[0] == xp[1])
		*dep = NAT_AD;
	else
		*dep = NAT_APD;
	return 0;
}

/* Does a packet from `from`:fport into c:40000's mapping (made towards
 * S:80, which answered) come in? */
static int
filter_lets(const struct policy *p, uint8_t proto, uint32_t from, uint16_t fport)
{
	struct csim s;
	struct cconn k;
	bool ok;

	if (csim_start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	if (proto == 6) {
		cc_open(&s, &k);
		ok = csim_tcp(&s, from, fport, k.xa, k.xp, TH_SYN, 5, 0, 0) == V_ACCEPT;
	} else {
		csim_udp(&s, CS_CLIENT, 40000, CS_SERVER, 80);
		csim_xsrc(&s, CS_CLIENT, 40000, &k.xa, &k.xp);
		csim_udp(&s, CS_SERVER, 80, k.xa, k.xp);
		ok = csim_udp(&s, from, fport, k.xa, k.xp) == V_ACCEPT;
	}
	csim_stop(&s);
	return ok;
}

int
behave_filtering(const struct policy *p, uint8_t proto, uint8_t *dep)
{
	int other_host = filter_lets(p, proto, CS_SERVER2, 80);
	int other_port = filter_lets(p, proto, CS_SERVER, 81);

	if (other_host < 0 || other_port < 0)
		return -1;
	*dep = other_host ? NAT_EI : other_port ? NAT_AD : NAT_APD;
	return 0;
}

/* Ports: two hosts on one port to one server (overloading: the same
 * external endpoint twice), a privileged source port's range, parity
 * over eight hosts on an odd and an even port, pooling over eight
 * servers. Fills *facts bits. */
int
behave_ports(const struct policy *p, unsigned *facts)
{
	struct csim s;
	uint32_t xa, xb;
	uint16_t xp, xq;

	if (csim_start(&s, p) < 0)
		return -1;
	*facts = PF_PARITY | PF_PAIRED | PF_HIGH_RANGE_KEPT;
	csim_udp(&s, CS_CLIENT, 40000, CS_SERVER, 80);
	csim_xsrc(&s, CS_CLIENT, 40000, &xa, &xp);
	if (xp < 1024)
		*facts &= ~(unsigned)PF_HIGH_RANGE_KEPT;
	csim_udp(&s, CS_CLIENT2, 40000, CS_SERVER, 80);
	csim_xsrc(&s, CS_CLIENT2, 40000, &xb, &xq);
	if (xa == xb && xp == xq)
		*facts |= PF_OVERLOAD;
	csim_udp(&s, CS_CLIENT, 53, CS_SERVER, 80);
	csim_xsrc(&s, CS_CLIENT, 53, &xb, &xq);
	if (xq < 1024)
		*facts |= PF_LOW_RANGE_KEPT;
	for (uint32_t h = 0; h < 8; h++)
		for (uint16_t port = 5000; port < 5002; port++) {
			csim_udp(&s, CS_CLIENT + h, port, CS_SERVER, 3478);
			csim_xsrc(&s, CS_CLIENT + h, port, &xb, &xq);
			if ((xq & 1) != (port & 1))
				*facts &= ~(unsigned)PF_PARITY;
		}
	for (uint32_t d = 0; d < 8; d++) {
		csim_udp(&s, CS_CLIENT, (uint16_t)(6000 + d), CS_SERVER + 10 + d, 3478);
		csim_xsrc(&s, CS_CLIENT, (uint16_t)(6000 + d), &xb, &xq);
		if (xb != xa)
			*facts &= ~(unsigned)PF_PAIRED;
	}
	csim_stop(&s);
	return 0;
}

/* Hairpin: a second inside host reaches c's mapping through the pool. */
int
behave_hairpin(const struct policy *p, uint8_t proto, bool *works)
{
	struct csim s;
	struct cconn k;

	if (csim_start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	if (proto == 6) {
		cc_open(&s, &k);
		*works = csim_tcp(&s, CS_CLIENT2, 5555, k.xa, k.xp, TH_SYN, 9, 0, 0) == V_ACCEPT;
	} else {
		csim_udp(&s, CS_CLIENT, 40000, CS_SERVER, 80);
		csim_xsrc(&s, CS_CLIENT, 40000, &k.xa, &k.xp);
		*works = csim_udp(&s, CS_CLIENT2, 5555, k.xa, k.xp) == V_ACCEPT;
	}
	*works = *works && (s.v.rw.set & NRW_DST) && s.v.rw.dst == CS_CLIENT;
	csim_stop(&s);
	return 0;
}

/* An ICMP error about the flow comes in: is it translated, and does the
 * mapping outlive it (RFC 5382 REQ-10, RFC 4787 REQ-12)? */
int
behave_icmp_err(const struct policy *p, uint8_t proto, bool *passed, bool *kept)
{
	struct csim s;
	struct cconn k;
	bool ok;

	if (csim_start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	if (proto == 6)
		cc_open(&s, &k);
	else {
		csim_udp(&s, CS_CLIENT, 40000, CS_SERVER, 80);
		csim_xsrc(&s, CS_CLIENT, 40000, &k.xa, &k.xp);
		csim_udp(&s, CS_SERVER, 80, k.xa, k.xp);
	}
	csim_wait(&s, CS_SEC);
	/* host unreachable from a router on the way, quoting the packet
	 * as the outside saw it */
	ok = csim_icmp_err(&s, IP4(203, 0, 113, 1), k.xa, 3, 1, proto, k.xa, k.xp,
	    CS_SERVER, 80) == V_ACCEPT;
	*passed = ok && (s.v.rw.set != 0);
	csim_wait(&s, CS_SEC);
	if (proto == 6)
		*kept = cc_in(&s, &k, TH_ACK | TH_PSH, 10) == V_ACCEPT;
	else
		*kept = csim_udp(&s, CS_SERVER, 80, k.xa, k.xp) == V_ACCEPT;
	csim_stop(&s);
	return 0;
}

/* TCP sequences (RFC 5382 REQ-2): a normal life, and a simultaneous open. */
int
behave_sequences(const struct policy *p, bool *normal, bool *simopen)
{
	struct csim s;
	struct cconn k;
	bool ok;

	if (csim_start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	ok = cc_open(&s, &k);
	ok &= cc_out(&s, &k, TH_FIN | TH_ACK, 0) == V_ACCEPT;
	ok &= cc_in(&s, &k, TH_ACK, 0) == V_ACCEPT;
	ok &= cc_in(&s, &k, TH_ACK | TH_PSH, 50) == V_ACCEPT;
	ok &= cc_out(&s, &k, TH_ACK, 0) == V_ACCEPT;
	ok &= cc_in(&s, &k, TH_FIN | TH_ACK, 0) == V_ACCEPT;
	ok &= cc_out(&s, &k, TH_ACK, 0) == V_ACCEPT;
	*normal = ok;
	cconn_init(&k, CS_CLIENT, 41000, CS_SERVER, 81);
	ok = cc_out(&s, &k, TH_SYN, 0) == V_ACCEPT;
	csim_xsrc(&s, k.c, k.cp, &k.xa, &k.xp);
	ok &= cc_in(&s, &k, TH_SYN, 0) == V_ACCEPT;
	k.cseq--;	/* the SYN-ACKs repeat each side's SYN */
	k.sseq--;
	ok &= cc_out(&s, &k, TH_SYN | TH_ACK, 0) == V_ACCEPT;
	ok &= cc_in(&s, &k, TH_SYN | TH_ACK, 0) == V_ACCEPT;
	ok &= cc_out(&s, &k, TH_ACK | TH_PSH, 20) == V_ACCEPT;
	ok &= cc_in(&s, &k, TH_ACK | TH_PSH, 20) == V_ACCEPT;
	*simopen = ok;
	csim_stop(&s);
	return 0;
}

/* The first outbound RST passes translated (RFC 7857 section 2.2). */
int
behave_rst(const struct policy *p, bool *translated)
{
	struct csim s;
	struct cconn k;

	if (csim_start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	cc_open(&s, &k);
	*translated = cc_out(&s, &k, TH_RST | TH_ACK, 0) == V_ACCEPT &&
	    (s.v.rw.set & NRW_SRC) && s.v.rw.src == k.xa && s.v.rw.sport == k.xp;
	csim_stop(&s);
	return 0;
}

/* RFC 5382 REQ-4: an unsolicited inbound SYN to an unused external port. */
int
behave_unsolicited(const struct policy *p, const char **answer)
{
	struct csim s;

	if (csim_start(&s, p) < 0)
		return -1;
	csim_tcp(&s, CS_SERVER, 80, CS_POOL, 33333, TH_SYN, 77, 0, 0);
	if (s.v.action == V_ACCEPT)
		*answer = "passed";
	else if (s.v.action == V_RESET && s.v.nrst > 0)
		*answer = "RST at once";
	else if (s.v.icmp_unreach)
		*answer = "ICMP unreachable at once";
	else
		*answer = "dropped silently";
	csim_stop(&s);
	return 0;
}

