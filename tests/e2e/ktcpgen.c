/* ktcpgen.c -- crafted TCP flows for the kernel differential test (s15): generate, send through the lab, judge. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ktcpgen.h"

/*
 * ktcpgen gen SEED FLOWS          flows as a packet list on stdout
 * ktcpgen send LIST LOG CLIENT_NS SERVER_NS BASE_PORT GAP_US [WAIT_MS]
 *                                 send them: client packets from the
 *                                 client namespace, server packets from
 *                                 the server's; LOG gets the times
 * ktcpgen judge LIST LOG EVENTS CT NFLOG [SHOW]
 *                                 compare natbox's events and invalid
 *                                 marks with the kernel's conntrack -E and
 *                                 NFLOG (--ctstate INVALID); prints
 *                                 agreement counts and, for up to SHOW
 *                                 flows that disagree, their packet list
 *
 * A packet list: "flow NAME FAMILY" then one line per packet,
 * "C|S FLAGS SEQ ACK WIN LEN [mss=N] [ws=N] [sackok] [ts=V,E] [sack=L,R]
 * [wait=MS] [doff=N] [trunc=N]" (FLAGS as letters SAFRPUEC, "-" for
 * none; wait: the flow is idle MS ms, at most 60000, before the packet;
 * doff: the data offset field says N words, 0-15, whatever the header
 * built; trunc: only the segment's first N bytes, 4-19, are sent: both
 * malformed as the kernel's tcp_error() sees it), a blank line after
 * each flow.
 * Packet i of a flow carries i in its urgent pointer (the trackers ignore
 * it), so the kernel's NFLOG copy says which packet it marked.
 */

static int
kf_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	struct kflow *cur = NULL;

	if (!f) {
		perror(path);
		return -1;
	}
	kf_nflows = 0;
	while (fgets(line, sizeof(line), f)) {
		char d, fl[16], *o;
		struct kpkt p;
		unsigned v;
		int n = 0;

		if (strncmp(line, "flow ", 5) == 0) {
			if (kf_nflows == KF_MAX_FLOWS)
				break;
			cur = &kf_flows[kf_nflows++];
			memset(cur, 0, sizeof(*cur));
			if (sscanf(line, "flow %63s %d", cur->name, &cur->family) != 2)
				cur->family = 4;
			continue;
		}
		if (!cur || cur->npkts == KF_MAX_PKTS)
			continue;
		memset(&p, 0, sizeof(p));
		p.ws = -1;
		if (sscanf(line, " %c %15s %u %u %hu %hu%n", &d, fl, &p.seq, &p.ack, &p.win,
		    &p.len, &n) != 6)
			continue;
		p.dir = d == 'S';
		p.flags = parse_flags(fl);
		for (o = strtok(line + n, " \n"); o; o = strtok(NULL, " \n")) {
			if (sscanf(o, "mss=%hu", &p.mss) == 1 || sscanf(o, "ws=%d", &p.ws) == 1)
				continue;
			if (strcmp(o, "sackok") == 0)
				p.sackok = 1;
			else if (sscanf(o, "ts=%u,%u", &p.tsval, &p.tsecr) == 2)
				p.ts = 1;
			else if (sscanf(o, "sack=%u,%u", &p.sack_l, &p.sack_r) == 2)
				p.sack = 1;
			else if (sscanf(o, "wait=%u", &p.wait_ms) == 1 && p.wait_ms > 60000)
				p.wait_ms = 60000;
			else if (sscanf(o, "doff=%u", &v) == 1 && v < 16)
				p.doff_set = 1, p.doff = (uint8_t)v;
			else if (sscanf(o, "trunc=%u", &v) == 1 && v >= 4 && v < 20)
				p.trunc = (uint8_t)v;
		}
		cur->pkts[cur->npkts++] = p;
	}
	fclose(f);
	return 0;
}

#include "ktcpjudge.h"

/* ---- sending ---- */

