/* rst.c -- the RSTs the engine sends: one an endpoint accepts outright (RFC 5961), or the answer to a segment without a connection (RFC 793). */
#include <string.h>

#include "rst.h"

/* The RST that makes the endpoint on side `to` drop the connection:
 * sequence number = the rcv.nxt that endpoint last acknowledged (RFC 5961
 * 3.2: only an exact match resets without a challenge ACK). */
void
rst_for_side(const struct flow *f, enum flow_dir to, struct rst_spec *r)
{
	const struct tcp_dir *rcv = &f->trk.d[to], *snd = &f->trk.d[!to];

	memset(r, 0, sizeof(*r));
	r->family = f->family;
	if (to == DIR_ORIG) {
		r->src = f->dst, r->dst = f->src;
		r->sport = f->dport, r->dport = f->sport;
	} else {
		r->src = f->src, r->dst = f->dst;
		r->sport = f->sport, r->dport = f->dport;
	}
	r->seq = (rcv->flags & TDF_MAXACK_SET) ? rcv->ack : snd->end;
	r->ack = rcv->end;
	r->flags = TH_RST | TH_ACK;
}

/* RFC 793 reset generation for a segment that has no connection. */
void
rst_for_packet(const struct nb_packet *p, struct rst_spec *r)
{
	memset(r, 0, sizeof(*r));
	r->family = p->family;
	r->src = p->dst, r->dst = p->src;
	r->sport = p->dport, r->dport = p->sport;
	if (p->flags & TH_ACK) {
		r->seq = p->ack;
		r->flags = TH_RST;
	} else {
		r->ack = p->seq + decode_seglen(p);
		r->flags = TH_RST | TH_ACK;
	}
}
