/* tcpkern.c -- TCP tracking as net/netfilter/nf_conntrack_proto_tcp.c does it: window checks, IGNORE, RST rules, resync. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tcpfsm.h"

/*
 * A port of nf_conntrack_tcp_packet(), tcp_in_window(), tcp_new() and
 * tcp_error() from mainline Linux (the text of 6.x, as in torvalds/linux
 * after the 2022-2023 rework: NFCT_TCP_IGNORE for segments under the
 * lower bound, the "bytes more than expected" work-around, re-init of a
 * SYN_SENT/SYN_RECV side on a higher ISN, closing-state RSTs unchecked,
 * nf_tcp_log_invalid() accepting what BE_LIBERAL lets through). Names
 * follow the kernel's: sender/receiver are t->d[dir] and t->d[!dir],
 * td_end/td_maxend/td_maxwin/td_maxack are end/maxend/maxwin/ack, the
 * last_* fields k's (struct tcp_last, kept beside the track). What the
 * kernel does not have and natbox keeps anyway (FIN facts, history) is
 * tcpfsm.c's.
 *
 * Not copied: NAT sequence offsets (natbox does not change sequence
 * numbers), SYN proxy and checksums.
 */

#define MAXACKWINCONST	66000

/* Flags the kernel keeps per direction (the rest are natbox's). */
#define TDF_KERNEL	(TDF_WSCALE | TDF_SACK_PERM | TDF_CLOSE_INIT | TDF_LIBERAL | \
			 TDF_DATA_UNACK | TDF_MAXACK_SET)

enum nfct_action { NFCT_IGNORE, NFCT_INVALID, NFCT_ACCEPT };

static inline bool
before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
after(uint32_t a, uint32_t b)
{
	return before(b, a);
}

static inline uint32_t
maxackwindow(const struct tcp_dir *s)
{
	return s->maxwin > MAXACKWINCONST ? s->maxwin : MAXACKWINCONST;
}

/* tcp_error()'s tcp_valid_flags[], indexed by FIN SYN RST ACK URG. */
bool
tcp_flags_valid(uint8_t flags)
{
	switch (flags & (TH_FIN | TH_SYN | TH_RST | TH_ACK | TH_URG)) {
	case TH_SYN:
	case TH_SYN | TH_URG:
	case TH_SYN | TH_ACK:
	case TH_RST:
	case TH_RST | TH_ACK:
	case TH_FIN | TH_ACK:
	case TH_FIN | TH_ACK | TH_URG:
	case TH_ACK:
	case TH_ACK | TH_URG:
		return true;
	default:
		return false;
	}
}

static inline unsigned
last_index(const struct tcp_last *k)
{
	return k->index & TKL_INDEX;
}

static inline unsigned
last_dir(const struct tcp_last *k)
{
	return (k->index & TKL_DIR) ? DIR_REPLY : DIR_ORIG;
}

static inline void
set_last(struct tcp_last *k, unsigned index, enum flow_dir dir)
{
	k->index = (uint8_t)(index | (dir == DIR_REPLY ? TKL_DIR : 0));
}

/* tcp_options(): a packet with options resets the side's scale and
 * flags (BE_LIBERAL kept) before reading them; one without leaves them. */
static void
tcp_options(struct tcp_dir *s, const struct nb_packet *p)
{
	if (p->thlen <= 20)
		return;
	s->scale = 0;
	s->flags &= (uint16_t)~(TDF_KERNEL & ~TDF_LIBERAL);
	if (p->opt.sack_perm)
		s->flags |= TDF_SACK_PERM;
	if (p->opt.has_wscale) {
		s->scale = p->opt.wscale;
		s->flags |= TDF_WSCALE;
	}
}

/* tcp_init_sender(): a SYN/ACK answering a SYN, a reply SYN of a
 * simultaneous open, or a re-initialised side. */
