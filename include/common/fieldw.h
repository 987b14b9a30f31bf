/* fieldw.h -- print a field as text or as JSON through one call, after iproute2's json_print. */
#ifndef NATBOX_FIELDW_H
#define NATBOX_FIELDW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "strbuf.h"

/* A writer goes to a FILE or to a strbuf and is in text or JSON mode.
 * Each field call names the JSON key and the text format: in JSON mode
 * the key and the value are written ("key":value, commas and nesting
 * handled); in text mode the format is printed with the value, and a NULL
 * format prints nothing, so one sequence of calls yields both forms (the
 * iproute2 print_*(PRINT_ANY, key, fmt, value) model). A NULL key writes a
 * bare value (array members, or a top-level value). */
struct fieldw {
	FILE *f;
	struct strbuf *sb;
	bool json;
	unsigned depth;
	uint32_t more;		/* bit d: the container at depth d has a member */
};

#define FW_NONE		UINT64_MAX	/* fw_secs: "never" (JSON null) */

void fw_init_file(struct fieldw *w, FILE *f, bool json);
void fw_init_sb(struct fieldw *w, struct strbuf *sb, bool json);

/* Go on inside containers the caller wrote itself: depth levels deep,
 * the innermost already holding members (the next field gets its comma)
 * or not. The records then close without a newline until depth 0. */
void fw_continue(struct fieldw *w, unsigned depth, bool has_members);

/* Containers are JSON only: text mode prints nothing for them. A record
 * opened at depth 0 ends with a newline (JSON lines). */
void fw_obj_open(struct fieldw *w, const char *key);
void fw_obj_close(struct fieldw *w);
void fw_arr_open(struct fieldw *w, const char *key);
void fw_arr_close(struct fieldw *w);

void fw_str(struct fieldw *w, const char *key, const char *fmt, const char *v);	/* NULL: null */
void fw_uint(struct fieldw *w, const char *key, const char *fmt, unsigned long long v);
void fw_int(struct fieldw *w, const char *key, const char *fmt, long long v);
void fw_bool(struct fieldw *w, const char *key, const char *fmt, bool v);
void fw_null(struct fieldw *w, const char *key, const char *fmt);
/* Seconds with microseconds, trailing zeros dropped (the event stream's
 * spelling); FW_NONE is null in JSON and fmt is given "-" in text. */
void fw_secs(struct fieldw *w, const char *key, const char *fmt, uint64_t ns);
/* Text mode only: literal text (labels, separators, newlines). */
void fw_text(struct fieldw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The pieces, for writers that are not fields: s as a JSON string, quotes
 * included, into a FILE (sb_json_str does it into a strbuf, by the same
 * rule); and the seconds spelling into buf. */
void fw_json_str_file(FILE *f, const char *s);
void fw_secs_str(uint64_t ns, char *buf, size_t cap);

#endif
