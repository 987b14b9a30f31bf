/* probe_cli.c -- natbox probe client: the near side. Rounds of parallel test flows, each idle for a planned time before one packet tells whether the device still carries it; infer.h turns the outcomes into timers.
 *
 * Measurements run side by side, each its own search (infer.c): the TCP
 * established idle timeout (the client sends a byte, the server echoes
 * it), the UDP timeout of a flow never answered and of one answered past
 * its first 2 s (the server sends into the mapping when the control
 * connection asks: the inbound direction is what a NAT's timer guards).
 * The half-closed timer: the client shuts its side (FIN, acked at once by
 * the server's stack), and after the idle the server sends a byte in the
 * open direction (TPING over the control connection). Once that search is
 * done, a few half-closed flows the server sends into every T/4 tell an
 * idle timer from an absolute one (seed 000's NAT). At a round's end the
 * server reports what it saw of each TCP flow (TSTAT): a RST at expiry,
 * or one answering its own send.
 * A round waits for its longest idle plus the answer wait, so its flows
 * cost nothing extra. The control connection is opened afresh once it is
 * half a second old (probe_ctl_say), so no device timer ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "probe.h"
#include "probe_cli_int.h"

#define MS	1000000ULL
#define CTL_FRESH	(500 * MS)

static uint64_t
since(uint64_t t0)
{
	return clock_now_ns() - t0;
}

/* A connected socket (TCP: handshake done within 3 s), or -1; from
 * the local endpoint `from` when given (reused: a port just closed). */
int
probe_dial(const union probe_sa *sa, int type, const union probe_sa *from)
{
	int fd = probe_sa_socket(sa, type | SOCK_CLOEXEC), one = 1;
	struct timeval tv = { 3, 0 };

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (from != NULL && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, &from->sa, probe_sa_len(from)) < 0)) {
		close(fd);
		return -1;
	}
	if (connect(fd, &sa->sa, probe_sa_len(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One line (without its newline) read byte by byte within the socket's
 * receive timeout: 0, or -1. */
static int
read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	char ch;

	while (n + 1 < cap) {
		ssize_t r = read(fd, &ch, 1);

		if (r <= 0)
			return -1;
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return 0;
}

static int
say(int fd, const char *line)
{
	size_t n = strlen(line);

	return write(fd, line, n) == (ssize_t)n ? 0 : -1;
}

/* A UDP exchange: "U id r" and its "S id addr" answer (the source the
 * server saw), or -1 when none came. */
static int
udp_hello(struct pflow *f, bool reply)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "U %u %c\n", f->id, reply ? 'r' : 'n');
	if (send(f->fd, buf, strlen(buf), 0) < 0)
		return -1;
	if (!reply)
		return 0;
	ssize_t n = recv(f->fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "S %*u %63s", f->seen) != 1)
		return -1;
	return 0;
}

/* Open a flow: its first exchange done, its idle about to start. */
int
probe_flow_open(struct prober *pr, struct pflow *f)
{
	char buf[128];
	int one = 1;

	f->fd = probe_dial(&pr->o->addr, IS_TCP(f->kind) ? SOCK_STREAM : SOCK_DGRAM, NULL);
	if (f->fd < 0)
		return -1;
	if (IS_TCP(f->kind)) {
		snprintf(buf, sizeof(buf), "F %u\n", f->id);
		setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (say(f->fd, buf) < 0 || read_line(f->fd, buf, sizeof(buf)) < 0 ||
		    sscanf(buf, "S %*u %63s", f->seen) != 1)
			return -1;
		setsockopt(f->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		/* half-closed: our FIN, the idle counted from it */
		if ((f->kind == M_TCP_HALF || f->kind == M_TCP_HREF) && shutdown(f->fd, SHUT_WR) < 0)
			return -1;
	} else if (udp_hello(f, IS_UREP(f->kind)) < 0)
		return -1;
	probe_local(f->fd, f->local, sizeof(f->local));
	f->born = f->last = clock_now_ns();
	f->next_keep = f->last + f->keep;
	return 0;
}

/* The kernel's stream rule: a flow answered and used again past its
 * first 2 s. */
static int
flow_stream(struct pflow *f)
{
	if (udp_hello(f, true) < 0)
		return -1;
	f->last = clock_now_ns();
	f->next_keep = f->last + f->keep;
	return 0;
}

static void
flow_end(struct pflow *f, bool alive)
{
	f->phase = PH_DONE;
	f->alive = alive;
	/* a TCP flow stays open until the server said what it saw of it */
	if (f->fd >= 0 && !IS_TCP(f->kind)) {
		close(f->fd);
		f->fd = -1;
	}
}

/* The server writes byte ch into a half-closed flow. */
static void
tping(struct prober *pr, const struct pflow *f, char ch)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "TPING %u %c\n", f->id, ch);
	probe_ctl_say(pr, buf);
}