static uint16_t
csum_add(uint32_t sum, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)(b[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

/* The TCP segment (header, options, zero payload); returns its length. */
static size_t
build(uint8_t *b, const struct kpkt *p, uint16_t sport, uint16_t dport, uint16_t idx)
{
	uint8_t *o = b + 20;
	size_t ol = 0, hl;

	if (p->mss) {
		o[ol++] = 2, o[ol++] = 4;
		put16(o + ol, p->mss), ol += 2;
	}
	if (p->sackok)
		o[ol++] = 1, o[ol++] = 1, o[ol++] = 4, o[ol++] = 2;
	if (p->ts) {
		o[ol++] = 1, o[ol++] = 1, o[ol++] = 8, o[ol++] = 10;
		put32(o + ol, p->tsval), ol += 4;
		put32(o + ol, p->tsecr), ol += 4;
	}
	if (p->ws >= 0)
		o[ol++] = 1, o[ol++] = 3, o[ol++] = 3, o[ol++] = (uint8_t)p->ws;
	if (p->sack) {
		o[ol++] = 1, o[ol++] = 1, o[ol++] = 5, o[ol++] = 10;
		put32(o + ol, p->sack_l), ol += 4;
		put32(o + ol, p->sack_r), ol += 4;
	}
	while (ol % 4)
		o[ol++] = 0;
	hl = 20 + ol;
	put16(b, sport);
	put16(b + 2, dport);
	put32(b + 4, p->seq);
	put32(b + 8, p->ack);
	b[12] = (uint8_t)((hl / 4) << 4);
	b[13] = p->flags;
	put16(b + 14, p->win);
	put16(b + 16, 0);
	put16(b + 18, idx);
	memset(b + hl, 'x', p->len);
	if (p->doff_set)
		b[12] = (uint8_t)(p->doff << 4);
	return p->trunc ? p->trunc : hl + p->len;
}

static void
v6_csum(int s, int off)
{
	if (setsockopt(s, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) != 0)
		perror("IPV6_CHECKSUM");
}

static int
sock_in(const char *ns, int family)
{
	int fd, nsfd = open(ns, O_RDONLY), s, off = 16;

	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
		perror(ns);
		exit(2);
	}
	close(nsfd);
	s = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_TCP);
	if (s < 0) {
		perror("socket");
		exit(2);
	}
	if (family == 6 && setsockopt(s, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) != 0) {
		perror("IPV6_CHECKSUM");
		exit(2);
	}
	fd = 0;
	(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &fd, sizeof(fd));
	shutdown(s, SHUT_RD);
	return s;
}

/* A packet socket in ns: every frame its interfaces receive. */
static int
tap_in(const char *ns)
{
	int nsfd = open(ns, O_RDONLY), s;

	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
		perror(ns);
		exit(2);
	}
	close(nsfd);
	s = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (s < 0) {
		perror("socket(AF_PACKET)");
		exit(2);
	}
	return s;
}

/* Wait (at most ms) for the packet numbered idx of ports sport > dport
 * to arrive on tap: the router has forwarded it, so the kernel confirmed
 * and reported it and natbox gave its verdict. Without this a packet
 * could overtake one still in natbox's queue at the kernel's conntrack
 * (the first one's entry not yet confirmed, its events not yet sent). */
