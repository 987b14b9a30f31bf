/* report_fmt.c -- the offline report's shared output: times, endpoints, JSON strings, break classes and phases, the capture summary, profile specs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fieldw.h"
#include "profiles.h"
#include "log.h"
#include "report.h"

void
report_endpoint(uint8_t family, const struct nb_addr *a, uint16_t port,
    char *buf, size_t cap)
{
	char s[48];

	event_addr_str(family, a, s, sizeof(s));
	snprintf(buf, cap, family == 6 ? "[%s]:%u" : "%s:%u", s, port);
}

/* Another protocol's flow is an address pair: its number, which stands
 * in the ports, is not shown as one. */
void
report_flow_ends(const struct rflow *f, char *a, char *b, size_t cap)
{
	if (f->kind == NBK_OTHER) {
		event_addr_str(f->family, &f->src, a, cap);
		event_addr_str(f->family, &f->dst, b, cap);
		return;
	}
	report_endpoint(f->family, &f->src, f->sport, a, cap);
	report_endpoint(f->family, &f->dst, f->dport, b, cap);
}

void
report_flow_name(const struct rflow *f, char *buf, size_t cap)
{
	char a[64], b[64];

	report_flow_ends(f, a, b, sizeof(a));
	snprintf(buf, cap, "%s > %s", a, b);
}

const char *
report_proto_name(const struct rflow *f, char buf[4])
{
	return event_proto_name(f->proto, buf);
}

/* The same for people: at least milliseconds, so columns line up. */
void
report_time(uint64_t ns, char *buf, size_t cap)
{
	uint64_t us = ns / 1000;
	int n;

	n = snprintf(buf, cap, "%llu.%06llu", (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000));
	while (n > 0 && (size_t)n < cap && n > 4 && buf[n - 1] == '0' && buf[n - 4] != '.')
		buf[--n] = '\0';
}

