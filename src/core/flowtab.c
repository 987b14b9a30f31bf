/* flowtab.c -- fixed-pool flow table: chained buckets of pool indices, SipHash-1-3 keys. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "flowtab.h"

/*
 * Budget: 128 bytes per flow, buckets included. A flow is 120 bytes and a
 * bucket is a 4-byte pool index (not a pointer), so with at most two
 * buckets per flow (next power of two) the worst case is 128 and a round
 * 1,000,000 flows cost ~124.5. Growing struct flow breaks that promise.
 * The kernel mode's memory of the last packet (struct tcp_last, 16 bytes)
 * is kept beside the pool, one per slot, and only kernel mode touches it:
 * untouched, anonymous memory is never backed.
 */
_Static_assert(offsetof(struct flow, fflags) == offsetof(struct flow, family) + 1,
    "lookups read family and fflags as one 16-bit word");
_Static_assert(sizeof(struct flow) <= 120,
    "struct flow outgrew the 128 bytes/flow budget");

/* Pool indices must stay below the timer wheel's list-head tag bit. */
#define FLOWTAB_MAX	0x80000000u

struct flowtab {
	struct flow	*pool;
	struct tcp_last	*last;		/* per slot, kernel mode only (never
					 * touched otherwise) */
	uint32_t	*buckets;	/* chain heads, FLOW_NIL when empty */
	uint32_t	 mask;		/* nbuckets - 1 */
	uint32_t	 cap;
	uint32_t	 count;
	uint32_t	 freelist;	/* through hnext, ends in FLOW_NIL */
	uint32_t	 fresh;		/* slots from here on never used (lazy) */
	uint32_t	 cursor;	/* flowtab_sample() resumes here */
	uint64_t	 k0, k1;	/* SipHash key */
	size_t		 pool_sz, buckets_sz, last_sz;
	bool		 last_used;	/* flowtab_last_base() handed it out */
};

/*
 * A million flows is 120 MB touched at random: with 4 KiB pages nearly
 * every lookup also misses the TLB, and the page walk misses the cache.
 * Transparent huge pages (asked for, since distributions default THP to
 * madvise) cut the established-flow path roughly in half. mmap'd memory
 * comes zeroed, like calloc's.
 */
static void *
table_alloc(size_t sz)
{
	void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (sz >= (2u << 20))
		(void)madvise(p, sz, MADV_HUGEPAGE);	/* a hint; fine if refused */
#endif
	return p;
}

static void
table_free(void *p, size_t sz)
{
	if (p != NULL)
		munmap(p, sz);
}

/*
 * SipHash-1-3 (Aumasson & Bernstein; the variant Python and Rust use for
 * hash tables). One compression round instead of two: a table key needs
 * flooding resistance against an attacker who cannot see the hashes, not
 * a MAC, and this is on the per-packet path.
 */
#define ROTL64(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

/* A message of n little-endian words, then the last partial word with
 * the message length in its top byte, as the SipHash paper pads it. */
static uint64_t
siphash13(uint64_t k0, uint64_t k1, const uint64_t *m, size_t n, uint64_t last)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	size_t i;

	for (i = 0; i < n; i++) {
		v3 ^= m[i];
		SIPROUND;
		v0 ^= m[i];
	}
	v3 ^= last;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LE64(x)	__builtin_bswap64(x)
#define BE64(x)	(x)
#else
#define LE64(x)	(x)
#define BE64(x)	__builtin_bswap64(x)
#endif

/*
 * Both directions of a flow must hash alike, so the endpoints go in a
 * canonical order: the smaller (address, port) first, compared as the
 * bytes of address then port big-endian would memcmp (done on words).
 * The order is arbitrary but total, which is all a canonical form needs.
 * The message is 37 bytes: both addresses, both ports big-endian, the
 * family; addresses first so the first four words are plain loads and
 * the packet path builds no byte buffer.
 */
