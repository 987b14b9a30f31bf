/* nfq.c -- NFQUEUE over libmnl and libnetfilter_queue's nfq_nlmsg_* helpers
 * (not the deprecated nfq_handle API): bind, burst receive, batched verdicts,
 * rewritten packets carried back in theirs.
 *
 * One struct nfqueue is one queue and one netlink socket, used by one thread.
 * Nothing here prints; errors come back as -1/NULL with errno (and
 * nfqueue_explain_open_error() words an open failure for the user), and the
 * oddities of a running queue are counters in struct nfqueue_stats. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfq.h"

/* Room ahead of the payload in a packet message: nlmsghdr, nfgenmsg and the
 * attributes the kernel puts first (packet header, mark, timestamp, in/out
 * devices, hardware address, cap_len, skb_info, vlan) take ~250 bytes; a
 * slot this much larger than the copy range is never truncated. */
#define NFQ_MSG_HEADROOM 1024
/* What one queued packet costs in the socket's receive buffer beyond its
 * copied bytes: the message's headers and the kernel's skb bookkeeping
 * (sk_buff + skb_shared_info + kmalloc rounding). An estimate, kept generous
 * because an overrun loses the packet (ENOBUFS). */
#define NFQ_SKB_OVERHEAD 1024
/* One verdict message is 16 (nlmsghdr) + 4 (nfgenmsg) + 12 (verdict attr). */
#define NFQ_VERDICT_SPACE 64
/* nfq_nlmsg_parse() fills one slot per attribute type up to the NFQA_MAX
 * the library was built with, which may be newer than our headers. */
#define NFQ_ATTR_SLOTS 64
_Static_assert(NFQA_MAX < NFQ_ATTR_SLOTS, "NFQ_ATTR_SLOTS too small");
/* Milliseconds to wait for the kernel's answers to the bind batch. */
#define NFQ_ACK_TIMEOUT_MS 2000
/* Packets carried back in verdicts make one sendmsg() at most this big
 * before the rest waits for the next (order is kept: each flush sends
 * every verdict added before it). netlink refuses a datagram larger than
 * the socket's send buffer, which NFQ_SNDBUF makes room for: this, one
 * more packet of the largest size and the headers. */
#define NFQ_TX_PACKET_BYTES (96u * 1024)
#define NFQ_SNDBUF (256 * 1024)

struct nfqueue_vd {
	uint32_t id;
	bool accept;
	uint32_t len;		/* pkt's length */
	const uint8_t *pkt;	/* the packet to carry back, or NULL */
};

struct nfqueue {
	struct mnl_socket *nl;
	int fd;
	uint32_t portid;
	uint16_t queue;
	unsigned burst;
	size_t slot_size;
	uint8_t *slots;			/* burst slots of slot_size bytes */
	struct mmsghdr *mm;
	struct iovec *iov;
	struct sockaddr_nl *from;
	struct nfqueue_vd *vd;		/* verdicts not yet sent, in id order */
	unsigned nvd;
	char *tx;			/* verdict batch buffer: the messages' headers */
	size_t txcap;
	struct iovec *txiov;		/* headers in tx, packets where they lie */
	size_t tx_packet_bytes;		/* packets among the verdicts not yet sent */
	struct nfqueue_stats st;
};

static bool
id_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* A verdict outside the batch: for packets that arrive before the queue is
 * configured, or that do not fit the caller's array. */
static void
verdict_now(struct nfqueue *q, uint32_t id)
{
	char buf[NFQ_VERDICT_SPACE * 2];
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		q->st.send_errors++;
	q->st.verdicts++;
	q->st.verdict_msgs++;
	q->st.early_accepts++;
}

