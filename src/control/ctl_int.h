/* ctl_int.h -- the control server's state, shared by its transport (ctl.c) and its commands (ctl_cmd.c); private to src/control. */
#ifndef NATBOX_CTL_INT_H
#define NATBOX_CTL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "ctl.h"
#include "ctl_fmt.h"
#include "ctl_peer.h"
#include "ctl_work_int.h"
#include "flowfilter.h"
#include "strbuf.h"

#define CTL_CLIENTS_MAX		64
#define CTL_WORKERS_MAX		64
#define CTL_OUT_SOFT		(256 * 1024)
#define CTL_OUT_MAX		(4 * 1024 * 1024)
#define CTL_STALL_MS		5000
#define CTL_IDLE_MS		10000
#define CTL_WORKER_MS		5000	/* a worker answers within ~10 ms */
#define CTL_ARGS_MAX		64
#define CTL_MSG_MAX		4096	/* a command's answer line or error */
#define CTL_NS_PER_MS		1000000ULL

enum job_kind { J_NONE = 0, J_FLOWS, J_FLUSH, J_STATS, J_EXPLAIN, J_REBIND, J_MAPPINGS };

/* A request that needs the workers, one worker and chunk at a time. */
struct job {
	enum job_kind kind;
	enum ctl_fmt fmt;
	struct flow_filter filter;
	unsigned wi;		/* current worker */
	struct ctl_req req;	/* the next request for it */
	bool waiting;		/* posted, reply not in yet */
	uint64_t since;		/* when it started waiting for a worker */
	uint64_t count;		/* records emitted, flows flushed */
	char text[256];		/* flush: the filter as given */
	struct ctl_wsnap *snaps;
	/* explain */
	bool by_slot;
	int phase;		/* CTL_OP_FIND, CTL_OP_EVENTS, CTL_OP_FLOWS */
	struct ctl_flowrec now;	/* by slot: the flow as it is */
	bool have_now;
	uint64_t ctl_ts;	/* control changes shown up to here */
};

struct client {
	int fd;
	unsigned id;
	char in[CTL_REQUEST_MAX];
	size_t inlen;
	struct strbuf out;
	uint64_t last_active;
	uint64_t stall_since;
	bool eof, doomed, busy;
	bool readonly;		/* the --ctl-group's: reading commands only */
	struct job job;
};

struct ctl {
	int lfd, done_fd, stop_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	struct evsink *sink;
	pthread_t tid;
	bool started;
	struct ctl_worker *w[CTL_WORKERS_MAX];
	unsigned nw;
	struct client *c[CTL_CLIENTS_MAX];
	unsigned nc, next_id, rr;
	uint64_t t0, requests, errors, dropped;
	char orphan;		/* owner of a mailbox whose client left */
	bool have_group;	/* --ctl-group: its members may read */
	gid_t group;
	bool have_kq;		/* kq_fd: the kernel's queue lines, opened as root */
	int kq_fd;
	void (*qstats)(void *ctx, struct ctl_qstats *out);	/* or NULL */
	void *qctx;
};

#endif
