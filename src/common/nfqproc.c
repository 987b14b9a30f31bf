/* nfqproc.c -- the kernel's figures per NFQUEUE queue, read from
 * /proc/net/netfilter/nfnetlink_queue (nfqnl_show() prints one line per
 * bound queue of the reader's network namespace).
 *
 * The file is 0440 root and permissions are checked at open only, so
 * natbox run opens it before it switches user and rereads it from the
 * start (lseek, seq_file restarts) through that descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nfqproc.h"

#define NFQPROC_PATH	"/proc/net/netfilter/nfnetlink_queue"
/* ~60 bytes a line: room for some 500 queues; the rest are not read */
#define NFQPROC_BUF	32768

int
nfqproc_open(void)
{
	return open(NFQPROC_PATH, O_RDONLY | O_CLOEXEC);
}

static ssize_t
read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	while (n < cap - 1) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

int
nfqproc_read(int fd, void (*fn)(void *ctx, const struct nfqproc_line *l), void *ctx)
{
	char buf[NFQPROC_BUF], *line, *save;
	int own = -1, saved;
	ssize_t n;

	if (fd < 0 && (fd = own = nfqproc_open()) < 0)
		return -1;
	n = read_all(fd, buf, sizeof(buf));
	saved = errno;
	if (own >= 0)
		close(own);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct nfqproc_line l;

		if (sscanf(line, "%u %u %u %u %u %u %u %u", &l.queue, &l.portid, &l.total,
		    &l.copy_mode, &l.copy_range, &l.dropped, &l.user_dropped,
		    &l.id_sequence) == 8)
			fn(ctx, &l);
	}
	return 0;
}
