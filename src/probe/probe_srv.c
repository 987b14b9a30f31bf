/* probe_srv.c -- natbox probe server: the far side of the device under test. It answers test flows with the source it saw, echoes their bytes, and sends datagrams into mappings when the client asks.
 *
 * One thread, one poll loop. Every listen address has a TCP socket (a
 * connection's first line says what it is: "CTL" a control connection,
 * "F ID" a test flow) and a UDP socket on the same port (a datagram
 * "U ID r|n": recorded, and answered with the source seen when r). The
 * control connection asks "UPING ID [K]" (a datagram from the socket that
 * heard ID, or listen endpoint K's, to where ID came from), "LIST" (the listen addresses) and
 * "NOP" (keeps the control flow itself alive through the device).
 *
 * TCP test flows the client half-closes stay open here: "TPING ID C"
 * writes the byte C into flow ID (the open direction), and "TSTAT ID"
 * answers "T ID X F", what this side saw of a RST (X: '-' none, 'B' before
 * any TPING, the device resetting at expiry; 'A' after one, the device
 * answering the sender) and of the client's FIN ('F' came, '-' not), then
 * closes the flow. "TRST ID" closes flow ID with a RST (SO_LINGER 0),
 * "TCLOSE ID" with a FIN (this side closes first: TIME_WAIT here).
 * "SYNACK ID D": the client's raw SYN ID to the silent port (probe_int.h)
 * gets a SYN/ACK D ms after it came (probe_open.c). "TACK ID": a pure ACK
 * into flow ID from the raw socket (probe_srvraw.c). "IPING TOKEN": an
 * echo reply into the mapping of the client's echo request TOKEN
 * (probe_srvicmp.c). "CFLOW ID K D" and "CSTAT ID": the fully raw flows
 * of the closing searches (probe_srvclose.c). Listen addresses are IPv4 or IPv6; the raw-socket
 * parts are IPv4 and need the first listen to be.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "probe.h"
#include "probe_int.h"
#include "probe_srvclose.h"
#include "probe_srvicmp.h"

#define CONNS_MAX	1024
#define DGRAM_IDS	4096

struct conn {
	int fd;
	bool ctl, flow, eof;	/* eof: the client's FIN came, its side open */
	bool done;		/* TSTAT asked: closed after this poll round */
	unsigned id;		/* a test flow's */
	char line[256];
	size_t len;
};

/* What the server side saw of a TCP test flow, kept past its close. */
struct tcp_rec {
	unsigned id;
	bool sent;		/* a TPING wrote into it */
	bool fin;		/* the client's FIN came */
	char rst;		/* '-', 'B', 'A' */
};

struct dgram_peer {
	unsigned id;
	int sock;		/* the UDP socket that heard it */
	union probe_sa from;
};

#define ACKS_KEPT	64
#define SYNACKS_MAX	64
#define MS	1000000ULL

/* A SYN/ACK the client asked for: sent at `at` (0: its SYN not seen). */
struct synack {
	unsigned id;
	uint64_t d, at;		/* ms; ns */
	struct sockaddr_in to;
};

struct srv {
	const struct probe_srv_opts *o;
	int tcp[PROBE_LISTEN_MAX], udp[PROBE_LISTEN_MAX];
	int raw;		/* TCP as it arrives (root), or -1 */
	uint32_t acks[ACKS_KEPT];	/* sequence numbers of the client's raw segments */
	unsigned nacks;
	int silent, silent_fill;	/* the silent port's listener and what fills it */
	struct synack sa[SYNACKS_MAX];
	unsigned nsa;
	struct conn conn[CONNS_MAX];
	unsigned nconn;
	struct dgram_peer peers[DGRAM_IDS];	/* by id % DGRAM_IDS */
	struct tcp_rec recs[DGRAM_IDS];		/* by id % DGRAM_IDS */
	struct srv_icmp icmp;	/* echo requests, and replies asked for */
};

