/* probe_srvicmp.c -- the probe server's ICMP echo side: the client's echo requests (payload "NBI TOKEN") seen on a raw socket, whatever the device made of their identifier, and an echo reply into that mapping when the client asks, d after the stack's own reply (the ICMP query timer, RFC 5508 REQ-2). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "probe_int.h"
#include "probe_srvicmp.h"

int
srvicmp_open(struct srv_icmp *si)
{
	memset(si, 0, sizeof(*si));
	si->fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (si->fd < 0)
		log_notice("probe server: no raw ICMP socket (%s): the ICMP query timer cannot "
		    "be measured", strerror(errno));
	return si->fd >= 0 ? 0 : -1;
}

void
srvicmp_read(struct srv_icmp *si)
{
	uint8_t buf[1500];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(si->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
	    &fl)) > 0) {
		const struct iphdr *ih = (const struct iphdr *)buf;
		size_t off = ih->ihl * 4u;
		unsigned token;
		char pl[32];

		fl = sizeof(from);
		if ((size_t)n < sizeof(*ih) || (size_t)n < off + 8)
			continue;
		const struct icmphdr *ic = (const struct icmphdr *)(buf + off);
		size_t pn = (size_t)n - off - 8 < sizeof(pl) - 1 ? (size_t)n - off - 8 : sizeof(pl) - 1;

		memcpy(pl, buf + off + 8, pn);
		pl[pn] = '\0';
		if (ic->type != ICMP_ECHO || sscanf(pl, "NBI %u", &token) != 1)
			continue;
		si->rec[token % SRVICMP_KEPT] = (struct icmp_rec){ token, ntohs(ic->un.echo.id),
		    ntohs(ic->un.echo.sequence), from };
	}
}

size_t
srvicmp_ctl(struct srv_icmp *si, const char *line, char *out, size_t cap)
{
	uint8_t pkt[64];
	char pl[32];
	unsigned token;
	size_t n;

	if (sscanf(line, "IPING %u", &token) != 1)
		return 0;
	const struct icmp_rec *r = &si->rec[token % SRVICMP_KEPT];

	if (si->fd < 0 || r->token != token)
		return (size_t)snprintf(out, cap, "ERR %u\n", token);
	snprintf(pl, sizeof(pl), "NBI %u L", token);
	n = probe_icmp_echo(pkt, sizeof(pkt), ICMP_ECHOREPLY, r->id, r->seq, pl);
	if (sendto(si->fd, pkt, n, 0, (const struct sockaddr *)&r->from, sizeof(r->from)) !=
	    (ssize_t)n) {
		log_debug("probe server: echo reply: %s", strerror(errno));
		return (size_t)snprintf(out, cap, "ERR %u\n", token);
	}
	return (size_t)snprintf(out, cap, "OK %u\n", token);
}

size_t
probe_icmp_echo(uint8_t *pkt, size_t cap, uint8_t type, uint16_t id, uint16_t seq,
    const char *payload)
{
	size_t pn = strlen(payload), n = 8 + pn;
	struct icmphdr ic = { .type = type };

	if (n > cap)
		return 0;
	ic.un.echo.id = htons(id);
	ic.un.echo.sequence = htons(seq);
	memcpy(pkt, &ic, 8);
	memcpy(pkt + 8, payload, pn);
	uint16_t c = htons(probe_csum(pkt, n));

	memcpy(pkt + 2, &c, 2);
	return n;
}
