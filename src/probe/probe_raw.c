/* probe_raw.c -- what the device does with a packet of a flow it does not know: a bare ACK from a port no connection uses (picked up, dropped, or answered with a RST: unknown.action). Needs raw sockets (root) on the client; the server tells whether the ACK reached it when it has a raw socket too.
 *
 * Each ACK carries PROBE_RAW_MAGIC as its acknowledgement number and an
 * identifier as its sequence number (no device rewrites either, even a
 * translating one), so the server knows it whatever the device did to
 * its addresses. The client's raw socket sees the RSTs that come back to
 * the ACK's port. Reached the server: picked up (the server's stack
 * answers it with a RST); a RST without that: the device's own
 * (reset-sender); neither: dropped.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "probe_cli_int.h"
#include "strbuf.h"

#define MS	1000000ULL
#define RAW_TRIES	4

/* A bare segment from src to dst: flags (TH_SYN, TH_ACK, TH_RST, TH_FIN, TH_PUSH), seq and ack. */
int
probe_raw_send(int raw, const struct sockaddr_in *src, const struct sockaddr_in *dst,
    uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint8_t pkt[12 + 20];
	struct tcphdr *th = (struct tcphdr *)(pkt + 12);

	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, &src->sin_addr, 4);	/* the pseudo-header, for the checksum */
	memcpy(pkt + 4, &dst->sin_addr, 4);
	pkt[9] = IPPROTO_TCP;
	pkt[11] = 20;
	th->source = src->sin_port;
	th->dest = dst->sin_port;
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = 5;
	th->ack = (flags & TH_ACK) != 0;
	th->rst = (flags & TH_RST) != 0;
	th->syn = (flags & TH_SYN) != 0;
	th->fin = (flags & TH_FIN) != 0;
	th->psh = (flags & TH_PUSH) != 0;
	th->window = htons(1024);
	th->check = htons(probe_csum(pkt, sizeof(pkt)));
	return sendto(raw, th, 20, 0, (const struct sockaddr *)dst, sizeof(*dst)) == 20 ? 0 : -1;
}

void
probe_raw_catch(int raw, const struct sockaddr_in *from, uint64_t wait,
    void (*fn)(const struct tcphdr *th, size_t len, void *arg), void *arg)
{
	uint64_t end = clock_now_ns() + wait;
	uint8_t buf[1500];

	for (uint64_t now; (now = clock_now_ns()) < end;) {
		struct pollfd pf = { .fd = raw, .events = POLLIN };

		if (poll(&pf, 1, (int)((end - now) / MS) + 1) <= 0)
			continue;
		ssize_t n = recv(raw, buf, sizeof(buf), MSG_DONTWAIT);
		const struct iphdr *ih = (const struct iphdr *)buf;

		if (n < 20 || (size_t)n < ih->ihl * 4u + 20 || ih->saddr != from->sin_addr.s_addr)
			continue;
		fn((const struct tcphdr *)(buf + ih->ihl * 4), (size_t)n - ih->ihl * 4u, arg);
	}
}

struct rst_catch {
	const struct sockaddr_in *srv;
	const uint16_t *ports;
	bool *rst;
};

/* A RST from the server's endpoint to one of our ports. */
static void
on_rst(const struct tcphdr *th, size_t len, void *arg)
{
	const struct rst_catch *c = arg;

	(void)len;
	for (unsigned i = 0; i < RAW_TRIES; i++)
		if (th->rst && th->source == c->srv->sin_port && th->dest == c->ports[i])
			c->rst[i] = true;
}

char
probe_raw_seen(struct prober *pr, uint32_t seq)
{
	char buf[128], c = '?';
	unsigned got;

	snprintf(buf, sizeof(buf), "ASEEN %u\n", seq);
	pr->ctl_opened = 0;	/* the answer on a fresh connection */
	probe_ctl_say(pr, buf);
	while (probe_ctl_line(pr, buf, sizeof(buf)) == 0)
		if (sscanf(buf, "A %u %c", &got, &c) == 2 && got == seq)
			return c;
	return '?';
}

