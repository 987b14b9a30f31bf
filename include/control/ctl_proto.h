/* ctl_proto.h -- what both ends of the control socket agree on: where it is and how long a request may be. */
#ifndef NATBOX_CTL_PROTO_H
#define NATBOX_CTL_PROTO_H

#include <stddef.h>
#include <stdio.h>

/* A request is one line of words (a backslash escapes the next
 * character); the answer is the body, then one status line, "ok" or
 * "error: MESSAGE". */
#define CTL_DIR			"/run/natbox"
#define CTL_REQUEST_MAX		4096	/* bytes in a request line, its newline included */

/* "/run/natbox/natbox-Q.sock" for first queue Q. */
static inline void
ctl_default_path(unsigned queue, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/natbox-%u.sock", CTL_DIR, queue);
}

#endif
