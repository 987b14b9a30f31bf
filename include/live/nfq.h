/* nfq.h -- one NFQUEUE queue over libmnl: bind, receive bursts, send verdict batches.
 * Names are nfqueue_*, not nfq_*: libnetfilter_queue already exports
 * nfq_open(), nfq_close() and nfq_fd() (its deprecated handle API). */
#ifndef NATBOX_NFQ_H
#define NATBOX_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFQUEUE_BURST_MAX 256	/* most packets one nfqueue_recv_burst() returns */

struct nfqueue_config {
	uint16_t queue;		/* queue number, as in iptables --queue-num */
	uint32_t copy_bytes;	/* NFQNL_COPY_PACKET range: headers are enough to
				 * track; translation wants 0xffff */
	uint32_t maxlen;	/* NFQA_CFG_QUEUE_MAXLEN; the receive buffer follows it */
	unsigned burst;		/* datagrams read per burst, 1..NFQUEUE_BURST_MAX */
	bool fail_open;		/* NFQA_CFG_F_FAIL_OPEN: accept when the queue is full */
	bool rewrite;		/* verdicts may carry the packet back (translation):
				 * copy_bytes should cover whole packets, and no
				 * GSO super-packets are asked for (see nfq.c) */
};

/* Where nfqueue_open() failed, for the caller's message. */
enum nfqueue_stage {
	NFQUEUE_STAGE_SOCKET = 0,	/* socket(AF_NETLINK, NETLINK_NETFILTER) or bind */
	NFQUEUE_STAGE_BIND,		/* NFQNL_CFG_CMD_BIND */
	NFQUEUE_STAGE_PARAMS,	/* copy mode, range, queue max length */
	NFQUEUE_STAGE_FLAGS,	/* NFQA_CFG_F_GSO, NFQA_CFG_F_FAIL_OPEN */
};

/* One queued packet. data points into the queue's receive slots and stays
 * valid (and writable: a translated packet is rewritten in place) until
 * the next nfqueue_recv_burst(). */
struct nfqueue_pkt {
	uint32_t id;		/* packet id, host order */
	uint32_t caplen;	/* bytes in data (at most copy_bytes) */
	uint32_t origlen;	/* length of the packet (NFQA_CAP_LEN), or caplen */
	uint32_t skbinfo;	/* NFQA_SKB_GSO, NFQA_SKB_CSUMNOTREADY, ... */
	uint8_t *data;		/* the IP header onwards */
};

struct nfqueue_stats {
	uint64_t enobufs;	/* receive overruns the kernel reported (packets lost) */
	uint64_t verdicts;	/* packets given a verdict */
	uint64_t verdict_msgs;	/* netlink verdict messages (batches count once) */
	uint64_t payload_verdicts;	/* verdicts that carried the packet back */
	uint64_t send_errors;	/* verdict sendto() calls that failed */
	uint64_t nacks;		/* verdict messages the kernel answered with an error */
	uint64_t gso;		/* packets queued as GSO super-packets */
	uint64_t csum_not_ready;/* packets with NFQA_SKB_CSUMNOTREADY */
	uint64_t oddities;	/* malformed/unexpected messages, truncated datagrams */
	uint64_t early_accepts;	/* accepted unseen: arrived with the bind's acks,
				 * or had no payload to show the engine */
	uint64_t id_gaps;	/* packet ids skipped: the kernel handed out ids
				 * that never reached natbox (overruns) */
	uint32_t last_id;	/* the last packet id received (0: none yet) */
	uint32_t rcvbuf;	/* receive buffer the kernel granted, bytes */
};

struct nfqueue;

/* Open a netlink socket, size its receive buffer, then bind the queue and
 * set copy mode, max length and flags in one batch. Returns NULL with errno
 * set and *stage saying which step failed. */
struct nfqueue *nfqueue_open(const struct nfqueue_config *c, enum nfqueue_stage *stage);
/* Whether this process may bind a queue: CAP_NET_ADMIN is in its
 * effective set (or, where capget() fails, it is root). */
bool nfqueue_may_bind(void);
/* The message for the user when nfqueue_open() failed at stage with err:
 * root or the module missing, the queue bound by someone else (which
 * netlink port, from /proc/net/netfilter/nfnetlink_queue), an old kernel.
 * One line, no newline, in buf; returns buf. */
#define NFQUEUE_EXPLAIN_MAX 256
const char *nfqueue_explain_open_error(unsigned queue, enum nfqueue_stage stage, int err,
    char *buf, size_t cap);
/* Close the socket; the kernel unbinds the queue and drops what is still
 * queued without a verdict, so give every received packet one first. */
void nfqueue_close(struct nfqueue *q);
int nfqueue_fd(const struct nfqueue *q);

/* Read up to max (<= the configured burst) packets without blocking.
 * Returns the count (0: nothing to read, or an overrun that was counted),
 * or -1 with errno on a real socket error. Error answers to earlier
 * verdicts are consumed and counted here. */
int nfqueue_recv_burst(struct nfqueue *q, struct nfqueue_pkt *pkts, unsigned max);

/* Queue a verdict; add them in the order the packets were received (id
 * order). nfqueue_verdict_flush() sends every queued verdict in one sendto():
 * runs of accepts become one NFQNL_MSG_VERDICT_BATCH. A failed send is
 * retried once; returns 0, or -1 (counted: those packets then wait in the
 * kernel until a later batch accept covers them or the queue closes). */
void nfqueue_verdict_add(struct nfqueue *q, uint32_t id, bool accept);
/* Accept packet id with pkt (len bytes) in place of the packet the kernel
 * holds: NFQA_PAYLOAD in its own NFQNL_MSG_VERDICT, in order with the
 * others. pkt is not copied: it must stay as it is until the flush (a
 * packet's own receive slot does, until the next nfqueue_recv_burst()). */
void nfqueue_verdict_add_packet(struct nfqueue *q, uint32_t id, const uint8_t *pkt,
    uint32_t len);
int nfqueue_verdict_flush(struct nfqueue *q);

const struct nfqueue_stats *nfqueue_stats(const struct nfqueue *q);

#endif
