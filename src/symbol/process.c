#include "symbol/process.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

/* Index of the first mapping with start > addr. */
static size_t upper(const struct process *p, uint64_t addr)
{
	size_t lo = 0, hi = p->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct vmap *process_find_map(const struct process *p, uint64_t addr)
{
	size_t i = upper(p, addr);
	if (!i || addr >= p->maps[i - 1].end)
		return NULL;
	return &p->maps[i - 1];
}

int process_remove_range(struct process *p, uint64_t start, uint64_t end)
{
	/* Splitting one mapping in two can add one entry. */
	if (VEC_RESERVE(p->maps, p->cap, p->n + 1))
		return -ENOMEM;
	size_t w = 0;
	struct vmap tail;
	bool have_tail = false;
	for (size_t r = 0; r < p->n; r++) {
		struct vmap m = p->maps[r];
		if (m.end <= start || m.start >= end) {
			p->maps[w++] = m;
			continue;
		}
		if (m.end > end) {
			tail = m;
			tail.pgoff += end - m.start;
			tail.start = end;
			have_tail = true;
		}
		if (m.start < start) {
			m.end = start;
			p->maps[w++] = m;
		}
		if (have_tail) {
			/* Only the last overlapped mapping can extend past end, so the rest
			 * follows. */
			p->maps[w++] = tail;
			have_tail = false;
		}
	}
	p->n = w;
	return 0;
}

int process_add_map(struct process *p, const struct vmap *m)
{
	if (m->end <= m->start)
		return 0;
	int err = process_remove_range(p, m->start, m->end);
	if (err)
		return err;
	if (VEC_RESERVE(p->maps, p->cap, p->n + 1))
		return -ENOMEM;
	size_t i = upper(p, m->start);
	memmove(&p->maps[i + 1], &p->maps[i], (p->n - i) * sizeof(*p->maps));
	p->maps[i] = *m;
	p->n++;
	return 0;
}

int process_copy_maps(struct process *dst, const struct process *src)
{
	dst->n = 0;
	if (VEC_RESERVE(dst->maps, dst->cap, src->n))
		return -ENOMEM;
	if (src->n)
		memcpy(dst->maps, src->maps, src->n * sizeof(*src->maps));
	dst->n = src->n;
	return 0;
}

void process_free(struct process *p)
{
	if (!p)
		return;
	perfmap_free(&p->jit);
	free(p->maps);
	free(p);
}
