/* nat.h -- NAT44: a profile's translation settings, the mapping table and the port allocator (pure). */
#ifndef NATBOX_NAT_H
#define NATBOX_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAT_RANGES_MAX	8	/* nat.outside: address ranges */
#define NAT_INSIDE_MAX	8	/* nat.inside: prefixes */
#define NAT_POOL_MAX	65535	/* pool addresses in all (a u16 index) */
#define NAT_NONE	UINT32_MAX

/* RFC 4787 section 4.1 (mapping) and section 5 (filtering): what besides
 * the internal endpoint a mapping, or a permission, depends on. */
enum nat_dep { NAT_EI = 0, NAT_AD, NAT_APD };
/* How an external port is chosen (RFC 4787 REQ-3, RFC 6056). */
enum nat_ports { NATP_PRESERVE = 0, NATP_SEQUENTIAL, NATP_RANDOM };
/* RFC 4787 REQ-2: one internal address, one external address (paired). */
enum nat_pooling { NATPOOL_PAIRED = 0, NATPOOL_ARBITRARY };
/* What an inbound packet with no mapping, or one filtering refuses, gets. */
enum nat_unsolicited { NATU_DROP = 0, NATU_RESET, NATU_ICMP };

/* A profile's nat.* settings (part of struct policy; all zero: off). */
struct nat_conf {
	uint8_t nranges;		/* 0: translation off */
	uint8_t ninside;		/* 0: every source but the pool's is inside */
	uint8_t mapping, filtering;	/* enum nat_dep */
	uint8_t ports;			/* enum nat_ports */
	uint8_t pooling;		/* enum nat_pooling */
	uint8_t unsolicited;		/* enum nat_unsolicited */
	bool parity;			/* keep the internal port's parity (REQ-4) */
	bool hairpin;			/* inside to a pool address loops back (REQ-9) */
	uint16_t port_lo, port_hi;	/* external ports (ICMP identifiers too) */
	uint32_t ports_per_host;	/* live mappings per internal address; 0: no limit */
	uint64_t reuse_delay;		/* ns a freed external port rests (RFC 6888 REQ-8) */
	uint64_t rebind_every;		/* ns; a mapping older is replaced at its next
					 * outbound packet (0: never) */
	struct { uint32_t lo, hi; } range[NAT_RANGES_MAX];	/* host order, lo <= hi */
	struct { uint32_t net, mask; } inside[NAT_INSIDE_MAX];	/* host order */
};

/* Names as spelled in profiles, indexed by the enums above. */
extern const char *const nat_dep_names[3];	/* endpoint-independent, ... */
extern const char *const nat_ports_names[3];	/* preserve, sequential, random */
extern const char *const nat_pooling_names[2];	/* paired, arbitrary */
extern const char *const nat_unsolicited_names[3];	/* drop, reset, icmp */

static inline bool
nat_on(const struct nat_conf *c)
{
	return c->nranges != 0;
}

/* Pool addresses in all, and the ai-th (0-based, in the order written). */
uint32_t nat_pool_size(const struct nat_conf *c);
uint32_t nat_pool_addr(const struct nat_conf *c, uint32_t ai);
/* addr's index in the pool, or -1 if it is not a pool address. */
int32_t nat_pool_index(const struct nat_conf *c, uint32_t addr);
/* Whether addr is an inside address (nat.inside; every non-pool address
 * when none is given). */
bool nat_inside(const struct nat_conf *c, uint32_t addr);
/* Whether two settings may be swapped under live mappings: everything
 * but nat.unsolicited, nat.hairpin, nat.rebind_every, nat.port_reuse_delay
 * and the figure of nat.ports_per_host (not whether there is one) shapes
 * the table and needs a new engine. */
bool nat_conf_compatible(const struct nat_conf *a, const struct nat_conf *b);

/* One mapping: an internal endpoint's external (address, port) for one
 * protocol. Under address(-and-port)-dependent mapping it also belongs
 * to one remote address (and port). */
struct nat_map {
	uint16_t xai, xport;	/* pool address index, external port / ICMP id */
	uint8_t proto;		/* IP protocol */
	uint8_t flags;		/* NMF_* */
	uint16_t iport;
	uint32_t iaddr;		/* internal address, host order */
	uint32_t nflows;	/* flows translated through it */
	uint32_t hx, hi;	/* chains: external index, internal index (or the
				 * freed list) */
	uint32_t t;		/* made, once freed when: a clock of 2^20 ns ticks,
				 * mod 2^32 (nat_map_age()) */
};

