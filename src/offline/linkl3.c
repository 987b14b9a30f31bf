/* linkl3.c -- where a frame's IP packet starts, by link type: link headers, tags and shims stepped over (pure: no I/O, never reads past caplen). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <pcap/dlt.h>

#include "linkl3.h"
#include "pcapin.h"

#define ETH_HLEN	14
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define FDDI_HLEN	13	/* frame control, destination, source */
#define LLC_SNAP_LEN	8	/* AA AA 03, OUI, ethertype (RFC 1042) */
#define WLAN_HLEN	24	/* frame control, duration, three addresses, sequence */
#define RADIOTAP_HLEN	8
#define NFLOG_HLEN	4	/* family, version, resource id */
#define NFULA_PAYLOAD	9	/* the NFLOG TLV holding the packet */
#define MAX_TAGS	4	/* VLAN tags stepped over; more is not IP to us */
#define MAX_LABELS	8	/* MPLS labels likewise */

#define ETHERTYPE_IP		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_QINQ		0x88a8
#define ETHERTYPE_QINQ_OLD	0x9100
#define ETHERTYPE_PPPOE		0x8864
#define ETHERTYPE_MPLS		0x8847
#define ETHERTYPE_MPLS_MC	0x8848
#define ETHERTYPE_PBB		0x88e7	/* 802.1ah I-TAG */
#define ETHERTYPE_VNTAG		0x8926	/* Cisco VN-Tag */
#define ETHERTYPE_ETAG		0x893f	/* 802.1BR E-Tag */
#define PPP_IP			0x0021
#define PPP_IPV6		0x0057

static const struct {
	int dlt;
	const char *name;
} links[] = {
	{ DLT_EN10MB, "Ethernet" },
	{ DLT_LINUX_SLL, "Linux cooked" },
	{ DLT_LINUX_SLL2, "Linux cooked v2" },
	{ DLT_RAW, "raw IP" },
	{ DLT_IPV4, "raw IPv4" },
	{ DLT_IPV6, "raw IPv6" },
	{ DLT_NULL, "BSD loopback" },
	{ DLT_LOOP, "OpenBSD loopback" },
	{ DLT_PPP, "PPP" },
	{ DLT_PPP_SERIAL, "PPP in HDLC framing" },
	{ DLT_PPP_ETHER, "PPPoE session" },
	{ DLT_PPP_WITH_DIR, "PPP with direction" },
	{ DLT_C_HDLC, "Cisco HDLC" },
	{ DLT_NFLOG, "Linux NFLOG" },
	{ DLT_IEEE802_11, "802.11" },
	{ DLT_IEEE802_11_RADIO, "802.11 radiotap" },
	{ DLT_FDDI, "FDDI" },
};

#define NLINKS (sizeof(links) / sizeof(links[0]))

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint16_t
rd16le(const uint8_t *b)
{
	return (uint16_t)(b[1] << 8 | b[0]);
}

static inline uint32_t
rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

bool
pcapin_link_supported(int dlt)
{
	for (size_t i = 0; i < NLINKS; i++)
		if (links[i].dlt == dlt)
			return true;
	return false;
}

const char *
linkl3_name(int dlt)
{
	for (size_t i = 0; i < NLINKS; i++)
		if (links[i].dlt == dlt)
			return links[i].name;
	return "?";
}

/* The IP version nibble decides for link types that carry "some IP". */
enum pcapin_l3_result
linkl3_by_version(const uint8_t *frame, uint32_t caplen, uint32_t off)
{
	if (caplen <= off)
		return PL_TRUNCATED;
	switch (frame[off] >> 4) {
	case 4:
	case 6:
		return PL_IP;
	default:
		return PL_NOT_IP;
	}
}

/* RFC 3032: labels until bottom of stack, then no type field; the IP
 * version nibble is the usual guess (Zeek and tcpdump guess so too). */
static enum pcapin_l3_result
by_mpls(const uint8_t *frame, uint32_t caplen, uint32_t *off)
{
	for (unsigned n = 0; n < MAX_LABELS; n++) {
		if (caplen < *off + 4)
			return PL_TRUNCATED;
		*off += 4;
		if (rd32(frame + *off - 4) & 0x100)
			return linkl3_by_version(frame, caplen, *off);
	}
	return PL_NOT_IP;
}

/* A PPP protocol field at *off (RFC 1661; one byte if compressed, RFC
 * 1661 6.5: an odd first byte). */
static enum pcapin_l3_result
by_ppp_proto(const uint8_t *frame, uint32_t caplen, uint32_t *off)
{
	uint16_t proto;

	if (caplen < *off + 1)
		return PL_TRUNCATED;
	if (frame[*off] & 1) {
		proto = frame[*off];
		*off += 1;
	} else {
		if (caplen < *off + 2)
			return PL_TRUNCATED;
		proto = rd16(frame + *off);
		*off += 2;
	}
	return proto == PPP_IP || proto == PPP_IPV6 ? PL_IP : PL_NOT_IP;
}

