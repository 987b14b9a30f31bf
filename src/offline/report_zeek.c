/* report_zeek.c -- replay's flows as a Zeek conn.log (TSV, the logging framework's ASCII writer), natbox's verdict in extra columns at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fieldw.h"
#include "report_pass.h"

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
void
report_zeek_uid(const struct zc_conn *c, char buf[16])
{
	static const char b62[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	uint64_t ts = c->start, h = 0xcbf29ce484222325ULL;
	unsigned i = 0, o = c->orig;

	h = fnv(h, &c->family, 1);
	h = fnv(h, &c->ipproto, 1);
	h = fnv(h, &c->a[o], sizeof(c->a[o]));
	h = fnv(h, &c->a[!o], sizeof(c->a[!o]));
	h = fnv(h, &c->port[o], 2);
	h = fnv(h, &c->port[!o], 2);
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

/* Zeek's proto enum: an ICMPv6 connection is icmp too, a protocol it has
 * no analyzer for unknown_transport (its ports then 0). */
static const char *
zeek_proto(const struct zc_conn *c)
{
	static const char *const names[] = {
		[ZCP_TCP] = "tcp", [ZCP_UDP] = "udp", [ZCP_ICMP] = "icmp",
		[ZCP_OTHER] = "unknown_transport",
	};

	return names[c->zproto];
}

/* natbox's columns: ok, broken or picked_up; why and when; "-" for a
 * connection of packets no flow of the tracker's took. */
static void
zeek_verdict(FILE *f, const struct report *r, const struct rflow *fl,
    const struct rhit *h)
{
	bool broken = h && h->broken_at != T_NONE, lost = h && h->lost_at != T_NONE;
	const char *tun = fl ? report_tunnel(r, fl) : NULL;

	if (broken || lost) {
		fprintf(f, "\t%s\t%s\t", broken ? "broken" : "picked_up",
		    reason_name(broken ? h->reason : h->lost_reason));
		zeek_secs(f, r->t0 + (broken ? h->broken_at : h->lost_at));
	} else
		fprintf(f, "\t%s\t-\t-", fl ? "ok" : "-");
	fprintf(f, "\t%u\t%s\n", h ? h->drop_pkts : 0, tun ? tun : "-");
}

/* One connection. Unset (-) what natbox does not know: service (no
 * protocol analyzers), local_orig and local_resp (no Site::local_nets),
 * tunnel_parents (Zeek names the tunnel's own connection by uid;
 * natbox_tunnel has it). Zeek leaves duration unset at 0, and the sizes
 * of a connection with no payload analyzer... it logs them as counted. */
static void
zeek_conn(FILE *f, const struct report *r, const struct zc_conn *c, const struct rflow *fl,
    const struct rhit *h)
{
	const struct zc_ep *o = zconn_side(c, true), *p = zconn_side(c, false);
	char a[48], b[48], uid[16], hist[ZC_HIST_MAX + 1];
	unsigned s = c->orig;

	event_addr_str(c->family, &c->a[s], a, sizeof(a));
	event_addr_str(c->family, &c->a[!s], b, sizeof(b));
	report_zeek_uid(c, uid);
	zconn_history(c, hist);
	zeek_secs(f, c->start);
	fprintf(f, "\t%s\t%s\t%u\t%s\t%u\t%s\t-\t", uid, a, c->port[s], b, c->port[!s],
	    zeek_proto(c));
	if (c->last > c->start) {
		zeek_secs(f, c->last - c->start);
		fprintf(f, "\t%llu\t%llu", (unsigned long long)zconn_bytes(c, true),
		    (unsigned long long)zconn_bytes(c, false));
	} else
		fprintf(f, "-\t-\t-");
	fprintf(f, "\t%s\t-\t-\t%llu\t%s\t%u\t%llu\t%u\t%llu\t-", zconn_state(c),
	    (unsigned long long)c->missed, hist[0] ? hist : "-", o->pkts,
	    (unsigned long long)o->ip_bytes, p->pkts, (unsigned long long)p->ip_bytes);
	zeek_verdict(f, r, fl, h);
}

static bool
is_broken(const struct rhit *h)
{
	return h && (h->broken_at != T_NONE || h->lost_at != T_NONE);
}

/*
 * One line per Zeek connection, in the order they started; each takes
 * the verdict of the flow whose first packet it holds (a broken one if
 * several flows of the tracker's fell in it), joined by tuple and time.
 */
