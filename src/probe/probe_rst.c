/* probe_rst.c -- what a RST does to the device's state: the flow ended at once, or held for a while (RFC 7857 section 2.2; natbox's timeout.close). Needs a raw socket (root) on the client.
 *
 * Each flow, once open, gets a RST from the client's raw socket whose
 * sequence number is one past what the server expects: inside the
 * window, so a device that looks at sequence numbers at all takes it,
 * but not exact, so the server's stack ignores it (RFC 5961 3.2: it
 * answers with a challenge ACK). The connection lives on at both ends;
 * only the device saw it reset. The client then sends a byte d after
 * the RST, searched as the timers are (infer.h): echoed means the state
 * was still there. A device that picks up packets of no flow
 * (unknown.action = pickup) passes the byte either way: no death, the
 * figure reads "over max-wait".
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "probe_cli_int.h"

#define MS	1000000ULL
#define RSTH_FLOWS	8	/* a round */

/* The last acknowledgement number the server sent each flow (the
 * server's next expected sequence number), from the raw socket's queue. */
static void
learn_acks(int raw, const struct sockaddr_in *srv, const struct sockaddr_in *me,
    unsigned n, uint32_t *ack, bool *got)
{
	uint8_t buf[1500];
	ssize_t r;

	while ((r = recv(raw, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		const struct iphdr *ih = (const struct iphdr *)buf;

		if ((size_t)r < ih->ihl * 4u + 20 || ih->saddr != srv->sin_addr.s_addr)
			continue;
		const struct tcphdr *th = (const struct tcphdr *)(buf + ih->ihl * 4);

		for (unsigned i = 0; i < n; i++)
			if (th->ack && th->source == srv->sin_port && th->dest == me[i].sin_port &&
			    (!got[i] || (int32_t)(ntohl(th->ack_seq) - ack[i]) > 0)) {
				ack[i] = ntohl(th->ack_seq);
				got[i] = true;
			}
	}
}

/* One round: flows opened, reset under the device, probed d[i] later. */
static int
rst_round(struct prober *pr, int raw, const uint64_t *d, unsigned n)
{
	struct pflow fl[RSTH_FLOWS];
	struct sockaddr_in me[RSTH_FLOWS];
	uint32_t ack[RSTH_FLOWS];
	bool got[RSTH_FLOWS] = { false };
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		socklen_t sl = sizeof(me[i]);

		fl[i] = (struct pflow){ .id = pr->next_id++, .kind = M_TCP_EST, .idle = d[i] * MS,
		    .fd = -1, .phase = PH_IDLE };
		if (probe_flow_open(pr, &fl[i]) < 0 ||
		    getsockname(fl[i].fd, (struct sockaddr *)&me[i], &sl) < 0)
			rc = -1;
	}
	learn_acks(raw, &pr->o->server, me, n, ack, got);
	for (unsigned i = 0; i < n && rc == 0; i++)
		if (!got[i] || probe_raw_send(raw, &me[i], &pr->o->server, TH_RST, ack[i] + 1,
		    0) < 0)
			rc = -1;
	uint64_t t0 = clock_now_ns();

	for (unsigned i = 0; i < n && rc == 0; i++)
		fl[i].last = t0;
	if (rc == 0)
		probe_round_run(pr, fl, n);
	for (unsigned i = 0; i < n; i++) {
		if (rc == 0)
			infer_add(&pr->rsth, d[i], fl[i].alive);
		if (fl[i].fd >= 0)
			close(fl[i].fd);
	}
	pr->rounds += rc == 0;
	pr->flows += n;
	return rc;
}

void
probe_rst_hold(struct prober *pr)
{
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	uint64_t d[RSTH_FLOWS], res = pr->o->resolution / MS;
	unsigned n;

	infer_init(&pr->rsth, res > 0 ? res : 1, pr->o->max_wait / MS, res > 0 ? res : 1,
	    RSTH_FLOWS, 8);
	if (raw < 0) {
		snprintf(pr->rsth_why, sizeof(pr->rsth_why), "needs root (no raw socket: %s)",
		    strerror(errno));
		return;
	}
	if (!pr->o->json)
		printf("probe: what a RST does: %u flows a round, up to %.1fs after it\n",
		    RSTH_FLOWS, (double)pr->o->max_wait / 1e9);
	while ((n = infer_plan(&pr->rsth, d, RSTH_FLOWS)) > 0)
		if (rst_round(pr, raw, d, n) < 0) {
			snprintf(pr->rsth_why, sizeof(pr->rsth_why), "a flow could not be "
			    "opened, or its sequence number not seen by the raw socket");
			break;
		}
	close(raw);
}
