/* policy_nat.c -- a profile's nat.* keys: parsed, checked and written back (no I/O). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat.h"
#include "outbuf.h"
#include "policy_int.h"

enum nat_key_id {
	NK_OUTSIDE, NK_INSIDE, NK_MAPPING, NK_FILTERING, NK_PORTS, NK_PORT_RANGE,
	NK_PARITY, NK_POOLING, NK_REUSE_DELAY, NK_PER_HOST, NK_HAIRPIN,
	NK_UNSOLICITED, NK_REBIND, NK__MAX
};

static const char *const nat_keys[NK__MAX] = {
	[NK_OUTSIDE] = "outside", [NK_INSIDE] = "inside", [NK_MAPPING] = "mapping",
	[NK_FILTERING] = "filtering", [NK_PORTS] = "ports", [NK_PORT_RANGE] = "port_range",
	[NK_PARITY] = "parity", [NK_POOLING] = "pooling",
	[NK_REUSE_DELAY] = "port_reuse_delay", [NK_PER_HOST] = "ports_per_host",
	[NK_HAIRPIN] = "hairpin", [NK_UNSOLICITED] = "unsolicited",
	[NK_REBIND] = "rebind_every",
};
_Static_assert(NK__MAX <= POLICY_NAT_KEYS, "nat key id slots");

void
policy_nat_defaults(struct nat_conf *c)
{
	/* Linux MASQUERADE/SNAT without options (net/netfilter/
	 * nf_nat_core.c): an endpoint's existing mapping reused
	 * (find_appropriate_src), the source port kept when free,
	 * 1024-65535, the address by a hash of source and destination
	 * (arbitrary pooling), replies only (conntrack: address-and-port-
	 * dependent filtering), no reflection (hairpin), and the router's
	 * own stack answering what matches nothing (RST, port unreachable).
	 * Unlike Linux, no external port is shared by two mappings (port
	 * overloading, which RFC 4787 REQ-3 forbids). */
	memset(c, 0, sizeof(*c));
	c->mapping = NAT_EI;
	c->filtering = NAT_APD;
	c->ports = NATP_PRESERVE;
	c->pooling = NATPOOL_ARBITRARY;
	c->unsolicited = NATU_RESET;
	c->hairpin = false;
	c->port_lo = 1024;
	c->port_hi = 65535;
}

int
policy_nat_key(const char *sub)
{
	for (unsigned i = 0; i < NK__MAX; i++)
		if (strcmp(sub, nat_keys[i]) == 0)
			return (int)i;
	return -1;
}

/* A dotted quad, whole: host order into *a. */
static int
parse_ipv4(const char *s, size_t n, uint32_t *a)
{
	uint32_t v = 0;
	unsigned parts = 0, cur = 0, digits = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (digits == 0 || cur > 255 || parts == 4)
				return -1;
			v = v << 8 | cur;
			parts++;
			cur = digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
			cur = cur * 10 + (unsigned)(s[i] - '0');
			digits++;
		} else {
			return -1;
		}
	}
	if (parts != 4)
		return -1;
	*a = v;
	return 0;
}

static void
format_ipv4(uint32_t a, char *buf, size_t cap)
{
	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
}

/* The next comma-separated item of *s: its start and length. */
static bool
next_item(const char **s, const char **item, size_t *n)
{
	const char *c;

	while (**s == ' ' || **s == ',')
		(*s)++;
	if (**s == '\0')
		return false;
	*item = *s;
	c = strchr(*s, ',');
	*n = c ? (size_t)(c - *s) : strlen(*s);
	while (*n > 0 && (*item)[*n - 1] == ' ')
		(*n)--;
	*s = c ? c + 1 : *s + strlen(*s);
	return true;
}

static void
parse_outside(struct parser *ps, const char *v, struct nat_conf *c)
{
	struct nat_conf n = *c;
	const char *item;
	size_t len;
	uint64_t total = 0;

	n.nranges = 0;
	while (next_item(&v, &item, &len)) {
		const char *dash = memchr(item, '-', len);
		uint32_t lo, hi;

		if (n.nranges == NAT_RANGES_MAX) {
			policy_perr(ps, "nat.outside: at most %d ranges", NAT_RANGES_MAX);
			return;
		}
		if (parse_ipv4(item, dash ? (size_t)(dash - item) : len, &lo) != 0 ||
		    (dash && parse_ipv4(dash + 1, len - (size_t)(dash + 1 - item), &hi) != 0)) {
			policy_perr(ps, "nat.outside: expected ADDR or ADDR-ADDR (IPv4): '%.*s'",
			    (int)len, item);
			return;
		}
		if (!dash)
			hi = lo;
		if (hi < lo) {
			policy_perr(ps, "nat.outside: range runs backwards: '%.*s'", (int)len, item);
			return;
		}
		for (unsigned i = 0; i < n.nranges; i++)
			if (lo <= n.range[i].hi && hi >= n.range[i].lo) {
				policy_perr(ps, "nat.outside: '%.*s' overlaps another range",
				    (int)len, item);
				return;
			}
		total += (uint64_t)hi - lo + 1;
		n.range[n.nranges].lo = lo;
		n.range[n.nranges].hi = hi;
		n.nranges++;
	}
	if (n.nranges == 0) {
		policy_perr(ps, "nat.outside: no address");
		return;
	}
	if (total > NAT_POOL_MAX) {
		policy_perr(ps, "nat.outside: %llu addresses, at most %d",
		    (unsigned long long)total, NAT_POOL_MAX);
		return;
	}
	*c = n;
}

