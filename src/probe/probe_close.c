/* probe_close.c -- the closing timers, on fully raw flows (root at both ends and `natbox probe rules` on both hosts): a FIN never acked (FIN_WAIT) and one acked (CLOSE_WAIT), both FINs with the last never acked (LAST_ACK) and all acked (TIME_WAIT), and a SYN/ACK never acked (SYN_RECV).
 *
 * A flow only raw sockets speak: the client's raw SYN (sequence number
 * the flow's id) to the server's silent port, the server's raw SYN/ACK
 * (probe_srvclose.c), the client's raw ACK and FIN, and the server's
 * answer by kind (nothing, an ACK, its own FIN). Neither stack owns a
 * socket for it, so each answers the other's segments with a RST: the
 * rules `natbox probe rules client|server` print drop those. One round
 * of two flows checks them first (the server reports the client stack's
 * RSTs, the client's raw socket sees the server's); without them the
 * searches are skipped, the why naming the command.
 * D ms after a flow's last step the server's raw socket sends a probe (a
 * pure ACK in sequence, PSH set; for SYN_RECV the SYN/ACK again), which
 * the client's raw socket sees only while the device holds the flow. The
 * five D are searched side by side (infer.h), eight flows each a round.
 * The first two set against the established timer tell when the
 * half-closed timer starts (infer_close_start).
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
#define CLOSE_FLOWS	8	/* a kind, a round */
#define CLOSE_ROUND	(CL__MAX * CLOSE_FLOWS)

/* the server's letter for each kind (probe_srvclose.c), and its name */
static const char letter[CL__MAX + 1] = "WCLTS";
static const char *const name[CL__MAX] = {
	"fin_wait", "close_wait", "last_ack", "time_wait", "syn_recv",
};

struct cflow {
	unsigned kind;		/* enum close_kind */
	uint64_t d;		/* ms */
	uint32_t id, x;		/* our sequence number; the server's */
	uint16_t port;
	bool synack, fin, seen, rst;	/* its SYN/ACK, FIN, the probe, a RST came */
};

struct close_catch {
	int raw;
	struct sockaddr_in me, silent;
	struct cflow *f;
	unsigned n;
};

/* The client's steps, as the server's segments come: ACK and FIN after
 * the SYN/ACK (but SYN_RECV's), the last ACK after the server's FIN
 * (TIME_WAIT's); the probe (PSH) and RSTs noted. */
static void
on_seg(const struct tcphdr *th, size_t len, void *arg)
{
	struct close_catch *c = arg;

	(void)len;
	if (th->source != c->silent.sin_port)
		return;
	for (unsigned i = 0; i < c->n; i++) {
		struct cflow *f = &c->f[i];

		if (th->dest != f->port)
			continue;
		c->me.sin_port = f->port;
		if (th->rst)
			f->rst = true;
		else if (th->psh)
			f->seen = f->synack;
		else if (th->syn && th->ack && !f->synack && ntohl(th->ack_seq) == f->id + 1) {
			f->synack = true;
			f->x = ntohl(th->seq);
			if (f->kind == CL_SYN_RECV)
				return;
			probe_raw_send(c->raw, &c->me, &c->silent, TH_ACK, f->id + 1, f->x + 1);
			probe_raw_send(c->raw, &c->me, &c->silent, TH_FIN | TH_ACK, f->id + 1,
			    f->x + 1);
		} else if (th->fin && f->kind == CL_TIME_WAIT && !f->fin) {
			f->fin = true;
			probe_raw_send(c->raw, &c->me, &c->silent, TH_ACK, f->id + 2, f->x + 2);
		}
		return;
	}
}

/* "CFLOW ID K D" to the server: 0, or -1 (it cannot answer by hand). */
static int
ask_cflow(struct prober *pr, const struct cflow *f)
{
	char buf[128];
	unsigned got;

	snprintf(buf, sizeof(buf), "CFLOW %u %c %llu\n", f->id, letter[f->kind],
	    (unsigned long long)f->d);
	probe_ctl_say(pr, buf);
	while (probe_ctl_line(pr, buf, sizeof(buf)) == 0) {
		if (sscanf(buf, "OK %u", &got) == 1 && got == f->id)
			return 0;
		if (sscanf(buf, "ERR %u", &got) == 1 && got == f->id)
			return -1;
	}
	return -1;
}

/* Did the client stack's RST for flow id reach the server: 'R', '-', '?'. */
static char
ask_cstat(struct prober *pr, uint32_t id)
{
	char buf[128], c = '?';
	unsigned got;

	snprintf(buf, sizeof(buf), "CSTAT %u\n", id);
	probe_ctl_say(pr, buf);
	while (probe_ctl_line(pr, buf, sizeof(buf)) == 0)
		if (sscanf(buf, "C %u %c", &got, &c) == 2 && got == id)
			return c;
	return '?';
}

