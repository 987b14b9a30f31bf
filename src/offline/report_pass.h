/* report_pass.h -- the offline pass's insides, shared by report.c and report_shadow.c (not an interface). */
#ifndef NATBOX_REPORT_PASS_H
#define NATBOX_REPORT_PASS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine_shadow.h"
#include "report.h"

#define CHUNK_PKTS	16384
#define CHUNK_BYTES	(CHUNK_PKTS * 160)
#define NCHUNKS		32	/* the ring's most chunks (report.c, ring_size()) */
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
};

struct chunk {
	struct rpkt *pk;
	struct engine_tpkt *tp;	/* pk[i] for the engines, tag i */
	struct engine_prep *prep;	/* pk[i] decoded and hashed, for all */
	unsigned n;
	uint8_t *data;
	size_t used, cap;
	unsigned pending;	/* profiles not done with it (under mu) */
	/* with shadows: what the reference's tracker did (report_shadow.c) */
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
	uint64_t last_ip;	/* the last packet the engines got (not a
				 * non-IP frame after it) */
	struct shadows *sh;	/* profiles shadowing the reference, or NULL */
};

struct worker {
	struct pass *ps;
	struct rprof *p;
	pthread_t tid;
};


/* madvise(MADV_HUGEPAGE) over the 2 MB pages inside [p, p + len) */
void report_hugepages(void *p, size_t len);

/* report_shadow.c: profiles judged by shadowing the reference. */
void shadow_setup(struct pass *ps);	/* sets p->sh of each it takes */
/* a shadowed profile's thread */
void shadow_chunk(struct rprof *p, const struct chunk *c);
void shadow_end(struct pass *ps, struct rprof *p, uint64_t last);
/* after the threads: marks the profiles to judge again (shadow_failed) */
void shadow_free(struct pass *ps);
/* report.c's verdict sink for a profile, for the packets a shadow hands
 * to its engine. */
void report_prof_verdict(void *ctx, const struct engine_tpkt *tp, const struct verdict *vp);

#endif
