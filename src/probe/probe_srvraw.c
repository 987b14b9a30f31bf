/* probe_srvraw.c -- the probe server's pure ACKs into a test flow (TACK, probe_ackkeep.c): the sequence numbers its stack uses, learnt from the client's segments as the raw socket sees them.
 *
 * A pure ACK in sequence (our next sequence number, acknowledging all
 * the client sent) changes nothing at either end: the client's stack
 * takes it as a duplicate and answers nothing. Only the device sees a
 * packet of the flow in the reply direction. The client's segments are
 * kept by their source as seen here (after any translation): the
 * furthest acknowledgement and sequence number of the last SEGS_KEPT
 * sources (a linear search: the probe's few hundred flows).
 */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "probe_int.h"

#define SEGS_KEPT	1024	/* sources, the oldest forgotten first */

static struct seg {
	uint32_t addr;		/* the client's address and port, as seen */
	uint16_t port;
	uint32_t snd, rcv;	/* our next sequence number; the client's */
} segs[SEGS_KEPT];
static unsigned nsegs;

static struct seg *
find(uint32_t addr, uint16_t port)
{
	for (unsigned i = 0; i < SEGS_KEPT && i < nsegs; i++)
		if (segs[i].addr == addr && segs[i].port == port)
			return &segs[i];
	return NULL;
}

void
probe_srvraw_note(const struct iphdr *ih, const struct tcphdr *th, size_t len)
{
	struct seg *s;
	uint32_t end;

	if (!th->ack || th->rst || len < th->doff * 4u)
		return;
	end = ntohl(th->seq) + (uint32_t)(len - th->doff * 4u) + th->fin + th->syn;
	if ((s = find(ih->saddr, th->source)) == NULL) {
		segs[nsegs++ % SEGS_KEPT] = (struct seg){ .addr = ih->saddr, .port = th->source,
		    .snd = ntohl(th->ack_seq), .rcv = end };
		return;
	}
	if ((int32_t)(ntohl(th->ack_seq) - s->snd) > 0)
		s->snd = ntohl(th->ack_seq);
	if ((int32_t)(end - s->rcv) > 0)
		s->rcv = end;
}

int
probe_srvraw_ack(int raw, int fd)
{
	struct sockaddr_in me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	const struct seg *s;

	if (raw < 0 || getsockname(fd, (struct sockaddr *)&me, &ml) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) < 0 || me.sin_family != AF_INET)
		return -1;
	if ((s = find(peer.sin_addr.s_addr, peer.sin_port)) == NULL)
		return -1;
	return probe_raw_send(raw, &me, &peer, TH_ACK, s->snd, s->rcv);
}