void
report_dur(uint64_t ns, char *buf, size_t cap)
{
	uint64_t ms = ns / 1000000, s = ns / NS_PER_SEC;

	if (s < 60)
		snprintf(buf, cap, "%llu.%03llus", (unsigned long long)s,
		    (unsigned long long)(ms % 1000));
	else if (s < 3600)
		snprintf(buf, cap, "%llum%02llus", (unsigned long long)(s / 60),
		    (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, cap, "%lluh%02llum", (unsigned long long)(s / 3600),
		    (unsigned long long)(s / 60 % 60));
	else
		snprintf(buf, cap, "%llud%02lluh", (unsigned long long)(s / 86400),
		    (unsigned long long)(s / 3600 % 24));
}

static const char *const class_names[RC__MAX] = {
	[RC_OPENING] = "opening",
	[RC_IDLE] = "idle",
	[RC_HALF_CLOSED] = "half_closed",
	[RC_CLOSING] = "closing",
	[RC_TIME_WAIT] = "time_wait",
	[RC_TW_REUSE] = "timewait_reuse",
	[RC_FAULT] = "fault",
	[RC_OTHER] = "other",
	[RC_UDP] = "udp",
	[RC_ICMP] = "icmp",
	[RC_OTHER_PROTO] = "other_proto",
	[RC_NAT_FILTERED] = "nat_filtered",
	[RC_NAT_NO_MAPPING] = "nat_no_mapping",
};

const char *
report_class_name(unsigned c)
{
	return c < RC__MAX ? class_names[c] : "?";
}

unsigned
report_class_of(unsigned reason)
{
	switch (reason) {
	case R_EXPIRED_OPENING:
		return RC_OPENING;
	case R_EXPIRED_IDLE:
		return RC_IDLE;
	case R_EXPIRED_HALF_CLOSED:
		return RC_HALF_CLOSED;
	case R_EXPIRED_CLOSING:
		return RC_CLOSING;
	case R_EXPIRED_TIME_WAIT:
		return RC_TIME_WAIT;
	case R_TIMEWAIT_REUSE:
		return RC_TW_REUSE;
	case R_FAULT_DROP_RST:
	case R_FAULT_DROP_FIN_ACK:
	case R_FAULT_DROP_FIRST_FIN:
	case R_FAULT_DROP_SECOND_FIN:
		return RC_FAULT;
	case R_EXPIRED_UDP_UNREPLIED:
	case R_EXPIRED_UDP:
		return RC_UDP;
	case R_EXPIRED_ICMP:
		return RC_ICMP;
	case R_EXPIRED_OTHER:
	case R_EXPIRED_GRE_UNREPLIED:
	case R_EXPIRED_GRE:
		return RC_OTHER_PROTO;
	case R_NAT_FILTERED:
		return RC_NAT_FILTERED;
	case R_NAT_NO_MAPPING:
		return RC_NAT_NO_MAPPING;
	default:
		return RC_OTHER;
	}
}

static const char *const phase_names[PH__MAX] = {
	[PH_OPENING] = "opening",
	[PH_ESTABLISHED] = "established",
	[PH_HALF_CLOSED] = "half_closed",
	[PH_CLOSING] = "closing",
	[PH_TIME_WAIT] = "time_wait",
	[PH_CLOSED] = "closed",
	[PH_UDP_UNREPLIED] = "udp_unreplied",
	[PH_UDP] = "udp",
	[PH_ICMP] = "icmp",
	[PH_OTHER] = "other",
};

const char *
report_phase_name(unsigned ph)
{
	return ph < PH__MAX ? phase_names[ph] : "?";
}

unsigned
report_phase_of(unsigned s)
{
	switch (s) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
	case TCP_SYN_SENT2:
		return PH_OPENING;
	case TCP_ESTABLISHED:
		return PH_ESTABLISHED;
	case TCP_FIN_WAIT:
	case TCP_CLOSE_WAIT:
		return PH_HALF_CLOSED;
	case TCP_LAST_ACK:
		return PH_CLOSING;
	case TCP_TIME_WAIT:
		return PH_TIME_WAIT;
	case TCP_CLOSE:
		return PH_CLOSED;
	case TRK_UDP_UNREPLIED:
		return PH_UDP_UNREPLIED;
	case TRK_UDP_REPLIED:
		return PH_UDP;
	case TRK_ICMP:
		return PH_ICMP;
	case TRK_OTHER:
	case TRK_GRE_UNREPLIED:
	case TRK_GRE_REPLIED:
		return PH_OTHER;
	default:
		return PH__MAX;
	}
}

unsigned
report_phase_first(unsigned kind)
{
	static const uint8_t first[NBK__MAX] = {
		[NBK_TCP] = PH_OPENING, [NBK_UDP] = PH_UDP_UNREPLIED,
		[NBK_ICMP] = PH_ICMP, [NBK_OTHER] = PH_OTHER,
	};

	return kind < NBK__MAX ? first[kind] : PH_OTHER;
}

static void
utc_str(uint64_t ns, char *buf, size_t cap)
{
	time_t t = (time_t)(ns / NS_PER_SEC);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, cap, "?");
		return;
	}
	snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d:%02d.%06lluZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned long long)(ns % NS_PER_SEC / 1000));
}

static uint64_t
malformed(const struct report *r)
{
	uint64_t n = r->link_truncated;

	for (unsigned i = 0; i < DEC__MAX; i++)
		n += r->decode[i];
	return n;
}

static const char *const kind_title[NBK__MAX] = {
	[NBK_TCP] = "TCP", [NBK_UDP] = "UDP", [NBK_ICMP] = "ICMP", [NBK_OTHER] = "other",
};

/* " (n TCP, n UDP...)": the nonzero counts by kind */
static void
by_kind_text(FILE *f, const uint64_t n[NBK__MAX])
{
	const char *sep = " (";

	for (unsigned k = 0; k < NBK__MAX; k++) {
		if (n[k] == 0)
			continue;
		fprintf(f, "%s%llu %s", sep, (unsigned long long)n[k], kind_title[k]);
		sep = ", ";
	}
	fprintf(f, ")");
}

/* "N TCP packets in M flows" if one protocol has them all, else "N
 * packets (n TCP, n UDP...) in M flows (m TCP, m UDP...)". */
