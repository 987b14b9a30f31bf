/* tcpfsm.h -- the Linux nf_conntrack TCP state machine, plus per-direction facts. */
#ifndef NATBOX_TCPFSM_H
#define NATBOX_TCPFSM_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

/* Same order as the kernel's enum tcp_conntrack, so tables line up. */
enum tcp_state {
	TCP_NONE = 0,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
	TCP_CLOSE,
	TCP_SYN_SENT2,
	TCP_STATE_MAX,
	/* The other protocols' tracker states (track.h) share the number
	 * space, so a flow's state and timer are one byte whatever its
	 * protocol, and a profile's timeouts one array. */
	TRK_UDP_UNREPLIED = TCP_STATE_MAX,	/* traffic one way only */
	TRK_UDP_REPLIED,	/* both ways, for 2 s or more (the kernel's stream) */
	TRK_ICMP,		/* an ICMP/ICMPv6 query (echo...) session */
	TRK_OTHER,		/* any other IP protocol: an address pair */
	TRK_GRE_UNREPLIED,	/* GRE, before the reply direction's second packet */
	TRK_GRE_REPLIED,	/* GRE after a reply (the kernel's stream timer) */
	TRK_STATE_MAX,
	/* pseudo-states, only as results of tcp_fsm_next() */
	TCP_IGNORE = TRK_STATE_MAX,
	TCP_INVALID,
};

/* "ESTABLISHED", "FIN_WAIT", "UDP_UNREPLIED", ...; unknown values give "?" */
const char *tcp_state_name(unsigned s);
/* "established", "fin_wait", "udp_unreplied", "udp", ...: the
 * profile-key spelling (timeout.KEY) */
const char *tcp_state_key(unsigned s);
/* inverse of tcp_state_key(); -1 if unknown */
int tcp_state_from_key(const char *key);
/* The state's refresh.KEY: tcp_state_key(), but "udp_replied" and
 * "gre_replied" (refresh.udp and refresh.gre are the groups of both of
 * the protocol's timers). */
const char *tcp_state_refresh_key(unsigned s);

enum flow_dir { DIR_ORIG = 0, DIR_REPLY = 1 };

/* Packet classes of the kernel table, in its row order. */
enum tcp_pkt_class { TPC_SYN = 0, TPC_SYNACK, TPC_FIN, TPC_ACK, TPC_RST, TPC_NONE, TPC_MAX };
enum tcp_pkt_class tcp_pkt_classify(uint8_t flags);

/* The bare kernel transition table: new state (or TCP_IGNORE/TCP_INVALID). */
enum tcp_state tcp_fsm_next(enum tcp_state old, enum flow_dir dir, enum tcp_pkt_class c);

/* Per-direction facts (the kernel's ip_ct_tcp_state, plus FIN facts). */
#define TDF_SYN_SEEN	0x0001
#define TDF_FIN_SEEN	0x0002	/* this side sent a FIN; fin seq = end - 1 */
#define TDF_FIN_ACKED	0x0004	/* the other side acknowledged that FIN */
#define TDF_RST_SEEN	0x0008
#define TDF_MAXACK_SET	0x0010
#define TDF_WSCALE	0x0020	/* this side offered window scaling */
#define TDF_SACK_PERM	0x0040
#define TDF_DATA_UNACK	0x0080	/* this side has data in flight not yet acked */
#define TDF_DATA_SEEN	0x0100	/* this side sent payload (history 'D') */
#define TDF_LAST_RST	0x0200	/* the last packet from this side was a RST */
/* Kernel mode only (tcpkern.c), the kernel's IP_CT_TCP_FLAG_*: */
#define TDF_CLOSE_INIT	0x0400	/* this side's FIN moved the flow to FIN_WAIT */
#define TDF_LIBERAL	0x0800	/* IP_CT_TCP_FLAG_BE_LIBERAL: never out of window */

