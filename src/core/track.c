/* track.c -- UDP, ICMP query and other IP protocol flows: states, the kernel's stream rule, Zeek's labels. */
#include <string.h>

#include "track.h"

void
dgram_track_new(struct tcp_track *t, const struct nb_packet *p, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	t->state = dgram_first_state(p->kind, p->proto);
	t->dg.born_lo = (uint32_t)now;
	t->dg.born_hi = (uint32_t)(now >> 32);
	if (p->kind == NBK_ICMP) {
		t->dg.icmp_type = p->icmp_qtype;
		t->dg.icmp_code = p->icmp_qcode;
	}
	if (p->kind == NBK_UDP)
		tcp_history_data(t, DIR_ORIG);
}

/*
 * nf_conntrack_udp_packet(): the reply bit (IPS_SEEN_REPLY) is set by
 * nf_conntrack_in() after the protocol's handler ran, so the first reply
 * itself is still timed as unreplied; a later packet, either way, past
 * the flow's first 2 s (stream_ts) moves it to the stream timeout and
 * sets ASSURED. nf_conntrack_gre_packet() likewise, without the 2 s:
 * once a reply was seen, the next packet either way moves the flow to
 * the stream timer and sets ASSURED. ICMP (nf_conntrack_proto_icmp.c)
 * and other protocols (nf_conntrack_proto_generic.c) refresh with their
 * one timeout.
 */
void
dgram_track_packet(struct tcp_track *t, enum flow_dir dir,
    const struct nb_packet *p, uint64_t now, struct tcp_result *r)
{
	r->outcome = TO_OK;
	r->old_state = t->state;
	r->refresh = true;
	r->shorten = false;
	if (t->state == TRK_UDP_UNREPLIED && (t->flags & TTF_SEEN_REPLY) &&
	    now - dgram_born(t) > TRK_UDP_STREAM_AFTER) {
		t->state = TRK_UDP_REPLIED;
		t->flags |= TTF_ASSURED;
	}
	if (t->state == TRK_GRE_UNREPLIED && (t->flags & TTF_SEEN_REPLY)) {
		t->state = TRK_GRE_REPLIED;
		t->flags |= TTF_ASSURED;
	}
	if (dir == DIR_REPLY)
		t->flags |= TTF_SEEN_REPLY;
	if (p->kind == NBK_UDP)
		tcp_history_data(t, dir);
	r->new_state = t->state;
}

const char *
dgram_conn_state(unsigned kind, const struct tcp_track *t)
{
	if (kind != NBK_UDP)
		return "OTH";
	return (t->flags & TTF_SEEN_REPLY) ? "SF" : "S0";
}
