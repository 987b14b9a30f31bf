/* conform.c -- a profile's RFC 5382, 4787, 5508 and 7857 requirement table, judged on what its engine does.
 *
 * Nothing here reads a timeout or a nat.* field of the profile: each
 * figure is measured by running the engine (conform_probe.c: timers by
 * bisection on a virtual clock; conform_behave.c: behaviours by the
 * rewrites verdicts carry). `policy conform` vouches for every aspect of
 * a profile; the probe's report for what it measured, so both are judged
 * by this one table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conform_int.h"
#include "conform_probe.h"

const char *const conform_level_names[3] = { "MUST", "SHOULD", "RECOMMENDED" };
const char *const conform_result_names[4] = { "pass", "fail", "n/a", "not measured" };

#define CAP	(10ULL * 86400 * CS_SEC)	/* timers longer count as never */
#define PENDING	0xff	/* a row measured, not judged yet */
#define MIN(a, b)	((a) < (b) ? (a) : (b))

/* What translation rows rest on: n/a on a device that does not translate. */
#define CA_NAT_ROWS	(1u << CA_MAPPING | 1u << CA_FILTERING | 1u << CA_PORTS | \
	1u << CA_PARITY | 1u << CA_POOLING | 1u << CA_HAIRPIN | 1u << CA_HAIRPIN_TCP)

struct behaviour {
	uint8_t map_tcp, map_udp, filt_tcp, filt_udp;
	unsigned ports;
	bool hair_tcp, hair_udp, err_tcp_pass, err_tcp_kept, err_udp_pass, err_udp_kept;
	bool seq_normal, seq_simopen, rst_translated;
	const char *unsolicited;
};

static bool
has(uint32_t known, unsigned aspect)
{
	return (known >> aspect) & 1u;
}

/* Every timer of the aspects known, by bisection. */
static int
measure_timers(const struct policy *p, uint32_t known, struct conform_figures *f)
{
	static const int replied = 1;
	int rc = 0;

	for (uint64_t *x = &f->tcp_est; x <= &f->icmp_query; x++)
		*x = CONFORM_NEVER;
	if (has(known, CA_TCP_EST))
		rc |= probe_measure(p, PROBE_TCP_EST, NULL, CAP, &f->tcp_est);
	if (has(known, CA_TCP_OPENING))
		rc |= probe_measure(p, PROBE_TCP_OPENING, NULL, CAP, &f->tcp_opening);
	if (has(known, CA_TCP_HALF)) {
		rc |= probe_measure(p, PROBE_TCP_HALF, NULL, CAP, &f->tcp_half);
		if (rc == 0 && f->tcp_half != CONFORM_NEVER) {
			int kept = probe_tcp_half(p, f->tcp_half, &replied);

			rc |= kept < 0 ? -1 : 0;
			f->half_absolute = kept == 0;
		}
	}
	if (has(known, CA_TCP_CLOSING)) {
		rc |= probe_measure(p, PROBE_TCP_CLOSING, NULL, CAP, &f->tcp_closing);
		rc |= probe_measure(p, PROBE_TCP_CLOSING, &replied, CAP, &f->tcp_time_wait);
	}
	if (has(known, CA_TCP_RST))
		rc |= probe_measure(p, PROBE_TCP_RST, NULL, CAP, &f->tcp_rst_hold);
	if (has(known, CA_UDP_UNREPLIED))
		rc |= probe_measure(p, PROBE_UDP, NULL, CAP, &f->udp_unreplied);
	if (has(known, CA_UDP_REPLIED))
		rc |= probe_measure(p, PROBE_UDP, &replied, CAP, &f->udp_replied);
	if (has(known, CA_UDP_REFRESH)) {
		/* a quarter of the replied timer between datagrams */
		uint64_t t = f->udp_replied != CONFORM_NEVER ? f->udp_replied : 0;

		if (t == 0 && probe_measure(p, PROBE_UDP, &replied, CAP, &t) == 0 &&
		    t == CONFORM_NEVER)
			t = CAP;
		int o = probe_udp_refresh(p, t / 4, true), i = probe_udp_refresh(p, t / 4, false);

		rc |= o < 0 || i < 0 ? -1 : 0;
		f->udp_refresh_out = o == 1;
		f->udp_refresh_in = i == 1;
	}
	if (has(known, CA_ICMP_QUERY))
		rc |= probe_measure(p, PROBE_ICMP, NULL, CAP, &f->icmp_query);
	return rc;
}