/* Step over tags and shims after an ethertype at frame[off - 2]:
 * 802.1Q/802.1ad tags, VN-Tag and E-Tag, an 802.1ah I-TAG (the customer
 * frame inside), a PPPoE session, an MPLS label stack. */
enum pcapin_l3_result
linkl3_by_ethertype(const uint8_t *frame, uint32_t caplen, uint32_t *off,
    uint16_t type, struct pcapin_l3info *li)
{
	for (unsigned n = 0; n < MAX_TAGS; n++) {
		uint32_t skip;

		switch (type) {
		/* the bytes between the type and the next one */
		case ETHERTYPE_VLAN:
		case ETHERTYPE_QINQ:
		case ETHERTYPE_QINQ_OLD:
			skip = 2;	/* TCI */
			break;
		case ETHERTYPE_VNTAG:
			skip = 4;
			break;
		case ETHERTYPE_ETAG:
			skip = 6;
			break;
		case ETHERTYPE_PBB:
			/* I-TAG (4), customer destination and source */
			skip = 16;
			break;
		default:
			skip = 0;
			break;
		}
		if (skip == 0)
			break;
		if (caplen < *off + skip + 2)
			return PL_TRUNCATED;
		type = rd16(frame + *off + skip);
		*off += skip + 2;
		li->tagged = true;
	}
	switch (type) {
	case ETHERTYPE_IP:
	case ETHERTYPE_IPV6:
		return PL_IP;
	case ETHERTYPE_PPPOE:
		/* RFC 2516 session header (6 bytes), then the PPP protocol. */
		*off += 6;
		return by_ppp_proto(frame, caplen, off);
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
		return by_mpls(frame, caplen, off);
	default:
		return PL_NOT_IP;
	}
}

/* RFC 1042 LLC/SNAP after an 802.2 header (802.11, FDDI): AA AA 03, an
 * OUI (0 or 802.1H's 00-00-F8), then an ethertype. */
static enum pcapin_l3_result
by_llc_snap(const uint8_t *frame, uint32_t caplen, uint32_t *off,
    struct pcapin_l3info *li)
{
	const uint8_t *l = frame + *off;

	if (caplen < *off + LLC_SNAP_LEN)
		return PL_TRUNCATED;
	if (l[0] != 0xaa || l[1] != 0xaa || l[2] != 0x03 || l[3] != 0 || l[4] != 0 ||
	    (l[5] != 0 && l[5] != 0xf8))
		return PL_NOT_IP;
	*off += LLC_SNAP_LEN;
	return linkl3_by_ethertype(frame, caplen, off, rd16(l + 6), li);
}

/* IEEE 802.11-2016 9.2: a data frame's MAC header, then LLC/SNAP.
 * Management and control frames, null data and protected (encrypted)
 * frames carry nothing we can read. */
static enum pcapin_l3_result
by_wlan(const uint8_t *frame, uint32_t caplen, uint32_t *off,
    struct pcapin_l3info *li)
{
	const uint8_t *h = frame + *off;
	uint32_t hlen = WLAN_HLEN;
	unsigned type, subtype;

	if (caplen < *off + 2)
		return PL_TRUNCATED;
	type = (h[0] >> 2) & 3;
	subtype = h[0] >> 4;
	if ((h[0] & 3) != 0 || type != 2 || (subtype & 4) || (h[1] & 0x40))
		return PL_NOT_IP;
	if ((h[1] & 3) == 3)
		hlen += 6;		/* to and from DS: a fourth address */
	if (subtype & 8) {
		hlen += 2;		/* QoS control */
		if (h[1] & 0x80)
			hlen += 4;	/* +HTC */
	}
	*off += hlen;
	return by_llc_snap(frame, caplen, off, li);
}

/* The NFLOG pseudo-header (libpcap's pcap/nflog.h): family, version,
 * resource id, then TLVs, each 4-aligned, whose length and type are in
 * the capturing host's byte order (libpcap swaps them in a file of the
 * other order before we see them). The packet is the NFULA_PAYLOAD one. */
static enum pcapin_l3_result
by_nflog(const uint8_t *frame, uint32_t caplen, uint32_t *off)
{
	uint32_t at = NFLOG_HLEN;
	uint16_t len, type;

	if (caplen < NFLOG_HLEN)
		return PL_TRUNCATED;
	if (frame[0] != 2 && frame[0] != 10)	/* AF_INET, Linux's AF_INET6 */
		return PL_NOT_IP;
	while (caplen >= at + 4) {
		memcpy(&len, frame + at, 2);
		memcpy(&type, frame + at + 2, 2);
		if (len < 4)
			return PL_NOT_IP;
		if (type == NFULA_PAYLOAD) {
			*off = at + 4;
			return linkl3_by_version(frame, caplen, *off);
		}
		at += (uint32_t)(len + 3) & ~3u;
	}
	return PL_TRUNCATED;
}

