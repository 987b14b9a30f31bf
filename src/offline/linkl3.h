/* linkl3.h -- the link-layer walk and the tunnels inside IP, shared by linkl3.c and tunnel.c (not an interface). */
#ifndef NATBOX_LINKL3_H
#define NATBOX_LINKL3_H

#include <stdint.h>

#include "pcapin.h"

/* PL_IP if a plausible IPv4 or IPv6 header starts at off. */
enum pcapin_l3_result linkl3_by_version(const uint8_t *frame, uint32_t caplen,
    uint32_t off);
/* Tags and shims after the ethertype type, which sat at frame[*off - 2]. */
enum pcapin_l3_result linkl3_by_ethertype(const uint8_t *frame, uint32_t caplen,
    uint32_t *off, uint16_t type, struct pcapin_l3info *li);
/* The link type's name, "?" if natbox does not read it. */
const char *linkl3_name(int dlt);
/* The IP packet at *off: if it is a tunnel natbox knows, the packet
 * inside (nested ones too); li->tun says the outermost tunnel. */
enum pcapin_l3_result tunnel_unwrap(const uint8_t *frame, uint32_t caplen,
    uint32_t *off, struct pcapin_l3info *li);

#endif
