/* conform_probe.c -- the packet sequences the conformance table is judged on: each a fresh engine, time injected.
 *
 * A timer is observed from the outside: after an idle period the server
 * sends into the mapping, and the packet passes or not. An inbound packet
 * is the honest probe under translation: an outbound one would be picked
 * up as a new flow (Linux loose pickup) and pass whatever happened.
 */
#include <string.h>

#include "conform_int.h"
#include "conform_probe.h"

static int
start(struct csim *s, const struct policy *p)
{
	return csim_start(s, p);
}

static int
end(struct csim *s, bool alive)
{
	csim_stop(s);
	return alive ? 1 : 0;
}

/* ---- TCP timers: survives(idle) ---- */

int
probe_tcp_est(const struct policy *p, uint64_t idle, const void *arg)
{
	struct csim s;
	struct cconn k;
	bool ok;

	(void)arg;
	if (start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	ok = cc_open(&s, &k);
	csim_wait(&s, idle);
	ok &= cc_in(&s, &k, TH_ACK | TH_PSH, 10) == V_ACCEPT;
	return end(&s, ok);
}

int
probe_tcp_opening(const struct policy *p, uint64_t idle, const void *arg)
{
	struct csim s;
	struct cconn k;
	bool ok;

	(void)arg;
	if (start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	ok = cc_out(&s, &k, TH_SYN, 0) == V_ACCEPT;
	csim_xsrc(&s, k.c, k.cp, &k.xa, &k.xp);
	csim_wait(&s, idle);
	ok &= cc_in(&s, &k, TH_SYN | TH_ACK, 0) == V_ACCEPT;
	return end(&s, ok);
}

/* The client half-closes (FIN, acknowledged); the server's data, the
 * open direction, after idle. arg non-NULL: the server sends every idle/4
 * for 3 idle instead, and the flow must carry it all (refresh). */
int
probe_tcp_half(const struct policy *p, uint64_t idle, const void *arg)
{
	struct csim s;
	struct cconn k;
	bool ok;

	if (start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	ok = cc_open(&s, &k);
	ok &= cc_out(&s, &k, TH_FIN | TH_ACK, 0) == V_ACCEPT;
	ok &= cc_in(&s, &k, TH_ACK, 0) == V_ACCEPT;
	if (arg == NULL) {
		csim_wait(&s, idle);
		ok &= cc_in(&s, &k, TH_ACK | TH_PSH, 10) == V_ACCEPT;
	} else {
		for (int i = 0; i < 12 && ok; i++) {
			csim_wait(&s, idle / 4);
			ok &= cc_in(&s, &k, TH_ACK | TH_PSH, 10) == V_ACCEPT;
			ok &= cc_out(&s, &k, TH_ACK, 0) == V_ACCEPT;
		}
	}
	return end(&s, ok);
}

/* Both FINs sent, the last ACK not yet (LAST_ACK); or, with arg, the
 * close complete (TIME_WAIT) and the server's FIN retransmitted. */
int
probe_tcp_closing(const struct policy *p, uint64_t idle, const void *arg)
{
	struct csim s;
	struct cconn k;
	bool ok;

	if (start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	ok = cc_open(&s, &k);
	ok &= cc_out(&s, &k, TH_FIN | TH_ACK, 0) == V_ACCEPT;
	ok &= cc_in(&s, &k, TH_FIN | TH_ACK, 0) == V_ACCEPT;
	if (arg != NULL)
		ok &= cc_out(&s, &k, TH_ACK, 0) == V_ACCEPT;
	csim_wait(&s, idle);
	if (arg != NULL)
		ok &= csim_tcp(&s, k.s, k.sp, k.xa, k.xp, TH_FIN | TH_ACK, k.sseq - 1,
		    k.cseq, 0) == V_ACCEPT;
	else
		ok &= cc_in(&s, &k, TH_ACK, 0) == V_ACCEPT;
	return end(&s, ok);
}

/* RFC 7857 section 2.2: after a RST the session is held, so a RST lost
 * on its way leaves the other end a way through. */
int
probe_tcp_rst(const struct policy *p, uint64_t idle, const void *arg)
{
	struct csim s;
	struct cconn k;
	bool ok;

	(void)arg;
	if (start(&s, p) < 0)
		return -1;
	cconn_init(&k, CS_CLIENT, 40000, CS_SERVER, 80);
	ok = cc_open(&s, &k);
	ok &= cc_out(&s, &k, TH_RST | TH_ACK, 0) == V_ACCEPT;
	csim_wait(&s, idle);
	ok &= cc_in(&s, &k, TH_ACK, 0) == V_ACCEPT;
	return end(&s, ok);
}

/* ---- UDP and ICMP timers ---- */

/* The server's answer to the first datagram, then an exchange 1.1 s and
 * 2.2 s in: past the flow's first 2 s (the kernel's stream rule), and no
 * gap longer than 1.1 s for an unreplied timer to end it first (a short
 * one, as a probed lab profile has). */
static bool
udp_stream(struct csim *s, uint32_t xa, uint16_t xp)
{
	bool ok = csim_udp(s, CS_SERVER, 3478, xa, xp) == V_ACCEPT;

	for (int i = 0; i < 2; i++) {
		csim_wait(s, 1100 * CS_SEC / 1000);
		ok &= csim_udp(s, CS_CLIENT, 5000, CS_SERVER, 3478) == V_ACCEPT;
		ok &= csim_udp(s, CS_SERVER, 3478, xa, xp) == V_ACCEPT;
	}
	return ok;
}

/* One datagram out (arg NULL), or a flow that both sides used past its
 * first 2 s (the kernel's stream rule); then the server's datagram. */
int
probe_udp(const struct policy *p, uint64_t idle, const void *arg)
{
	struct csim s;
	uint32_t xa;
	uint16_t xp;
	bool ok;

	if (start(&s, p) < 0)
		return -1;
	ok = csim_udp(&s, CS_CLIENT, 5000, CS_SERVER, 3478) == V_ACCEPT;
	csim_xsrc(&s, CS_CLIENT, 5000, &xa, &xp);
	if (arg != NULL)
		ok &= udp_stream(&s, xa, xp);
	csim_wait(&s, idle);
	ok &= csim_udp(&s, CS_SERVER, 3478, xa, xp) == V_ACCEPT;
	return end(&s, ok);
}

int
probe_icmp(const struct policy *p, uint64_t idle, const void *arg)
{
	struct csim s;
	uint32_t xa;
	uint16_t xid;
	bool ok;

	(void)arg;
	if (start(&s, p) < 0)
		return -1;
	ok = csim_echo(&s, CS_CLIENT, CS_SERVER, 8, 0x1234) == V_ACCEPT;
	csim_xsrc(&s, CS_CLIENT, 0x1234, &xa, &xid);
	csim_wait(&s, idle);
	ok &= csim_echo(&s, CS_SERVER, xa, 0, xid) == V_ACCEPT;
	return end(&s, ok);
}

/* UDP refresh by one direction: a replied flow, then only `out` (or only
 * inbound) datagrams every period for 3 periods x 4; true if one flow
 * carried them all and the server still gets through. */
int
probe_udp_refresh(const struct policy *p, uint64_t period, bool out)
{
	struct csim s;
	uint32_t xa;
	uint16_t xp;
	uint64_t made;
	bool ok;

	if (start(&s, p) < 0)
		return -1;
	ok = csim_udp(&s, CS_CLIENT, 5000, CS_SERVER, 3478) == V_ACCEPT;
	csim_xsrc(&s, CS_CLIENT, 5000, &xa, &xp);
	ok &= udp_stream(&s, xa, xp);
	made = engine_stats(s.e)->events[EV_NEW];
	for (int i = 0; i < 12 && ok; i++) {
		csim_wait(&s, period);
		if (out)
			ok &= csim_udp(&s, CS_CLIENT, 5000, CS_SERVER, 3478) == V_ACCEPT;
		else
			ok &= csim_udp(&s, CS_SERVER, 3478, xa, xp) == V_ACCEPT;
	}
	ok &= engine_stats(s.e)->events[EV_NEW] == made;
	ok &= csim_udp(&s, CS_SERVER, 3478, xa, xp) == V_ACCEPT;
	return end(&s, ok);
}

/* Bisection on a deterministic engine: one fresh engine a probe, so
 * nothing of one probe's flows leaks into the next. */
static int
survives(const struct policy *p, enum probe_kind k, uint64_t idle, const void *arg)
{
	switch (k) {
	case PROBE_TCP_EST:
		return probe_tcp_est(p, idle, arg);
	case PROBE_TCP_OPENING:
		return probe_tcp_opening(p, idle, arg);
	case PROBE_TCP_HALF:
		return probe_tcp_half(p, idle, arg);
	case PROBE_TCP_CLOSING:
		return probe_tcp_closing(p, idle, arg);
	case PROBE_TCP_RST:
		return probe_tcp_rst(p, idle, arg);
	case PROBE_UDP:
		return probe_udp(p, idle, arg);
	case PROBE_ICMP:
		return probe_icmp(p, idle, arg);
	}
	return -1;
}

int
probe_measure(const struct policy *p, enum probe_kind k, const void *arg,
    uint64_t cap, uint64_t *out)
{
	const uint64_t ms = 1000000;
	uint64_t lo = 0, hi = cap / ms;		/* alive at lo, dead at hi (ms) */
	int r = survives(p, k, cap, arg);

	if (r < 0)
		return -1;
	if (r == 1) {
		*out = CONFORM_NEVER;
		return 0;
	}
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if ((r = survives(p, k, mid * ms, arg)) < 0)
			return -1;
		if (r == 1)
			lo = mid;
		else
			hi = mid;
	}
	/* A packet into a mapping whose flow is due but not yet reaped (within
	 * the wheel's ~8 ms tick) still finds the mapping: the figure is
	 * given to 10 ms. */
	*out = hi * ms / (10 * ms) * (10 * ms);
	return 0;
}
