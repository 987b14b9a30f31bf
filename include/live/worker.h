/* worker.h -- the live path's workers: one thread per queue, each with its
 * own NFQUEUE socket, engine (flow table) and raw sockets for RSTs, so the
 * packet path takes no lock. */
#ifndef NATBOX_WORKER_H
#define NATBOX_WORKER_H

#include <stdbool.h>
#include <stdint.h>

struct policy;
struct evsink;
struct ctl;

struct workers_config {
	unsigned qlo, qhi;		/* queues qlo..qhi, one worker each */
	uint32_t copy_bytes;		/* nfqueue_config's, for every queue */
	uint32_t maxlen;
	unsigned burst;
	bool fail_open;
	uint64_t grace_ns;		/* --grace: unknown flows picked up this long */
	const struct policy *pol;	/* the profile the engines start with */
	struct evsink *sink;		/* event lines, or NULL */
	struct evsink *dumpsink;	/* flow dumps (workers_dump()) when sink is NULL */
	struct ctl *ctl;		/* the control server, or NULL */
	unsigned history;		/* events kept per queue for ctl explain */
	int wake_signal;		/* sent to the thread that called
					 * workers_start() when a worker fails */
};

struct workers;

/* Bind every queue, open its raw sockets, event buffers, control path and
 * engine, and register its profile reader. NULL (why logged, nothing left
 * open) if one of them fails; exits on no memory. */
struct workers *workers_open(const struct workers_config *c);
/* One thread per worker. 0, or -1 (logged) when one could not start: the
 * started ones are then asked to stop. */
int workers_start(struct workers *ws);
/* Ask every worker to stop: each answers what its queue already holds (a
 * bounded drain), flushes its engine and returns. */
void workers_stop(struct workers *ws);
/* True once a stop was asked: by workers_stop() or by a worker that failed. */
bool workers_stopping(const struct workers *ws);
/* Packet ids skipped in the workers' queues (each one's nfqueue_stats
 * id_gaps, as of its last burst), summed; any thread. */
uint64_t workers_id_gaps(const struct workers *ws);
/* Every worker dumps its flows to its events (or the dump sink) between
 * bursts. */
void workers_dump(struct workers *ws);
/* Join the started workers, then log each one's figures. 0, or -1 if one
 * stopped on an error. */
int workers_join(struct workers *ws);
/* Free the workers (joined, or never started) and close their queues. */
void workers_close(struct workers *ws);

#endif
