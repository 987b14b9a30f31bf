/* strbuf.h -- an append-only text buffer (printf, JSON strings) for the control path's replies. */
#ifndef NATBOX_STRBUF_H
#define NATBOX_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Growable up to max bytes, or over a caller's fixed array (fixed = true).
 * Output that does not fit is cut and `cut` set; buf stays NUL-terminated. */
struct strbuf {
	char *buf;
	size_t len, cap, max;
	bool fixed;
	bool cut;
};

void sb_init(struct strbuf *sb, size_t max);
void sb_init_fixed(struct strbuf *sb, char *buf, size_t cap);
void sb_free(struct strbuf *sb);			/* growable ones only */
void sb_reset(struct strbuf *sb);
/* Drop the first n bytes (what a socket took). */
void sb_consume(struct strbuf *sb, size_t n);

void sb_put(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included. */
void sb_json_str(struct strbuf *sb, const char *s);
/* Seconds from ns: "12.5", "0.25", "3" (at most `decimals` places, no
 * trailing zeros). */
void sb_secs(struct strbuf *sb, unsigned long long ns, int decimals);

#endif
