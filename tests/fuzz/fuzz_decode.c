/* fuzz_decode.c -- libFuzzer target: decode_packet on arbitrary bytes (TCP, UDP, ICMP and its quotes, other), checking its promises. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * libFuzzer hands us a heap buffer of exactly size bytes, so ASan flags
 * any read at data[size]. Beyond not crashing, a DEC_OK result must be
 * self-consistent; abort() makes libFuzzer keep the input.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[12];
	struct nb_packet p;
	enum decode_err e;

	e = decode_packet(data, size, &p);
	if ((unsigned int)e >= DEC__MAX || strcmp(decode_err_name(e), "?") == 0)
		abort();
	/* an error the kernel calls INVALID still names the packet */
	if (decode_err_invalid(e) && ((p.family != 4 && p.family != 6) || p.kind >= NBK__MAX ||
	    (p.kind == NBK_TCP) != (p.proto == 6)))
		abort();
	if (e != DEC_OK)
		return 0;
	if (p.family != 4 && p.family != 6)
		abort();
	if (p.family == 4 && (memcmp(p.src.b + 4, zero, sizeof(zero)) != 0 ||
	    memcmp(p.dst.b + 4, zero, sizeof(zero)) != 0))
		abort();
	if (p.kind >= NBK__MAX)
		abort();
	if (p.icmp_error) {
		/* the quoted packet's tuple: the message's own header was read */
		if ((size_t)p.l4_off + 8 > size || (p.kind == NBK_OTHER &&
		    (p.sport != p.proto || p.dport != p.proto)))
			abort();
		return 0;
	}
	switch (p.kind) {
	case NBK_UDP:
	case NBK_ICMP:
		if ((size_t)p.l4_off + 8 > size || (uint32_t)p.l4_off + 8 + p.payload_len > p.ip_len)
			abort();
		if (p.kind == NBK_ICMP && (p.sport != p.dport || !(p.proto == 1 || p.proto == 58)))
			abort();
		return 0;
	case NBK_OTHER:
		if (p.sport != p.proto || p.dport != p.proto ||
		    (uint32_t)p.l4_off + p.payload_len != p.ip_len)
			abort();
		return 0;
	}
	if ((size_t)p.l4_off + 20 > size || p.thlen < 20 || p.thlen > 60 ||
	    p.thlen % 4 != 0)
		abort();
	if ((uint32_t)p.l4_off + p.thlen + p.payload_len != p.ip_len)
		abort();
	if (p.opt.has_wscale && p.opt.wscale > 14)
		abort();
	if (p.opt.complete != ((size_t)p.l4_off + p.thlen <= size))
		abort();
	if (decode_seglen(&p) < p.payload_len)
		abort();
	return 0;
}