/* n flows opened, stepped and probed; each one's outcome in f[]. */
static int
close_run(struct prober *pr, int raw, struct cflow *f, unsigned n)
{
	struct close_catch c = { .raw = raw, .silent = pr->o->server, .f = f, .n = n };
	int held[CLOSE_ROUND], rc = 0;
	uint16_t ports[CLOSE_ROUND];
	uint64_t longest = 0;

	c.silent.sin_port = htons((uint16_t)(ntohs(pr->o->server.sin_port) + PROBE_SILENT_OFF));
	for (unsigned i = 0; i < n; i++)
		held[i] = -1;
	if (probe_raw_ports(pr, &c.me, held, ports, n) < 0) {
		snprintf(pr->close_why, sizeof(pr->close_why), "no local port to send from");
		rc = -1;
	}
	for (unsigned i = 0; i < n && rc == 0; i++) {
		f[i].id = pr->next_id++;
		f[i].port = ports[i];
		longest = f[i].d > longest ? f[i].d : longest;
		if (ask_cflow(pr, &f[i]) < 0) {
			snprintf(pr->close_why, sizeof(pr->close_why), "the server cannot answer by "
			    "hand: it needs root (a raw socket) and its silent port");
			rc = -1;
		}
	}
	for (unsigned i = 0; i < n && rc == 0; i++) {
		c.me.sin_port = ports[i];
		if (probe_raw_send(raw, &c.me, &c.silent, TH_SYN, f[i].id, 0) < 0) {
			snprintf(pr->close_why, sizeof(pr->close_why), "raw send: %s",
			    strerror(errno));
			rc = -1;
		}
	}
	if (rc == 0) {
		probe_raw_catch(raw, &pr->o->server, longest * MS + pr->o->answer_wait, on_seg, &c);
		pr->rounds++;
		pr->flows += n;
	}
	for (unsigned i = 0; i < n; i++)
		if (held[i] >= 0)
			close(held[i]);
	return rc;
}

/* Two TIME_WAIT flows probed at once: do the stacks' RSTs get through
 * (the rules missing), does the silent port answer at all. 0 or -1. */
static int
close_check(struct prober *pr, int raw)
{
	struct cflow f[2] = { { .kind = CL_TIME_WAIT }, { .kind = CL_TIME_WAIT } };
	char srv[64];
	unsigned synack = 0, cli_rst = 0, srv_rst = 0;

	if (close_run(pr, raw, f, 2) < 0)
		return -1;
	for (unsigned i = 0; i < 2; i++) {
		synack += f[i].synack;
		srv_rst += f[i].rst;
		cli_rst += ask_cstat(pr, f[i].id) == 'R';
	}
	probe_fmt_addr(&pr->o->server, srv, sizeof(srv));
	if (synack == 0)
		snprintf(pr->close_why, sizeof(pr->close_why), "no SYN/ACK came from the server's "
		    "silent port (the device blocks SYNs to it)");
	else if (cli_rst > 0)
		snprintf(pr->close_why, sizeof(pr->close_why), "this host's stack resets the raw "
		    "flows (%u of 2 RSTs reached the server): run `natbox probe rules client "
		    "--server %s | sh` here (and the server's)", cli_rst, srv);
	else if (srv_rst > 0)
		snprintf(pr->close_why, sizeof(pr->close_why), "the server's stack resets the raw "
		    "flows (%u of 2 RSTs came back): run `natbox probe rules server --listen %s "
		    "| sh` on the server", srv_rst, srv);
	return pr->close_why[0] != '\0' ? -1 : 0;
}

static void
close_progress(const struct prober *pr, unsigned n, uint64_t longest)
{
	struct infer_est e;

	if (pr->o->json)
		return;
	printf("probe: closing timers: %u raw flows, up to %.1fs;", n, (double)longest / 1e3);
	for (unsigned k = 0; k < CL__MAX; k++) {
		infer_estimate(&pr->close[k], &e);
		if (e.total == 0 || e.hi == INFER_NEVER)
			printf(" %s -", name[k]);
		else
			printf(" %s (%.2f, %.2f]", name[k], (double)e.lo / 1e3,
			    (double)e.hi / 1e3);
	}
	printf("\n");
	fflush(stdout);
}

void
probe_close(struct prober *pr)
{
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	uint64_t d[CLOSE_FLOWS], res = pr->o->resolution / MS, longest;
	struct cflow f[CLOSE_ROUND];
	unsigned n, m;

	res = res > 0 ? res : 1;
	for (unsigned k = 0; k < CL__MAX; k++)
		infer_init(&pr->close[k], res, pr->o->max_wait / MS, res, CLOSE_FLOWS, 8);
	if (raw < 0) {
		snprintf(pr->close_why, sizeof(pr->close_why), "needs root (no raw socket: %s)",
		    strerror(errno));
		return;
	}
	if (close_check(pr, raw) < 0) {
		if (!pr->o->json)
			printf("probe: closing timers skipped: %s\n", pr->close_why);
		close(raw);
		return;
	}
	do {
		n = 0;
		longest = 0;
		for (unsigned k = 0; k < CL__MAX; k++) {
			m = infer_plan(&pr->close[k], d, CLOSE_FLOWS);
			for (unsigned j = 0; j < m; j++) {
				f[n++] = (struct cflow){ .kind = k, .d = d[j] };
				longest = d[j] > longest ? d[j] : longest;
			}
		}
		if (n > 0)
			close_progress(pr, n, longest);
		if (n == 0 || close_run(pr, raw, f, n) < 0)
			break;
		for (unsigned i = 0; i < n; i++)	/* no SYN/ACK: no observation */
			if (f[i].synack)
				infer_add(&pr->close[f[i].kind], f[i].d, f[i].seen);
	} while (n > 0);
	close(raw);
}

