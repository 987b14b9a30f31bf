/* tcpfsm.c -- TCP connection tracking as Linux nf_conntrack does it, plus FIN facts and Zeek history. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tcpfsm.h"

static const char *const state_names[TRK_STATE_MAX] = {
	[TCP_NONE] = "NONE",
	[TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECV] = "SYN_RECV",
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_FIN_WAIT] = "FIN_WAIT",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_CLOSE] = "CLOSE",
	[TCP_SYN_SENT2] = "SYN_SENT2",
	[TRK_UDP_UNREPLIED] = "UDP_UNREPLIED",
	[TRK_UDP_REPLIED] = "UDP_REPLIED",
	[TRK_ICMP] = "ICMP",
	[TRK_OTHER] = "OTHER",
	[TRK_GRE_UNREPLIED] = "GRE_UNREPLIED",
	[TRK_GRE_REPLIED] = "GRE_REPLIED",
};

static const char *const state_keys[TRK_STATE_MAX] = {
	[TCP_NONE] = "none",
	[TCP_SYN_SENT] = "syn_sent",
	[TCP_SYN_RECV] = "syn_recv",
	[TCP_ESTABLISHED] = "established",
	[TCP_FIN_WAIT] = "fin_wait",
	[TCP_CLOSE_WAIT] = "close_wait",
	[TCP_LAST_ACK] = "last_ack",
	[TCP_TIME_WAIT] = "time_wait",
	[TCP_CLOSE] = "close",
	[TCP_SYN_SENT2] = "syn_sent2",
	[TRK_UDP_UNREPLIED] = "udp_unreplied",
	[TRK_UDP_REPLIED] = "udp",
	[TRK_ICMP] = "icmp",
	[TRK_OTHER] = "other",
	[TRK_GRE_UNREPLIED] = "gre_unreplied",
	[TRK_GRE_REPLIED] = "gre",
};

const char *
tcp_state_name(unsigned s)
{
	return s < TRK_STATE_MAX ? state_names[s] : "?";
}

const char *
tcp_state_key(unsigned s)
{
	return s < TRK_STATE_MAX ? state_keys[s] : "?";
}

int
tcp_state_from_key(const char *key)
{
	for (int s = 0; s < TRK_STATE_MAX; s++)
		if (strcmp(state_keys[s], key) == 0)
			return s;
	return -1;
}

const char *
tcp_state_refresh_key(unsigned s)
{
	if (s == TRK_UDP_REPLIED)
		return "udp_replied";
	if (s == TRK_GRE_REPLIED)
		return "gre_replied";
	return tcp_state_key(s);
}

/* The kernel's classification order: RST, then SYN (SYN+ACK is synack),
 * then FIN, then ACK (get_conntrack_index() in nf_conntrack_proto_tcp.c). */
enum tcp_pkt_class
tcp_pkt_classify(uint8_t flags)
{
	if (flags & TH_RST)
		return TPC_RST;
	if (flags & TH_SYN)
		return (flags & TH_ACK) ? TPC_SYNACK : TPC_SYN;
	if (flags & TH_FIN)
		return TPC_FIN;
	if (flags & TH_ACK)
		return TPC_ACK;
	return TPC_NONE;
}

#define sNO TCP_NONE
#define sSS TCP_SYN_SENT
#define sSR TCP_SYN_RECV
#define sES TCP_ESTABLISHED
#define sFW TCP_FIN_WAIT
#define sCW TCP_CLOSE_WAIT
#define sLA TCP_LAST_ACK
#define sTW TCP_TIME_WAIT
#define sCL TCP_CLOSE
#define sS2 TCP_SYN_SENT2
#define sIV TCP_INVALID
#define sIG TCP_IGNORE

/* tcp_conntracks[dir][class][old state], copied cell by cell from the
 * kernel (recent kernels; ../shared/reference/timeouts.md reproduces it). */
