/* nat_alloc.c -- the mapping table's allocator: external ports by nat.ports (preserve, sequential, random; parity, range), pool addresses by nat.pooling, table slots (resting ports first given up), the per-host quota. */
#include <stdlib.h>
#include <string.h>

#include "nat_int.h"

/* ---- chains ---- */

static void
unlink_ext(struct nat_table *t, uint32_t i)
{
	struct nat_map *m = &t->m[i];
	uint32_t *pp = &t->bx[hash_ext(t, m->proto, m->xai, m->xport)];

	while (*pp != NIL && *pp != i)
		pp = &t->m[*pp].hx;
	if (*pp == i)
		*pp = m->hx;
}

void
nat_rest_pop(struct nat_table *t)
{
	uint32_t i = t->rest_head;

	t->rest_head = t->m[i].hi;
	if (t->rest_head == NIL)
		t->rest_tail = NIL;
	unlink_ext(t, i);
	t->m[i].flags = 0;
	t->m[i].hi = t->free_head;
	t->free_head = i;
}

/* A slot for a new mapping: a free one, else the oldest resting one's. */
static uint32_t
slot_take(struct nat_table *t, uint64_t now)
{
	uint32_t i;

	if (t->free_head == NIL) {
		if (t->rest_head == NIL)
			return NIL;
		if (nat_map_age(&t->m[t->rest_head], now) < t->c.reuse_delay)
			t->st.rest_cut++;
		nat_rest_pop(t);
	}
	i = t->free_head;
	t->free_head = t->m[i].hi;
	return i;
}

/* Whether external (proto, ai, port) is free now. A resting mapping whose
 * rest is over is let go: only the FIFO's head can be unlinked cheaply
 * from the list, so one found further in stays until its turn, and the
 * port is free all the same. */
static bool
port_free(struct nat_table *t, uint8_t proto, uint32_t ai, uint16_t port, uint64_t now)
{
	for (uint32_t i = t->bx[hash_ext(t, proto, ai, port)]; i != NIL; i = t->m[i].hx) {
		const struct nat_map *m = &t->m[i];

		if (m->xport != port || m->xai != ai || m->proto != proto)
			continue;
		if (m->flags & NMF_LIVE)
			return false;
		if (nat_map_age(m, now) < t->c.reuse_delay)
			return false;
	}
	return true;
}

/* ---- quota ---- */

static struct nat_host *
host_find(const struct nat_table *t, uint32_t addr, uint32_t **link)
{
	uint32_t *pp;

	if (t->host == NULL)
		return NULL;
	pp = &t->bh[hmix(t, addr, 2) & t->bmask];
	while (*pp != NIL && t->host[*pp].addr != addr)
		pp = &t->host[*pp].next;
	if (link)
		*link = pp;
	return *pp == NIL ? NULL : &t->host[*pp];
}

uint32_t
nat_host_count(const struct nat_table *t, uint32_t iaddr)
{
	const struct nat_host *h = host_find(t, iaddr, NULL);

	return h ? h->count : 0;
}

void
nat_host_add(struct nat_table *t, uint32_t addr, int delta)
{
	uint32_t *pp, i;
	struct nat_host *h;

	if (t->host == NULL)
		return;
	h = host_find(t, addr, &pp);
	if (h == NULL) {
		if (delta < 0 || t->host_free == NIL)
			return;		/* cannot happen: hosts <= live mappings <= cap */
		i = t->host_free;
		h = &t->host[i];
		t->host_free = h->next;
		h->addr = addr;
		h->count = 0;
		h->next = NIL;
		*pp = i;
	}
	h->count += (uint32_t)delta;
	if (h->count == 0) {
		i = *pp;
		*pp = h->next;
		h->next = t->host_free;
		t->host_free = i;
	}
}

/* ---- allocation ---- */

static unsigned
proto_class(uint8_t proto)
{
	return proto == 6 ? 0 : proto == 17 ? 1 : 2;
}

/* A free external port on pool address ai for an internal port, or -1.
 * Looks at most at every port of the range once. A protocol without
 * ports (GRE, ESP...: its number stands in the key's ports) keeps it:
 * one inside host per pool address and protocol. */
