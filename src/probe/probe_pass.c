/* probe_pass.c -- does the device pass RSTs and FIN-ACKs at all (seed 003's firewalls drop them)? Measured once, before the timers, on flows of their own; no raw sockets needed.
 *
 * A RST from the client: its socket closed with SO_LINGER 0; the server
 * tells whether its socket was reset. A RST from the server: "TRST ID"
 * closes the server's end the same way; the client's socket reads
 * ECONNRESET. A FIN: the client shuts its side; the server tells whether
 * it read the end, and the client's socket reaching FIN_WAIT2 says the
 * server's ACK of it came back. All within the answer wait (1.5 s: a
 * lost segment's retransmissions count as passing if one gets through).
 * TIME_WAIT: a connection the server closes first, opened again from the
 * same port (timewait.reopen).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "probe_cli_int.h"
#include "strbuf.h"

#define MS	1000000ULL
#define PASS_FLOWS	4

static const char *const pass_key[] = {
	[PASS_RST_ORIG] = "fault.drop_rst_orig", [PASS_RST_REPLY] = "fault.drop_rst_reply",
	[PASS_FIN] = "fault.drop_first_fin", [PASS_FIN_ACK] = "fault.drop_fin_ack",
};
static const char *const pass_text[] = {
	[PASS_RST_ORIG] = "RST out", [PASS_RST_REPLY] = "RST in", [PASS_FIN] = "FIN",
	[PASS_FIN_ACK] = "FIN-ACK",
};
static const char *const pass_json[] = {
	[PASS_RST_ORIG] = "rst_orig", [PASS_RST_REPLY] = "rst_reply",
	[PASS_FIN] = "fin", [PASS_FIN_ACK] = "fin_ack",
};
static const char *const pass_what[] = {
	[PASS_RST_ORIG] = "client RSTs reached the server",
	[PASS_RST_REPLY] = "server RSTs reached the client",
	[PASS_FIN] = "client FINs reached the server",
	[PASS_FIN_ACK] = "ACKs of the FINs that passed came back (FIN_WAIT2)",
};

static bool
fin_acked(int fd)
{
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
	    ti.tcpi_state == TCP_FIN_WAIT2;
}

/* The client's RST (k 0), the server's (k 1), the client's FIN (k 2). */
static void
pass_send(struct prober *pr, struct pflow *f, unsigned k)
{
	struct linger lg = { 1, 0 };
	char buf[64];

	if (k == 0) {
		setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(f->fd);
		f->fd = -1;
	} else if (k == 1) {
		snprintf(buf, sizeof(buf), "TRST %u\n", f->id);
		probe_ctl_say(pr, buf);
	} else if (shutdown(f->fd, SHUT_WR) < 0)
		f->setup_failed = true;
}

void
probe_passage(struct prober *pr)
{
	struct pflow fl[3 * PASS_FLOWS];
	uint64_t t0;
	char ch;

	for (unsigned i = 0; i < 3 * PASS_FLOWS; i++) {
		fl[i] = (struct pflow){ .id = pr->next_id++, .kind = M_TCP_EST, .fd = -1 };
		fl[i].setup_failed = probe_flow_open(pr, &fl[i]) < 0;
	}
	for (unsigned i = 0; i < 3 * PASS_FLOWS; i++)
		if (!fl[i].setup_failed)
			pass_send(pr, &fl[i], i / PASS_FLOWS);
	t0 = clock_now_ns();
	while (clock_now_ns() - t0 < pr->o->answer_wait)
		usleep(50000);
	for (unsigned i = 0; i < 3 * PASS_FLOWS; i++) {
		struct pflow *f = &fl[i];
		unsigned k = i / PASS_FLOWS;

		if (f->setup_failed)
			continue;
		if (k == 1) {
			pr->pass[PASS_RST_REPLY].tried++;
			pr->pass[PASS_RST_REPLY].passed += recv(f->fd, &ch, 1, MSG_DONTWAIT) < 0 &&
			    errno == ECONNRESET;
		} else if (k == 2)
			f->alive = fin_acked(f->fd);	/* counted once the FIN is known to have passed */
	}
	probe_collect(pr, fl, 3 * PASS_FLOWS);
	for (unsigned i = 0; i < 3 * PASS_FLOWS; i++) {
		if (fl[i].setup_failed || i / PASS_FLOWS == 1)
			continue;
		unsigned w = i / PASS_FLOWS == 0 ? PASS_RST_ORIG : PASS_FIN;

		pr->pass[w].tried++;
		pr->pass[w].passed += w == PASS_RST_ORIG ? fl[i].srv == 'B' : fl[i].srv_fin;
		if (w == PASS_FIN && fl[i].srv_fin) {
			pr->pass[PASS_FIN_ACK].tried++;
			pr->pass[PASS_FIN_ACK].passed += fl[i].alive;
		}
	}
}

