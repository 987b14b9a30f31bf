/* flowfilter.c -- ss-style flow filters for natbox ctl (parsed in the control thread, matched by workers). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "flowfilter.h"
#include "opts.h"
#include "tcpfsm.h"

#define BIT(s) (uint16_t)(1u << (s))

static const struct {
	const char *name;
	uint16_t states;
} groups[] = {
	{ "opening", BIT(TCP_SYN_SENT) | BIT(TCP_SYN_SENT2) | BIT(TCP_SYN_RECV) },
	{ "half_closed", BIT(TCP_FIN_WAIT) | BIT(TCP_CLOSE_WAIT) },
	{ "closing", BIT(TCP_LAST_ACK) },
};

/* "Half-Closed" -> "half_closed" */
static void
norm(const char *s, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++)
		buf[i] = s[i] == '-' ? '_' : (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
}

/* "tcp", "udp", "icmp" (or "icmpv6"), "other": the flow kind; -1 else. */
static int
kind_word(const char *w)
{
	if (strcmp(w, "icmpv6") == 0)
		return NBK_ICMP;
	for (unsigned k = 0; k < NBK__MAX; k++)
		if (strcmp(w, nb_kind_name(k)) == 0)
			return (int)k;
	return -1;
}

/* A state or group word: 1 and the bits/liveness set, 0 if not one. */
static int
state_word(struct flow_filter *ff, const char *w, bool *set)
{
	char n[32];
	int s;

	norm(w, n, sizeof(n));
	if (strcmp(n, "live") == 0) {
		ff->live = true;
		*set = true;
		return 1;
	}
	if (strcmp(n, "expired") == 0) {
		ff->dead = true;
		*set = true;
		return 1;
	}
	if (strcmp(n, "all") == 0) {
		ff->live = ff->dead = true;
		*set = true;
		return 1;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (strcmp(n, groups[i].name) == 0) {
			ff->states |= groups[i].states;
			ff->live = true;
			*set = true;
			return 1;
		}
	}
	s = tcp_state_from_key(n);
	if (s > TCP_NONE && s < TRK_STATE_MAX) {
		ff->states |= BIT(s);
		ff->live = true;
		*set = true;
		return 1;
	}
	return 0;
}

static int
parse_addr(const char *s, struct flow_filter_addr *fa)
{
	char buf[64], *slash;
	unsigned long long plen;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(fa, 0, sizeof(*fa));
	if (inet_pton(AF_INET, buf, fa->a.b) == 1)
		fa->family = 4;
	else if (inet_pton(AF_INET6, buf, fa->a.b) == 1)
		fa->family = 6;
	else
		return -1;
	fa->plen = fa->family == 4 ? 32 : 128;
	if (slash) {
		if (get_unsigned(&plen, slash, 0, fa->plen) < 0)
			return -1;
		fa->plen = (uint8_t)plen;
	}
	return 0;
}

/* "Q:N": 1 and both set, 0 if w has another shape. */
static int
parse_qslot(const char *w, unsigned long long *q, unsigned long long *slot)
{
	char buf[32], *colon;

	if (strlen(w) >= sizeof(buf) || (colon = strchr(w, ':')) == NULL)
		return 0;
	strcpy(buf, w);
	colon = buf + (colon - w);
	*colon++ = '\0';
	if (get_unsigned(q, buf, 0, 65535) < 0 || get_unsigned(slot, colon, 0, UINT32_MAX - 1) < 0)
		return 0;
	return 1;
}

#define ADD(arr, n, v, what) do {					\
	if ((n) == FLOW_FILTER_TERMS) {					\
		snprintf(err, cap, "at most %d %s terms", FLOW_FILTER_TERMS, what); \
		return -1;						\
	}								\
	(arr)[(n)++] = (v);						\
} while (0)

