/* zconn_tcp.c -- Zeek's TCP analyzer as far as conn.log shows it: endpoint states, history letters, sizes from sequence numbers, content gaps, the timers that end a connection. */
#include <string.h>

#include "zconn_int.h"

/*
 * Each function here follows the Zeek function named in its comment
 * (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc unless said),
 * keeping only what reaches conn.log: no events, no weirds, no payload.
 * Written from reading Zeek's code, not copied from it.
 */

#define NS			1000000000ULL
#define TOO_LARGE_SEQ_DELTA	1048576		/* TCPSessionAdapter.cc */
/* Zeek's defaults (scripts/base/init-bare.zeek) */
#define TCP_ATTEMPT_DELAY	(5 * NS)	/* tcp_attempt_delay */
#define TCP_CLOSE_DELAY		(5 * NS)	/* tcp_close_delay */
#define TCP_SYN_TIMEOUT		(5 * NS)	/* tcp_SYN_timeout: first ExpireTimer */
#define TCP_SESSION_TIMER	(6 * NS)	/* tcp_session_timer: ExpireTimer period */
#define TCP_LINGER		(5 * NS)	/* tcp_connection_linger */
#define TCP_INACTIVITY		(300 * NS)	/* tcp_inactivity_timeout */
#define TCP_MAX_ABOVE_HOLE	16384		/* tcp_max_above_hole_without_any_acks */

/* TCP_Endpoint::SetState(): the previous state is kept on a change. */
static void
ep_state(struct zc_ep *e, unsigned st)
{
	if (st != e->state) {
		e->prev = e->state;
		e->state = (uint8_t)st;
	}
}

static inline int32_t
seq_delta(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* The wire number seq in e's relative space, measured from ref (a
 * relative number e has: last for its own sequence, ack for acks), as
 * get_relative_seq() does with its wrap counts; *under if before 0. */
static uint64_t
rel_seq(const struct zc_ep *e, uint32_t seq, uint64_t ref, bool *under)
{
	int64_t r = (int64_t)ref + seq_delta(seq, e->start + (uint32_t)ref);

	if (r < 0)
		*under = true;
	return (uint64_t)r;
}

/* InitStartSeq(), InitAckSeq(), InitLastSeq() together */
static void
ep_seq_init(struct zc_ep *e, uint32_t start, uint64_t last)
{
	e->start = start;
	e->ack = 0;
	e->last = last;
}

/* init_endpoint() */
static void
init_endpoint(struct zc_ep *e, uint8_t flags, uint32_t seq, uint32_t seglen)
{
	bool syn = flags & TH_SYN;

	switch (e->state) {
	case ZEP_INACTIVE:
		/* no SYN: numbered as if one came just before */
		if (syn)
			ep_seq_init(e, seq, seglen);
		else
			ep_seq_init(e, seq - 1, 1);
		break;
	case ZEP_SYN_SENT:
	case ZEP_SYN_ACK_SENT:
		if (syn && seq != e->start)
			ep_seq_init(e, seq, seglen);
		break;
	case ZEP_ESTABLISHED:
	case ZEP_PARTIAL:
		if (syn)
			ep_seq_init(e, seq, seglen);
		break;
	case ZEP_RESET:
		if (syn && e->prev == ZEP_INACTIVE)
			ep_seq_init(e, seq, seglen);
		break;
	default:
		break;
	}
}

/* update_history(): S H F R once per new sequence number, the others
 * once per side; I a FIN+RST, Q any other two of SYN/FIN/RST. */
