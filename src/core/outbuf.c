/* outbuf.c -- snprintf-style appending into a caller's buffer. */
#include <stdarg.h>
#include <stdio.h>

#include "outbuf.h"

void
outbuf_printf(struct outbuf *o, const char *fmt, ...)
{
	size_t room = o->len < o->cap ? o->cap - o->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room != 0 ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

size_t
outbuf_end(struct outbuf *o)
{
	if (o->cap != 0 && o->len < o->cap)
		o->buf[o->len] = '\0';
	return o->len;
}