static void
parse_inside(struct parser *ps, const char *v, struct nat_conf *c)
{
	struct nat_conf n = *c;
	const char *item;
	size_t len;

	n.ninside = 0;
	while (next_item(&v, &item, &len)) {
		const char *slash = memchr(item, '/', len);
		uint64_t plen = 32;
		uint32_t a, mask;
		char num[4] = "";

		if (n.ninside == NAT_INSIDE_MAX) {
			policy_perr(ps, "nat.inside: at most %d prefixes", NAT_INSIDE_MAX);
			return;
		}
		if (slash) {
			size_t k = len - (size_t)(slash + 1 - item);

			if (k == 0 || k > 2)
				plen = 99;
			else
				memcpy(num, slash + 1, k), num[k] = '\0';
		}
		if (parse_ipv4(item, slash ? (size_t)(slash - item) : len, &a) != 0 ||
		    (slash && (pval_uint(num, &plen) != 0 || plen > 32))) {
			policy_perr(ps, "nat.inside: expected ADDR/LEN (IPv4): '%.*s'", (int)len, item);
			return;
		}
		mask = plen == 0 ? 0 : ~0u << (32 - plen);
		if (a & ~mask) {
			policy_perr(ps, "nat.inside: '%.*s' has host bits set", (int)len, item);
			return;
		}
		n.inside[n.ninside].net = a;
		n.inside[n.ninside].mask = mask;
		n.ninside++;
	}
	if (n.ninside == 0) {
		policy_perr(ps, "nat.inside: no prefix");
		return;
	}
	*c = n;
}

static void
parse_port_range(struct parser *ps, const char *v, struct nat_conf *c)
{
	const char *dash = strchr(v, '-');
	char lo_s[8], hi_s[8];
	uint64_t lo, hi;

	if (dash == NULL || dash == v || (size_t)(dash - v) >= sizeof(lo_s) ||
	    strlen(dash + 1) >= sizeof(hi_s)) {
		policy_perr(ps, "nat.port_range: expected LO-HI (1..65535): '%s'", v);
		return;
	}
	memcpy(lo_s, v, (size_t)(dash - v));
	lo_s[dash - v] = '\0';
	strcpy(hi_s, dash + 1);
	if (pval_uint(lo_s, &lo) != 0 || pval_uint(hi_s, &hi) != 0 || lo < 1 ||
	    hi > 65535 || lo > hi) {
		policy_perr(ps, "nat.port_range: expected LO-HI (1..65535, LO <= HI): '%s'", v);
		return;
	}
	c->port_lo = (uint16_t)lo;
	c->port_hi = (uint16_t)hi;
}

static void
set_enum(struct parser *ps, const char *v, const char *const *names, size_t n, uint8_t *out)
{
	int e = pval_enum(ps, v, names, n);

	if (e >= 0)
		*out = (uint8_t)e;
}

void
policy_nat_apply(struct parser *ps, unsigned id, const char *v)
{
	struct nat_conf *c = &ps->p->nat;
	uint64_t n;
	uint8_t b;

	switch ((enum nat_key_id)id) {
	case NK_OUTSIDE:
		parse_outside(ps, v, c);
		break;
	case NK_INSIDE:
		parse_inside(ps, v, c);
		break;
	case NK_MAPPING:
		set_enum(ps, v, nat_dep_names, NELEM(nat_dep_names), &c->mapping);
		break;
	case NK_FILTERING:
		set_enum(ps, v, nat_dep_names, NELEM(nat_dep_names), &c->filtering);
		break;
	case NK_PORTS:
		set_enum(ps, v, nat_ports_names, NELEM(nat_ports_names), &c->ports);
		break;
	case NK_PORT_RANGE:
		parse_port_range(ps, v, c);
		break;
	case NK_POOLING:
		set_enum(ps, v, nat_pooling_names, NELEM(nat_pooling_names), &c->pooling);
		break;
	case NK_UNSOLICITED:
		set_enum(ps, v, nat_unsolicited_names, NELEM(nat_unsolicited_names),
		    &c->unsolicited);
		break;
	case NK_PARITY:
	case NK_HAIRPIN:
		b = 2;
		set_enum(ps, v, policy_onoff_names, NELEM(policy_onoff_names), &b);
		if (b != 2)
			*(id == NK_PARITY ? &c->parity : &c->hairpin) = b == 1;
		break;
	case NK_REUSE_DELAY:
		pval_duration(ps, v, true, &c->reuse_delay);
		break;
	case NK_REBIND:
		pval_duration(ps, v, true, &c->rebind_every);
		break;
	case NK_PER_HOST:
		if (pval_uint(v, &n) != 0 || n > 65535)
			policy_perr(ps, "nat.ports_per_host: expected an integer 0..65535 "
			    "(0: no limit): '%s'", v);
		else
			c->ports_per_host = (uint32_t)n;
		break;
	case NK__MAX:
		break;
	}
}