static void
set_rcvbuf(struct nfqueue *q, const struct nfqueue_config *c)
{
	uint64_t want = (uint64_t)c->maxlen * (c->copy_bytes + NFQ_SKB_OVERHEAD);
	socklen_t len;
	int v;

	if (want < (1u << 20))
		want = 1u << 20;
	if (want > INT_MAX / 2)
		want = INT_MAX / 2;
	v = (int)want;
	/* SO_RCVBUFFORCE passes net.core.rmem_max (it needs CAP_NET_ADMIN,
	 * which binding the queue needs too); plain SO_RCVBUF is capped by it.
	 * The kernel doubles either value for its bookkeeping: headroom. */
	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	len = sizeof(v);
	if (getsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v > 0)
		q->st.rcvbuf = (uint32_t)v;
}

static struct nlmsghdr *
config_msg(struct mnl_nlmsg_batch *b, uint16_t queue, uint32_t seq)
{
	struct nlmsghdr *nlh;

	nlh = nfq_nlmsg_put(mnl_nlmsg_batch_current(b), NFQNL_MSG_CONFIG, queue);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	return nlh;
}

/* The answers to configure()'s three messages (seq, seq + 1, seq + 2): the
 * first error and whose it was. Packets may be queued to us between the
 * bind and the last answer; they are accepted unseen (the engine starts a
 * moment later). -1 with errno when the answers do not come. */
static int
config_acks(struct nfqueue *q, uint32_t seq, int *first_err, enum nfqueue_stage *err_stage)
{
	int pending = 3;

	while (pending > 0) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		struct nlmsghdr *m;
		ssize_t n;
		int rem;

		n = poll(&pfd, 1, NFQ_ACK_TIMEOUT_MS);
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = recv(q->fd, q->slots, q->slot_size, 0);
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return -1;
		}
		rem = (int)n;
		for (m = (struct nlmsghdr *)q->slots; mnl_nlmsg_ok(m, rem);
		    m = mnl_nlmsg_next(m, &rem)) {
			if (m->nlmsg_type == NLMSG_ERROR &&
			    m->nlmsg_seq - seq < 3) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				pending--;
				if (e->error != 0 && *first_err == 0) {
					*first_err = -e->error;
					*err_stage = (enum nfqueue_stage)(NFQUEUE_STAGE_BIND +
					    (m->nlmsg_seq - seq));
				}
			} else if (m->nlmsg_type ==
			    ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
				struct nlattr *attr[NFQ_ATTR_SLOTS] = { 0 };
				const struct nfqnl_msg_packet_hdr *ph;

				if (nfq_nlmsg_parse(m, attr) < 0 ||
				    attr[NFQA_PACKET_HDR] == NULL)
					continue;
				ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
				verdict_now(q, ntohl(ph->packet_id));
			}
		}
	}
	return 0;
}

/* Bind, then copy mode + max length, then flags: three messages, each
 * acknowledged, sent in one buffer. They are separate so that an old kernel
 * refusing a flag is told apart from a refused bind. */