static void
init_sender(struct tcp_dir *s, struct tcp_dir *r, const struct nb_packet *p,
    uint32_t end, enum flow_dir dir)
{
	s->end = s->maxend = end;
	s->maxwin = p->window ? p->window : 1;
	tcp_options(s, p);
	/* RFC 1323: both sides must send Window Scale for it to apply */
	if (dir == DIR_REPLY && !((s->flags & TDF_WSCALE) && (r->flags & TDF_WSCALE)))
		s->scale = r->scale = 0;
}

/* The tracker as tcp_track_new() left it, brought to what tcp_new() and
 * the kernel's run of the first packet leave (tcp_track_new() serves both
 * modes, and a flow's tracker can come from a profile without window
 * tracking). A flow that saw more than its first packet is taken as the
 * kernel takes one it picks up: liberal both ways. */
static void
kern_init(struct tcp_track *t, struct tcp_last *k)
{
	struct tcp_dir *o = &t->d[DIR_ORIG], *y = &t->d[DIR_REPLY];
	bool fresh = y->maxwin == 0;

	memset(k, 0, sizeof(*k));
	t->flags |= TTF_KERN;
	if (t->state == TCP_SYN_SENT && !(t->flags & TTF_PICKUP) && fresh) {
		/* the SYN's own pass through tcp_in_window(): receiver
		 * td_maxend = 0 + win (at least 1), kept in maxwin */
		y->maxend = o->maxwin;
		set_last(k, TPC_SYN, DIR_ORIG);
		return;
	}
	o->flags |= TDF_SACK_PERM | TDF_LIBERAL;
	y->flags |= TDF_SACK_PERM | TDF_LIBERAL;
	if (fresh) {
		/* tcp_new() leaves the receiver alone, and the pickup's
		 * ACK fails the (liberal) upper bound: nothing updated */
		y->end = y->maxend = 0;
		o->flags &= (uint16_t)~TDF_MAXACK_SET;
		o->ack = 0;
		set_last(k, TPC_ACK, DIR_ORIG);
	} else {
		set_last(k, TPC_NONE, DIR_ORIG);
	}
}

/* tcp_in_window() up to its checks: the sender's first look and re-init. */
static bool
window_init(struct tcp_track *t, enum flow_dir dir, const struct nb_packet *p,
    uint32_t end, uint32_t sack)
{
	struct tcp_dir *s = &t->d[dir], *r = &t->d[!dir];
	uint32_t swin;

	if (s->maxwin == 0) {
		if (p->flags & TH_SYN) {
			init_sender(s, r, p, end, dir);
			/* simultaneous open */
			return !(p->flags & TH_ACK);
		}
		/* mid-connection: take what the packet says */
		s->end = end;
		swin = (uint32_t)p->window << s->scale;
		s->maxwin = swin ? swin : 1;
		s->maxend = end + s->maxwin;
		if (r->maxwin == 0)
			r->end = r->maxend = sack;	/* pass III and IV until it speaks */
		else if (sack == r->end + 1)
			r->end++;	/* likely a reply to a keepalive */
	} else if ((p->flags & TH_SYN) && after(end, s->end) &&
	    (t->state == TCP_SYN_SENT || t->state == TCP_SYN_RECV)) {
		/* RFC 793: a reinitialised TCP uses higher sequence numbers */
		init_sender(s, r, p, end, dir);
		return dir == DIR_REPLY && !(p->flags & TH_ACK);
	}
	return false;
}

/* nf_tcp_log_invalid(): a liberal sender is never out of window. */
static inline enum nfct_action
oow(const struct tcp_dir *s, const struct tcp_conf *c, enum nfct_action a)
{
	return (c->liberal || (s->flags & TDF_LIBERAL)) ? NFCT_ACCEPT : a;
}

/* The sender's and receiver's data, and retransmission counting, after
 * an in-window packet. */