/* A connection from a port of its own that the server closes first;
 * then the same port to the same endpoint again, 300 ms later, while the
 * device holds the first in TIME_WAIT. 1 reopened, 0 not, -1 no test. */
static int
reopen_once(struct prober *pr)
{
	struct pflow f = { .id = pr->next_id++, .kind = M_TCP_EST, .fd = -1 };
	union probe_sa me;
	socklen_t sl = sizeof(me);
	char buf[64];
	int rc;

	if (probe_flow_open(pr, &f) < 0 || getsockname(f.fd, &me.sa, &sl) < 0) {
		if (f.fd >= 0)
			close(f.fd);
		return -1;
	}
	snprintf(buf, sizeof(buf), "TCLOSE %u\n", f.id);
	probe_ctl_say(pr, buf);
	rc = (int)recv(f.fd, buf, sizeof(buf), 0);	/* the server's FIN: 0 */
	close(f.fd);
	if (rc != 0)
		return -1;
	usleep(300000);
	int fd = probe_dial(&pr->o->addr, SOCK_STREAM, &me);

	if (fd < 0)
		return errno == EADDRINUSE ? -1 : 0;
	close(fd);
	return 1;
}

void
probe_timewait(struct prober *pr)
{
	for (unsigned i = 0; i < 3; i++) {
		int r = reopen_once(pr);

		if (r < 0)
			continue;
		pr->tw.tried++;
		pr->tw.reopened += (unsigned)r;
	}
}

/* fault.* = the share lost, each with its count. */
void
probe_pass_profile(const struct prober *pr, struct strbuf *sb)
{
	for (unsigned w = 0; w < 4; w++) {
		unsigned t = pr->pass[w].tried, p = pr->pass[w].passed;

		if (t == 0)
			continue;
		sb_printf(sb, "%s = %u%%\t# %u of %u %s within 1.5 s\n", pass_key[w],
		    (t - p) * 100 / t, p, t, pass_what[w]);
	}
	if (pr->tw.tried > 0)
		sb_printf(sb, "timewait.reopen = %s\t# %u of %u connections the server closed "
		    "first were opened again from the same port 300 ms later\n",
		    2 * pr->tw.reopened > pr->tw.tried ? "allow" : "drop", pr->tw.reopened,
		    pr->tw.tried);
}

void
probe_pass_json(const struct prober *pr)
{
	printf("\"passes\":{");
	for (unsigned w = 0; w < 4; w++)
		printf("%s\"%s\":{\"passed\":%u,\"tried\":%u}", w ? "," : "", pass_json[w],
		    pr->pass[w].passed, pr->pass[w].tried);
	printf(",\"timewait_reopen\":{\"passed\":%u,\"tried\":%u}},", pr->tw.reopened,
	    pr->tw.tried);
}

void
probe_pass_text(const struct prober *pr)
{
	if (pr->pass[PASS_RST_ORIG].tried + pr->pass[PASS_FIN].tried == 0)
		return;
	printf("  %-22s", "segments passing");
	for (unsigned w = 0; w < 4; w++)
		printf("%s %s %u/%u", w ? "," : "", pass_text[w], pr->pass[w].passed,
		    pr->pass[w].tried);
	printf("; TIME_WAIT reopened %u/%u\n", pr->tw.reopened, pr->tw.tried);
}
