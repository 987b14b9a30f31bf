/* timeout.h -- which timer runs for a flow, and how long: the pure ladder every verdict uses. */
#ifndef NATBOX_TIMEOUT_H
#define NATBOX_TIMEOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "tcpfsm.h"

/* Which tracker state's timer runs for f under p (the pure ladder:
 * half_close_start, unacknowledged cap). Exposed for tests. */
enum tcp_state policy_timer_state(const struct policy *p, const struct tcp_track *t);
/* The timeout that runs for f (adaptive scaling applied for n of max flows). */
uint64_t policy_timeout(const struct policy *p, const struct tcp_track *t,
    enum tcp_state timer_state, uint32_t nflows);

/* Everything of a tracker state that policy_timer_state() and
 * policy_timeout() read, as one number below POLICY_TIMER_KEYS: the
 * state, the FIN facts, whether a reply was seen, unacknowledged data.
 * Two tracker states with one key get the same timer under every
 * profile, so a profile's timers can be tabled by key (a shadow pass
 * that times flows outside the engine does).
 * policy_timer_key_trk() gives a tracker state with that key. */
#define POLICY_TIMER_KEYS	16384u
unsigned policy_timer_key(const struct tcp_track *t);
void policy_timer_key_trk(unsigned key, struct tcp_track *t);

/* The timer after a packet the tracker took (TO_OK, refresh as it said):
 * *timer_state and *deadline before it in, after it out. The engine's
 * own step, exposed so that flows timed outside the engine are timed
 * exactly as an engine would time them. */
void policy_timer_next(const struct policy *p, const struct tcp_track *t,
    enum flow_dir dir, bool refresh, uint64_t now, uint32_t nflows,
    uint8_t *timer_state, uint64_t *deadline);

#endif
