/* report_trace.h -- what the reference's tracker did, packet by packet: written on its thread (report_trace.c), read by the shadows on each profile's (report_shadow.c). Not an interface. */
#ifndef NATBOX_REPORT_TRACE_H
#define NATBOX_REPORT_TRACE_H

#include <stdint.h>

#include "report_pass.h"

/* What the reference's tracker did with one packet: small, as every
 * profile's thread reads every one. */
#define TR_NEW		0x01	/* it started flow nslot */
#define TR_REFRESH	0x02	/* the tracker's refresh (TO_OK) */
#define TR_ICMP_ERROR	0x04	/* an ICMP error about flow nslot (untracked:
				 * it changes nothing of the flow) */
struct rtrace {
	uint32_t slot;		/* the flow it tracked the packet in, FLOW_NIL */
	uint32_t nslot;		/* the flow the packet started (TR_NEW) or is
				 * an ICMP error about (TR_ICMP_ERROR), FLOW_NIL */
	uint32_t id;		/* slot's capture flow */
	uint8_t dir, outcome, old_state, flags;
	/* the state after it (slot's, or nslot's): its timer key
	 * (policy_timer_key()) and tracker flags */
	uint16_t tkey;
	uint8_t ttf;
	uint32_t hash;		/* the packet's, with TR_NEW */
};

/* Slot's flow as it was before the packet (an ICMP error's: nslot's), for
 * a profile that takes it over there (read only then). One cache line,
 * written whole. The reference never tracks windows (report_ref.c), so
 * its tracks have no kernel memory (struct tcp_last) to carry. */
struct __attribute__((aligned(64))) rpre {
	struct tcp_track trk;
	uint64_t last_seen;
};

/* The reference forgot a flow (its table full) before packet tag. */
struct revict {
	uint32_t tag, slot, id;
	uint8_t family;
	uint8_t kind;		/* enum nb_kind */
	uint16_t sport, dport;	/* originator -> responder */
	struct nb_addr src, dst;
	struct tcp_track trk;
	uint64_t last_seen;
};

/* With shadows (shadow_setup()): the chunks' traces, and the reference's
 * observers that write them. */
void trace_setup(struct pass *ps);
void trace_free(struct pass *ps);
/* The reference's thread: its tracker's doings, into the chunk's trace
 * (ps->cur). A flow started, a flow evicted (its events), a packet done
 * (its verdict), an ICMP error about a flow (before its verdict). */
void trace_new(struct pass *ps, const struct event *ev);
void trace_evicted(struct pass *ps, const struct event *ev);
void trace_verdict(struct pass *ps, const struct engine_tpkt *tp);
void trace_related(struct pass *ps, uint32_t tag, uint32_t slot, const struct flow *f,
    enum flow_dir dir);
/* Before the reference's thread hands a chunk on: its trace is out. */
void trace_fence(void);

#endif
