/* timeout.c -- which timer runs for a flow, and how long: the pure ladder every verdict uses. */
#include <stdint.h>

#include "engine.h"

static uint16_t
both_flags(const struct tcp_track *t)
{
	return t->d[DIR_ORIG].flags | t->d[DIR_REPLY].flags;
}

/* Like pf_state_expires()'s ladder, over the tracker state and the FIN
 * facts. The tracker moves to FIN_WAIT at the first FIN whatever the
 * profile; a profile that starts its half-closed timer later keeps the
 * established timer running until then.  Facts, not states, decide:
 * the kernel also enters LAST_ACK on a retransmitted first FIN, which is
 * not "both FINs". */
enum tcp_state
policy_timer_state(const struct policy *p, const struct tcp_track *t)
{
	enum tcp_state s = (enum tcp_state)t->state;
	uint16_t fl = both_flags(t);
	bool both_fins;

	if (s != TCP_FIN_WAIT && s != TCP_CLOSE_WAIT && s != TCP_LAST_ACK)
		return s;
	switch (p->half_close_start) {
	case HC_FIN_ACKED:
		/* Cisco ASA: half-closed once a FIN and its ACK were seen. */
		return (fl & TDF_FIN_ACKED) ? s : TCP_ESTABLISHED;
	case HC_BOTH_FINS:
		/* RFC 5382 REQ-5: "The closing phase begins when both
		 * endpoints have terminated their half of the connection by
		 * sending a FIN packet." */
		both_fins = (t->d[DIR_ORIG].flags & TDF_FIN_SEEN) &&
		    (t->d[DIR_REPLY].flags & TDF_FIN_SEEN);
		return both_fins ? s : TCP_ESTABLISHED;
	default:
		return s;
	}
}

uint64_t
policy_timeout(const struct policy *p, const struct tcp_track *t,
    enum tcp_state timer_state, uint32_t nflows)
{
	uint64_t to = p->timeout[timer_state], lo, hi;

	/* Kernel: ESTABLISHED without a reply (a loose pickup) and, with
	 * window tracking, unacknowledged data cap the timer at
	 * nf_conntrack_tcp_timeout_unacknowledged. */
	if (p->unacknowledged && to > p->unacknowledged) {
		if ((timer_state == TCP_ESTABLISHED && !(t->flags & TTF_SEEN_REPLY)) ||
		    (p->window_tracking && (both_flags(t) & TDF_DATA_UNACK)))
			to = p->unacknowledged;
	}
	/* pf's adaptive timeouts: past adaptive.start states every timeout
	 * shrinks linearly, reaching zero at adaptive.end. */
	if (p->adaptive_start) {
		lo = (uint64_t)p->max_flows * p->adaptive_start / 100;
		hi = (uint64_t)p->max_flows * p->adaptive_end / 100;
		if (nflows > lo && hi > lo)
			to = nflows >= hi ? 0 : (uint64_t)((double)to * (double)(hi - nflows) / (double)(hi - lo));
	}
	return to;
}

/* The timer after a packet the tracker took (TO_OK): *timer_state and
 * *deadline go from the flow's before it to its after. A timer starts
 * afresh on entering its state, except that between two absolute
 * (`none`) timers the earlier deadline stands (the ByteBlower NAT counts
 * from the first FIN whatever state changes follow). Otherwise the
 * packet restarts it if the refresh rule lets its direction. */
void
policy_timer_next(const struct policy *p, const struct tcp_track *t,
    enum flow_dir dir, bool refresh, uint64_t now, uint32_t nflows,
    uint8_t *timer_state, uint64_t *deadline)
{
	enum tcp_state ts = policy_timer_state(p, t);
	uint8_t rule = p->refresh[ts];
	uint64_t dl;

	if (ts != *timer_state) {
		dl = now + policy_timeout(p, t, ts, nflows);
		if (rule == REFRESH_NONE && p->refresh[*timer_state] == REFRESH_NONE &&
		    *deadline < dl)
			dl = *deadline;
		*timer_state = (uint8_t)ts;
		*deadline = dl;
		return;
	}
	if (!refresh || rule == REFRESH_NONE ||
	    (rule == REFRESH_ORIG && dir != DIR_ORIG) ||
	    (rule == REFRESH_REPLY && dir != DIR_REPLY))
		return;
	*deadline = now + policy_timeout(p, t, ts, nflows);
}