/* The probe packet: a byte on TCP; on UDP the server's datagram, asked
 * for over the control connection. */
static void
flow_probe(struct prober *pr, struct pflow *f)
{
	char buf[64];

	f->phase = PH_PROBED;
	f->give_up = clock_now_ns() + pr->o->answer_wait;
	if (f->kind == M_TCP_EST || f->kind == M_TCP_EKEEP) {
		if (send(f->fd, "x", 1, MSG_NOSIGNAL) != 1) {
			f->reset_after = errno == ECONNRESET || errno == EPIPE;
			flow_end(f, false);
		}
		return;
	}
	if (IS_TCP(f->kind)) {
		tping(pr, f, 'x');
		return;
	}
	snprintf(buf, sizeof(buf), "UPING %u\n", f->id);
	probe_ctl_say(pr, buf);
}

/* An answer (or an error) on a flow's socket. */
static void
flow_readable(struct pflow *f, short revents)
{
	char buf[64];
	ssize_t n = recv(f->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* a RST (or FIN) before the probe: the device reset at expiry */
		if (f->phase == PH_IDLE)
			f->reset_before = true;
		else
			f->reset_after = n < 0 && errno == ECONNRESET;
		flow_end(f, false);
		return;
	}
	(void)revents;
	buf[n] = '\0';
	if (f->phase != PH_PROBED)
		return;
	if (IS_TCP(f->kind) ? memchr(buf, 'x', (size_t)n) != NULL : buf[0] == 'P')
		flow_end(f, true);
}

/* A control request. The connection is opened afresh once it is
 * CTL_FRESH old: a device whose TCP timer is absolute (refresh none)
 * would end a long-lived one, and every request with it. */
