/* pcapin.c -- read pcap/pcapng captures with libpcap, find the IP packet in each frame, write captures back out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <pcap/pcap.h>

#include "linkl3.h"
#include "pcapin.h"
#include "safefile.h"

#define MAX_TUNNELS	65535	/* distinct tunnels told apart; more share id 0 */
#define TUN_HASH	(1u << 17)	/* open addressing, load <= 1/2 */

#define READ_BUF	(1 << 20)	/* stdio's 4 KB means a read(2) per ~40 packets */
#define BLOCK_BUF	(1 << 20)	/* the record reader's; > MAX_CAPLEN + 16 */
#define MAX_CAPLEN	262144		/* libpcap's MAXIMUM_SNAPLEN, our link types */
#define REC_HDR		16

/*
 * Records of a classic pcap file (version 2.4) in a regular file are read
 * here, not by pcap_next_ex(): libpcap opened the file and checked its
 * header, link type and snap length; the records are 16 bytes of header
 * and the frame, and walking them in a large buffer saves libpcap's two
 * fread()s and its copy per record, which cost as much as all of natbox's
 * decoding. The checks and the messages are libpcap's (sf-pcap.c,
 * pcap_next_packet()): a frame longer than the snap length is cut to it,
 * one longer than 256 KB is an error, a short read is a truncated file.
 * pcapng, a pipe, a version before 2.4, a swapped Linux cooked file (its
 * CAN IDs are swapped by libpcap) or NFLOG file (its TLV lengths and
 * types likewise), or NATBOX_PCAP_READER=libpcap: libpcap
 * reads them all. The file is opened once; both read its descriptor.
 */
struct block {
	int fd;			/* -1: libpcap reads the records */
	bool swapped;		/* the file's byte order is not ours */
	bool scale;		/* microseconds in the file */
	bool eof;
	uint32_t snap;		/* libpcap's snapshot for the file */
	uint8_t *buf;
	size_t pos, len;	/* unread bytes: buf[pos, len) */
};

struct pcapin {
	pcap_t *p;
	FILE *f;
	char *iobuf;		/* f's buffer, freed after pcap_close() */
	int dlt;
	struct block b;
	struct pcapin_stats st;
	/* the tunnels met: tun[id - 1]; hashed by endpoints into slot[] */
	struct pcapin_tunnel *tun;
	uint16_t ntun, last;	/* last: the previous packet's, a shortcut */
	uint16_t *slot;
	char err[PCAP_ERRBUF_SIZE + 64];
};

struct pcapout {
	pcap_dumper_t *d;
	uint64_t n;
	int nano;
};

static inline uint32_t
rd32h(const uint8_t *b, bool swapped)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return swapped ? __builtin_bswap32(v) : v;
}

static bool
reader_forced(void)
{
	const char *v = getenv("NATBOX_PCAP_READER");

	return v != NULL && strcmp(v, "libpcap") == 0;
}

/* A classic pcap file's magic, either byte order, as the file has it:
 * the records are ours to read; 0 if not. Looked at before libpcap opens
 * the file, through f's descriptor (the same file libpcap reads the
 * header of), without moving it. */
static uint32_t
block_candidate(FILE *f)
{
	struct stat sb;
	uint32_t magic;

	if (f == stdin || reader_forced() || fstat(fileno(f), &sb) < 0 ||
	    !S_ISREG(sb.st_mode) ||
	    pread(fileno(f), &magic, sizeof(magic), 0) != (ssize_t)sizeof(magic))
		return 0;
	/* The two standard magics only: libpcap's other variants have
	 * longer record headers. */
	switch (magic) {
	case 0xa1b2c3d4: case 0xd4c3b2a1: case 0xa1b23c4d: case 0x4d3cb2a1:
		return magic;
	default:
		return 0;
	}
}

/* Take over the records after libpcap read the header, unless the file
 * needs what only libpcap does: versions before 2.4, and in a swapped
 * file, CAN IDs in Linux cooked frames (swap_pseudo_headers()). */
static void
block_open(struct pcapin *in, FILE *f, uint32_t magic)
{
	struct block *b = &in->b;
	int fd;

	_Static_assert(BLOCK_BUF >= MAX_CAPLEN + REC_HDR, "a record must fit the buffer");
	b->swapped = pcap_is_swapped(in->p) != 0;
	if (pcap_major_version(in->p) != 2 || pcap_minor_version(in->p) != 4 ||
	    (b->swapped && (in->dlt == DLT_LINUX_SLL || in->dlt == DLT_LINUX_SLL2 ||
	    in->dlt == DLT_NFLOG)))
		return;
	/* libpcap's stream is not read again: records from its descriptor
	 * (a copy), past the 24-byte header */
	if ((fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 0)) < 0)
		return;
	if (lseek(fd, 24, SEEK_SET) != 24 || (b->buf = malloc(BLOCK_BUF)) == NULL) {
		close(fd);
		return;
	}
	if (b->swapped)
		magic = __builtin_bswap32(magic);
	b->scale = magic == 0xa1b2c3d4;
	b->snap = (uint32_t)pcap_snapshot(in->p);
	b->fd = fd;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

