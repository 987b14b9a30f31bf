/* report_zeek.c -- replay's flows as a Zeek conn.log (TSV, the logging framework's ASCII writer), natbox's verdict in extra columns at the end. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report.h"

/* Zeek's conn.log columns in Zeek's order (base/protocols/conn/main.zeek,
 * Conn::Info), then natbox's. zeek-cut finds columns by these names. */
static const struct {
	const char *name, *type;
} zcols[] = {
	{ "ts", "time" }, { "uid", "string" }, { "id.orig_h", "addr" },
	{ "id.orig_p", "port" }, { "id.resp_h", "addr" }, { "id.resp_p", "port" },
	{ "proto", "enum" }, { "service", "string" }, { "duration", "interval" },
	{ "orig_bytes", "count" }, { "resp_bytes", "count" },
	{ "conn_state", "string" }, { "local_orig", "bool" },
	{ "local_resp", "bool" }, { "missed_bytes", "count" },
	{ "history", "string" }, { "orig_pkts", "count" },
	{ "orig_ip_bytes", "count" }, { "resp_pkts", "count" },
	{ "resp_ip_bytes", "count" }, { "tunnel_parents", "set[string]" },
	{ "natbox_verdict", "string" }, { "natbox_reason", "string" },
	{ "natbox_at", "time" }, { "natbox_dropped_pkts", "count" },
	{ "natbox_tunnel", "string" },
};

/* "2024-05-01-10-00-00", the ASCII writer's #open and #close stamps. */
static void
zeek_stamp(uint64_t ns, char *buf, size_t cap)
{
	time_t t = (time_t)(ns / NS_PER_SEC);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d-%H-%M-%S", &tm) == 0)
		snprintf(buf, cap, "-");
}

/* A time or interval as Zeek writes it: seconds with six decimals. */
static void
zeek_secs(FILE *f, uint64_t ns)
{
	fprintf(f, "%llu.%06llu", (unsigned long long)(ns / NS_PER_SEC),
	    (unsigned long long)(ns % NS_PER_SEC / 1000));
}

/* FNV-1a, 64 bits: enough to keep a capture's uids apart, and the same
 * flow gets the same uid on every run (Zeek's are random). */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

/* "C" and the base62 of a hash of the 5-tuple and the start, as Zeek's
 * uids look (a C, then letters and digits). */
static void
zeek_uid(const struct report *r, const struct rflow *fl, char buf[16])
{
	static const char b62[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint64_t ts = r->t0 + fl->first, h = 0xcbf29ce484222325ULL;
	unsigned i = 0;

	h = fnv(h, &fl->family, 1);
	h = fnv(h, &fl->proto, 1);
	h = fnv(h, &fl->src, sizeof(fl->src));
	h = fnv(h, &fl->dst, sizeof(fl->dst));
	h = fnv(h, &fl->sport, 2);
	h = fnv(h, &fl->dport, 2);
	h = fnv(h, &ts, 8);
	buf[i++] = 'C';
	do {
		buf[i++] = b62[h % 62];
		h /= 62;
	} while (h && i < 15);
	buf[i] = '\0';
}

static void
zeek_header(FILE *f, const struct report *r)
{
	char when[32];
	size_t i;

	zeek_stamp(r->t0, when, sizeof(when));
	fprintf(f, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
	    "#unset_field\t-\n#path\tconn\n#open\t%s\n#fields", when);
	for (i = 0; i < sizeof(zcols) / sizeof(zcols[0]); i++)
		fprintf(f, "\t%s", zcols[i].name);
	fprintf(f, "\n#types");
	for (i = 0; i < sizeof(zcols) / sizeof(zcols[0]); i++)
		fprintf(f, "\t%s", zcols[i].type);
	fputc('\n', f);
}

/* Zeek's proto enum: an ICMPv6 flow is icmp too, a protocol it has no
 * analyzer for unknown_transport (its ports then 0). */
static const char *
zeek_proto(const struct rflow *fl, bool *ports)
{
	*ports = true;
	switch (fl->kind) {
	case NBK_TCP:
		return "tcp";
	case NBK_UDP:
		return "udp";
	case NBK_ICMP:
		return "icmp";
	default:
		*ports = false;
		return "unknown_transport";
	}
}

/* natbox's columns: ok, broken or picked_up; why and when. */
static void
zeek_verdict(FILE *f, const struct report *r, const struct rflow *fl,
    const struct rhit *h)
{
	bool broken = h && h->broken_at != T_NONE, lost = h && h->lost_at != T_NONE;
	const char *tun = report_tunnel(r, fl);

	if (broken || lost) {
		fprintf(f, "\t%s\t%s\t", broken ? "broken" : "picked_up",
		    reason_name(broken ? h->reason : h->lost_reason));
		zeek_secs(f, r->t0 + (broken ? h->broken_at : h->lost_at));
	} else
		fprintf(f, "\tok\t-\t-");
	fprintf(f, "\t%u\t%s\n", h ? h->drop_pkts : 0, tun ? tun : "-");
}

/* One flow. Unset (-) what natbox does not know: service (no protocol
 * analyzers), orig_bytes and resp_bytes (Zeek's come from sequence
 * numbers; natbox counts IP bytes only), local_orig and local_resp (no
 * Site::local_nets), missed_bytes (no reassembly), tunnel_parents (Zeek
 * names the tunnel's own connection by uid; natbox_tunnel has it). Zeek
 * leaves duration unset at 0 too. */
static void
zeek_flow(FILE *f, const struct report *r, uint32_t i, const struct rhit *h)
{
	const struct rflow *fl = &r->flows[i];
	char a[48], b[48], uid[16];
	bool ports;
	const char *proto = zeek_proto(fl, &ports);

	event_addr_str(fl->family, &fl->src, a, sizeof(a));
	event_addr_str(fl->family, &fl->dst, b, sizeof(b));
	zeek_uid(r, fl, uid);
	zeek_secs(f, r->t0 + fl->first);
	fprintf(f, "\t%s\t%s\t%u\t%s\t%u\t%s\t-\t", uid, a, ports ? fl->sport : 0, b,
	    ports ? fl->dport : 0, proto);
	if (fl->last > fl->first)
		zeek_secs(f, fl->last - fl->first);
	else
		fputc('-', f);
	fprintf(f, "\t-\t-\t%s\t-\t-\t-\t%s\t%u\t%llu\t%u\t%llu\t-",
	    fl->conn_state[0] ? fl->conn_state : "OTH",
	    fl->history[0] ? fl->history : "-", fl->pkts[0],
	    (unsigned long long)fl->bytes[0], fl->pkts[1],
	    (unsigned long long)fl->bytes[1]);
	zeek_verdict(f, r, fl, h);
}

void
report_zeek_write(FILE *f, const struct report *r, bool broken_only)
{
	const struct rprof *p = &r->prof[0];
	char when[32];

	zeek_header(f, r);
	for (uint32_t i = 0; i < r->nflows; i++) {
		const struct rhit *h = report_hit(p, i);

		if (broken_only && !(h && (h->broken_at != T_NONE || h->lost_at != T_NONE)))
			continue;
		zeek_flow(f, r, i, h);
	}
	zeek_stamp(r->t0 + r->duration, when, sizeof(when));
	fprintf(f, "#close\t%s\n", when);
}