void
probe_ctl_say(struct prober *pr, const char *line)
{
	char buf[512];

	if (pr->ctl < 0 || since(pr->ctl_opened) >= CTL_FRESH) {
		if (pr->ctl >= 0) {
			while (recv(pr->ctl, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
			close(pr->ctl);
		}
		if ((pr->ctl = probe_dial(&pr->o->addr, SOCK_STREAM, NULL)) < 0 || say(pr->ctl, "CTL\n") < 0)
			fatalx("probe: the probe server no longer takes control connections");
		pr->ctl_opened = clock_now_ns();
	}
	if (say(pr->ctl, line) < 0)
		fatalx("probe: the control connection to the server broke");
}

/* One answer line from the control connection (its receive timeout
 * bounds the wait): 0, or -1. */
int
probe_ctl_line(struct prober *pr, char *buf, size_t cap)
{
	return pr->ctl >= 0 ? read_line(pr->ctl, buf, cap) : -1;
}

/* Drain the control connection's answers. */
static void
ctl_tick(struct prober *pr)
{
	char buf[512];

	while (pr->ctl >= 0 && recv(pr->ctl, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* A keepalive: the kind of packet the flow's refresh set is about. */
static void
keep_send(struct prober *pr, struct pflow *f)
{
	char buf[64];

	switch (f->kind) {
	case M_TCP_HREF:
		tping(pr, f, 'k');
		break;
	case M_TCP_EKEEP:	/* echoed: data both ways */
		(void)send(f->fd, "k", 1, MSG_NOSIGNAL);
		break;
	case M_UDP_KORIG:	/* recorded, not answered */
		snprintf(buf, sizeof(buf), "U %u k\n", f->id);
		(void)send(f->fd, buf, strlen(buf), 0);
		break;
	case M_UDP_KREPLY:	/* the server's datagram into the mapping */
		snprintf(buf, sizeof(buf), "UPING %u\n", f->id);
		probe_ctl_say(pr, buf);
		break;
	}
}

/* What is due on a flow now (its probe, a keepalive, giving up); when
 * it next needs looking at. */
static uint64_t
flow_due(struct prober *pr, struct pflow *f, uint64_t now)
{
	uint64_t probe_at = f->last + f->idle;
	uint64_t keep_end = f->keep_span > 0 ? f->last + f->keep_span : probe_at;

	if (f->phase == PH_IDLE && f->keep > 0 && now >= f->next_keep && f->next_keep < keep_end) {
		keep_send(pr, f);
		f->next_keep += f->keep;
		/* a keep set's gap counts from its last keepalive */
		if (f->keep_span > 0) {
			f->idle = now - f->last + f->gap;
			probe_at = f->last + f->idle;
		}
	}
	if (f->phase == PH_IDLE && now >= probe_at)
		flow_probe(pr, f);
	if (f->phase == PH_PROBED && now >= f->give_up)
		flow_end(f, false);
	if (f->phase == PH_PROBED)
		return f->give_up;
	return f->keep > 0 && f->next_keep < keep_end ? f->next_keep : probe_at;
}

/* Run the flows of one round to their outcome. */
void
probe_round_run(struct prober *pr, struct pflow *fl, unsigned n)
{
	struct pollfd pf[PROBE_ROUND_MAX];
	unsigned live = n;

	while (live > 0) {
		uint64_t now = clock_now_ns(), next = now + 1000 * MS;
		unsigned np = 0;

		live = 0;
		for (unsigned i = 0; i < n; i++) {
			struct pflow *f = &fl[i];
			uint64_t at = flow_due(pr, f, now);

			if (f->phase == PH_DONE)
				continue;
			live++;
			next = at < next ? at : next;
			pf[np++] = (struct pollfd){ .fd = f->fd, .events = POLLIN };
		}
		ctl_tick(pr);
		if (live == 0)
			break;
		int ms = next > now ? (int)((next - now + MS - 1) / MS) : 0;

		if (poll(pf, np, ms) < 0 && errno != EINTR)
			fatal("poll");
		for (unsigned i = 0, k = 0; i < n; i++) {
			if (fl[i].phase == PH_DONE || fl[i].fd != pf[k].fd)
				continue;
			if (pf[k].revents)
				flow_readable(&fl[i], pf[k].revents);
			k++;
		}
	}
}

/* Once the half-closed search is done: flows the server keeps sending
 * into every T/4 for 2 T, T the timer's upper bound. An idle timer
 * carries them; an absolute one ends them at T anyway. */
static unsigned
plan_href(struct prober *pr, struct pflow *fl, unsigned n, uint64_t *longest)
{
	struct infer_est e;

	infer_estimate(&pr->m[M_TCP_HALF].s, &e);
	if (pr->href_planned || !e.done || e.total == 0 || e.hi == INFER_NEVER)
		return n;
	pr->href_planned = true;
	pr->href_t = e.hi;
	for (unsigned i = 0; i < HREF_FLOWS && n < PROBE_ROUND_MAX; i++)
		fl[n++] = (struct pflow){ .id = pr->next_id++, .kind = M_TCP_HREF,
		    .idle = 2 * e.hi * MS, .keep = e.hi * MS / 4, .fd = -1, .phase = PH_IDLE };
	*longest = 2 * e.hi > *longest ? 2 * e.hi : *longest;
	return n;
}

/* What the server saw of the round's TCP flows (and their sockets
 * closed, which the server must not take for the device's RST). */
void
probe_collect(struct prober *pr, struct pflow *fl, unsigned n)
{
	char buf[128], x, fin = '-';
	unsigned want = 0, id;

	pr->ctl_opened = 0;	/* every answer on one fresh connection */
	for (unsigned i = 0; i < n; i++) {
		if (!IS_TCP(fl[i].kind))
			continue;
		snprintf(buf, sizeof(buf), "TSTAT %u\n", fl[i].id);
		probe_ctl_say(pr, buf);
		fl[i].srv = '?';
		want++;
	}
	/* other answers (OK, ERR) interleave: skipped */
	while (want > 0 && read_line(pr->ctl, buf, sizeof(buf)) == 0) {
		if (sscanf(buf, "T %u %c %c", &id, &x, &fin) < 2)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (fl[i].id == id && IS_TCP(fl[i].kind) && fl[i].srv == '?') {
				fl[i].srv = x;
				fl[i].srv_fin = fin == 'F';
				want--;
			}
	}
	for (unsigned i = 0; i < n; i++)
		if (fl[i].fd >= 0) {
			close(fl[i].fd);
			fl[i].fd = -1;
		}
}

/* The round's outcomes into the searches and tallies. */
static void
round_record(struct prober *pr, const struct pflow *fl, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct pflow *f = &fl[i];
		struct expiry *ex;

		if (f->setup_failed)
			continue;
		if (f->kind == M_TCP_HREF) {
			pr->href_kept += f->alive;
			pr->href_lost += !f->alive;
			continue;
		}
		if (f->kind > M_TCP_HREF) {
			pr->keep[f->kind - M_TCP_EKEEP].kept += f->alive;
			pr->keep[f->kind - M_TCP_EKEEP].lost += !f->alive;
			continue;
		}
		infer_add(&pr->m[f->kind].s, f->idle / MS, f->alive);
		if (f->alive || (f->kind != M_TCP_EST && f->kind != M_TCP_HALF))
			continue;
		ex = &pr->ex[f->kind == M_TCP_HALF];
		ex->dead++;
		ex->cli_before += f->reset_before;
		ex->cli_after += f->reset_after;
		ex->srv_before += f->srv == 'B';
		ex->srv_after += f->srv == 'A';
		ex->rst_expiry += f->reset_before || f->srv == 'B';
	}
}

/* Open the round's replied UDP flows (replied) or the others. */
static void
round_open(struct prober *pr, struct pflow *fl, unsigned n, bool replied)
{
	for (unsigned i = 0; i < n; i++) {
		if (IS_UREP(fl[i].kind) != replied)
			continue;
		if (probe_flow_open(pr, &fl[i]) < 0) {
			log_warnx("probe: test flow %u could not be set up", fl[i].id);
			flow_end(&fl[i], false);
			fl[i].setup_failed = true;
		} else
			probe_note_seen(pr, fl[i].local, fl[i].seen);
	}
}

/* The replied UDP flows answered again 1.1 s after their first exchange
 * (an unreplied timer down to about 1.2 s, refreshed by either
 * direction, keeps them) and past their first 2 s: streaming. */
static void
stream_replied(struct prober *pr, struct pflow *fl, unsigned n)
{
	for (unsigned step = 1; step <= 2; step++)
		for (unsigned i = 0; i < n; i++) {
			struct pflow *f = &fl[i];

			if (!IS_UREP(f->kind) || f->phase == PH_DONE)
				continue;
			while (since(f->born) < step * 1100 * MS) {
				ctl_tick(pr);
				usleep(20000);
			}
			if (flow_stream(f) < 0) {
				flow_end(f, false);
				f->setup_failed = true;
			}
		}
}

/* A round's progress line: its flows, its longest idle, the time left
 * (about: the idles of this round and of the rounds the searches will
 * still need, infer_time_left()), and where each search stands
 * (pinned, its interval so far, or over the longest idle tried). */
static void
round_progress(const struct prober *pr, unsigned n, uint64_t longest)
{
	static const char *const name[M__MAX] = { "established", "udp-unreplied",
		"udp-replied", "half-closed" };

	const struct infer *all[M__MAX];
	uint64_t left;

	/* the searches' plans from here: this round (planned, its outcomes
	 * not in yet) and the rounds after it */
	for (unsigned k = 0; k < M__MAX; k++)
		all[k] = &pr->m[k].s;
	left = infer_time_left(all, M__MAX);
	fprintf(stderr, "probe: round %u: %u flows, idle up to %.1fs, %.0fs in, about %.0fs left;",
	    pr->rounds, n, (double)longest / 1000, (double)since(pr->started) / 1e9,
	    (double)(left > longest ? left : longest) / 1000);
	for (unsigned k = 0; k < M__MAX; k++) {
		struct infer_est e;

		infer_estimate(&pr->m[k].s, &e);
		if (e.total == 0)
			fprintf(stderr, " %s -", name[k]);
		else if (e.hi == INFER_NEVER)
			fprintf(stderr, " %s >%.1fs", name[k], (double)e.lo / 1000);
		else
			fprintf(stderr, " %s (%.2f, %.2f]%s", name[k], (double)e.lo / 1000,
			    (double)e.hi / 1000, e.done ? " pinned" : "");
	}
	fprintf(stderr, "\n");
}

/* One round: every search's next idles, opened, run and recorded. */
static unsigned
round_once(struct prober *pr)
{
	static struct pflow fl[PROBE_ROUND_MAX];
	unsigned n = 0, stream = 0;
	uint64_t d[PROBE_ROUND_MAX], longest = 0;

	for (unsigned k = 0; k < M__MAX; k++) {
		unsigned m = infer_plan(&pr->m[k].s, d, pr->o->per_round);

		for (unsigned i = 0; i < m && n < PROBE_ROUND_MAX; i++) {
			fl[n] = (struct pflow){ .id = pr->next_id++, .kind = (uint8_t)k,
			    .idle = d[i] * MS, .fd = -1, .phase = PH_IDLE };
			longest = d[i] > longest ? d[i] : longest;
			n++;
		}
	}
	n = plan_href(pr, fl, n, &longest);
	n = probe_plan_keep(pr, fl, n, &longest);
	for (unsigned i = 0; i < n; i++)
		stream += IS_UREP(fl[i].kind);
	if (n == 0)
		return 0;
	pr->rounds++;
	pr->flows += n;
	if (!pr->o->json)
		round_progress(pr, n, longest);
	/* the replied UDP flows first: their 2.2 s before streaming must not
	 * lengthen the other flows' idles, which start when they open */
	round_open(pr, fl, n, true);
	if (stream > 0)
		stream_replied(pr, fl, n);
	round_open(pr, fl, n, false);
	probe_round_run(pr, fl, n);
	probe_collect(pr, fl, n);
	round_record(pr, fl, n);
	return n;
}

/* The searches on raw sockets: IPv4 only (their packets are built by
 * hand), said so on IPv6 where their findings would be. */
static void
raw_searches(struct prober *pr)
{
	static const char v6[] = "not measured on IPv6 (raw searches are IPv4 only)";

	if (pr->o->server.sin_family != AF_INET) {
		snprintf(pr->unknown_why, sizeof(pr->unknown_why), "%s", v6);
		snprintf(pr->rsth_why, sizeof(pr->rsth_why), "%s", v6);
		snprintf(pr->open_why, sizeof(pr->open_why), "%s", v6);
		snprintf(pr->close_why, sizeof(pr->close_why), "%s", v6);
		return;
	}
	probe_unknown(pr);
	probe_rst_hold(pr);
	probe_opening(pr);
	probe_close(pr);
}

int
probe_client_run(const struct probe_cli_opts *o)
{
	static struct prober pr;
	uint64_t first = o->max_wait / 64 < 1000 * MS ? o->max_wait / 64 : 1000 * MS;
	char buf[512];

	memset(&pr, 0, sizeof(pr));
	pr.o = o;
	pr.next_id = (unsigned)(clock_now_ns() / 1000) % 1000000 * 1000;
	pr.started = clock_now_ns();
	if ((pr.ctl = probe_dial(&o->addr, SOCK_STREAM, NULL)) < 0) {
		log_warn("probe: cannot reach the probe server at %s", o->server_arg);
		return 1;
	}
	if (say(pr.ctl, "CTL\nLIST\n") < 0 || read_line(pr.ctl, buf, sizeof(buf)) < 0 ||
	    buf[0] != 'L') {
		log_warnx("probe: %s does not answer as a probe server", o->server_arg);
		return 1;
	}
	probe_parse_list(&pr, buf + 1);
	pr.ctl_opened = clock_now_ns();
	for (unsigned k = 0; k < M__MAX; k++)
		infer_init(&pr.m[k].s, first > MS ? first / MS : 1, o->max_wait / MS,
		    o->resolution / MS, o->per_round, 12);
	probe_translation(&pr);
	if (pr.translated > 0)
		probe_hairpin(&pr);
	pr.icmp_pid = -1;
	if (!o->translation_only) {
		probe_icmp_start(&pr);	/* its rounds beside all the others */
		probe_passage(&pr);
		probe_timewait(&pr);
		raw_searches(&pr);
	}
	while (!o->translation_only && round_once(&pr) > 0)
		;
	if (!o->translation_only)
		probe_ack_keep(&pr);	/* once the established timer is pinned */
	probe_icmp_finish(&pr);
	close(pr.ctl);
	pr.elapsed = since(pr.started);
	return probe_output(&pr);
}