/* block_fill()'s refill: want bytes are not in. */
static bool __attribute__((noinline))
block_refill(struct pcapin *in, size_t want)
{
	struct block *b = &in->b;
	ssize_t n;

	memmove(b->buf, b->buf + b->pos, b->len - b->pos);
	b->len -= b->pos;
	b->pos = 0;
	while (b->len < want && !b->eof) {
		n = read(b->fd, b->buf + b->len, BLOCK_BUF - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(in->err, sizeof(in->err), "error reading dump file: %s",
			    strerror(errno));
			return false;
		}
		if (n == 0)
			b->eof = true;
		b->len += (size_t)n;
	}
	return true;
}

/* At least want unread bytes in the buffer, or all the file has left:
 * false on a read error (in->err says it). Twice a record: the test
 * inline, the read not. */
static inline bool
block_fill(struct pcapin *in, size_t want)
{
	const struct block *b = &in->b;

	if (b->len - b->pos >= want || b->eof)
		return true;
	return block_refill(in, want);
}

/* A record's time in ns since the epoch. A negative time (a broken
 * clock) is taken as the epoch; a fraction of a second out of range (a
 * damaged record: libpcap passes it on as it is) is counted and dropped,
 * not added, which would send the time anywhere up to 2^64 ns and every
 * flow after it with it. */
static uint64_t
rec_time(struct pcapin *in, int64_t sec, int64_t frac_ns)
{
	if (frac_ns < 0 || frac_ns >= 1000000000) {
		in->st.bad_time++;
		frac_ns = 0;
	}
	return sec < 0 ? 0 : (uint64_t)sec * 1000000000ULL + (uint64_t)frac_ns;
}

/* One record, as pcap_next_packet() would give it: 1, 0 at the end, -1. */
static int
block_next(struct pcapin *in, const uint8_t **data, uint32_t *caplen,
    uint32_t *wirelen, uint64_t *ts)
{
	struct block *b = &in->b;
	const uint8_t *h;
	size_t avail;
	uint32_t cap, take;
	int64_t sec, frac;

	if (!block_fill(in, REC_HDR))
		return -1;
	if ((avail = b->len - b->pos) == 0)
		return 0;
	if (avail < REC_HDR) {
		snprintf(in->err, sizeof(in->err),
		    "truncated dump file; tried to read %d header bytes, only got %zu",
		    REC_HDR, avail);
		return -1;
	}
	h = b->buf + b->pos;
	/* libpcap (1.10) takes the time fields as signed in a file of our
	 * byte order and as unsigned in a swapped one (SWAPLONG's result). */
	if (b->swapped) {
		sec = (int64_t)rd32h(h, true);
		frac = (int64_t)rd32h(h + 4, true);
	} else {
		sec = (int32_t)rd32h(h, false);
		frac = (int32_t)rd32h(h + 4, false);
	}
	cap = rd32h(h + 8, b->swapped);
	*wirelen = rd32h(h + 12, b->swapped);
	if (cap > MAX_CAPLEN) {
		if (cap > b->snap)
			snprintf(in->err, sizeof(in->err), "invalid packet capture length "
			    "%u, bigger than snaplen of %u", cap, b->snap);
		else
			snprintf(in->err, sizeof(in->err), "invalid packet capture length "
			    "%u, bigger than maximum of %u", cap, MAX_CAPLEN);
		return -1;
	}
	/* Longer than the snap length: the first snap bytes, the rest
	 * skipped (libpcap's answer to old Solaris files). */
	take = cap > b->snap ? b->snap : cap;
	if (!block_fill(in, REC_HDR + (size_t)cap))
		return -1;
	avail = b->len - b->pos - REC_HDR;
	if (avail < cap) {
		snprintf(in->err, sizeof(in->err),
		    "truncated dump file; tried to read %u captured bytes, only got %zu",
		    avail < take ? take : cap, avail);
		return -1;
	}
	*data = b->buf + b->pos + REC_HDR;
	*caplen = take;
	b->pos += REC_HDR + cap;
	/* as pcapin_next() takes libpcap's pcap_pkthdr: fractions scaled
	 * to nanoseconds */
	*ts = rec_time(in, sec, b->scale ? frac * 1000 : frac);
	return 1;
}

