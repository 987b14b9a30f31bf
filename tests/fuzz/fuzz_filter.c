/* fuzz_filter.c -- libFuzzer target: the flow filter language (ctl flows,
 * flush, explain, rebind) on arbitrary words, then the parsed filter
 * against tuples taken from the input's tail. */
#include <stdlib.h>
#include <string.h>

#include "flowfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WORDS_MAX 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[1024], *argv[WORDS_MAX], err[256];
	struct flow_filter ff;
	struct nb_addr a, b;
	size_t n = size < sizeof(buf) - 1 ? size : sizeof(buf) - 1, i;
	int argc = 0;
	bool dead = size && (data[0] & 1);

	/* words split at NUL, blank and newline, as the request line would be */
	memcpy(buf, data, n);
	buf[n] = '\0';
	for (i = 0; i < n && argc < WORDS_MAX;) {
		while (i < n && (buf[i] == '\0' || buf[i] == ' ' || buf[i] == '\n'))
			buf[i++] = '\0';
		if (i < n)
			argv[argc++] = &buf[i];
		while (i < n && buf[i] != '\0' && buf[i] != ' ' && buf[i] != '\n')
			i++;
	}
	err[0] = '\0';
	if (flow_filter_parse(&ff, argc, argv, dead, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || strlen(err) >= sizeof(err))
			abort();
		return 0;
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < 16 && i < size; i++) {
		a.b[i] = data[size - 1 - i];
		b.b[i] = data[i];
	}
	for (uint16_t q = 0; q < 4; q++)
		(void)flow_filter_queue(&ff, q);
	(void)flow_filter_match_tuple(&ff, 4, 6, &a, &b, (uint16_t)size, 5001, (uint32_t)size);
	(void)flow_filter_match_tuple(&ff, 6, 17, &b, &a, 53, (uint16_t)(size * 7), 0);
	(void)flow_filter_match_tuple(&ff, 4, 1, &a, &a, 0, 0, 1u << 31);
	return 0;
}
