/* probe.h -- natbox probe: measure a device between a client and a server, and write the profile that emulates it. */
#ifndef NATBOX_PROBE_H
#define NATBOX_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "probe_addr.h"

#define PROBE_PORT	7445	/* control, test flows (TCP) and datagrams (UDP) */
#define PROBE_LISTEN_MAX	4
/* the acknowledgement number of the client's bare ACKs of no flow */
#define PROBE_RAW_MAGIC	0x6e627072u


struct probe_srv_opts {
	union probe_sa addr[PROBE_LISTEN_MAX];	/* IPv4 or IPv6 */
	/* their IPv4 views (probe_sa_v4) for the raw-socket code: AF_UNSPEC
	 * where the address is IPv6 */
	struct sockaddr_in listen[PROBE_LISTEN_MAX];
	unsigned nlisten;
};

/* Serve until killed. Returns the exit status (1 when it cannot listen). */
int probe_server_run(const struct probe_srv_opts *o);

struct probe_cli_opts {
	union probe_sa addr;	/* the server, IPv4 or IPv6 */
	/* its IPv4 view (probe_sa_v4) for the raw-socket searches, IPv4
	 * only: AF_UNSPEC when the server is IPv6 */
	struct sockaddr_in server;
	const char *server_arg;	/* as given, for the profile's source line */
	uint64_t max_wait;	/* ns: the longest idle tried */
	uint64_t resolution;	/* ns */
	uint64_t answer_wait;	/* ns a probe packet's answer is waited for */
	unsigned per_round;	/* flows a round, per measurement */
	bool json;
	bool translation_only;	/* mapping, filtering, ports: no timers */
	const char *out;	/* -o FILE: the profile; NULL: none */
};

int probe_client_run(const struct probe_cli_opts *o);

#endif