static void
update_history(struct zc_conn *c, unsigned s, uint8_t f, uint64_t rel, uint32_t len)
{
	struct zc_ep *e = &c->ep[s];
	int bits = !!(f & TH_SYN) + !!(f & TH_FIN) + !!(f & TH_RST);
	bool up = zc_is_orig(c, s);

	if (bits > 1) {
		if ((f & TH_FIN) && (f & TH_RST))
			zc_hist_check(c, s, ZH_FIN_RST, 'I');
		else
			zc_hist_check(c, s, ZH_MULTI, 'Q');
	} else if (bits == 1) {
		if (f & TH_SYN) {
			char code = (f & TH_ACK) ? 'H' : 'S';

			if (zc_hist_check(c, s, ZH_SYN, code) && (uint32_t)rel != e->hist_syn)
				zc_hist_add(c, up ? code : (char)(code + 'a' - 'A'));
			e->hist_syn = (uint32_t)rel;
		}
		if (f & TH_FIN) {
			/* a FIN's number is after its data */
			if (zc_hist_check(c, s, ZH_FIN, 'F') && (uint32_t)(rel + len) != e->hist_fin)
				zc_hist_add(c, up ? 'F' : 'f');
			e->hist_fin = (uint32_t)(rel + len);
		}
		if (f & TH_RST) {
			if (zc_hist_check(c, s, ZH_RST, 'R') && (uint32_t)rel != e->hist_rst)
				zc_hist_add(c, up ? 'R' : 'r');
			e->hist_rst = (uint32_t)rel;
		}
	} else if (len) {
		zc_hist_check(c, s, ZH_DATA, 'D');
	} else if (f & TH_ACK) {
		zc_hist_check(c, s, ZH_ACK, 'A');
	}
}

/* update_last_seq(): how far the segment's end moved; a payload that
 * moves it nowhere is a retransmission (TCP_Endpoint::DidRxmit(), 'T'). */
static void
update_last(struct zc_conn *c, unsigned s, uint32_t end, uint8_t f, uint32_t len)
{
	struct zc_ep *e = &c->ep[s];
	int32_t d = seq_delta(end, e->start + (uint32_t)e->last);

	if ((f & (TH_SYN | TH_RST)) && (d > TOO_LARGE_SEQ_DELTA || d < -TOO_LARGE_SEQ_DELTA))
		return;
	if ((f & TH_FIN) && e->last == 1) {
		/* only the SYN and the FIN seen: trust the FIN (> 2 GB) */
		if ((int64_t)e->last + d >= 0)
			e->last = (uint64_t)((int64_t)e->last + d);
	} else if (e->state == ZEP_RESET) {
		return;
	} else if (d > 0) {
		e->last += (uint64_t)d;
	} else if (len > 0) {
		zc_hist_scaled(c, s, 'T', &e->n_rxmt);
	}
}

/* UpdateInactiveState() */
static bool
st_inactive(struct zc_conn *c, unsigned s, bool is_orig, const struct nb_packet *p)
{
	struct zc_ep *e = &c->ep[s], *peer = &c->ep[!s];
	uint8_t f = p->flags;
	bool close = false;

	if (f & TH_SYN) {
		if (is_orig) {
			ep_state(e, (f & TH_ACK) ? ZEP_SYN_ACK_SENT : ZEP_SYN_SENT);
			c->flags |= ZCF_ATTEMPT;	/* AttemptTimer, from now */
			c->attempt_at = c->last;
		} else {
			if (!(f & TH_ACK) && peer->state == ZEP_SYN_ACK_SENT && p->seq == e->start) {
				/* the SYN-ACK came before the SYN: flip */
				c->flags &= (uint8_t)~ZCF_PARTIAL;
				zc_flip(c);
				ep_state(peer, ZEP_ESTABLISHED);
				c->flags |= (uint8_t)(ZCF_SEEN0 << c->orig);
			}
			if (peer->state == ZEP_SYN_SENT)
				ep_state(peer, ZEP_ESTABLISHED);
			ep_state(e, ZEP_ESTABLISHED);
		}
	}
	if (f & TH_FIN) {
		ep_state(e, ZEP_CLOSED);
		close = true;
	}
	if (f & TH_RST) {
		ep_state(e, ZEP_RESET);
		close = true;
	}
	if (e->state == ZEP_INACTIVE) {
		const struct zc_ep *o = &c->ep[c->orig];

		if (!is_orig && p->payload_len == 0 && o->state == ZEP_SYN_SENT) {
			;	/* an ACK of the SYN before the SYN-ACK */
		} else if ((f & TH_ACK) && peer->state == ZEP_ESTABLISHED) {
			/* the SYN was missed: established, not partial */
			ep_state(e, ZEP_ESTABLISHED);
			c->flags &= (uint8_t)~ZCF_PARTIAL;
			c->flags |= (uint8_t)(ZCF_SEEN0 << (is_orig ? c->orig : !c->orig));
		} else {
			ep_state(e, ZEP_PARTIAL);
		}
	}
	return close;
}

