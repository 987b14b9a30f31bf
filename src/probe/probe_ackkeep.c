/* probe_ackkeep.c -- refresh by one direction alone on TCP (refresh.established): established flows kept by pure ACKs from the client alone, or from the server alone, every T/4 for 2 T, then probed. Needs raw sockets (root) on both ends.
 *
 * A byte echoed refreshes both directions at once; a pure ACK in
 * sequence (the next sequence number, acknowledging all the peer sent)
 * is one packet, one direction, that neither stack answers. The client's
 * raw socket learns its flows' sequence numbers from the server's
 * segments and sends them; the server's are sent by its raw socket on
 * "TACK ID" (probe_srvraw.c). Once the established timer T is pinned,
 * AK_FLOWS flows a direction are opened together (their first exchange
 * refreshes them), kept every T/4 for 2 T, left idle T_lo/4 and probed
 * with a byte: echoed means that direction's pure ACKs kept the flow.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "probe_cli_int.h"

#define MS	1000000ULL
#define AK_FLOWS	3	/* a direction */
#define AK_ALL	(2 * AK_FLOWS)

struct akflow {
	struct pflow f;
	struct sockaddr_in me;
	uint32_t snd, rcv;	/* our next sequence number; the server's */
	bool got;
};

struct learn {
	struct akflow *a;
	const struct sockaddr_in *srv;
};

/* A segment of the server's: the sequence numbers of its flow. */
static void
on_seg(const struct tcphdr *th, size_t len, void *arg)
{
	const struct learn *l = arg;

	if (!th->ack || th->rst || th->source != l->srv->sin_port || len < th->doff * 4u)
		return;
	for (unsigned i = 0; i < AK_ALL; i++) {
		struct akflow *a = &l->a[i];
		uint32_t end = ntohl(th->seq) + (uint32_t)(len - th->doff * 4u) + th->fin;

		if (th->dest != a->me.sin_port)
			continue;
		if (!a->got || (int32_t)(ntohl(th->ack_seq) - a->snd) > 0)
			a->snd = ntohl(th->ack_seq);
		if (!a->got || (int32_t)(end - a->rcv) > 0)
			a->rcv = end;
		a->got = true;
	}
}

