/* ktcpjudge.h -- ktcpgen's judge: natbox's state sequences and INVALID marks against the kernel's, per flow (header-only). */
#ifndef NATBOX_E2E_KTCPJUDGE_H
#define NATBOX_E2E_KTCPJUDGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kjnflog.h"
#include "ktcpgen.h"

/* A DESTROY counts while the flow's packets are still coming (and a
 * little after): one later is a timer's. Timers are compared only when
 * KJ_TIMER_TOL_MS is set (s15's KDIFF_TIMERS): the first DESTROY after
 * that, as a delay from the flow's end, must agree within it. */
#define KJ_DESTROY_GRACE_NS	1500000000ULL
#define KJ_SEQ	256

struct kjflow {
	unsigned port;
	uint64_t t_pkt[KF_MAX_PKTS + 1];	/* monotonic send times, [1..n] */
	uint64_t end_mono, start_real, end_real;
	uint64_t kexp, nexp;			/* the timer's DESTROY: real, monotonic */
	char kseq[KJ_SEQ], nseq[KJ_SEQ];
	char klast[20], nlast[20];
	uint32_t kinv, ninv;			/* bit k: packet k+1 INVALID */
};

static struct kjflow kj[KF_MAX_FLOWS];
static unsigned kj_base;

static struct kjflow *
kj_by_port(unsigned sport, unsigned dport)
{
	unsigned p = sport == KF_SERVER_PORT ? dport : sport;

	if (p < kj_base || p - kj_base >= kf_nflows)
		return NULL;
	return &kj[p - kj_base];
}

/* Append a state word unless it repeats the last one. */
static void
kj_add(char *seq, char *last, const char *w)
{
	if (strcmp(last, w) == 0)
		return;
	snprintf(last, 20, "%s", w);
	if (strlen(seq) + strlen(w) + 2 < KJ_SEQ) {
		if (seq[0])
			strcat(seq, " ");
		strcat(seq, w);
	}
}

static int
kj_read_log(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned i, k, port;
	unsigned long long a, b;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "flow %u %u %llu", &i, &port, &a) == 3 && i < kf_nflows) {
			kj[i].port = port;
			kj[i].start_real = a;
			if (i == 0)
				kj_base = port;
		} else if (sscanf(line, "pkt %u %u %llu", &i, &k, &a) == 3 && i < kf_nflows &&
		    k <= KF_MAX_PKTS) {
			kj[i].t_pkt[k] = a;
		} else if (sscanf(line, "end %u %llu %llu", &i, &a, &b) == 3 && i < kf_nflows) {
			kj[i].end_mono = a;
			kj[i].end_real = b;
		}
	}
	fclose(f);
	return 0;
}

static const char *
kj_json(const char *line, const char *key, char *out, size_t cap)
{
	const char *p = strstr(line, key);
	size_t n = 0;

	if (!p)
		return NULL;
	p += strlen(key);
	if (*p == '"')
		p++;
	while (*p && *p != '"' && *p != ',' && *p != '}' && n + 1 < cap)
		out[n++] = *p++;
	out[n] = '\0';
	return out;
}

static int
kj_read_events(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], ev[16], st[20], sp[8], dp[8], ts[32];

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct kjflow *j;
		uint64_t t;

		if (!kj_json(line, "\"event\":", ev, sizeof(ev)) ||
		    !kj_json(line, "\"sport\":", sp, sizeof(sp)) ||
		    !kj_json(line, "\"dport\":", dp, sizeof(dp)) ||
		    !kj_json(line, "\"ts\":", ts, sizeof(ts)) ||
		    !kj_json(line, "\"state\":", st, sizeof(st)))
			continue;
		j = kj_by_port((unsigned)atoi(sp), (unsigned)atoi(dp));
		if (!j)
			continue;
		t = (uint64_t)(strtod(ts, NULL) * 1e9 + 0.5);
		if (strcmp(ev, "new") == 0 || strcmp(ev, "update") == 0) {
			kj_add(j->nseq, j->nlast, st);
		} else if (strcmp(ev, "end") == 0) {
			/* natbox's own flush when it stops is no event of the flow */
			if (strstr(line, "\"reason\":\"flush\""))
				continue;
			if (t <= j->end_mono + KJ_DESTROY_GRACE_NS)
				kj_add(j->nseq, j->nlast, "DESTROY");
			else if (j->nexp == 0)
				j->nexp = t;
		} else if (strcmp(ev, "invalid") == 0 ||
		    (strcmp(ev, "drop") == 0 && strstr(line, "\"reason\":\"invalid:"))) {
			/* invalid.action = drop reports them as drops */
			/* the packet natbox had in hand: the last sent before
			 * the event (packets go out far apart) */
			unsigned k = 0;

			for (unsigned q = 1; q <= KF_MAX_PKTS && j->t_pkt[q]; q++)
				if (j->t_pkt[q] <= t)
					k = q;
			if (k)
				j->ninv |= 1u << (k - 1);
		}
	}
	fclose(f);
	return 0;
}