/* UpdateSYN_SentState(), UpdateEstablishedState(), UpdateClosedState();
 * true if the packet closes this side (ConnectionClosed()). */
static bool
state_machine(struct zc_conn *c, unsigned s, bool is_orig, const struct nb_packet *p)
{
	struct zc_ep *e = &c->ep[s], *peer = &c->ep[!s];
	uint8_t f = p->flags;

	switch (e->state) {
	case ZEP_INACTIVE:
		return st_inactive(c, s, is_orig, p);
	case ZEP_SYN_SENT:
	case ZEP_SYN_ACK_SENT:
		if (f & TH_FIN)
			ep_state(e, ZEP_CLOSED);
		if (f & TH_RST)
			ep_state(e, ZEP_RESET);
		return f & (TH_FIN | TH_RST);
	case ZEP_ESTABLISHED:
	case ZEP_PARTIAL:
		if ((f & TH_SYN) && e->state == ZEP_PARTIAL && peer->state == ZEP_INACTIVE &&
		    !(f & TH_ACK))
			ep_state(e, ZEP_SYN_SENT);
		if ((f & TH_FIN) && !(f & TH_RST)) {
			ep_state(e, ZEP_CLOSED);
			/* the peer's FIN then RST was a normal close after all */
			if (peer->state == ZEP_RESET && peer->prev == ZEP_CLOSED)
				ep_state(peer, ZEP_CLOSED);
		}
		if (f & TH_RST)
			ep_state(e, ZEP_RESET);
		return f & (TH_FIN | TH_RST);
	case ZEP_CLOSED:
		/* a RST after both FINs changes nothing */
		if ((f & TH_RST) && peer->state != ZEP_CLOSED) {
			ep_state(e, ZEP_RESET);
			return !e->did_close;
		}
		return false;
	default:
		return false;
	}
}

/* ConnectionClosed(): closed both ways (or by a RST, or with the other
 * side silent), the connection is removed tcp_close_delay after its last
 * time; the attempt timer is cancelled. */
static void
closed(struct zc_conn *c, unsigned s)
{
	struct zc_ep *e = &c->ep[s], *peer = &c->ep[!s];

	if (e->did_close)
		return;
	e->did_close = 1;
	if (e->state == ZEP_RESET || peer->did_close || peer->state == ZEP_INACTIVE) {
		if (!(c->flags & ZCF_CLOSING)) {
			c->flags |= ZCF_CLOSING;
			c->gone_at = c->last + TCP_CLOSE_DELAY;
		}
		c->flags &= (uint8_t)~ZCF_ATTEMPT;
	}
}

/* TCP_Reassembler.cc is_clean(): established, or closed from there */
static bool
clean(const struct zc_ep *e)
{
	return e->state == ZEP_ESTABLISHED ||
	    (e->state == ZEP_CLOSED && e->prev == ZEP_ESTABLISHED);
}

/* TCP_Reassembler::Gap(): a content gap counts (missed_bytes, 'G') only
 * while both sides are cleanly established or closing. */
static void
gap(struct zc_conn *c, unsigned s, uint64_t len)
{
	if (clean(&c->ep[s]) && clean(&c->ep[!s])) {
		zc_hist_scaled(c, s, 'G', &c->ep[s].n_gap);
		c->missed += len;
	}
}

/* TCP_Reassembler::Undelivered(): data acked that was never seen. The
 * reassembler here keeps one block past a hole, not Zeek's list. */
static void
undelivered(struct zc_conn *c, unsigned s, uint64_t up_to)
{
	struct zc_ep *e = &c->ep[s];

	/* a partial connection's first ack of numbers it made up */
	if (up_to <= 2 && (c->flags & ZCF_PARTIAL))
		return;
	if (!e->skip) {
		if (e->blk_hi > e->blk_lo && e->blk_lo >= e->reassem && e->blk_lo < up_to) {
			gap(c, s, e->blk_lo - e->reassem);
			e->reassem = e->blk_hi;
			e->blk_lo = e->blk_hi = 0;
		}
		if (up_to > e->reassem)
			gap(c, s, up_to - e->reassem);
	}
	if (up_to > e->reassem)
		e->reassem = up_to;
}

/* TCP_Reassembler::AckReceived() and TrimToSeq(): slot s's data acked
 * up to seq (its FIN not counted as data). */
