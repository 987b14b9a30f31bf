/* pcapin.c -- read pcap/pcapng captures with libpcap, find the IP packet in each frame, write captures back out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "pcapin.h"
#include "safefile.h"

#define ETH_HLEN	14
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define MAX_TAGS	4	/* VLAN tags stepped over; more is not IP to us */
#define MAX_LABELS	8	/* MPLS labels likewise */

#define ETHERTYPE_IP		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_QINQ		0x88a8
#define ETHERTYPE_QINQ_OLD	0x9100
#define ETHERTYPE_PPPOE		0x8864
#define ETHERTYPE_MPLS		0x8847
#define ETHERTYPE_MPLS_MC	0x8848
#define PPP_IP			0x0021
#define PPP_IPV6		0x0057

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
 * CAN IDs are swapped by libpcap), or NATBOX_PCAP_READER=libpcap: libpcap
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
	char err[PCAP_ERRBUF_SIZE + 64];
};

struct pcapout {
	pcap_dumper_t *d;
	uint64_t n;
	int nano;
};

static const struct {
	int dlt;
	const char *name;
} links[] = {
	{ DLT_EN10MB, "Ethernet" },
	{ DLT_LINUX_SLL, "Linux cooked" },
	{ DLT_LINUX_SLL2, "Linux cooked v2" },
	{ DLT_RAW, "raw IP" },
	{ DLT_IPV4, "raw IPv4" },
	{ DLT_IPV6, "raw IPv6" },
	{ DLT_NULL, "BSD loopback" },
	{ DLT_LOOP, "OpenBSD loopback" },
};

#define NLINKS (sizeof(links) / sizeof(links[0]))

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t
rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

bool
pcapin_link_supported(int dlt)
{
	for (size_t i = 0; i < NLINKS; i++)
		if (links[i].dlt == dlt)
			return true;
	return false;
}

/* The IP version nibble decides for link types that carry "some IP". */
static enum pcapin_l3_result
by_version(const uint8_t *frame, uint32_t caplen, uint32_t off)
{
	if (caplen <= off)
		return PL_TRUNCATED;
	switch (frame[off] >> 4) {
	case 4:
	case 6:
		return PL_IP;
	default:
		return PL_NOT_IP;
	}
}

/* Step over tags and shims after an ethertype at frame[off - 2]. */
static enum pcapin_l3_result
by_ethertype(const uint8_t *frame, uint32_t caplen, uint32_t *off,
    uint16_t type, bool *tagged)
{
	unsigned n;

	for (n = 0; (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	    type == ETHERTYPE_QINQ_OLD) && n < MAX_TAGS; n++) {
		if (caplen < *off + 4)
			return PL_TRUNCATED;
		type = rd16(frame + *off + 2);
		*off += 4;
		*tagged = true;
	}
	switch (type) {
	case ETHERTYPE_IP:
	case ETHERTYPE_IPV6:
		return PL_IP;
	case ETHERTYPE_PPPOE:
		/* RFC 2516 session header (6 bytes), then the PPP protocol. */
		if (caplen < *off + 8)
			return PL_TRUNCATED;
		type = rd16(frame + *off + 6);
		*off += 8;
		return type == PPP_IP || type == PPP_IPV6 ? PL_IP : PL_NOT_IP;
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
		/* RFC 3032: labels until bottom of stack, then no type
		 * field; the IP version nibble is the usual guess. */
		for (n = 0; n < MAX_LABELS; n++) {
			if (caplen < *off + 4)
				return PL_TRUNCATED;
			*off += 4;
			if (rd32(frame + *off - 4) & 0x100)
				return by_version(frame, caplen, *off);
		}
		return PL_NOT_IP;
	default:
		return PL_NOT_IP;
	}
}

enum pcapin_l3_result
pcapin_l3(int dlt, const uint8_t *frame, uint32_t caplen, uint32_t *off,
    bool *tagged)
{
	uint32_t af;

	*off = 0;
	*tagged = false;
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HLEN)
			return PL_TRUNCATED;
		*off = ETH_HLEN;
		return by_ethertype(frame, caplen, off, rd16(frame + 12), tagged);
	case DLT_LINUX_SLL:
		/* packet type, ARPHRD, address length, address[8], protocol */
		if (caplen < SLL_HLEN)
			return PL_TRUNCATED;
		*off = SLL_HLEN;
		return by_ethertype(frame, caplen, off, rd16(frame + 14), tagged);
	case DLT_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, packet type, address
		 * length, address[8] */
		if (caplen < SLL2_HLEN)
			return PL_TRUNCATED;
		*off = SLL2_HLEN;
		return by_ethertype(frame, caplen, off, rd16(frame), tagged);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return by_version(frame, caplen, 0);
	case DLT_NULL:
	case DLT_LOOP:
		/* A 4-byte address family: host order of the capturing
		 * machine for DLT_NULL (so either), network order for
		 * DLT_LOOP. AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28
		 * or 30 depending on the OS. */
		if (caplen < 4)
			return PL_TRUNCATED;
		*off = 4;
		af = rd32(frame);
		if (dlt == DLT_NULL && (af & 0xffff) == 0)
			af = (uint32_t)frame[3] << 24 | (uint32_t)frame[2] << 16 |
			    (uint32_t)frame[1] << 8 | frame[0];
		switch (af) {
		case 2: case 10: case 24: case 28: case 30:
			return by_version(frame, caplen, 4);
		default:
			return PL_NOT_IP;
		}
	default:
		return PL_NOT_IP;
	}
}

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
	    (b->swapped && (in->dlt == DLT_LINUX_SLL || in->dlt == DLT_LINUX_SLL2)))
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
	 * to nanoseconds in a long, a negative time taken as the epoch */
	*ts = sec < 0 ? 0 : (uint64_t)sec * 1000000000ULL +
	    (uint64_t)(b->scale ? (long)frac * 1000 : (long)frac);
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
		    "Ethernet, Linux cooked (SLL, SLL2), raw IP and loopback captures",
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
	pcap_close(in->p);
	free(in->iobuf);
	free(in);
}

int
pcapin_next(struct pcapin *in, struct pcapin_pkt *pk)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	bool tagged;
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
		/* With nanosecond precision tv_usec holds nanoseconds. A
		 * negative time (a broken clock) is taken as the epoch. */
		pk->ts = h->ts.tv_sec < 0 ? 0 :
		    (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
	}
	in->st.frames++;
	pk->l3 = (uint8_t)pcapin_l3(in->dlt, pk->frame, pk->caplen, &pk->l3off, &tagged);
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
	if (tagged)
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
	for (size_t i = 0; i < NLINKS; i++)
		if (links[i].dlt == in->dlt)
			return links[i].name;
	return "?";
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
