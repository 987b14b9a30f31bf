/* rstsend.c -- send the TCP RSTs the engine asks for from raw IPv4/IPv6 sockets,
 * and the ICMP errors a translating profile answers refused packets with.
 *
 * natbox runs on the router, so its RSTs leave through the router's own
 * stack: locally generated packets traverse OUTPUT and POSTROUTING, never
 * FORWARD, so the FORWARD -j NFQUEUE rule does not queue them back to us.
 * The source address is the endpoint the RST claims to come from, which a
 * raw socket that writes its own IP header (IPPROTO_RAW implies
 * IP_HDRINCL, and for IPv6 IPV6_HDRINCL) may do with CAP_NET_RAW. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "rstsend.h"

#define RST_TTL 64

struct rstsend {
	int fd4, fd6;
	struct rstsend_stats st;
};

static bool
is_v4(uint8_t family)
{
	return family == 4 || family == AF_INET;
}

static bool
is_v6(uint8_t family)
{
	return family == 6 || family == AF_INET6;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 1071 ones' complement sum of big-endian 16-bit words. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
build_tcp(const struct rst_spec *r, uint8_t *th)
{
	memset(th, 0, 20);
	put16(th + 0, r->sport);
	put16(th + 2, r->dport);
	put32(th + 4, r->seq);
	/* The acknowledgment field means something only with ACK set (RFC
	 * 9293 3.1); a bare RST carries zero there, as Linux sends it. */
	put32(th + 8, (r->flags & TH_ACK) ? r->ack : 0);
	th[12] = 5 << 4;		/* data offset: 20 bytes, no options */
	th[13] = r->flags;
	/* window 0, checksum below, urgent pointer 0 */
}

size_t
rstsend_build(const struct rst_spec *r, uint8_t *buf, size_t cap)
{
	uint8_t pseudo[40];
	uint32_t sum;

	if (is_v4(r->family)) {
		uint8_t *ip = buf, *th = buf + 20;

		if (cap < 40)
			return 0;
		memset(ip, 0, 20);
		ip[0] = 0x45;			/* version 4, IHL 5 */
		put16(ip + 2, 40);		/* total length */
		put16(ip + 6, 0x4000);		/* DF; id 0: the kernel picks one */
		ip[8] = RST_TTL;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, r->src.b, 4);
		memcpy(ip + 16, r->dst.b, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));

		build_tcp(r, th);
		/* pseudo-header: src, dst, zero, protocol, TCP length */
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = IPPROTO_TCP;
		put16(pseudo + 10, 20);
		sum = csum_add(csum_add(0, pseudo, 12), th, 20);
		put16(th + 16, csum_fold(sum));
		return 40;
	}
	if (is_v6(r->family)) {
		uint8_t *ip = buf, *th = buf + 40;

		if (cap < 60)
			return 0;
		memset(ip, 0, 40);
		ip[0] = 0x60;			/* version 6, class 0, flow 0 */
		put16(ip + 4, 20);		/* payload length */
		ip[6] = IPPROTO_TCP;		/* next header */
		ip[7] = RST_TTL;		/* hop limit */
		memcpy(ip + 8, r->src.b, 16);
		memcpy(ip + 24, r->dst.b, 16);

		build_tcp(r, th);
		/* RFC 8200 8.1 pseudo-header: src, dst, length, zero, next */
		memcpy(pseudo, ip + 8, 32);
		sum = csum_add(0, pseudo, 32);
		sum += 20;
		sum += IPPROTO_TCP;
		sum = csum_add(sum, th, 20);
		put16(th + 16, csum_fold(sum));
		return 60;
	}
	return 0;
}

struct rstsend *
rstsend_open(void)
{
	struct rstsend *rs;
	int on = 1, e4 = 0;

	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return NULL;
	rs->fd4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (rs->fd4 < 0)
		e4 = errno;
	rs->fd6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (rs->fd4 < 0 && rs->fd6 < 0) {
		free(rs);
		errno = e4;
		return NULL;
	}
	/* Implied by IPPROTO_RAW; said explicitly where the kernel knows the
	 * option (IPV6_HDRINCL since Linux 4.5). */
	if (rs->fd4 >= 0)
		(void)setsockopt(rs->fd4, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on));
#ifdef IPV6_HDRINCL
	if (rs->fd6 >= 0)
		(void)setsockopt(rs->fd6, IPPROTO_IPV6, IPV6_HDRINCL, &on, sizeof(on));
#endif
	return rs;
}

void
rstsend_close(struct rstsend *rs)
{
	if (rs == NULL)
		return;
	if (rs->fd4 >= 0)
		close(rs->fd4);
	if (rs->fd6 >= 0)
		close(rs->fd6);
	free(rs);
}

int
rstsend_send(struct rstsend *rs, const struct rst_spec *r)
{
	uint8_t pkt[RST_PKT_MAX];
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	size_t len;
	ssize_t n;

	len = rstsend_build(r, pkt, sizeof(pkt));
	if (len == 0) {
		errno = EAFNOSUPPORT;
		goto fail;
	}
	if (len == 40) {
		if (rs->fd4 < 0) {
			errno = EAFNOSUPPORT;
			goto fail;
		}
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, r->dst.b, 4);
		n = sendto(rs->fd4, pkt, len, 0, (struct sockaddr *)&s4, sizeof(s4));
	} else {
		if (rs->fd6 < 0) {
			errno = EAFNOSUPPORT;
			goto fail;
		}
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, r->dst.b, 16);
		n = sendto(rs->fd6, pkt, len, 0, (struct sockaddr *)&s6, sizeof(s6));
	}
	if (n == (ssize_t)len) {
		rs->st.sent++;
		return 0;
	}
	if (n >= 0)
		errno = EMSGSIZE;
fail:
	rs->st.errors++;
	rs->st.last_errno = errno;
	return -1;
}

int
rstsend_send_ip4(struct rstsend *rs, const uint8_t *pkt, size_t len)
{
	struct sockaddr_in s4;
	ssize_t n;

	if (rs->fd4 < 0 || len < 20) {
		errno = rs->fd4 < 0 ? EAFNOSUPPORT : EINVAL;
		goto fail;
	}
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	memcpy(&s4.sin_addr, pkt + 16, 4);
	n = sendto(rs->fd4, pkt, len, 0, (struct sockaddr *)&s4, sizeof(s4));
	if (n == (ssize_t)len) {
		rs->st.icmp_sent++;
		return 0;
	}
	if (n >= 0)
		errno = EMSGSIZE;
fail:
	rs->st.icmp_errors++;
	rs->st.last_errno = errno;
	return -1;
}

const struct rstsend_stats *
rstsend_stats(const struct rstsend *rs)
{
	return &rs->st;
}