static int
configure(struct nfqueue *q, const struct nfqueue_config *c, enum nfqueue_stage *stage)
{
	char buf[8192];	/* MNL_SOCKET_BUFFER_SIZE is not a constant */
	struct mnl_nlmsg_batch *b;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL) << 8, flags, mask;
	int first_err = 0;
	enum nfqueue_stage err_stage = NFQUEUE_STAGE_BIND;

	b = mnl_nlmsg_batch_start(buf, sizeof(buf));

	nlh = config_msg(b, q->queue, seq);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	mnl_nlmsg_batch_next(b);

	/* Headers are all the engine reads; payload lengths come from the IP
	 * header, so a short copy loses nothing and keeps messages small.
	 * Translation rewrites and hands back whole packets: the worker then
	 * asks for the largest range. */
	nlh = config_msg(b, q->queue, seq + 1);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)c->copy_bytes);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, c->maxlen);
	mnl_nlmsg_batch_next(b);

	/* NFQA_CFG_F_GSO: we may be handed GSO super-packets unsegmented. Such
	 * packets (and ones with NFQA_SKB_CSUMNOTREADY) have checksums the
	 * kernel or the NIC completes later; tracking reads no checksum.
	 * Not when verdicts carry packets back (translation): the kernel
	 * marks a packet it takes from a verdict CHECKSUM_NONE
	 * (nfqnl_mangle()), so a pseudo-header sum left in its checksum field
	 * would leave as the checksum. Without the flag the kernel segments
	 * GSO packets and completes pending checksums before queueing them
	 * (nfqnl_build_packet_message()): what natbox rewrites is whole. */
	mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;
	flags = (c->rewrite ? 0 : NFQA_CFG_F_GSO) | (c->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
	nlh = config_msg(b, q->queue, seq + 2);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	mnl_nlmsg_batch_next(b);

	*stage = NFQUEUE_STAGE_BIND;
	if (mnl_socket_sendto(q->nl, mnl_nlmsg_batch_head(b),
	    mnl_nlmsg_batch_size(b)) < 0) {
		mnl_nlmsg_batch_stop(b);
		return -1;
	}
	mnl_nlmsg_batch_stop(b);

	if (config_acks(q, seq, &first_err, &err_stage) < 0)
		return -1;
	if (first_err != 0) {
		*stage = err_stage;
		errno = first_err;
		return -1;
	}
	return 0;
}

struct nfqueue *
nfqueue_open(const struct nfqueue_config *c, enum nfqueue_stage *stage)
{
	struct nfqueue *q;
	unsigned i;
	int saved;

	*stage = NFQUEUE_STAGE_SOCKET;
	if (c->burst == 0 || c->burst > NFQUEUE_BURST_MAX || c->copy_bytes == 0 ||
	    c->copy_bytes > 0xffff || c->maxlen == 0) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->queue = c->queue;
	q->burst = c->burst;
	q->slot_size = (c->copy_bytes + NFQ_MSG_HEADROOM + 63) & ~(size_t)63;
	q->slots = malloc(q->slot_size * q->burst);
	q->mm = calloc(q->burst, sizeof(*q->mm));
	q->iov = calloc(q->burst, sizeof(*q->iov));
	q->from = calloc(q->burst, sizeof(*q->from));
	q->vd = calloc(q->burst, sizeof(*q->vd));
	q->txcap = (size_t)q->burst * NFQ_VERDICT_SPACE;
	q->tx = malloc(q->txcap);
	/* per verdict at most: headers, the packet, its padding; then the tail */
	q->txiov = calloc((size_t)q->burst * 3 + 1, sizeof(*q->txiov));
	if (!q->slots || !q->mm || !q->iov || !q->from || !q->vd || !q->tx || !q->txiov)
		goto fail;
	for (i = 0; i < q->burst; i++) {
		q->iov[i].iov_base = q->slots + i * q->slot_size;
		q->iov[i].iov_len = q->slot_size;
		q->mm[i].msg_hdr.msg_iov = &q->iov[i];
		q->mm[i].msg_hdr.msg_iovlen = 1;
		q->mm[i].msg_hdr.msg_name = &q->from[i];
	}

	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (q->nl == NULL)
		goto fail;
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	q->fd = mnl_socket_get_fd(q->nl);
	q->portid = mnl_socket_get_portid(q->nl);
	/* Overruns stay reported (no NETLINK_NO_ENOBUFS): each one is a lost
	 * packet, counted, never fatal. */
	set_rcvbuf(q, c);
	if (c->rewrite) {
		int v = NFQ_SNDBUF;

		if (setsockopt(q->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
			(void)setsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	}
	if (configure(q, c, stage) < 0)
		goto fail;
	return q;
fail:
	saved = errno;
	nfqueue_close(q);
	errno = saved;
	return NULL;
}

bool
nfqueue_may_bind(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return geteuid() == 0;
	return (data[CAP_NET_ADMIN / 32].effective >> (CAP_NET_ADMIN % 32)) & 1;
}

/* The netlink port id bound to a queue, from the kernel's table, or 0. */
static unsigned
queue_owner(unsigned queue)
{
	unsigned qn, portid, owner = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %u", &qn, &portid) == 2 && qn == queue) {
			owner = portid;
			break;
		}
	}
	fclose(f);
	return owner;
}

