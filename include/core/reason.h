/* reason.h -- named reasons for drops, expiries and flow ends; each is a counter. */
#ifndef NATBOX_REASON_H
#define NATBOX_REASON_H

#include "decode.h"

enum nb_reason {
	R_NONE = 0,
	/* a flow's timer ran out (expire/end events), and later packets of
	 * that dead flow dropped for it: which timer class expired */
	R_EXPIRED_OPENING,	/* "expired:opening" SYN_SENT, SYN_SENT2, SYN_RECV */
	R_EXPIRED_IDLE,		/* "expired:idle" ESTABLISHED */
	R_EXPIRED_HALF_CLOSED,	/* "expired:half_closed" FIN_WAIT, CLOSE_WAIT */
	R_EXPIRED_CLOSING,	/* "expired:closing" LAST_ACK */
	R_EXPIRED_TIME_WAIT,	/* "expired:time_wait" */
	R_EXPIRED_CLOSED,	/* "expired:closed" CLOSE (after RST) */
	R_EXPIRED_UDP_UNREPLIED,/* "expired:udp_unreplied" UDP, one way only */
	R_EXPIRED_UDP,		/* "expired:udp" UDP, both ways */
	R_EXPIRED_ICMP,		/* "expired:icmp" an ICMP query session */
	R_EXPIRED_OTHER,	/* "expired:other" another IP protocol */
	R_EXPIRED_GRE_UNREPLIED,/* "expired:gre_unreplied" GRE, no reply yet */
	R_EXPIRED_GRE,		/* "expired:gre" GRE after a reply */
	/* other drops */
	R_NO_FLOW,		/* "no_flow" packet of an unknown flow, no SYN */
	R_TIMEWAIT_REUSE,	/* "timewait_reuse" SYN into TIME_WAIT, reopen = drop */
	R_TABLE_FULL,		/* "table_full" */
	R_INVALID_STATE,	/* "invalid:state" kernel table says INVALID */
	R_INVALID_WINDOW,	/* "invalid:window" out of window */
	R_FAULT_DROP_RST,	/* "fault:drop_rst" */
	R_FAULT_DROP_FIN_ACK,	/* "fault:drop_fin_ack" */
	R_FAULT_DROP_FIRST_FIN,	/* "fault:drop_first_fin" */
	R_FAULT_DROP_SECOND_FIN,/* "fault:drop_second_fin" */
	R_ICMP_ERROR,		/* "icmp_error" an ICMP error, icmp.errors = drop */
	/* translation (nat.*) */
	R_NAT_NO_MAPPING,	/* "nat:no_mapping" to a pool address and port no mapping holds */
	R_NAT_FILTERED,		/* "nat:filtered" a new inbound flow nat.filtering refuses */
	R_NAT_PORTS,		/* "nat:ports_exhausted" no external port free for a new flow */
	R_NAT_QUOTA,		/* "nat:host_quota" the inside host has nat.ports_per_host mappings */
	R_NAT_HAIRPIN,		/* "nat:hairpin_off" inside to a pool address, nat.hairpin = off */
	R_NAT_REBIND,		/* "nat:rebind" a flow moved to a new mapping (update events) */
	/* flow ends that are not expiries */
	R_END_RST,		/* "rst" RST before any reply deleted the flow */
	R_END_REOPEN,		/* "reopen" a SYN replaced a closed flow */
	R_END_EVICTED,		/* "evicted" table full, evict */
	R_END_FLUSH,		/* "flush" front asked (shutdown, ctl flush) */
	R_END_TOMBSTONE,	/* "forgotten" a dead flow's memory was reclaimed */
	/* malformed packets: "decode:truncated", ... (R_DECODE + enum decode_err) */
	R_DECODE,
	R__MAX = R_DECODE + DEC__MAX,
};

/* Stable name of a reason, e.g. "expired:half_closed". */
const char *reason_name(unsigned r);

#endif
