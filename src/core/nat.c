/* nat.c -- NAT44 mapping table and port allocator.
 *
 * A mapping is found two ways: by its external (protocol, address, port),
 * for inbound packets and to tell a free port from a taken one; and by its
 * internal key (protocol, internal address and port, plus the remote
 * address, and port, under address(-and-port)-dependent mapping), for the
 * outbound packet that starts a flow. Both are chained hash indexes over
 * one slot array. A mapping lives while flows use it (nflows); freed, it
 * stays in the external index for nat.port_reuse_delay so its port rests
 * (RFC 6888 REQ-8), on a FIFO that gives its slot back when it is needed.
 *
 * Address-dependent filtering under endpoint-independent mapping needs
 * to know which remote addresses an internal endpoint has sent to: a
 * permission table counts the flows per (mapping, remote address). The
 * per-host quota counts live mappings per internal address. Both exist
 * only when the profile needs them.
 */
#include <stdlib.h>
#include <string.h>

#include "nat_int.h"

const char *const nat_dep_names[3] = {
	"endpoint-independent", "address-dependent", "address-and-port-dependent",
};
const char *const nat_ports_names[3] = { "preserve", "sequential", "random" };
const char *const nat_pooling_names[2] = { "paired", "arbitrary" };
const char *const nat_unsolicited_names[3] = { "drop", "reset", "icmp" };

/* ---- settings ---- */

uint32_t
nat_pool_size(const struct nat_conf *c)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < c->nranges; i++)
		n += c->range[i].hi - c->range[i].lo + 1;
	return n;
}

uint32_t
nat_pool_addr(const struct nat_conf *c, uint32_t ai)
{
	for (unsigned i = 0; i < c->nranges; i++) {
		uint32_t n = c->range[i].hi - c->range[i].lo + 1;

		if (ai < n)
			return c->range[i].lo + ai;
		ai -= n;
	}
	return 0;
}

int32_t
nat_pool_index(const struct nat_conf *c, uint32_t addr)
{
	uint32_t base = 0;

	for (unsigned i = 0; i < c->nranges; i++) {
		if (addr >= c->range[i].lo && addr <= c->range[i].hi)
			return (int32_t)(base + addr - c->range[i].lo);
		base += c->range[i].hi - c->range[i].lo + 1;
	}
	return -1;
}

bool
nat_inside(const struct nat_conf *c, uint32_t addr)
{
	if (c->ninside == 0)
		return nat_pool_index(c, addr) < 0;
	for (unsigned i = 0; i < c->ninside; i++)
		if ((addr & c->inside[i].mask) == c->inside[i].net)
			return true;
	return false;
}

bool
nat_conf_compatible(const struct nat_conf *a, const struct nat_conf *b)
{
	struct nat_conf x = *a, y = *b;

	/* the ones that may change under live mappings */
	x.unsolicited = y.unsolicited = 0;
	x.hairpin = y.hairpin = false;
	x.rebind_every = y.rebind_every = 0;
	x.reuse_delay = y.reuse_delay = 0;
	/* the quota's table is made only for a profile that has one */
	x.ports_per_host = x.ports_per_host != 0;
	y.ports_per_host = y.ports_per_host != 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* ---- life ---- */

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t p = 16;

	while (p < n && p < (1u << 31))
		p <<= 1;
	return p;
}

static uint32_t *
buckets_new(uint32_t n)
{
	uint32_t *b = malloc((size_t)n * sizeof(*b));

	if (b != NULL)
		memset(b, 0xff, (size_t)n * sizeof(*b));
	return b;
}