static void
ack_received(struct zc_conn *c, unsigned s, uint64_t seq)
{
	struct zc_ep *e = &c->ep[s];

	if (e->fin_cnt > 0 && seq >= e->fin_seq)
		seq = e->fin_seq - 1;
	if (seq <= e->trim)
		return;
	if (seq > e->reassem)
		undelivered(c, s, seq);
	e->trim = seq;
	if (e->blk_hi <= seq)
		e->blk_lo = e->blk_hi = 0;
	else if (e->blk_lo < seq)
		e->blk_lo = seq;
}

/* TCP_Reassembler::DataSent() and NewBlock(): payload [seq, seq + len)
 * seen whole (a snap length that cuts it leaves a hole, as in Zeek). */
static void
data_sent(struct zc_ep *e, uint64_t seq, uint64_t len)
{
	uint64_t hi;

	if (e->skip)
		return;
	if (seq < e->ack) {
		if (seq + len <= e->ack)
			return;
		len -= e->ack - seq;
		seq = e->ack;
	}
	hi = seq + len;
	if (hi <= e->reassem)
		return;
	if (seq <= e->reassem) {
		e->reassem = hi;
		if (e->blk_hi > e->blk_lo && e->blk_lo <= e->reassem) {
			if (e->blk_hi > e->reassem)
				e->reassem = e->blk_hi;
			e->blk_lo = e->blk_hi = 0;
		}
		return;
	}
	if (e->blk_hi == e->blk_lo) {
		e->blk_lo = seq;
		e->blk_hi = hi;
	} else if (seq <= e->blk_hi && hi >= e->blk_lo) {
		e->blk_lo = seq < e->blk_lo ? seq : e->blk_lo;
		e->blk_hi = hi > e->blk_hi ? hi : e->blk_hi;
	} else if (seq < e->blk_lo) {
		e->blk_lo = seq;	/* the lower of two blocks is kept */
		e->blk_hi = hi;
	}
	/* nothing acked and much data above a hole: Zeek stops reassembling */
	if (e->ack <= 1 && e->blk_hi > e->blk_lo && e->blk_hi - e->reassem > TCP_MAX_ABOVE_HOLE) {
		e->blk_lo = e->blk_hi = 0;
		e->skip = 1;
	}
}

/* SetPartialStatus(): a connection whose first packets are no clean SYN */
static void
partial_status(struct zc_conn *c, unsigned s, bool is_orig, uint8_t f)
{
	if (c->flags & (ZCF_SEEN0 << s))
		return;
	if (is_orig) {
		c->flags = (uint8_t)((c->flags & ~ZCF_PARTIAL) |
		    (!(f & TH_SYN) || (f & TH_ACK) ? ZCF_PARTIAL : 0));
	} else if (!(c->flags & ZCF_PARTIAL) && !(f & TH_SYN)) {
		c->flags |= ZCF_PARTIAL;
	}
}

/* The acks in p for the other side's data: init_peer() if it has sent
 * nothing yet, else update_ack_seq() (not from a RST). Returns the ack
 * in the peer's relative space for AckReceived(). */
static uint64_t
take_ack(struct zc_ep *peer, const struct nb_packet *p)
{
	bool under = false;
	uint64_t rel;
	int32_t d;

	if (peer->state == ZEP_INACTIVE) {
		ep_seq_init(peer, p->ack - 1, 0);
		return 1;
	}
	rel = rel_seq(peer, p->ack, peer->ack, &under);
	if (under)
		return 0;
	d = seq_delta(p->ack, peer->start + (uint32_t)peer->ack);
	if (!(p->flags & TH_RST) && d > 0 && !(p->ack == 0 && d > TOO_LARGE_SEQ_DELTA))
		peer->ack += (uint64_t)d;
	return rel;
}

/* TCPSessionAdapter::Process() for one packet from slot s; caplen_l4:
 * the bytes captured after the TCP header. */
