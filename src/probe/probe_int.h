/* probe_int.h -- what the probe's client and server share (probe-internal). */
#ifndef NATBOX_PROBE_INT_H
#define NATBOX_PROBE_INT_H

#include <stddef.h>
#include <netinet/in.h>

/* "a.b.c.d:port" */
void probe_fmt_addr(const struct sockaddr_in *sa, char *buf, size_t cap);

#endif
