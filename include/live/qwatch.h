/* qwatch.h -- natbox run's overload watch: the packets that reached its
 * queue rules and got no verdict from it (bypassed, dropped), counted and
 * logged. */
#ifndef NATBOX_QWATCH_H
#define NATBOX_QWATCH_H

#include <stdbool.h>
#include <stdint.h>

struct ctl_qstats;

struct qwatch_config {
	unsigned qlo, qhi;		/* natbox's queues */
	bool fail_open;
	/* packet ids the workers saw skipped (nfq.c's id_gaps, summed over
	 * the queues); callable from any thread */
	uint64_t (*id_gaps)(void *ctx);
	void *ctx;
};

struct qwatch;

/* After the queues are bound, before privileges are dropped (the counter
 * is read over a netlink socket opened here). Logs whether the rules'
 * counter was found. NULL (logged) if the socket cannot be opened. */
struct qwatch *qwatch_open(const struct qwatch_config *c, uint64_t now);
/* Every second or so, from one thread: read the figures, log a line
 * (at most every QWATCH_LOG_EVERY_NS) when packets were bypassed or
 * dropped, look for a counter that was missing. */
void qwatch_tick(struct qwatch *w, uint64_t now);
/* The figures now, for ctl stats (ctx is the struct qwatch; any thread). */
void qwatch_stats(void *ctx, struct ctl_qstats *out);
/* Log what is not logged yet and the totals, then free. */
void qwatch_close(struct qwatch *w, uint64_t now);

#endif
