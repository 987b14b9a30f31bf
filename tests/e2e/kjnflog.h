/* kjnflog.h -- the kernel differential tests' shared reading (s15, s20): NFLOG captures packet by packet, INVALID sets as text (header-only). */
#ifndef NATBOX_E2E_KJNFLOG_H
#define NATBOX_E2E_KJNFLOG_H

#include <stdint.h>
#include <stdio.h>

static uint32_t
kj_rd(const uint8_t *b, int n, int le)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint32_t)b[le ? i : n - 1 - i] << (8 * i);
	return v;
}

/*
 * tcpdump -i nflog:G -w FILE: NFLOG records (link type 239); fn gets the
 * IP packet of each NFULA_PAYLOAD TLV (9) at least 20 bytes long (a
 * segment cut inside its header is short), with
 * the record's time (ns; NFLOG batches, so it may be late).
 */
static int
kj_nflog_each(const char *path, void (*fn)(const uint8_t *ip, uint32_t len, uint64_t t, void *arg),
    void *arg)
{
	static uint8_t buf[70000];
	FILE *f = fopen(path, "rb");
	uint8_t gh[24], rh[16];
	int le;

	if (!f) {
		perror(path);
		return -1;
	}
	if (fread(gh, 1, 24, f) != 24) {
		fclose(f);
		return 0;	/* nothing was logged */
	}
	le = gh[0] == 0xd4;
	while (fread(rh, 1, 16, f) == 16) {
		uint32_t cap = kj_rd(rh + 8, 4, le), off = 4;
		uint64_t t = (uint64_t)kj_rd(rh, 4, le) * 1000000000ULL +
		    (uint64_t)kj_rd(rh + 4, 4, le) * 1000ULL;

		if (cap > sizeof(buf) || fread(buf, 1, cap, f) != cap)
			break;
		while (off + 4 <= cap) {
			uint32_t tl = kj_rd(buf + off, 2, 1), ty = kj_rd(buf + off + 2, 2, 1);

			if (tl < 4 || off + tl > cap)
				break;
			if ((ty & 0x7fff) == 9 && tl >= 4 + 20)
				fn(buf + off + 4, tl - 4, t, arg);
			off += (tl + 3) & ~3u;
		}
	}
	fclose(f);
	return 0;
}

/* "1,3,4" for bits 0, 2, 3; "-" for none. */
static void
kj_inv_str(uint32_t m, char *b, size_t cap)
{
	size_t n = 0;

	b[0] = '\0';
	for (unsigned k = 0; k < 32 && n + 4 < cap; k++)
		if (m & (1u << k))
			n += (size_t)snprintf(b + n, cap - n, "%s%u", n ? "," : "", k + 1);
	if (!n)
		snprintf(b, cap, "-");
}

#endif
