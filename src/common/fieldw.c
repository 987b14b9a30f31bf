/* fieldw.c -- one writer for fields as text or JSON, to a FILE or a strbuf. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldw.h"
#include "jsonesc.h"

void
fw_init_file(struct fieldw *w, FILE *f, bool json)
{
	*w = (struct fieldw){ .f = f, .json = json };
}

void
fw_init_sb(struct fieldw *w, struct strbuf *sb, bool json)
{
	*w = (struct fieldw){ .sb = sb, .json = json };
}

static void
put(struct fieldw *w, const char *s, size_t n)
{
	if (w->sb)
		sb_put(w->sb, s, n);
	else
		fwrite(s, 1, n, w->f);
}

static void __attribute__((format(printf, 2, 0)))
vout(struct fieldw *w, const char *fmt, va_list ap)
{
	if (w->sb) {
		char buf[512];
		va_list cp;
		int n;

		va_copy(cp, ap);
		n = vsnprintf(buf, sizeof(buf), fmt, cp);
		va_end(cp);
		if (n >= 0 && (size_t)n < sizeof(buf))
			sb_put(w->sb, buf, (size_t)n);
		else if (n >= 0) {
			/* rare: a long value; the strbuf formats it itself */
			char *big;

			if (vasprintf(&big, fmt, ap) >= 0) {
				sb_put(w->sb, big, (size_t)n);
				free(big);
			}
		}
	} else {
		vfprintf(w->f, fmt, ap);
	}
}

static void __attribute__((format(printf, 2, 3)))
out(struct fieldw *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vout(w, fmt, ap);
	va_end(ap);
}

static void
json_str(struct fieldw *w, const char *s)
{
	const char *run = s;
	char e[8];
	size_t n;

	if (w->sb) {
		sb_json_str(w->sb, s);
		return;
	}
	putc('"', w->f);
	for (; *s; s++) {
		if ((n = json_escape_char((unsigned char)*s, e)) == 0)
			continue;
		fwrite(run, 1, (size_t)(s - run), w->f);
		fwrite(e, 1, n, w->f);
		run = s + 1;
	}
	fwrite(run, 1, (size_t)(s - run), w->f);
	putc('"', w->f);
}

void
fw_json_str_file(FILE *f, const char *s)
{
	struct fieldw w;

	fw_init_file(&w, f, true);
	json_str(&w, s);
}


void
fw_continue(struct fieldw *w, unsigned depth, bool has_members)
{
	w->depth = depth;
	w->more = has_members ? 1u << (depth & 31) : 0;
}

/* The comma before a member, and its key. */
static void
member(struct fieldw *w, const char *key)
{
	uint32_t bit = 1u << (w->depth & 31);

	if (w->more & bit)
		put(w, ",", 1);
	w->more |= bit;
	if (key) {
		json_str(w, key);
		put(w, ":", 1);
	}
}

static void
open_(struct fieldw *w, const char *key, char c)
{
	if (!w->json)
		return;
	if (w->depth > 0)
		member(w, key);
	put(w, &c, 1);
	w->depth++;
	w->more &= ~(1u << (w->depth & 31));
}

static void
close_(struct fieldw *w, char c)
{
	if (!w->json || w->depth == 0)
		return;
	w->depth--;
	put(w, &c, 1);
	if (w->depth == 0)
		put(w, "\n", 1);
}

void fw_obj_open(struct fieldw *w, const char *key) { open_(w, key, '{'); }
void fw_obj_close(struct fieldw *w) { close_(w, '}'); }
void fw_arr_open(struct fieldw *w, const char *key) { open_(w, key, '['); }
void fw_arr_close(struct fieldw *w) { close_(w, ']'); }

/* A field's text format takes its one value, of the type the function
 * names (%llu for fw_uint, %lld for fw_int, %s for the others); the
 * compiler cannot check that at the call site (iproute2's json_print.c
 * makes the same trade). */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void
fw_str(struct fieldw *w, const char *key, const char *fmt, const char *v)
{
	if (w->json) {
		member(w, key);
		if (v)
			json_str(w, v);
		else
			put(w, "null", 4);
	} else if (fmt) {
		out(w, fmt, v ? v : "-");
	}
}

void
fw_uint(struct fieldw *w, const char *key, const char *fmt, unsigned long long v)
{
	if (w->json) {
		member(w, key);
		out(w, "%llu", v);
	} else if (fmt) {
		out(w, fmt, v);
	}
}

void
fw_int(struct fieldw *w, const char *key, const char *fmt, long long v)
{
	if (w->json) {
		member(w, key);
		out(w, "%lld", v);
	} else if (fmt) {
		out(w, fmt, v);
	}
}

void
fw_bool(struct fieldw *w, const char *key, const char *fmt, bool v)
{
	if (w->json) {
		member(w, key);
		out(w, "%s", v ? "true" : "false");
	} else if (fmt) {
		out(w, fmt, v ? "yes" : "no");
	}
}

void
fw_null(struct fieldw *w, const char *key, const char *fmt)
{
	if (w->json) {
		member(w, key);
		put(w, "null", 4);
	} else if (fmt) {
		out(w, fmt, "-");
	}
}

void
fw_secs_str(uint64_t ns, char *buf, size_t cap)
{
	uint64_t us = ns / 1000;
	int n;

	n = snprintf(buf, cap, "%llu.%06llu", (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000));
	while (n > 0 && (size_t)n < cap && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && (size_t)n < cap && buf[n - 1] == '.')
		buf[--n] = '\0';
}

void
fw_secs(struct fieldw *w, const char *key, const char *fmt, uint64_t ns)
{
	char s[32];

	if (ns == FW_NONE) {
		fw_null(w, key, fmt);
		return;
	}
	fw_secs_str(ns, s, sizeof(s));
	if (w->json) {
		member(w, key);
		put(w, s, strlen(s));
	} else if (fmt) {
		out(w, fmt, s);
	}
}

void
fw_text(struct fieldw *w, const char *fmt, ...)
{
	va_list ap;

	if (w->json)
		return;
	va_start(ap, fmt);
	vout(w, fmt, ap);
	va_end(ap);
}
