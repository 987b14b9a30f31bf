/* report.c -- the offline pass: capture in, a reference tracker delimits flows, one engine per profile (each on its own thread) judges them. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pcapin.h"
#include "report.h"
#include "report_pass.h"

/*
 * The reader (the calling thread) decodes each frame's link header and
 * copies it into a chunk, then decodes and hashes the chunk's packets
 * once for every engine. The reference's thread runs the chunk through
 * the reference engine to learn each packet's flow; then every profile's
 * thread runs its engine over it. Chunks go round a ring, in order
 * through each stage, and the reader refills a chunk once every profile
 * is done with it. So the capture is read once, the
 * reference runs once, and profiles run in parallel, each exactly as if
 * alone: engines share nothing but the (read-only) packets.
 *
 * Capture time is the clock: ns from the first frame, never going back
 * (a frame older than its predecessor is taken at the predecessor's
 * time). Engines take a chunk at a time (engine_process_timed: it
 * prefetches ahead, which a million flows need), expiring what is due
 * before each packet, so expiries interleave with packets as they would
 * have inline. Each packet's verdict and events carry its index in the
 * chunk (the tag), which leads to its reference flow.
 *
 * Most profiles do not run their engine over every packet: they shadow
 * the reference (report_shadow.c), from a trace of what its tracker did
 * (report_trace.c), and hand a flow to their engine only where they part
 * from it.
 *
 * The parts: report_read.c reads the capture into chunks, report_ring.c
 * moves them between the threads, report_ref.c is the reference,
 * report_judge.c each profile's verdicts and totals, report_mem.c the
 * growing arrays. This file sets a pass up, runs it, gathers its results.
 */

/* NATBOX_SHADOW=0 runs every profile's engine over every packet: the
 * slow, obviously exact way, which the tests compare the shadows with. */
static bool
shadow_allowed(void)
{
	const char *v = getenv("NATBOX_SHADOW");

	return v == NULL || strcmp(v, "0") != 0;
}

/*
 * A profile whose shadow gave up (its table came near full, where the
 * engine's count over all flows decides) is judged again by a pass of its
 * own with the full engine, over the same capture: the reference finds
 * the same flows, so its results drop into place.
 */
static int
rerun_failed_shadows(const struct report_opts *o, struct report *r)
{
	struct report_opts o2 = *o;
	struct policy **pols;
	const char **labels;
	unsigned *idx, n = 0;
	struct report *r2;
	int rc;

	if (r->nprof == 0)
		return 0;
	pols = report_xrealloc(NULL, r->nprof, sizeof(*pols));
	labels = report_xrealloc(NULL, r->nprof, sizeof(*labels));
	idx = report_xrealloc(NULL, r->nprof, sizeof(*idx));

	for (unsigned i = 0; i < r->nprof; i++) {
		if (!r->prof[i].shadow_failed)
			continue;
		pols[n] = o->pols[i];
		labels[n] = r->prof[i].label;
		idx[n++] = i;
	}
	if (n == 0) {
		rc = 0;
		goto done;
	}
	o2.pols = pols;
	o2.labels = labels;
	o2.npol = n;
	o2.shadow = false;
	o2.zeek = false;	/* r has them */
	if ((rc = report_run(&o2, &r2)) < 0)
		goto done;
	for (unsigned k = 0; k < n; k++) {
		struct rprof *a = &r->prof[idx[k]], *b = &r2->prof[k], t;
		bool own_a = a->pol == &a->polcopy, own_b = b->pol == &b->polcopy;

		/* the engines are done with: only their stats (in st) count */
		engine_free(a->e);
		engine_free(b->e);
		a->e = b->e = NULL;
		t = *a;
		*a = *b;
		*b = t;
		if (own_b)
			a->pol = &a->polcopy;
		if (own_a)
			b->pol = &b->polcopy;
	}
	report_free(r2);
	rc = 0;
done:
	free(pols);
	free(labels);
	free(idx);
	return rc < 0 ? -1 : 0;
}

/* Open the capture and size the pass to it: NULL (said) if it cannot be
 * read. */
static struct report *
pass_open(struct pass *ps, const struct report_opts *o)
{
	struct report *r;
	char err[512];

	memset(ps, 0, sizeof(*ps));
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->capture = o->capture;
	ps->r = r;
	ps->o = o;
	ps->killed_tag = EV_TAG_NONE;
	if ((ps->in = pcapin_open(o->capture, err, sizeof(err))) == NULL) {
		log_warnx("%s: %s", o->capture, err);
		free(r);
		return NULL;
	}
	r->format = pcapin_format(ps->in);
	r->linkname = pcapin_linkname(ps->in);
	r->ref_max_flows = ref_size(o->capture, o->max_flows);
	ps->nchunks = ring_size(o->capture);
	if (o->zeek && (r->zc = zconn_new(r->ref_max_flows < 65536 ? r->ref_max_flows : 65536)) == NULL)
		fatal("zconn_new");
	return r;
}

/* An engine per profile, and a shadow for each that can have one. */
static int
profs_setup(struct pass *ps, const uint64_t seed[2])
{
	const struct report_opts *o = ps->o;
	struct report *r = ps->r;

	r->nprof = o->npol;
	if (r->nprof == 0)
		return 0;
	if ((r->prof = calloc(r->nprof, sizeof(*r->prof))) == NULL)
		fatal("calloc");
	for (unsigned i = 0; i < r->nprof; i++)
		if (prof_setup(ps, &r->prof[i], i, seed) < 0)
			return -1;
	if (o->shadow && shadow_allowed() && !o->timeline && o->events == NULL &&
	    o->write_dropped == NULL && flows_bound(o->capture) != UINT64_MAX)
		shadow_setup(ps);
	return 0;
}

