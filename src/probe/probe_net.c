/* probe_net.c -- the probe's endpoints: ADDR[:PORT] for IPv4, [ADDR6]:PORT or a bare ADDR6 for IPv6, one type for both (probe_addr.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "opts.h"
#include "probe.h"
#include "probe_addr.h"
#include "probe_int.h"

/* host into a (its family found from the spelling), 0 or -1 */
static int
parse_host(const char *host, union probe_sa *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

int
probe_parse_addr(const char *s, union probe_sa *a)
{
	char host[INET6_ADDRSTRLEN];
	const char *end, *port = NULL;
	unsigned long long p = PROBE_PORT;
	bool bracket = s[0] == '[';

	if (bracket) {	/* [v6] or [v6]:port */
		s++;
		if ((end = strchr(s, ']')) == NULL || (end[1] != '\0' && end[1] != ':'))
			return -1;
		port = end[1] == ':' ? end + 2 : NULL;
	} else if ((end = strchr(s, ':')) != NULL && strchr(end + 1, ':') == NULL) {
		port = end + 1;	/* one colon: v4:port */
	} else
		end = s + strlen(s);	/* no colon (v4), or several (a bare v6) */
	if (end == s || (size_t)(end - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(end - s));
	host[end - s] = '\0';
	if (parse_host(host, a) < 0)
		return -1;
	/* brackets only around IPv6 */
	if (bracket ? a->sa.sa_family != AF_INET6 : port != NULL && a->sa.sa_family != AF_INET)
		return -1;
	if (port != NULL && get_unsigned(&p, port, 1, 65535) < 0)
		return -1;
	probe_sa_set_port(a, (uint16_t)p);
	return 0;
}

void
probe_sa_fmt(const union probe_sa *a, char *buf, size_t cap)
{
	char h[INET6_ADDRSTRLEN];

	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, h, sizeof(h));
		snprintf(buf, cap, "[%s]:%u", h, ntohs(a->in6.sin6_port));
	} else if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, h, sizeof(h));
		snprintf(buf, cap, "%s:%u", h, ntohs(a->in.sin_port));
	} else
		snprintf(buf, cap, "?");
}

uint16_t
probe_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void
probe_fmt_addr(const struct sockaddr_in *sa, char *buf, size_t cap)
{
	union probe_sa a = { .in = *sa };

	probe_sa_fmt(&a, buf, cap);
}

socklen_t
probe_sa_len(const union probe_sa *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

uint16_t
probe_sa_port(const union probe_sa *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in.sin_port);
}

void
probe_sa_set_port(union probe_sa *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
	else
		a->in.sin_port = htons(port);
}

bool
probe_sa_is_any(const union probe_sa *a)
{
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->in6.sin6_addr);
	return a->in.sin_addr.s_addr == htonl(INADDR_ANY);
}

bool
probe_sa_same_host(const union probe_sa *a, const union probe_sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return IN6_ARE_ADDR_EQUAL(&a->in6.sin6_addr, &b->in6.sin6_addr);
	return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

void
probe_sa_set_host(union probe_sa *a, const union probe_sa *b)
{
	uint16_t port = probe_sa_port(a);

	*a = *b;
	probe_sa_set_port(a, port);
}

int
probe_sa_socket(const union probe_sa *a, int type)
{
	return socket(a->sa.sa_family, type, 0);
}

bool
probe_sa_v4(const union probe_sa *a, struct sockaddr_in *v4)
{
	memset(v4, 0, sizeof(*v4));
	if (a->sa.sa_family != AF_INET)
		return false;
	*v4 = a->in;
	return true;
}