static const uint8_t fsm[2][TPC_MAX][TCP_STATE_MAX] = {
	[DIR_ORIG] = {
		/*	     sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
		[TPC_SYN]    = { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
		[TPC_SYNACK] = { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
		[TPC_FIN]    = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		[TPC_ACK]    = { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
		[TPC_RST]    = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		[TPC_NONE]   = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
	[DIR_REPLY] = {
		/*	     sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
		[TPC_SYN]    = { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
		[TPC_SYNACK] = { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
		[TPC_FIN]    = { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
		[TPC_ACK]    = { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
		[TPC_RST]    = { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
		[TPC_NONE]   = { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
	},
};

enum tcp_state
tcp_fsm_next(enum tcp_state old, enum flow_dir dir, enum tcp_pkt_class c)
{
	if ((unsigned)old >= TCP_STATE_MAX || (unsigned)c >= TPC_MAX || dir > DIR_REPLY)
		return TCP_INVALID;
	return (enum tcp_state)fsm[dir][c][old];
}

/* Serial number arithmetic (RFC 1982), as the kernel's before()/after(). */
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

/* Options that only count on a SYN. */
static void
syn_options(struct tcp_dir *s, const struct nb_packet *p)
{
	if (p->opt.has_wscale) {
		s->flags |= TDF_WSCALE;
		s->scale = p->opt.wscale;
	}
	if (p->opt.sack_perm)
		s->flags |= TDF_SACK_PERM;
}

/* A direction's first look, from a SYN or mid-stream. */
static void
dir_init(struct tcp_dir *s, const struct nb_packet *p, uint32_t end)
{
	uint32_t win = p->window;

	s->end = end;
	if (p->flags & TH_SYN) {
		syn_options(s, p);
		s->maxend = end;
		s->maxwin = win ? win : 1;
	} else {
		win <<= s->scale;
		s->maxwin = win ? win : 1;
		s->maxend = end + s->maxwin;
	}
}

bool
tcp_track_new(struct tcp_track *t, const struct nb_packet *p, bool pickup)
{
	enum tcp_pkt_class c = tcp_pkt_classify(p->flags);
	uint32_t end = p->seq + decode_seglen(p);

	memset(t, 0, sizeof(*t));
	if (c == TPC_SYN) {
		t->state = TCP_SYN_SENT;
	} else if (c != TPC_ACK || !pickup) {
		/* tcp_new() asks the table's NONE column: only a SYN, or
		 * with loose pickup a plain ACK-class packet, starts a flow;
		 * a first SYN/ACK, FIN or RST is invalid. */
		return false;
	} else {
		/* nf_conntrack_tcp_loose: pick up mid-stream. The kernel
		 * leaves the state at ESTABLISHED (via its NONE column). */
		t->state = TCP_ESTABLISHED;
		t->flags |= TTF_PICKUP;
	}
	dir_init(&t->d[DIR_ORIG], p, end);
	if (!(p->flags & TH_SYN)) {
		/* Mid-stream: the receiver's window is unknown; take the ACK
		 * as its end so replies check out (kernel: td_end = sack). */
		t->d[DIR_REPLY].end = p->ack;
		t->d[DIR_REPLY].maxend = p->ack;
	}
	if (p->flags & TH_ACK) {
		t->d[DIR_ORIG].ack = p->ack;
		t->d[DIR_ORIG].flags |= TDF_MAXACK_SET;
	}
	t->d[DIR_ORIG].flags |= (c == TPC_SYN) ? TDF_SYN_SEEN : 0;
	if (p->flags & TH_FIN)
		t->d[DIR_ORIG].flags |= TDF_FIN_SEEN;
	if (p->payload_len)
		t->d[DIR_ORIG].flags |= TDF_DATA_SEEN;
	tcp_history_add(t, DIR_ORIG, p);
	return true;
}

/* Without window tracking: still keep the highest seq and ack per side,
 * which RST generation and the FIN-acknowledged fact need. */
static void
track_edges(struct tcp_track *t, enum flow_dir dir, const struct nb_packet *p)
{
	struct tcp_dir *s = &t->d[dir];
	uint32_t end = p->seq + decode_seglen(p);

	if (s->maxwin == 0) {
		if (p->flags & TH_SYN)
			syn_options(s, p);
		s->end = end;
		s->maxwin = p->window ? p->window : 1;
	} else if (after(end, s->end) && !(s->flags & TDF_FIN_SEEN)) {
		s->end = end;
	}
	if (p->flags & TH_ACK) {
		if (!(s->flags & TDF_MAXACK_SET) || after(p->ack, s->ack))
			s->ack = p->ack;
		s->flags |= TDF_MAXACK_SET;
	}
}

/* The facts natbox keeps beside the kernel's, after an accepted packet. */
static void
track_facts(struct tcp_track *t, enum flow_dir dir, const struct nb_packet *p)
{
	enum tcp_pkt_class c = tcp_pkt_classify(p->flags);
	struct tcp_dir *s = &t->d[dir], *o = &t->d[!dir];

	if (c == TPC_SYN || c == TPC_SYNACK)
		s->flags |= TDF_SYN_SEEN;
	if (p->flags & TH_FIN)
		s->flags |= TDF_FIN_SEEN;
	if (p->payload_len)
		s->flags |= TDF_DATA_SEEN;
	if (c == TPC_RST)
		s->flags |= TDF_RST_SEEN | TDF_LAST_RST;
	else
		s->flags &= ~TDF_LAST_RST;
	/* The FIN is acknowledged once the other side's ACK covers it (in
	 * kernel mode a side's end moves on after its FIN if it sends more,
	 * as the kernel's does: the FIN then counts as acknowledged later). */
	if ((p->flags & TH_ACK) && (o->flags & TDF_FIN_SEEN) &&
	    !before(p->ack, o->end))
		o->flags |= TDF_FIN_ACKED;
}

void
tcp_track_packet(struct tcp_track *t, struct tcp_last *k, enum flow_dir dir,
    const struct nb_packet *p, bool window, struct tcp_result *r)
{
	const struct tcp_conf c = { .window = window,
		.max_retrans = TCP_CONF_KERNEL_MAX_RETRANS };

	tcp_track_packet_conf(t, k, dir, p, &c, r);
}

static void legacy_packet(struct tcp_track *t, enum flow_dir dir,
    const struct nb_packet *p, struct tcp_result *r);

void
tcp_track_packet_conf(struct tcp_track *t, struct tcp_last *k, enum flow_dir dir,
    const struct nb_packet *p, const struct tcp_conf *conf, struct tcp_result *r)
{
	if (conf->window) {
		tcp_kern_packet(t, k, dir, p, conf, r);
		if (r->outcome == TO_OK || r->outcome == TO_KILL)
			track_facts(t, dir, p);
		return;
	}
	legacy_packet(t, dir, p, r);
}

/* Without window tracking: the kernel's state table, its reopen and
 * first-RST rules, and the highest seq and ack per side (RST generation
 * and the FIN facts need them); no sequence checks. */
static void
legacy_packet(struct tcp_track *t, enum flow_dir dir,
    const struct nb_packet *p, struct tcp_result *r)
{
	enum tcp_pkt_class c = tcp_pkt_classify(p->flags);
	enum tcp_state old = (enum tcp_state)t->state, ns;
	struct tcp_dir *s = &t->d[dir], *o = &t->d[!dir];

	r->outcome = TO_OK;
	r->old_state = r->new_state = (uint8_t)old;
	r->refresh = false;
	r->shorten = false;

	ns = tcp_fsm_next(old, dir, c);
	switch (ns) {
	case TCP_SYN_SENT:
		if (old < TCP_TIME_WAIT)
			break;
		/* RFC 1122 4.2.2.13: a SYN may reopen a connection from
		 * TIME-WAIT. The kernel also lets a SYN replace a flow that
		 * was closed (a FIN seen) or that this side just reset:
		 * delete, then look the packet up again as a new flow. */
		if (((s->flags | o->flags) & TDF_FIN_SEEN) || (s->flags & TDF_LAST_RST)) {
			r->outcome = TO_REOPEN;
			return;
		}
		r->outcome = TO_IGNORE;
		return;
	case TCP_IGNORE:
		/* The kernel remembers ignored SYN/ACKs to resync after a
		 * lost SYN; natbox accepts them and changes nothing. */
		r->outcome = TO_IGNORE;
		return;
	case TCP_INVALID:
		r->outcome = TO_INVALID_STATE;
		return;
	default:
		break;
	}

	track_edges(t, dir, p);
	track_facts(t, dir, p);

	if (!(t->flags & TTF_SEEN_REPLY)) {
		/* "If only reply is a RST, we can consider ourselves not to
		 * have an established connection" (kernel): delete now. */
		if (c == TPC_RST) {
			r->outcome = TO_KILL;
			r->new_state = TCP_CLOSE;
			t->state = TCP_CLOSE;
			return;
		}
		if (dir == DIR_REPLY)
			t->flags |= TTF_SEEN_REPLY;
	}
	if (!(t->flags & TTF_ASSURED) && (t->flags & TTF_SEEN_REPLY) &&
	    (old == TCP_SYN_RECV || old == TCP_ESTABLISHED) &&
	    ns == TCP_ESTABLISHED)
		t->flags |= TTF_ASSURED;

	t->state = (uint8_t)ns;
	r->new_state = (uint8_t)ns;
	/* A retransmitted SYN with no answer does not extend the flow's
	 * life; everything else the tracker accepts does. */
	r->refresh = !(old == TCP_SYN_SENT && ns == TCP_SYN_SENT &&
	    dir == DIR_ORIG && c == TPC_SYN);
}

/* History letter codes 1..12; 0 ends the sequence. */
static const char hist_letters[] = "?SHADFRshadfr";
enum { HL_S = 1, HL_H, HL_A, HL_D, HL_F, HL_R };

static unsigned
hist_get(const struct tcp_track *t, unsigned i)
{
	return (t->hist[i / 2] >> ((i & 1) * 4)) & 0xf;
}

/* Bits set in a byte, without libgcc's call where the target has no
 * popcount instruction. */
static inline unsigned
pop8(unsigned x)
{
	x = x - ((x >> 1) & 0x55);
	x = (x & 0x33) + ((x >> 2) & 0x33);
	return (x + (x >> 4)) & 0x0f;
}

/* The letters a packet can bring, by hist_key(): SYN, ACK, FIN and RST
 * and whether it carries payload, worked out once at compile time. */
#define HW(k) ((uint8_t)( \
	((k) & 0x02 ? 1u << ((k) & 0x08 ? HL_H : HL_S) : 0) | \
	((k) == 0x08 ? 1u << HL_A : 0) | \
	((k) & 0x10 ? 1u << HL_D : 0) | \
	((k) & 0x01 ? 1u << HL_F : 0) | \
	((k) & 0x04 ? 1u << HL_R : 0)))