/* The tunnels' names, for the flows (the reader is closed before the
 * report is printed). */
static void
gather_tunnels(struct pass *ps)
{
	struct report *r = ps->r;
	char buf[128];

	r->ntunnels = pcapin_tunnels(ps->in);
	if (r->ntunnels == 0)
		return;
	r->tunnels = report_xrealloc(NULL, r->ntunnels, sizeof(*r->tunnels));
	for (uint16_t i = 0; i < r->ntunnels; i++) {
		pcapin_tunnel_name(pcapin_tunnel_at(ps->in, (uint16_t)(i + 1)), buf, sizeof(buf));
		if ((r->tunnels[i] = strdup(buf)) == NULL)
			fatal("strdup");
	}
}

const char *
report_tunnel(const struct report *r, const struct rflow *f)
{
	return f->tun == 0 || f->tun > r->ntunnels ? NULL : r->tunnels[f->tun - 1];
}

/* After the threads: what the capture held, each profile's totals; the
 * dropped frames' file closed, the event buffer freed. */
static void
pass_gather(struct pass *ps)
{
	struct report *r = ps->r;
	const struct pcapin_stats *st = pcapin_stats(ps->in);
	const struct engine_stats *es = engine_stats(ps->ref);

	r->frames = st->frames;
	r->ip = st->ip;
	r->not_ip = st->not_ip;
	r->link_truncated = st->link_truncated;
	r->vlan = st->vlan;
	r->tunneled = st->tunneled;
	r->bad_time = st->bad_time;
	gather_tunnels(ps);
	r->packets = es->decode[DEC_OK];
	r->not_tracked = es->decode[DEC_NOT_TCP];
	/* Packets by protocol from the flows' counts, not counted one by one
	 * on the reference's thread: an ICMP error counted for the flow it
	 * quotes is ICMP's; packets of no flow were counted by kind. */
	for (uint32_t i = 0; i < r->nflows; i++) {
		const struct rflow *f = &r->flows[i];
		unsigned k = f->kind < NBK__MAX ? f->kind : NBK_OTHER;

		r->kflows[k]++;
		r->kpkts[k] += (uint64_t)f->pkts[0] + f->pkts[1];
	}
	for (unsigned k = 0; k < NBK__MAX; k++) {
		r->kpkts[k] += ps->stray_kind[k] - ps->icmp_about[k];
		r->kpkts[NBK_ICMP] += ps->icmp_about[k];
	}
	r->fragments = es->decode[DEC_FRAGMENT];
	memcpy(r->decode, es->decode, sizeof(r->decode));
	r->decode[DEC_OK] = r->decode[DEC_NOT_TCP] = r->decode[DEC_FRAGMENT] = 0;
	for (unsigned i = 0; i < r->nprof; i++) {
		struct rprof *p = &r->prof[i];

		prof_totals(p, r);
		if (p->dump) {
			r->dumped = pcapout_count(p->dump);
			if (pcapout_close(p->dump) < 0) {
				log_warn("%s", ps->o->write_dropped);
				p->failed = true;
			}
			p->dump = NULL;
		}
		if (p->evb) {
			evbuf_free(p->evb);
			p->evb = NULL;
		}
	}
}

int
report_run(const struct report_opts *o, struct report **out)
{
	/* One key for every engine: identical hashing, and runs repeat. */
	static const uint64_t seed[2] = { 0x6e6174626f782d72ULL, 0x65706c6179000001ULL };
	struct report *r;
	struct pass ps;
	int rc = -1;

	*out = NULL;
	if ((r = pass_open(&ps, o)) == NULL)
		return -1;
	if (ref_setup(&ps, seed) < 0)
		goto out;
	ring_init(&ps);
	if (profs_setup(&ps, seed) < 0)
		goto out;
	ring_run(&ps);
	shadow_free(&ps);
	pass_gather(&ps);
	report_labels(r);
	rc = r->damaged ? 1 : 0;
	for (unsigned i = 0; i < r->nprof; i++)
		if (r->prof[i].failed)
			rc = 1;
	if (rerun_failed_shadows(o, r) < 0)
		rc = -1;
out:
	shadow_free(&ps);
	ring_free(&ps);
	engine_free(ps.ref);
	pcapin_close(ps.in);
	if (rc < 0) {
		report_free(r);
		return -1;
	}
	*out = r;
	return rc;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	for (unsigned i = 0; i < r->nprof; i++) {
		struct rprof *p = &r->prof[i];

		engine_free(p->e);
		free(p->hit_of);
		free(p->pend);
		free(p->hits);
		free(p->map);
		free(p->marks.v);
		prof_nat_free(p);
		if (p->dump)
			pcapout_close(p->dump);
		if (p->evb)
			evbuf_free(p->evb);
	}
	free(r->prof);
	for (uint16_t i = 0; i < r->ntunnels; i++)
		free(r->tunnels[i]);
	free(r->tunnels);
	free(r->flows);
	zconn_free(r->zc);
	free(r->flow_zc);
	free(r->gaps);
	free(r->marks.v);
	free(r);
}
