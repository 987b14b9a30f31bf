/* probe_srvclose.c -- the probe server's side of the closing-phase searches (probe_close.c): fully raw flows to the silent port, their SYN/ACK, ACKs and FINs sent by hand, and a probe D ms after the flow's last step.
 *
 * The client's raw socket sends a SYN (sequence number the flow's id) to
 * the silent port, whose stack drops it (its accept queue is full). We
 * answer with a SYN/ACK (PROBE_SYNACK_SEQ(id)). What follows depends on
 * the flow's kind (told beforehand, "CFLOW ID K D"):
 *   S  SYN_RECV: the client never ACKs; the probe is the SYN/ACK again.
 *   W  the client ACKs, then FINs; we never ACK the FIN (FIN_WAIT).
 *   C  as W, and we ACK the FIN at once (CLOSE_WAIT).
 *   L  as W, and we answer the FIN with ours, never ACKed (LAST_ACK).
 *   T  as L, and the client ACKs our FIN (TIME_WAIT).
 * D ms after the last step the probe leaves: a pure ACK in sequence
 * (the SYN/ACK for S) with PSH set, which tells it from the steps; the
 * client's raw socket seeing it means the device still held the flow.
 * Both stacks would answer these segments with RSTs: `natbox probe rules`
 * prints the rules that drop them, and CSTAT says whether the client's
 * stack's RST got here (the rules missing on the client).
 */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "probe_int.h"
#include "probe_srvclose.h"

#define CFLOWS_MAX	256	/* the oldest forgotten first */
#define MS	1000000ULL

static struct cflow {
	unsigned id;
	char kind;		/* S W C L T */
	bool used, rst, fin;	/* a RST from the client; its FIN came */
	uint64_t d, at;		/* ms; the probe's time (ns), 0: not yet due */
	struct sockaddr_in me, to;	/* the silent port as addressed; the client as seen */
	uint32_t x;		/* our initial sequence number */
} cf[CFLOWS_MAX];
static unsigned ncf;

static struct cflow *
by_id(unsigned id)
{
	for (unsigned i = 0; i < CFLOWS_MAX; i++)
		if (cf[i].used && cf[i].id == id)
			return &cf[i];
	return NULL;
}

/* The newest flow from that source (a port may come back in a later round). */
static struct cflow *
by_peer(uint32_t addr, uint16_t port)
{
	for (unsigned j = 1; j <= CFLOWS_MAX; j++) {
		struct cflow *f = &cf[(ncf - j) % CFLOWS_MAX];

		if (f->used && f->to.sin_port == port && f->to.sin_addr.s_addr == addr)
			return f;
	}
	return NULL;
}

size_t
probe_srvclose_ctl(int raw, const char *line, char *out, size_t cap)
{
	unsigned long long d;
	unsigned id;
	char k;
	struct cflow *f;

	if (sscanf(line, "CFLOW %u %c %llu", &id, &k, &d) == 3) {
		if (raw < 0 || strchr("SWCLT", k) == NULL)
			return (size_t)snprintf(out, cap, "ERR %u\n", id);
		cf[ncf++ % CFLOWS_MAX] = (struct cflow){ .id = id, .kind = k, .used = true, .d = d };
		return (size_t)snprintf(out, cap, "OK %u\n", id);
	}
	if (sscanf(line, "CSTAT %u", &id) == 1) {
		f = by_id(id);
		return (size_t)snprintf(out, cap, "C %u %c\n", id, f == NULL ? '?' :
		    f->rst ? 'R' : '-');
	}
	return 0;
}

static void
send_seg(int raw, struct cflow *f, uint8_t flags, uint32_t seq, uint32_t ack)
{
	probe_raw_send(raw, &f->me, &f->to, flags, seq, ack);
}

/* The client's FIN (sequence number id + 1): our answer, by kind. */
static void
on_fin(int raw, struct cflow *f, uint64_t now)
{
	if (f->fin)
		return;
	f->fin = true;
	if (f->kind == 'C')
		send_seg(raw, f, TH_ACK, f->x + 1, f->id + 2);
	else if (f->kind == 'L' || f->kind == 'T')
		send_seg(raw, f, TH_FIN | TH_ACK, f->x + 1, f->id + 2);
	if (f->kind != 'T')
		f->at = now + f->d * MS;
}

void
probe_srvclose_seg(int raw, uint16_t silent_port, const struct iphdr *ih,
    const struct tcphdr *th)
{
	uint64_t now = clock_now_ns();
	struct cflow *f;

	if (ntohs(th->dest) != silent_port)
		return;
	if (th->syn && !th->ack) {
		if ((f = by_id(ntohl(th->seq))) == NULL || f->to.sin_port != 0)
			return;
		f->to = (struct sockaddr_in){ .sin_family = AF_INET,
		    .sin_addr.s_addr = ih->saddr, .sin_port = th->source };
		f->me = (struct sockaddr_in){ .sin_family = AF_INET,
		    .sin_addr.s_addr = ih->daddr, .sin_port = th->dest };
		f->x = PROBE_SYNACK_SEQ(f->id);
		send_seg(raw, f, TH_SYN | TH_ACK, f->x, f->id + 1);
		if (f->kind == 'S')
			f->at = now + f->d * MS;
		return;
	}
	if ((f = by_peer(ih->saddr, th->source)) == NULL)
		return;
	if (th->rst)
		f->rst = true;
	else if (th->fin && ntohl(th->seq) == f->id + 1)
		on_fin(raw, f, now);
	else if (th->ack && f->kind == 'T' && f->fin && f->at == 0 &&
	    ntohl(th->ack_seq) == f->x + 2)
		f->at = now + f->d * MS;
}

uint64_t
probe_srvclose_due(int raw)
{
	uint64_t now = clock_now_ns(), next = 0;

	for (unsigned i = 0; i < CFLOWS_MAX; i++) {
		struct cflow *f = &cf[i];

		if (!f->used || f->at == 0)
			continue;
		if (f->at > now) {
			next = next == 0 || f->at < next ? f->at : next;
			continue;
		}
		f->at = 0;
		if (f->kind == 'S')
			send_seg(raw, f, TH_SYN | TH_ACK | TH_PUSH, f->x, f->id + 1);
		else if (f->kind == 'W')
			send_seg(raw, f, TH_ACK | TH_PUSH, f->x + 1, f->id + 1);
		else if (f->kind == 'C')
			send_seg(raw, f, TH_ACK | TH_PUSH, f->x + 1, f->id + 2);
		else
			send_seg(raw, f, TH_ACK | TH_PUSH, f->x + 2, f->id + 2);
	}
	return next;
}