#define NFQ_ROOT_MSG \
	"natbox run needs root (CAP_NET_ADMIN) to bind a netfilter queue"
#define NFQ_MODULE_MSG \
	"nfnetlink_queue is not available (%s): load it with `modprobe nfnetlink_queue`"

static void
explain_bind_error(unsigned queue, int err, char *buf, size_t cap)
{
	/* The kernel says EPERM both for a missing CAP_NET_ADMIN and for a
	 * queue another socket owns; EBUSY when this socket already holds it. */
	if ((err == EPERM && nfqueue_may_bind()) || err == EBUSY) {
		unsigned owner = queue_owner(queue);

		if (owner)
			snprintf(buf, cap, "queue %u is already bound by another process "
			    "(netlink port %u; `ss -f netlink -p` names it)", queue, owner);
		else
			snprintf(buf, cap, "queue %u is already bound by another process", queue);
	} else if (err == EPERM || err == EACCES) {
		snprintf(buf, cap, "%s", NFQ_ROOT_MSG);
	} else if (err == EINVAL || err == ENOENT || err == EPROTONOSUPPORT ||
	    err == EOPNOTSUPP) {
		/* nfnetlink answers EINVAL for a subsystem it has no module for. */
		snprintf(buf, cap, NFQ_MODULE_MSG, strerror(err));
	} else {
		snprintf(buf, cap, "queue %u: bind: %s", queue, strerror(err));
	}
}

const char *
nfqueue_explain_open_error(unsigned queue, enum nfqueue_stage stage, int err,
    char *buf, size_t cap)
{
	switch (stage) {
	case NFQUEUE_STAGE_SOCKET:
		if (err == EPERM || err == EACCES)
			snprintf(buf, cap, "%s", NFQ_ROOT_MSG);
		else if (err == EPROTONOSUPPORT || err == ENOENT || err == EAFNOSUPPORT)
			snprintf(buf, cap, NFQ_MODULE_MSG, strerror(err));
		else
			snprintf(buf, cap, "queue %u: netlink socket: %s", queue, strerror(err));
		break;
	case NFQUEUE_STAGE_BIND:
		explain_bind_error(queue, err, buf, cap);
		break;
	case NFQUEUE_STAGE_PARAMS:
		snprintf(buf, cap, "queue %u: the kernel refused copy mode or queue length: %s",
		    queue, strerror(err));
		break;
	case NFQUEUE_STAGE_FLAGS:
		snprintf(buf, cap, "queue %u: the kernel refused the GSO/fail-open queue "
		    "flags (Linux >= 3.10 has them): %s", queue, strerror(err));
		break;
	default:
		snprintf(buf, cap, "queue %u: %s", queue, strerror(err));
		break;
	}
	return buf;
}

void
nfqueue_close(struct nfqueue *q)
{
	if (q == NULL)
		return;
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->slots);
	free(q->mm);
	free(q->iov);
	free(q->from);
	free(q->vd);
	free(q->tx);
	free(q->txiov);
	free(q);
}

int
nfqueue_fd(const struct nfqueue *q)
{
	return q->fd;
}

const struct nfqueue_stats *
nfqueue_stats(const struct nfqueue *q)
{
	return &q->st;
}

