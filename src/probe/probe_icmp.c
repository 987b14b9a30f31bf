/* probe_icmp.c -- the ICMP query timer (RFC 5508 REQ-2, natbox's timeout.icmp): echo requests with an identifier each, answered at once by the server's stack; d after that reply the server sends another echo reply into the mapping (by hand, on its raw socket), and it arrives only while the device still holds the mapping. IPv4; needs a ping socket (net.ipv4.ping_group_range) or root on the client, root on the server.
 *
 * A request carries "NBI TOKEN": the server finds it by the token whatever
 * the device made of its identifier, and its late reply says "NBI TOKEN L".
 * On ping sockets (one a flow) the kernel picks the identifier and
 * delivers only our replies; on a raw socket (one for the round) we pick
 * it and sort the replies by token.
 *
 * The search runs in a child process of its own, with control
 * connections of its own, side by side with every other search
 * (probe_icmp_start, probe_icmp_finish): its rounds, up to max-wait each
 * where echoes pass untracked, add nothing to the probe's run time. The
 * child hands its search back over a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conform.h"
#include "policy.h"
#include "probe_cli_int.h"
#include "probe_srvicmp.h"
#include "strbuf.h"

#define MS	1000000ULL
#define ICMP_FLOWS	8
/* the child's tokens: clear of the ids the other searches take */
#define ICMP_ID_OFF	900000u

enum { IF_SENT = 0, IF_IDLE, IF_PROBED, IF_DONE };

struct iflow {
	int fd;
	unsigned token;
	uint8_t st;		/* IF_* */
	bool replied, alive;	/* the stack's reply came; the late one did */
	uint64_t d, at;		/* ms idle; ns: the next thing due */
};

struct ictx {
	bool raw;		/* one raw socket (raw_fd), else ping sockets */
	int raw_fd;
};

/* A socket for one flow: a ping socket connected to the server, or the
 * round's raw socket; -1 on error. */
static int
flow_sock(const struct prober *pr, const struct ictx *c)
{
	if (c->raw)
		return c->raw_fd;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)&pr->o->server,
	    sizeof(pr->o->server)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_echo(const struct prober *pr, const struct ictx *c, const struct iflow *f)
{
	uint8_t pkt[64];
	char pl[32];

	snprintf(pl, sizeof(pl), "NBI %u", f->token);
	size_t n = probe_icmp_echo(pkt, sizeof(pkt), ICMP_ECHO, (uint16_t)f->token, 1, pl);

	if (c->raw)
		return sendto(f->fd, pkt, n, 0, (const struct sockaddr *)&pr->o->server,
		    sizeof(pr->o->server)) == (ssize_t)n ? 0 : -1;
	return send(f->fd, pkt, n, 0) == (ssize_t)n ? 0 : -1;
}

/* An echo reply read from fd: its token (0: none of ours), late or not. */
static unsigned
recv_echo(int fd, bool raw, bool *late)
{
	uint8_t buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	size_t off = raw && n > 0 ? (size_t)(buf[0] & 0x0f) * 4 : 0;
	unsigned token = 0;
	char tail = 0;

	if (n <= 0 || (size_t)n < off + 8 || buf[off] != ICMP_ECHOREPLY)
		return 0;
	buf[n] = '\0';
	if (sscanf((const char *)buf + off + 8, "NBI %u %c", &token, &tail) < 1)
		return 0;
	*late = tail == 'L';
	return token;
}

/* What is due on flow f at now: giving up, the server's late reply. */
static void
flow_due(struct prober *pr, struct iflow *f, uint64_t now)
{
	char buf[64];

	if (f->st == IF_DONE || now < f->at)
		return;
	if (f->st == IF_IDLE) {
		snprintf(buf, sizeof(buf), "IPING %u\n", f->token);
		probe_ctl_say(pr, buf);
		f->st = IF_PROBED;
		f->at = now + pr->o->answer_wait;
	} else
		f->st = IF_DONE;	/* no reply in time */
}

