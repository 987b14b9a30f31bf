/* fuzz_natrw.c -- libFuzzer target: nat_rewrite() on arbitrary buffers and
 * translations (the first 13 bytes), and natrw_icmp_unreach() on the same
 * bytes. A packet that decoded before and was rewritten must decode
 * after, with the same length. */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "natrw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nat_rewrite rw;
	struct nb_packet before, after;
	uint8_t *buf, out[NATRW_UNREACH_MAX];
	enum decode_err d0;
	size_t n;

	if (size < 13)
		return 0;
	rw.set = data[0] & 3;
	rw.sport = (uint16_t)(data[1] << 8 | data[2]);
	rw.dport = (uint16_t)(data[3] << 8 | data[4]);
	rw.src = (uint32_t)data[5] << 24 | (uint32_t)data[6] << 16 | data[7] << 8 | data[8];
	rw.dst = (uint32_t)data[9] << 24 | (uint32_t)data[10] << 16 | data[11] << 8 | data[12];
	n = size - 13;
	buf = malloc(n ? n : 1);	/* exactly n: ASan sees any overrun */
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 13, n);
	d0 = decode_packet(buf, n, &before);
	if (nat_rewrite(buf, n, &rw, data[0] & 4) == NATRW_OK && d0 == DEC_OK) {
		if (decode_packet(buf, n, &after) != DEC_OK || after.ip_len != before.ip_len)
			abort();
	}
	(void)natrw_icmp_unreach(buf, n, data[0] >> 3, out, sizeof(out));
	(void)natrw_checksum(buf, n, data[1]);
	free(buf);
	return 0;
}