/* How long ago mapping m was made (freed, once resting), to a tick
 * (~1 ms); right for ages under 52 days. */
static inline uint64_t
nat_map_age(const struct nat_map *m, uint64_t now)
{
	return (uint64_t)((uint32_t)(now >> 20) - m->t) << 20;
}
#define NMF_LIVE	0x01
#define NMF_FREED	0x02	/* its port rests for nat.port_reuse_delay */

/* The key a new outbound flow looks its mapping up by. */
struct nat_key {
	uint8_t proto;
	uint16_t iport, rport;
	uint32_t iaddr, raddr;	/* host order */
};

/* Why nat_map_get() gave none. */
enum nat_fail { NATF_OK = 0, NATF_PORTS, NATF_QUOTA };

struct nat_stats {
	uint64_t made, freed;		/* mappings */
	uint64_t reused;		/* flows that found a live mapping */
	uint64_t ports_exhausted;	/* no free external port (the pool's or a paired address's) */
	uint64_t quota;			/* nat.ports_per_host reached */
	uint64_t rest_cut;		/* freed ports reused before their rest ended
					 * (the table was full of resting ones) */
	uint64_t rebinds;		/* mappings replaced by nat.rebind_every or ctl */
};

struct nat_table;

/* capacity: live mappings at most (the engine's flow count: a mapping
 * has at least one flow). NULL on ENOMEM. c is copied. */
struct nat_table *nat_new(const struct nat_conf *c, uint32_t capacity, const uint64_t seed[2]);
void nat_free(struct nat_table *t);
/* A compatible setting (nat_conf_compatible()) replaces the old one. */
void nat_set_conf(struct nat_table *t, const struct nat_conf *c);
const struct nat_conf *nat_conf_of(const struct nat_table *t);

/* The outbound mapping for k under the mapping behaviour, made if there
 * is none (a new external port, by nat.ports). A live mapping max_age old
 * or older is not reused (rebinding; UINT64_MAX: any is). Returns its
 * index, or NAT_NONE with *why. Takes no reference: see nat_map_ref(). */
uint32_t nat_map_get(struct nat_table *t, const struct nat_key *k, uint64_t now,
    uint64_t max_age, enum nat_fail *why);
/* The live mapping k would reuse (nat_map_get() without making one), or
 * NAT_NONE. */
uint32_t nat_map_find_int(const struct nat_table *t, const struct nat_key *k);
/* The live mapping holding external (proto, pool index, port), or NAT_NONE. */
uint32_t nat_map_find(const struct nat_table *t, uint8_t proto, uint32_t xai, uint16_t xport);
/* A flow starts or stops using mapping m; raddr is the flow's remote
 * address (address-dependent filtering's permissions). The last put frees
 * the mapping (its port rests for the reuse delay). */
void nat_map_ref(struct nat_table *t, uint32_t m, uint32_t raddr);
void nat_map_put(struct nat_table *t, uint32_t m, uint32_t raddr, uint64_t now);
/* May a new inbound flow from raddr:rport come through live mapping m
 * (filtering)? A packet of an existing flow never asks. */
bool nat_filter_allows(const struct nat_table *t, uint32_t m, uint32_t raddr, uint16_t rport);

const struct nat_map *nat_map_at(const struct nat_table *t, uint32_t m);
/* Mapping m's internal key: its internal endpoint and, under address-
 * (and port-)dependent mapping, the remote it was made for (kept apart
 * from struct nat_map, which endpoint-independent mapping does not need). */
void nat_map_key(const struct nat_table *t, uint32_t m, struct nat_key *k);
uint32_t nat_capacity(const struct nat_table *t);	/* slots, for walks */
uint32_t nat_count(const struct nat_table *t);		/* live mappings */
size_t nat_memory(const struct nat_table *t);
const struct nat_stats *nat_stats(const struct nat_table *t);
/* Live mappings of internal address iaddr (0 unless nat.ports_per_host). */
uint32_t nat_host_count(const struct nat_table *t, uint32_t iaddr);

#endif