static int
measure_behaviour(const struct policy *p, uint32_t known, struct behaviour *b)
{
	int rc = 0;

	memset(b, 0, sizeof(*b));
	b->unsolicited = "";
	if (has(known, CA_MAPPING))
		rc |= behave_mapping(p, 6, &b->map_tcp) | behave_mapping(p, 17, &b->map_udp);
	if (has(known, CA_FILTERING))
		rc |= behave_filtering(p, 6, &b->filt_tcp) | behave_filtering(p, 17, &b->filt_udp);
	if (has(known, CA_PORTS) || has(known, CA_PARITY) || has(known, CA_POOLING))
		rc |= behave_ports(p, &b->ports);
	if (has(known, CA_HAIRPIN_TCP))
		rc |= behave_hairpin(p, 6, &b->hair_tcp);
	if (has(known, CA_HAIRPIN))
		rc |= behave_hairpin(p, 17, &b->hair_udp);
	if (has(known, CA_ICMP_ERR))
		rc |= behave_icmp_err(p, 6, &b->err_tcp_pass, &b->err_tcp_kept) |
		    behave_icmp_err(p, 17, &b->err_udp_pass, &b->err_udp_kept);
	if (has(known, CA_TCP_SEQ))
		rc |= behave_sequences(p, &b->seq_normal, &b->seq_simopen);
	if (has(known, CA_TCP_RST))
		rc |= behave_rst(p, &b->rst_translated);
	if (has(known, CA_UNSOLICITED))
		rc |= behave_unsolicited(p, &b->unsolicited);
	return rc;
}

/* ---- rows ---- */

static void
dur(char *buf, size_t cap, uint64_t ns)
{
	if (ns == CONFORM_NEVER)
		snprintf(buf, cap, "over 10d");
	else
		policy_format_duration(ns, buf, cap);
}

/* One row: ok 1 pass, 0 fail, -1 n/a; measured as printf. A row whose
 * aspects (needs) are not all known reads "not measured"; a translation
 * row on a device known not to translate, n/a. */
static void __attribute__((format(printf, 8, 9)))
row(struct conform_report *r, uint32_t known, uint32_t needs, const char *rfc,
    const char *req, unsigned level, const char *what, const char *fmt, ...)
{
	struct conform_row *w;
	va_list ap;

	if (r->n >= CONFORM_ROWS_MAX)
		return;
	w = &r->row[r->n++];
	w->rfc = rfc;
	w->req = req;
	w->what = what;
	w->level = (uint8_t)level;
	w->measured[0] = '\0';
	if ((needs & CA_NAT_ROWS) && (known & CONFORM_NO_NAT)) {
		w->result = CR_NA;
		snprintf(w->measured, sizeof(w->measured), "no translation seen");
		return;
	}
	if ((needs & known) != needs) {
		w->result = CR_NOT_MEASURED;
		return;
	}
	w->result = PENDING;
	va_start(ap, fmt);
	vsnprintf(w->measured, sizeof(w->measured), fmt, ap);
	va_end(ap);
}

/* Set the verdict of the row just added, unless it had none to take. */
static void
judge(struct conform_report *r, int ok)
{
	struct conform_row *w = &r->row[r->n - 1];

	if (w->result != PENDING)
		return;
	w->result = ok < 0 ? CR_NA : ok ? CR_PASS : CR_FAIL;
}

#define A(x)	(1u << (x))
#define ROW(needs, rfc, req, lvl, what, ok, ...) \
	do { row(r, known, needs, rfc, req, lvl, what, __VA_ARGS__); judge(r, ok); } while (0)

static const char *const dep_words[3] = {
	"endpoint-independent", "address-dependent", "address-and-port-dependent",
};

