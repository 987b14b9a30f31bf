/* conform_probe.h -- the conformance table's packet sequences (core-internal). */
#ifndef NATBOX_CONFORM_PROBE_H
#define NATBOX_CONFORM_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

/* survives(idle): 1 if the probe's last packet passed after idle ns, 0
 * if not, -1 on no memory (csim_probe_fn). */
int probe_tcp_est(const struct policy *p, uint64_t idle, const void *arg);
int probe_tcp_opening(const struct policy *p, uint64_t idle, const void *arg);
int probe_tcp_half(const struct policy *p, uint64_t idle, const void *arg);
int probe_tcp_closing(const struct policy *p, uint64_t idle, const void *arg);
int probe_tcp_rst(const struct policy *p, uint64_t idle, const void *arg);
int probe_udp(const struct policy *p, uint64_t idle, const void *arg);
int probe_icmp(const struct policy *p, uint64_t idle, const void *arg);
int probe_udp_refresh(const struct policy *p, uint64_t period, bool out);

/* The smallest idle (to 10 ms) after which probe k's last packet no
 * longer passes, searched up to cap; CONFORM_NEVER if it always does.
 * -1 on no memory. */
enum probe_kind {
	PROBE_TCP_EST, PROBE_TCP_OPENING, PROBE_TCP_HALF, PROBE_TCP_CLOSING,
	PROBE_TCP_RST, PROBE_UDP, PROBE_ICMP,
};
int probe_measure(const struct policy *p, enum probe_kind k, const void *arg,
    uint64_t cap, uint64_t *out);


/* Behaviours (conform_behave.c): 0, or -1 on no memory. proto 6 or 17. */
int behave_mapping(const struct policy *p, uint8_t proto, uint8_t *dep);	/* enum nat_dep */
int behave_filtering(const struct policy *p, uint8_t proto, uint8_t *dep);
enum { PF_OVERLOAD = 1, PF_LOW_RANGE_KEPT = 2, PF_HIGH_RANGE_KEPT = 4,
	PF_PARITY = 8, PF_PAIRED = 16 };
int behave_ports(const struct policy *p, unsigned *facts);	/* PF_* */
int behave_hairpin(const struct policy *p, uint8_t proto, bool *works);
int behave_icmp_err(const struct policy *p, uint8_t proto, bool *passed, bool *kept);
int behave_sequences(const struct policy *p, bool *normal, bool *simopen);
int behave_rst(const struct policy *p, bool *translated);
int behave_unsolicited(const struct policy *p, const char **answer);

#endif