int
flow_filter_parse(struct flow_filter *ff, int argc, char *const *argv,
    bool dead_by_default, char *err, size_t cap)
{
	bool state_set = false;
	unsigned long long n, q;
	struct flow_filter_addr fa;

	memset(ff, 0, sizeof(*ff));
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (strcmp(w, "state") == 0) {
			if (arg == NULL || !state_word(ff, arg, &state_set))
				goto bad_state;
		} else if (!strcmp(w, "src") || !strcmp(w, "dst") || !strcmp(w, "addr") ||
		    !strcmp(w, "host")) {
			if (arg == NULL || parse_addr(arg, &fa) < 0) {
				snprintf(err, cap, "%s: expected an IPv4 or IPv6 address[/prefix], got '%s'",
				    w, arg ? arg : "");
				return -1;
			}
			if (w[0] == 's')
				ADD(ff->src, ff->nsrc, fa, "src");
			else if (w[0] == 'd')
				ADD(ff->dst, ff->ndst, fa, "dst");
			else
				ADD(ff->addr, ff->naddr, fa, "addr");
		} else if (!strcmp(w, "sport") || !strcmp(w, "dport") || !strcmp(w, "port")) {
			if (arg && arg[0] == ':')
				arg++;
			if (arg == NULL || get_unsigned(&n, arg, 0, 65535) < 0) {
				snprintf(err, cap, "%s: expected a port number 0-65535", w);
				return -1;
			}
			if (w[0] == 's')
				ADD(ff->sport, ff->nsport, (uint16_t)n, "sport");
			else if (w[0] == 'd')
				ADD(ff->dport, ff->ndport, (uint16_t)n, "dport");
			else
				ADD(ff->port, ff->nport, (uint16_t)n, "port");
		} else if (strcmp(w, "queue") == 0) {
			if (arg == NULL || get_unsigned(&n, arg, 0, 65535) < 0) {
				snprintf(err, cap, "queue: expected a queue number");
				return -1;
			}
			ADD(ff->queue, ff->nqueue, (uint16_t)n, "queue");
		} else if (strcmp(w, "flow") == 0) {
			if (arg && parse_qslot(arg, &q, &n)) {
				ADD(ff->queue, ff->nqueue, (uint16_t)q, "queue");
			} else if (arg == NULL || get_unsigned(&n, arg, 0, UINT32_MAX - 1) < 0) {
				snprintf(err, cap, "flow: expected a flow number N or QUEUE:N");
				return -1;
			}
			ADD(ff->slot, ff->nslot, (uint32_t)n, "flow");
		} else if (strcmp(w, "proto") == 0) {
			int k = arg ? kind_word(arg) : -1;

			if (k < 0) {
				snprintf(err, cap, "proto: expected tcp, udp, icmp or other");
				return -1;
			}
			ff->kinds |= (uint8_t)(1u << k);
		} else {
			takes = false;
			if (kind_word(w) >= 0) {
				ff->kinds |= (uint8_t)(1u << kind_word(w));
			} else if (!strcmp(w, "-4") || !strcmp(w, "ipv4")) {
				ff->family = 4;
			} else if (!strcmp(w, "-6") || !strcmp(w, "ipv6")) {
				ff->family = 6;
			} else if (w[0] == ':' && get_unsigned(&n, w + 1, 0, 65535) == 0) {
				ADD(ff->port, ff->nport, (uint16_t)n, "port");
			} else if (parse_qslot(w, &q, &n)) {
				ADD(ff->queue, ff->nqueue, (uint16_t)q, "queue");
				ADD(ff->slot, ff->nslot, (uint32_t)n, "flow");
			} else if (parse_addr(w, &fa) == 0) {
				ADD(ff->addr, ff->naddr, fa, "addr");
			} else if (!state_word(ff, w, &state_set)) {
				snprintf(err, cap, "'%s': not a filter word (state or group, "
				    "src|dst|addr ADDR[/LEN], sport|dport|port N, queue N, "
				    "flow [Q:]N, tcp|udp|icmp|other, -4, -6)", w);
				return -1;
			}
		}
		if (takes)
			i++;
	}
	if (!state_set) {
		ff->live = true;
		ff->dead = dead_by_default;
	}
	return 0;

bad_state:
	snprintf(err, cap, "state: expected a tracker state (syn_sent syn_recv established "
	    "fin_wait close_wait last_ack time_wait close syn_sent2) or a group "
	    "(opening half-closed closing live expired all)");
	return -1;
}

bool
flow_filter_queue(const struct flow_filter *ff, uint16_t queue)
{
	if (ff->nqueue == 0)
		return true;
	for (unsigned i = 0; i < ff->nqueue; i++)
		if (ff->queue[i] == queue)
			return true;
	return false;
}

static bool
addr_in(const struct flow_filter_addr *fa, uint8_t family, const struct nb_addr *a)
{
	unsigned full = fa->plen / 8, rest = fa->plen % 8;

	if (fa->family != family)
		return false;
	if (memcmp(fa->a.b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((fa->a.b[full] ^ a->b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool
any_addr(const struct flow_filter_addr *v, unsigned n, uint8_t family,
    const struct nb_addr *a, const struct nb_addr *b)
{
	if (n == 0)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (addr_in(&v[i], family, a) || (b && addr_in(&v[i], family, b)))
			return true;
	return false;
}

static bool
any_port(const uint16_t *v, unsigned n, uint16_t a, int b)
{
	if (n == 0)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (v[i] == a || (b >= 0 && v[i] == (uint16_t)b))
			return true;
	return false;
}

bool
flow_filter_match_tuple(const struct flow_filter *ff, uint8_t family, uint8_t proto,
    const struct nb_addr *src, const struct nb_addr *dst, uint16_t sport,
    uint16_t dport, uint32_t slot)
{
	if (ff->family && ff->family != family)
		return false;
	if (ff->kinds && !(ff->kinds & 1u << nb_kind_of(family, proto)))
		return false;
	if (ff->nslot) {
		unsigned i;

		for (i = 0; i < ff->nslot && ff->slot[i] != slot; i++)
			;
		if (i == ff->nslot)
			return false;
	}
	return any_addr(ff->src, ff->nsrc, family, src, NULL) &&
	    any_addr(ff->dst, ff->ndst, family, dst, NULL) &&
	    any_addr(ff->addr, ff->naddr, family, src, dst) &&
	    any_port(ff->sport, ff->nsport, sport, -1) &&
	    any_port(ff->dport, ff->ndport, dport, -1) &&
	    any_port(ff->port, ff->nport, sport, dport);
}

bool
flow_filter_match(const struct flow_filter *ff, const struct flow *f, uint32_t slot)
{
	if (f->fflags & FF_DEAD) {
		if (!ff->dead)
			return false;
	} else {
		if (!ff->live)
			return false;
		if (ff->states && !(ff->states & BIT(f->trk.state)))
			return false;
	}
	return flow_filter_match_tuple(ff, f->family, flow_proto(f), &f->src, &f->dst,
	    f->sport, f->dport, slot);
}