static void
report_counts_text(FILE *f, const struct report *r)
{
	uint64_t kf[NBK__MAX];
	unsigned kinds = 0, one = NBK_TCP;

	for (unsigned k = 0; k < NBK__MAX; k++) {
		kf[k] = r->kflows[k];
		if (r->kpkts[k] || kf[k]) {
			kinds++;
			one = k;
		}
	}
	if (kinds <= 1) {
		fprintf(f, "# %llu %s packet%s in %u flow%s", (unsigned long long)r->packets,
		    kind_title[one], r->packets == 1 ? "" : "s", r->nflows,
		    r->nflows == 1 ? "" : "s");
		return;
	}
	fprintf(f, "# %llu packets", (unsigned long long)r->packets);
	by_kind_text(f, r->kpkts);
	fprintf(f, " in %u flow%s", r->nflows, r->nflows == 1 ? "" : "s");
	by_kind_text(f, kf);
}

/* Two comment lines: what was read, and what was not used. */
void
report_capture_text(FILE *f, const struct report *r)
{
	char when[64], dur[32];
	const char *sep = "";

	utc_str(r->t0, when, sizeof(when));
	report_dur(r->duration, dur, sizeof(dur));
	fprintf(f, "# %s: %s, %s, %llu frame%s over %s from %s\n", r->capture,
	    r->format, r->linkname, (unsigned long long)r->frames, r->frames == 1 ? "" : "s",
	    dur, r->frames ? when : "-");
	report_counts_text(f, r);
	if (r->stray)
		fprintf(f, " and %llu of no flow", (unsigned long long)r->stray);
	if (r->not_tracked)
		fprintf(f, "; skipped %llu not tracked (ICMP neither query nor error, "
		    "no next header)", (unsigned long long)r->not_tracked);
	if (r->fragments)
		fprintf(f, "; skipped %llu later fragments", (unsigned long long)r->fragments);
	if (r->not_ip)
		fprintf(f, "; skipped %llu not IP", (unsigned long long)r->not_ip);
	if (malformed(r)) {
		fprintf(f, "; malformed %llu (", (unsigned long long)malformed(r));
		if (r->link_truncated) {
			fprintf(f, "link_truncated %llu", (unsigned long long)r->link_truncated);
			sep = ", ";
		}
		for (unsigned i = 0; i < DEC__MAX; i++)
			if (r->decode[i]) {
				fprintf(f, "%s%s %llu", sep, decode_err_name(i),
				    (unsigned long long)r->decode[i]);
				sep = ", ";
			}
		fprintf(f, ")");
	}
	if (r->vlan)
		fprintf(f, "; %llu VLAN-tagged", (unsigned long long)r->vlan);
	if (r->tunneled)
		fprintf(f, "; %llu in %u tunnel%s", (unsigned long long)r->tunneled,
		    r->ntunnels, r->ntunnels == 1 ? "" : "s");
	fprintf(f, "\n");
	if (r->reordered)
		fprintf(f, "# %llu packets out of time order (two interfaces merged?): put back "
		    "in order\n", (unsigned long long)r->reordered);
	if (r->backwards)
		fprintf(f, "# %llu packets too late to put back in order: taken at the last "
		    "time\n", (unsigned long long)r->backwards);
	if (r->bad_time)
		fprintf(f, "# %llu records with a fraction of a second out of range: taken at "
		    "the whole second\n", (unsigned long long)r->bad_time);
	if (r->tso)
		fprintf(f, "# %llu TSO/GSO segments (IP length 0 or past the frame): taken at "
		    "their captured length\n", (unsigned long long)r->tso);
	if (r->ref_evicted)
		fprintf(f, "# the flow table (%u) filled: %u closed flows forgotten early; "
		    "raise --max-flows\n", r->ref_max_flows, r->ref_evicted);
	if (r->damaged)
		fprintf(f, "# DAMAGED: %s; the report covers everything before it\n",
		    r->damage);
}

