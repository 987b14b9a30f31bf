/* report_read.c -- the capture into the ring: each IP frame copied into a chunk, timed from the first frame (never going back); how many flows the file can hold. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pcapin.h"
#include "report_pass.h"

/*
 * A segment captured on a host that sends with TSO/GSO, before the NIC
 * cuts it: IPv4's total length (IPv6's payload length) 0 when it is over
 * 64 KB, or larger than the frame the capture says went out. Zeek and
 * tcpdump take the captured length then; so do we, in our copy of the
 * frame (1 if so), instead of calling the packet malformed. A frame the
 * snap length cut keeps its lengths: its wire length is the whole packet.
 */
static int
tso_fix(uint8_t *ip, uint32_t caplen, uint32_t wirelen)
{
	uint32_t len = wirelen > 0xffff ? 0xffff : wirelen;

	if (caplen != wirelen)
		return 0;
	if (caplen >= 20 && ip[0] >> 4 == 4 && (ip[0] & 0x0f) >= 5) {
		uint32_t tot = (uint32_t)ip[2] << 8 | ip[3];

		if (tot != 0 && tot <= wirelen)
			return 0;
		ip[2] = (uint8_t)(len >> 8);
		ip[3] = (uint8_t)len;
		return 1;
	}
	if (caplen >= 40 && ip[0] >> 4 == 6) {
		uint32_t pl = (uint32_t)ip[4] << 8 | ip[5];

		if ((pl != 0 && pl + 40 <= wirelen) || (pl == 0 && ip[6] == 0))
			return 0;	/* a jumbogram's hop-by-hop header: left as is */
		len = wirelen - 40 > 0xffff ? 0xffff : wirelen - 40;
		ip[4] = (uint8_t)(len >> 8);
		ip[5] = (uint8_t)len;
		return 1;
	}
	return 0;
}

/* A frame into the chunk being filled, handed on first if full. */
static void
chunk_add(struct pass *ps, struct chunk **cp, const struct pcapin_pkt *pk, uint64_t ts)
{
	struct chunk *c = *cp;
	struct rpkt *rp;

	if (c->n == CHUNK_PKTS || c->cap - c->used < pk->caplen) {
		if (c->n > 0)
			c = *cp = ring_publish(ps, c);
		if (c->cap < pk->caplen) {
			c->cap = pk->caplen;
			c->data = report_xrealloc(c->data, c->cap, 1);
		}
	}
	rp = &c->pk[c->n++];
	rp->ts = ts;
	rp->abs = pk->ts;
	rp->off = (uint32_t)c->used;
	rp->caplen = pk->caplen;
	rp->wirelen = pk->wirelen;
	rp->l3off = pk->l3off;
	rp->flow = RFLOW_NONE;
	rp->tun = pk->tun;
	memcpy(c->data + c->used, pk->frame, pk->caplen);
	ps->r->tso += (uint64_t)tso_fix(c->data + c->used + pk->l3off, pk->caplen - pk->l3off,
	    pk->wirelen - pk->l3off);
	c->used += pk->caplen;
}

uint64_t
capture_size(const char *path)
{
	struct stat sb;

	if (strcmp(path, "-") == 0 || stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return UINT64_MAX;
	return (uint64_t)sb.st_size;
}

/* How many flows the file can hold at most: each starts with a packet,
 * and the smallest record that can start one takes 36 bytes: 16 of record
 * header and a bare IPv4 header (another protocol's flow needs nothing
 * more; TCP 40 bytes of headers, UDP and ICMP 28). UINT64_MAX for a pipe. */
uint64_t
flows_bound(const char *path)
{
	uint64_t n = capture_size(path);

	return n == UINT64_MAX ? n : n / 36 + 1;
}

/* The reader (the pass's calling thread): every IP frame, at its time
 * from the first frame, into the ring; then the end. */
void
pass_read(struct pass *ps)
{
	struct report *r = ps->r;
	struct chunk *c = &ps->ch[0];
	struct pcapin_pkt pk;
	uint64_t ts, last = 0;
	bool first = true;
	int rc;

	while ((rc = pcapin_next(ps->in, &pk)) == 1) {
		if (first) {
			r->t0 = pk.ts;
			first = false;
		}
		ts = pk.ts >= r->t0 ? pk.ts - r->t0 : 0;
		if (ts < last) {
			r->backwards++;
			ts = last;
		}
		last = ts;
		if (pk.l3 != PL_IP)
			continue;
		chunk_add(ps, &c, &pk, ts);
	}
	if (rc < 0) {
		r->damaged = 1;
		snprintf(r->damage, sizeof(r->damage), "%s", pcapin_error(ps->in));
	}
	ring_publish(ps, c);
	pthread_mutex_lock(&ps->mu);
	r->duration = last;
	ps->read_done = true;
	pthread_cond_broadcast(&ps->more);
	pthread_mutex_unlock(&ps->mu);
}