static void
window_update(struct tcp_track *t, struct tcp_last *k,
    enum flow_dir dir, const struct nb_packet *p, unsigned index, uint32_t seq,
    uint32_t ack, uint32_t sack, uint32_t end)
{
	struct tcp_dir *s = &t->d[dir], *r = &t->d[!dir];
	uint32_t win = p->window, swin;

	if (!(p->flags & TH_SYN))
		win <<= s->scale;
	swin = win + (sack - ack);
	if (s->maxwin < swin)
		s->maxwin = swin;
	if (after(end, s->end)) {
		s->end = end;
		s->flags |= TDF_DATA_UNACK;
	}
	if (p->flags & TH_ACK) {
		if (!(s->flags & TDF_MAXACK_SET) || after(ack, s->ack))
			s->ack = ack;
		s->flags |= TDF_MAXACK_SET;
	}
	if (r->maxwin != 0 && after(end, s->maxend))
		r->maxwin += end - s->maxend;
	if (after(sack + win, r->maxend - 1)) {
		r->maxend = sack + win;
		if (win == 0)
			r->maxend++;
	}
	if (ack == r->end)
		r->flags &= (uint16_t)~TDF_DATA_UNACK;
	if (index != TPC_ACK)
		return;
	if (last_dir(k) == (unsigned)dir && k->end == end && k->len == (uint16_t)(end - seq) &&
	    k->ack == ack && k->win == p->window) {
		if (k->retrans < UINT8_MAX)
			k->retrans++;
	} else {
		set_last(k, last_index(k), dir);
		k->end = end;
		k->len = (uint16_t)(end - seq);
		k->ack = ack;
		k->win = p->window;
		k->retrans = 0;
	}
}

/* tcp_in_window() */
static enum nfct_action
in_window(struct tcp_track *t, struct tcp_last *k,
    enum flow_dir dir, const struct nb_packet *p, unsigned index, const struct tcp_conf *c)
{
	struct tcp_dir *s = &t->d[dir], *r = &t->d[!dir];
	uint32_t seq = p->seq, ack = p->ack, sack = p->ack, end;

	end = seq + decode_seglen(p);
	if ((r->flags & TDF_SACK_PERM) && p->opt.has_sack)
		sack = p->opt.sack;
	if (window_init(t, dir, p, end, sack))
		return NFCT_ACCEPT;

	if (!(p->flags & TH_ACK))
		ack = sack = r->end;	/* no ACK: pretend it was set and fine */
	else if ((p->flags & TH_RST) && ack == 0)
		ack = sack = r->end;	/* broken stacks: RST+ACK with ack 0 */
	if ((p->flags & TH_RST) && seq == 0 && t->state == TCP_SYN_SENT)
		seq = end = s->end;	/* RST answering a SYN */

	if (!before(seq, s->maxend + 1)) {
		uint32_t overshot = end - s->maxend + 1;
		bool ack_ok = after(sack, r->end - maxackwindow(s) - 1);
		bool in_recv = r->maxwin && after(end, s->end - r->maxwin - 1);

		if (in_recv && ack_ok && overshot <= r->maxwin && before(sack, r->end + 1)) {
			/* more than the window allows: move the end so an ACK
			 * of it is not over the upper bound later */
			s->end = end;
			s->flags |= TDF_DATA_UNACK;
			return oow(s, c, NFCT_IGNORE);
		}
		return oow(s, c, NFCT_INVALID);	/* SEQ over the upper bound */
	}
	if (!before(sack, r->end + 1))
		return oow(s, c, NFCT_INVALID);	/* ACK of data not seen yet */
	if (r->maxwin && !after(end, s->end - r->maxwin - 1))
		return oow(s, c, NFCT_IGNORE);	/* already ACKed data resent */
	if (!after(sack, r->end - maxackwindow(s) - 1))
		return oow(s, c, NFCT_IGNORE);	/* overly delayed ACK */
	window_update(t, k, dir, p, index, seq, ack, sack, end);
	return NFCT_ACCEPT;
}

static inline bool
established(const struct tcp_track *t)
{
	return t->state == TCP_ESTABLISHED && (t->flags & TTF_ASSURED);
}

