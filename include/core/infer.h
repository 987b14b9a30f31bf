/* infer.h -- finding a device's timer from noisy observations: geometric, then bisected, rounds of parallel flows (pure). */
#ifndef NATBOX_INFER_H
#define NATBOX_INFER_H

#include <stdbool.h>
#include <stdint.h>

#define INFER_OBS_MAX	512
#define INFER_NEVER	UINT64_MAX	/* no flow died, up to the largest idle tried */

/* One flow's outcome: idle for d (any unit; the probe uses ms), then a
 * packet that passed (alive) or not. A timer T kills exactly the flows
 * with d >= T; noise is a flow that died for another reason (a false
 * death) or, far more rarely, one that passed when it should not. */
struct infer_obs {
	uint64_t d;
	bool alive;
};

struct infer {
	uint64_t first, max;	/* first idle tried; largest (--max-wait) */
	uint64_t resolution;	/* done when alive and dead are this close */
	unsigned per_round;	/* flows in flight a round */
	unsigned rounds_max;
	unsigned rounds, n;
	struct infer_obs obs[INFER_OBS_MAX];
};

/* The timer, as the observations so far place it: it is above lo (a
 * flow idle that long lived) and at most hi (one idle that long died);
 * hi = INFER_NEVER when no death counts. agreed of total observations
 * fit that split; done: no further round would help. */
struct infer_est {
	uint64_t lo, hi;
	unsigned agreed, total;
	bool done;
};

void infer_init(struct infer *s, uint64_t first, uint64_t max, uint64_t resolution,
    unsigned per_round, unsigned rounds_max);
/* The idle periods for the next round's flows (at most cap, and at most
 * per_round), ascending; 0 when the search is done. Starts a round. */
unsigned infer_plan(struct infer *s, uint64_t *d, unsigned cap);
/* A flow's outcome (the observation is dropped when the table is full). */
void infer_add(struct infer *s, uint64_t d, bool alive);
/* The split that the fewest observations contradict, a false life
 * weighing three false deaths (a packet that passed proves the state was
 * there; one dropped may have been lost for any reason). */
void infer_estimate(const struct infer *s, struct infer_est *e);

/* When a device's half-closed timer starts, from two searches: flows idle
 * in ESTABLISHED (est) and flows idle after one side's FIN, acknowledged
 * (half). Timers that agree (their intervals within slack of each
 * other, or neither ran out) mean one FIN left the established timer
 * running: the half-closed timer waits for both FINs (RFC 5382). A
 * different timer started at the FIN. slack (the search's resolution)
 * covers what moves a real timer's start by a few tens of ms: the peer
 * acks a FIN late (Linux's delayed ACK), so a timer any packet restarts
 * starts that much later on a one-FIN flow.
 * A FIN not yet acknowledged cannot be held back by an unprivileged
 * endpoint (its stack acks at once), so first_fin and fin_acked read the
 * same: INFER_HC_AT_FIN. */
/* About how much idle time n searches that share their rounds still
 * need: each one's remaining rounds played against a timer in the middle
 * of its interval (or one that never runs out, while none has), a round
 * as long as the longest idle any search plans in it; at most
 * INFER_LEFT_ROUNDS rounds are counted. Same unit as the idles. */
#define INFER_LEFT_ROUNDS	32
uint64_t infer_time_left(const struct infer *const *s, unsigned n);

/* Which direction's packets alone refresh a timer, from flows kept
 * alive past it by one direction's packets only: kept[0] of kept[0] +
 * lost[0] by the originator's, kept[1] of kept[1] + lost[1] by the
 * responder's (a majority each, so one flow lost for another reason moves
 * nothing). INFER_RD_ORIG | INFER_RD_REPLY, 0 (neither: absolute, or only
 * other packets refresh), -1 when a set is empty. */
#define INFER_RD_ORIG	1
#define INFER_RD_REPLY	2
int infer_refresh_dir(const unsigned kept[2], const unsigned lost[2]);

enum infer_hc { INFER_HC_UNKNOWN = 0, INFER_HC_AT_FIN, INFER_HC_BOTH_FINS, INFER_HC_FIN_ACKED };
enum infer_hc infer_half_start(const struct infer_est *est, const struct infer_est *half,
    uint64_t slack);

/* The same, told apart with a FIN whose ACK is held back: flows idle
 * after one FIN never acknowledged (fin_wait: the timer Linux calls
 * FIN_WAIT) and after one FIN acknowledged (close_wait), set against the
 * established timer (est). Both as est: one FIN keeps the established
 * timer (INFER_HC_BOTH_FINS); the unacknowledged one as est but the
 * acknowledged one not: the timer starts at the ACK (INFER_HC_FIN_ACKED);
 * the unacknowledged one apart from est: at the FIN itself
 * (INFER_HC_AT_FIN, the two timers written apart when they differ).
 * INFER_HC_UNKNOWN when a search is empty, or no timer ran out. */
enum infer_hc infer_close_start(const struct infer_est *est, const struct infer_est *fin_wait,
    const struct infer_est *close_wait, uint64_t slack);
/* Two searches' timers the same within slack (both over max-wait: the
 * same as far as anyone can tell). */
bool infer_same_timer(const struct infer_est *a, const struct infer_est *b, uint64_t slack);

#endif
