/* mkcap.c -- writes hand-made captures for natbox's replay tests and the replay benchmark (no libpcap: the bytes are spelled out); the command line. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mkcap.h"

/*
 * Scenarios (see usage()) collect their packets with explicit times, get
 * sorted by time (stably) and written as pcap or pcapng with the chosen
 * link layer, so one scenario gives the same IP packets under Ethernet,
 * VLAN, QinQ, Linux cooked v1/v2, raw IP or loopback framing. The bench
 * scenario streams instead (millions of flows, a heap of active ones).
 */

struct mkcap_opts opt = {
	.encap = -1, .link = L_ETHER, .snap = 262144, .flows = 1000000, .packets = 10000000,
	.seconds = 1200, .seed = 1, .flips = 16,
};
FILE *out;
const char *out_path;

static const struct {
	const char *name;
	void (*fn)(void);
	bool streamed;		/* writes its own file (no collect and sort) */
	const char *help;
} scenarios[] = {
	{ "basic", sc_basic, false, "request/response, the seed's half-close, IPv6; an ARP and a UDP frame" },
	{ "midstream", sc_midstream, false, "the capture starts in the middle of two connections" },
	{ "simultaneous", sc_simultaneous, false, "simultaneous open, then simultaneous close" },
	{ "rst", sc_rst, false, "a RST in every tracker state, and one of no flow" },
	{ "ipv6ext", sc_ipv6ext, false, "IPv6 with hop-by-hop, routing, dstopts and a fragmented segment" },
	{ "gaps", sc_gaps, false, "known waits in every timer phase (for suggest)" },
	{ "idle", sc_idle, false, "a 6.5 min idle gap, a 2.5 min half-closed wait, TIME_WAIT reuse" },
	{ "dgram", sc_dgram, false, "UDP (DNS, keepalives over 2 min, unreplied), ping, ping6, port unreachable, ESP" },
	{ "gre", sc_gre, false, "GRE: a replied tunnel idle 200 s, a one-way one idle 40 s" },
	{ "zeek", sc_zeek, false, "a TCP connection per Zeek history letter and conn_state value" },
	{ "p2p", sc_p2p, false, "peer-to-peer on a NAT's inside: STUN, peers, an idle TCP, an unsolicited SYN" },
	{ "shadow-evict", sc_shadow_evict, false, "compare's shadows: the reference forgets a dead flow" },
	{ "shadow-lag", sc_shadow_lag, false, "compare's shadows: a profile's engine idle 559 s" },
	{ "shadow-short", sc_shadow_short, false, "compare's shadows: a tombstone shorter than a tick" },
	{ "shadow-tail", sc_shadow_tail, false, "compare's shadows: an ARP frame long after the last TCP" },
	{ "bench", sc_bench, true, "--flows N --packets N --seconds S [--dgram PCT] synthetic load (streamed)" },
	{ "mutate", sc_mutate, true, "--from FILE --flips N --seed S: FILE with random bytes damaged" },
};

#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* The options, by what they set: one table drives getopt_long and parsing. */
enum okind { O_FLAG, O_U32, O_U64, O_CUT, O_STR, O_LINK };

static const struct option_def {
	const char *name;
	enum okind kind;
	void *to;
} options[] = {
	{ "link", O_LINK, NULL },
	{ "pcapng", O_FLAG, &opt.pcapng },
	{ "nano", O_FLAG, &opt.nano },
	{ "swap", O_FLAG, &opt.swap },		/* pcap headers big-endian */
	{ "hsnap", O_U32, &opt.hsnap },		/* the header's snap length */
	{ "snap", O_U32, &opt.snap },
	{ "cut", O_CUT, &opt.cut },
	{ "flows", O_U64, &opt.flows },
	{ "packets", O_U64, &opt.packets },
	{ "seconds", O_U64, &opt.seconds },
	{ "seed", O_U64, &opt.seed },
	{ "from", O_STR, &opt.from },
	{ "flips", O_U64, &opt.flips },
	{ "dgram", O_U64, &opt.dgram },
	{ "skew", O_U64, &opt.skew },
};

#define NOPT (sizeof(options) / sizeof(options[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: mkcap [--link L] [--pcapng] [--nano] [--swap] [--snap N] [--hsnap N]\n"
	    "             [--cut N]\n"
	    "             [--flows N] [--packets N] [--seconds S] [--seed N] [--dgram PCT]\n"
	    "             [--from FILE] [--flips N] [--skew US] SCENARIO FILE\n"
	    "links: ether vlan qinq sll sll2 raw ipv4 ipv6 null pppoe mpls\n       ");
	encap_list(f);
	fprintf(f, "--cut N drops the last N bytes (a truncated file); --cut -N overwrites\n"
	    "the caplen of record N (pcap) with garbage (a corrupt file); --skew US\n"
	    "writes every 3rd record US microseconds early (two interfaces merged)\n"
	    "scenarios:\n");
	for (size_t i = 0; i < NSCEN; i++)
		fprintf(f, "  %-13s %s\n", scenarios[i].name, scenarios[i].help);
}

