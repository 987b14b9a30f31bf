/* nfacct.h -- the kernel's extended accounting objects (nfnetlink_acct) over
 * libmnl: the counter natbox's NFQUEUE rules carry (-m nfacct). */
#ifndef NATBOX_NFACCT_H
#define NATBOX_NFACCT_H

#include <stddef.h>
#include <stdint.h>

#define NFACCT_NAME_LEN 32	/* the kernel's NFACCT_NAME_MAX, with its NUL */

struct nfacct_obj {
	uint64_t pkts, bytes;
	uint32_t use;		/* references: 1 for the object, 1 per rule using it */
};

struct nfacct;

/* A netlink socket for NFNL_SUBSYS_ACCT (answers wait at most a second).
 * NULL with errno. Every request needs CAP_NET_ADMIN. */
struct nfacct *nfacct_open(void);
void nfacct_close(struct nfacct *a);
/* 0, or -1 with errno: ENOENT if there is no such object. */
int nfacct_get(struct nfacct *a, const char *name, struct nfacct_obj *out);
/* 0, or -1 with errno: EBUSY or EEXIST if it exists already. */
int nfacct_add(struct nfacct *a, const char *name);
/* 0, or -1 with errno: ENOENT if missing, EBUSY if a rule still uses it. */
int nfacct_del(struct nfacct *a, const char *name);

/* The counter of natbox's rules for queues lo..hi: "natbox-q44", or
 * "natbox-q44-45" for a --queue-balance range. */
void nfacct_queue_name(unsigned lo, unsigned hi, char *buf, size_t cap);

#endif
