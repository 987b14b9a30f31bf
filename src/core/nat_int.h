/* nat_int.h -- the mapping table's insides, shared by nat.c (lookups, references, filtering) and nat_alloc.c (ports, slots, quota) (core-internal). */
#ifndef NATBOX_NAT_INT_H
#define NATBOX_NAT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "nat.h"

#define NIL NAT_NONE

struct nat_perm {		/* a flow count per (mapping, remote address) */
	uint32_t m, raddr, count, next;
};

struct nat_host {		/* live mappings per internal address */
	uint32_t addr, count, next;
};

struct nat_remote {		/* a mapping's remote (AD, APD mapping keys) */
	uint32_t raddr;
	uint16_t rport, spare;
};

struct nat_table {
	struct nat_conf c;
	struct nat_map *m;
	struct nat_remote *rem;	/* by slot; NULL under EI mapping (all 0) */
	uint32_t nslots, cap, nlive;
	uint32_t *bx, *bi;	/* buckets: external, internal index */
	uint32_t bmask;
	uint32_t free_head;	/* unused slots, linked by hi */
	uint32_t rest_head, rest_tail;	/* freed mappings, oldest first, by hi */
	uint64_t k0, k1;
	uint64_t rng;
	uint32_t cursor[3];	/* sequential allocation: TCP, UDP, other */
	uint32_t rr;		/* arbitrary pooling: next address to try */
	struct nat_perm *perm;	/* NULL unless EI mapping + AD filtering */
	uint32_t *bp, perm_free;
	struct nat_host *host;	/* NULL unless ports_per_host */
	uint32_t *bh, host_free;
	struct nat_stats st;
};

/* ---- hashing ---- */

static inline uint32_t
hmix(const struct nat_table *t, uint64_t a, uint64_t b)
{
	uint64_t h = (a ^ t->k0) * 0x9E3779B97F4A7C15ULL;

	h ^= h >> 31;
	h = (h + (b ^ t->k1)) * 0xC2B2AE3D27D4EB4FULL;
	h ^= h >> 29;
	h *= 0x165667B19E3779F9ULL;
	return (uint32_t)(h >> 32);
}

static inline uint32_t
hash_ext(const struct nat_table *t, uint8_t proto, uint32_t xai, uint16_t xport)
{
	return hmix(t, (uint64_t)proto << 48 | (uint64_t)xport << 32 | xai, 1) & t->bmask;
}

/* The internal key, with what the mapping behaviour ignores zeroed. */
static inline void
key_norm(const struct nat_table *t, const struct nat_key *k, struct nat_key *n)
{
	*n = *k;
	if (t->c.mapping == NAT_EI)
		n->raddr = 0;
	if (t->c.mapping != NAT_APD)
		n->rport = 0;
}

static inline uint32_t
hash_int(const struct nat_table *t, const struct nat_key *n)
{
	return hmix(t, (uint64_t)n->proto << 48 | (uint64_t)n->iport << 32 | n->iaddr,
	    (uint64_t)n->rport << 32 | n->raddr) & t->bmask;
}

/* Does slot i's mapping have normalised key n? */
static inline bool
key_match(const struct nat_table *t, uint32_t i, const struct nat_key *n)
{
	const struct nat_map *m = &t->m[i];

	if (m->iaddr != n->iaddr || m->iport != n->iport || m->proto != n->proto)
		return false;
	return t->rem == NULL || (t->rem[i].raddr == n->raddr && t->rem[i].rport == n->rport);
}

static inline uint64_t
rng_next(struct nat_table *t)
{
	uint64_t z = (t->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Allocation (nat_alloc.c). */
/* A new mapping for normalised key n: an external port by nat.ports, a
 * slot; counted; NIL with *why. */
uint32_t nat_alloc_map(struct nat_table *t, const struct nat_key *n, uint64_t now,
    enum nat_fail *why);
/* The oldest resting mapping leaves the external index; its slot is free. */
void nat_rest_pop(struct nat_table *t);
/* A host's live mappings, for nat.ports_per_host (no table: nothing). */
void nat_host_add(struct nat_table *t, uint32_t addr, int delta);

#endif
