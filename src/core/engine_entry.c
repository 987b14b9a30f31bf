/* engine_entry.c -- the ways in: one packet, a burst (decoded and hashed
 * first, then pipelined behind prefetches), a timed burst, prepared
 * packets; and what did not decode. */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine_int.h"

/* A packet that did not decode: skipped or malformed (engine_int.h).
 * A transport header the kernel's conntrack calls INVALID (cut or
 * inconsistent: decode_err_invalid()) and malformed.action passes is
 * reported as such, its reason the decode error's; no flow is touched,
 * as the kernel drops the conntrack it had looked up or begun. */
enum verdict_action
engine_undecoded(struct engine *e, const struct nb_packet *p, enum decode_err err,
    uint64_t now, struct verdict *v)
{
	struct event ev;

	if (err == DEC_NOT_TCP || err == DEC_FRAGMENT) {
		e->st.skipped++;
		return engine_accept(e, v);
	}
	if (e->pol->malformed != BAD_DROP) {
		if (decode_err_invalid(err))
			engine_emit_invalid(e, p, NULL, DIR_ORIG, (uint16_t)(R_DECODE + err), now);
		return engine_accept(e, v);
	}
	v->action = V_DROP;
	v->reason = (uint16_t)(R_DECODE + err);
	e->st.dropped++;
	e->st.reason[v->reason]++;
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_DROP;
	ev.flow = FLOW_NIL;
	ev.ts = now;
	ev.timeout = EV_NO_TIMEOUT;
	ev.reason = v->reason;
	engine_emit(e, &ev);
	return V_DROP;
}

/* Everything after decoding and hashing: shared by the single-packet
 * and burst entry points. */
static inline enum verdict_action
process(struct engine *e, const struct nb_packet *p, uint32_t hash,
    uint64_t now, struct verdict *v)
{
	if (__builtin_expect(p->kind == NBK_ICMP, 0) && !p->icmp_error && !decode_icmp_query(p))
		return engine_icmp_invalid(e, p, now, v);
	if (__builtin_expect(e->nat != NULL, 0) && p->family == 4)
		return engine_nat_process(e, p, hash, now, v);
	return engine_track(e, p, hash, now, v);
}

enum verdict_action
engine_process(struct engine *e, const uint8_t *buf, size_t caplen,
    uint64_t now, struct verdict *v)
{
	if (e->retime)
		retime_flows(e, now);
	struct nb_packet p;
	enum decode_err err;

	verdict_init(e, v);
	err = decode_packet(buf, caplen, &p);
	e->st.decode[err]++;
	if (err != DEC_OK)
		return engine_undecoded(e, &p, err, now, v);
	return process(e, &p, flowtab_hash(e->ft, &p), now, v);
}

/* Bursts hide memory latency: with a million flows nearly every lookup
 * misses the cache (bucket, the flow, sometimes the next in its chain),
 * so the burst is decoded and hashed first, then run as a pipeline:
 * packet i's bucket is prefetched while packet i-D's first flow and
 * packet i-2D's chain successor are, and packet i-3D is processed.
 * Verdicts are exactly those of engine_process() packet by packet:
 * prefetches are only hints, and processing stays in order (expiry
 * between packets of a timed burst included: it only changes what a
 * prefetch finds useful). One of pkts (one clock, now) and tp (a time
 * and a tag per packet, verdicts to fn) is given. */
#define BURST_GROUP	64
#define PIPE_D		4

