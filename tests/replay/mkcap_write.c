/* mkcap_write.c -- mkcap's bytes and files: byte order, checksums, the pcap and pcapng
 * headers and records, and the scenario's packets collected, sorted by time and written. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mkcap.h"

/* ---- bytes ---- */

void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void
le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void
le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

/* pcap's own headers, in the file's byte order (--swap: big-endian) */
void
fe16(uint8_t *p, uint16_t v)
{
	if (opt.swap)
		put16(p, v);
	else
		le16(p, v);
}

void
fe32(uint8_t *p, uint32_t v)
{
	if (opt.swap)
		put32(p, v);
	else
		le32(p, v);
}

uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

__attribute__((noreturn)) void
die(const char *msg)
{
	fprintf(stderr, "mkcap: %s: %s\n", out_path ? out_path : "-", msg);
	exit(1);
}

void
wr(const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n)
		die(strerror(errno));
}

/* ---- file formats ---- */

void
file_header(void)
{
	uint8_t h[64];
	uint32_t lt = link_type();

	if (!opt.pcapng) {
		fe32(h, opt.nano ? 0xa1b23c4d : 0xa1b2c3d4);
		fe16(h + 4, 2);
		fe16(h + 6, 4);
		fe32(h + 8, 0);
		fe32(h + 12, 0);
		fe32(h + 16, opt.hsnap ? opt.hsnap : opt.snap);
		fe32(h + 20, lt);
		wr(h, 24);
		return;
	}
	/* Section header block */
	memset(h, 0, sizeof(h));
	le32(h, 0x0a0d0d0a);
	le32(h + 4, 28);
	le32(h + 8, 0x1a2b3c4d);
	le16(h + 12, 1);
	le16(h + 14, 0);
	le32(h + 16, 0xffffffff);	/* section length unknown */
	le32(h + 20, 0xffffffff);
	le32(h + 24, 28);
	wr(h, 28);
	/* Interface description block, if_tsresol = 9 (ns) */
	memset(h, 0, sizeof(h));
	le32(h, 1);
	le32(h + 4, 32);
	le16(h + 8, (uint16_t)lt);
	le16(h + 10, 0);
	le32(h + 12, opt.snap);
	le16(h + 16, 9);	/* if_tsresol */
	le16(h + 18, 1);
	h[20] = 9;
	le16(h + 24, 0);	/* opt_endofopt */
	le16(h + 26, 0);
	le32(h + 28, 32);
	wr(h, 32);
}

void
record(uint64_t ts, const uint8_t *frame, uint32_t len)
{
	uint32_t caplen;
	uint8_t h[28];

	if (opt.encap >= 0)
		frame = encap_wrap(opt.encap, frame, &len, opt.swap);
	caplen = len < opt.snap ? len : opt.snap;

	if (!opt.pcapng) {
		fe32(h, (uint32_t)(ts / NS));
		fe32(h + 4, (uint32_t)(opt.nano ? ts % NS : ts % NS / 1000));
		fe32(h + 8, caplen);
		fe32(h + 12, len);
		wr(h, 16);
		wr(frame, caplen);
		return;
	}
	/* Enhanced packet block */
	uint32_t pad = (4 - caplen % 4) % 4, tot = 32 + caplen + pad;
	static const uint8_t zero[4];

	le32(h, 6);
	le32(h + 4, tot);
	le32(h + 8, 0);
	le32(h + 12, (uint32_t)(ts >> 32));
	le32(h + 16, (uint32_t)ts);
	le32(h + 20, caplen);
	le32(h + 24, len);
	wr(h, 28);
	wr(frame, caplen);
	wr(zero, pad);
	le32(h, tot);
	wr(h, 4);
}

/* ---- a scenario's packets, written in time order ---- */

struct pkt {
	uint64_t ts;
	uint64_t order;
	uint32_t len;
	uint8_t *b;
};

static struct pkt *pkts;
static size_t npkts, cappkts;

void
emit(uint64_t ts, const uint8_t *frame, size_t len)
{
	if (npkts == cappkts) {
		cappkts = cappkts ? cappkts * 2 : 256;
		if ((pkts = realloc(pkts, cappkts * sizeof(*pkts))) == NULL)
			die("out of memory");
	}
	pkts[npkts].ts = ts;
	pkts[npkts].order = npkts;
	pkts[npkts].len = (uint32_t)len;
	if ((pkts[npkts].b = malloc(len)) == NULL)
		die("out of memory");
	memcpy(pkts[npkts].b, frame, len);
	npkts++;
}

static int
by_time(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}


void
write_all(void)
{
	qsort(pkts, npkts, sizeof(*pkts), by_time);
	file_header();
	for (size_t i = 0; i < npkts; i++) {
		uint64_t skew = i % 3 == 2 ? opt.skew * US : 0;

		record(EPOCH + pkts[i].ts - (skew < pkts[i].ts ? skew : 0), pkts[i].b, pkts[i].len);
		free(pkts[i].b);
	}
	free(pkts);
}