#define HW4(k)	HW(k), HW((k) + 1), HW((k) + 2), HW((k) + 3)
#define HW16(k)	HW4(k), HW4((k) + 4), HW4((k) + 8), HW4((k) + 12)
static const uint8_t hist_want[32] = { HW16(0), HW16(16) };
#undef HW16
#undef HW4
#undef HW

/* FIN, SYN and RST in place, ACK as 0x08, payload as 0x10. */
static inline unsigned
hist_key(const struct nb_packet *p)
{
	return (p->flags & (TH_FIN | TH_SYN | TH_RST)) | (p->flags & TH_ACK) >> 1 |
	    (p->payload_len ? 0x10u : 0);
}

/* Zeek's letters: S SYN, H SYN+ACK, A pure ACK, D payload, F FIN, R RST;
 * upper case from the originator. Only the first of each is kept. */
void
tcp_history_add(struct tcp_track *t, enum flow_dir dir, const struct nb_packet *p)
{
	unsigned base = dir == DIR_ORIG ? 0 : 6, want, i;
	uint8_t *seen = &t->d[dir].hist_seen;

	/* Nearly every packet brings no new letter: one test, no scan. */
	want = hist_want[hist_key(p)] & ~(unsigned)*seen;
	if (want == 0)
		return;
	/* Each letter appears once, so the letters so far are as many as
	 * the bits set on both sides: append there, in code order (S H A D
	 * F R), lowest bit first. */
	i = pop8(t->d[0].hist_seen) + pop8(t->d[1].hist_seen);
	*seen |= (uint8_t)want;
	do {
		unsigned code = (unsigned)__builtin_ctz(want);

		t->hist[i / 2] |= (uint8_t)((base + code) << ((i & 1) * 4));
		i++;
		want &= want - 1;
	} while (want);
}