static uint32_t
flowtab_hash_tuple(const struct flowtab *ft, uint8_t family,
    const struct nb_addr *a, uint16_t ap, const struct nb_addr *b, uint16_t bp)
{
	uint64_t x[2], y[2], m[4], last;
	uint16_t lp, hp;
	bool a_first;

	if (family == 4) {
		/* IPv4: the same message shape with 4-byte addresses, 13
		 * bytes: two SipHash blocks instead of five. */
		uint8_t w[8];
		uint32_t xa = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
		    (uint32_t)a->b[2] << 8 | a->b[3];
		uint32_t yb = (uint32_t)b->b[0] << 24 | (uint32_t)b->b[1] << 16 |
		    (uint32_t)b->b[2] << 8 | b->b[3];

		if (xa < yb || (xa == yb && ap <= bp)) {
			memcpy(w, a->b, 4), memcpy(w + 4, b->b, 4);
			lp = ap, hp = bp;
		} else {
			memcpy(w, b->b, 4), memcpy(w + 4, a->b, 4);
			lp = bp, hp = ap;
		}
		memcpy(&m[0], w, 8);
		m[0] = LE64(m[0]);
		last = (uint64_t)13 << 56 | (uint64_t)family << 32 |
		    (uint64_t)(hp & 0xff) << 24 | (uint64_t)(hp >> 8) << 16 |
		    (uint64_t)(lp & 0xff) << 8 | (uint64_t)(lp >> 8);
		return (uint32_t)siphash13(ft->k0, ft->k1, m, 1, last);
	}
	memcpy(x, a->b, sizeof(x));
	memcpy(y, b->b, sizeof(y));
	if (x[0] != y[0])
		a_first = BE64(x[0]) < BE64(y[0]);
	else if (x[1] != y[1])
		a_first = BE64(x[1]) < BE64(y[1]);
	else
		a_first = ap <= bp;
	if (a_first) {
		m[0] = LE64(x[0]), m[1] = LE64(x[1]);
		m[2] = LE64(y[0]), m[3] = LE64(y[1]);
		lp = ap, hp = bp;
	} else {
		m[0] = LE64(y[0]), m[1] = LE64(y[1]);
		m[2] = LE64(x[0]), m[3] = LE64(x[1]);
		lp = bp, hp = ap;
	}
	last = (uint64_t)37 << 56 | (uint64_t)family << 32 |
	    (uint64_t)(hp & 0xff) << 24 | (uint64_t)(hp >> 8) << 16 |
	    (uint64_t)(lp & 0xff) << 8 | (uint64_t)(lp >> 8);
	return (uint32_t)siphash13(ft->k0, ft->k1, m, 4, last);
}

struct flowtab *
flowtab_new(uint32_t max_flows, uint64_t seed[2])
{
	return flowtab_new_lazy(max_flows, seed, false);
}

/*
 * Eager (the live path): every slot is written here, so the kernel
 * backs the whole table before the first packet and no page fault waits
 * on the packet path. Lazy (offline passes): slots are taken in order
 * from `fresh` when the free list is empty, so memory a pass never needs
 * (a profile's engine that sees only some flows) is never touched. An
 * unused slot reads as zero: fflags 0, not on the wheel.
 */
struct flowtab *
flowtab_new_lazy(uint32_t max_flows, uint64_t seed[2], bool lazy)
{
	struct flowtab *ft;
	uint32_t i, nbuckets;

	if (max_flows == 0 || max_flows > FLOWTAB_MAX || seed == NULL) {
		errno = EINVAL;
		return NULL;
	}
	for (nbuckets = 1; nbuckets < max_flows; nbuckets <<= 1)
		;
	if ((ft = calloc(1, sizeof(*ft))) == NULL)
		return NULL;
	ft->pool_sz = (size_t)max_flows * sizeof(*ft->pool);
	ft->buckets_sz = (size_t)nbuckets * sizeof(*ft->buckets);
	ft->last_sz = (size_t)max_flows * sizeof(*ft->last);
	ft->pool = table_alloc(ft->pool_sz);
	ft->buckets = table_alloc(ft->buckets_sz);
	ft->last = table_alloc(ft->last_sz);
	if (ft->pool == NULL || ft->buckets == NULL || ft->last == NULL) {
		flowtab_free(ft);
		errno = ENOMEM;
		return NULL;
	}
	memset(ft->buckets, 0xff, (size_t)nbuckets * sizeof(*ft->buckets));
	ft->mask = nbuckets - 1;
	ft->cap = max_flows;
	if (lazy) {
		ft->freelist = FLOW_NIL;
		ft->fresh = 0;
	} else {
		for (i = 0; i < max_flows; i++) {
			ft->pool[i].hnext = i + 1 < max_flows ? i + 1 : FLOW_NIL;
			ft->pool[i].wnext = ft->pool[i].wprev = FLOW_NIL;
		}
		ft->freelist = 0;
		ft->fresh = max_flows;
	}
	ft->k0 = seed[0];
	ft->k1 = seed[1];
	return ft;
}

