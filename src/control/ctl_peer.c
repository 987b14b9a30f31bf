/* ctl_peer.c -- what a control client may do, from its credentials.
 *
 * SO_PEERCRED gives the peer's pid, uid and gid as they were at
 * connect(2). Its supplementary groups are not in it: they are read from
 * /proc/PID/status. A peer that exited, or whose pid was reused, at worst
 * loses the group's reading right (its own gid still counts); it never
 * gains the right to change anything, which only the uid grants. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ctl_peer.h"

bool
ctl_peer_status_has_group(const char *status, size_t len, gid_t g)
{
	const char *p = status, *end = status + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if ((size_t)(le - p) > 7 && memcmp(p, "Groups:", 7) == 0) {
			const char *q = p + 7;

			while (q < le) {
				unsigned long v;
				char *e;

				while (q < le && (*q == ' ' || *q == '\t'))
					q++;
				if (q == le || *q < '0' || *q > '9')
					break;
				errno = 0;
				v = strtoul(q, &e, 10);
				if (errno || e > le || e == q)
					break;
				if ((gid_t)v == g && v == (unsigned long)(gid_t)v)
					return true;
				q = e;
			}
			return false;
		}
		p = le + 1;
	}
	return false;
}

static bool
pid_has_group(pid_t pid, gid_t g)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && ctl_peer_status_has_group(buf, (size_t)n, g);
}

enum ctl_access
ctl_peer_access(int fd, bool have_group, gid_t group)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || len != sizeof(cr))
		return CTL_ACCESS_NONE;
	if (cr.uid == 0 || cr.uid == geteuid())
		return CTL_ACCESS_ALL;
	if (have_group && (cr.gid == group || pid_has_group(cr.pid, group)))
		return CTL_ACCESS_READ;
	return CTL_ACCESS_NONE;
}