/* The IGNORE case: resync on a SYN/ACK answering a SYN ignored earlier,
 * else annotate. Returns true if the packet goes on (resynced). */
static bool
ignored(struct tcp_track *t, struct tcp_last *k,
    enum flow_dir dir, const struct nb_packet *p, unsigned index, enum tcp_state *old,
    enum tcp_state *ns)
{
	unsigned ld = last_dir(k);

	if (index == TPC_SYNACK && last_index(k) == TPC_SYN && ld != (unsigned)dir &&
	    p->ack == k->end) {
		/* client and server are in sync, we are not: take the
		 * SYN's annotated values */
		struct tcp_dir *l = &t->d[ld], *s = &t->d[dir];

		*old = TCP_SYN_SENT;
		*ns = TCP_SYN_RECV;
		l->end = l->maxend = k->end;
		l->maxwin = k->win ? k->win : 1;
		l->scale = k->wscale;
		k->flags &= (uint8_t)~TKF_CHALLENGE;
		l->flags &= (uint16_t)~TDF_KERNEL;
		l->flags |= (k->flags & TKF_WSCALE ? TDF_WSCALE : 0) |
		    (k->flags & TKF_SACK_PERM ? TDF_SACK_PERM : 0);
		s->end = s->maxend = s->maxwin = s->ack = 0;
		s->scale = 0;
		s->flags &= (uint16_t)~(TDF_KERNEL & ~TDF_LIBERAL);
		return true;
	}
	set_last(k, index, dir);
	k->end = p->seq + decode_seglen(p);
	k->len = (uint16_t)decode_seglen(p);
	k->win = p->window;
	if (index == TPC_SYN && dir == DIR_ORIG) {
		/* a SYN we let through: if the server answers it with a
		 * SYN/ACK we resync from these */
		k->flags = 0;
		k->wscale = 0;
		if (p->thlen > 20 && p->opt.has_wscale) {
			k->flags |= TKF_WSCALE;
			k->wscale = p->opt.wscale;
		}
		if (p->thlen > 20 && p->opt.sack_perm)
			k->flags |= TKF_SACK_PERM;
		/* RFC 5961: its challenge ACK must not close LAST_ACK */
		if (*old == TCP_LAST_ACK)
			k->flags |= TKF_CHALLENGE;
	}
	if (*old == TCP_SYN_SENT && index == TPC_ACK && dir == DIR_REPLY)
		k->ack = p->ack;	/* possible challenge ACK to the SYN */
	return false;
}

enum rst_verdict { RST_CHECK, RST_INVALID, RST_SKIP };

/* The RST rules before the window check (the CLOSE case). */
static enum rst_verdict
rst_rules(struct tcp_track *t, struct tcp_last *k,
    enum flow_dir dir, const struct nb_packet *p, const struct tcp_conf *c,
    enum tcp_state old, enum tcp_state *ns)
{
	const struct tcp_dir *o = &t->d[!dir];
	unsigned li = last_index(k);

	/* closing: the tuple may be reused already, skip validation */
	if (t->state >= TCP_FIN_WAIT && t->state <= TCP_CLOSE)
		return RST_SKIP;
	/* the kernel's `break`s here leave its switch: straight to the
	 * window check, past the exemptions below */
	if ((o->flags & TDF_MAXACK_SET) && li != TPC_SYN) {
		/* SEQ 0 outside ESTABLISHED: likely answers a SYN let through */
		if (p->seq == 0 && !established(t))
			return RST_CHECK;
		if (before(p->seq, o->ack) && !c->ignore_invalid_rst)
			return RST_INVALID;
		if (!established(t) || p->seq == o->ack)
			return RST_CHECK;
		/* the RST of a train: P seq..end, then R end */
		if (li == TPC_ACK && last_dir(k) == (unsigned)dir && p->seq == k->end)
			return RST_CHECK;
		/* not exact: keep the state, a challenge ACK may follow (RFC 5961) */
		*ns = old;
	}
	/* answers a SYN (from the other side: upstream bed6e04be8e6, "do not
	 * force CLOSE on invalid-seq RST without direction check", in 6.18
	 * and the stable trees) or an ACK we let through */
	if ((((t->flags & TTF_SEEN_REPLY) && li == TPC_SYN && last_dir(k) != (unsigned)dir) ||
	    (!(t->flags & TTF_ASSURED) && li == TPC_ACK)) && p->ack == k->end)
		return RST_SKIP;
	if (old == TCP_SYN_SENT && li == TPC_ACK && last_dir(k) == DIR_REPLY &&
	    p->seq == k->ack)
		return RST_SKIP;	/* answers a challenge ACK we let through */
	return RST_CHECK;
}