struct tcp_dir {
	uint32_t end;		/* highest seq + seglen sent (snd.nxt as seen) */
	uint32_t maxend;	/* highest ack + window of the other side */
	uint32_t maxwin;	/* largest (scaled) window advertised */
	uint32_t ack;		/* highest ack this side sent (its rcv.nxt) */
	uint16_t flags;		/* TDF_* */
	uint8_t scale;		/* window scale shift */
	uint8_t hist_seen;	/* history letters already recorded from this side */
};

#define TTF_SEEN_REPLY	0x01	/* a packet in the reply direction was seen */
#define TTF_ASSURED	0x02	/* established in both directions */
#define TTF_PICKUP	0x04	/* created mid-stream (loose pickup) */
/* Facts of the last accepted packet the kernel's timer ladder reads
 * (kernel mode only; nf_conntrack_tcp_packet()): */
#define TTF_RETRANS	0x08	/* retrans >= tcp_max_retrans: timeout.max_retrans */
#define TTF_RST		0x10	/* it was a RST: timeout.close, whatever the state */
#define TTF_ZERO_WIN	0x20	/* last_win == 0: timeout.max_retrans */
#define TTF_NO_REPLY	0x40	/* ESTABLISHED before any reply: timeout.unacknowledged */
#define TTF_KERN	0x80	/* kernel mode set up this flow's struct tcp_last */

/* The kernel's per-conntrack memory of the last packet (struct ip_ct_tcp's
 * last_* fields), kernel mode only. It is kept beside the track, not in
 * it (the flow table keeps one per slot, touched only in kernel mode), and
 * belongs to the track once TTF_KERN is set: tcp_track_new() clears the
 * flag, so a reused slot's old memory is never read. */
#define TKL_INDEX	0x07	/* last_index: enum tcp_pkt_class */
#define TKL_DIR		0x08	/* last_dir: DIR_REPLY */
#define TKF_WSCALE	0x01	/* last_flags: IP_CT_TCP_FLAG_WINDOW_SCALE */
#define TKF_SACK_PERM	0x02	/* IP_CT_TCP_FLAG_SACK_PERM */
#define TKF_CHALLENGE	0x40	/* IP_CT_EXP_CHALLENGE_ACK */
#define TKF_SIM_OPEN	0x80	/* IP_CT_TCP_SIMULTANEOUS_OPEN */

struct tcp_last {
	uint32_t end;		/* last_end */
	uint32_t ack;		/* last_ack */
	uint16_t len;		/* last_end - last_seq (an IP packet's TCP
				 * sequence length fits 16 bits) */
	uint16_t win;		/* last_win, raw */
	uint8_t index;		/* TKL_* */
	uint8_t flags;		/* TKF_*: last_flags */
	uint8_t wscale;		/* last_wscale */
	uint8_t retrans;	/* retrans, saturating */
};

struct tcp_track {
	uint8_t state;		/* enum tcp_state */
	uint8_t flags;		/* TTF_* */
	uint8_t hist[6];	/* Zeek history: up to 12 letter codes, 4 bits
				 * each, in order of first appearance */
	union {
		struct tcp_dir d[2];
		/* UDP, ICMP and other flows (track.h). born overlays
		 * d[0].end and d[0].maxend, the ICMP request d[0].maxwin:
		 * d[].flags and hist_seen keep their meaning (zero flags,
		 * history letters). */
		struct {
			/* ns, the flow's first packet, in two halves so
			 * the track keeps 4-byte alignment (struct flow
			 * stays 120 bytes): dgram_born() */
			uint32_t born_lo, born_hi;
			/* an ICMP query flow: its request's type and code,
			 * part of its key (flowtab_lookup()) */
			uint8_t icmp_type, icmp_code;
		} dg;
	};
};