/* Our address towards the server, and n ports held by bound sockets
 * (no connection of ours answers on them); held[] set to -1 first. */
int
probe_raw_ports(struct prober *pr, struct sockaddr_in *me, int *held, uint16_t *ports,
    unsigned n)
{
	socklen_t sl = sizeof(*me);
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (u < 0 || connect(u, (const struct sockaddr *)&pr->o->server, sizeof(pr->o->server)) < 0 ||
	    getsockname(u, (struct sockaddr *)me, &sl) < 0) {
		if (u >= 0)
			close(u);
		return -1;
	}
	close(u);
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_in a = *me;

		a.sin_port = 0;
		sl = sizeof(a);
		held[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (held[i] < 0 || bind(held[i], (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    getsockname(held[i], (struct sockaddr *)&a, &sl) < 0)
			return -1;
		ports[i] = a.sin_port;
	}
	return 0;
}

void
probe_unknown(struct prober *pr)
{
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP), held[RAW_TRIES];
	uint16_t ports[RAW_TRIES];
	bool rst[RAW_TRIES] = { false };
	struct sockaddr_in me;
	uint32_t seq0 = pr->next_id;

	for (unsigned i = 0; i < RAW_TRIES; i++)
		held[i] = -1;
	if (raw < 0) {
		snprintf(pr->unknown_why, sizeof(pr->unknown_why), "no raw socket (%s): needs root",
		    strerror(errno));
		return;
	}
	pr->next_id += RAW_TRIES;
	if (probe_raw_ports(pr, &me, held, ports, RAW_TRIES) < 0)
		snprintf(pr->unknown_why, sizeof(pr->unknown_why), "no local port to send from");
	for (unsigned i = 0; i < RAW_TRIES && pr->unknown_why[0] == '\0'; i++) {
		me.sin_port = ports[i];
		if (probe_raw_send(raw, &me, &pr->o->server, TH_ACK, seq0 + i,
		    PROBE_RAW_MAGIC) < 0)
			snprintf(pr->unknown_why, sizeof(pr->unknown_why), "raw send: %s",
			    strerror(errno));
	}
	if (pr->unknown_why[0] == '\0') {
		struct rst_catch c = { &pr->o->server, ports, rst };

		probe_raw_catch(raw, &pr->o->server, pr->o->answer_wait, on_rst, &c);
		for (unsigned i = 0; i < RAW_TRIES; i++) {
			char saw = probe_raw_seen(pr, seq0 + i);

			pr->unk.tried++;
			pr->unk.rst += rst[i];
			pr->unk.seen += saw == 'Y';
			pr->unk.blind += saw == '?';
		}
	}
	for (unsigned i = 0; i < RAW_TRIES; i++)
		if (held[i] >= 0)
			close(held[i]);
	close(raw);
}

/* unknown.action, or a comment saying why not. */
void
probe_unknown_profile(const struct prober *pr, struct strbuf *sb)
{
	const char *v;

	if (pr->unk.tried == 0) {
		sb_printf(sb, "# unknown.action not measured: %s\n",
		    pr->unknown_why[0] ? pr->unknown_why : "skipped");
		return;
	}
	if (pr->unk.blind > 0 && 2 * pr->unk.rst > pr->unk.tried) {
		sb_printf(sb, "# unknown.action: pickup or reset-sender (%u of %u bare ACKs of no "
		    "flow answered with a RST; the server has no raw socket to say whether they "
		    "reached it)\n", pr->unk.rst, pr->unk.tried);
		return;
	}
	v = 2 * pr->unk.seen > pr->unk.tried ? "pickup" :
	    2 * pr->unk.rst > pr->unk.tried ? "reset-sender" : "drop";
	sb_printf(sb, "unknown.action = %s\t# %u bare ACKs of no flow: %u reached the server, "
	    "%u answered with a RST\n", v, pr->unk.tried, pr->unk.seen, pr->unk.rst);
}
