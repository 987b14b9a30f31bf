/* probe_hairpin.c -- hairpinning (RFC 4787 REQ-9, UDP; RFC 5382 REQ-8, TCP): does a datagram or a connection from one inside socket to another's external endpoint, as the server saw it, come back in through the device, and from which source.
 *
 * Two unconnected UDP sockets each open a mapping towards the server's
 * first endpoint ("U id r": the server answers with the source it saw,
 * X_a and X_b). Then a sends "H id" to X_b and b to X_a; each waits the
 * answer wait. A device that hairpins delivers them; RFC 4787 REQ-9b
 * wants the source to be the sender's external endpoint (X_a), not its
 * inside address. Only with translation: without it X_b is b itself.
 *
 * TCP: a connection to the server ("F id": the server answers with the
 * source it saw, X_a) from a socket bound with SO_REUSEADDR and
 * SO_REUSEPORT, and a listening socket bound to the same local endpoint,
 * so the mapping reaches it; a third socket connects to X_a. A device
 * that hairpins delivers the SYN to the listener, from the connecting
 * socket's external endpoint (REQ-8 asks the same as 4787's REQ-9b) or
 * from its inside address. Twice, each with fresh sockets.
 *
 * The profile has one nat.hairpin for both: UDP's (TCP's when UDP was not
 * measured); the conformance rows are judged each on its own protocol
 * (probe_hairpin_rows: RFC 5382 REQ-8 on TCP's even where they differ).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conform.h"
#include "probe_cli_int.h"
#include "strbuf.h"

#define MS	1000000ULL
#define HAIR_TCP_TRIES	2

/* "H id" from fd to `to`; did rx get it within the answer wait, and
 * from `from_x` (the sender's external endpoint)? */
static bool
hair_once(struct prober *pr, int fd, int rx, const union probe_sa *to,
    const union probe_sa *from_x, bool *ext)
{
	struct pollfd pf = { .fd = rx, .events = POLLIN };
	union probe_sa src;
	socklen_t sl = sizeof(src);
	char buf[64], want[32];
	int n = snprintf(want, sizeof(want), "H %u\n", pr->next_id++);
	ssize_t r;

	if (sendto(fd, want, (size_t)n, 0, &to->sa, probe_sa_len(to)) != n)
		return false;
	while (poll(&pf, 1, (int)(pr->o->answer_wait / MS)) > 0) {
		if ((r = recvfrom(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT, &src.sa, &sl)) <= 0)
			return false;
		buf[r] = '\0';
		sl = sizeof(src);
		if (strcmp(buf, want) != 0)
			continue;	/* a late server answer */
		*ext = probe_sa_same_host(&src, from_x) && probe_sa_port(&src) == probe_sa_port(from_x);
		return true;
	}
	return false;
}

/* A TCP socket of the server's family with SO_REUSEADDR and SO_REUSEPORT,
 * bound to `at` (its port 0: any): -1 on error. */
static int
reuse_sock(const union probe_sa *at)
{
	int fd = probe_sa_socket(at, SOCK_STREAM | SOCK_CLOEXEC), one = 1;

	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, &at->sa, probe_sa_len(at)) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The outbound flow a (its external endpoint in *x, as the server saw
 * it) and the listener l on a's local endpoint: 0, or -1 with why. */
