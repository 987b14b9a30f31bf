/* conform_int.h -- the conformance runs' bench: one engine, a virtual clock, packets built by hand (core-internal). */
#ifndef NATBOX_CONFORM_INT_H
#define NATBOX_CONFORM_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "conform.h"
#include "engine.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define CS_CLIENT	IP4(198, 51, 100, 2)
#define CS_CLIENT2	IP4(198, 51, 100, 3)
#define CS_SERVER	IP4(203, 0, 113, 2)
#define CS_SERVER2	IP4(203, 0, 113, 3)
#define CS_POOL		IP4(203, 0, 113, 100)	/* and .101: two, for pooling */
#define CS_SEC		1000000000ULL

struct csim {
	struct policy pol;
	struct engine *e;
	uint64_t now;
	struct verdict v;
};

/* One side of a TCP connection through the engine: the client's
 * endpoint, the server's, the external one the client's SYN got, and
 * both senders' next sequence numbers. */
struct cconn {
	uint32_t c, s, xa;
	uint16_t cp, sp, xp;
	uint32_t cseq, sseq;
};

/* p with translation on (documentation addresses, two pool addresses,
 * the client side inside) and a small table. -1: no engine. */
int csim_start(struct csim *s, const struct policy *p);
void csim_stop(struct csim *s);
/* Move the clock forward by dt and reap what is due. */
void csim_wait(struct csim *s, uint64_t dt);

enum verdict_action csim_tcp(struct csim *s, uint32_t src, uint16_t sp, uint32_t dst,
    uint16_t dp, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len);
enum verdict_action csim_udp(struct csim *s, uint32_t src, uint16_t sp, uint32_t dst,
    uint16_t dp);
enum verdict_action csim_echo(struct csim *s, uint32_t src, uint32_t dst, uint8_t type,
    uint16_t id);
/* An ICMP error (type, code) from `from` to `to` quoting the header of a
 * packet qsrc:qsp -> qdst:qdp of protocol proto. */
enum verdict_action csim_icmp_err(struct csim *s, uint32_t from, uint32_t to, uint8_t type,
    uint8_t code, uint8_t proto, uint32_t qsrc, uint16_t qsp, uint32_t qdst, uint16_t qdp);

/* The source the last verdict translated to (the packet's own when not). */
void csim_xsrc(const struct csim *s, uint32_t src, uint16_t sp, uint32_t *xa, uint16_t *xp);

void cconn_init(struct cconn *k, uint32_t c, uint16_t cp, uint32_t s, uint16_t sp);
/* The client (out) or the server (in, to the external endpoint) sends. */
enum verdict_action cc_out(struct csim *s, struct cconn *k, uint8_t flags, uint32_t len);
enum verdict_action cc_in(struct csim *s, struct cconn *k, uint8_t flags, uint32_t len);
/* SYN out (records the external endpoint), SYN-ACK in, ACK out, a
 * request and its answer: true if every packet passed. */
bool cc_open(struct csim *s, struct cconn *k);

#endif