void
flowtab_free(struct flowtab *ft)
{
	if (ft == NULL)
		return;
	table_free(ft->pool, ft->pool_sz);
	table_free(ft->buckets, ft->buckets_sz);
	table_free(ft->last, ft->last_sz);
	free(ft);
}

uint32_t
flowtab_hash(const struct flowtab *ft, const struct nb_packet *p)
{
	return flowtab_hash_tuple(ft, p->family, &p->src, p->sport, &p->dst, p->dport);
}

void
flowtab_prefetch(const struct flowtab *ft, uint32_t hash)
{
	__builtin_prefetch(&ft->buckets[hash & ft->mask]);
}

/*
 * Reads the bucket, so call it after flowtab_prefetch() had time to bring
 * that in. A 120-byte flow straddles two or three cache lines depending
 * on its index; its first and last bytes and the middle cover them all.
 */
void
flowtab_prefetch_flow(const struct flowtab *ft, uint32_t hash, unsigned depth)
{
	uint32_t i = ft->buckets[hash & ft->mask];
	const char *f;

	while (depth-- > 0 && i != FLOW_NIL)
		i = ft->pool[i].hnext;
	if (i == FLOW_NIL)
		return;
	f = (const char *)&ft->pool[i];
	__builtin_prefetch(f);
	__builtin_prefetch(f + sizeof(struct flow) / 2);
	__builtin_prefetch(f + sizeof(struct flow) - 1);
}

const struct flow *
flowtab_peek(const struct flowtab *ft, uint32_t hash)
{
	uint32_t i = ft->buckets[hash & ft->mask];

	return i == FLOW_NIL ? NULL : &ft->pool[i];
}

/* Two 8-byte compares; memcpy keeps it legal for any alignment. */
static inline bool
addr_eq(const struct nb_addr *a, uint64_t lo, uint64_t hi)
{
	uint64_t x[2];

	memcpy(x, a->b, sizeof(x));
	return x[0] == lo && x[1] == hi;
}

/* The kernel's ICMP tuple holds the query's type and code: a flow is
 * its request's, matched by that request one way and by its reply the
 * other (icmp_pkt_to_tuple(), icmp_invert_tuple()); anything else with
 * its identifier is another tuple. */
static inline bool
icmp_key_eq(const struct flow *f, const struct nb_packet *p, bool reply)
{
	return p->icmp_qtype == f->trk.dg.icmp_type &&
	    p->icmp_qcode == f->trk.dg.icmp_code && p->icmp_qreply == reply;
}

struct flow *
flowtab_lookup(struct flowtab *ft, const struct nb_packet *p, uint32_t hash,
    enum flow_dir *dir)
{
	uint64_t s[2], d[2];
	/* family and fflags are adjacent bytes: one load tells the family
	 * and the kind (either byte order: the want is built the same way) */
	const uint8_t want_b[2] = { p->family, (uint8_t)(p->kind << FF_KIND_SHIFT) };
	const uint8_t mask_b[2] = { 0xff, FF_KIND };
	uint16_t want, mask, fk;
	struct flow *f;
	uint32_t i;

	memcpy(&want, want_b, 2);
	memcpy(&mask, mask_b, 2);
	memcpy(s, p->src.b, sizeof(s));
	memcpy(d, p->dst.b, sizeof(d));
	for (i = ft->buckets[hash & ft->mask]; i != FLOW_NIL; i = f->hnext) {
		f = &ft->pool[i];
		memcpy(&fk, &f->family, 2);
		if ((fk & mask) != want)
			continue;
		if (f->sport == p->sport && f->dport == p->dport &&
		    addr_eq(&f->src, s[0], s[1]) &&
		    addr_eq(&f->dst, d[0], d[1]) &&
		    (p->kind != NBK_ICMP || icmp_key_eq(f, p, false))) {
			*dir = DIR_ORIG;
			return f;
		}
		if (f->sport == p->dport && f->dport == p->sport &&
		    addr_eq(&f->src, d[0], d[1]) &&
		    addr_eq(&f->dst, s[0], s[1]) &&
		    (p->kind != NBK_ICMP || icmp_key_eq(f, p, true))) {
			*dir = DIR_REPLY;
			return f;
		}
	}
	return NULL;
}