static void
rows_tcp(struct conform_report *r, uint32_t known, const struct behaviour *b)
{
	const struct conform_figures *f = &r->fig;
	const uint64_t floor_est = 7440 * CS_SEC, floor_tr = 240 * CS_SEC;
	uint64_t closing = MIN(f->tcp_closing, f->tcp_time_wait);
	char d1[32], d2[32];

	ROW(A(CA_MAPPING), "RFC 5382", "REQ-1", CL_MUST, "endpoint-independent mapping",
	    b->map_tcp == NAT_EI, "%s", dep_words[b->map_tcp % 3]);
	ROW(A(CA_TCP_SEQ), "RFC 5382", "REQ-2", CL_MUST, "every valid TCP sequence passes",
	    b->seq_normal && b->seq_simopen, "open, data, half-close, close: %s; simultaneous open: %s",
	    b->seq_normal ? "pass" : "dropped", b->seq_simopen ? "pass" : "dropped");
	ROW(A(CA_FILTERING), "RFC 5382", "REQ-3", CL_RECOMMENDED,
	    "endpoint-independent or address-dependent filtering", b->filt_tcp != NAT_APD,
	    "%s", dep_words[b->filt_tcp % 3]);
	ROW(A(CA_UNSOLICITED), "RFC 5382", "REQ-4", CL_MUST,
	    "no answer to an unsolicited SYN for 6 s", strcmp(b->unsolicited, "RST at once") != 0 &&
	    strcmp(b->unsolicited, "ICMP unreachable at once") != 0, "%s", b->unsolicited);
	dur(d1, sizeof(d1), f->tcp_est);
	ROW(A(CA_TCP_EST), "RFC 5382", "REQ-5", CL_MUST, "established idle timeout >= 2h4m",
	    f->tcp_est >= floor_est, "%s", d1);
	dur(d1, sizeof(d1), f->tcp_opening);
	ROW(A(CA_TCP_OPENING), "RFC 5382", "REQ-5", CL_MUST, "partially open idle timeout >= 4m",
	    f->tcp_opening >= floor_tr, "%s", d1);
	dur(d1, sizeof(d1), f->tcp_closing);
	dur(d2, sizeof(d2), f->tcp_time_wait);
	ROW(A(CA_TCP_CLOSING), "RFC 5382", "REQ-5", CL_MUST,
	    "closing (both FINs, TIME_WAIT) idle timeout >= 4m", closing >= floor_tr,
	    "both FINs %s, TIME_WAIT %s", d1, d2);
	dur(d1, sizeof(d1), f->tcp_half);
	ROW(A(CA_TCP_HALF), "RFC 5382", "REQ-5", CL_MUST,
	    "one FIN is not closing: half-closed idle timeout >= 2h4m", f->tcp_half >= floor_est,
	    "%s", d1);
	ROW(A(CA_TCP_HALF), "RFC 5382", "REQ-5", CL_MUST,
	    "data in the open direction keeps a half-closed flow", !f->half_absolute,
	    "%s", f->tcp_half == CONFORM_NEVER ? "never ends" :
	    f->half_absolute ? "absolute: ends despite data" : "idle timer, refreshed");
	ROW(A(CA_PORTS), "RFC 5382", "REQ-7", CL_MUST, "no port overloading",
	    !(b->ports & PF_OVERLOAD), "%s", b->ports & PF_OVERLOAD ?
	    "two hosts share an external endpoint" : "distinct external endpoints");
	ROW(A(CA_HAIRPIN_TCP), "RFC 5382", "REQ-8", CL_MUST, "hairpinning", b->hair_tcp,
	    "%s", b->hair_tcp ? "supported" : "refused");
	ROW(A(CA_ICMP_ERR), "RFC 5382", "REQ-9", CL_SHOULD,
	    "ICMP destination unreachable translated", b->err_tcp_pass,
	    "%s", b->err_tcp_pass ? "translated" : "dropped");
	ROW(A(CA_ICMP_ERR), "RFC 5382", "REQ-10", CL_MUST, "ICMP never ends a mapping",
	    b->err_tcp_kept, "%s", b->err_tcp_kept ? "mapping kept" : "mapping lost");
}

