/* engine_nat.c -- translation on the verdict path: packets to pool addresses seen from the inside, mappings taken and given back with flows, the rewrite each verdict carries.
 *
 * A translated flow is keyed by its inside view: a packet to a pool
 * address is looked up with the mapping's internal endpoint as its
 * destination, so both directions of a flow meet in one entry whatever
 * the outside saw. Each flow remembers, per side, the external address
 * and port it goes out with (struct flow_nat, beside the flow table, so
 * an engine without translation spends no byte on it); a mapping lives
 * while flows name it.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "engine_nat.h"
#include "rst.h"

static inline uint32_t
v4(const struct nb_addr *a)
{
	return (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 | a->b[3];
}

static inline void
set_v4(struct nb_addr *a, uint32_t x)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = (uint8_t)(x >> 24);
	a->b[1] = (uint8_t)(x >> 16);
	a->b[2] = (uint8_t)(x >> 8);
	a->b[3] = (uint8_t)x;
}

int
engine_nat_init(struct engine *e, const struct policy *p, const uint64_t seed[2])
{
	if (!nat_on(&p->nat))
		return 0;
	e->nat = nat_new(&p->nat, p->max_flows, seed);
	e->fnat = calloc(p->max_flows, sizeof(*e->fnat));
	return e->nat != NULL && e->fnat != NULL ? 0 : -1;
}

void
engine_nat_fini(struct engine *e)
{
	nat_free(e->nat);
	free(e->fnat);
}

/* The remote address a side's mapping was taken for: the other side as
 * the outside sees it. */
static uint32_t
remote_of(const struct engine *e, const struct flow *f, unsigned side)
{
	const struct flow_nat *fn = &e->fnat[flowtab_index(e->ft, f)];
	unsigned other = side ^ 1;

	if (fn->ai[other])
		return nat_pool_addr(nat_conf_of(e->nat), fn->ai[other] - 1u);
	return v4(other == DIR_ORIG ? &f->src : &f->dst);
}

static uint32_t
side_map(const struct engine *e, const struct flow *f, unsigned side)
{
	const struct flow_nat *fn = &e->fnat[flowtab_index(e->ft, f)];

	if (fn->ai[side] == 0)
		return NAT_NONE;
	return nat_map_find(e->nat, flow_proto(f), fn->ai[side] - 1u, fn->port[side]);
}

void
engine_nat_release(struct engine *e, const struct flow *f, uint64_t now)
{
	for (unsigned side = DIR_ORIG; side <= DIR_REPLY; side++) {
		uint32_t m = side_map(e, f, side);

		if (m != NAT_NONE)
			nat_map_put(e->nat, m, remote_of(e, f, side), now);
	}
	/* the ports stay for the rewrite of the packet that ended it */
}

/* ---- before the lookup ---- */

/* Refuse an inbound packet (no mapping, filtered, hairpin off) by
 * nat.unsolicited: dropped; reset answers as a host stack does (a TCP
 * sender gets a RST, any other a port unreachable); icmp sends a
 * destination unreachable (port unreachable, or administratively
 * prohibited for what filtering refused), except to a TCP SYN (RFC 5382
 * REQ-4: no answer to an unsolicited SYN for 6 s; natbox gives none).
 * ICMP errors and RSTs are never answered. */
enum verdict_action
engine_nat_refuse(struct engine *e, struct verdict *v, const struct nb_packet *p,
    uint16_t reason, uint64_t now)
{
	uint8_t how = nat_conf_of(e->nat)->unsolicited;
	bool tcp = p->kind == NBK_TCP && !p->icmp_error;

	if (how == NATU_RESET && tcp)
		return late_verdict(e, v, p, NULL, DIR_ORIG, LATE_RESET_SENDER, reason, now);
	late_verdict(e, v, p, NULL, DIR_ORIG, LATE_DROP, reason, now);
	if (p->icmp_error || how == NATU_DROP)
		return V_DROP;
	if (how == NATU_RESET)
		v->icmp_unreach = 3 + 1;
	else if (!(tcp && (p->flags & (TH_SYN | TH_RST))))
		v->icmp_unreach = reason == R_NAT_NO_MAPPING ? 3 + 1 : 13 + 1;
	return V_DROP;
}