static int
open_sock(int type, const union probe_sa *sa)
{
	int fd = probe_sa_socket(sa, type | SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* [::] takes IPv6 only: an IPv4 client seen as ::ffff:a.b.c.d would
	 * look translated */
	if (sa->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, &sa->sa, probe_sa_len(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 256) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
conn_close(struct srv *s, unsigned i)
{
	close(s->conn[i].fd);
	s->conn[i] = s->conn[--s->nconn];
}

static void
on_dgram(struct srv *s, int sock)
{
	char buf[256], out[64];
	union probe_sa from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	unsigned id;
	char mode;

	while ((n = recvfrom(sock, buf, sizeof(buf) - 1, 0, &from.sa, &fl)) > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "U %u %c", &id, &mode) != 2)
			continue;
		s->peers[id % DGRAM_IDS] = (struct dgram_peer){ id, sock, from };
		if (mode != 'r')
			continue;
		probe_sa_fmt(&from, out, sizeof(out));
		n = snprintf(buf, sizeof(buf), "S %u %s\n", id, out);
		sendto(sock, buf, (size_t)n, 0, &from.sa, probe_sa_len(&from));
		fl = sizeof(from);
	}
}

/* The client's SYN to the silent port: its SYN/ACK due d ms from now. */
static void
syn_seen(struct srv *s, const struct iphdr *ih, const struct tcphdr *th)
{
	for (unsigned i = 0; i < s->nsa; i++)
		if (s->sa[i].id == ntohl(th->seq) && s->sa[i].at == 0) {
			s->sa[i].at = clock_now_ns() + s->sa[i].d * MS;
			s->sa[i].to = (struct sockaddr_in){ .sin_family = AF_INET,
			    .sin_addr.s_addr = ih->saddr, .sin_port = th->source };
		}
}

/* SYN/ACKs due: sent and forgotten. The next one's time, or 0. */
static uint64_t
synacks_due(struct srv *s)
{
	struct sockaddr_in from = s->o->listen[0];
	uint64_t now = clock_now_ns(), next = 0;

	from.sin_port = htons((uint16_t)(ntohs(from.sin_port) + PROBE_SILENT_OFF));
	for (unsigned i = s->nsa; i-- > 0;) {
		struct synack *a = &s->sa[i];

		if (a->at != 0 && a->at <= now) {
			if (probe_raw_send(s->raw, &from, &a->to, TH_SYN | TH_ACK, PROBE_SYNACK_SEQ(a->id),
			    a->id + 1) < 0)
				log_debug("probe server: SYN/ACK: %s", strerror(errno));
			*a = s->sa[--s->nsa];
		} else if (a->at != 0 && (next == 0 || a->at < next))
			next = a->at;
	}
	return next;
}

/* The silent port: a listener whose accept queue (backlog 0) one
 * connection from ourselves fills and that nobody accepts, so its stack
 * drops SYNs silently. Needs the raw socket to answer them. */
static void
silent_open(struct srv *s)
{
	struct sockaddr_in a = s->o->listen[0];
	int one = 1;

	s->silent = s->silent_fill = -1;
	a.sin_port = htons((uint16_t)(ntohs(a.sin_port) + PROBE_SILENT_OFF));
	if (s->raw < 0 || (s->silent = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	setsockopt(s->silent, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->silent, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->silent, 0) < 0 ||
	    (s->silent_fill = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(s->silent_fill, (struct sockaddr *)&a, sizeof(a)) < 0) {
		log_notice("probe server: no silent port: %s", strerror(errno));
		close(s->silent);
		s->silent = -1;
	}
}

/* A TCP segment as it arrived: the client's bare ACKs of no flow
 * (probe_raw.c) and its SYNs to the silent port (probe_open.c) are kept
 * by sequence number, for ASEEN. */
static void
on_raw(struct srv *s)
{
	uint8_t buf[1500];
	ssize_t n;

	while ((n = recv(s->raw, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		const struct iphdr *ih = (const struct iphdr *)buf;

		if ((size_t)n < sizeof(*ih) || (size_t)n < ih->ihl * 4u + sizeof(struct tcphdr))
			continue;
		const struct tcphdr *th = (const struct tcphdr *)(buf + ih->ihl * 4);

		probe_srvraw_note(ih, th, (size_t)n - ih->ihl * 4u);
		if (s->silent >= 0)	/* probe_srvclose.c */
			probe_srvclose_seg(s->raw, ntohs(s->o->listen[0].sin_port) + PROBE_SILENT_OFF,
			    ih, th);
		if (th->ack && !th->syn && !th->rst && !th->fin &&
		    ntohl(th->ack_seq) == PROBE_RAW_MAGIC)
			s->acks[s->nacks++ % ACKS_KEPT] = ntohl(th->seq);
		if (th->syn && !th->ack && ntohs(th->dest) ==
		    ntohs(s->o->listen[0].sin_port) + PROBE_SILENT_OFF) {
			s->acks[s->nacks++ % ACKS_KEPT] = ntohl(th->seq);	/* for ASEEN */
			syn_seen(s, ih, th);
		}
	}
}

static struct conn *
flow_by_id(struct srv *s, unsigned id)
{
	for (unsigned i = 0; i < s->nconn; i++)
		if (s->conn[i].flow && s->conn[i].id == id)
			return &s->conn[i];
	return NULL;
}

/* TPING and TSTAT: the answer line in out. */
static size_t
on_tcp_ctl(struct srv *s, const char *line, char *out, size_t cap)
{
	struct tcp_rec *r;
	struct conn *f;
	unsigned long long d;
	unsigned id;
	char ch;
	size_t n;

	if (sscanf(line, "TPING %u %c", &id, &ch) == 2) {
		f = flow_by_id(s, id);
		r = &s->recs[id % DGRAM_IDS];
		if (r->id == id)
			r->sent = true;
		if (f == NULL || send(f->fd, &ch, 1, MSG_NOSIGNAL) != 1)
			return (size_t)snprintf(out, cap, "ERR %u\n", id);
		return (size_t)snprintf(out, cap, "OK %u\n", id);
	}
	if (sscanf(line, "TSTAT %u", &id) == 1) {
		r = &s->recs[id % DGRAM_IDS];
		if ((f = flow_by_id(s, id)) != NULL)
			f->done = true;
		return (size_t)snprintf(out, cap, "T %u %c %c\n", id, r->id == id ? r->rst : '?',
		    r->id == id && r->fin ? 'F' : '-');
	}
	if (sscanf(line, "ASEEN %u", &id) == 1) {
		char seen = s->raw < 0 ? '?' : 'N';

		for (unsigned i = 0; i < ACKS_KEPT && i < s->nacks; i++)
			if (s->acks[i] == id)
				seen = 'Y';
		return (size_t)snprintf(out, cap, "A %u %c\n", id, seen);
	}
	if (sscanf(line, "SYNACK %u %llu", &id, &d) == 2) {
		if (s->silent < 0 || s->nsa == SYNACKS_MAX)
			return (size_t)snprintf(out, cap, "ERR %u\n", id);
		s->sa[s->nsa++] = (struct synack){ .id = id, .d = d };
		return (size_t)snprintf(out, cap, "OK %u\n", id);
	}
	if ((n = probe_srvclose_ctl(s->silent >= 0 ? s->raw : -1, line, out, cap)) > 0)
		return n;
	if (sscanf(line, "TACK %u", &id) == 1) {	/* probe_srvraw.c */
		if ((f = flow_by_id(s, id)) == NULL || probe_srvraw_ack(s->raw, f->fd) < 0)
			return (size_t)snprintf(out, cap, "ERR %u\n", id);
		return (size_t)snprintf(out, cap, "OK %u\n", id);
	}
	if (sscanf(line, "TCLOSE %u", &id) == 1) {
		if ((f = flow_by_id(s, id)) == NULL)
			return (size_t)snprintf(out, cap, "ERR %u\n", id);
		f->done = true;	/* closed after this poll round: our FIN first */
		return (size_t)snprintf(out, cap, "OK %u\n", id);
	}
	if (sscanf(line, "TRST %u", &id) == 1) {
		struct linger lg = { 1, 0 };

		if ((f = flow_by_id(s, id)) == NULL)
			return (size_t)snprintf(out, cap, "ERR %u\n", id);
		setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		f->done = true;	/* closed after this poll round: a RST */
		return (size_t)snprintf(out, cap, "OK %u\n", id);
	}
	return 0;
}

/* One control request; the answer is one line. */
static void
on_ctl(struct srv *s, struct conn *c, const char *line)
{
	char out[256], a[64];
	unsigned id, k;
	size_t n = 0;
	int args;

	if ((n = on_tcp_ctl(s, line, out, sizeof(out))) > 0 ||
	    (n = srvicmp_ctl(&s->icmp, line, out, sizeof(out))) > 0) {
		;
	} else if ((args = sscanf(line, "UPING %u %u", &id, &k)) >= 1) {
		const struct dgram_peer *p = &s->peers[id % DGRAM_IDS];
		int len = snprintf(out, sizeof(out), "P %u\n", id);
		/* from the socket that heard it, or listen endpoint k */
		int sock = args == 2 && k < s->o->nlisten ? s->udp[k] : p->sock;

		if (p->id == id && sock > 0 && sendto(sock, out, (size_t)len, 0,
		    &p->from.sa, probe_sa_len(&p->from)) == len)
			n = (size_t)snprintf(out, sizeof(out), "OK %u\n", id);
		else
			n = (size_t)snprintf(out, sizeof(out), "ERR %u\n", id);
	} else if (strcmp(line, "LIST") == 0) {
		n = (size_t)snprintf(out, sizeof(out), "L");
		for (unsigned i = 0; i < s->o->nlisten; i++) {
			probe_sa_fmt(&s->o->addr[i], a, sizeof(a));
			n += (size_t)snprintf(out + n, sizeof(out) - n, " %s", a);
		}
		n += (size_t)snprintf(out + n, sizeof(out) - n, "\n");
	} else
		n = (size_t)snprintf(out, sizeof(out), "OK\n");
	if (write(c->fd, out, n) < 0)
		log_debug("probe server: control write: %s", strerror(errno));
}

/* A connection's first line names it; later, a test flow's bytes are
 * echoed as they come and a control connection's lines answered. */
static bool
on_conn(struct srv *s, struct conn *c)
{
	char buf[512];
	ssize_t n;
	int err = 0;
	socklen_t el = sizeof(err);

	/* a socket that had the peer's FIN reads 0 before its error, and
	 * its error for a RST is EPIPE (Linux tcp_reset(), CLOSE_WAIT) */
	if (c->eof) {
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		n = err != 0 ? -1 : 0;
		errno = err;
	} else
		n = read(c->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (c->flow && n < 0 && (errno == ECONNRESET || (c->eof && errno == EPIPE))) {
		struct tcp_rec *r = &s->recs[c->id % DGRAM_IDS];

		if (r->id == c->id)
			r->rst = r->sent ? 'A' : 'B';
		return false;
	}
	if (c->flow && n == 0 && !c->eof) {
		c->eof = true;	/* half-closed: kept for TPING and TSTAT */
		if (s->recs[c->id % DGRAM_IDS].id == c->id)
			s->recs[c->id % DGRAM_IDS].fin = true;
		return true;
	}
	if (n <= 0)
		return false;
	if (c->flow)
		return write(c->fd, buf, (size_t)n) == n;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (c->len < sizeof(c->line) - 1)
				c->line[c->len++] = buf[i];
			continue;
		}
		c->line[c->len] = '\0';
		c->len = 0;
		if (!c->ctl && strcmp(c->line, "CTL") == 0) {
			c->ctl = true;
		} else if (!c->ctl && strncmp(c->line, "F ", 2) == 0) {
			union probe_sa peer = { .sa.sa_family = AF_UNSPEC };
			socklen_t pl = sizeof(peer);
			char a[64], out[128];
			int len;

			getpeername(c->fd, &peer.sa, &pl);
			probe_sa_fmt(&peer, a, sizeof(a));
			len = snprintf(out, sizeof(out), "S %s %s\n", c->line + 2, a);
			c->flow = true;
			c->id = (unsigned)strtoul(c->line + 2, NULL, 10);
			s->recs[c->id % DGRAM_IDS] = (struct tcp_rec){ .id = c->id, .rst = '-' };
			/* the rest of the read, if any, is flow bytes */
			if (write(c->fd, out, (size_t)len) != len)
				return false;
			if (i + 1 < n)
				return write(c->fd, buf + i + 1, (size_t)(n - i - 1)) == n - i - 1;
			return true;
		} else if (c->ctl) {
			on_ctl(s, c, c->line);
		} else
			return false;
	}
	return true;
}

static void
accept_all(struct srv *s, int lfd)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (s->nconn == CONNS_MAX) {
			close(fd);
			continue;
		}
		s->conn[s->nconn++] = (struct conn){ .fd = fd };
	}
}

int
probe_server_run(const struct probe_srv_opts *o)
{
	static struct srv s;
	static struct pollfd pf[2 * PROBE_LISTEN_MAX + CONNS_MAX + 2];
	char a[64];

	memset(&s, 0, sizeof(s));
	s.o = o;
	for (unsigned i = 1; i < o->nlisten; i++) {
		if (o->listen[0].sin_family == AF_INET && probe_sa_same_host(&o->addr[i], &o->addr[0]) &&
		    probe_sa_port(&o->addr[i]) == probe_sa_port(&o->addr[0]) + PROBE_SILENT_OFF) {
			probe_sa_fmt(&o->addr[i], a, sizeof(a));
			log_warnx("probe server: --listen %s: that is the first endpoint's silent port "
			    "(its port + %d, kept for the opening search); listen on another", a,
			    PROBE_SILENT_OFF);
			return 2;
		}
	}
	for (unsigned i = 0; i < o->nlisten; i++) {
		probe_sa_fmt(&o->addr[i], a, sizeof(a));
		if ((s.tcp[i] = open_sock(SOCK_STREAM, &o->addr[i])) < 0 ||
		    (s.udp[i] = open_sock(SOCK_DGRAM, &o->addr[i])) < 0) {
			log_warn("probe server: %s", a);
			return 1;
		}
		log_notice("probe server: listening on %s (TCP and UDP)", a);
	}
	/* root: TCP as it arrives, to tell whether a bare ACK reached us
	 * (IPv4 only: the raw searches are, and they use the first listen) */
	s.raw = o->listen[0].sin_family != AF_INET ? -1 :
	    socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (o->listen[0].sin_family != AF_INET)
		log_notice("probe server: the first --listen is IPv6: no raw-socket searches");
	else if (s.raw < 0)
		log_notice("probe server: no raw socket (%s): the client's bare ACKs of no flow "
		    "cannot be told picked up from reset", strerror(errno));
	silent_open(&s);
	srvicmp_open(&s.icmp);
	for (;;) {
		unsigned n = 0, nl = 2 * o->nlisten, nc = s.nconn;

		for (unsigned i = 0; i < o->nlisten; i++) {
			pf[n++] = (struct pollfd){ .fd = s.tcp[i], .events = POLLIN };
			pf[n++] = (struct pollfd){ .fd = s.udp[i], .events = POLLIN };
		}
		/* a half-closed flow reads EOF for ever: only its errors */
		for (unsigned i = 0; i < s.nconn; i++)
			pf[n++] = (struct pollfd){ .fd = s.conn[i].fd,
			    .events = s.conn[i].eof ? 0 : POLLIN };
		if (s.icmp.fd >= 0)
			pf[n++] = (struct pollfd){ .fd = s.icmp.fd, .events = POLLIN };
		if (s.raw >= 0)
			pf[n++] = (struct pollfd){ .fd = s.raw, .events = POLLIN };
		uint64_t next = s.raw >= 0 ? synacks_due(&s) : 0, now = clock_now_ns();
		uint64_t cnext = s.silent >= 0 ? probe_srvclose_due(s.raw) : 0;

		next = next == 0 || (cnext != 0 && cnext < next) ? cnext : next;
		int ms = next == 0 || next > now + 1000 * MS ? 1000 :
		    next > now ? (int)((next - now + MS - 1) / MS) : 0;

		if (poll(pf, n, ms) < 0 && errno != EINTR)
			fatal("poll");
		if (s.raw >= 0 && pf[n - 1].revents)
			on_raw(&s);
		if (s.icmp.fd >= 0 && pf[n - 1 - (s.raw >= 0)].revents)
			srvicmp_read(&s.icmp);
		for (unsigned i = 0; i < o->nlisten; i++) {
			if (pf[2 * i].revents)
				accept_all(&s, s.tcp[i]);
			if (pf[2 * i + 1].revents)
				on_dgram(&s, s.udp[i]);
		}
		/* backwards: conn_close moves the last into the hole */
		for (unsigned i = nc; i-- > 0;)
			if (pf[nl + i].revents && !on_conn(&s, &s.conn[i]))
				s.conn[i].done = true;
		for (unsigned i = s.nconn; i-- > 0;)
			if (s.conn[i].done)
				conn_close(&s, i);
	}
}
