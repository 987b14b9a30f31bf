/* probe_net.c -- the probe's endpoint spelling: ADDR[:PORT], IPv4. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "opts.h"
#include "probe.h"
#include "probe_int.h"

int
probe_parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
	unsigned long long port = PROBE_PORT;

	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	if (colon != NULL && get_unsigned(&port, colon + 1, 1, 65535) < 0)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

void
probe_fmt_addr(const struct sockaddr_in *sa, char *buf, size_t cap)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, a, sizeof(a));
	snprintf(buf, cap, "%s:%u", a, ntohs(sa->sin_port));
}