/* What tcp_track_packet() concluded about one packet. */
enum tcp_outcome {
	TO_OK = 0,		/* tracked; state may have changed */
	TO_IGNORE,		/* kernel IGNORE: accepted, state and timer untouched */
	TO_INVALID_STATE,	/* kernel INVALID by the transition table */
	TO_INVALID_WINDOW,	/* out of window (window tracking on) */
	TO_REOPEN,		/* SYN reopening a closed/aborted flow: delete, look up again */
	TO_KILL,		/* RST before any reply: delete the flow now */
};

struct tcp_result {
	enum tcp_outcome outcome;
	uint8_t old_state, new_state;
	bool refresh;		/* false: this packet must not restart the timer */
	bool shorten;		/* an invalid FIN or RST answering the other
				 * side's cuts a long timer to
				 * timeout.unacknowledged (kernel mode) */
};

/* Start tracking from the first packet of a flow (dir is DIR_ORIG).
 * Returns false if the packet cannot start a flow under these rules:
 * a SYN starts SYN_SENT; anything else but RST is a mid-stream pickup
 * (ESTABLISHED, TTF_PICKUP) and is allowed only if pickup is true. */
bool tcp_track_new(struct tcp_track *t, const struct nb_packet *p, bool pickup);

/* How a tracker runs. window off: the state table and FIN facts only
 * (no sequence checks). window on: nf_conntrack_proto_tcp.c itself
 * (tcpkern.c), with the kernel's sysctls that change tracking. */
struct tcp_conf {
	bool window;
	bool liberal;		/* nf_conntrack_tcp_be_liberal */
	bool ignore_invalid_rst;	/* nf_conntrack_tcp_ignore_invalid_rst */
	uint8_t max_retrans;	/* nf_conntrack_tcp_max_retrans */
};
#define TCP_CONF_KERNEL_MAX_RETRANS	3

/* Run one packet through the tracker. k is the track's kernel memory
 * (struct tcp_last), needed with c->window; NULL without. */
void tcp_track_packet_conf(struct tcp_track *t, struct tcp_last *k, enum flow_dir dir,
    const struct nb_packet *p, const struct tcp_conf *c, struct tcp_result *r);
/* The same with the kernel's default sysctls: window says whether to
 * track as the kernel does (nf_conntrack_tcp_be_liberal=0) or not at all. */
void tcp_track_packet(struct tcp_track *t, struct tcp_last *k, enum flow_dir dir,
    const struct nb_packet *p, bool window, struct tcp_result *r);
/* tcp_error()'s table: a flag combination the kernel accepts (PSH, ECE
 * and CWR aside: SYN, SYN+URG, SYN+ACK, RST, RST+ACK, FIN+ACK(+URG),
 * ACK(+URG)). */
bool tcp_flags_valid(uint8_t flags);

/* Kernel mode (tcpkern.c); tcp_track_packet_conf() calls it. */
void tcp_kern_packet(struct tcp_track *t, struct tcp_last *k, enum flow_dir dir,
    const struct nb_packet *p, const struct tcp_conf *c, struct tcp_result *r);

/* Kernel mode's first packet of a flow tcp_track_new() started: the
 * kernel's memory of it and the timer ladder's facts. */
void tcp_kern_new(struct tcp_track *t, struct tcp_last *k, const struct nb_packet *p,
    const struct tcp_conf *c);

/* Zeek history: letters in order of first appearance. */
void tcp_history_add(struct tcp_track *t, enum flow_dir dir, const struct nb_packet *p);
/* Zeek's 'D' ('d' from the responder) for a datagram, whatever its
 * payload (Zeek's UDP analyzer marks every packet so). */
void tcp_history_data(struct tcp_track *t, enum flow_dir dir);
/* Writes the history string (at most 12 letters + NUL). */
void tcp_history_str(const struct tcp_track *t, char buf[static 13]);
/* Zeek conn_state: "S0", "SF", "REJ", ... */
const char *tcp_conn_state(const struct tcp_track *t);

#endif
