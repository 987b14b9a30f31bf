/* decode.h -- IPv4/IPv6 + TCP header decoder that never reads past caplen. */
#ifndef NATBOX_DECODE_H
#define NATBOX_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP flag bits as they sit in byte 13 of the TCP header. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

/* IP protocol numbers the decoder looks into (IANA). */
#define NB_PROTO_ICMP	1
#define NB_PROTO_TCP	6
#define NB_PROTO_UDP	17
#define NB_PROTO_GRE	47
#define NB_PROTO_ICMPV6	58

/* Decode outcomes. DEC_OK and the two "skip" results (not tracked,
 * non-first fragment) are not errors of the packet; everything else is
 * malformed. */
enum decode_err {
	DEC_OK = 0,
	DEC_NOT_TCP,		/* valid IP natbox does not track: IPv6 "no next
				 * header", ICMP types that are neither a query
				 * nor an error (the name is from when natbox
				 * tracked TCP alone) */
	DEC_FRAGMENT,		/* non-first fragment: no TCP header to read */
	DEC_TRUNCATED,		/* caplen ends inside a header we need */
	DEC_BAD_VERSION,	/* IP version neither 4 nor 6 */
	DEC_BAD_IHL,		/* IPv4 IHL < 5 */
	DEC_BAD_LENGTH,		/* IP total/payload length inconsistent */
	DEC_BAD_DOFF,		/* TCP data offset < 5 or past the IP payload */
	DEC_BAD_EXTHDR,		/* IPv6 extension header chain malformed/too long */
	DEC_BAD_UDP_LENGTH,	/* UDP length below 8 or past the IP payload */
	DEC_BAD_QUOTE,		/* an ICMP error whose quoted packet has no
				 * usable header (cut, another family, a fragment) */
	DEC_SHORT_L4,		/* the IP payload ends inside the TCP, UDP or
				 * ICMP header's fixed part */
	DEC__MAX
};

/* "truncated", "bad_ihl", ... : stable names used in drop reasons. */
const char *decode_err_name(enum decode_err e);

/* The transport header is cut by the IP payload or inconsistent with it
 * (DEC_BAD_DOFF, DEC_BAD_UDP_LENGTH, DEC_SHORT_L4): the kernel's
 * conntrack calls such a packet INVALID (tcp_error()'s and udp_error()'s
 * "truncated packet", "short packet"; icmp_error()'s; no tuple) and
 * touches no conntrack. decode_packet() has then set the family, the
 * addresses, proto and kind, and the ports when they were captured.
 * Checksums are not among them: natbox's live copies are headers only. */
bool decode_err_invalid(enum decode_err e);

/* An address of either family; IPv4 sits in b[0..3], b[4..15] are zero. */
struct nb_addr {
	uint8_t b[16];
};

struct tcp_opts {
	uint16_t mss;
	uint8_t wscale;
	uint8_t has_mss : 1, has_wscale : 1, sack_perm : 1, has_ts : 1,
	    complete : 1,	/* 0 if caplen cut the option area */
	    has_sack : 1;	/* sack below is set */
	uint32_t tsval, tsecr;
	/* The highest right edge of the first SACK option's blocks, or the
	 * ACK if none is after it (the kernel's tcp_sack()). */
	uint32_t sack;
};

/* What kind of flow a packet belongs to: part of the flow key, so a TCP
 * and a UDP flow on the same ports are two flows. */
enum nb_kind {
	NBK_TCP = 0,
	NBK_UDP,
	NBK_ICMP,	/* ICMP or ICMPv6 query (echo, timestamp...) by identifier */
	NBK_OTHER,	/* any other IP protocol, by address pair and protocol */
	NBK__MAX
};

/* "tcp", "udp", "icmp" (ICMPv6 too), "other". */
const char *nb_kind_name(unsigned k);
/* The kind of an IP protocol in a family (ICMP's number in IPv6, or
 * ICMPv6's in IPv4, is another protocol). */
uint8_t nb_kind_of(uint8_t family, uint8_t proto);

/* ICMP types (RFC 792, RFC 4443) the trackers tell apart. */
#define ICMP_ECHOREPLY		0
#define ICMP_ECHO		8
#define ICMP6_ECHO_REQUEST	128
#define ICMP6_ECHO_REPLY	129

struct nb_packet {
	uint8_t family;		/* 4 or 6 */
	uint8_t flags;		/* TH_* (TCP) */
	/* The flow key's ports: TCP and UDP ports; an ICMP query's
	 * identifier in both; another protocol's number in both. */
	uint16_t sport, dport;	/* host order */
	struct nb_addr src, dst;
	uint8_t proto;		/* IP protocol (of the quoted packet for an
				 * ICMP error) */
	uint8_t kind;		/* enum nb_kind */
	uint32_t seq, ack;	/* host order */
	uint16_t window;	/* raw, unscaled */
	uint16_t l4_off;	/* offset of the TCP/UDP/ICMP header in the buffer */
	uint8_t thlen;		/* TCP header length in bytes (doff * 4) */
	uint8_t ttl;		/* IPv4 TTL / IPv6 hop limit */
	uint8_t icmp_type, icmp_code;	/* ICMP and ICMPv6 */
	uint32_t ip_len;	/* whole IP packet length from the IP header */
	uint32_t payload_len;	/* L4 payload length (TCP from the IP header,
				 * UDP from its own length field) */
	struct tcp_opts opt;
	/* An ICMP error (destination unreachable, time exceeded...): the
	 * tuple above is the quoted packet's, inverted, so that looking it
	 * up finds the flow the error is about in the direction the error
	 * travels (RFC 5508 section 2.2, the kernel's icmp_error_message()).
	 * The message's own addresses are not kept. */
	uint8_t icmp_error;
	/* An ICMP query's tuple beyond its identifier (the kernel's
	 * icmp_pkt_to_tuple(), icmpv6_pkt_to_tuple(): type and code): the
	 * type of the request the query belongs to, its code, and whether
	 * it travels as the reply tuple does (a reply; for an error, its
	 * quoted query, inverted). A flow matches a packet only in the
	 * direction and with the request that these say (flowtab). */
	uint8_t icmp_qtype, icmp_qcode, icmp_qreply;
};

/* Decode an IP packet starting at buf. caplen is how many bytes are in
 * buf; the packet may be longer (header-only copies): lengths come from
 * the IP header. Returns DEC_OK and fills *p, or an error; *p is then
 * unspecified but for decode_err_invalid() errors (see there). Never
 * reads buf[caplen] or beyond. A first fragment's transport is checked
 * only as far as it goes (the kernel judges the reassembled packet). */
enum decode_err decode_packet(const uint8_t *buf, size_t caplen,
    struct nb_packet *p);

/* An ICMP query or reply (echo, timestamp, information, address mask;
 * ICMPv6 echo, node information): of a type a flow is kept for. */
bool decode_icmp_query(const struct nb_packet *p);

/* A packet that may start a flow of its kind: not an ICMP error, and
 * for ICMP a request (echo, timestamp, information, address mask; the
 * kernel's icmp_new()/icmpv6_new() valid_new tables). */
bool decode_may_start(const struct nb_packet *p);

/* Sequence-number length of a segment: payload + SYN + FIN. */
static inline uint32_t
decode_seglen(const struct nb_packet *p)
{
	return p->payload_len + !!(p->flags & TH_SYN) + !!(p->flags & TH_FIN);
}

#endif
