/* report_pass.h -- the offline pass's insides, shared by the report*.c files that make it (not an interface). */
#ifndef NATBOX_REPORT_PASS_H
#define NATBOX_REPORT_PASS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine_shadow.h"
#include "report.h"

#define CHUNK_PKTS	16384
#define CHUNK_BYTES	(CHUNK_PKTS * 160)
#define NCHUNKS		32	/* the ring's most chunks (ring_size()) */
#define REF_TIMEOUT	(100ULL * 365 * 86400 * NS_PER_SEC)
#define REF_FLOWS_MIN	1024u
#define REF_FLOWS_MAX	(1u << 20)
#define REF_FLOWS_PIPE	(1u << 20)	/* stdin: size unknown */
#define MARKS_MAX	(4u << 20)	/* timeline entries per engine */

struct rpkt {
	uint64_t ts;		/* ns from the first frame (never decreasing) */
	uint64_t abs;		/* the frame's own time, for --write-dropped */
	uint32_t off;		/* frame offset in the chunk's data */
	uint32_t caplen, wirelen, l3off;
	uint32_t flow;		/* reference flow, RFLOW_NONE */
	uint16_t tun;		/* its tunnel (pcapin_pkt.tun) */
	uint32_t zc;		/* its Zeek connection (fed in file order), or ZC_NONE */
	uint8_t moved;		/* put back in time order (report_read.c) */
};

struct chunk {
	struct rpkt *pk;
	struct engine_tpkt *tp;	/* pk[i] for the engines, tag i */
	struct engine_prep *prep;	/* pk[i] decoded and hashed, for all */
	unsigned n;
	uint8_t *data;
	size_t used, cap;
	unsigned pending;	/* profiles not done with it (under mu) */
	/* with shadows: what the reference's tracker did (report_trace.h) */
	struct rtrace *tr;	/* per packet */
	struct rpre *pre;	/* per packet: its flow before it */
	struct revict *ev;	/* flows it forgot, in packet order */
	unsigned nev, evcap;
};

struct shadows;

struct pass {
	struct report *r;
	const struct report_opts *o;
	struct pcapin *in;
	struct engine *ref;
	uint32_t killed;	/* flow a RST ended during packet killed_tag */
	uint32_t killed_tag;
	uint32_t nflows_before;	/* flows before the packet in hand */
	struct chunk *cur;	/* the chunk going through the reference */
	/* the ring */
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	struct chunk ch[NCHUNKS];
	unsigned nchunks;	/* in the ring: ch[0..nchunks) (ring_size()) */
	uint64_t read;		/* chunks the reader handed on */
	uint64_t produced;	/* chunks the reference is done with */
	bool read_done, done;
	uint64_t last;
	bool disorder;		/* the capture went back in time: hold back
				 * (report_read.c) */
	uint64_t last_ip;	/* the last packet the engines got (not a
				 * non-IP frame after it) */
	struct shadows *sh;	/* profiles shadowing the reference, or NULL */
	/* the reference's thread: for the packet counts by protocol */
	uint64_t icmp_about[NBK__MAX];	/* ICMP errors about a flow of a kind */
	uint64_t stray_kind[NBK__MAX];	/* packets of no flow, by kind */
};

/* report_mem.c: memory */
/* madvise(MADV_HUGEPAGE) over the 2 MB pages inside [p, p + len) */
void report_hugepages(void *p, size_t len);
/* realloc of n * sz, huge pages hinted; out of memory is fatal */
void *report_xrealloc(void *p, size_t n, size_t sz);
/* a state change on a timeline, until the timeline is full */
void report_mark_add(struct rmarks *m, uint32_t flow, uint64_t ts, uint8_t state);

/* report_read.c: the capture */
/* The file's size; UINT64_MAX for a pipe. */
uint64_t capture_size(const char *path);
/* How many flows the file can hold at most; UINT64_MAX for a pipe. */
uint64_t flows_bound(const char *path);
/* The reader: every frame into the ring, then read_done. */
void pass_read(struct pass *ps);

/* report_ring.c: the ring and the threads */
unsigned ring_size(const char *path);	/* chunks in the ring for the file */
void ring_init(struct pass *ps);	/* ps->nchunks chunks */
void ring_free(struct pass *ps);
/* Hand the chunk being filled on, wait for the next to be free. */
struct chunk *ring_publish(struct pass *ps, struct chunk *c);
/* The profiles' threads and the reference's, the reader on this one,
 * until every profile is done. */
void ring_run(struct pass *ps);

/* report_ref.c: the reference tracker */
uint32_t ref_size(const char *path, uint32_t asked);	/* its table */
/* ps->ref, for r->ref_pol; -1 (said) if its table cannot be had. */
int ref_setup(struct pass *ps, const uint64_t seed[2]);
/* the reference's thread: a packet's verdict; a flow still open at the end */
void ref_verdict(void *ctx, const struct engine_tpkt *tp, const struct verdict *v);
/* its related hook (the shadows' trace calls it too) */
void ref_related(void *ctx, uint32_t tag, uint32_t idx, const struct flow *f,
    enum flow_dir dir, uint64_t now);
void ref_final(void *ctx, const struct flow *fl);

/* report_judge.c: each profile's judgement */
/* Profile i's engine (and its event stream, dropped-frames file). */
int prof_setup(struct pass *ps, struct rprof *p, unsigned i, const uint64_t seed[2]);
/* The profile's verdict sink: one packet of the chunk in hand. Also for
 * the packets a shadow hands to its engine. */
void report_prof_verdict(void *ctx, const struct engine_tpkt *tp, const struct verdict *vp);
/* After the pass: its counts over the flows, and its engine's stats. */
void prof_totals(struct rprof *p, const struct report *r);

/* report_nat.c: a translating profile's external endpoints */
/* Flow id got (EV_NEW) or moved to (EV_UPDATE, R_NAT_REBIND) the outside
 * tuple in ev; the first is the flow's, each later one a re-map. */
void prof_nat_event(struct rprof *p, uint32_t id, const struct event *ev);
/* After the pass: re-maps indexed by flow, the counts. */
void prof_nat_totals(struct rprof *p, uint32_t nflows);
void prof_nat_free(struct rprof *p);

/* report_shadow.c: profiles judged by shadowing the reference. */
void shadow_setup(struct pass *ps);	/* sets p->sh of each it takes */
/* a shadowed profile's thread */
void shadow_chunk(struct rprof *p, const struct chunk *c);
void shadow_end(struct pass *ps, struct rprof *p, uint64_t last);
/* after the threads: marks the profiles to judge again (shadow_failed) */
void shadow_free(struct pass *ps);

#endif
