/* track.h -- the trackers of UDP, ICMP query and other IP protocol flows, after the kernel's. */
#ifndef NATBOX_TRACK_H
#define NATBOX_TRACK_H

#include <stdint.h>

#include "decode.h"
#include "tcpfsm.h"

/* The kernel's nf_conntrack_proto_udp.c: a UDP flow is timed
 * udp_unreplied until the reply direction has spoken and the flow is more
 * than 2 s old; from then on udp (the kernel's "stream" timeout), and it
 * is ASSURED. */
#define TRK_UDP_STREAM_AFTER	(2ULL * 1000000000ULL)

static inline uint64_t
dgram_born(const struct tcp_track *t)
{
	return (uint64_t)t->dg.born_hi << 32 | t->dg.born_lo;
}

/* Start a flow of p's kind (not TCP) from its first packet, which
 * decode_may_start() allowed: the sender is the originator. */
void dgram_track_new(struct tcp_track *t, const struct nb_packet *p, uint64_t now);

/* One more packet of a live UDP, ICMP or other flow. Always TO_OK, with
 * refresh set: these trackers have no invalid packets (the decoder
 * refused the malformed ones) and every packet may restart the timer
 * (the profile's refresh rule decides). */
void dgram_track_packet(struct tcp_track *t, enum flow_dir dir,
    const struct nb_packet *p, uint64_t now, struct tcp_result *r);

/* Zeek's conn_state for such a flow: UDP "SF" once the responder spoke,
 * "S0" before; ICMP and others "OTH" (base/protocols/conn/main.zeek). */
const char *dgram_conn_state(unsigned kind, const struct tcp_track *t);

/* The flow state a packet of this kind and protocol starts in: GRE has
 * a tracker of its own (nf_conntrack_proto_gre.c, both families since
 * Linux 5.12), keyed like other protocols on the address pair: natbox
 * sees version 0 GRE, whose tuple has no key (gre_pkt_to_tuple()). */
static inline uint8_t
dgram_first_state(unsigned kind, uint8_t proto)
{
	if (kind == NBK_OTHER)
		return proto == NB_PROTO_GRE ? TRK_GRE_UNREPLIED : TRK_OTHER;
	return kind == NBK_UDP ? TRK_UDP_UNREPLIED : TRK_ICMP;
}

#endif
