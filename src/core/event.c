/* event.c -- engine events as conntrack-style key=value text or JSON lines. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "outbuf.h"
#include "reason.h"
#include "tcpfsm.h"

static const char *const type_names[EV__MAX] = {
	[EV_NEW] = "new",
	[EV_UPDATE] = "update",
	[EV_EXPIRE] = "expire",
	[EV_DROP] = "drop",
	[EV_FAULT] = "fault",
	[EV_RESET] = "reset",
	[EV_END] = "end",
	[EV_FLOW] = "flow",
	[EV_INVALID] = "invalid",
};

static const char *const type_tags[EV__MAX] = {
	[EV_NEW] = "[NEW]",
	[EV_UPDATE] = "[UPDATE]",
	[EV_EXPIRE] = "[EXPIRE]",
	[EV_DROP] = "[DROP]",
	[EV_FAULT] = "[FAULT]",
	[EV_RESET] = "[RESET]",
	[EV_END] = "[DESTROY]",
	[EV_FLOW] = "[FLOW]",
	[EV_INVALID] = "[INVALID]",
};

const char *
event_type_name(unsigned t)
{
	return t < EV__MAX ? type_names[t] : "?";
}

/* RFC 5952 text for IPv6 (longest run of two or more zero groups
 * becomes "::", first such run on a tie), dotted quad for IPv4. */
void
event_addr_str(uint8_t family, const struct nb_addr *a, char *buf, size_t cap)
{
	unsigned g[8], best = 0, bestlen = 0, run = 0, i;
	size_t n = 0;

	if (cap == 0)
		return;
	if (family != 6) {
		snprintf(buf, cap, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2], a->b[3]);
		return;
	}
	for (i = 0; i < 8; i++)
		g[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
	for (i = 0; i < 8; i++) {
		run = g[i] == 0 ? run + 1 : 0;
		if (run > bestlen) {
			bestlen = run;
			best = i + 1 - run;
		}
	}
	if (bestlen < 2)
		bestlen = 0;
	buf[0] = '\0';
	for (i = 0; i < 8 && n < cap; i++) {
		if (bestlen && i == best) {
			n += (size_t)snprintf(buf + n, cap - n, "::");
			i += bestlen - 1;
			continue;
		}
		n += (size_t)snprintf(buf + n, cap - n, "%s%x",
		    (i == 0 || (bestlen && i == best + bestlen)) ? "" : ":", g[i]);
	}
}

/* Seconds with at most six decimals, trailing zeros dropped. */
static void
put_secs(struct outbuf *o, uint64_t ns)
{
	uint64_t us = ns / 1000;
	char frac[8];
	int i;

	if (us % 1000000 == 0) {
		outbuf_printf(o, "%llu", (unsigned long long)(us / 1000000));
		return;
	}
	snprintf(frac, sizeof(frac), "%06llu", (unsigned long long)(us % 1000000));
	for (i = 5; i > 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	outbuf_printf(o, "%llu.%s", (unsigned long long)(us / 1000000), frac);
}

const char *
event_proto_name(uint8_t proto, char buf[4])
{
	switch (proto) {
	case NB_PROTO_TCP:
		return "tcp";
	case NB_PROTO_UDP:
		return "udp";
	case NB_PROTO_ICMP:
		return "icmp";
	case NB_PROTO_ICMPV6:
		return "icmpv6";
	default:
		snprintf(buf, 4, "%u", proto);
		return buf;
	}
}

static void
put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

size_t
event_format(const struct event *ev, enum event_format fmt, char *buf, size_t cap)
{
	struct outbuf o = { buf, cap, 0 };
	char src[48], dst[48], pn[4];
	const char *proto = event_proto_name(ev->proto, pn);
	bool json = fmt == EVF_JSON;
	const char *dir = ev->dir == DIR_ORIG ? "orig" : ev->dir == DIR_REPLY ? "reply" : "both";

	event_addr_str(ev->family, &ev->src, src, sizeof(src));
	event_addr_str(ev->family, &ev->dst, dst, sizeof(dst));
	if (json) {
		outbuf_printf(&o, "{\"ts\":");
		put_secs(&o, ev->ts);
		outbuf_printf(&o, ",\"event\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u,\"proto\":\"%s\",\"state\":\"%s\"",
		    event_type_name(ev->type), src, dst, ev->sport, ev->dport, proto,
		    tcp_state_name(ev->state));
	} else {
		outbuf_printf(&o, "%s ts=", type_tags[ev->type < EV__MAX ? ev->type : 0]);
		put_secs(&o, ev->ts);
		outbuf_printf(&o, " src=%s dst=%s sport=%u dport=%u proto=%s state=%s",
		    src, dst, ev->sport, ev->dport, proto, tcp_state_name(ev->state));
	}
	if (ev->type == EV_UPDATE)
		outbuf_printf(&o, json ? ",\"old_state\":\"%s\"" : " old_state=%s",
		    tcp_state_name(ev->old_state));
	if (ev->type == EV_NEW || ev->type == EV_UPDATE || ev->type == EV_EXPIRE ||
	    ev->type == EV_FLOW)
		outbuf_printf(&o, json ? ",\"timer\":\"%s\"" : " timer=%s",
		    tcp_state_key(ev->timer_state));
	if (ev->timeout != EV_NO_TIMEOUT) {
		outbuf_printf(&o, json ? ",\"timeout\":" : " timeout=");
		put_secs(&o, ev->timeout);
	}
	if (ev->reason != R_NONE)
		outbuf_printf(&o, json ? ",\"reason\":\"%s\"" : " reason=%s", reason_name(ev->reason));
	if (ev->type == EV_DROP || ev->type == EV_FAULT || ev->type == EV_RESET ||
	    ev->type == EV_INVALID)
		outbuf_printf(&o, json ? ",\"dir\":\"%s\"" : " dir=%s", dir);
	if (ev->type == EV_END || ev->type == EV_FLOW)
		outbuf_printf(&o, json ? ",\"conn_state\":\"%s\",\"history\":\"%s\"" :
		    " conn_state=%s history=%s",
		    ev->conn_state ? ev->conn_state : "OTH", ev->history[0] ? ev->history : "-");
	if (ev->nat) {
		struct nb_addr a = { { 0 } };

		put_be32(a.b, ev->nat_src);
		event_addr_str(4, &a, src, sizeof(src));
		put_be32(a.b, ev->nat_dst);
		event_addr_str(4, &a, dst, sizeof(dst));
		outbuf_printf(&o, json ? ",\"nat_src\":\"%s\",\"nat_dst\":\"%s\",\"nat_sport\":%u,\"nat_dport\":%u" :
		    " nat_src=%s nat_dst=%s nat_sport=%u nat_dport=%u",
		    src, dst, ev->nat_sport, ev->nat_dport);
	}
	if (ev->flow != UINT32_MAX)
		outbuf_printf(&o, json ? ",\"flow\":%u" : " flow=%u", ev->flow);
	outbuf_printf(&o, json ? "}\n" : "\n");
	return outbuf_end(&o);
}