/* The cases of nf_conntrack_tcp_packet()'s switch before the window
 * check. TO_OK: go on to it (skip: without it). */
static enum tcp_outcome
state_rules(struct tcp_track *t, struct tcp_last *k,
    enum flow_dir dir, const struct nb_packet *p, const struct tcp_conf *c,
    unsigned index, enum tcp_state *old, enum tcp_state *ns, bool *skip)
{
	const struct tcp_dir *s = &t->d[dir], *o = &t->d[!dir];

	switch (*ns) {
	case TCP_SYN_SENT:
		if (*old < TCP_TIME_WAIT)
			break;
		/* RFC 1122 4.2.2.13, and aborted connections: reopen a
		 * closed flow, or one this side reset last */
		if (((s->flags | o->flags) & TDF_CLOSE_INIT) ||
		    (last_dir(k) == (unsigned)dir && last_index(k) == TPC_RST))
			return TO_REOPEN;
		/* FALLTHROUGH */
	case TCP_IGNORE:
		if (!ignored(t, k, dir, p, index, old, ns))
			return TO_IGNORE;
		break;
	case TCP_INVALID:
		return TO_INVALID_STATE;
	case TCP_TIME_WAIT:
		/* RFC 5961: a challenge ACK to a SYN in LAST_ACK does not
		 * acknowledge the last FIN */
		if (*old == TCP_LAST_ACK && index == TPC_ACK && last_dir(k) != (unsigned)dir &&
		    last_index(k) == TPC_SYN && (k->flags & TKF_CHALLENGE)) {
			k->flags &= (uint8_t)~TKF_CHALLENGE;
			return TO_IGNORE;
		}
		break;
	case TCP_SYN_SENT2:
		k->flags |= TKF_SIM_OPEN;
		break;
	case TCP_SYN_RECV:
		if (dir == DIR_REPLY && index == TPC_ACK && (k->flags & TKF_SIM_OPEN))
			*ns = TCP_ESTABLISHED;
		break;
	case TCP_CLOSE:
		if (index != TPC_RST)
			break;
		switch (rst_rules(t, k, dir, p, c, *old, ns)) {
		case RST_INVALID:
			return TO_INVALID_WINDOW;
		case RST_SKIP:
			*skip = true;
			break;
		case RST_CHECK:
			break;
		}
		break;
	default:
		break;
	}
	return TO_OK;
}

/* nf_tcp_handle_invalid(): an out-of-window FIN or RST of an ASSURED
 * flow is remembered as the last packet, unless it answers the other
 * side's: then the flow is taken for dead and its timer, if 120 s or
 * more are left, cut to timeout.unacknowledged (the engine does that:
 * returns true). */
static bool
handle_invalid(struct tcp_track *t, struct tcp_last *k,
    enum flow_dir dir, unsigned index)
{
	unsigned li = last_index(k);

	if (!(t->flags & TTF_ASSURED) || (index != TPC_RST && index != TPC_FIN))
		return false;
	if (last_dir(k) != (unsigned)dir && (li == TPC_FIN || li == TPC_RST))
		return true;
	set_last(k, index, dir);
	return false;
}

