/* probe_open.c -- the device's opening timer (SYN_SENT: natbox's timeout.opening): a SYN the server's stack leaves unanswered, answered by hand d later. Needs raw sockets (root) on both ends.
 *
 * The client's raw socket sends a SYN, its sequence number the flow's
 * identifier, from a port a bound socket holds, to the server's silent
 * port (probe_int.h): a listener whose accept queue the server keeps
 * full, so its stack drops SYNs without a word. Told beforehand
 * ("SYNACK ID D"), the server's raw socket sees the SYN, whatever the
 * device made of its source, and sends a SYN/ACK (acknowledging ID + 1)
 * D ms later. The client's raw socket seeing it means the device still
 * held the half-open flow; the D are searched as the timers are
 * (infer.h); its sequence number (PROBE_SYNACK_SEQ) tells it from one
 * the server's stack might send. The client's stack answers the SYN/ACK with a RST, once it
 * has been seen. A SYN/ACK not seen is a death only when the server saw
 * the SYN (ASEEN): a device that blocks the silent port would otherwise
 * read as a timer of zero.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe_cli_int.h"

#define MS	1000000ULL
#define OPEN_FLOWS	8	/* a round */

struct synack_catch {
	const struct sockaddr_in *silent;
	const uint16_t *ports;
	unsigned n;
	uint32_t id0;
	bool *seen;
};

/* A SYN/ACK from the silent port to ports[i] acknowledging id0 + i + 1. */
static void
on_synack(const struct tcphdr *th, size_t len, void *arg)
{
	const struct synack_catch *c = arg;

	(void)len;
	for (unsigned i = 0; i < c->n; i++)
		if (th->syn && th->ack && th->source == c->silent->sin_port &&
		    th->dest == c->ports[i] && ntohl(th->ack_seq) == c->id0 + i + 1 &&
		    ntohl(th->seq) == PROBE_SYNACK_SEQ(c->id0 + i))
			c->seen[i] = true;
}

/* The server takes "SYNACK ID D": 0, or -1 (it has no raw socket). */
static int
ask_synack(struct prober *pr, unsigned id, uint64_t d)
{
	char buf[128];
	unsigned got;

	snprintf(buf, sizeof(buf), "SYNACK %u %llu\n", id, (unsigned long long)d);
	probe_ctl_say(pr, buf);
	while (probe_ctl_line(pr, buf, sizeof(buf)) == 0) {
		if (sscanf(buf, "OK %u", &got) == 1 && got == id)
			return 0;
		if (sscanf(buf, "ERR %u", &got) == 1 && got == id)
			return -1;
	}
	return -1;
}

/* The round's outcomes into the search: a SYN/ACK seen, the flow lived;
 * none, it died, unless the server never saw the SYN (the device
 * blocks it: no timer to read). -1 when no SYN reached the server. */
static int
open_outcomes(struct prober *pr, const uint64_t *d, unsigned n, uint32_t id0,
    const bool *seen)
{
	unsigned blocked = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!seen[i] && probe_raw_seen(pr, id0 + i) == 'N') {
			blocked++;
			continue;
		}
		infer_add(&pr->open, d[i], seen[i]);
	}
	pr->open_blocked += blocked;
	if (blocked < n)
		return 0;
	snprintf(pr->open_why, sizeof(pr->open_why), "the device blocks SYNs to the server's "
	    "silent port (%u): %u of %u never reached the server",
	    ntohs(pr->o->server.sin_port) + PROBE_SILENT_OFF, blocked, n);
	return -1;
}

/* One round of n SYNs, the server answering SYN i d[i] ms later. */
static int
open_round(struct prober *pr, int raw, const uint64_t *d, unsigned n)
{
	struct sockaddr_in me, silent = pr->o->server;
	int held[OPEN_FLOWS];
	uint16_t ports[OPEN_FLOWS];
	bool seen[OPEN_FLOWS] = { false };
	uint32_t id0 = pr->next_id;
	int rc = 0;

	pr->next_id += n;
	silent.sin_port = htons((uint16_t)(ntohs(pr->o->server.sin_port) + PROBE_SILENT_OFF));
	for (unsigned i = 0; i < n; i++)
		held[i] = -1;
	if (probe_raw_ports(pr, &me, held, ports, n) < 0) {
		snprintf(pr->open_why, sizeof(pr->open_why), "no local port to send from");
		rc = -1;
	}
	for (unsigned i = 0; i < n && rc == 0; i++)
		if (ask_synack(pr, id0 + i, d[i]) < 0) {
			snprintf(pr->open_why, sizeof(pr->open_why), "the server cannot answer by "
			    "hand: it needs root (a raw socket) and its silent port");
			rc = -1;
		}
	for (unsigned i = 0; i < n && rc == 0; i++) {
		me.sin_port = ports[i];
		if (probe_raw_send(raw, &me, &silent, TH_SYN, id0 + i, 0) < 0) {
			snprintf(pr->open_why, sizeof(pr->open_why), "raw send: %s", strerror(errno));
			rc = -1;
		}
	}
	if (rc == 0) {
		struct synack_catch c = { &silent, ports, n, id0, seen };

		probe_raw_catch(raw, &silent, d[n - 1] * MS + pr->o->answer_wait, on_synack, &c);
		rc = open_outcomes(pr, d, n, id0, seen);
		pr->rounds++;
		pr->flows += n;
	}
	for (unsigned i = 0; i < n; i++)
		if (held[i] >= 0)
			close(held[i]);
	return rc;
}

void
probe_opening(struct prober *pr)
{
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	uint64_t d[OPEN_FLOWS], res = pr->o->resolution / MS;
	unsigned n;

	res = res > 0 ? res : 1;
	infer_init(&pr->open, res, pr->o->max_wait / MS, res, OPEN_FLOWS, 8);
	if (raw < 0) {
		snprintf(pr->open_why, sizeof(pr->open_why), "needs root (no raw socket: %s)",
		    strerror(errno));
		return;
	}
	if (!pr->o->json)
		printf("probe: the opening timer: %u SYNs a round, answered up to %.1fs later\n",
		    OPEN_FLOWS, (double)pr->o->max_wait / 1e9);
	while ((n = infer_plan(&pr->open, d, OPEN_FLOWS)) > 0 && open_round(pr, raw, d, n) == 0)
		;
	close(raw);
}