/* Classify p: may a new flow of it take a mapping (its source is
 * inside), and did its destination come through one (a pool address)?
 * Fills e->nc; *np is p seen from the inside when its destination was
 * translated. Returns R_NONE, or why p must be refused. */
static uint16_t
classify(struct engine *e, const struct nb_packet *p, struct nb_packet *np)
{
	const struct nat_conf *c = nat_conf_of(e->nat);
	struct nat_pkt *nc = &e->nc;
	uint32_t src = v4(&p->src), dst = v4(&p->dst);
	int32_t ai = nat_pool_index(c, dst);

	nc->m_in = NAT_NONE;
	nc->xdst = dst;
	nc->xdport = p->dport;
	nc->norm = false;
	nc->inview = false;
	if (nat_pool_index(c, src) >= 0 || !nat_inside(c, src))
		nc->out = false;
	else if (c->ninside == 0)
		nc->out = ai < 0;	/* every non-pool source inside: no hairpin */
	else
		nc->out = ai >= 0 || !nat_inside(c, dst);
	if (ai < 0) {
		/* Seen inside the NAT (a capture on the inside, or a router
		 * that routes to inside addresses): outside to an inside
		 * address. Only with nat.inside, which tells the sides. */
		nc->inview = !nc->out && c->ninside != 0 && nat_inside(c, dst) &&
		    !nat_inside(c, src);
		return R_NONE;
	}
	if (nc->out && !c->hairpin)
		return R_NAT_HAIRPIN;
	nc->m_in = nat_map_find(e->nat, p->proto, (uint32_t)ai, p->dport);
	if (nc->m_in == NAT_NONE)
		return R_NAT_NO_MAPPING;
	const struct nat_map *m = nat_map_at(e->nat, nc->m_in);

	*np = *p;
	set_v4(&np->dst, m->iaddr);
	np->dport = m->iport;
	if (p->kind == NBK_ICMP)
		np->sport = m->iport;	/* a query's key: its identifier, both ports */
	nc->norm = true;
	return R_NONE;
}

uint32_t
engine_nat_prehash(const struct engine *e, const struct nb_packet *p, uint32_t hash)
{
	const struct nat_conf *c = nat_conf_of(e->nat);
	struct nb_packet np;
	int32_t ai;
	uint32_t m;

	if (p->family != 4 || (ai = nat_pool_index(c, v4(&p->dst))) < 0 ||
	    (m = nat_map_find(e->nat, p->proto, (uint32_t)ai, p->dport)) == NAT_NONE)
		return hash;
	np = *p;
	set_v4(&np.dst, nat_map_at(e->nat, m)->iaddr);
	np.dport = nat_map_at(e->nat, m)->iport;
	if (p->kind == NBK_ICMP)
		np.sport = np.dport;
	return flowtab_hash(e->ft, &np);
}

/* A new flow may come in through mapping nc->m_in (filtering). A
 * hairpinned flow is not filtered. The mapping may have gone meanwhile:
 * the lookup reaped a flow found past its deadline, its last. */
uint16_t
engine_nat_admit(struct engine *e, const struct nb_packet *p)
{
	const struct nat_pkt *nc = &e->nc;

	if (nc->active && nc->inview) {
		/* the mapping the sender would have had to send to */
		struct nat_key k = {
			.proto = p->proto, .iaddr = v4(&p->dst), .iport = p->dport,
			.raddr = v4(&p->src), .rport = p->sport,
		};

		e->nc.m_in = nat_map_find_int(e->nat, &k);
		if (e->nc.m_in == NAT_NONE)
			return R_NAT_NO_MAPPING;
	}
	if (!nc->active || nc->m_in == NAT_NONE)
		return R_NONE;
	if (!(nat_map_at(e->nat, nc->m_in)->flags & NMF_LIVE))
		return R_NAT_NO_MAPPING;
	if (nc->out)
		return R_NONE;
	if (!nat_filter_allows(e->nat, nc->m_in, v4(&p->src), p->sport))
		return R_NAT_FILTERED;
	return R_NONE;
}

/* A flow was made for p: its sides' mappings. R_NONE, or why not (the
 * caller takes the flow back). */
