/* outbuf.c -- snprintf-style appending into a caller's buffer. */
#include <stdarg.h>
#include <stdio.h>

#include "jsonesc.h"
#include "outbuf.h"
#include "policy.h"	/* NS_PER_SEC */

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

void
outbuf_json_str(struct outbuf *o, const char *s)
{
	char e[8];

	outbuf_printf(o, "\"");
	for (; *s != '\0'; s++)
		if (json_escape_char((unsigned char)*s, e))
			outbuf_printf(o, "%s", e);
		else
			outbuf_printf(o, "%c", *s);
	outbuf_printf(o, "\"");
}

/* Seconds, exact: 120, 0.25, 0.001. */
void
outbuf_json_secs(struct outbuf *o, uint64_t ns)
{
	char frac[16];
	int n;

	outbuf_printf(o, "%llu", (unsigned long long)(ns / NS_PER_SEC));
	if (ns % NS_PER_SEC == 0)
		return;
	n = snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % NS_PER_SEC));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	outbuf_printf(o, ".%s", frac);
}