void
tcp_history_data(struct tcp_track *t, enum flow_dir dir)
{
	uint8_t *seen = &t->d[dir].hist_seen;
	unsigned i;

	if (*seen & (1u << HL_D))
		return;
	i = pop8(t->d[0].hist_seen) + pop8(t->d[1].hist_seen);
	*seen |= 1u << HL_D;
	t->hist[i / 2] |= (uint8_t)(((dir == DIR_ORIG ? 0 : 6) + HL_D) << ((i & 1) * 4));
}

void
tcp_history_str(const struct tcp_track *t, char buf[static 13])
{
	unsigned i, v;

	for (i = 0; i < 12 && (v = hist_get(t, i)) != 0; i++)
		buf[i] = hist_letters[v];
	buf[i] = '\0';
}

/* Where each letter first came in the history (codes 1..12 as in
 * hist_letters), -1 for letters not seen. Each letter appears once, so
 * the order of first appearances is all Zeek's rules below need. */
static void
hist_positions(const struct tcp_track *t, int pos[13])
{
	unsigned i, v;

	for (i = 0; i < 13; i++)
		pos[i] = -1;
	for (i = 0; i < 12 && (v = hist_get(t, i)) != 0; i++)
		pos[v] = (int)i;
}

/* Zeek's endpoint states (analyzer/protocol/tcp/TCP_Endpoint.h), as far
 * as the order of the letters tells them. */