uint16_t
engine_nat_flow_start(struct engine *e, struct flow *f, const struct nb_packet *p,
    uint64_t now)
{
	const struct nat_conf *c = nat_conf_of(e->nat);
	struct flow_nat *fn = &e->fnat[flowtab_index(e->ft, f)];
	const struct nat_pkt *nc = &e->nc;
	enum nat_fail why;

	memset(fn, 0, sizeof(*fn));
	if (!nc->active)
		return R_NONE;
	if (nc->out) {
		struct nat_key k = {
			.proto = p->proto, .iaddr = v4(&p->src), .iport = p->sport,
			.raddr = nc->xdst, .rport = nc->xdport,
		};
		uint32_t m = nat_map_get(e->nat, &k, now,
		    c->rebind_every ? c->rebind_every : UINT64_MAX, &why);

		if (m == NAT_NONE)
			return why == NATF_QUOTA ? R_NAT_QUOTA : R_NAT_PORTS;
		fn->ai[DIR_ORIG] = (uint16_t)(nat_map_at(e->nat, m)->xai + 1);
		fn->port[DIR_ORIG] = nat_map_at(e->nat, m)->xport;
	}
	if (nc->m_in != NAT_NONE) {
		fn->ai[DIR_REPLY] = (uint16_t)(nat_map_at(e->nat, nc->m_in)->xai + 1);
		fn->port[DIR_REPLY] = nat_map_at(e->nat, nc->m_in)->xport;
	}
	/* references last: nothing above can fail once one is taken */
	for (unsigned side = DIR_ORIG; side <= DIR_REPLY; side++) {
		uint32_t m = side_map(e, f, side);

		if (m != NAT_NONE)
			nat_map_ref(e->nat, m, remote_of(e, f, side));
	}
	return R_NONE;
}

/* ---- after the verdict ---- */

void
engine_nat_rewrite(const struct engine *e, const struct flow *f, enum flow_dir dir,
    struct verdict *v)
{
	const struct flow_nat *fn = &e->fnat[flowtab_index(e->ft, f)];
	const struct nat_conf *c = nat_conf_of(e->nat);
	unsigned s = dir, d = dir ^ 1;	/* the sender's side, the receiver's */

	v->rw.set = 0;
	if (fn->ai[s]) {
		v->rw.set |= NRW_SRC;
		v->rw.src = nat_pool_addr(c, fn->ai[s] - 1u);
		v->rw.sport = fn->port[s];
	}
	if (fn->ai[d]) {
		v->rw.set |= NRW_DST;
		v->rw.dst = v4(d == DIR_ORIG ? &f->src : &f->dst);
		v->rw.dport = d == DIR_ORIG ? f->sport : f->dport;
	}
}

/* nat.rebind_every: a sender's mapping older than that is replaced, as a
 * NAT that rebinds does (QUIC migration tests). forced: ctl rebind. */
static void
rebind(struct engine *e, struct flow *f, unsigned side, uint64_t now, bool forced)
{
	const struct nat_conf *c = nat_conf_of(e->nat);
	struct flow_nat *fn = &e->fnat[flowtab_index(e->ft, f)];
	uint32_t old = side_map(e, f, side), m, raddr;
	const struct nat_map *om;
	enum nat_fail why;
	struct event ev;

	if (old == NAT_NONE)
		return;
	om = nat_map_at(e->nat, old);
	if (!forced && (c->rebind_every == 0 || nat_map_age(om, now) < c->rebind_every))
		return;
	struct nat_key k;

	nat_map_key(e->nat, old, &k);
	m = nat_map_get(e->nat, &k, now, forced ? 0 : c->rebind_every, &why);
	if (m == NAT_NONE || m == old)
		return;
	raddr = remote_of(e, f, side);
	nat_map_ref(e->nat, m, raddr);
	fn->ai[side] = (uint16_t)(nat_map_at(e->nat, m)->xai + 1);
	fn->port[side] = nat_map_at(e->nat, m)->xport;
	nat_map_put(e->nat, old, raddr, now);
	e->st.reason[R_NAT_REBIND]++;
	if (!engine_wants(e, EV_UPDATE)) {
		engine_emit_none(e, EV_UPDATE);
		return;
	}
	engine_event_of_flow(e, f, EV_UPDATE, now, &ev);
	ev.old_state = f->trk.state;
	ev.reason = R_NAT_REBIND;
	engine_emit(e, &ev);
}

