/* outbuf.h -- snprintf-style appending into a caller's buffer (core-internal). */
#ifndef NATBOX_OUTBUF_H
#define NATBOX_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

/* Appends keep counting past cap, so the caller learns the length it
 * needed, as with snprintf. */
struct outbuf {
	char *buf;
	size_t cap, len;
};

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* NUL-terminate (within cap) and return the length needed. */
size_t outbuf_end(struct outbuf *o);
/* A JSON string, quoted and escaped (jsonesc.h). */
void outbuf_json_str(struct outbuf *o, const char *s);
/* Seconds as a JSON number, exact: 120, 0.25, 0.001. */
void outbuf_json_secs(struct outbuf *o, uint64_t ns);

#endif