enum zstate { ZS_INACTIVE, ZS_PARTIAL, ZS_SYN_SENT, ZS_ESTABLISHED, ZS_CLOSED, ZS_RESET };

/* One side's state at the end; b: its letters' base (0 orig, 6 reply).
 * A RST makes a side RESET, except that it stays CLOSED when it had sent
 * its FIN first and the peer sends one too (TCPSessionAdapter.cc,
 * UpdateClosedState: "If our peer was also closed, then don't change our
 * state now on a RST"; UpdateEstablishedState turns a FIN-then-RST peer
 * back to CLOSED on the other FIN). A FIN after its own RST changes
 * nothing (UpdateResetState). */
static enum zstate
zeek_side(const int pos[13], unsigned b)
{
	unsigned pb = b ? 0 : 6;	/* the peer's base */
	int first = 12, syn = pos[b + HL_S] >= 0 ? pos[b + HL_S] : pos[b + HL_H];

	if (pos[b + HL_R] >= 0 && !(pos[b + HL_F] >= 0 &&
	    pos[b + HL_F] < pos[b + HL_R] && pos[pb + HL_F] >= 0))
		return ZS_RESET;
	if (pos[b + HL_F] >= 0)
		return ZS_CLOSED;
	for (unsigned c = HL_S; c <= HL_R; c++)
		if (pos[b + c] >= 0 && pos[b + c] < first)
			first = pos[b + c];
	if (first == 12)
		return ZS_INACTIVE;
	if (b == 0 && syn == first)	/* opened with a SYN (or SYN-ACK) */
		return pos[pb + HL_S] >= 0 || pos[pb + HL_H] >= 0 ?
		    ZS_ESTABLISHED : ZS_SYN_SENT;
	if (b != 0 && syn >= 0)		/* the responder's SYN or SYN-ACK */
		return ZS_ESTABLISHED;
	/* UpdateInactiveState: a responder's pure ACKs to an unanswered SYN
	 * leave it inactive; an ACK after the peer's SYN-ACK establishes;
	 * anything else is a partial connection. */
	if (b != 0 && pos[b + HL_D] < 0 && pos[pb + HL_S] >= 0)
		return ZS_INACTIVE;
	if (b == 0 && pos[pb + HL_H] >= 0 && pos[pb + HL_H] < first)
		return ZS_ESTABLISHED;
	return ZS_PARTIAL;
}

/* Zeek's conn_state() (base/protocols/conn/main.zeek) over the endpoint
 * states above, in its order: the responder's RST before the
 * originator's. */
const char *
tcp_conn_state(const struct tcp_track *t)
{
	int pos[13];
	enum zstate os, rs;
	bool o_in, r_in;

	hist_positions(t, pos);
	os = zeek_side(pos, 0);
	rs = zeek_side(pos, 6);
	o_in = os == ZS_INACTIVE || os == ZS_PARTIAL;
	r_in = rs == ZS_INACTIVE || rs == ZS_PARTIAL;
	if (rs == ZS_RESET) {
		/* sizes 0: no payload either way */
		if (os == ZS_SYN_SENT || (os == ZS_RESET &&
		    pos[HL_D] < 0 && pos[6 + HL_D] < 0))
			return "REJ";
		return o_in ? "RSTRH" : "RSTR";
	}
	if (os == ZS_RESET) {
		if (!r_in)
			return "RSTO";
		/* history =~ ^?S[^HAFGIQ]*R: a SYN first, then no H, A or F
		 * from the originator before its RST */
		if (pos[HL_S] == 0 && (pos[HL_H] < 0 || pos[HL_H] > pos[HL_R]) &&
		    (pos[HL_A] < 0 || pos[HL_A] > pos[HL_R]) &&
		    (pos[HL_F] < 0 || pos[HL_F] > pos[HL_R]))
			return "RSTOS0";
		return "OTH";
	}
	if (os == ZS_CLOSED && rs == ZS_CLOSED)
		return "SF";
	if (os == ZS_CLOSED)
		return r_in ? "SH" : "S2";
	if (rs == ZS_CLOSED)
		return o_in ? "SHR" : "S3";
	if (os == ZS_SYN_SENT && rs == ZS_INACTIVE)
		return "S0";
	if (os == ZS_ESTABLISHED && rs == ZS_ESTABLISHED)
		return "S1";
	return "OTH";
}