static void
rows_udp_icmp(struct conform_report *r, uint32_t known, const struct behaviour *b)
{
	const struct conform_figures *f = &r->fig;
	uint64_t udp = MIN(f->udp_unreplied, f->udp_replied);
	uint32_t both = A(CA_UDP_UNREPLIED) | A(CA_UDP_REPLIED);
	char d1[32], d2[32];

	ROW(A(CA_MAPPING), "RFC 4787", "REQ-1", CL_MUST, "endpoint-independent mapping",
	    b->map_udp == NAT_EI, "%s", dep_words[b->map_udp % 3]);
	ROW(A(CA_POOLING), "RFC 4787", "REQ-2", CL_RECOMMENDED, "paired IP address pooling",
	    (b->ports & PF_PAIRED) != 0, "%s", b->ports & PF_PAIRED ? "paired" : "arbitrary");
	ROW(A(CA_PORTS), "RFC 4787", "REQ-3", CL_MUST, "no port overloading",
	    !(b->ports & PF_OVERLOAD), "%s", b->ports & PF_OVERLOAD ?
	    "two hosts share an external endpoint" : "distinct external endpoints");
	ROW(A(CA_PORTS), "RFC 4787", "REQ-3a", CL_RECOMMENDED,
	    "port range kept (0-1023, 1024-65535)",
	    (b->ports & (PF_LOW_RANGE_KEPT | PF_HIGH_RANGE_KEPT)) ==
	    (PF_LOW_RANGE_KEPT | PF_HIGH_RANGE_KEPT), "source port 53: %s, 40000: %s",
	    b->ports & PF_LOW_RANGE_KEPT ? "below 1024" : "1024 or above",
	    b->ports & PF_HIGH_RANGE_KEPT ? "1024 or above" : "below 1024");
	ROW(A(CA_PARITY), "RFC 4787", "REQ-4", CL_RECOMMENDED, "port parity preserved",
	    (b->ports & PF_PARITY) != 0, "%s", b->ports & PF_PARITY ? "yes" : "no");
	dur(d1, sizeof(d1), f->udp_unreplied);
	dur(d2, sizeof(d2), f->udp_replied);
	ROW(both, "RFC 4787", "REQ-5", CL_MUST, "UDP mapping timer >= 2m",
	    udp >= 120 * CS_SEC, "unreplied %s, replied %s", d1, d2);
	ROW(both, "RFC 4787", "REQ-5c", CL_RECOMMENDED, "UDP mapping timer >= 5m",
	    udp >= 300 * CS_SEC, "unreplied %s, replied %s", d1, d2);
	ROW(A(CA_UDP_REFRESH), "RFC 4787", "REQ-6", CL_MUST, "outbound packets refresh the mapping",
	    f->udp_refresh_out, "outbound: %s, inbound: %s", f->udp_refresh_out ? "yes" : "no",
	    f->udp_refresh_in ? "yes" : "no");
	ROW(A(CA_FILTERING), "RFC 4787", "REQ-8", CL_RECOMMENDED,
	    "endpoint-independent or address-dependent filtering", b->filt_udp != NAT_APD,
	    "%s", dep_words[b->filt_udp % 3]);
	ROW(A(CA_HAIRPIN), "RFC 4787", "REQ-9", CL_MUST, "hairpinning", b->hair_udp,
	    "%s", b->hair_udp ? "supported" : "refused");
	ROW(A(CA_ICMP_ERR), "RFC 4787", "REQ-12", CL_MUST, "ICMP never ends a mapping",
	    b->err_udp_kept, "%s", b->err_udp_kept ? "mapping kept" : "mapping lost");
	dur(d1, sizeof(d1), f->icmp_query);
	ROW(A(CA_ICMP_QUERY), "RFC 5508", "REQ-2", CL_MUST, "ICMP query session timer >= 60s",
	    f->icmp_query >= 60 * CS_SEC, "%s", d1);
	ROW(A(CA_ICMP_ERR), "RFC 5508", "REQ-4", CL_MUST,
	    "ICMP errors about a mapping translated", b->err_udp_pass && b->err_tcp_pass,
	    "%s", b->err_udp_pass && b->err_tcp_pass ? "translated" : "dropped");
	ROW(A(CA_TCP_RST), "RFC 7857", "2.2", CL_MUST, "a RST is translated",
	    b->rst_translated, "%s", b->rst_translated ? "translated" : "not passed");
	dur(d1, sizeof(d1), f->tcp_rst_hold);
	ROW(A(CA_TCP_RST), "RFC 7857", "2.2", CL_SHOULD, "state held 4m after a RST",
	    f->tcp_rst_hold >= 240 * CS_SEC, "%s", d1);
}

int
conform_run(const struct policy *p, uint32_t known, struct conform_report *r)
{
	struct behaviour b;

	memset(r, 0, sizeof(*r));
	if (measure_timers(p, known, &r->fig) != 0 || measure_behaviour(p, known, &b) != 0)
		return -1;
	r->fig.mapping = b.map_udp;
	r->fig.filtering = b.filt_udp;
	rows_tcp(r, known, &b);
	rows_udp_icmp(r, known, &b);
	return 0;
}

void
conform_count(const struct conform_report *r, const char *rfc, unsigned level,
    unsigned *passed, unsigned *judged)
{
	*passed = *judged = 0;
	for (unsigned i = 0; i < r->n; i++) {
		const struct conform_row *w = &r->row[i];

		if (strcmp(w->rfc, rfc) != 0 || w->level != level)
			continue;
		if (w->result == CR_PASS || w->result == CR_FAIL)
			(*judged)++;
		if (w->result == CR_PASS)
			(*passed)++;
	}
}