/* PPP in HDLC-like framing (RFC 1662: FF 03, then the protocol), or
 * Cisco HDLC (address 0F or 8F, control 0, an ethertype), which
 * DLT_PPP_SERIAL files also hold (tcpdump's ppp_hdlc_if_print). */
static enum pcapin_l3_result
by_hdlc(const uint8_t *frame, uint32_t caplen, uint32_t *off,
    struct pcapin_l3info *li)
{
	if (caplen < *off + 2)
		return PL_TRUNCATED;
	if (frame[*off] == 0x0f || frame[*off] == 0x8f) {
		if (caplen < *off + 4)
			return PL_TRUNCATED;
		*off += 4;
		return linkl3_by_ethertype(frame, caplen, off, rd16(frame + *off - 2), li);
	}
	if (frame[*off] == 0xff && frame[*off + 1] == 0x03)
		*off += 2;
	return by_ppp_proto(frame, caplen, off);
}

/* A 4-byte address family: host order of the capturing machine for
 * DLT_NULL (so either), network order for DLT_LOOP. AF_INET is 2
 * everywhere; AF_INET6 is 10, 24, 28 or 30 depending on the OS. */
static enum pcapin_l3_result
by_loopback(int dlt, const uint8_t *frame, uint32_t caplen, uint32_t *off)
{
	uint32_t af;

	if (caplen < 4)
		return PL_TRUNCATED;
	*off = 4;
	af = rd32(frame);
	if (dlt == DLT_NULL && (af & 0xffff) == 0)
		af = (uint32_t)frame[3] << 24 | (uint32_t)frame[2] << 16 |
		    (uint32_t)frame[1] << 8 | frame[0];
	switch (af) {
	case 2: case 10: case 24: case 28: case 30:
		return linkl3_by_version(frame, caplen, 4);
	default:
		return PL_NOT_IP;
	}
}

/* The link layer alone: where the first IP header is. */
static enum pcapin_l3_result
link_locate(int dlt, const uint8_t *frame, uint32_t caplen, uint32_t *off,
    struct pcapin_l3info *li)
{
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HLEN)
			return PL_TRUNCATED;
		*off = ETH_HLEN;
		return linkl3_by_ethertype(frame, caplen, off, rd16(frame + 12), li);
	case DLT_LINUX_SLL:
		/* packet type, ARPHRD, address length, address[8], protocol */
		if (caplen < SLL_HLEN)
			return PL_TRUNCATED;
		*off = SLL_HLEN;
		return linkl3_by_ethertype(frame, caplen, off, rd16(frame + 14), li);
	case DLT_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, packet type, address
		 * length, address[8] */
		if (caplen < SLL2_HLEN)
			return PL_TRUNCATED;
		*off = SLL2_HLEN;
		return linkl3_by_ethertype(frame, caplen, off, rd16(frame), li);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return linkl3_by_version(frame, caplen, 0);
	case DLT_NULL:
	case DLT_LOOP:
		return by_loopback(dlt, frame, caplen, off);
	case DLT_PPP:
	case DLT_PPP_SERIAL:
	case DLT_C_HDLC:
		return by_hdlc(frame, caplen, off, li);
	case DLT_PPP_WITH_DIR:
		*off = 1;	/* the direction byte */
		return by_hdlc(frame, caplen, off, li);
	case DLT_PPP_ETHER:
		*off = 6;	/* the PPPoE session header, no Ethernet */
		return by_ppp_proto(frame, caplen, off);
	case DLT_NFLOG:
		return by_nflog(frame, caplen, off);
	case DLT_IEEE802_11:
		return by_wlan(frame, caplen, off, li);
	case DLT_IEEE802_11_RADIO:
		/* radiotap: version 0, pad, its length (little-endian) */
		if (caplen < RADIOTAP_HLEN)
			return PL_TRUNCATED;
		if (frame[0] != 0)
			return PL_NOT_IP;
		*off = rd16le(frame + 2);
		return by_wlan(frame, caplen, off, li);
	case DLT_FDDI:
		*off = FDDI_HLEN;
		return by_llc_snap(frame, caplen, off, li);
	default:
		return PL_NOT_IP;
	}
}

enum pcapin_l3_result
pcapin_l3(int dlt, const uint8_t *frame, uint32_t caplen, uint32_t *off,
    struct pcapin_l3info *li)
{
	enum pcapin_l3_result r;

	*off = 0;
	li->tagged = false;	/* li->tun only if depth > 0: no memset a frame */
	li->depth = 0;
	r = link_locate(dlt, frame, caplen, off, li);
	if (r == PL_IP)
		r = tunnel_unwrap(frame, caplen, off, li);
	return r;
}