/* tcp_new() and the first packet's run through nf_conntrack_tcp_packet().
 * A SYN is index SYN, so last_win stays 0. A pickup's ACK meets a
 * receiver tcp_new() left empty (td_end 0): it is in the window only if
 * its (S)ACK is 0 or just below, and then recorded as the last packet;
 * any other is let through liberally with nothing recorded. Either way
 * the timer ladder may see last_win == 0 (timeout.max_retrans). */
void
tcp_kern_new(struct tcp_track *t, struct tcp_last *k, const struct nb_packet *p,
    const struct tcp_conf *c)
{
	kern_init(t, k);
	if (t->flags & TTF_PICKUP) {
		(void)in_window(t, k, DIR_ORIG, p, TPC_ACK, c);
		t->flags |= TTF_NO_REPLY;
	}
	if (k->win == 0)
		t->flags |= TTF_ZERO_WIN;
}

void
tcp_kern_packet(struct tcp_track *t, struct tcp_last *k,
    enum flow_dir dir, const struct nb_packet *p, const struct tcp_conf *c,
    struct tcp_result *r)
{
	unsigned index = (unsigned)tcp_pkt_classify(p->flags);
	enum tcp_state old = (enum tcp_state)t->state, ns;
	bool skip = false, seen_reply = t->flags & TTF_SEEN_REPLY;
	enum nfct_action a;

	r->old_state = r->new_state = (uint8_t)old;
	r->refresh = false;
	r->shorten = false;
	if (!(t->flags & TTF_KERN))
		kern_init(t, k);
	if (!tcp_flags_valid(p->flags)) {
		r->outcome = TO_INVALID_STATE;	/* tcp_error() */
		return;
	}
	ns = tcp_fsm_next(old, dir, (enum tcp_pkt_class)index);
	r->outcome = state_rules(t, k, dir, p, c, index, &old, &ns, &skip);
	if (r->outcome == TO_OK && !skip) {
		a = in_window(t, k, dir, p, index, c);
		r->outcome = a == NFCT_ACCEPT ? TO_OK : a == NFCT_IGNORE ? TO_IGNORE :
		    TO_INVALID_WINDOW;
		if (a == NFCT_INVALID)
			r->shorten = handle_invalid(t, k, dir, index);
	}
	/* nf_conntrack_in() marks a reply seen once its packet is
	 * accepted, ignored ones too */
	if (r->outcome == TO_IGNORE && dir == DIR_REPLY)
		t->flags |= TTF_SEEN_REPLY;
	if (r->outcome != TO_OK)
		return;

	set_last(k, index, dir);
	t->state = (uint8_t)ns;
	r->new_state = (uint8_t)ns;
	if (old != ns && ns == TCP_FIN_WAIT)
		t->d[dir].flags |= TDF_CLOSE_INIT;
	/* the timer ladder's facts (timeout.c) */
	t->flags &= (uint8_t)~(TTF_RETRANS | TTF_RST | TTF_ZERO_WIN | TTF_NO_REPLY);
	if (k->retrans >= c->max_retrans)
		t->flags |= TTF_RETRANS;
	if (index == TPC_RST)
		t->flags |= TTF_RST;
	if (k->win == 0)
		t->flags |= TTF_ZERO_WIN;
	r->refresh = true;
	if (!seen_reply) {
		/* only reply a RST: not a connection, delete it now */
		if (p->flags & TH_RST) {
			r->outcome = TO_KILL;
			r->new_state = TCP_CLOSE;
			t->state = TCP_CLOSE;
			return;
		}
		/* a retransmitted SYN does not extend the flow's life */
		if (index == TPC_SYN && old == TCP_SYN_SENT)
			r->refresh = false;
		if (ns == TCP_ESTABLISHED)
			t->flags |= TTF_NO_REPLY;
	} else if (!(t->flags & TTF_ASSURED) &&
	    (old == TCP_SYN_RECV || old == TCP_ESTABLISHED) && ns == TCP_ESTABLISHED) {
		t->flags |= TTF_ASSURED;
	}
	if (dir == DIR_REPLY)
		t->flags |= TTF_SEEN_REPLY;
}