int
engine_rebind(struct engine *e, uint32_t idx, uint64_t now)
{
	struct flow *f;
	bool done = false;

	if (e->nat == NULL || idx >= flowtab_capacity(e->ft))
		return -1;
	f = flowtab_pool(e->ft) + idx;
	if ((f->fflags & (FF_USED | FF_DEAD)) != FF_USED)
		return -1;
	for (unsigned side = DIR_ORIG; side <= DIR_REPLY; side++)
		if (e->fnat[idx].ai[side] && e->fnat[idx].ai[side ^ 1] == 0) {
			rebind(e, f, side, now, true);
			done = true;
		}
	return done ? 0 : -1;
}

enum verdict_action
engine_nat_process(struct engine *e, const struct nb_packet *p, uint32_t hash,
    uint64_t now, struct verdict *v)
{
	struct nb_packet np;
	enum verdict_action a;
	uint16_t why;

	v->rw.set = 0;
	e->nc.active = true;
	why = classify(e, p, &np);
	if (why != R_NONE) {
		e->nc.active = false;
		v->ip_len = p->ip_len;
		return engine_nat_refuse(e, v, p, why, now);
	}
	if (e->nc.norm) {
		p = &np;
		hash = flowtab_hash(e->ft, p);
	}
	a = engine_track(e, p, hash, now, v);
	e->nc.active = false;
	if (v->flow != FLOW_NIL && a == V_ACCEPT) {
		struct flow *f = flowtab_pool(e->ft) + v->flow;

		if (nat_conf_of(e->nat)->rebind_every && !p->icmp_error &&
		    e->fnat[v->flow].ai[v->dir] && e->fnat[v->flow].ai[v->dir ^ 1] == 0)
			rebind(e, f, v->dir, now, false);
		engine_nat_rewrite(e, f, (enum flow_dir)v->dir, v);
	}
	/* A RST natbox sends back to an inbound packet's sender comes from
	 * the address that sender used. */
	for (unsigned i = 0; e->nc.norm && i < v->nrst; i++)
		if (memcmp(&v->rst[i].src, &np.dst, sizeof(np.dst)) == 0 &&
		    v->rst[i].sport == np.dport) {
			set_v4(&v->rst[i].src, e->nc.xdst);
			v->rst[i].sport = e->nc.xdport;
		}
	return a;
}

void
engine_nat_rst(const struct engine *e, const struct flow *f, enum flow_dir to,
    struct rst_spec *r)
{
	const struct flow_nat *fn = &e->fnat[flowtab_index(e->ft, f)];
	unsigned from = to ^ 1;

	if (fn->ai[from] == 0 || f->family != 4)
		return;
	set_v4(&r->src, nat_pool_addr(nat_conf_of(e->nat), fn->ai[from] - 1u));
	r->sport = fn->port[from];
}

/* ---- views ---- */

void
engine_nat_event(const struct engine *e, const struct flow *f, struct event *ev)
{
	const struct flow_nat *fn = &e->fnat[flowtab_index(e->ft, f)];
	const struct nat_conf *c = nat_conf_of(e->nat);

	if ((fn->ai[0] | fn->ai[1]) == 0 || f->family != 4)
		return;
	ev->nat = 1;
	ev->nat_src = fn->ai[0] ? nat_pool_addr(c, fn->ai[0] - 1u) : v4(&f->src);
	ev->nat_sport = fn->ai[0] ? fn->port[0] : f->sport;
	ev->nat_dst = fn->ai[1] ? nat_pool_addr(c, fn->ai[1] - 1u) : v4(&f->dst);
	ev->nat_dport = fn->ai[1] ? fn->port[1] : f->dport;
}

const struct nat_table *
engine_nat(const struct engine *e)
{
	return e->nat;
}

bool
engine_flow_outside(const struct engine *e, uint32_t idx, struct flow_outside *o)
{
	struct event ev;
	const struct flow *f;

	memset(o, 0, sizeof(*o));
	if (e->nat == NULL || (f = engine_flow_at(e, idx)) == NULL)
		return false;
	memset(&ev, 0, sizeof(ev));
	engine_nat_event(e, f, &ev);
	if (!ev.nat)
		return false;
	o->src = ev.nat_src;
	o->dst = ev.nat_dst;
	o->sport = ev.nat_sport;
	o->dport = ev.nat_dport;
	return true;
}