static uint64_t
num(const char *s)
{
	char *e;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno || *e || e == s) {
		fprintf(stderr, "mkcap: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* Set option d from arg; -1 if arg is no such link. */
static int
option_set(const struct option_def *d, const char *arg)
{
	int l;

	switch (d->kind) {
	case O_FLAG:
		*(bool *)d->to = true;
		break;
	case O_U32:
		*(uint32_t *)d->to = (uint32_t)num(arg);
		break;
	case O_U64:
		*(uint64_t *)d->to = num(arg);
		break;
	case O_CUT:
		*(long *)d->to = arg[0] == '-' ? -(long)num(arg + 1) : (long)num(arg);
		break;
	case O_STR:
		*(const char **)d->to = arg;
		break;
	case O_LINK:
		if ((l = link_lookup(arg)) >= 0) {
			opt.link = (enum link)l;
		} else if ((opt.encap = encap_lookup(arg)) >= 0) {
			opt.link = L_RAW;
		} else {
			fprintf(stderr, "mkcap: unknown link '%s'\n", arg);
			return -1;
		}
		break;
	}
	return 0;
}

/* Damage a written pcap: drop the tail, or scribble over the caplen of
 * record n so that it claims far more than any snap length. */
static void
damage(const char *path)
{
	FILE *f;
	long size;

	if (opt.cut > 0) {
		if ((f = fopen(path, "rb+")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
		    (size = ftell(f)) < opt.cut || ftruncate(fileno(f), size - opt.cut) != 0)
			die("cannot cut the file");
		fclose(f);
		return;
	}
	if (opt.cut < 0) {
		uint8_t h[16];
		long off = 24, n = -opt.cut;
		uint32_t caplen;

		if (opt.pcapng || (f = fopen(path, "rb+")) == NULL)
			die("--cut -N needs a pcap file");
		for (long i = 0; i < n; i++) {
			if (fseek(f, off, SEEK_SET) != 0 || fread(h, 1, 16, f) != 16)
				die("no such record");
			caplen = opt.swap ? (uint32_t)h[11] | (uint32_t)h[10] << 8 |
			    (uint32_t)h[9] << 16 | (uint32_t)h[8] << 24 :
			    (uint32_t)h[8] | (uint32_t)h[9] << 8 |
			    (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24;
			off += 16 + (long)caplen;
		}
		fe32(h, 0x7ffffff0);
		if (fseek(f, off + 8, SEEK_SET) != 0 || fwrite(h, 1, 4, f) != 4)
			die("cannot write");
		fclose(f);
	}
}

/* Parse the options into opt; the index of the first operand, or -1
 * (usage printed), or -2 for --help. */
static int
parse_options(int argc, char **argv)
{
	struct option lo[NOPT + 2];
	int c, idx;

	for (size_t i = 0; i < NOPT; i++)
		lo[i] = (struct option){ options[i].name,
		    options[i].kind == O_FLAG ? no_argument : required_argument, NULL, 0 };
	lo[NOPT] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[NOPT + 1] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = getopt_long(argc, argv, "h", lo, &idx)) != -1) {
		if (c == 'h')
			return -2;
		if (c != 0 || option_set(&options[idx], optarg) != 0)
			return -1;
	}
	return optind;
}

int
main(int argc, char **argv)
{
	int first = parse_options(argc, argv);
	size_t i;

	if (first == -2) {
		usage(stdout);
		return 0;
	}
	if (first < 0 || argc - first != 2) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < NSCEN; i++)
		if (strcmp(argv[first], scenarios[i].name) == 0)
			break;
	if (i == NSCEN) {
		fprintf(stderr, "mkcap: unknown scenario '%s'\n", argv[first]);
		return 2;
	}
	if (opt.flows == 0 || opt.snap < 16) {
		fprintf(stderr, "mkcap: --flows and --snap must be positive (snap >= 16)\n");
		return 2;
	}
	out_path = argv[first + 1];
	if ((out = fopen(out_path, "wb")) == NULL)
		die(strerror(errno));
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	scenarios[i].fn();
	if (!scenarios[i].streamed)
		write_all();
	if (fclose(out) != 0)
		die(strerror(errno));
	damage(out_path);
	return 0;
}
