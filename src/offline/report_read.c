/* report_read.c -- the capture into the ring: each IP frame copied into a chunk, Zeek's connections fed in file order, the chunk put in time order (within a window) and timed from the first frame; how many flows the file can hold. */
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

/*
 * Time order within a window. A capture merged from two interfaces (or
 * written by a multi-queue capture) is out of order by a little: each
 * chunk is sorted by capture time before it is handed on, and its packets
 * within REORDER_WINDOW of its newest (at most REORDER_HOLD of them) are
 * held back into the next chunk, where a later packet may still go before
 * them. What had to move is counted (reordered); a packet older than what
 * was handed on already is too late: taken at the last time handed on, as
 * before (backwards). Nothing is dropped and the timer wheel never sees
 * time go back. Packets are held back only once the capture has shown
 * disorder: an ordered capture pays no copies (its first late packet past
 * a chunk's end is then too late).
 */
#define REORDER_WINDOW	(1ULL * NS_PER_SEC)
#define REORDER_HOLD	4096u

/* A stable insertion sort by capture time (a capture is nearly sorted);
 * a packet moves back REORDER_HOLD places at most (further it will be too
 * late anyway). */
static bool
chunk_sort(struct chunk *c)
{
	bool moved = false;

	for (unsigned i = 1; i < c->n; i++) {
		struct rpkt x = c->pk[i];
		unsigned j = i;

		if (c->pk[i - 1].abs <= x.abs)
			continue;
		while (j > 0 && i - j < REORDER_HOLD && c->pk[j - 1].abs > x.abs) {
			c->pk[j] = c->pk[j - 1];
			j--;
		}
		x.moved = 1;
		c->pk[j] = x;
		moved = true;
	}
	return moved;
}

/* Frame rp of chunk from into chunk to (room made). */
static void
chunk_copy(struct chunk *to, const struct chunk *from, const struct rpkt *rp)
{
	struct rpkt *d;

	if (to->cap - to->used < rp->caplen) {
		to->cap = to->used + rp->caplen;
		to->data = report_xrealloc(to->data, to->cap, 1);
	}
	d = &to->pk[to->n++];
	*d = *rp;
	d->off = (uint32_t)to->used;
	memcpy(to->data + to->used, from->data + rp->off, rp->caplen);
	to->used += rp->caplen;
}

/* Hand chunk c on in time order, its packets timed from the first; the
 * last packets within the window kept back into the next chunk (unless
 * final), which is returned. *last: the time last handed on. */
static struct chunk *
chunk_release(struct pass *ps, struct chunk *c, bool final, uint64_t *last)
{
	struct report *r = ps->r;
	unsigned n = c->n, keep = n;
	struct chunk *next;

	if (chunk_sort(c))
		ps->disorder = true;
	if (!final && n > 0 && ps->disorder) {
		uint64_t newest = c->pk[n - 1].abs;

		while (keep > 0 && n - keep < REORDER_HOLD &&
		    c->pk[keep - 1].abs + REORDER_WINDOW > newest)
			keep--;
		if (keep == 0)
			keep = (n + 1) / 2;	/* a few big frames: progress */
	}
	if (ps->read == 0 && n > 0 && c->pk[0].abs < r->t0)
		r->t0 = c->pk[0].abs;	/* a packet before the first frame */
	for (unsigned i = 0; i < keep; i++) {
		struct rpkt *rp = &c->pk[i];
		uint64_t ts = rp->abs >= r->t0 ? rp->abs - r->t0 : 0;

		if (ts < *last) {
			r->backwards++;
			ps->disorder = true;
			ts = *last;
		} else if (rp->moved) {
			r->reordered++;
		}
		rp->ts = *last = ts;
	}
	c->n = keep;
	next = ring_publish(ps, c);
	for (unsigned i = keep; i < n; i++)
		chunk_copy(next, c, &c->pk[i]);
	return next;
}

/* Zeek's connections see every packet in the file's order, as Zeek reads
 * it, whatever its time says and whatever the trackers make of it; at its
 * own time (ns since the epoch). */
static uint32_t
zconn_feed(struct zconn *z, const uint8_t *ip, uint32_t caplen, uint64_t ts)
{
	struct nb_packet p;
	enum decode_err e = decode_packet(ip, caplen, &p);

	/* ICMP a tracker leaves alone (neighbour and router discovery, MLD)
	 * is a connection to Zeek: the decoder has read its type by then */
	if (e != DEC_OK && !(e == DEC_NOT_TCP && p.kind == NBK_ICMP && !p.icmp_error))
		return ZC_NONE;
	return zconn_packet(z, &p, ip, caplen, ts);
}

/* A frame into the chunk being filled, handed on first if full. */
static void
chunk_add(struct pass *ps, struct chunk **cp, const struct pcapin_pkt *pk, uint64_t *last)
{
	struct chunk *c = *cp;
	struct rpkt *rp;

	if (c->n == CHUNK_PKTS || c->cap - c->used < pk->caplen) {
		if (c->n > 0)
			c = *cp = chunk_release(ps, c, false, last);
		if (c->cap - c->used < pk->caplen) {
			c->cap = c->used + pk->caplen;
			c->data = report_xrealloc(c->data, c->cap, 1);
		}
	}
	rp = &c->pk[c->n++];
	rp->ts = 0;		/* chunk_release() */
	rp->moved = 0;
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
	rp->zc = ps->r->zc == NULL ? ZC_NONE : zconn_feed(ps->r->zc,
	    c->data + c->used + pk->l3off, pk->caplen - pk->l3off, pk->ts);
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
	uint64_t last = 0, newest = 0;
	bool first = true;
	int rc;

	while ((rc = pcapin_next(ps->in, &pk)) == 1) {
		if (first) {
			r->t0 = newest = pk.ts;
			first = false;
		}
		if (pk.ts > newest)
			newest = pk.ts;
		if (pk.l3 != PL_IP)
			continue;
		chunk_add(ps, &c, &pk, &last);
	}
	if (rc < 0) {
		r->damaged = 1;
		snprintf(r->damage, sizeof(r->damage), "%s", pcapin_error(ps->in));
	}
	chunk_release(ps, c, true, &last);
	pthread_mutex_lock(&ps->mu);
	r->duration = first ? 0 : newest - r->t0;
	ps->read_done = true;
	pthread_cond_broadcast(&ps->more);
	pthread_mutex_unlock(&ps->mu);
}
