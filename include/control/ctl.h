/* ctl.h -- natbox run's control socket: the control thread and the hooks each worker calls. */
#ifndef NATBOX_CTL_H
#define NATBOX_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "evsink.h"

#define CTL_DIR			"/run/natbox"
#define CTL_HISTORY_DEFAULT	65536	/* events each worker keeps for explain */

/* A worker's own figures, which only its thread may read; the control
 * thread asks for them through the worker's mailbox. */
struct ctl_wstats {
	uint64_t packets, bursts, max_burst, unseen;
	uint64_t enobufs, id_gaps, verdicts, verdict_msgs, send_errors, nacks;
	uint64_t gso, csum_not_ready, oddities;
	uint64_t rsts_sent, rst_errors;
	uint32_t rcvbuf;
};

struct ctl;
struct ctl_worker;

/* "/run/natbox/natbox-Q.sock" for first queue Q. */
void ctl_default_path(unsigned queue, char *buf, size_t cap);

/* Bind the control socket (mode 0600; a missing directory is made 0755)
 * before any thread starts (the umask changes briefly). NULL with errno;
 * EADDRINUSE if a running natbox answers on path. sink (may be NULL)
 * only feeds the event-line counters of stats. */
struct ctl *ctl_open(const char *path, struct evsink *sink);
const char *ctl_path(const struct ctl *c);

/* Add a worker: its queue, flow table capacity, events kept for explain
 * (0: none), and the callback that fills its figures (called on the
 * worker's thread). NULL on ENOMEM. */
struct ctl_worker *ctl_worker_add(struct ctl *c, uint16_t queue, uint32_t max_flows,
    unsigned history, void (*wstats)(void *ctx, struct ctl_wstats *out), void *ctx);

/* The control thread (signals must be blocked by the caller, as for
 * workers). ctl_stop() ends it, closes every client and removes the
 * socket; ctl_free() after the workers are joined. */
int ctl_start(struct ctl *c);
void ctl_stop(struct ctl *c);
void ctl_free(struct ctl *c);

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
