/* nfqproc.h -- the kernel's figures per NFQUEUE queue
 * (/proc/net/netfilter/nfnetlink_queue), read through a descriptor kept
 * open. */
#ifndef NATBOX_NFQPROC_H
#define NATBOX_NFQPROC_H

#include <stdint.h>

/* One line: queue_number peer_portid queue_total copy_mode copy_range
 * queue_dropped queue_user_dropped id_sequence (the kernel's counters are
 * 32 bits and wrap). */
struct nfqproc_line {
	unsigned queue, portid, total, copy_mode, copy_range;
	uint32_t dropped, user_dropped, id_sequence;
};

/* The file is 0440 root: open it before privileges go (--user); the
 * descriptor reads it afterwards. -1 with errno. */
int nfqproc_open(void);
/* fn for every queue listed, read through fd (or, if fd < 0, by opening
 * the file now). 0, or -1 with errno if it cannot be read. */
int nfqproc_read(int fd, void (*fn)(void *ctx, const struct nfqproc_line *l), void *ctx);

#endif