static int
tcp_mapped(struct prober *pr, int *a, int *l, union probe_sa *x)
{
	union probe_sa any = { .sa.sa_family = pr->o->addr.sa.sa_family }, me;
	socklen_t sl = sizeof(me);
	struct timeval tv = { 3, 0 };
	char buf[128], seen[64];
	ssize_t n;
	int k;

	if ((*a = reuse_sock(&any)) < 0)
		return -1;
	setsockopt(*a, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));	/* bounds connect */
	setsockopt(*a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	k = snprintf(buf, sizeof(buf), "F %u\n", pr->next_id++);
	if (connect(*a, &pr->o->addr.sa, probe_sa_len(&pr->o->addr)) < 0 ||
	    write(*a, buf, (size_t)k) != k || (n = read(*a, buf, sizeof(buf) - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "S %*u %63s", seen) != 1 || probe_parse_addr(seen, x) < 0 ||
	    getsockname(*a, &me.sa, &sl) < 0 || (*l = reuse_sock(&me)) < 0 || listen(*l, 2) < 0)
		return -1;
	return 0;
}

/* One try: did a connection to the external endpoint of an inside
 * listener come in within the answer wait, and from an address other than
 * the connecting socket's own (*ext)? 1, 0, or -1 (set up failed). */
static int
tcp_hair_once(struct prober *pr, bool *ext)
{
	int a = -1, l = -1, b = -1, in = -1, rc = -1;
	union probe_sa x, from, mine;
	socklen_t sl = sizeof(from), ml = sizeof(mine);
	struct pollfd pf;

	if (tcp_mapped(pr, &a, &l, &x) < 0) {
		snprintf(pr->hair_why_tcp, sizeof(pr->hair_why_tcp), "setting up the mapped "
		    "listener: %s", strerror(errno));
		goto out;
	}
	if ((b = probe_sa_socket(&x, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK)) < 0)
		goto out;
	if (connect(b, &x.sa, probe_sa_len(&x)) < 0 && errno != EINPROGRESS)
		goto out;
	rc = 0;
	pf = (struct pollfd){ .fd = l, .events = POLLIN };
	if (poll(&pf, 1, (int)(pr->o->answer_wait / MS)) <= 0 ||
	    (in = accept(l, &from.sa, &sl)) < 0)
		goto out;
	rc = 1;
	*ext = getsockname(b, &mine.sa, &ml) == 0 && !probe_sa_same_host(&from, &mine);
out:
	if (in >= 0)
		close(in);
	if (b >= 0)
		close(b);
	if (l >= 0)
		close(l);
	if (a >= 0)
		close(a);
	return rc;
}

void
probe_hairpin(struct prober *pr)
{
	int fd[2] = { probe_udp_sock(pr), probe_udp_sock(pr) };
	union probe_sa x[2];
	char seen[2][64];

	for (unsigned i = 0; i < 2; i++) {
		if (fd[i] < 0) {
			snprintf(pr->hair_why, sizeof(pr->hair_why), "no UDP socket");
			goto out;
		}
		probe_ask(pr, fd[i], &pr->ep[0], pr->next_id++, seen[i], sizeof(seen[i]));
		if (seen[i][0] == '\0' || probe_parse_addr(seen[i], &x[i]) < 0) {
			snprintf(pr->hair_why, sizeof(pr->hair_why), "the server did not answer");
			goto out;
		}
	}
	for (unsigned i = 0; i < 2; i++) {
		bool ext = false;

		pr->hair.tried++;
		if (hair_once(pr, fd[i], fd[1 - i], &x[1 - i], &x[i], &ext)) {
			pr->hair.passed++;
			pr->hair.ext_src += ext;
		}
	}
out:
	for (unsigned i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	for (unsigned i = 0; i < HAIR_TCP_TRIES; i++) {
		bool ext = false;
		int r = tcp_hair_once(pr, &ext);

		if (r < 0)
			break;
		pr->hair_tcp.tried++;
		pr->hair_tcp.passed += r;
		pr->hair_tcp.ext_src += r && ext;
	}
}

/* nat.hairpin with its evidence (only with translation: the caller's). */
void
probe_hairpin_profile(const struct prober *pr, struct strbuf *sb, uint32_t *known)
{
	char tcp[160];
	bool on = pr->hair.tried > 0 ? pr->hair.passed > 0 : pr->hair_tcp.passed > 0;

	if (pr->hair.tried == 0 && pr->hair_tcp.tried == 0) {
		sb_printf(sb, "# nat.hairpin not measured: %s\n",
		    pr->hair_why[0] ? pr->hair_why : pr->hair_why_tcp[0] ? pr->hair_why_tcp :
		    "skipped");
		return;
	}
	if (pr->hair_tcp.tried > 0)
		snprintf(tcp, sizeof(tcp), "TCP: %u of %u connections to an inside listener's "
		    "external endpoint came in, %u from an external address", pr->hair_tcp.passed,
		    pr->hair_tcp.tried, pr->hair_tcp.ext_src);
	else
		snprintf(tcp, sizeof(tcp), "TCP not measured: %s",
		    pr->hair_why_tcp[0] ? pr->hair_why_tcp : "skipped");
	if (pr->hair.tried > 0)
		sb_printf(sb, "nat.hairpin = %s\t# UDP: %u of %u datagrams from one inside socket "
		    "to another's external endpoint came back in, %u from the sender's external "
		    "endpoint (RFC 4787 REQ-9b); %s\n", on ? "on" : "off", pr->hair.passed,
		    pr->hair.tried, pr->hair.ext_src, tcp);
	else
		sb_printf(sb, "nat.hairpin = %s\t# UDP not measured: %s; %s\n", on ? "on" : "off",
		    pr->hair_why[0] ? pr->hair_why : "skipped", tcp);
	*known |= (pr->hair.tried > 0 ? 1u << CA_HAIRPIN : 0) |
	    (pr->hair_tcp.tried > 0 ? 1u << CA_HAIRPIN_TCP : 0);
}

/* RFC 5382 REQ-8 on the TCP measurement, where the profile's one
 * nat.hairpin (UDP's) says otherwise. */
void
probe_hairpin_rows(const struct prober *pr, struct conform_report *r)
{
	bool pass = pr->hair_tcp.passed > 0;

	if (pr->hair_tcp.tried == 0)
		return;
	for (unsigned i = 0; i < r->n; i++) {
		struct conform_row *w = &r->row[i];

		if (strcmp(w->rfc, "RFC 5382") != 0 || strcmp(w->req, "REQ-8") != 0 ||
		    w->result == CR_NA || (w->result == CR_PASS) == pass)
			continue;
		w->result = pass ? CR_PASS : CR_FAIL;
		snprintf(w->measured, sizeof(w->measured), "%s (TCP; nat.hairpin follows UDP)",
		    pass ? "supported" : "refused");
	}
}