struct nat_table *
nat_new(const struct nat_conf *c, uint32_t capacity, const uint64_t seed[2])
{
	struct nat_table *t = calloc(1, sizeof(*t));
	uint32_t nb;

	if (t == NULL)
		return NULL;
	t->c = *c;
	if (capacity == 0)
		capacity = 1;
	t->cap = capacity;
	/* freed mappings rest beside the live ones: a quarter more slots
	 * when ports rest (when the table is full of resting ones the
	 * oldest gives its slot up early: nat_stats.rest_cut) */
	t->nslots = capacity + (c->reuse_delay ? capacity / 4 : 0) + 1;
	/* chains of one or two on average */
	nb = pow2_at_least(t->nslots / 2);
	t->bmask = nb - 1;
	t->k0 = seed[0] ^ 0x6e61742d6d617073ULL;
	t->k1 = seed[1];
	t->rng = seed[0] * 31 + seed[1];
	t->m = calloc(t->nslots, sizeof(*t->m));
	t->bx = buckets_new(nb);
	t->bi = buckets_new(nb);
	if (t->m == NULL || t->bx == NULL || t->bi == NULL)
		goto fail;
	if (c->mapping != NAT_EI && (t->rem = calloc(t->nslots, sizeof(*t->rem))) == NULL)
		goto fail;
	for (uint32_t i = 0; i < t->nslots; i++)
		t->m[i].hi = i + 1 < t->nslots ? i + 1 : NIL;
	t->free_head = 0;
	t->rest_head = t->rest_tail = NIL;
	if (c->mapping == NAT_EI && c->filtering == NAT_AD) {
		t->perm = calloc(t->cap, sizeof(*t->perm));
		t->bp = buckets_new(nb);
		if (t->perm == NULL || t->bp == NULL)
			goto fail;
		for (uint32_t i = 0; i < t->cap; i++)
			t->perm[i].next = i + 1 < t->cap ? i + 1 : NIL;
	}
	if (c->ports_per_host != 0) {
		t->host = calloc(t->cap, sizeof(*t->host));
		t->bh = buckets_new(nb);
		if (t->host == NULL || t->bh == NULL)
			goto fail;
		for (uint32_t i = 0; i < t->cap; i++)
			t->host[i].next = i + 1 < t->cap ? i + 1 : NIL;
	}
	return t;
fail:
	nat_free(t);
	return NULL;
}

void
nat_free(struct nat_table *t)
{
	if (t == NULL)
		return;
	free(t->m);
	free(t->rem);
	free(t->bx);
	free(t->bi);
	free(t->perm);
	free(t->bp);
	free(t->host);
	free(t->bh);
	free(t);
}

void
nat_set_conf(struct nat_table *t, const struct nat_conf *c)
{
	if (nat_conf_compatible(&t->c, c))
		t->c = *c;
}

const struct nat_conf *
nat_conf_of(const struct nat_table *t)
{
	return &t->c;
}

/* ---- chains ---- */

static void
unlink_int(struct nat_table *t, uint32_t i)
{
	struct nat_key n;
	uint32_t *pp;

	nat_map_key(t, i, &n);
	pp = &t->bi[hash_int(t, &n)];
	while (*pp != NIL && *pp != i)
		pp = &t->m[*pp].hi;
	if (*pp == i)
		*pp = t->m[i].hi;
}

uint32_t
nat_map_get(struct nat_table *t, const struct nat_key *k, uint64_t now,
    uint64_t max_age, enum nat_fail *why)
{
	struct nat_key n;
	bool stale = false;

	key_norm(t, k, &n);
	for (uint32_t i = t->bi[hash_int(t, &n)]; i != NIL; i = t->m[i].hi) {
		if (!key_match(t, i, &n))
			continue;
		if (max_age != UINT64_MAX && nat_map_age(&t->m[i], now) >= max_age) {
			stale = true;	/* the newest comes first: none newer */
			break;
		}
		t->st.reused++;
		*why = NATF_OK;
		return i;
	}
	if (stale)
		t->st.rebinds++;
	return nat_alloc_map(t, &n, now, why);
}

uint32_t
nat_map_find_int(const struct nat_table *t, const struct nat_key *k)
{
	struct nat_key n;

	key_norm(t, k, &n);
	for (uint32_t i = t->bi[hash_int(t, &n)]; i != NIL; i = t->m[i].hi)
		if (key_match(t, i, &n))
			return i;
	return NIL;
}

uint32_t
nat_map_find(const struct nat_table *t, uint8_t proto, uint32_t xai, uint16_t xport)
{
	for (uint32_t i = t->bx[hash_ext(t, proto, xai, xport)]; i != NIL; i = t->m[i].hx) {
		const struct nat_map *m = &t->m[i];

		if (m->xport == xport && m->xai == xai && m->proto == proto &&
		    (m->flags & NMF_LIVE))
			return i;
	}
	return NIL;
}

/* ---- permissions (EI mapping, AD filtering) ---- */

static struct nat_perm *
perm_find(const struct nat_table *t, uint32_t m, uint32_t raddr, uint32_t **link)
{
	uint32_t *pp = &t->bp[hmix(t, m, (uint64_t)raddr << 8 | 4) & t->bmask];

	while (*pp != NIL && (t->perm[*pp].m != m || t->perm[*pp].raddr != raddr))
		pp = &t->perm[*pp].next;
	if (link)
		*link = pp;
	return *pp == NIL ? NULL : &t->perm[*pp];
}

