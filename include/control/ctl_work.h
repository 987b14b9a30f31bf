/* ctl_work.h -- the worker's half of the control path: the hooks a worker calls on its own thread, and the figures it reports. */
#ifndef NATBOX_CTL_WORK_H
#define NATBOX_CTL_WORK_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* A worker's own figures, which only its thread may read; the control
 * thread asks for them through the worker's mailbox. */
struct ctl_wstats {
	uint64_t packets, bursts, max_burst, unseen;
	uint64_t enobufs, id_gaps, verdicts, verdict_msgs, send_errors, nacks;
	uint64_t gso, csum_not_ready, oddities;
	uint64_t rsts_sent, rst_errors;
	uint64_t payload_verdicts;	/* translated packets carried back */
	uint64_t nat_rw_failed;		/* translated packets natbox could not rewrite: dropped */
	uint64_t icmp_sent, icmp_errors;	/* nat.unsolicited = icmp answers */
	uint32_t rcvbuf;
};

/* A worker's mailbox, history and per-flow counters (ctl_worker_add()). */
struct ctl_worker;

/* ---- called by the worker, on its own thread ---- */

/* Readable when the control thread posted a request: poll it with the
 * queue's socket, and call ctl_worker_drain() when it is readable. */
int ctl_worker_fd(const struct ctl_worker *w);
void ctl_worker_drain(struct ctl_worker *w);
/* Every engine event (an engine_ops.event hook): the history explain
 * reads, and per-flow counters reset on EV_NEW. */
void ctl_worker_event(struct ctl_worker *w, struct engine *e, const struct event *ev);
/* Per-flow packets, bytes and drops, after a burst's verdicts. */
void ctl_worker_account(struct ctl_worker *w, const struct verdict *v, unsigned n);
/* At each burst boundary and poll timeout: answer a posted request, with
 * bounded work (one chunk). True if it did something (the caller then
 * flushes its event lines: a flush ends flows). */
bool ctl_worker_service(struct ctl_worker *w, struct engine *e, uint64_t now);

#endif