/* conntrack -E -o timestamp: "[SEC.USEC]\t[NEW] tcp 6 120 SYN_SENT src=.. sport=.." */
static int
kj_read_ct(const char *path)
{
	static const char *const states[] = { "NONE", "SYN_SENT", "SYN_SENT2", "SYN_RECV",
		"ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE" };
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *sp = strstr(line, "sport="), *dp = strstr(line, "dport=");
		const char *st = NULL;
		bool destroy = strstr(line, "[DESTROY]") != NULL;
		double when = 0;
		struct kjflow *j;
		char *tok, *save = NULL;

		if (!sp || !dp)
			continue;
		j = kj_by_port((unsigned)atoi(sp + 6), (unsigned)atoi(dp + 6));
		if (!j)
			continue;
		if (line[0] == '[')
			when = strtod(line + 1, NULL);
		for (tok = strtok_r(line, " \t\n", &save); tok && !st; tok = strtok_r(NULL, " \t\n", &save))
			for (unsigned s = 0; s < sizeof(states) / sizeof(states[0]); s++)
				if (strcmp(tok, states[s]) == 0)
					st = states[s];
		if (destroy) {
			uint64_t t = (uint64_t)(when * 1e9);

			if (when == 0 || t <= j->end_real + KJ_DESTROY_GRACE_NS)
				kj_add(j->kseq, j->klast, "DESTROY");
			else if (j->kexp == 0)
				j->kexp = t;
		} else if (st) {
			kj_add(j->kseq, j->klast, st);
		}
	}
	fclose(f);
	return 0;
}

/* The NFLOG copy's urgent pointer is the packet's number in its flow;
 * a cut segment (trunc) is told by its length. */
static void
kj_nflog_tcp(const uint8_t *ip, uint32_t len, uint64_t t, void *arg)
{
	const uint8_t *th = (ip[0] >> 4) == 6 ? ip + 40 : ip + (ip[0] & 15) * 4;
	struct kjflow *j;
	unsigned urg;

	(void)t, (void)arg;
	if ((size_t)(th - ip) + 4 > len)
		return;
	j = kj_by_port(kj_rd(th, 2, 0), kj_rd(th + 2, 2, 0));
	if (j && (size_t)(th - ip) + 20 > len) {
		const struct kflow *fl = &kf_flows[j - kj];

		for (unsigned k = 0; k < fl->npkts; k++)
			if (fl->pkts[k].trunc == len - (uint32_t)(th - ip))
				j->kinv |= 1u << k;
		return;
	}
	if ((size_t)(th - ip) + 20 > len)
		return;
	urg = kj_rd(th + 18, 2, 0);
	if (j && urg >= 1 && urg <= KF_MAX_PKTS)
		j->kinv |= 1u << (urg - 1);
}

/* The timer's delay in ms after the flow's end ("-": none seen). */
static void
kj_exp_str(uint64_t exp, uint64_t end, char *b, size_t cap)
{
	if (exp == 0)
		snprintf(b, cap, "-");
	else
		snprintf(b, cap, "%.1fs", exp > end ? (double)(exp - end) / 1e9 : 0.0);
}

