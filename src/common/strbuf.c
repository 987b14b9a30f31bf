/* strbuf.c -- an append-only text buffer for the control path's replies. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonesc.h"
#include "strbuf.h"

void
sb_init(struct strbuf *sb, size_t max)
{
	memset(sb, 0, sizeof(*sb));
	sb->max = max;
}

void
sb_init_fixed(struct strbuf *sb, char *buf, size_t cap)
{
	memset(sb, 0, sizeof(*sb));
	sb->buf = buf;
	sb->cap = sb->max = cap;
	sb->fixed = true;
	if (cap)
		buf[0] = '\0';
}

void
sb_free(struct strbuf *sb)
{
	if (!sb->fixed)
		free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void
sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->cut = false;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void
sb_consume(struct strbuf *sb, size_t n)
{
	if (n >= sb->len) {
		sb_reset(sb);
		return;
	}
	memmove(sb->buf, sb->buf + n, sb->len - n + 1);
	sb->len -= n;
}

/* Room for n more bytes and a NUL; false if that would pass max. */
static bool
reserve(struct strbuf *sb, size_t n)
{
	size_t need = sb->len + n + 1, cap;
	char *nb;

	if (need <= sb->cap)
		return true;
	if (sb->fixed || need > sb->max)
		return false;
	for (cap = sb->cap ? sb->cap : 256; cap < need; cap *= 2)
		;
	if (cap > sb->max)
		cap = sb->max;
	if ((nb = realloc(sb->buf, cap)) == NULL)
		return false;
	sb->buf = nb;
	sb->cap = cap;
	return true;
}

void
sb_put(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->cut)
		return;
	if (!reserve(sb, n)) {
		sb->cut = true;
		return;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
sb_puts(struct strbuf *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

void
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	if (sb->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_put(sb, small, (size_t)n);
		return;
	}
	if (!reserve(sb, (size_t)n)) {
		sb->cut = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void
sb_json_str(struct strbuf *sb, const char *s)
{
	const char *run = s;
	char e[8];
	size_t n;

	sb_put(sb, "\"", 1);
	for (; *s; s++) {
		if ((n = json_escape_char((unsigned char)*s, e)) == 0)
			continue;
		sb_put(sb, run, (size_t)(s - run));
		sb_put(sb, e, n);
		run = s + 1;
	}
	sb_put(sb, run, (size_t)(s - run));
	sb_put(sb, "\"", 1);
}

void
sb_secs(struct strbuf *sb, unsigned long long ns, int decimals)
{
	char frac[16];
	unsigned long long div = 1000000000ULL, unit = 1, f;
	int i;

	if (decimals > 9)
		decimals = 9;
	for (i = 0; i < 9 - decimals; i++)
		unit *= 10;
	ns = (ns + unit / 2) / unit * unit;	/* round to the last place shown */
	f = (ns % div) / unit;
	if (decimals == 0 || f == 0) {
		sb_printf(sb, "%llu", ns / div);
		return;
	}
	snprintf(frac, sizeof(frac), "%0*llu", decimals, f);
	for (i = decimals - 1; i > 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	sb_printf(sb, "%llu.%s", ns / div, frac);
}