static int32_t
port_pick(struct nat_table *t, uint8_t proto, uint32_t ai, uint16_t iport, uint64_t now)
{
	if (proto != 6 && proto != 17 && proto != 1)
		return port_free(t, proto, ai, iport, now) ? iport : -1;

	const struct nat_conf *c = &t->c;
	uint32_t lo = c->port_lo, hi = c->port_hi, n, start, step = 1, p;
	unsigned cls = proto_class(proto);

	if (c->parity) {
		/* same parity as iport: the candidates are lo' + 2k */
		if ((lo & 1) != (iport & 1u))
			lo++;
		if (lo > hi)
			return -1;
		step = 2;
	}
	n = (hi - lo) / step + 1;
	switch (c->ports) {
	case NATP_PRESERVE:
		if (iport >= lo && iport <= hi && port_free(t, proto, ai, iport, now))
			return iport;
		/* taken: on from a random point, as Linux does since
		 * 6ed5943f8735 (a linear search from the port itself
		 * clusters: allocation turns quadratic) */
		/* fall through */
	case NATP_RANDOM:
		for (int tries = 0; tries < 32; tries++) {
			p = lo + (uint32_t)(rng_next(t) % n) * step;
			if (port_free(t, proto, ai, (uint16_t)p, now))
				return (int32_t)p;
		}
		start = (uint32_t)(rng_next(t) % n);
		break;
	case NATP_SEQUENTIAL:
		start = t->cursor[cls] >= lo && t->cursor[cls] <= hi ?
		    ((t->cursor[cls] - lo) / step + 1) % n : 0;
		break;
	default:
		start = 0;
		break;
	}
	for (uint32_t k = 0; k < n; k++) {
		p = lo + ((start + k) % n) * step;
		if (port_free(t, proto, ai, (uint16_t)p, now)) {
			t->cursor[cls] = p;
			return (int32_t)p;
		}
	}
	return -1;
}

/* How many pool addresses arbitrary pooling tries before it gives up. */
#define ARBITRARY_TRIES 8

uint32_t
nat_alloc_map(struct nat_table *t, const struct nat_key *n, uint64_t now, enum nat_fail *why)
{
	const struct nat_conf *c = &t->c;
	uint32_t pool = nat_pool_size(c), ai = 0, i;
	int32_t port = -1;

	if (c->ports_per_host != 0 && nat_host_count(t, n->iaddr) >= c->ports_per_host) {
		t->st.quota++;
		*why = NATF_QUOTA;
		return NIL;
	}
	if (t->nlive >= t->cap || pool == 0) {
		t->st.ports_exhausted++;
		*why = NATF_PORTS;
		return NIL;
	}
	if (c->pooling == NATPOOL_PAIRED) {
		ai = hmix(t, n->iaddr, 3) % pool;
		port = port_pick(t, n->proto, ai, n->iport, now);
	} else {
		for (unsigned k = 0; k < ARBITRARY_TRIES && k < pool && port < 0; k++) {
			ai = t->rr++ % pool;
			port = port_pick(t, n->proto, ai, n->iport, now);
		}
	}
	if (port < 0 || (i = slot_take(t, now)) == NIL) {
		t->st.ports_exhausted++;
		*why = NATF_PORTS;
		return NIL;
	}
	struct nat_map *m = &t->m[i];

	memset(m, 0, sizeof(*m));
	m->xai = (uint16_t)ai;
	m->xport = (uint16_t)port;
	m->proto = n->proto;
	m->flags = NMF_LIVE;
	m->iaddr = n->iaddr;
	m->iport = n->iport;
	if (t->rem != NULL) {
		t->rem[i].raddr = n->raddr;
		t->rem[i].rport = n->rport;
	}
	m->t = (uint32_t)(now >> 20);
	uint32_t bx = hash_ext(t, m->proto, m->xai, m->xport), bi = hash_int(t, n);

	m->hx = t->bx[bx];
	t->bx[bx] = i;
	m->hi = t->bi[bi];
	t->bi[bi] = i;
	t->nlive++;
	t->st.made++;
	nat_host_add(t, m->iaddr, 1);
	*why = NATF_OK;
	return i;
}
