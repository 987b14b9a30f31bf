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

/* IP tunnels unwrapped to the packet inside (Zeek's tunnel types). */
enum pcapin_tun {
	PT_NONE = 0,
	PT_IPIP,		/* IPv4 or IPv6 in IP (RFC 2003, RFC 4213) */
	PT_GRE,			/* RFC 2784, 2890; PPTP's (RFC 2637) */
	PT_ERSPAN,		/* ERSPAN I, II, III over GRE */
	PT_VXLAN,		/* RFC 7348, UDP 4789 */
	PT_GENEVE,		/* RFC 8926, UDP 6081 */
	PT_GTPU,		/* 3GPP TS 29.281, UDP 2152 */
	PT_TEREDO,		/* RFC 4380, UDP 3544 */
	PT__MAX
};

/* A tunnel: its type and outer endpoints (the outermost, if nested). */
struct pcapin_tunnel {
	uint8_t kind;		/* enum pcapin_tun */
	uint8_t family;		/* the outer IP's, 4 or 6 */
	uint16_t sport, dport;	/* a UDP tunnel's ports, else 0 */
	uint8_t src[16], dst[16];	/* IPv4 in the first 4 bytes */
};

/* What pcapin_l3() stepped over. */
struct pcapin_l3info {
	bool tagged;		/* 802.1Q/ad, VN-Tag, E-Tag or 802.1ah tags */
	uint8_t depth;		/* tunnels unwrapped (0: none) */
	struct pcapin_tunnel tun;	/* the outermost, if depth > 0 */
};

struct pcapin_pkt {
	const uint8_t *frame;	/* captured bytes, link header included; valid
				 * until the next pcapin_next() */
	uint32_t caplen;	/* bytes captured */
	uint32_t wirelen;	/* bytes the frame had on the wire */
	uint64_t ts;		/* ns since the epoch */
	uint32_t l3off;		/* offset of the IP header (PL_IP only; the
				 * innermost, past any tunnel) */
	uint16_t tun;		/* its tunnel, pcapin_tunnel_at(); 0: none */
	uint8_t l3;		/* enum pcapin_l3_result */
};

struct pcapin_stats {
	uint64_t frames;	/* records read */
	uint64_t ip;		/* frames that carry IP */
	uint64_t not_ip;	/* other protocols */
	uint64_t link_truncated;	/* snap length cut the link header */
	uint64_t vlan;		/* frames with at least one 802.1Q/802.1ad tag */
	uint64_t tunneled;	/* IP frames whose packet was in a tunnel */
	uint64_t bad_time;	/* records whose fraction of a second was out
				 * of range (taken at the whole second) */
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
 * QinQ, PBB, VN-Tag, PPPoE and MPLS are stepped over, IP tunnels
 * unwrapped to the innermost packet). Never reads past caplen. */
enum pcapin_l3_result pcapin_l3(int dlt, const uint8_t *frame, uint32_t caplen,
    uint32_t *off, struct pcapin_l3info *li);
/* The tunnels the reader met, by the id pcapin_pkt.tun gives (1..n);
 * NULL for 0 or an unknown id. Valid until pcapin_close(). */
const struct pcapin_tunnel *pcapin_tunnel_at(const struct pcapin *in, uint16_t id);
uint16_t pcapin_tunnels(const struct pcapin *in);	/* n */
/* "vxlan 192.0.2.1:50000->192.0.2.2:4789", "gre 192.0.2.1->192.0.2.2" */
void pcapin_tunnel_name(const struct pcapin_tunnel *t, char *buf, size_t cap);
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