static void
run_burst(struct engine *e, const struct engine_pkt *pkts, const struct engine_tpkt *tp,
    unsigned n, uint64_t now, struct verdict *v, engine_verdict_fn fn, void *ctx)
{
	struct nb_packet own[BURST_GROUP];
	const struct nb_packet *p[BURST_GROUP];
	enum decode_err err[BURST_GROUP];
	uint32_t hash[BURST_GROUP], phash[BURST_GROUP];
	struct verdict tv;

	for (unsigned base = 0; base < n; base += BURST_GROUP) {
		unsigned m = n - base < BURST_GROUP ? n - base : BURST_GROUP;
		int i, j;

		for (i = 0; i < (int)m; i++) {
			const struct engine_prep *pr = tp ? tp[base + i].prep : NULL;

			if (pr && pr->keyid == e->keyid) {
				p[i] = &pr->p;
				err[i] = (enum decode_err)pr->err;
				hash[i] = pr->hash;
				continue;
			}
			p[i] = &own[i];
			err[i] = pkts ? decode_packet(pkts[base + i].buf, pkts[base + i].caplen, &own[i])
			    : decode_packet(tp[base + i].buf, tp[base + i].caplen, &own[i]);
			if (err[i] == DEC_OK)
				hash[i] = flowtab_hash(e->ft, &own[i]);
		}
		/* where to prefetch: a translated packet's flow is found
		 * under its inside view (the hash process() will compute) */
		for (i = 0; i < (int)m; i++)
			phash[i] = e->nat != NULL && err[i] == DEC_OK ?
			    engine_nat_prehash(e, p[i], hash[i]) : hash[i];
		/* A burst too short to hide anything (a shadow hands its
		 * engine single packets) goes through in order, unpiped. */
		const int d = m >= 2 * PIPE_D ? PIPE_D : 0;

		for (i = 0; i < (int)m + 3 * d; i++) {
			struct verdict *vj;

			if (d) {
				if (i < (int)m && err[i] == DEC_OK)
					flowtab_prefetch(e->ft, phash[i]);
				if ((j = i - d) >= 0 && j < (int)m && err[j] == DEC_OK) {
					flowtab_prefetch_flow(e->ft, phash[j], 0);
					/* kernel mode: the first flow's memory
					 * beside the table, as early */
					const struct flow *h = e->klast != NULL ?
					    flowtab_peek(e->ft, phash[j]) : NULL;

					if (h != NULL)
						__builtin_prefetch(e->klast + flowtab_index(e->ft, h), 1);
				}
				if ((j = i - 2 * d) >= 0 && j < (int)m && err[j] == DEC_OK) {
					const struct flow *f;

					flowtab_prefetch_flow(e->ft, phash[j], 1);
					f = flowtab_peek(e->ft, phash[j]);
					if (e->watch.ahead && f != NULL)
						e->watch.ahead(e->watch.ctx, f);
					if (e->nat != NULL && f != NULL)
						__builtin_prefetch(&e->fnat[flowtab_index(e->ft, f)]);
				}
			}
			if ((j = i - 3 * d) < 0 || j >= (int)m)
				continue;
			if (tp) {
				now = tp[base + j].now;
				if (e->retime || !wheel_idle(&e->wheel, now))
					engine_expire(e, now, UINT_MAX);
				/* engine_process()'s own step of a re-time */
				if (e->retime)
					retime_flows(e, now);
				e->tag = tp[base + j].tag;
				vj = &tv;
			} else {
				vj = &v[base + j];
			}
			verdict_init(e, vj);
			e->st.decode[err[j]]++;
			if (err[j] != DEC_OK)
				engine_undecoded(e, p[j], err[j], now, vj);
			else
				process(e, p[j], hash[j], now, vj);
			if (tp) {
				e->tag = EV_TAG_NONE;
				fn(ctx, &tp[base + j], vj);
			}
		}
	}
}

void
engine_process_burst(struct engine *e, const struct engine_pkt *pkts,
    unsigned n, uint64_t now, struct verdict *v)
{
	if (e->retime)
		retime_flows(e, now);
	run_burst(e, pkts, NULL, n, now, v, NULL, NULL);
}

void
engine_prepare(const struct engine *e, const struct engine_tpkt *pkts, unsigned n,
    struct engine_prep *out)
{
	for (unsigned i = 0; i < n; i++) {
		enum decode_err err = decode_packet(pkts[i].buf, pkts[i].caplen, &out[i].p);

		out[i].err = (uint8_t)err;
		out[i].hash = err == DEC_OK ? flowtab_hash(e->ft, &out[i].p) : 0;
		out[i].keyid = e->keyid;
	}
}

void
engine_process_timed(struct engine *e, const struct engine_tpkt *pkts,
    unsigned n, engine_verdict_fn fn, void *ctx)
{
	run_burst(e, NULL, pkts, n, 0, NULL, fn, ctx);
}