static void
flow_heard(struct iflow *fl, unsigned n, unsigned token, bool late)
{
	for (unsigned i = 0; i < n; i++) {
		struct iflow *f = &fl[i];

		if (f->token != token || f->st == IF_DONE)
			continue;
		if (!late && f->st == IF_SENT) {
			f->replied = true;
			f->st = IF_IDLE;
			f->at = clock_now_ns() + f->d * MS;
		} else if (late && f->st == IF_PROBED) {
			f->alive = true;
			f->st = IF_DONE;
		}
	}
}

/* Run flows fl[] to their outcome. */
static void
run_flows(struct prober *pr, const struct ictx *c, struct iflow *fl, unsigned n)
{
	struct pollfd pf[ICMP_FLOWS];
	char junk[512];

	for (;;) {
		uint64_t now = clock_now_ns(), next = now + 1000 * MS;
		unsigned np = 0, live = 0;

		for (unsigned i = 0; i < n; i++) {
			flow_due(pr, &fl[i], now);
			if (fl[i].st == IF_DONE)
				continue;
			live++;
			next = fl[i].at < next ? fl[i].at : next;
			if (!c->raw || np == 0)
				pf[np++] = (struct pollfd){ .fd = fl[i].fd, .events = POLLIN };
		}
		while (pr->ctl >= 0 && recv(pr->ctl, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;	/* the server's OK lines */
		if (live == 0)
			return;
		if (poll(pf, np, next > now ? (int)((next - now + MS - 1) / MS) : 0) < 0 &&
		    errno != EINTR)
			return;
		for (unsigned k = 0; k < np; k++) {
			unsigned token;
			bool late = false;

			while (pf[k].revents && (token = recv_echo(pf[k].fd, c->raw, &late)) != 0)
				flow_heard(fl, n, token, late);
		}
	}
}

/* One round: a flow a planned idle, recorded into the search when
 * record; the flows the stack answered and the ones the late reply
 * reached in *replied, *alive. 0, or -1 (a socket failed). */
static int
icmp_round(struct prober *pr, const struct ictx *c, const uint64_t *d, unsigned n, bool record,
    unsigned *replied, unsigned *alive)
{
	struct iflow fl[ICMP_FLOWS];
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		fl[i] = (struct iflow){ .token = pr->next_id++, .d = d[i], .st = IF_DONE };
		if ((fl[i].fd = flow_sock(pr, c)) < 0 || send_echo(pr, c, &fl[i]) < 0) {
			snprintf(pr->icmp_why, sizeof(pr->icmp_why), "echo request: %s",
			    strerror(errno));
			rc = -1;
			continue;
		}
		fl[i].st = IF_SENT;
		fl[i].at = clock_now_ns() + pr->o->answer_wait;
	}
	if (rc == 0)
		run_flows(pr, c, fl, n);
	*replied = *alive = 0;
	for (unsigned i = 0; i < n; i++) {
		if (rc == 0 && fl[i].replied) {
			++*replied;
			*alive += fl[i].alive;
			if (record)
				infer_add(&pr->icmp, fl[i].d, fl[i].alive);
		}
		if (!c->raw && fl[i].fd >= 0)
			close(fl[i].fd);
	}
	pr->rounds += record;
	pr->flows += record ? n : 0;
	return rc;
}

/* Can the server send its late replies? One echo and "IPING": 0 or -1. */
static int
icmp_check(struct prober *pr, const struct ictx *c)
{
	uint64_t d = 0;
	char buf[128];
	unsigned tok = pr->next_id, got, replied, alive;

	if (icmp_round(pr, c, &d, 1, false, &replied, &alive) < 0)
		return -1;
	if (replied == 0) {
		snprintf(pr->icmp_why, sizeof(pr->icmp_why), "no echo reply came through the "
		    "device");
		return -1;
	}
	if (alive > 0)
		return 0;
	snprintf(buf, sizeof(buf), "IPING %u\n", tok);	/* known: OK, else ERR */
	probe_ctl_say(pr, buf);
	while (probe_ctl_line(pr, buf, sizeof(buf)) == 0)
		if (sscanf(buf, "ERR %u", &got) == 1 && got == tok) {
			snprintf(pr->icmp_why, sizeof(pr->icmp_why), "the server cannot send echo "
			    "replies by hand: it needs root (a raw ICMP socket)");
			return -1;
		} else if (sscanf(buf, "OK %u", &got) == 1 && got == tok)
			break;
	snprintf(pr->icmp_why, sizeof(pr->icmp_why), "the server's late echo reply did not "
	    "come through at once");
	return -1;
}

static void
icmp_query(struct prober *pr)
{
	struct ictx c = { .raw = false, .raw_fd = -1 };
	uint64_t d[ICMP_FLOWS], res = pr->o->resolution / MS;
	unsigned n;

	res = res > 0 ? res : 1;
	if (pr->o->server.sin_family != AF_INET) {
		snprintf(pr->icmp_why, sizeof(pr->icmp_why), "not measured on IPv6 (ICMPv6 echo "
		    "is not written yet)");
		return;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP), e = errno;

	if (fd >= 0)
		close(fd);
	else if ((c.raw_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP)) >= 0)
		c.raw = true;
	else {
		snprintf(pr->icmp_why, sizeof(pr->icmp_why), "needs a ping socket (%s: see "
		    "net.ipv4.ping_group_range) or root", strerror(e));
		return;
	}
	infer_init(&pr->icmp, res, pr->o->max_wait / MS, res, ICMP_FLOWS, 8);
	pr->icmp_how = c.raw ? "raw socket" : "ping sockets";
	if (icmp_check(pr, &c) == 0) {
		if (!pr->o->json)
			printf("probe: the ICMP query timer: %u echoes a round (%s), answered again "
			    "up to %.1fs later\n", ICMP_FLOWS, pr->icmp_how,
			    (double)pr->o->max_wait / 1e9);
		unsigned replied, alive;

		while ((n = infer_plan(&pr->icmp, d, ICMP_FLOWS)) > 0 &&
		    icmp_round(pr, &c, d, n, true, &replied, &alive) == 0)
			;
	}
	if (c.raw_fd >= 0)
		close(c.raw_fd);
}

