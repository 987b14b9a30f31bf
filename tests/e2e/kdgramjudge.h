/* kdgramjudge.h -- kdgramgen's judge: natbox's events, INVALID marks and expiry times against the kernel's, per flow (header-only). */
#ifndef NATBOX_E2E_KDGRAMJUDGE_H
#define NATBOX_E2E_KDGRAMJUDGE_H

#include "kjnflog.h"

#define KDJ_SEQ	192

struct kdjflow {
	uint64_t mono[KD_MAX_PKTS + 1], real[KD_MAX_PKTS + 1];	/* send times, [1..n] */
	char kseq[KDJ_SEQ], nseq[KDJ_SEQ];
	char klast[12], nlast[12];
	uint32_t kinv, ninv;		/* bit k: packet k+1 INVALID */
	uint64_t kend, nend;		/* the last DESTROY: real, monotonic ns */
};

static struct kdjflow kdj[KD_MAX_FLOWS];
/* A group's events: from its start to its end and its longest timer (7 s)
 * past it; s20 waits 10 s before the next group. */
#define KDJ_AFTER_NS	9000000000ULL
static uint64_t kdj_start_mono, kdj_start_real, kdj_end_mono = UINT64_MAX,
    kdj_end_real = UINT64_MAX;

static void
kdj_add(char *seq, char *last, const char *w)
{
	if (strcmp(last, w) == 0)
		return;
	snprintf(last, 12, "%s", w);
	if (strlen(seq) + strlen(w) + 2 < KDJ_SEQ) {
		if (seq[0])
			strcat(seq, " ");
		strcat(seq, w);
	}
}

/* The packet of flow j sent last at or before t (real or monotonic). */
static unsigned
kdj_pkt_at(const struct kdjflow *j, uint64_t t, bool real)
{
	unsigned k = 0;

	for (unsigned q = 1; q <= KD_MAX_PKTS; q++) {
		uint64_t s = real ? j->real[q] : j->mono[q];

		if (s && s <= t && (k == 0 || s >= (real ? j->real[k] : j->mono[k])))
			k = q;
	}
	return k;
}

static uint64_t
kdj_last(const struct kdjflow *j, bool real)
{
	uint64_t m = 0;

	for (unsigned q = 1; q <= KD_MAX_PKTS; q++)
		if ((real ? j->real[q] : j->mono[q]) > m)
			m = real ? j->real[q] : j->mono[q];
	return m;
}

static int
kdj_read_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned i, k;
	unsigned long long a, b;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "start %llu %llu", &a, &b) == 2) {
			kdj_start_mono = a;
			kdj_start_real = b;
		} else if (sscanf(line, "end %llu %llu", &a, &b) == 2) {
			kdj_end_mono = a + KDJ_AFTER_NS;
			kdj_end_real = b + KDJ_AFTER_NS;
		} else if (sscanf(line, "pkt %u %u %llu %llu", &i, &k, &a, &b) == 4 &&
		    i < kd_nflows && k >= 1 && k <= KD_MAX_PKTS) {
			kdj[i].mono[k] = a;
			kdj[i].real[k] = b;
		}
	}
	fclose(f);
	return 0;
}

/* The flow of a text address among "key=ADDR" / "key":"ADDR". */
static int
kdj_flow_addr(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	char a[64];
	uint8_t b[16];
	size_t n = 0;

	if (!p)
		return -1;
	p += strlen(key);
	while (*p && strchr("0123456789abcdefABCDEF:.", *p) && n + 1 < sizeof(a))
		a[n++] = *p++;
	a[n] = '\0';
	if (inet_pton(AF_INET, a, b) == 1)
		return kd_flow_of(b, 4);
	if (inet_pton(AF_INET6, a, b) == 1)
		return kd_flow_of(b, 6);
	return -1;
}

static int
kdj_line_flow(const char *line, const char *skey, const char *dkey)
{
	int i = kdj_flow_addr(line, skey);

	if (i < 0)
		i = kdj_flow_addr(line, dkey);
	return i >= 0 && (unsigned)i < kd_nflows ? i : -1;
}

static int
kdj_read_events(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *ts = strstr(line, "\"ts\":");
		int i = kdj_line_flow(line, "\"src\":\"", "\"dst\":\"");
		struct kdjflow *j;
		uint64_t t;

		if (!ts || i < 0)
			continue;
		j = &kdj[i];
		t = (uint64_t)(strtod(ts + 5, NULL) * 1e9 + 0.5);
		if (t + 500000000 < kdj_start_mono || t > kdj_end_mono)
			continue;	/* an earlier or a later group's */
		if (strstr(line, "\"event\":\"new\"")) {
			kdj_add(j->nseq, j->nlast, "NEW");
		} else if (strstr(line, "\"event\":\"update\"") && strstr(line, "REPLIED\"")) {
			kdj_add(j->nseq, j->nlast, "ASSURED");
		} else if (strstr(line, "\"event\":\"end\"") && !strstr(line, "\"reason\":\"flush\"")) {
			kdj_add(j->nseq, j->nlast, "DESTROY");
			j->nend = t;
		} else if (strstr(line, "\"event\":\"invalid\"") ||
		    (strstr(line, "\"event\":\"drop\"") && strstr(line, "\"reason\":\"invalid"))) {
			unsigned k = kdj_pkt_at(j, t, false);

			if (k)
				j->ninv |= 1u << (k - 1);
		}
	}
	fclose(f);
	return 0;
}

