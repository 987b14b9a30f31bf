/* natrw.h -- translate an IPv4 packet in place: addresses, ports, ICMP identifiers and ICMP errors' quoted headers, checksums updated incrementally (RFC 1624). */
#ifndef NATBOX_NATRW_H
#define NATBOX_NATRW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NRW_SRC	0x01	/* the flow-key source becomes src:sport */
#define NRW_DST	0x02	/* the flow-key destination becomes dst:dport */

/* A translation, in the packet's flow-key terms (struct nb_packet): for
 * TCP and UDP the addresses and ports; for an ICMP query the identifier
 * (sport when the source is translated, dport when the destination is);
 * for an ICMP error the quoted packet's tuple inverted, so its quoted
 * header changes, and the outer address that equals the changed one. */
struct nat_rewrite {
	uint8_t set;		/* NRW_* */
	uint16_t sport, dport;	/* host order */
	uint32_t src, dst;	/* host order */
};

enum natrw_err {
	NATRW_OK = 0,
	NATRW_SHORT,		/* the copy ends before a field that must change */
	NATRW_NOT_IPV4,
	NATRW_FRAGMENT,		/* a non-first fragment: no ports to rewrite */
};

/* Rewrite buf (len bytes: the whole packet). csum_partial: the kernel
 * has not computed the L4 checksum yet (NFQA_SKB_CSUMNOTREADY): its field
 * holds the pseudo-header sum, which only address changes touch. */
enum natrw_err nat_rewrite(uint8_t *buf, size_t len, const struct nat_rewrite *rw,
    bool csum_partial);

/* The Internet checksum of len bytes (folded, complemented), seeded with
 * sum: for tests and for packets natbox builds. */
uint16_t natrw_checksum(const uint8_t *p, size_t len, uint32_t sum);

/* An ICMP destination unreachable (RFC 792) answering pkt (len bytes, the
 * packet being refused): from the address pkt was sent to, to its sender,
 * quoting pkt's IP header and the first 8 bytes of its data (or what pkt
 * has of them). IPv4 header without options, TTL 64, both checksums
 * filled in. Returns the length written to out, or 0 when pkt must get
 * no answer (RFC 1122 3.2.2: not IPv4, a non-first fragment, a source that
 * names no single host) or cap is short of NATRW_UNREACH_MAX. */
#define NATRW_UNREACH_MAX (20 + 8 + 60 + 8)
size_t natrw_icmp_unreach(const uint8_t *pkt, size_t len, uint8_t code, uint8_t *out,
    size_t cap);

#endif
