/* probe_addr.h -- the probe's endpoints, IPv4 or IPv6, in one type (probe_net.c). */
#ifndef NATBOX_PROBE_ADDR_H
#define NATBOX_PROBE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Every view of one endpoint: the socket calls take .sa, the family's
 * fields are read through .in or .in6, no cast needed. */
union probe_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

/* "ADDR[:PORT]" (IPv4), "[ADDR6]:PORT", "[ADDR6]" or a bare "ADDR6";
 * port PROBE_PORT when not given. 0 or -1. */
int probe_parse_addr(const char *s, union probe_sa *a);
/* "a.b.c.d:port" or "[v6]:port" (what probe_parse_addr reads back) */
void probe_sa_fmt(const union probe_sa *a, char *buf, size_t cap);
socklen_t probe_sa_len(const union probe_sa *a);
uint16_t probe_sa_port(const union probe_sa *a);	/* host order */
void probe_sa_set_port(union probe_sa *a, uint16_t port);
bool probe_sa_is_any(const union probe_sa *a);
/* the same family and address (ports aside) */
bool probe_sa_same_host(const union probe_sa *a, const union probe_sa *b);
/* a's address replaced by b's, a's port kept */
void probe_sa_set_host(union probe_sa *a, const union probe_sa *b);
/* socket(a's family, type, 0) */
int probe_sa_socket(const union probe_sa *a, int type);
/* The IPv4 view the raw-socket code takes: a copy when a is IPv4;
 * otherwise zeroed (sin_family AF_UNSPEC) and false. */
bool probe_sa_v4(const union probe_sa *a, struct sockaddr_in *v4);

#endif