struct pcapin *
pcapin_open(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcapin *in;
	pcap_t *p;
	FILE *f;
	char *iobuf;
	uint32_t ours;		/* the magic, if natbox reads the records */
	int dlt;

	ebuf[0] = '\0';
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = safe_fopen_stream(path)) == NULL) {
		/* a device or a socket is refused; a FIFO is not waited on */
		snprintf(err, errlen, "%s", safe_strerror(errno));
		return NULL;
	}
	/* glibc ignores setvbuf()'s size unless given the buffer too. Not
	 * stdin's: it outlives a failed open below. Nor where libpcap only
	 * reads the header (it would read 1 MB ahead for nothing). */
	ours = block_candidate(f);
	iobuf = f != stdin && ours == 0 ? malloc(READ_BUF) : NULL;
	if (iobuf != NULL)
		(void)setvbuf(f, iobuf, _IOFBF, READ_BUF);
	/* One thread reads the capture: libpcap's two fread()s a record
	 * need not take the stream's lock each. */
	(void)__fsetlocking(f, FSETLOCKING_BYCALLER);
	/* pcap_close() closes f from here on, even on failure paths below. */
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (p == NULL) {
		if (f != stdin)
			fclose(f);
		free(iobuf);
		const char *m = ebuf;
		size_t n = strlen(path);

		/* libpcap quotes the path itself; the caller does too. */
		if (strncmp(m, path, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
			m += n + 2;
		snprintf(err, errlen, "%s", m[0] ? m : "cannot read the capture");
		return NULL;
	}
	dlt = pcap_datalink(p);
	if (!pcapin_link_supported(dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);

		snprintf(err, errlen, "link type %d (%s) is not supported: natbox reads "
		    "Ethernet, Linux cooked (SLL, SLL2), raw IP, loopback, PPP, HDLC, "
		    "NFLOG, 802.11 (radiotap) and FDDI captures",
		    dlt, name ? name : "unknown");
		pcap_close(p);
		free(iobuf);
		return NULL;
	}
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		pcap_close(p);
		free(iobuf);
		return NULL;
	}
	in->p = p;
	in->iobuf = iobuf;
	in->dlt = dlt;
	in->b.fd = -1;
	if (ours != 0)
		block_open(in, f, ours);
	if (getenv("NATBOX_PCAP_DEBUG") != NULL)
		fprintf(stderr, "natbox: %s: %s reads the records\n", path,
		    in->b.fd >= 0 ? "natbox" : "libpcap");
	return in;
}

void
pcapin_close(struct pcapin *in)
{
	if (in == NULL)
		return;
	if (in->b.fd >= 0)
		close(in->b.fd);
	free(in->b.buf);
	free(in->tun);
	free(in->slot);
	pcap_close(in->p);
	free(in->iobuf);
	free(in);
}

