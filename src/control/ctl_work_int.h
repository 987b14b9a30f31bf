/* ctl_work_int.h -- the mailbox between the control thread and a worker: requests, replies, records (private to src/control). */
#ifndef NATBOX_CTL_WORK_INT_H
#define NATBOX_CTL_WORK_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctl_work.h"
#include "engine.h"
#include "engine_nat.h"
#include "flowfilter.h"

/* Per-flow counters, in a side array indexed by pool slot: 40 bytes a
 * flow on top of the core's ~124 (10 MB for the default 262144 flows). */
struct ctl_flowctr {
	uint64_t bytes[2];	/* IP bytes, by direction */
	uint64_t pkts[2];
	uint32_t drops;		/* packets of this flow natbox dropped */
	uint32_t born_ms;	/* engine clock in ms, mod 2^32 */
};

/* An event as the history keeps it: the engine's event and the serial
 * of its flow, which tells apart flows that reused a slot. */
struct ctl_evrec {
	struct event ev;
	uint32_t serial;	/* 0: no flow (a drop of an unknown flow) */
	uint16_t queue;
};

/* One flow as flows and explain show it; times relative to the worker's
 * clock when it was read. */
struct ctl_flowrec {
	struct nb_addr src, dst;
	uint16_t sport, dport, queue;
	uint8_t family, proto, state, timer_state, refresh;
	uint8_t dead;		/* an expired flow still remembered */
	uint8_t dead_reason;	/* enum nb_reason */
	uint8_t fin[2];		/* by direction: 0 none, 1 FIN sent, 2 and acked */
	uint32_t slot, serial;
	uint64_t left;		/* ns to the deadline; UINT64_MAX: none */
	uint64_t timeout;	/* ns the running timer was set to */
	uint64_t age, idle;	/* ns since the first and the last packet */
	uint64_t bytes[2], pkts[2];
	uint32_t drops;
	char history[13];
	char conn_state[8];
	uint8_t nat;		/* translated: the outside tuple follows */
	uint16_t nat_sport, nat_dport;
	uint32_t nat_src, nat_dst;	/* IPv4, host order */
};

/* One mapping of a worker's NAT table (mappings). */
struct ctl_maprec {
	uint16_t queue, iport, xport, rport;
	uint8_t proto, flags;	/* NMF_* */
	uint8_t mapping;	/* enum nat_dep: whether raddr/rport mean anything */
	uint32_t iaddr, xaddr, raddr;	/* host order */
	uint32_t nflows;
	uint64_t age;		/* ns since made; resting: since freed */
	uint64_t rest_left;	/* resting: ns until its port may be reused */
};

enum ctl_op {
	CTL_OP_FLOWS = 1,	/* matching flows, a chunk at a time */
	CTL_OP_FLUSH,		/* end matching flows */
	CTL_OP_STATS,		/* counters; flows by state */
	CTL_OP_FIND,		/* explain by slot: the flow's serial (and record) */
	CTL_OP_EVENTS,		/* explain: matching events of the history */
	CTL_OP_REBIND,		/* move matching translated flows to new mappings */
	CTL_OP_MAPPINGS,	/* the NAT table, a chunk at a time */
};

#define CTL_CHUNK	256	/* records per reply */
#define CTL_WALK_BUDGET	16384	/* pool slots looked at per wakeup */
#define CTL_RING_BUDGET	16384	/* history entries looked at per wakeup */

/* What the control thread asks; the cursor fields come back in the reply
 * and go out again with the next chunk's request, so a worker keeps no
 * state between chunks and never waits for a client. */
struct ctl_req {
	enum ctl_op op;
	struct flow_filter filter;
	uint32_t cursor;	/* walks: next pool slot */
	uint32_t found;		/* walks: used slots met so far */
	uint64_t seq, seq_end;	/* history: next entry; end (0: not set yet) */
	uint32_t slot;		/* FIND */
	uint32_t serial;	/* EVENTS: this flow only (0: by filter) */
};

struct ctl_reply {
	uint64_t now;		/* the worker's clock */
	char profile[64];	/* the profile the worker's engine uses */
	bool finished;		/* the request is complete */
	uint32_t cursor, found;
	uint64_t seq, seq_end;
	uint32_t serial;	/* FIND: 0 if the slot's flow is not known */
	unsigned n;		/* records */
	uint32_t flushed;
	/* STATS (counts by state for this chunk of the pool only) */
	struct engine_stats es;
	struct ctl_wstats ws;
	uint32_t by_state[TRK_STATE_MAX];
	uint32_t dead;
	uint32_t nflows, capacity;
	uint64_t memory;	/* engine + counters + history, bytes */
	uint64_t history_seen, history_size;
	bool nat;		/* the engine translates: ns, nat_live mean something */
	struct nat_stats ns;
	uint32_t nat_live;
	union {
		struct ctl_flowrec flows[CTL_CHUNK];
		struct ctl_evrec evs[CTL_CHUNK];
		struct ctl_maprec maps[CTL_CHUNK];
	} r;
};

enum { CTL_MB_IDLE = 0, CTL_MB_POSTED, CTL_MB_DONE };

struct ctl_worker {
	/* shared */
	atomic_int state;	/* CTL_MB_*: who owns req and rep */
	struct ctl_req req;
	struct ctl_reply *rep;
	int wake_fd;		/* eventfd: control -> worker */
	int done_fd;		/* eventfd (the ctl's): worker -> control */
	uint16_t queue;
	/* control thread only */
	void *owner;		/* the client whose request is posted */
	uint64_t posted_at;
	/* worker thread only */
	struct ctl_flowctr *ctr;
	uint32_t nctr;
	struct ctl_evrec *ring;
	uint32_t ring_size;
	uint64_t ring_head;	/* entries ever written */
	void (*wstats)(void *ctx, struct ctl_wstats *out);
	void *wctx;
};

struct ctl_worker *ctl_worker_new(uint16_t queue, uint32_t max_flows, unsigned history,
    int done_fd, void (*wstats)(void *ctx, struct ctl_wstats *), void *ctx);
void ctl_worker_free(struct ctl_worker *w);
/* Fill a record for the flow in slot. */
void ctl_worker_flowrec(struct ctl_worker *w, struct engine *e, const struct flow *f,
    uint32_t slot, uint64_t now, struct ctl_flowrec *r);

#endif
