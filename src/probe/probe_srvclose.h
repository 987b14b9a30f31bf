/* probe_srvclose.h -- the probe server's side of the fully raw flows that measure the closing timers (probe_srvclose.c; the client's is probe_close.c). */
#ifndef NATBOX_PROBE_SRVCLOSE_H
#define NATBOX_PROBE_SRVCLOSE_H

#include <stddef.h>
#include <stdint.h>

struct iphdr;
struct tcphdr;

/* "CFLOW ID K D" (a raw flow to expect: its kind K, its probe D ms after
 * its last step) and "CSTAT ID" (did a RST of the client's stack come for
 * it): the answer line in out, its length; 0 when line is neither. raw
 * is the server's raw socket, -1 when it has none or no silent port. */
size_t probe_srvclose_ctl(int raw, const char *line, char *out, size_t cap);
/* A segment to the silent port (silent_port, host order) as the raw
 * socket got it: the flows' handshakes and FINs answered by hand. */
void probe_srvclose_seg(int raw, uint16_t silent_port, const struct iphdr *ih,
    const struct tcphdr *th);
/* Probes due: sent. The next one's time (ns), or 0. */
uint64_t probe_srvclose_due(int raw);

#endif
