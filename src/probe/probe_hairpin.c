/* probe_hairpin.c -- hairpinning (RFC 4787 REQ-9, UDP): does a datagram from one inside socket to another's external endpoint, as the server saw it, come back in through the device, and from which source.
 *
 * Two unconnected UDP sockets each open a mapping towards the server's
 * first endpoint ("U id r": the server answers with the source it saw,
 * X_a and X_b). Then a sends "H id" to X_b and b to X_a; each waits the
 * answer wait. A device that hairpins delivers them; RFC 4787 REQ-9b
 * wants the source to be the sender's external endpoint (X_a), not its
 * inside address. Only with translation: without it X_b is b itself.
 * TCP hairpinning (RFC 5382 REQ-8) would need a listening socket behind
 * its own mapping: not measured; natbox's nat.hairpin covers both.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conform.h"
#include "probe_cli_int.h"
#include "strbuf.h"

#define MS	1000000ULL

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
}

/* nat.hairpin with its evidence (only with translation: the caller's). */
void
probe_hairpin_profile(const struct prober *pr, struct strbuf *sb, uint32_t *known)
{
	if (pr->hair.tried == 0) {
		sb_printf(sb, "# nat.hairpin not measured: %s\n",
		    pr->hair_why[0] ? pr->hair_why : "skipped");
		return;
	}
	sb_printf(sb, "nat.hairpin = %s\t# UDP: %u of %u datagrams from one inside socket to "
	    "another's external endpoint came back in, %u from the sender's external endpoint "
	    "(RFC 4787 REQ-9b); TCP not measured\n", pr->hair.passed > 0 ? "on" : "off",
	    pr->hair.passed, pr->hair.tried, pr->hair.ext_src);
	*known |= 1u << CA_HAIRPIN;
}
