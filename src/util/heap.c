#include "util/heap.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Under a hypervisor with shadow page tables (the PVM guest kiln is benchmarked on), the first
 * touch of each new 4 KiB page costs 15-20 us, and a 10 kHz recording took about 590 page
 * faults, half of them in the heap: several milliseconds of kiln's 15 of user time. A transparent
 * huge page takes one fault for 2 MiB (0.15 ms for 256 pages' worth against 4 ms measured here).
 *
 * MADV_HUGEPAGE only covers the heap as it is when called, since a later brk extension is a
 * new mapping without the flag, and only whole aligned 2 MiB ranges become huge pages. So the
 * break is first moved up to a 2 MiB boundary, malloc is told to take HEAP_RESERVE at its first
 * extension and to keep it (top pad and trim threshold), and that range is advised. */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1; glibc 2.36's headers lack it */
#endif

#define HUGE_PAGE (2u << 20)
#define HEAP_RESERVE (8u << 20)
/* Blocks below this come from the heap too: above the default 128 KiB they would each be a
 * separate mapping on small pages. Setting any of these options freezes glibc's own
 * adjustment of the threshold, hence an explicit value. */
#define MMAP_THRESHOLD (4u << 20)

void heap_prefer_huge_pages(void)
{
	if (mallinfo2().arena)
		return;
	uintptr_t cur = (uintptr_t)sbrk(0);
	uintptr_t start = (cur + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	if (cur == (uintptr_t)-1 || (start != cur && sbrk((intptr_t)(start - cur)) == (void *)-1))
		return;
	mallopt(M_TOP_PAD, HEAP_RESERVE);
	mallopt(M_TRIM_THRESHOLD, HEAP_RESERVE);
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	/* Through a volatile pointer: the compiler drops a malloc that is freed unused. */
	void *volatile first = malloc(1);
	free(first);
	uintptr_t end = (uintptr_t)sbrk(0) & ~(uintptr_t)(HUGE_PAGE - 1);
	if (end <= start || madvise((void *)start, end - start, MADV_HUGEPAGE))
		return;
	/* malloc has already written to the first 2 MiB (its own bookkeeping), on a small page,
	 * and a range with a small page in it gets no huge page at its next fault: collapse it. */
	madvise((void *)start, HUGE_PAGE, MADV_COLLAPSE);
}
