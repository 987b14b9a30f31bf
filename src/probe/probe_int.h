/* probe_int.h -- what the probe's client and server share (probe-internal). */
#ifndef NATBOX_PROBE_INT_H
#define NATBOX_PROBE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* "a.b.c.d:port" (probe_net.c): the raw-socket code's IPv4 spelling;
 * probe_sa_fmt (probe_addr.h) spells either family */
void probe_fmt_addr(const struct sockaddr_in *sa, char *buf, size_t cap);
/* The Internet checksum of p's n bytes (probe_net.c), in host order: the
 * raw TCP segments' (over their pseudo-header) and ICMP echoes' */
uint16_t probe_csum(const uint8_t *p, size_t n);

/* A bare TCP segment from src to dst on a raw socket (probe_raw.c):
 * flags TH_SYN, TH_ACK, TH_RST, TH_FIN, TH_PUSH; 0 or -1. */
int probe_raw_send(int raw, const struct sockaddr_in *src, const struct sockaddr_in *dst,
    uint8_t flags, uint32_t seq, uint32_t ack);

/* probe_srvraw.c: the server's pure ACKs into a test flow. A TCP segment
 * from a client as the server's raw socket saw it (len: TCP header and
 * payload), to learn the flow's sequence numbers; a pure ACK, in
 * sequence, from connected socket fd's endpoint to its peer: 0 or -1
 * (nothing seen of that peer, or no raw socket). */
struct iphdr;
struct tcphdr;
void probe_srvraw_note(const struct iphdr *ih, const struct tcphdr *th, size_t len);
int probe_srvraw_ack(int raw, int fd);

/* The server's silent port (the first listen port + PROBE_SILENT_OFF):
 * its accept queue kept full, SYNs to it go unanswered by the stack; the
 * server answers them by hand after a delay (probe_open.c). */
#define PROBE_SILENT_OFF	1
/* the sequence number of the server's SYN/ACK to SYN id */
#define PROBE_SYNACK_SEQ(id)	((uint32_t)(id) ^ 0x5a5a5a5au)

#endif
