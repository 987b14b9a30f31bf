/* mkcap_encap.h -- mkcap's other framings (mkcap_encap.c), by --link name. */
#ifndef MKCAP_ENCAP_H
#define MKCAP_ENCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The framing called name, or -1. */
int encap_lookup(const char *name);
/* Its pcap LINKTYPE_*. */
uint32_t encap_linktype(int e);
/* Their names, one line. */
void encap_list(FILE *f);
/* The IP packet ip of *len bytes in framing e: the frame (a static
 * buffer, valid until the next call), *len its length. swap: the file is
 * big-endian (NFLOG's TLVs are in the file's byte order). */
const uint8_t *encap_wrap(int e, const uint8_t *ip, uint32_t *len, bool swap);

#endif
