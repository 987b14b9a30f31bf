/* probe_srvraw.c -- the probe server's pure ACKs into a test flow (TACK, probe_ackkeep.c): the sequence numbers its stack uses, learnt from the client's segments as the raw socket sees them.
 *
 * A pure ACK in sequence (our next sequence number, acknowledging all
 * the client sent) changes nothing at either end: the client's stack
 * takes it as a duplicate and answers nothing. Only the device sees a
 * packet of the flow in the reply direction. The client's segments are
 * kept by their source as seen here (after any translation), one slot
 * a source, the newest segment winning.
 */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "probe_int.h"

#define SEGS_KEPT	256

static struct seg {
	uint32_t addr;		/* the client's address and port, as seen */
	uint16_t port;
	bool used;
	uint32_t snd, rcv;	/* our next sequence number; the client's */
} segs[SEGS_KEPT];

static struct seg *
slot(uint32_t addr, uint16_t port)
{
	return &segs[(ntohl(addr) * 31u + ntohs(port)) % SEGS_KEPT];
}

void
probe_srvraw_note(const struct iphdr *ih, const struct tcphdr *th, size_t len)
{
	struct seg *s = slot(ih->saddr, th->source);
	uint32_t end = ntohl(th->seq) + (uint32_t)(len - th->doff * 4u) + th->fin + th->syn;

	if (!th->ack || th->rst || len < th->doff * 4u)
		return;
	if (!s->used || s->addr != ih->saddr || s->port != th->source) {
		*s = (struct seg){ .addr = ih->saddr, .port = th->source, .used = true,
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
	s = slot(peer.sin_addr.s_addr, peer.sin_port);
	if (!s->used || s->addr != peer.sin_addr.s_addr || s->port != peer.sin_port)
		return -1;
	return probe_raw_send(raw, &me, &peer, TH_ACK, s->snd, s->rcv);
}
