/* probe_out.c -- what the probe client found: the source the server saw (translation, port preservation, parity), UDP mapping and filtering through the server's endpoints, and the profile and report written from it all. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"
#include "probe_cli_int.h"

#define MS	1000000ULL

void
probe_local(int fd, char *buf, size_t cap)
{
	union probe_sa sa;
	socklen_t sl = sizeof(sa);

	buf[0] = '\0';
	if (getsockname(fd, &sa.sa, &sl) == 0)
		probe_sa_fmt(&sa, buf, cap);
}

static unsigned
port_of(const char *ep)
{
	const char *c = strrchr(ep, ':');

	return c != NULL ? (unsigned)strtoul(c + 1, NULL, 10) : 0;
}

void
probe_note_seen(struct prober *pr, const char *local, const char *seen)
{
	unsigned lp = port_of(local), sp = port_of(seen);

	if (seen[0] == '\0' || local[0] == '\0')
		return;
	pr->seen++;
	if (strcmp(seen, local) != 0) {
		const char *c = strrchr(seen, ':');
		char out[64];

		pr->translated++;
		snprintf(out, sizeof(out), "%.*s", (int)(c - seen), seen);
		pr->outside_varied |= pr->outside[0] != '\0' && strcmp(out, pr->outside) != 0;
		snprintf(pr->outside, sizeof(pr->outside), "%s", out);
	}
	pr->port_kept += lp == sp;
	pr->parity_kept += (lp & 1) == (sp & 1);
}

void
probe_parse_list(struct prober *pr, char *list)
{
	for (char *tok = strtok(list, " "); tok && pr->nep < PROBE_LISTEN_MAX; tok = strtok(NULL, " "))
		/* the endpoints of our family (a server may listen on both) */
		if (probe_parse_addr(tok, &pr->ep[pr->nep]) == 0 &&
		    pr->ep[pr->nep].sa.sa_family == pr->o->addr.sa.sa_family) {
			/* a wildcard listen: the address we reach it by */
			if (probe_sa_is_any(&pr->ep[pr->nep]))
				probe_sa_set_host(&pr->ep[pr->nep], &pr->o->addr);
			pr->nep++;
		}
	if (pr->nep == 0)
		pr->ep[pr->nep++] = pr->o->addr;
}

/* "U id r" to endpoint ep from fd; the source the server saw, or "". */
void
probe_ask(struct prober *pr, int fd, const union probe_sa *ep, unsigned id, char *seen, size_t cap)
{
	char buf[128];
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	ssize_t n;

	seen[0] = '\0';
	if (cap < 64)	/* %63s below */
		return;
	n = snprintf(buf, sizeof(buf), "U %u r\n", id);
	sendto(fd, buf, (size_t)n, 0, &ep->sa, probe_sa_len(ep));
	if (poll(&pf, 1, (int)(pr->o->answer_wait / MS)) <= 0)
		return;
	if ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) <= 0)
		return;
	buf[n] = '\0';
	sscanf(buf, "S %*u %63s", seen);
}

/* Is a datagram from endpoint k into fd's mapping (made towards
 * endpoint 0 under id) let through? */
static bool
filter_lets(struct prober *pr, int fd, unsigned id, unsigned k)
{
	char buf[64];
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	snprintf(buf, sizeof(buf), "UPING %u %u\n", id, k);
	probe_ctl_say(pr, buf);
	if (poll(&pf, 1, (int)(pr->o->answer_wait / MS)) <= 0)
		return false;
	return recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 && buf[0] == 'P';
}

int
probe_udp_sock(const struct prober *pr)
{
	union probe_sa any = { .sa.sa_family = pr->o->addr.sa.sa_family };
	int fd = probe_sa_socket(&any, SOCK_DGRAM | SOCK_CLOEXEC);

	if (fd >= 0 && bind(fd, &any.sa, probe_sa_len(&any)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

#define PORT_SAMPLES	16

/* Fresh mappings towards endpoint 0, opened one after the other, each
 * from its own connected socket: the ports the device chose (kept, one
 * after another, or neither) and the addresses (paired pooling). */
static void
port_samples(struct prober *pr)
{
	unsigned prev = 0;

	for (unsigned i = 0; i < PORT_SAMPLES; i++) {
		int fd = probe_sa_socket(&pr->ep[0], SOCK_DGRAM | SOCK_CLOEXEC);
		char seen[64], local[64];

		if (fd < 0)
			return;
		if (connect(fd, &pr->ep[0].sa, probe_sa_len(&pr->ep[0])) < 0) {
			close(fd);
			return;
		}
		probe_ask(pr, fd, &pr->ep[0], pr->next_id++, seen, sizeof(seen));
		probe_local(fd, local, sizeof(local));
		close(fd);
		if (seen[0] == '\0')
			continue;
		probe_note_seen(pr, local, seen);
		if (pr->samples++ > 0 && port_of(seen) > prev && port_of(seen) - prev <= 2)
			pr->steps++;
		prev = port_of(seen);
	}
}

/* RFC 4787 mapping and filtering over the server's endpoints (UDP). */
void
probe_translation(struct prober *pr)
{
	char seen[PROBE_LISTEN_MAX][64];
	int fd = probe_udp_sock(pr);
	bool other_addr = false, other_port = false, ok_addr = false, ok_port = false;

	pr->mapping = pr->filtering = -1;
	port_samples(pr);
	if (fd < 0)
		return;
	for (unsigned k = 0; k < pr->nep; k++)
		probe_ask(pr, fd, &pr->ep[k], pr->next_id++, seen[k], sizeof(seen[k]));
	if (seen[0][0] != '\0' && pr->nep > 1) {
		bool all = true, same_addr = true;

		for (unsigned k = 1; k < pr->nep; k++) {
			bool same = strcmp(seen[k], seen[0]) == 0;

			all &= same;
			if (probe_sa_same_host(&pr->ep[k], &pr->ep[0]))
				same_addr &= same;
		}
		pr->mapping = all ? NAT_EI : same_addr ? NAT_AD : NAT_APD;
	}
	close(fd);
	/* filtering: a fresh mapping towards endpoint 0 only */
	if ((fd = probe_udp_sock(pr)) < 0)
		return;
	unsigned id = pr->next_id++;

	probe_ask(pr, fd, &pr->ep[0], id, seen[0], sizeof(seen[0]));
	for (unsigned k = 1; k < pr->nep && seen[0][0] != '\0'; k++) {
		if (!probe_sa_same_host(&pr->ep[k], &pr->ep[0])) {
			other_addr = true;
			ok_addr |= filter_lets(pr, fd, id, k);
		} else {
			other_port = true;
			ok_port |= filter_lets(pr, fd, id, k);
		}
	}
	close(fd);
	if (other_addr || other_port)
		pr->filtering = ok_addr ? NAT_EI : ok_port ? NAT_AD : NAT_APD;
}
