/* event.h -- typed engine events and their text/JSON formatting (no I/O). */
#ifndef NATBOX_EVENT_H
#define NATBOX_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

enum event_type {
	EV_NEW = 0,	/* "new": a flow was created */
	EV_UPDATE,	/* "update": tracker state changed (old_state -> state) */
	EV_EXPIRE,	/* "expire": a timer ran out; reason says which */
	EV_DROP,	/* "drop": a packet was dropped; reason says why */
	EV_FAULT,	/* "fault": an injected fault dropped a packet */
	EV_RESET,	/* "reset": natbox sent RSTs (expiry action or reset-sender) */
	EV_END,		/* "end": the flow left the table; conn_state, history */
	EV_FLOW,	/* "flow": a snapshot of a live flow (dumps), not a change */
	EV_INVALID,	/* "invalid": a packet the tracker called invalid, accepted
			 * (invalid.action = accept); reason says why */
	EV__MAX
};

const char *event_type_name(unsigned t);

#define EV_NO_TIMEOUT UINT64_MAX
#define EV_TAG_NONE UINT32_MAX
#define EV_DIR_BOTH 2

struct event {
	uint8_t type;		/* enum event_type */
	uint8_t family;
	uint8_t proto;		/* IP protocol: 6 tcp, 17 udp, 1 icmp, 58 icmpv6, ... */
	uint8_t state;		/* enum tcp_state (current) */
	uint8_t old_state;	/* EV_UPDATE */
	uint8_t dir;		/* direction of the packet, where one caused it;
				 * EV_DIR_BOTH for RSTs sent to both ends */
	uint8_t timer_state;	/* whose timer runs (differs from state when a
				 * profile starts half-close late) */
	uint16_t reason;	/* enum nb_reason */
	uint32_t flow;		/* pool index, FLOW_NIL if none */
	uint32_t tag;		/* engine_process_timed(): the tag of the packet
				 * being processed, EV_TAG_NONE otherwise */
	uint16_t sport, dport;	/* as the originator sent them */
	struct nb_addr src, dst;
	uint64_t ts;		/* ns, engine clock */
	uint64_t timeout;	/* ns now running, or EV_NO_TIMEOUT */
	/* A translated flow's outside tuple (IPv4, host order): nat = 1 */
	uint8_t nat;
	uint16_t nat_sport, nat_dport;
	uint32_t nat_src, nat_dst;
	const char *conn_state;	/* EV_END */
	char history[13];	/* EV_END */
};

enum event_format { EVF_TEXT = 0, EVF_JSON };

/* One line, '\n'-terminated. Like snprintf: returns the length needed.
 * Text:  ts=12.500000 [UPDATE] src=.. dst=.. sport=.. dport=.. state=FIN_WAIT old_state=ESTABLISHED timeout=120
 * JSON:  {"ts":12.5,"event":"update","src":..,"state":"FIN_WAIT",...}
 * Field order is fixed and documented in README.md. */
size_t event_format(const struct event *ev, enum event_format fmt, char *buf, size_t cap);

/* "tcp", "udp", "icmp", "icmpv6", or the number ("47"); buf for the last. */
const char *event_proto_name(uint8_t proto, char buf[4]);

/* Address to text (inet_ntop-equivalent, done by hand: no I/O headers). */
void event_addr_str(uint8_t family, const struct nb_addr *a, char *buf, size_t cap);

#endif
