/* kdgramsend.h -- kdgramgen's sender: every flow's packets on one schedule, from raw sockets in the client's and server's namespaces (header-only). */
#ifndef NATBOX_E2E_KDGRAMSEND_H
#define NATBOX_E2E_KDGRAMSEND_H

static void
kd_enter(const char *ns)
{
	int fd = open(ns, O_RDONLY);

	if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
		perror(ns);
		exit(2);
	}
	close(fd);
}

/* [side][v6][proto]: raw sockets, made on first use in the side's
 * namespace. */
static int kd_sock[2][2][256];
static const char *kd_ns[2];

static int
kd_sock_for(int side, int v6, unsigned proto)
{
	int *s = &kd_sock[side][v6][proto], z = 0, off = 6;

	if (*s > 0)
		return *s;
	kd_enter(kd_ns[side]);
	*s = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, (int)proto);
	if (*s < 0) {
		perror("socket");
		exit(2);
	}
	if (v6 && proto == 17 && setsockopt(*s, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) != 0)
		perror("IPV6_CHECKSUM");
	(void)setsockopt(*s, SOL_SOCKET, SO_RCVBUF, &z, sizeof(z));
	shutdown(*s, SHUT_RD);
	return *s;
}

static int
kd_tap(const char *ns)
{
	int s;

	kd_enter(ns);
	s = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (s < 0) {
		perror("socket(AF_PACKET)");
		exit(2);
	}
	return s;
}

/* Wait (at most ms) for a packet from src to dst of proto and IP length
 * len to arrive on tap: forwarded, so the kernel and natbox are done
 * with it. */
static bool
kd_arrived(int tap, int v6, const uint8_t *src, const uint8_t *dst, unsigned proto,
    size_t len, int ms)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000;
	size_t al = v6 ? 16 : 4;

	for (;;) {
		uint8_t b[2048];
		struct sockaddr_ll ll;
		socklen_t sl = sizeof(ll);
		struct pollfd pf = { tap, POLLIN, 0 };
		ssize_t n;
		uint64_t now;

		while ((n = recvfrom(tap, b, sizeof(b), 0, (struct sockaddr *)&ll, &sl)) > 0) {
			sl = sizeof(ll);
			if (ll.sll_pkttype == PACKET_OUTGOING || n < 40 || (b[0] >> 4) != (v6 ? 6 : 4))
				continue;
			if (v6 ? b[6] == proto && (size_t)(b[4] << 8 | b[5]) + 40 == len &&
			    memcmp(b + 8, src, al) == 0 && memcmp(b + 24, dst, al) == 0 :
			    b[9] == proto && (size_t)(b[2] << 8 | b[3]) == len &&
			    memcmp(b + 12, src, al) == 0 && memcmp(b + 16, dst, al) == 0)
				return true;
		}
		now = now_ns(CLOCK_MONOTONIC);
		if (now >= end)
			return false;
		(void)poll(&pf, 1, (int)((end - now) / 1000000 + 1));
	}
}

/* Send packet k of flow i: from the client address i (IP_PKTINFO /
 * IPV6_PKTINFO) or from the server. */
static bool
kd_send_one(const struct kdflow *f, unsigned i, unsigned k, int tap[2], int wait_ms)
{
	const struct kdpkt *p = &f->pkts[k];
	int v6 = f->family == 6, d = p->dir;
	unsigned proto = kd_proto(f, p);
	uint8_t b[KD_PKT_MAX], c[16], s[16], cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	size_t n = kd_build(b, f, i, k);
	struct sockaddr_storage ss;
	struct iovec iov = { b, n };
	struct msghdr mh;

	kd_client_addr(f->family, i, c);
	inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? KD_SERVER6 : KD_SERVER4, s);
	memset(&ss, 0, sizeof(ss));
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_name = &ss;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, d ? c : s, 16);
		mh.msg_namelen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, d ? c : s, 4);
		mh.msg_namelen = sizeof(*a);
	}
	if (d == 0) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = v6 ? CMSG_SPACE(sizeof(struct in6_pktinfo)) :
		    CMSG_SPACE(sizeof(struct in_pktinfo));
		cm = CMSG_FIRSTHDR(&mh);
		if (v6) {
			struct in6_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, c, 16);
			cm->cmsg_level = IPPROTO_IPV6;
			cm->cmsg_type = IPV6_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		} else {
			struct in_pktinfo pi;

			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, c, 4);
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		}
	}
	if (sendmsg(kd_sock_for(d, v6, proto), &mh, 0) < 0) {
		perror("sendmsg");
		return false;
	}
	return kd_arrived(tap[!d], v6, d ? s : c, d ? c : s, proto, n + (v6 ? 40 : 20), wait_ms);
}

struct kd_slot {
	uint64_t at_ms;
	unsigned flow, pkt;
};

static int
kd_slot_cmp(const void *a, const void *b)
{
	const struct kd_slot *x = a, *y = b;

	if (x->at_ms != y->at_ms)
		return x->at_ms < y->at_ms ? -1 : 1;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

static int
kd_send(const char *list, const char *logp, const char *nsc, const char *nss, int stagger,
    int wait_ms)
{
	static struct kd_slot slots[KD_MAX_FLOWS * KD_MAX_PKTS];
	unsigned ns = 0, late = 0, behind = 0;
	int tap[2];
	uint64_t t0;
	FILE *log;

	if (kd_read(list) != 0)
		return 2;
	kd_ns[0] = nsc;
	kd_ns[1] = nss;
	tap[0] = kd_tap(nsc);
	tap[1] = kd_tap(nss);
	log = fopen(logp, "w");
	if (!log) {
		perror(logp);
		return 2;
	}
	for (unsigned i = 0; i < kd_nflows; i++)
		for (unsigned k = 0; k < kd_flows[i].npkts; k++)
			slots[ns++] = (struct kd_slot){ (uint64_t)stagger * i + kd_flows[i].pkts[k].ms,
				i, k };
	qsort(slots, ns, sizeof(slots[0]), kd_slot_cmp);
	t0 = now_ns(CLOCK_MONOTONIC);
	fprintf(log, "start %llu %llu\n", (unsigned long long)t0,
	    (unsigned long long)now_ns(CLOCK_REALTIME));
	for (unsigned q = 0; q < ns; q++) {
		uint64_t at = t0 + slots[q].at_ms * 1000000, now = now_ns(CLOCK_MONOTONIC);

		if (now < at) {
			struct timespec ts = { (time_t)((at - now) / 1000000000),
				(long)((at - now) % 1000000000) };

			nanosleep(&ts, NULL);
		} else if (now - at > 300000000) {
			behind++;	/* a gap may have moved toward a timer's edge */
		}
		fprintf(log, "pkt %u %u %llu %llu\n", slots[q].flow, slots[q].pkt + 1,
		    (unsigned long long)now_ns(CLOCK_MONOTONIC),
		    (unsigned long long)now_ns(CLOCK_REALTIME));
		if (!kd_send_one(&kd_flows[slots[q].flow], slots[q].flow, slots[q].pkt, tap, wait_ms))
			late++;
	}
	fprintf(log, "end %llu %llu\n", (unsigned long long)now_ns(CLOCK_MONOTONIC),
	    (unsigned long long)now_ns(CLOCK_REALTIME));
	fclose(log);
	if (late || behind)
		fprintf(stderr, "kdgramgen: %u packets not seen arriving within %d ms, %u sent over "
		    "300 ms late\n", late, wait_ms, behind);
	return 0;
}

#endif
