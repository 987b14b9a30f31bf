/* cmd_rules_nat.c -- `natbox rules --nat`: the router set-up translation needs (sysctls, pool addresses, raw and mangle rules), printed, never run.
 *
 * Where each packet meets natbox, and why:
 *
 *   inbound (OUTSIDE -> pool)   raw PREROUTING: before the routing decision,
 *                               so the route is taken for the inside address
 *                               natbox writes in; before conntrack
 *   hairpin (INSIDE -> pool)    raw PREROUTING likewise (RFC 4787 REQ-9)
 *   outbound (-> OUTSIDE)       mangle POSTROUTING: after routing, so only
 *                               what leaves by the outside is translated;
 *                               `! --socket-exists` leaves out the packets
 *                               the router sends itself, natbox's own RSTs
 *                               and ICMP errors among them (a forwarded
 *                               packet has no socket)
 *
 * `-j CT --notrack` ahead of the queue rules in raw PREROUTING, for both
 * directions: the kernel's conntrack (and so its NAT) never sees the
 * translated traffic, whose addresses change under it.
 *
 * The pool addresses are added to the outside interface as /32s, so the
 * router answers ARP for them like for any address of its own. Proxy ARP
 * (`ip neigh add proxy`) was the other way: the kernel answers a proxy
 * entry only for an address routed out of another interface than the one
 * asking (arp_process()), and pool addresses usually sit in the outside
 * link's own prefix. Being local has two consequences: a hairpinned
 * packet arrives from the inside with a pool address as its source once
 * rewritten, which the kernel calls a martian unless accept_local is on
 * for the inside interface; and while no natbox runs (--queue-bypass) the
 * router's own stack answers what comes to the pool (a RST, a port
 * unreachable) rather than forwarding it anywhere.
 *
 * IPv4 only: natbox never translates IPv6. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "nat.h"
#include "profiles.h"

static void
addr_str(uint32_t a, char *buf, size_t cap)
{
	struct in_addr in = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &in, buf, (socklen_t)cap);
}

/* The iptables match of pool range i: -d A or -m iprange --dst-range A-B. */
static void
range_match(const struct nat_conf *c, unsigned i, char *buf, size_t cap)
{
	char lo[INET_ADDRSTRLEN], hi[INET_ADDRSTRLEN];

	addr_str(c->range[i].lo, lo, sizeof(lo));
	addr_str(c->range[i].hi, hi, sizeof(hi));
	if (c->range[i].lo == c->range[i].hi)
		snprintf(buf, cap, "-d %s", lo);
	else
		snprintf(buf, cap, "-m iprange --dst-range %s-%s", lo, hi);
}

/* One rule per pool range. */
static void
pool_rules(const struct nat_conf *c, char op, const char *in, const char *target)
{
	char m[64];

	for (unsigned i = 0; i < c->nranges; i++) {
		range_match(c, i, m, sizeof(m));
		printf("iptables -w -t raw -%c PREROUTING -i %s %s %s\n", op, in, m, target);
	}
}

static void
pool_addrs(const struct nat_conf *c, const char *outside, bool del)
{
	char a[INET_ADDRSTRLEN];
	uint32_t n = nat_pool_size(c);

	for (uint32_t i = 0; i < n; i++) {
		addr_str(nat_pool_addr(c, i), a, sizeof(a));
		printf("ip addr %s %s/32 dev %s%s\n", del ? "del" : "add", a, outside,
		    del ? "" : " noprefixroute");
	}
}

static void
rules(const struct nat_conf *c, const struct rules_nat *r, bool del)
{
	char op = del ? 'D' : 'A', q[128], counter[64];

	rules_counter_match(r->queue, r->queue, counter, sizeof(counter));
	snprintf(q, sizeof(q), "%s -j NFQUEUE --queue-num %u --queue-bypass", counter + 1,
	    r->queue);
	if (!del)
		rules_counter(r->queue, r->queue, false);
	printf("# the kernel's conntrack and NAT stay out of translated traffic "
	    "(ahead of the queue rules)\n");
	printf("iptables -w -t raw -%c PREROUTING -i %s -j CT --notrack\n", op, r->inside);
	pool_rules(c, op, r->outside, "-j CT --notrack");
	printf("# inbound, before the routing decision: natbox writes the inside "
	    "address in\n");
	pool_rules(c, op, r->outside, q);
	printf("# hairpin: inside hosts to pool addresses (nat.hairpin decides)\n");
	pool_rules(c, op, r->inside, q);
	printf("# outbound, after routing; not the router's own packets "
	    "(natbox's RSTs and ICMP errors)\n");
	printf("iptables -w -t mangle -%c POSTROUTING -o %s -m owner ! --socket-exists %s\n",
	    op, r->outside, q);
	if (del)
		rules_counter(r->queue, r->queue, true);
}

int
rules_nat(const struct rules_nat *r)
{
	struct policy p;
	const struct nat_conf *c = &p.nat;
	char lo[INET_ADDRSTRLEN], hi[INET_ADDRSTRLEN];

	if (profile_load(r->policy, r->sets, r->nsets, &p) != 0)
		return 2;
	if (!nat_on(c)) {
		log_warnx("rules --nat: profile %s translates nothing: set nat.outside "
		    "(--set nat.outside=ADDR[-ADDR])", p.name);
		return 2;
	}
	addr_str(c->range[0].lo, lo, sizeof(lo));
	addr_str(c->range[c->nranges - 1].hi, hi, sizeof(hi));
	printf("# %s translation: inside %s, outside %s, pool %s%s%s (%u addresses), "
	    "queue %u, profile %s\n", r->del ? "remove" : "set up", r->inside, r->outside,
	    lo, c->nranges > 1 || c->range[0].lo != c->range[0].hi ? ".." : "",
	    c->nranges > 1 || c->range[0].lo != c->range[0].hi ? hi : "",
	    nat_pool_size(c), r->queue, p.name);
	if (!r->del) {
		printf("# then: natbox run --queue %u --policy %s%s (IPv4 only: IPv6 is "
		    "never translated)\n", r->queue, r->policy, r->nsets ? " --set ..." : "");
		printf("sysctl -qw net.ipv4.ip_forward=1\n");
		printf("# the pool answers ARP on %s: the router's own addresses\n", r->outside);
		pool_addrs(c, r->outside, false);
		printf("# a hairpinned packet's new source is a pool address, local to "
		    "the router\n");
		printf("sysctl -qw net.ipv4.conf.%s.accept_local=1\n", r->inside);
		rules(c, r, false);
		printf("# teardown: the same with --delete\n");
		return 0;
	}
	rules(c, r, true);
	pool_addrs(c, r->outside, true);
	printf("sysctl -qw net.ipv4.conf.%s.accept_local=0\n", r->inside);
	printf("# net.ipv4.ip_forward is left on: other routing may need it\n");
	return 0;
}