/* conntrack -E -o timestamp: "[SEC.USEC]\t[NEW] udp 17 3 src=.. dst=.." */
static int
kdj_read_ct(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		int i = kdj_line_flow(line, "src=", "dst=");
		uint64_t t = line[0] == '[' ? (uint64_t)(strtod(line + 1, NULL) * 1e9) : 0;
		struct kdjflow *j;

		if (i < 0 || (t && (t + 500000000 < kdj_start_real || t > kdj_end_real)))
			continue;
		j = &kdj[i];
		if (strstr(line, "[NEW]")) {
			kdj_add(j->kseq, j->klast, "NEW");
		} else if (strstr(line, "[UPDATE]") && strstr(line, "[ASSURED]")) {
			kdj_add(j->kseq, j->klast, "ASSURED");
		} else if (strstr(line, "[DESTROY]")) {
			kdj_add(j->kseq, j->klast, "DESTROY");
			j->kend = t;
		}
	}
	fclose(f);
	return 0;
}

/* The NFLOG copy's length says which packet of its flow it is
 * (kd_build()); its time does not (NFLOG batches), but records from
 * outside the group's time are another group's. */
static void
kdj_nflog_pkt(const uint8_t *ip, uint32_t len, uint64_t t, void *arg)
{
	int i = -1;

	(void)arg;
	if (len < ((ip[0] >> 4) == 6 ? 40u : 20u))
		return;
	if ((ip[0] >> 4) == 6 && (i = kd_flow_of(ip + 8, 6)) < 0)
		i = kd_flow_of(ip + 24, 6);
	else if ((ip[0] >> 4) == 4 && (i = kd_flow_of(ip + 12, 4)) < 0)
		i = kd_flow_of(ip + 16, 4);
	if (i >= 0 && (unsigned)i < kd_nflows && t >= kdj_start_real && t <= kdj_end_real) {
		uint32_t l4 = (ip[0] >> 4) == 6 ? kj_rd(ip + 4, 2, 0) :
		    kj_rd(ip + 2, 2, 0) - (ip[0] & 15u) * 4;

		if (l4 / 64 < kd_flows[i].npkts)
			kdj[i].kinv |= 1u << (l4 / 64);
	}
}

/* The last DESTROY's delay after the flow's last packet, ms (-1: none). */
static long
kdj_end_ms(const struct kdjflow *j, bool kernel)
{
	uint64_t e = kernel ? j->kend : j->nend, l = kdj_last(j, kernel);

	if (!e || e < l)
		return -1;
	return (long)((e - l) / 1000000);
}

static int
kd_judge(const char *list, const char *log, const char *events, const char *ct,
    const char *nflog, int show, int tol)
{
	unsigned st = 0, inv = 0, tim = 0, all = 0, shown = 0, kn[KD__N] = { 0 }, ka[KD__N] = { 0 };

	if (kd_read(list) != 0 || kdj_read_log(log) != 0 || kdj_read_events(events) != 0 ||
	    kdj_read_ct(ct) != 0 || kj_nflog_each(nflog, kdj_nflog_pkt, NULL) != 0)
		return 2;
	for (unsigned i = 0; i < kd_nflows; i++) {
		struct kdjflow *j = &kdj[i];
		long ke = kdj_end_ms(j, true), ne = kdj_end_ms(j, false);
		bool s = strcmp(j->kseq, j->nseq) == 0, v = j->kinv == j->ninv;
		bool t = (ke < 0) == (ne < 0) && (ke < 0 || labs(ke - ne) <= tol);
		char ki[64], ni[64];

		st += s, inv += v, tim += t, all += s && v && t;
		kn[kd_flows[i].kind]++;
		ka[kd_flows[i].kind] += s && v && t;
		if ((s && v && t) || (show >= 0 && (int)shown >= show))
			continue;
		shown++;
		kj_inv_str(j->kinv, ki, sizeof(ki));
		kj_inv_str(j->ninv, ni, sizeof(ni));
		printf("DISAGREE %s %s v%d: kernel [%s] invalid {%s} end +%ldms; natbox [%s] invalid {%s} "
		    "end +%ldms\n", kd_flows[i].name, kd_kind_names[kd_flows[i].kind],
		    kd_flows[i].family, j->kseq, ki, ke, j->nseq, ni, ne);
		kd_print_flow(stdout, &kd_flows[i]);
	}
	printf("by kind:");
	for (int k = 0; k < KD__N; k++)
		if (kn[k])
			printf(" %s %u/%u", kd_kind_names[k], ka[k], kn[k]);
	printf("\n");
#define PCT(x) (x), 100.0 * (x) / (kd_nflows ? kd_nflows : 1)
	printf("flows %u: states agree %u (%.1f%%), INVALID sets agree %u (%.1f%%), expiry times "
	    "agree %u (%.1f%%), all %u (%.1f%%)\n", kd_nflows, PCT(st), PCT(inv), PCT(tim), PCT(all));
#undef PCT
	return all == kd_nflows ? 0 : 1;
}

#endif