static void
perm_add(struct nat_table *t, uint32_t m, uint32_t raddr, int delta)
{
	uint32_t *pp, i;
	struct nat_perm *p;

	if (t->perm == NULL)
		return;
	p = perm_find(t, m, raddr, &pp);
	if (p == NULL) {
		/* permissions <= flows using a mapping... but a table of
		 * cap entries can run out before the flow table: then the
		 * remote is simply not permitted (filtering errs closed) */
		if (delta < 0 || t->perm_free == NIL)
			return;
		i = t->perm_free;
		p = &t->perm[i];
		t->perm_free = p->next;
		p->m = m;
		p->raddr = raddr;
		p->count = 0;
		p->next = NIL;
		*pp = i;
	}
	p->count += (uint32_t)delta;
	if (p->count == 0) {
		i = *pp;
		*pp = p->next;
		p->next = t->perm_free;
		t->perm_free = i;
	}
}

void
nat_map_ref(struct nat_table *t, uint32_t i, uint32_t raddr)
{
	t->m[i].nflows++;
	perm_add(t, i, raddr, 1);
}

void
nat_map_put(struct nat_table *t, uint32_t i, uint32_t raddr, uint64_t now)
{
	struct nat_map *m = &t->m[i];

	if (!(m->flags & NMF_LIVE) || m->nflows == 0)
		return;
	perm_add(t, i, raddr, -1);
	if (--m->nflows != 0)
		return;
	unlink_int(t, i);
	nat_host_add(t, m->iaddr, -1);
	t->nlive--;
	t->st.freed++;
	m->flags = NMF_FREED;
	m->t = (uint32_t)(now >> 20);
	m->hi = NIL;
	if (t->rest_tail == NIL)
		t->rest_head = i;
	else
		t->m[t->rest_tail].hi = i;
	t->rest_tail = i;
	/* no rest wanted: the port is free at once, the slot too */
	if (t->c.reuse_delay == 0)
		while (t->rest_head != NIL)
			nat_rest_pop(t);
}

bool
nat_filter_allows(const struct nat_table *t, uint32_t i, uint32_t raddr, uint16_t rport)
{
	switch (t->c.filtering) {
	case NAT_EI:
		return true;
	case NAT_AD:
		if (t->c.mapping == NAT_EI)
			return t->perm != NULL && perm_find(t, i, raddr, NULL) != NULL;
		return t->rem[i].raddr == raddr;
	default:
		/* under EI or AD mapping a flow from raddr:rport would have
		 * been found; under APD mapping the mapping has one remote */
		return t->c.mapping == NAT_APD && t->rem[i].raddr == raddr &&
		    t->rem[i].rport == rport;
	}
}

/* ---- reading ---- */

const struct nat_map *
nat_map_at(const struct nat_table *t, uint32_t i)
{
	return i < t->nslots ? &t->m[i] : NULL;
}

void
nat_map_key(const struct nat_table *t, uint32_t i, struct nat_key *k)
{
	const struct nat_map *m = &t->m[i];

	memset(k, 0, sizeof(*k));
	k->proto = m->proto;
	k->iaddr = m->iaddr;
	k->iport = m->iport;
	if (t->rem != NULL) {
		k->raddr = t->rem[i].raddr;
		k->rport = t->rem[i].rport;
	}
}

uint32_t
nat_capacity(const struct nat_table *t)
{
	return t->nslots;
}

uint32_t
nat_count(const struct nat_table *t)
{
	return t->nlive;
}

size_t
nat_memory(const struct nat_table *t)
{
	size_t nb = (size_t)t->bmask + 1;
	size_t n = sizeof(*t) + (size_t)t->nslots * sizeof(*t->m) + 2 * nb * sizeof(uint32_t);

	if (t->rem)
		n += (size_t)t->nslots * sizeof(*t->rem);

	if (t->perm)
		n += (size_t)t->cap * sizeof(*t->perm) + nb * sizeof(uint32_t);
	if (t->host)
		n += (size_t)t->cap * sizeof(*t->host) + nb * sizeof(uint32_t);
	return n;
}

const struct nat_stats *
nat_stats(const struct nat_table *t)
{
	return &t->st;
}