void
report_capture_json(FILE *f, const struct report *r)
{
	char s[64];
	const char *sep = "";

	fprintf(f, "{\"type\":\"capture\",\"file\":");
	fw_json_str_file(f, r->capture);
	fprintf(f, ",\"format\":\"%s\",\"link\":", r->format);
	fw_json_str_file(f, r->linkname);
	if (r->frames) {
		fw_secs_str(r->t0, s, sizeof(s));
		fprintf(f, ",\"start\":%s", s);
		utc_str(r->t0, s, sizeof(s));
		fprintf(f, ",\"start_utc\":\"%s\"", s);
	} else {
		fprintf(f, ",\"start\":null,\"start_utc\":null");
	}
	fw_secs_str(r->duration, s, sizeof(s));
	fprintf(f, ",\"duration\":%s,\"frames\":%llu,\"packets\":%llu", s,
	    (unsigned long long)r->frames, (unsigned long long)r->packets);
	for (unsigned k = 0; k < NBK__MAX; k++)
		fprintf(f, ",\"%s_packets\":%llu", nb_kind_name(k), (unsigned long long)r->kpkts[k]);
	fprintf(f, ",\"not_tracked\":%llu,\"fragments\":%llu,\"not_ip\":%llu,\"flows\":%u",
	    (unsigned long long)r->not_tracked, (unsigned long long)r->fragments,
	    (unsigned long long)r->not_ip, r->nflows);
	for (unsigned k = 0; k < NBK__MAX; k++)
		fprintf(f, ",\"%s_flows\":%u", nb_kind_name(k), r->kflows[k]);
	fprintf(f, ",\"stray_packets\":%llu,\"vlan_tagged\":%llu,\"time_backwards\":%llu,"
	    "\"time_reordered\":%llu,\"malformed\":{", (unsigned long long)r->stray,
	    (unsigned long long)r->vlan, (unsigned long long)r->backwards,
	    (unsigned long long)r->reordered);
	if (r->link_truncated) {
		fprintf(f, "\"link_truncated\":%llu", (unsigned long long)r->link_truncated);
		sep = ",";
	}
	for (unsigned i = 0; i < DEC__MAX; i++)
		if (r->decode[i]) {
			fprintf(f, "%s\"%s\":%llu", sep, decode_err_name(i),
			    (unsigned long long)r->decode[i]);
			sep = ",";
		}
	fprintf(f, "},\"flow_table\":%u,\"flow_table_evictions\":%u,\"damaged\":%s,\"damage\":",
	    r->ref_max_flows, r->ref_evicted, r->damaged ? "true" : "false");
	if (r->damaged)
		fw_json_str_file(f, r->damage);
	else
		fprintf(f, "null");
	fprintf(f, "}\n");
}

bool
report_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(fileno(f)) && (nc == NULL || nc[0] == '\0');
}

/* "NAME,key=value,..." is NAME with those --set; a path that exists is
 * taken whole even with commas in it. The spec's own settings come after
 * the common --set ones, so they win. */
int
report_policy_load(const char *spec, char *const *sets, int nsets,
    struct policy *p)
{
	char *copy, *name, *tok, *save = NULL, **all;
	int n = 0, rc;

	if (strchr(spec, ',') == NULL || access(spec, F_OK) == 0)
		return profile_load(spec, sets, nsets, p);
	if ((copy = strdup(spec)) == NULL)
		fatal("strdup");
	if ((all = calloc((size_t)nsets + strlen(spec) + 1, sizeof(*all))) == NULL)
		fatal("calloc");
	for (int i = 0; i < nsets; i++)
		all[n++] = sets[i];
	name = strtok_r(copy, ",", &save);
	while ((tok = strtok_r(NULL, ",", &save)) != NULL)
		all[n++] = tok;
	rc = profile_load(name ? name : spec, all, n, p);
	free(all);
	free(copy);
	return rc;
}

int
report_capture_arg(const char *cmd, int argc, char **argv, int first,
    const char **capture)
{
	if (first >= argc) {
		log_warnx("%s: which capture?", cmd);
		return -1;
	}
	*capture = argv[first++];
	if (first < argc) {
		log_warnx("%s: unexpected argument '%s'", cmd, argv[first]);
		return -1;
	}
	return 0;
}
