/* flowtab.h -- the flow table: canonical bidirectional keys, seeded hash, fixed pool. */
#ifndef NATBOX_FLOWTAB_H
#define NATBOX_FLOWTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "tcpfsm.h"

#define FLOW_NIL UINT32_MAX

/* Flow flags */
#define FF_USED		0x01	/* slot holds a live flow or a tombstone */
#define FF_DEAD		0x02	/* tombstone: expired; remembers why */
#define FF_KIND_SHIFT	2	/* bits 2-3: enum nb_kind, part of the key */
#define FF_KIND		(3u << FF_KIND_SHIFT)

/* One flow. The originator's tuple is stored as it sent it. The first 64
 * bytes hold everything a lookup and the timer wheel touch. */
struct flow {
	struct nb_addr src, dst;	/* originator -> responder */
	uint16_t sport, dport;
	uint32_t hnext;			/* hash chain (pool index) */
	uint32_t wnext, wprev;		/* timer wheel links (owned by timer.c) */
	uint64_t deadline;		/* ns; the flow's single timer */
	uint8_t family;
	uint8_t fflags;			/* FF_*; right after family: lookups read both at once */
	uint8_t timer_state;		/* whose timeout is running (enum tcp_state) */
	uint8_t dead_reason;		/* for tombstones: enum nb_reason of the expiry */
	struct tcp_track trk;		/* state + per-direction facts */
	uint32_t serial;		/* engine's flow number, tells reused slots apart */
	uint64_t last_seen;		/* ns */
};

/* The flow's protocol kind (enum nb_kind). */
static inline unsigned
flow_kind(const struct flow *f)
{
	return (f->fflags & FF_KIND) >> FF_KIND_SHIFT;
}

/* The flow's IP protocol number (another protocol's stands in its ports). */
static inline uint8_t
flow_proto(const struct flow *f)
{
	switch (flow_kind(f)) {
	case NBK_TCP:
		return NB_PROTO_TCP;
	case NBK_UDP:
		return NB_PROTO_UDP;
	case NBK_ICMP:
		return f->family == 6 ? NB_PROTO_ICMPV6 : NB_PROTO_ICMP;
	default:
		return (uint8_t)f->sport;
	}
}

struct flowtab;

/* All memory is allocated here, once; nothing per packet. NULL on ENOMEM.
 * flowtab_new() touches all of it now; lazy, slots are touched as first
 * used (offline passes, where most of a table may never be). */
struct flowtab *flowtab_new(uint32_t max_flows, uint64_t seed[2]);
struct flowtab *flowtab_new_lazy(uint32_t max_flows, uint64_t seed[2], bool lazy);
void flowtab_free(struct flowtab *ft);

/* Direction-independent keyed hash (SipHash) of the packet's 4-tuple.
 * The kind is not hashed (a TCP and a UDP flow on one tuple share a
 * bucket); lookups compare it. */
uint32_t flowtab_hash(const struct flowtab *ft, const struct nb_packet *p);
/* Prefetch the bucket for a hash (bursts: hash all, prefetch, then look up). */
void flowtab_prefetch(const struct flowtab *ft, uint32_t hash);
/* Later stages: prefetch the flow at position `depth` (0 = first) of
 * that bucket's chain, once the earlier ones have arrived. */
void flowtab_prefetch_flow(const struct flowtab *ft, uint32_t hash, unsigned depth);

/* The first flow in hash's chain, or NULL: no key compared. */
const struct flow *flowtab_peek(const struct flowtab *ft, uint32_t hash);

/* Find the flow of p; *dir says whether p goes orig->reply or back. An
 * ICMP query flow matches by its request's type and code too. */
struct flow *flowtab_lookup(struct flowtab *ft, const struct nb_packet *p,
    uint32_t hash, enum flow_dir *dir);
/* Take a slot from the pool and link it; p's sender becomes the
 * originator. Returns NULL when the pool is empty. Fields other than the
 * key, hnext and fflags (FF_USED and the kind) are zeroed; wnext/wprev
 * are FLOW_NIL. */
struct flow *flowtab_insert(struct flowtab *ft, const struct nb_packet *p, uint32_t hash);
/* Unlink and return to the pool. The caller disarms its timer first. */
void flowtab_remove(struct flowtab *ft, struct flow *f);

uint32_t flowtab_count(const struct flowtab *ft);
uint32_t flowtab_capacity(const struct flowtab *ft);
struct flow *flowtab_pool(struct flowtab *ft);		/* base of the pool array */
static inline uint32_t
flowtab_index(struct flowtab *ft, const struct flow *f)
{
	return (uint32_t)(f - flowtab_pool(ft));
}
/* The kernel mode's memory of each flow's last packet, one per slot
 * beside the pool (struct flow stays small for the other modes). Memory
 * nobody asked for is never backed: the first call counts it in
 * flowtab_memory(). Slots' entries are not cleared on insert (the track's
 * TTF_KERN says whether its entry is its own). */
struct tcp_last *flowtab_last_base(struct flowtab *ft);
static inline struct tcp_last *
flowtab_last(struct flowtab *ft, const struct flow *f)
{
	return &flowtab_last_base(ft)[flowtab_index(ft, f)];
}
/* Backs every entry now (an eager table in kernel mode), if none was
 * handed out yet. */
void flowtab_last_touch(struct flowtab *ft);
/* Bytes allocated for the pool and the buckets together, and the side
 * entries once asked for. */
size_t flowtab_memory(const struct flowtab *ft);

/* Up to n used flows, walking the pool from a cursor that moves on with
 * every call (eviction samples these, like Linux's early_drop). */
unsigned flowtab_sample(struct flowtab *ft, struct flow **out, unsigned n);

#endif
