/* pcapin.h -- capture files in and out (libpcap): frames with their link header located, the IP packet inside. */
#ifndef NATBOX_PCAPIN_H
#define NATBOX_PCAPIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a frame's IP packet is, by link type (pcapin_l3). */
enum pcapin_l3_result {
	PL_IP = 0,		/* an IPv4 or IPv6 packet starts at *off */
	PL_NOT_IP,		/* ARP, LLDP, another protocol: skipped */
	PL_TRUNCATED,		/* the capture cut the link header itself */
};

struct pcapin_pkt {
	const uint8_t *frame;	/* captured bytes, link header included; valid
				 * until the next pcapin_next() */
	uint32_t caplen;	/* bytes captured */
	uint32_t wirelen;	/* bytes the frame had on the wire */
	uint64_t ts;		/* ns since the epoch */
	uint32_t l3off;		/* offset of the IP header (PL_IP only) */
	uint8_t l3;		/* enum pcapin_l3_result */
};

struct pcapin_stats {
	uint64_t frames;	/* records read */
	uint64_t ip;		/* frames that carry IP */
	uint64_t not_ip;	/* other protocols */
	uint64_t link_truncated;	/* snap length cut the link header */
	uint64_t vlan;		/* frames with at least one 802.1Q/802.1ad tag */
};

struct pcapin;

/* Open a pcap or pcapng file ("-" is stdin). NULL with a message in err
 * (without the file name) when it cannot be read or its link type is
 * not one natbox decodes. */
struct pcapin *pcapin_open(const char *path, char *err, size_t errlen);
void pcapin_close(struct pcapin *in);

/* The next frame: 1, or 0 at the end, or -1 if the file is damaged there
 * (pcapin_error() says how; every frame before it was returned). */
int pcapin_next(struct pcapin *in, struct pcapin_pkt *pk);
const char *pcapin_error(const struct pcapin *in);

const struct pcapin_stats *pcapin_stats(const struct pcapin *in);
int pcapin_linktype(const struct pcapin *in);		/* DLT_* */
const char *pcapin_linkname(const struct pcapin *in);	/* "Ethernet", "Linux cooked v2", ... */
const char *pcapin_format(const struct pcapin *in);	/* "pcap" or "pcapng" */
uint32_t pcapin_snaplen(const struct pcapin *in);

/* Pure: locate the IP packet in a frame of link type dlt (VLAN tags,
 * QinQ, PPPoE and MPLS are stepped over). Never reads past caplen. */
enum pcapin_l3_result pcapin_l3(int dlt, const uint8_t *frame, uint32_t caplen,
    uint32_t *off, bool *tagged);
/* True if natbox can locate IP in frames of this link type. */
bool pcapin_link_supported(int dlt);

/* A capture file written with the input's link type and precision
 * (for --write-dropped). Writers may be used from another thread than
 * the reader's. */
struct pcapout;

struct pcapout *pcapout_open(struct pcapin *like, const char *path, char *err,
    size_t errlen);
void pcapout_write(struct pcapout *o, const uint8_t *frame, uint32_t caplen,
    uint32_t wirelen, uint64_t ts);
/* Flush and close: 0, or -1 if a write failed (errno set). */
int pcapout_close(struct pcapout *o);
uint64_t pcapout_count(const struct pcapout *o);

#endif