void
zc_tcp_packet(struct zc_conn *c, unsigned s, const struct nb_packet *p, size_t caplen_l4,
    uint64_t now)
{
	struct zc_ep *e = &c->ep[s], *peer = &c->ep[!s];
	uint8_t f = p->flags;
	bool is_orig = zc_is_orig(c, s), under = false, close;
	uint32_t len = p->payload_len;
	uint32_t seg = len + !!(f & TH_SYN) + !!(f & TH_FIN) - ((f & TH_RST) ? len : 0);
	uint64_t rel, rel_ack = 0;

	partial_status(c, s, is_orig, f);
	init_endpoint(e, f, p->seq, seg);
	rel = rel_seq(e, p->seq, e->last, &under);
	update_history(c, s, f, rel, len);
	/* update_window(): a zero window, unless with or after a RST or
	 * after the peer's FIN */
	if (p->window == 0 && !(f & TH_RST) && peer->state != ZEP_CLOSED && e->state != ZEP_RESET)
		zc_hist_scaled(c, s, 'W', &e->n_win0);
	if (!e->did_close || !peer->did_close)
		c->last = now;
	if ((f & TH_FIN) && e->fin_cnt < UINT16_MAX) {
		e->fin_cnt++;
		e->fin_seq = rel + seg;
	}
	if ((f & TH_RST) && e->rst_cnt < UINT16_MAX)
		e->rst_cnt++;
	if (f & TH_ACK)
		rel_ack = take_ack(peer, p);
	update_last(c, s, p->seq + seg, f, len);
	close = state_machine(c, s, is_orig, p);
	if (f & TH_ACK)
		ack_received(c, !s, rel_ack);
	if (len > 0 && !(f & TH_RST) && !under && caplen_l4 >= len)
		data_sent(e, (f & TH_SYN) ? rel + 1 : rel, len);
	c->flags |= (uint8_t)(ZCF_SEEN0 << (is_orig ? c->orig : !c->orig));
	if (close)
		closed(c, s);
}

/* ExpireTimer(): first tcp_SYN_timeout after the start, then every
 * tcp_session_timer; it removes a connection idle for tcp_connection_linger
 * with a side closed and the other closed, reset or silent, or with
 * neither side active. The first firing at or before now that finds it so. */
static bool
expired(const struct zc_conn *c, uint64_t now)
{
	const struct zc_ep *o = &c->ep[c->orig], *r = &c->ep[!c->orig];
	uint64_t first = c->start + TCP_SYN_TIMEOUT, t;

	if (now < first)
		return false;
	if (o->did_close || r->did_close) {
		if (!((o->did_close && r->did_close) || o->state == ZEP_RESET ||
		    r->state == ZEP_RESET || o->state == ZEP_INACTIVE || r->state == ZEP_INACTIVE))
			return false;
	} else if (!(o->state == ZEP_INACTIVE && r->state == ZEP_INACTIVE)) {
		return false;
	}
	/* the first firing after last + linger */
	t = first;
	if (c->last + TCP_LINGER >= first)
		t = first + ((c->last + TCP_LINGER - first) / TCP_SESSION_TIMER + 1) * TCP_SESSION_TIMER;
	return now >= t;
}

bool
zc_tcp_gone(const struct zc_conn *c, uint64_t now)
{
	const struct zc_ep *o = &c->ep[c->orig], *r = &c->ep[!c->orig];

	if ((c->flags & ZCF_CLOSING) && now >= c->gone_at)
		return true;
	/* AttemptTimer: a SYN never answered is given up on */
	if ((c->flags & ZCF_ATTEMPT) && now >= c->attempt_at + TCP_ATTEMPT_DELAY &&
	    (o->state == ZEP_SYN_SENT || o->state == ZEP_SYN_ACK_SENT) && r->state == ZEP_INACTIVE)
		return true;
	if (now >= c->last + TCP_INACTIVITY)
		return true;
	return expired(c, now);
}

bool
zc_tcp_reuse(const struct zc_conn *c, const struct nb_packet *p)
{
	const struct zc_ep *o = &c->ep[c->orig], *r = &c->ep[!c->orig];

	if (!(p->flags & TH_SYN))
		return false;
	if (p->flags & TH_ACK) {
		if (o->state != ZEP_INACTIVE)
			return false;	/* not a half connection */
		o = r;
	}
	if (!c->ep[0].did_close && !c->ep[1].did_close) {
		if (p->seq == o->start)
			return false;
		/* the SYN of a SYN-ACK seen first: a flip, not a reuse */
		if (!(p->flags & TH_ACK) && o->state == ZEP_SYN_ACK_SENT &&
		    r->state == ZEP_INACTIVE && p->seq == r->start)
			return false;
	}
	return true;
}