static uint32_t
tunnel_hash(const struct pcapin_tunnel *t)
{
	uint32_t h = 2166136261u;
	const uint8_t *b = (const uint8_t *)t;

	for (size_t i = 0; i < sizeof(*t); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* The id of a tunnel (1..MAX_TUNNELS), made on first sight; 0 once
 * there are too many to tell apart (or no memory for them). Most packets
 * come through the same tunnel as the one before: compared first. */
static uint16_t
tunnel_id(struct pcapin *in, const struct pcapin_tunnel *t)
{
	uint32_t i;

	if (in->last != 0 && memcmp(&in->tun[in->last - 1], t, sizeof(*t)) == 0)
		return in->last;
	if (in->slot == NULL && (in->slot = calloc(TUN_HASH, sizeof(*in->slot))) == NULL)
		return 0;
	for (i = tunnel_hash(t) & (TUN_HASH - 1); in->slot[i] != 0; i = (i + 1) & (TUN_HASH - 1))
		if (memcmp(&in->tun[in->slot[i] - 1], t, sizeof(*t)) == 0)
			return in->last = in->slot[i];
	if (in->ntun == MAX_TUNNELS)
		return 0;
	if ((in->ntun & (in->ntun + 1)) == 0) {	/* 0, 1, 3, 7...: full */
		struct pcapin_tunnel *n = realloc(in->tun,
		    ((size_t)in->ntun + 1) * 2 * sizeof(*n));

		if (n == NULL)
			return 0;
		in->tun = n;
	}
	in->tun[in->ntun++] = *t;
	return in->slot[i] = in->last = in->ntun;
}

const struct pcapin_tunnel *
pcapin_tunnel_at(const struct pcapin *in, uint16_t id)
{
	return id == 0 || id > in->ntun ? NULL : &in->tun[id - 1];
}

uint16_t
pcapin_tunnels(const struct pcapin *in)
{
	return in->ntun;
}

static const char *const tun_names[PT__MAX] = {
	[PT_NONE] = "-", [PT_IPIP] = "ip", [PT_GRE] = "gre", [PT_ERSPAN] = "erspan",
	[PT_VXLAN] = "vxlan", [PT_GENEVE] = "geneve", [PT_GTPU] = "gtpu",
	[PT_TEREDO] = "teredo",
};

static void
tun_addr(const struct pcapin_tunnel *t, const uint8_t *a, uint16_t port, char *buf,
    size_t cap)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(t->family == 4 ? AF_INET : AF_INET6, a, s, sizeof(s));
	if (t->sport == 0 && t->dport == 0)
		snprintf(buf, cap, "%s", s);
	else
		snprintf(buf, cap, t->family == 4 ? "%s:%u" : "[%s]:%u", s, port);
}

void
pcapin_tunnel_name(const struct pcapin_tunnel *t, char *buf, size_t cap)
{
	char a[64], b[64];

	tun_addr(t, t->src, t->sport, a, sizeof(a));
	tun_addr(t, t->dst, t->dport, b, sizeof(b));
	snprintf(buf, cap, "%s %s->%s", t->kind < PT__MAX ? tun_names[t->kind] : "?", a, b);
}

int
pcapin_next(struct pcapin *in, struct pcapin_pkt *pk)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	struct pcapin_l3info li;
	int r;

	if (in->b.fd >= 0) {
		if ((r = block_next(in, &pk->frame, &pk->caplen, &pk->wirelen, &pk->ts)) != 1)
			return r;
	} else {
		r = pcap_next_ex(in->p, &h, &data);
		if (r == PCAP_ERROR_BREAK)
			return 0;
		if (r != 1) {
			/* libpcap says "truncated dump file; tried to read N
			 * captured bytes, only got M" and the like. */
			snprintf(in->err, sizeof(in->err), "%s", pcap_geterr(in->p));
			if (in->err[0] == '\0')
				snprintf(in->err, sizeof(in->err), "read error");
			return -1;
		}
		pk->frame = data;
		pk->caplen = h->caplen;
		pk->wirelen = h->len;
		/* With nanosecond precision tv_usec holds nanoseconds. */
		pk->ts = rec_time(in, h->ts.tv_sec, h->ts.tv_usec);
	}
	in->st.frames++;
	pk->l3 = (uint8_t)pcapin_l3(in->dlt, pk->frame, pk->caplen, &pk->l3off, &li);
	pk->tun = 0;
	if (li.depth > 0) {
		in->st.tunneled++;
		pk->tun = tunnel_id(in, &li.tun);
	}
	switch (pk->l3) {
	case PL_IP:
		in->st.ip++;
		break;
	case PL_NOT_IP:
		in->st.not_ip++;
		break;
	default:
		in->st.link_truncated++;
		break;
	}
	if (li.tagged)
		in->st.vlan++;
	return 1;
}

const char *
pcapin_error(const struct pcapin *in)
{
	return in->err;
}

const struct pcapin_stats *
pcapin_stats(const struct pcapin *in)
{
	return &in->st;
}

int
pcapin_linktype(const struct pcapin *in)
{
	return in->dlt;
}

const char *
pcapin_linkname(const struct pcapin *in)
{
	return linkl3_name(in->dlt);
}

/* libpcap reports the section header's version for pcapng (1.0) and
 * the file header's for pcap (2.4). */
const char *
pcapin_format(const struct pcapin *in)
{
	return pcap_major_version(in->p) == 1 ? "pcapng" : "pcap";
}

uint32_t
pcapin_snaplen(const struct pcapin *in)
{
	return (uint32_t)pcap_snapshot(in->p);
}

struct pcapout *
pcapout_open(struct pcapin *like, const char *path, char *err, size_t errlen)
{
	struct pcapout *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	o->d = pcap_dump_open(like->p, path);
	if (o->d == NULL) {
		snprintf(err, errlen, "%s", pcap_geterr(like->p));
		free(o);
		return NULL;
	}
	o->nano = pcap_get_tstamp_precision(like->p) == PCAP_TSTAMP_PRECISION_NANO;
	return o;
}

void
pcapout_write(struct pcapout *o, const uint8_t *frame, uint32_t caplen,
    uint32_t wirelen, uint64_t ts)
{
	struct pcap_pkthdr h;
	uint64_t div = o->nano ? 1 : 1000;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts / 1000000000ULL);
	h.ts.tv_usec = (suseconds_t)(ts % 1000000000ULL / div);
	h.caplen = caplen;
	h.len = wirelen;
	pcap_dump((u_char *)o->d, &h, frame);
	o->n++;
}

int
pcapout_close(struct pcapout *o)
{
	FILE *f;
	int rc = 0;

	if (o == NULL)
		return 0;
	f = pcap_dump_file(o->d);
	if (pcap_dump_flush(o->d) != 0 || ferror(f))
		rc = -1;
	pcap_dump_close(o->d);
	free(o);
	return rc;
}

uint64_t
pcapout_count(const struct pcapout *o)
{
	return o->n;
}