/* The caller's hash must be flowtab_hash(ft, p): remove() recomputes it. */
struct flow *
flowtab_insert(struct flowtab *ft, const struct nb_packet *p, uint32_t hash)
{
	struct flow *f;
	uint32_t i, b;

	if ((i = ft->freelist) != FLOW_NIL) {
		f = &ft->pool[i];
		ft->freelist = f->hnext;
	} else if (ft->fresh < ft->cap) {
		i = ft->fresh++;
		f = &ft->pool[i];
	} else {
		return NULL;
	}

	memset(f, 0, sizeof(*f));
	f->src = p->src;
	f->dst = p->dst;
	f->sport = p->sport;
	f->dport = p->dport;
	f->family = p->family;
	f->fflags = (uint8_t)(FF_USED | p->kind << FF_KIND_SHIFT);
	f->wnext = f->wprev = FLOW_NIL;

	b = hash & ft->mask;
	f->hnext = ft->buckets[b];
	ft->buckets[b] = i;
	ft->count++;
	return f;
}

/*
 * Chains are singly linked to keep struct flow at 120 bytes, so removal
 * walks its bucket; with buckets >= flows the chain is short on average,
 * and the keyed hash keeps an attacker from making it long.
 */
void
flowtab_remove(struct flowtab *ft, struct flow *f)
{
	uint32_t idx = flowtab_index(ft, f), *link;
	uint32_t h;

	assert(idx < ft->cap && (f->fflags & FF_USED));
	h = flowtab_hash_tuple(ft, f->family, &f->src, f->sport, &f->dst, f->dport);
	for (link = &ft->buckets[h & ft->mask]; *link != idx;
	    link = &ft->pool[*link].hnext)
		assert(*link != FLOW_NIL);
	*link = f->hnext;

	f->fflags = 0;
	f->hnext = ft->freelist;
	ft->freelist = idx;
	ft->count--;
}

uint32_t
flowtab_count(const struct flowtab *ft)
{
	return ft->count;
}

uint32_t
flowtab_capacity(const struct flowtab *ft)
{
	return ft->cap;
}

struct flow *
flowtab_pool(struct flowtab *ft)
{
	return ft->pool;
}

struct tcp_last *
flowtab_last_base(struct flowtab *ft)
{
	if (__builtin_expect(!ft->last_used, 0))
		ft->last_used = true;
	return ft->last;
}

/* Backs the whole side array now (an eager table's packet path should
 * not fault on it), unless it was handed out already (entries in use). */
void
flowtab_last_touch(struct flowtab *ft)
{
	if (!ft->last_used)
		memset(flowtab_last_base(ft), 0, ft->last_sz);
}

size_t
flowtab_memory(const struct flowtab *ft)
{
	return (size_t)ft->cap * sizeof(*ft->pool) +
	    ((size_t)ft->mask + 1) * sizeof(*ft->buckets) +
	    (ft->last_used ? ft->last_sz : 0);
}

/*
 * The scan is capped at 8 * n slots so a nearly empty table costs O(n),
 * not O(capacity), per call; it may then return fewer than n (or none)
 * although more flows exist. Eviction only needs a fair sample, and the
 * cursor carries on from where it stopped, so repeated calls see every
 * slot in turn.
 */
unsigned
flowtab_sample(struct flowtab *ft, struct flow **out, unsigned n)
{
	uint64_t scan = (uint64_t)n * 8;
	unsigned got = 0;
	uint32_t i = ft->cursor;

	if (scan > ft->cap)
		scan = ft->cap;
	while (got < n && scan-- > 0) {
		if (ft->pool[i].fflags & FF_USED)
			out[got++] = &ft->pool[i];
		if (++i == ft->cap)
			i = 0;
	}
	ft->cursor = i;
	return got;
}