static void
packet_msg(struct nfqueue *q, const struct nlmsghdr *m, struct nfqueue_pkt *pkts,
    unsigned *n, unsigned max)
{
	struct nlattr *attr[NFQ_ATTR_SLOTS] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;
	struct nfqueue_pkt *p;
	uint32_t id;

	if (nfq_nlmsg_parse(m, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL) {
		q->st.oddities++;	/* no id: nothing we could answer */
		return;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	/* Ids rise by one per packet queued; a jump means packets the
	 * kernel queued but could not hand us (lost with ENOBUFS). */
	if (q->st.last_id != 0 && id_after(id, q->st.last_id))
		q->st.id_gaps += id - q->st.last_id - 1;
	q->st.last_id = id;
	if (*n >= max) {
		/* The kernel sends one packet per datagram, so this does not
		 * happen; if it ever does, never leave a packet unanswered. */
		q->st.oddities++;
		verdict_now(q, id);
		return;
	}
	p = &pkts[(*n)++];
	p->id = id;
	p->skbinfo = attr[NFQA_SKB_INFO] ?
	    ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO])) : 0;
	if (attr[NFQA_PAYLOAD]) {
		p->data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p->caplen = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	} else {
		p->data = NULL;	/* copy mode not yet applied: caller accepts */
		p->caplen = 0;
	}
	p->origlen = attr[NFQA_CAP_LEN] ?
	    ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) : p->caplen;
	if (p->skbinfo & NFQA_SKB_GSO)
		q->st.gso++;
	if (p->skbinfo & NFQA_SKB_CSUMNOTREADY)
		q->st.csum_not_ready++;
}

int
nfqueue_recv_burst(struct nfqueue *q, struct nfqueue_pkt *pkts, unsigned max)
{
	unsigned n = 0, i;
	int got;

	if (max > q->burst)
		max = q->burst;
	for (i = 0; i < max; i++)
		q->mm[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_nl);
	got = recvmmsg(q->fd, q->mm, max, MSG_DONTWAIT, NULL);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		if (errno == ENOBUFS) {
			/* The socket overflowed: the kernel lost (dropped, or
			 * with fail-open accepted) packets it could not queue
			 * to us. Count it and read on. */
			q->st.enobufs++;
			return 0;
		}
		return -1;
	}
	for (i = 0; i < (unsigned)got; i++) {
		struct nlmsghdr *m = q->iov[i].iov_base;
		int rem = (int)q->mm[i].msg_len;

		if (q->from[i].nl_pid != 0) {
			q->st.oddities++;	/* not from the kernel */
			continue;
		}
		if (q->mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
			/* Cannot happen with slots sized past the copy range;
			 * clip so the packet id can still be read and answered. */
			q->st.oddities++;
			if ((size_t)rem >= sizeof(*m) && m->nlmsg_len > (uint32_t)rem)
				m->nlmsg_len = (uint32_t)rem;
		}
		for (; mnl_nlmsg_ok(m, rem); m = mnl_nlmsg_next(m, &rem)) {
			if (m->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
				packet_msg(q, m, pkts, &n, max);
			} else if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				/* Only failed verdicts are answered (no
				 * NLM_F_ACK): e.g. ENOENT for an unknown id. */
				if (e->error != 0)
					q->st.nacks++;
			} else if (m->nlmsg_type != NLMSG_NOOP &&
			    m->nlmsg_type != NLMSG_DONE) {
				q->st.oddities++;
			}
		}
	}
	return (int)n;
}

void
nfqueue_verdict_add(struct nfqueue *q, uint32_t id, bool accept)
{
	if (q->nvd == q->burst)
		(void)nfqueue_verdict_flush(q);
	q->vd[q->nvd].id = id;
	q->vd[q->nvd].accept = accept;
	q->vd[q->nvd].pkt = NULL;
	q->vd[q->nvd].len = 0;
	q->nvd++;
}

void
nfqueue_verdict_add_packet(struct nfqueue *q, uint32_t id, const uint8_t *pkt, uint32_t len)
{
	if (q->nvd == q->burst || q->tx_packet_bytes + len > NFQ_TX_PACKET_BYTES)
		(void)nfqueue_verdict_flush(q);
	q->vd[q->nvd].id = id;
	q->vd[q->nvd].accept = true;
	q->vd[q->nvd].pkt = pkt;
	q->vd[q->nvd].len = len;
	q->tx_packet_bytes += len;
	q->nvd++;
}

