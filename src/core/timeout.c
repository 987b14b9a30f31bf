/* timeout.c -- which timer runs for a flow, and how long: the pure ladder every verdict uses. */
#include <stdint.h>
#include <string.h>

#include "timeout.h"

static uint16_t
both_flags(const struct tcp_track *t)
{
	return t->d[DIR_ORIG].flags | t->d[DIR_REPLY].flags;
}

/* The key's bits above the state's five (TRK_STATE_MAX <= 32). Any input
 * the two functions below gain must get a bit here too. */
#define TK_STATE	0x01f
#define TK_FIN_ACKED	0x020	/* either side's FIN was acknowledged */
#define TK_ORIG_FIN	0x040
#define TK_REPLY_FIN	0x080
#define TK_SEEN_REPLY	0x100
#define TK_DATA_UNACK	0x200	/* either side has data in flight */
/* the kernel mode's facts of the last packet (TTF_RETRANS...) */
#define TK_RETRANS	0x400
#define TK_RST		0x800
#define TK_ZERO_WIN	0x1000
#define TK_NO_REPLY	0x2000
_Static_assert(TRK_STATE_MAX <= TK_STATE + 1 && POLICY_TIMER_KEYS == 0x4000,
    "the key: five bits of state, nine of facts");

unsigned
policy_timer_key(const struct tcp_track *t)
{
	uint16_t fl = both_flags(t);

	return (t->state & TK_STATE) |
	    ((fl & TDF_FIN_ACKED) ? TK_FIN_ACKED : 0) |
	    ((t->d[DIR_ORIG].flags & TDF_FIN_SEEN) ? TK_ORIG_FIN : 0) |
	    ((t->d[DIR_REPLY].flags & TDF_FIN_SEEN) ? TK_REPLY_FIN : 0) |
	    ((t->flags & TTF_SEEN_REPLY) ? TK_SEEN_REPLY : 0) |
	    ((fl & TDF_DATA_UNACK) ? TK_DATA_UNACK : 0) |
	    ((t->flags & TTF_RETRANS) ? TK_RETRANS : 0) |
	    ((t->flags & TTF_RST) ? TK_RST : 0) |
	    ((t->flags & TTF_ZERO_WIN) ? TK_ZERO_WIN : 0) |
	    ((t->flags & TTF_NO_REPLY) ? TK_NO_REPLY : 0);
}

void
policy_timer_key_trk(unsigned key, struct tcp_track *t)
{
	memset(t, 0, sizeof(*t));
	t->state = (uint8_t)(key & TK_STATE);
	if (key & TK_FIN_ACKED)
		t->d[DIR_ORIG].flags |= TDF_FIN_ACKED;
	if (key & TK_ORIG_FIN)
		t->d[DIR_ORIG].flags |= TDF_FIN_SEEN;
	if (key & TK_REPLY_FIN)
		t->d[DIR_REPLY].flags |= TDF_FIN_SEEN;
	if (key & TK_SEEN_REPLY)
		t->flags |= TTF_SEEN_REPLY;
	if (key & TK_DATA_UNACK)
		t->d[DIR_REPLY].flags |= TDF_DATA_UNACK;
	t->flags |= (uint8_t)(((key & TK_RETRANS) ? TTF_RETRANS : 0) |
	    ((key & TK_RST) ? TTF_RST : 0) | ((key & TK_ZERO_WIN) ? TTF_ZERO_WIN : 0) |
	    ((key & TK_NO_REPLY) ? TTF_NO_REPLY : 0));
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
	bool unack = p->unacknowledged && to > p->unacknowledged;

	/* The kernel's ladder (nf_conntrack_tcp_packet()): max_retrans
	 * retransmissions, then a RST (timeout.close whatever the state: a
	 * RST that does not close keeps ESTABLISHED on a 10 s timer), then
	 * unacknowledged data, then a zero window; ESTABLISHED without a
	 * reply (a loose pickup) is capped at nf_conntrack_tcp_timeout_
	 * unacknowledged on top. The facts but the last two come from the
	 * kernel mode only (tracking.window). */
	if (timer_state < TCP_STATE_MAX) {
		if ((t->flags & TTF_RETRANS) && to > p->max_retrans_timeout)
			to = p->max_retrans_timeout;
		else if (t->flags & TTF_RST)
			to = p->timeout[TCP_CLOSE];
		else if (unack && p->window_tracking && (both_flags(t) & TDF_DATA_UNACK))
			to = p->unacknowledged;
		else if ((t->flags & TTF_ZERO_WIN) && to > p->max_retrans_timeout)
			to = p->max_retrans_timeout;
		if (unack && timer_state == TCP_ESTABLISHED &&
		    (!(t->flags & TTF_SEEN_REPLY) || (t->flags & TTF_NO_REPLY)) &&
		    to > p->unacknowledged)
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

	if (ts != *timer_state && !refresh && p->window_tracking) {
		/* the kernel's SYN in SYN_SENT before any reply (a crossing
		 * one makes SYN_SENT2) leaves the timer as it runs */
		*timer_state = (uint8_t)ts;
		return;
	}
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
