/* zconn.h -- Zeek's connections as Zeek would log them (conn.log): a model fed every decoded packet of a capture, independent of any tracker. */
#ifndef NATBOX_ZCONN_H
#define NATBOX_ZCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/*
 * Zeek describes a capture by connections: a 4-tuple (an ICMP type pair
 * for ICMP) from a first packet to its end by Zeek's own rules, its
 * originator chosen by Zeek's heuristics (a flip recorded as '^'). This
 * module keeps, per connection, what Zeek's TCP analyzer
 * (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc, TCP_Endpoint.cc,
 * TCP_Reassembler.cc), its UDP and ICMP analyzers and ConnSize keep for
 * conn.log, and derives conn_state as base/protocols/conn/main.zeek does.
 * It reads no clock: every packet comes with its time. It sees packets a
 * tracker refuses (a first SYN-ACK, a FIN of no flow), so the labels
 * describe the capture, not a profile.
 */

#define ZC_NONE		UINT32_MAX
#define ZC_HIST_MAX	32	/* history letters kept; Zeek's is unbounded, but
				 * each letter but the repeat marks comes once
				 * per direction (or per new sequence number) */

/* Zeek's TCP endpoint states (analyzer/protocol/tcp/TCP_Endpoint.h);
 * UDP and ICMP use INACTIVE and ESTABLISHED ("active"). */
enum zc_ep_state {
	ZEP_INACTIVE = 0, ZEP_SYN_SENT, ZEP_SYN_ACK_SENT, ZEP_PARTIAL,
	ZEP_ESTABLISHED, ZEP_CLOSED, ZEP_RESET
};

enum zc_proto { ZCP_TCP = 0, ZCP_UDP, ZCP_ICMP, ZCP_OTHER };

/* One side of a connection. TCP sequence numbers are relative to start
 * (Zeek's relative sequence space: 0 is the SYN, or one before the first
 * byte seen) and 64 bits wide, so wraps are counted. */
struct zc_ep {
	uint64_t last;		/* end of the highest segment seen (LastSeq) */
	uint64_t ack;		/* highest ack the other side sent for it (AckSeq) */
	uint64_t reassem;	/* contiguous data seen up to here (last_reassem_seq) */
	uint64_t trim;		/* acked data forgotten up to here (trim_seq) */
	uint64_t blk_lo, blk_hi;	/* one block seen past a hole; lo == hi: none */
	uint64_t fin_seq;	/* end of its FIN */
	uint64_t ip_bytes;	/* conn.log orig_ip_bytes / resp_ip_bytes */
	uint64_t size;		/* UDP, ICMP, other: payload bytes sent */
	uint32_t pkts;
	uint32_t start;		/* the sequence number taken as 0 */
	uint32_t hist_syn, hist_fin, hist_rst;	/* where the last S/H, F, R
						 * letter was recorded (low 32 bits) */
	uint32_t n_chk, n_gap, n_rxmt, n_win0;	/* for the repeat marks */
	uint16_t fin_cnt, rst_cnt;	/* saturating */
	uint8_t state, prev;		/* enum zc_ep_state */
	uint8_t did_close;
	uint8_t skip;			/* reassembly gave up (skip_deliveries) */
};

#define ZCF_PARTIAL	0x01	/* Zeek's is_partial: no clean SYN start */
#define ZCF_SEEN0	0x02	/* first_packet_seen: slot 0 sent something */
#define ZCF_SEEN1	0x04
#define ZCF_ATTEMPT	0x08	/* the attempt timer runs (attempt_at) */
#define ZCF_CLOSING	0x10	/* closed both ways (or by a RST): gone at gone_at */

/*
 * A connection. Its two sides sit in slots by the first packet's
 * direction (slot 0 its source); orig says which slot is the originator,
 * so a flip is one bit and '^' in the history, as in Zeek's FlipRoles().
 */
struct zc_conn {
	struct nb_addr a[2];		/* slot addresses */
	uint16_t port[2];		/* slot ports; ICMP: type, counterpart */
	uint8_t family;
	uint8_t ipproto;		/* IP protocol */
	uint8_t zproto;			/* enum zc_proto */
	uint8_t orig;			/* slot of the originator */
	uint8_t flags;			/* ZCF_* */
	uint8_t hlen;			/* history letters */
	uint32_t hist_seen;		/* Zeek's hist_seen: bits by the endpoint's
					 * is_orig at the time (low: orig) */
	uint64_t start, last;		/* ns: first packet, last time (Zeek's
					 * LastTime: not after both sides closed) */
	uint64_t attempt_at;		/* ZCF_ATTEMPT: the first SYN */
	uint64_t gone_at;		/* ZCF_CLOSING: removed at this time */
	uint64_t missed;		/* conn.log missed_bytes */
	struct zc_ep ep[2];		/* by slot */
	char hist[ZC_HIST_MAX];		/* not NUL-terminated: hlen letters */
};

struct zconn;

/* A model with room for expect connections to start (it grows). */
struct zconn *zconn_new(uint32_t expect);
void zconn_free(struct zconn *z);

/*
 * One decoded packet (decode_packet() over ip[0..caplen), DEC_OK) at
 * time now (ns; in the order packets come, as Zeek takes them: a time
 * that goes back is taken as it is). The whole IP packet must be captured
 * for a checksum to be checked (Zeek's rule too). Returns the index of
 * the connection it counted for, or ZC_NONE (no memory for a new one).
 */
uint32_t zconn_packet(struct zconn *z, const struct nb_packet *p, const uint8_t *ip,
    size_t caplen, uint64_t now);

uint32_t zconn_count(const struct zconn *z);
/* Packets that would have started a connection when memory ran out. */
uint64_t zconn_nomem(const struct zconn *z);
const struct zc_conn *zconn_get(const struct zconn *z, uint32_t i);

/* Zeek's conn_state: "S0", "SF", ... ("OTH" for ICMP and others). */
const char *zconn_state(const struct zc_conn *c);
/* The history as a string (at most ZC_HIST_MAX letters + NUL). */
void zconn_history(const struct zc_conn *c, char buf[static ZC_HIST_MAX + 1]);
/* conn.log orig_bytes (orig true) or resp_bytes: TCP from sequence
 * numbers (TCP_Endpoint::Size()), others the payload sent. */
uint64_t zconn_bytes(const struct zc_conn *c, bool orig);
/* The originator's or responder's side. */
static inline const struct zc_ep *
zconn_side(const struct zc_conn *c, bool orig)
{
	return &c->ep[orig ? c->orig : !c->orig];
}

/* Zeek's conn_state over the endpoint states, sizes and history
 * (main.zeek conn_state()), exposed for the unit tests. */
const char *zconn_tcp_state(unsigned os, unsigned rs, uint64_t osize, uint64_t rsize,
    const char *history);

#endif
