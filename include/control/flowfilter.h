/* flowfilter.h -- ss-style flow filters for natbox ctl: states and groups, addresses, ports, queue, slot. */
#ifndef NATBOX_FLOWFILTER_H
#define NATBOX_FLOWFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "flowtab.h"

#define FLOW_FILTER_TERMS 8	/* of each kind */

struct flow_filter_addr {
	uint8_t family;		/* 4 or 6 */
	uint8_t plen;		/* prefix length */
	struct nb_addr a;
};

/* Terms of one kind are alternatives (`state fin_wait state close_wait`),
 * kinds must all match (`half-closed dport 5001`), as in ss(8). Counts
 * of 0 mean "any". */
struct flow_filter {
	uint16_t states;	/* bit (1 << enum tcp_state); 0: any */
	bool live;		/* include live flows */
	bool dead;		/* include expired flows still remembered */
	uint8_t family;		/* 0 any, 4, 6 */
	uint8_t kinds;		/* bit (1 << enum nb_kind); 0: any protocol */
	uint8_t nsrc, ndst, naddr, nsport, ndport, nport, nqueue, nslot;
	struct flow_filter_addr src[FLOW_FILTER_TERMS], dst[FLOW_FILTER_TERMS],
	    addr[FLOW_FILTER_TERMS];
	uint16_t sport[FLOW_FILTER_TERMS], dport[FLOW_FILTER_TERMS],
	    port[FLOW_FILTER_TERMS];
	uint16_t queue[FLOW_FILTER_TERMS];
	uint32_t slot[FLOW_FILTER_TERMS];
};

/* Parse words into *ff. Without a state word the filter takes live flows,
 * and expired ones too if dead_by_default (flush). Returns 0, or -1 with
 * a message in err. Words:
 *   [state] STATE|GROUP    syn_sent ... syn_sent2 (any case, - or _),
 *                          opening, half-closed, closing, live, expired, all
 *   src|dst|addr ADDR[/LEN] or a bare address (either end)
 *   sport|dport|port N      or :N (either end)
 *   queue N, flow [Q:]N     or a bare Q:N
 *   [proto] tcp|udp|icmp|other (icmp takes ICMPv6 too)
 *   -4, -6, ipv4, ipv6 */
int flow_filter_parse(struct flow_filter *ff, int argc, char *const *argv,
    bool dead_by_default, char *err, size_t cap);

/* Whether the filter takes worker `queue` at all. */
bool flow_filter_queue(const struct flow_filter *ff, uint16_t queue);
/* A flow in pool slot `slot` (state, liveness, tuple, slot). */
bool flow_filter_match(const struct flow_filter *ff, const struct flow *f, uint32_t slot);
/* A tuple as the originator sent it (events: no state or liveness);
 * proto is the IP protocol number. */
bool flow_filter_match_tuple(const struct flow_filter *ff, uint8_t family, uint8_t proto,
    const struct nb_addr *src, const struct nb_addr *dst, uint16_t sport,
    uint16_t dport, uint32_t slot);

#endif