/* What the child hands back: its search, why not, how, its tallies. */
struct icmp_result {
	struct infer icmp;
	char why[96];
	char how[16];
	unsigned rounds, flows;
};

void
probe_icmp_start(struct prober *pr)
{
	int p[2];

	pr->icmp_pid = -1;
	pr->icmp_pipe = -1;
	fflush(NULL);	/* nothing buffered is written twice */
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(pr->icmp_why, sizeof(pr->icmp_why), "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();

	if (pid < 0) {
		snprintf(pr->icmp_why, sizeof(pr->icmp_why), "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid > 0) {
		close(p[1]);
		pr->icmp_pid = pid;
		pr->icmp_pipe = p[0];
		return;
	}
	/* the child: its own control connections and tokens */
	struct icmp_result r;
	const char *w = (const char *)&r;
	size_t off = 0;

	close(p[0]);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (pr->ctl >= 0)
		close(pr->ctl);	/* the parent's */
	pr->ctl = -1;
	pr->next_id += ICMP_ID_OFF;
	pr->rounds = pr->flows = 0;
	icmp_query(pr);
	memset(&r, 0, sizeof(r));
	r.icmp = pr->icmp;
	snprintf(r.why, sizeof(r.why), "%s", pr->icmp_why);
	snprintf(r.how, sizeof(r.how), "%s", pr->icmp_how ? pr->icmp_how : "");
	r.rounds = pr->rounds;
	r.flows = pr->flows;
	while (off < sizeof(r)) {
		ssize_t k = write(p[1], w + off, sizeof(r) - off);

		if (k <= 0 && errno != EINTR)
			break;
		off += k > 0 ? (size_t)k : 0;
	}
	if (pr->ctl >= 0)
		close(pr->ctl);
	fflush(stdout);
	_exit(off == sizeof(r) ? 0 : 1);
}

void
probe_icmp_finish(struct prober *pr)
{
	struct icmp_result r;
	char *w = (char *)&r;
	size_t off = 0;

	if (pr->icmp_pid < 0)
		return;
	while (off < sizeof(r)) {
		ssize_t k = read(pr->icmp_pipe, w + off, sizeof(r) - off);

		if (k == 0 || (k < 0 && errno != EINTR))
			break;
		off += k > 0 ? (size_t)k : 0;
	}
	close(pr->icmp_pipe);
	while (waitpid(pr->icmp_pid, NULL, 0) < 0 && errno == EINTR)
		;
	pr->icmp_pid = pr->icmp_pipe = -1;
	if (off < sizeof(r)) {
		snprintf(pr->icmp_why, sizeof(pr->icmp_why), "its search's process ended early");
		return;
	}
	pr->icmp = r.icmp;
	snprintf(pr->icmp_why, sizeof(pr->icmp_why), "%s", r.why);
	pr->icmp_how = strcmp(r.how, "raw socket") == 0 ? "raw socket" : "ping sockets";
	pr->rounds += r.rounds;
	pr->flows += r.flows;
}

/* timeout.icmp with its interval, or why it is not measured. */
void
probe_icmp_profile(const struct prober *pr, struct strbuf *sb, uint32_t *known)
{
	struct infer_est e;
	char a[32], b[32], v[32];

	infer_estimate(&pr->icmp, &e);
	if (pr->icmp_why[0] != '\0' || e.total == 0) {
		sb_printf(sb, "# timeout.icmp (ICMP query) not measured: %s\n",
		    pr->icmp_why[0] ? pr->icmp_why : "skipped");
		return;
	}
	if (e.hi == INFER_NEVER) {
		sb_printf(sb, "# timeout.icmp: no echo mapping lost up to %llums (%u flows)\n",
		    (unsigned long long)e.lo, e.total);
		return;
	}
	policy_format_duration(e.lo * MS, a, sizeof(a));
	policy_format_duration(e.hi * MS, b, sizeof(b));
	policy_format_duration((e.lo + e.hi) / 2 * MS, v, sizeof(v));
	sb_printf(sb, "timeout.icmp = %s\t# ICMP query (echo): %s < T <= %s, %u of %u flows "
	    "agreed (an echo reply from the server d after its stack's; %s)\n", v, a, b,
	    e.agreed, e.total, pr->icmp_how);
	*known |= 1u << CA_ICMP_QUERY;
}

void
probe_icmp_text(const struct prober *pr)
{
	struct infer_est e;

	infer_estimate(&pr->icmp, &e);
	if (pr->icmp_why[0] != '\0' || e.total == 0)
		printf("  %-22s not measured: %s\n", "ICMP query",
		    pr->icmp_why[0] ? pr->icmp_why : "skipped");
	else if (e.hi == INFER_NEVER)
		printf("  %-22s held over %llums (%u flows)\n", "ICMP query",
		    (unsigned long long)e.lo, e.total);
	else
		printf("  %-22s %llums < T <= %llums, %u of %u flows agreed\n", "ICMP query",
		    (unsigned long long)e.lo, (unsigned long long)e.hi, e.agreed, e.total);
}

void
probe_icmp_json(const struct prober *pr)
{
	struct infer_est e;

	infer_estimate(&pr->icmp, &e);
	if (pr->icmp_why[0] != '\0' || e.total == 0)
		printf("\"icmp_query\":{\"why\":\"%s\"},", pr->icmp_why);
	else if (e.hi == INFER_NEVER)
		printf("\"icmp_query\":{\"over\":%.3f,\"flows\":%u},", (double)e.lo / 1e3, e.total);
	else
		printf("\"icmp_query\":{\"seconds\":%.3f,\"lo\":%.3f,\"hi\":%.3f,\"agreed\":%u,"
		    "\"flows\":%u,\"socket\":\"%s\"},", (double)(e.lo + e.hi) / 2e3,
		    (double)e.lo / 1e3, (double)e.hi / 1e3, e.agreed, e.total, pr->icmp_how);
}
