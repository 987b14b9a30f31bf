/* nfacct.c -- nfnetlink_acct objects over libmnl: create, read, delete the
 * counter that natbox's NFQUEUE rules carry.
 *
 * Why a counter in the rule: with NFQA_CFG_F_FAIL_OPEN the kernel accepts a
 * packet it cannot queue (queue full, socket buffer full) and counts it
 * nowhere (__nfqnl_enqueue_packet()); only what reached the rule tells how
 * many there were. `-m nfacct --nfacct-name NAME` (xt_nfacct) adds every
 * packet the rule sees to the named object, which this file reads.
 * The objects live in the network namespace that made them; the match
 * refuses a rule whose object does not exist (ENOENT), and the kernel
 * refuses to delete an object a rule still uses (EBUSY).
 *
 * Nothing here prints; -1 with errno. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_acct.h>

#include "nfacct.h"

_Static_assert(NFACCT_NAME_LEN == NFACCT_NAME_MAX, "NFACCT_NAME_LEN");
/* one request or answer: headers, a name, three counters (MNL_SOCKET_BUFFER_SIZE
 * is not a constant) */
#define NFACCT_BUF 8192

struct nfacct {
	struct mnl_socket *nl;
	uint32_t portid, seq;
};

struct nfacct *
nfacct_open(void)
{
	struct timeval tv = { .tv_sec = 1 };
	struct nfacct *a = calloc(1, sizeof(*a));
	int saved;

	if (a == NULL)
		return NULL;
	a->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (a->nl == NULL)
		goto fail;
	if (mnl_socket_bind(a->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	/* a kernel that never answers must not hang the caller's thread */
	(void)setsockopt(mnl_socket_get_fd(a->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	a->portid = mnl_socket_get_portid(a->nl);
	a->seq = (uint32_t)time(NULL);
	return a;
fail:
	saved = errno;
	nfacct_close(a);
	errno = saved;
	return NULL;
}

void
nfacct_close(struct nfacct *a)
{
	if (a == NULL)
		return;
	if (a->nl)
		mnl_socket_close(a->nl);
	free(a);
}

/* A request about object name, or NULL (ENAMETOOLONG). */
static struct nlmsghdr *
acct_msg(struct nfacct *a, char *buf, uint16_t type, uint16_t flags, const char *name)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (strlen(name) >= NFACCT_NAME_LEN) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = (NFNL_SUBSYS_ACCT << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++a->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_strz(nlh, NFACCT_NAME, name);
	return nlh;
}

static int
obj_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NFACCT_MAX) < 0)
		return MNL_CB_OK;	/* newer than our headers */
	if ((type == NFACCT_PKTS || type == NFACCT_BYTES) &&
	    mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	if (type == NFACCT_USE && mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int
obj_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFACCT_MAX + 1] = { 0 };
	struct nfacct_obj *o = data;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), obj_attr, tb) < 0)
		return MNL_CB_ERROR;
	if (tb[NFACCT_PKTS] == NULL) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	o->pkts = be64toh(mnl_attr_get_u64(tb[NFACCT_PKTS]));
	o->bytes = tb[NFACCT_BYTES] ? be64toh(mnl_attr_get_u64(tb[NFACCT_BYTES])) : 0;
	o->use = tb[NFACCT_USE] ? ntohl(mnl_attr_get_u32(tb[NFACCT_USE])) : 0;
	return MNL_CB_STOP;
}

/* Send one request, read its answer: a data message (cb), or the kernel's
 * acknowledgement or error. */
static int
request(struct nfacct *a, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[NFACCT_BUF];
	uint32_t seq;
	ssize_t n;
	int r;

	if (nlh == NULL)
		return -1;
	seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(a->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		n = mnl_socket_recvfrom(a->nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				errno = ETIMEDOUT;
			return -1;
		}
		/* mnl_cb_run() skips (with ESRCH) answers to an earlier
		 * request that timed out: their sequence number differs */
		r = mnl_cb_run(buf, (size_t)n, seq, a->portid, cb, data);
		if (r == MNL_CB_ERROR && errno == ESRCH)
			continue;
		if (r <= MNL_CB_STOP)
			return r == MNL_CB_ERROR ? -1 : 0;
	}
}

int
nfacct_get(struct nfacct *a, const char *name, struct nfacct_obj *out)
{
	char buf[NFACCT_BUF];

	memset(out, 0, sizeof(*out));
	return request(a, acct_msg(a, buf, NFNL_MSG_ACCT_GET, 0, name), obj_cb, out);
}

int
nfacct_add(struct nfacct *a, const char *name)
{
	char buf[NFACCT_BUF];

	/* no NLM_F_REPLACE: an existing object (and its count) stays, EBUSY */
	return request(a, acct_msg(a, buf, NFNL_MSG_ACCT_NEW, NLM_F_CREATE | NLM_F_ACK, name),
	    NULL, NULL);
}

int
nfacct_del(struct nfacct *a, const char *name)
{
	char buf[NFACCT_BUF];

	return request(a, acct_msg(a, buf, NFNL_MSG_ACCT_DEL, NLM_F_ACK, name), NULL, NULL);
}

void
nfacct_queue_name(unsigned lo, unsigned hi, char *buf, size_t cap)
{
	if (lo == hi)
		snprintf(buf, cap, "natbox-q%u", lo);
	else
		snprintf(buf, cap, "natbox-q%u-%u", lo, hi);
}
