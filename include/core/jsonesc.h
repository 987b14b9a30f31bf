/* jsonesc.h -- the one rule by which natbox escapes text inside a JSON string. */
#ifndef NATBOX_JSONESC_H
#define NATBOX_JSONESC_H

#include <stddef.h>

/* Write c's escape into out (NUL-terminated) and return its length, or
 * return 0 when c stands as itself. RFC 8259 section 7 requires '"', '\\'
 * and the controls below 0x20 to be escaped; DEL (0x7f) is escaped too, so
 * a name pasted from a terminal never reaches one raw. Bytes of 0x80 and
 * up pass as they are (UTF-8 is the reader's business). Every writer of
 * JSON in natbox (core buffers, the fronts' files and replies) loops over
 * this one function, so they cannot disagree. */
static inline size_t
json_escape_char(unsigned char c, char out[8])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		out[2] = '\0';
		return 2;
	}
	if (c >= 0x20 && c != 0x7f)
		return 0;
	out[0] = '\\';
	out[1] = 'u';
	out[2] = '0';
	out[3] = '0';
	out[4] = hex[c >> 4];
	out[5] = hex[c & 15];
	out[6] = '\0';
	return 6;
}

#endif
