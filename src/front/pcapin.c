/* pcapin.c -- read pcap/pcapng captures with libpcap, find the IP packet in each frame, write captures back out. */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pcapin.h"

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

struct pcapin {
	pcap_t *p;
	FILE *f;
	char *iobuf;		/* f's buffer, freed after pcap_close() */
	int dlt;
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

struct pcapin *
pcapin_open(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcapin *in;
	pcap_t *p;
	FILE *f;
	char *iobuf;
	int dlt;

	ebuf[0] = '\0';
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	/* glibc ignores setvbuf()'s size unless given the buffer too. Not
	 * stdin's: it outlives a failed open below. */
	iobuf = f != stdin ? malloc(READ_BUF) : NULL;
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
	return in;
}

void
pcapin_close(struct pcapin *in)
{
	if (in == NULL)
		return;
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

	r = pcap_next_ex(in->p, &h, &data);
	if (r == PCAP_ERROR_BREAK)
		return 0;
	if (r != 1) {
		/* libpcap says "truncated dump file; tried to read N captured
		 * bytes, only got M" and the like. */
		snprintf(in->err, sizeof(in->err), "%s", pcap_geterr(in->p));
		if (in->err[0] == '\0')
			snprintf(in->err, sizeof(in->err), "read error");
		return -1;
	}
	in->st.frames++;
	pk->frame = data;
	pk->caplen = h->caplen;
	pk->wirelen = h->len;
	/* With nanosecond precision tv_usec holds nanoseconds. A negative
	 * time (a broken clock) is taken as the epoch. */
	pk->ts = h->ts.tv_sec < 0 ? 0 :
	    (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
	pk->l3 = (uint8_t)pcapin_l3(in->dlt, data, h->caplen, &pk->l3off, &tagged);
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
