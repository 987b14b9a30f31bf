/* rstsend.h -- send the TCP RSTs (and ICMP errors) the engine asks for from raw IPv4/IPv6 sockets. */
#ifndef NATBOX_RSTSEND_H
#define NATBOX_RSTSEND_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define RST_PKT_MAX 60		/* IPv6 header (40) + TCP header (20) */

struct rstsend_stats {
	uint64_t sent;
	uint64_t errors;	/* sendto() failed (no route, no socket, ...) */
	int last_errno;
	uint64_t icmp_sent;	/* ICMP errors (rstsend_send_ip4()) */
	uint64_t icmp_errors;
};

struct rstsend;

/* Open raw sockets (IPPROTO_RAW: we write the IP header) for both
 * families. NULL with errno if neither opens (EPERM: needs CAP_NET_RAW);
 * a family that fails alone (IPv6 disabled) counts errors on use. */
struct rstsend *rstsend_open(void);
void rstsend_close(struct rstsend *rs);

/* Build the IP + TCP header (no options, no payload, TTL/hop limit 64,
 * window 0) of r into buf; both checksums filled in. Returns the length
 * (40 or 60), or 0 if cap is too small or the family unknown. No I/O. */
size_t rstsend_build(const struct rst_spec *r, uint8_t *buf, size_t cap);

/* Build and send one RST. Returns 0, or -1 with errno (also counted). */
int rstsend_send(struct rstsend *rs, const struct rst_spec *r);

/* Send an IPv4 packet natbox built whole (an ICMP error, its header
 * included) to its destination. Returns 0, or -1 with errno (counted). */
int rstsend_send_ip4(struct rstsend *rs, const uint8_t *pkt, size_t len);

const struct rstsend_stats *rstsend_stats(const struct rstsend *rs);

#endif
