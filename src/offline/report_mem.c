/* report_mem.c -- the offline pass's growing arrays: huge pages for the big ones, growth that cannot fail, capped timelines. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "log.h"
#include "report_pass.h"

/* Per-flow arrays are reached at random, a cache miss a packet: with 4 KB
 * pages most also miss the TLB. Ask for huge pages over the whole 2 MB
 * pages inside a large block (glibc maps those on their own); a hint,
 * fine if refused. */
void
report_hugepages(void *p, size_t len)
{
	const uintptr_t huge = 2u << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t b = ((uintptr_t)p + len) & ~(huge - 1);

	if (len >= 2 * huge && b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
}

void *
report_xrealloc(void *p, size_t n, size_t sz)
{
	void *q;

	if (n != 0 && sz > SIZE_MAX / n)
		fatalx("out of memory");
	if ((q = realloc(p, n * sz)) == NULL)
		fatal("realloc");
	report_hugepages(q, n * sz);
	return q;
}

void
report_mark_add(struct rmarks *m, uint32_t flow, uint64_t ts, uint8_t state)
{
	if (m->full)
		return;
	if (m->n == m->cap) {
		if (m->cap >= MARKS_MAX) {
			m->full = true;
			return;
		}
		m->cap = m->cap ? m->cap * 2 : 4096;
		m->v = report_xrealloc(m->v, m->cap, sizeof(*m->v));
	}
	m->v[m->n].ts = ts;
	m->v[m->n].flow = flow;
	m->v[m->n].state = state;
	m->n++;
}