static bool
arrived(int tap, uint16_t sport, uint16_t dport, uint16_t idx, int ms)
{
	uint64_t end = 0;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + (uint64_t)ms;
	for (;;) {
		uint8_t b[2048];
		struct sockaddr_ll ll;
		socklen_t sl = sizeof(ll);
		struct pollfd pf = { tap, POLLIN, 0 };
		ssize_t n;
		uint64_t now;

		while ((n = recvfrom(tap, b, sizeof(b), 0, (struct sockaddr *)&ll, &sl)) > 0) {
			const uint8_t *th;

			sl = sizeof(ll);
			if (ll.sll_pkttype == PACKET_OUTGOING || n < 40)
				continue;
			if ((b[0] >> 4) == 6) {
				if (b[6] != IPPROTO_TCP || n < 60)
					continue;
				th = b + 40;
			} else {
				if (b[9] != IPPROTO_TCP || n < (ssize_t)((b[0] & 15) * 4 + 20))
					continue;
				th = b + (b[0] & 15) * 4;
			}
			if ((th[0] << 8 | th[1]) == sport && (th[2] << 8 | th[3]) == dport &&
			    (th[18] << 8 | th[19]) == idx)
				return true;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		if (now >= end)
			return false;
		(void)poll(&pf, 1, (int)(end - now));
	}
}

static const char *const addr4[2] = { KF_CLIENT4, KF_SERVER4 };
static const char *const addr6[2] = { KF_CLIENT6, KF_SERVER6 };

static uint64_t
now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
cmd_send(int argc, char **argv)
{
	int s[2][2];		/* [family 4/6][side] */
	int tap[2];
	unsigned base, gap, late = 0;
	int wait_ms = 200;
	FILE *log;

	if ((argc != 8 && argc != 9) || kf_read(argv[2]) != 0)
		return 2;
	if (argc == 9)
		wait_ms = atoi(argv[8]);
	base = (unsigned)atoi(argv[6]);
	gap = (unsigned)atoi(argv[7]);
	s[0][0] = sock_in(argv[4], 4), s[1][0] = sock_in(argv[4], 6);
	s[0][1] = sock_in(argv[5], 4), s[1][1] = sock_in(argv[5], 6);
	tap[0] = tap_in(argv[4]);
	tap[1] = tap_in(argv[5]);
	log = fopen(argv[3], "w");
	if (!log) {
		perror(argv[3]);
		return 2;
	}
	for (unsigned i = 0; i < kf_nflows; i++) {
		struct kflow *fl = &kf_flows[i];
		uint16_t cport = (uint16_t)(base + i);
		int v6 = fl->family == 6;

		fprintf(log, "flow %u %u %llu\n", i, cport,
		    (unsigned long long)now_ns(CLOCK_REALTIME));
		for (unsigned k = 0; k < fl->npkts; k++) {
			const struct kpkt *p = &fl->pkts[k];
			uint8_t b[1600];
			struct sockaddr_storage ss;
			socklen_t sl;
			size_t n;
			int d = p->dir;

			if (p->wait_ms) {
				struct timespec ts = { (time_t)(p->wait_ms / 1000),
					(long)(p->wait_ms % 1000) * 1000000L };

				while (nanosleep(&ts, &ts) != 0)
					;
			}
			n = build(b, p, d ? KF_SERVER_PORT : cport, d ? cport : KF_SERVER_PORT,
			    (uint16_t)(k + 1));
			memset(&ss, 0, sizeof(ss));
			if (v6) {
				struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
				uint8_t ph[40];

				(void)ph;
				a->sin6_family = AF_INET6;
				inet_pton(AF_INET6, addr6[!d], &a->sin6_addr);
				sl = sizeof(*a);
			} else {
				struct sockaddr_in *a = (struct sockaddr_in *)&ss;
				uint8_t ph[12];
				uint16_t c;

				a->sin_family = AF_INET;
				inet_pton(AF_INET, addr4[!d], &a->sin_addr);
				sl = sizeof(*a);
				inet_pton(AF_INET, addr4[d], ph);
				inet_pton(AF_INET, addr4[!d], ph + 4);
				ph[8] = 0, ph[9] = 6;
				put16(ph + 10, (uint16_t)n);
				c = csum_add(csum_add(0, ph, 12), b, n);
				put16(b + 16, (uint16_t)~c);
			}
			fprintf(log, "pkt %u %u %llu\n", i, k + 1,
			    (unsigned long long)now_ns(CLOCK_MONOTONIC));
			/* a cut IPv6 segment has no checksum field to fill */
			if (v6 && p->trunc)
				v6_csum(s[v6][d], -1);
			if (sendto(s[v6][d], b, n, 0, (struct sockaddr *)&ss, sl) < 0)
				perror("sendto");
			if (v6 && p->trunc)
				v6_csum(s[v6][d], 16);
			/* a cut segment has no number to wait for */
			if (p->trunc)
				usleep((useconds_t)wait_ms * 1000);
			else if (!arrived(tap[!d], d ? KF_SERVER_PORT : cport, d ? cport : KF_SERVER_PORT,
			    (uint16_t)(k + 1), wait_ms))
				late++;
			usleep(gap);
		}
		fprintf(log, "end %u %llu %llu\n", i, (unsigned long long)now_ns(CLOCK_MONOTONIC),
		    (unsigned long long)now_ns(CLOCK_REALTIME));
	}
	fclose(log);
	if (late)
		fprintf(stderr, "ktcpgen: %u packets not seen arriving within %d ms\n", late,
		    wait_ms);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "gen") == 0)
		return kf_gen((uint64_t)strtoull(argv[2], NULL, 10), (unsigned)atoi(argv[3]),
		    argc > 4 ? atoi(argv[4]) : 0);
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return cmd_send(argc, argv);
	if (argc >= 7 && strcmp(argv[1], "judge") == 0)
		return kf_judge(argv[2], argv[3], argv[4], argv[5], argv[6],
		    argc > 7 ? atoi(argv[7]) : 5);
	fprintf(stderr, "usage: ktcpgen gen SEED FLOWS [FAMILY] | send LIST LOG CLIENT_NS "
	    "SERVER_NS BASE_PORT GAP_US [WAIT_MS] | judge LIST LOG EVENTS CT NFLOG [SHOW]\n");
	return 2;
}