void
report_zeek_write(FILE *f, const struct report *r, bool broken_only)
{
	const struct rprof *p = &r->prof[0];
	uint32_t nz = r->zc ? zconn_count(r->zc) : 0, *flow_of;
	char when[32];

	flow_of = report_xrealloc(NULL, nz ? nz : 1, sizeof(*flow_of));
	for (uint32_t i = 0; i < nz; i++)
		flow_of[i] = RFLOW_NONE;
	for (uint32_t i = 0; nz && i < r->nflows; i++) {
		uint32_t z = r->flow_zc[i];

		if (z < nz && (flow_of[z] == RFLOW_NONE ||
		    (!is_broken(report_hit(p, flow_of[z])) && is_broken(report_hit(p, i)))))
			flow_of[z] = i;
	}
	zeek_header(f, r);
	for (uint32_t i = 0; i < nz; i++) {
		uint32_t fi = flow_of[i];
		const struct rhit *h = fi == RFLOW_NONE ? NULL : report_hit(p, fi);

		if (broken_only && !is_broken(h))
			continue;
		zeek_conn(f, r, zconn_get(r->zc, i), fi == RFLOW_NONE ? NULL : &r->flows[fi], h);
	}
	free(flow_of);
	zeek_stamp(r->t0 + r->duration, when, sizeof(when));
	fprintf(f, "#close\t%s\n", when);
}

/*
 * Flow fl's Zeek fields as Zeek's JSON writer names them (ts, uid,
 * id.orig_h ... resp_ip_bytes, tunnel_parents; unset ones left out as
 * Zeek leaves them): its Zeek connection's, or, without one, the
 * tracker's view in the same names. Times are epoch seconds.
 */
void
report_zeek_json(struct fieldw *w, const struct report *r, const struct rflow *fl)
{
	const struct zc_conn *c = report_zconn(r, (uint32_t)(fl - r->flows));
	char a[48], b[48], uid[16], hist[ZC_HIST_MAX + 1];
	const char *tun = report_tunnel(r, fl);

	if (c == NULL) {
		event_addr_str(fl->family, &fl->src, a, sizeof(a));
		event_addr_str(fl->family, &fl->dst, b, sizeof(b));
		fw_secs(w, "ts", NULL, r->t0 + fl->first);
		fw_str(w, "id.orig_h", NULL, a);
		fw_uint(w, "id.orig_p", NULL, fl->sport);
		fw_str(w, "id.resp_h", NULL, b);
		fw_uint(w, "id.resp_p", NULL, fl->dport);
		fw_str(w, "conn_state", NULL, fl->conn_state);
		fw_str(w, "history", NULL, fl->history);
		fw_uint(w, "orig_pkts", NULL, fl->pkts[0]);
		fw_uint(w, "orig_ip_bytes", NULL, fl->bytes[0]);
		fw_uint(w, "resp_pkts", NULL, fl->pkts[1]);
		fw_uint(w, "resp_ip_bytes", NULL, fl->bytes[1]);
		return;
	}
	event_addr_str(c->family, &c->a[c->orig], a, sizeof(a));
	event_addr_str(c->family, &c->a[!c->orig], b, sizeof(b));
	report_zeek_uid(c, uid);
	zconn_history(c, hist);
	fw_secs(w, "ts", NULL, c->start);
	fw_str(w, "uid", NULL, uid);
	fw_str(w, "id.orig_h", NULL, a);
	fw_uint(w, "id.orig_p", NULL, c->port[c->orig]);
	fw_str(w, "id.resp_h", NULL, b);
	fw_uint(w, "id.resp_p", NULL, c->port[!c->orig]);
	fw_str(w, "proto", NULL, zeek_proto(c));
	if (c->last > c->start) {
		fw_secs(w, "duration", NULL, c->last - c->start);
		fw_uint(w, "orig_bytes", NULL, zconn_bytes(c, true));
		fw_uint(w, "resp_bytes", NULL, zconn_bytes(c, false));
	}
	fw_str(w, "conn_state", NULL, zconn_state(c));
	fw_uint(w, "missed_bytes", NULL, c->missed);
	if (hist[0])	/* unset for ICMP and other protocols, as in Zeek */
		fw_str(w, "history", NULL, hist);
	fw_uint(w, "orig_pkts", NULL, zconn_side(c, true)->pkts);
	fw_uint(w, "orig_ip_bytes", NULL, zconn_side(c, true)->ip_bytes);
	fw_uint(w, "resp_pkts", NULL, zconn_side(c, false)->pkts);
	fw_uint(w, "resp_ip_bytes", NULL, zconn_side(c, false)->ip_bytes);
	if (tun) {
		fw_arr_open(w, "tunnel_parents");
		fw_str(w, NULL, NULL, tun);
		fw_arr_close(w);
	}
}