static bool
kj_timer_agrees(const struct kjflow *j, uint64_t tol_ns)
{
	uint64_t k, n;

	if (j->kexp == 0 || j->nexp == 0)
		return j->kexp == j->nexp;
	k = j->kexp > j->end_real ? j->kexp - j->end_real : 0;
	n = j->nexp > j->end_mono ? j->nexp - j->end_mono : 0;
	return (k > n ? k - n : n - k) <= tol_ns;
}

static int
kf_judge(const char *list, const char *log, const char *events, const char *ct,
    const char *nflog, int show)
{
	unsigned st_ok = 0, inv_ok = 0, both = 0, shown = 0, tm_ok = 0;
	const char *tol = getenv("KJ_TIMER_TOL_MS");
	char *end = NULL;
	unsigned long tol_ms = tol ? strtoul(tol, &end, 10) : 0;
	uint64_t tol_ns;

	if (tol && (end == tol || *end != '\0' || tol_ms == 0 || tol_ms > 60000)) {
		fprintf(stderr, "ktcpgen judge: KJ_TIMER_TOL_MS=%s: expected 1-60000 ms\n", tol);
		return 2;
	}
	tol_ns = (uint64_t)tol_ms * 1000000ULL;

	if (kf_read(list) != 0 || kj_read_log(log) != 0 || kj_read_events(events) != 0 ||
	    kj_read_ct(ct) != 0 || kj_nflog_each(nflog, kj_nflog_tcp, NULL) != 0)
		return 2;
	for (unsigned i = 0; i < kf_nflows; i++) {
		struct kjflow *j = &kj[i];
		bool s = strcmp(j->kseq, j->nseq) == 0, v = j->kinv == j->ninv;
		bool tm = !tol || kj_timer_agrees(j, tol_ns);
		char ki[64], ni[64], ke[16], ne[16];

		st_ok += s;
		inv_ok += v;
		tm_ok += tm;
		both += s && v && tm;
		kj_inv_str(j->kinv, ki, sizeof(ki));
		kj_inv_str(j->ninv, ni, sizeof(ni));
		kj_exp_str(j->kexp, j->end_real, ke, sizeof(ke));
		kj_exp_str(j->nexp, j->end_mono, ne, sizeof(ne));
		if (show < 0)	/* every flow, one line each */
			printf("%s %s (port %u): kernel [%s] invalid {%s} timer %s; natbox [%s] "
			    "invalid {%s} timer %s\n", s && v && tm ? "AGREE" : "DISAGREE",
			    kf_flows[i].name, j->port, j->kseq, ki, ke, j->nseq, ni, ne);
		if ((s && v && tm) || (int)shown >= show)
			continue;
		shown++;
		printf("DISAGREE %s (port %u): kernel [%s] invalid {%s} timer %s; natbox [%s] "
		    "invalid {%s} timer %s\n", kf_flows[i].name, j->port, j->kseq, ki, ke, j->nseq,
		    ni, ne);
		printf("flow %s %d\n", kf_flows[i].name, kf_flows[i].family);
		for (unsigned k = 0; k < kf_flows[i].npkts; k++)
			kf_print_pkt(stdout, &kf_flows[i].pkts[k]);
		printf("\n");
	}
	if (tol)
		printf("flows %u: states agree %u (%.1f%%), INVALID sets agree %u (%.1f%%), "
		    "timers agree %u (%.1f%%), both %u (%.1f%%)\n", kf_nflows, st_ok,
		    100.0 * st_ok / (kf_nflows ? kf_nflows : 1), inv_ok,
		    100.0 * inv_ok / (kf_nflows ? kf_nflows : 1), tm_ok,
		    100.0 * tm_ok / (kf_nflows ? kf_nflows : 1), both,
		    100.0 * both / (kf_nflows ? kf_nflows : 1));
	else
		printf("flows %u: states agree %u (%.1f%%), INVALID sets agree %u (%.1f%%), "
		    "both %u (%.1f%%)\n", kf_nflows, st_ok,
		    100.0 * st_ok / (kf_nflows ? kf_nflows : 1), inv_ok,
		    100.0 * inv_ok / (kf_nflows ? kf_nflows : 1), both,
		    100.0 * both / (kf_nflows ? kf_nflows : 1));
	return both == kf_nflows ? 0 : 1;
}

#endif