/* Whether anything of the nat section differs from the defaults: only
 * then is it written (a profile without translation shows none of it). */
static bool
nat_written(const struct nat_conf *c)
{
	struct nat_conf d;

	policy_nat_defaults(&d);
	return memcmp(c, &d, sizeof(d)) != 0;
}

static void
format_ranges(const struct nat_conf *c, bool inside, char *buf, size_t cap)
{
	size_t len = 0;
	char a[16], b[16];

	buf[0] = '\0';
	for (unsigned i = 0; i < (inside ? c->ninside : c->nranges) && len < cap; i++) {
		const char *sep = i == 0 ? "" : ",";
		int w;

		if (inside) {
			uint32_t m = c->inside[i].mask;
			unsigned plen = 0;

			while (m & 0x80000000u)
				plen++, m <<= 1;
			format_ipv4(c->inside[i].net, a, sizeof(a));
			w = snprintf(buf + len, cap - len, "%s%s/%u", sep, a, plen);
		} else if (c->range[i].lo == c->range[i].hi) {
			format_ipv4(c->range[i].lo, a, sizeof(a));
			w = snprintf(buf + len, cap - len, "%s%s", sep, a);
		} else {
			format_ipv4(c->range[i].lo, a, sizeof(a));
			format_ipv4(c->range[i].hi, b, sizeof(b));
			w = snprintf(buf + len, cap - len, "%s%s-%s", sep, a, b);
		}
		if (w > 0)
			len += (size_t)w;
	}
}

void
policy_nat_format(const struct nat_conf *c, struct outbuf *o)
{
	char buf[NAT_RANGES_MAX * 34], d[64];

	if (!nat_written(c))
		return;
	format_ranges(c, false, buf, sizeof(buf));
	if (c->nranges)
		outbuf_printf(o, "nat.outside = %s\n", buf);
	format_ranges(c, true, buf, sizeof(buf));
	if (c->ninside)
		outbuf_printf(o, "nat.inside = %s\n", buf);
	outbuf_printf(o, "nat.mapping = %s\n", nat_dep_names[c->mapping % 3]);
	outbuf_printf(o, "nat.filtering = %s\n", nat_dep_names[c->filtering % 3]);
	outbuf_printf(o, "nat.ports = %s\n", nat_ports_names[c->ports % 3]);
	outbuf_printf(o, "nat.port_range = %u-%u\n", (unsigned)c->port_lo, (unsigned)c->port_hi);
	outbuf_printf(o, "nat.parity = %s\n", c->parity ? "on" : "off");
	outbuf_printf(o, "nat.pooling = %s\n", nat_pooling_names[c->pooling % 2]);
	policy_format_duration(c->reuse_delay, d, sizeof(d));
	outbuf_printf(o, "nat.port_reuse_delay = %s\n", d);
	outbuf_printf(o, "nat.ports_per_host = %u\n", (unsigned)c->ports_per_host);
	outbuf_printf(o, "nat.hairpin = %s\n", c->hairpin ? "on" : "off");
	outbuf_printf(o, "nat.unsolicited = %s\n", nat_unsolicited_names[c->unsolicited % 3]);
	policy_format_duration(c->rebind_every, d, sizeof(d));
	outbuf_printf(o, "nat.rebind_every = %s\n", d);
}

void
policy_nat_format_json(const struct nat_conf *c, struct outbuf *o)
{
	char buf[NAT_RANGES_MAX * 34];

	outbuf_printf(o, ",\"nat\":{\"on\":%s,\"outside\":", nat_on(c) ? "true" : "false");
	format_ranges(c, false, buf, sizeof(buf));
	outbuf_json_str(o, buf);
	outbuf_printf(o, ",\"inside\":");
	format_ranges(c, true, buf, sizeof(buf));
	outbuf_json_str(o, buf);
	outbuf_printf(o, ",\"mapping\":\"%s\",\"filtering\":\"%s\",\"ports\":\"%s\"",
	    nat_dep_names[c->mapping % 3], nat_dep_names[c->filtering % 3],
	    nat_ports_names[c->ports % 3]);
	outbuf_printf(o, ",\"port_lo\":%u,\"port_hi\":%u,\"parity\":%s,\"pooling\":\"%s\"",
	    (unsigned)c->port_lo, (unsigned)c->port_hi, c->parity ? "true" : "false",
	    nat_pooling_names[c->pooling % 2]);
	outbuf_printf(o, ",\"port_reuse_delay\":");
	outbuf_json_secs(o, c->reuse_delay);
	outbuf_printf(o, ",\"ports_per_host\":%u,\"hairpin\":%s,\"unsolicited\":\"%s\"",
	    (unsigned)c->ports_per_host, c->hairpin ? "true" : "false",
	    nat_unsolicited_names[c->unsolicited % 3]);
	outbuf_printf(o, ",\"rebind_every\":");
	outbuf_json_secs(o, c->rebind_every);
	outbuf_printf(o, "}");
}
