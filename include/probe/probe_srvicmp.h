/* probe_srvicmp.h -- the probe server's ICMP echo side (probe_srvicmp.c): the client's echo requests seen on a raw socket, and echo replies sent into their mappings when the control connection asks. */
#ifndef NATBOX_PROBE_SRVICMP_H
#define NATBOX_PROBE_SRVICMP_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define SRVICMP_KEPT	256

struct srv_icmp {
	int fd;			/* raw ICMP (root), or -1 */
	struct icmp_rec {
		unsigned token;
		uint16_t id, seq;	/* as they arrived (translated) */
		struct sockaddr_in from;
	} rec[SRVICMP_KEPT];	/* by token % SRVICMP_KEPT */
};

/* The raw socket, nonblocking: 0, or -1 (no root: IPING answers ERR). */
int srvicmp_open(struct srv_icmp *si);
/* Echo requests that arrived: recorded by their token. */
void srvicmp_read(struct srv_icmp *si);
/* "IPING TOKEN": an echo reply to TOKEN's request, its payload marked
 * late; the answer line in out ("OK TOKEN", "ERR TOKEN"), its length, or
 * 0 when the line is not ours. */
size_t srvicmp_ctl(struct srv_icmp *si, const char *line, char *out, size_t cap);

/* An ICMP echo (ICMP_ECHO or ICMP_ECHOREPLY) with its checksum into
 * pkt: its length, or 0 when cap is short (the client's requests too). */
size_t probe_icmp_echo(uint8_t *pkt, size_t cap, uint8_t type, uint16_t id, uint16_t seq,
    const char *payload);

#endif