static void
iov_put(struct iovec *iov, unsigned *n, const void *base, size_t len)
{
	if (len == 0)
		return;
	iov[*n].iov_base = (void *)(uintptr_t)base;	/* sendmsg() only reads */
	iov[*n].iov_len = len;
	(*n)++;
}

/* The message carrying a packet back: its headers end in tx with the
 * NFQA_PAYLOAD attribute's header; the packet itself is sent from where it
 * lies (no copy), then the attribute's padding. Returns the header bytes
 * written. */
static size_t
packet_verdict(struct nfqueue *q, size_t off, const struct nfqueue_vd *vd,
    size_t *seg, unsigned *niov)
{
	static const uint8_t pad[NLA_ALIGNTO];
	struct nlmsghdr *nlh;
	struct nlattr *a;
	size_t hdr;

	nlh = nfq_nlmsg_put(q->tx + off, NFQNL_MSG_VERDICT, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)vd->id, NF_ACCEPT);
	a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
	a->nla_type = NFQA_PAYLOAD;
	a->nla_len = (uint16_t)(NLA_HDRLEN + vd->len);
	hdr = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_HDRLEN;
	nlh->nlmsg_len = (uint32_t)(hdr + NLA_ALIGN(vd->len));
	iov_put(q->txiov, niov, q->tx + *seg, off + hdr - *seg);
	iov_put(q->txiov, niov, vd->pkt, vd->len);
	iov_put(q->txiov, niov, pad, NLA_ALIGN(vd->len) - vd->len);
	*seg = off + hdr;
	q->st.payload_verdicts++;
	return hdr;
}

/* NFQNL_MSG_VERDICT_BATCH gives its verdict to every packet of the queue
 * with an id up to the one named. Ids are handed out and sent to us in
 * order under the queue's lock, every earlier packet was answered by an
 * earlier message (the kernel runs the messages of one buffer in order),
 * so a run of accepts with rising ids is exactly one batch message.
 * Drops, and accepts that carry their packet back, stay single messages,
 * in their place among the others: one sendmsg() holds them all, so a
 * rewritten packet never overtakes the verdicts of earlier ones. */
int
nfqueue_verdict_flush(struct nfqueue *q)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr mh = { .msg_name = &kernel, .msg_namelen = sizeof(kernel) };
	size_t off = 0, seg = 0;
	unsigned i = 0, j, niov = 0;
	int tries;

	if (q->nvd == 0)
		return 0;
	while (i < q->nvd) {
		struct nlmsghdr *nlh;

		j = i;
		if (q->vd[i].pkt != NULL) {
			off += packet_verdict(q, off, &q->vd[i], &seg, &niov);
			q->st.verdict_msgs++;
			i++;
			continue;
		}
		if (q->vd[i].accept) {
			while (j + 1 < q->nvd && q->vd[j + 1].accept && q->vd[j + 1].pkt == NULL &&
			    id_after(q->vd[j + 1].id, q->vd[j].id))
				j++;
		}
		nlh = nfq_nlmsg_put(q->tx + off,
		    j > i ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT, q->queue);
		nfq_nlmsg_verdict_put(nlh, (int)q->vd[j].id,
		    q->vd[j].accept ? NF_ACCEPT : NF_DROP);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		q->st.verdict_msgs++;
		i = j + 1;
	}
	iov_put(q->txiov, &niov, q->tx + seg, off - seg);
	q->st.verdicts += q->nvd;
	q->nvd = 0;
	q->tx_packet_bytes = 0;
	mh.msg_iov = q->txiov;
	mh.msg_iovlen = niov;
	for (tries = 0; tries < 2; tries++) {
		if (sendmsg(q->fd, &mh, 0) >= 0)
			return 0;
	}
	q->st.send_errors++;
	return -1;
}