static void
sleep_until(uint64_t t)
{
	uint64_t now = clock_now_ns();

	if (t > now) {
		struct timespec ts = { (time_t)((t - now) / 1000000000ULL),
		    (long)((t - now) % 1000000000ULL) };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

/* The flows opened, their sequence numbers learnt: 0 or -1. */
static int
ak_open(struct prober *pr, int raw, struct akflow *a)
{
	struct learn l = { a, &pr->o->server };

	for (unsigned i = 0; i < AK_ALL; i++) {
		socklen_t sl = sizeof(a[i].me);

		a[i].f = (struct pflow){ .id = pr->next_id++, .kind = M_TCP_EST, .fd = -1 };
		if (probe_flow_open(pr, &a[i].f) < 0 ||
		    getsockname(a[i].f.fd, (struct sockaddr *)&a[i].me, &sl) < 0)
			return -1;
	}
	probe_raw_catch(raw, &pr->o->server, 100 * MS, on_seg, &l);
	for (unsigned i = 0; i < AK_ALL; i++)
		if (!a[i].got)
			return -1;
	return 0;
}

/* One keepalive a flow: the client's pure ACKs from its raw socket, the
 * server's asked for. -1 when the server cannot send them. */
static int
ak_keep(struct prober *pr, int raw, struct akflow *a)
{
	char buf[128];
	unsigned got;
	int rc = 0;

	for (unsigned i = 0; i < AK_FLOWS; i++)
		(void)probe_raw_send(raw, &a[i].me, &pr->o->server, TH_ACK, a[i].snd, a[i].rcv);
	for (unsigned i = AK_FLOWS; i < AK_ALL; i++) {
		snprintf(buf, sizeof(buf), "TACK %u\n", a[i].f.id);
		probe_ctl_say(pr, buf);
		while (probe_ctl_line(pr, buf, sizeof(buf)) == 0) {
			if (sscanf(buf, "OK %u", &got) == 1 && got == a[i].f.id)
				break;
			if (sscanf(buf, "ERR %u", &got) == 1 && got == a[i].f.id) {
				rc = -1;
				break;
			}
		}
	}
	return rc;
}

/* A byte into each flow; alive when it comes back within answer_wait. */
static void
ak_probe(struct prober *pr, struct akflow *a)
{
	struct pollfd pf[AK_ALL];
	uint64_t end = clock_now_ns() + pr->o->answer_wait;
	char buf[64];

	for (unsigned i = 0; i < AK_ALL; i++) {
		a[i].f.alive = false;
		pf[i] = (struct pollfd){ .fd = send(a[i].f.fd, "x", 1, MSG_NOSIGNAL) == 1 ?
		    a[i].f.fd : -1, .events = POLLIN };
	}
	for (uint64_t now; (now = clock_now_ns()) < end;) {
		if (poll(pf, AK_ALL, (int)((end - now) / MS) + 1) <= 0)
			continue;
		for (unsigned i = 0; i < AK_ALL; i++) {
			ssize_t n;

			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			n = recv(pf[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n > 0 && memchr(buf, 'x', (size_t)n) != NULL)
				a[i].f.alive = true;
			if (n > 0 && !a[i].f.alive)
				continue;
			pf[i].fd = -1;	/* answered, closed or reset */
		}
	}
}

/* Kept 2 T every T/4, idle gap ms, probed. */
static int
ak_run(struct prober *pr, int raw, struct akflow *a, uint64_t t, uint64_t gap)
{
	uint64_t t0;

	if (ak_open(pr, raw, a) < 0) {
		snprintf(pr->akeep.why, sizeof(pr->akeep.why), "a flow could not be opened, or "
		    "its sequence numbers not seen by the raw socket");
		return -1;
	}
	t0 = clock_now_ns();
	for (unsigned k = 1; k <= 8; k++) {
		sleep_until(t0 + k * t * MS / 4);
		if (ak_keep(pr, raw, a) < 0) {
			snprintf(pr->akeep.why, sizeof(pr->akeep.why), "the server sent no "
			    "pure ACK: it needs root (a raw socket), and to have seen the flow");
			return -1;
		}
	}
	sleep_until(t0 + 2 * t * MS + gap * MS);
	ak_probe(pr, a);
	for (unsigned i = 0; i < AK_ALL; i++) {
		pr->akeep.kept[i >= AK_FLOWS] += a[i].f.alive;
		pr->akeep.lost[i >= AK_FLOWS] += !a[i].f.alive;
	}
	pr->rounds++;
	pr->flows += AK_ALL;
	return 0;
}

void
probe_ack_keep(struct prober *pr)
{
	struct akflow a[AK_ALL];
	struct infer_est e;
	int raw;

	memset(a, 0, sizeof(a));
	for (unsigned i = 0; i < AK_ALL; i++)
		a[i].f.fd = -1;
	infer_estimate(&pr->m[M_TCP_EST].s, &e);
	if (e.total == 0 || e.hi == INFER_NEVER) {
		snprintf(pr->akeep.why, sizeof(pr->akeep.why), "the established timer was not "
		    "pinned within max-wait");
		return;
	}
	if ((raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP)) < 0) {
		snprintf(pr->akeep.why, sizeof(pr->akeep.why), "needs root (no raw socket: %s)",
		    strerror(errno));
		return;
	}
	pr->akeep.t = e.hi;
	pr->akeep.gap = e.lo / 4;
	if (!pr->o->json)
		printf("probe: refresh by one direction: %u flows kept by the client's pure ACKs, "
		    "%u by the server's, every T/4 for 2 T (T %llums), probed %llums later: "
		    "%.1fs left\n", AK_FLOWS, AK_FLOWS, (unsigned long long)e.hi,
		    (unsigned long long)pr->akeep.gap,
		    (double)(2 * e.hi + pr->akeep.gap) / 1e3 + (double)pr->o->answer_wait / 1e9);
	(void)ak_run(pr, raw, a, pr->akeep.t, pr->akeep.gap);
	for (unsigned i = 0; i < AK_ALL; i++)
		if (a[i].f.fd >= 0)
			close(a[i].f.fd);
	close(raw);
}
