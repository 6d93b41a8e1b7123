#include "symbol/sym_table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

int sym_table_add(struct sym_table *t, const struct sym_entry *e)
{
	if (VEC_RESERVE(t->e, t->cap, t->n + 1))
		return -ENOMEM;
	t->e[t->n++] = *e;
	return 0;
}

static size_t underscores(const char *s)
{
	size_t n = 0;
	while (s[n] == '_')
		n++;
	return n;
}

/* Negative when a is the better name for a shared address. */
static int preference(const struct sym_entry *a, const struct sym_entry *b)
{
	if (a->bind_rank != b->bind_rank)
		return a->bind_rank > b->bind_rank ? -1 : 1;
	/* Compiler-made aliases (foo.localalias, foo.part.0) name the same code less plainly. */
	bool da = strchr(a->name, '.') != NULL, db = strchr(b->name, '.') != NULL;
	if (da != db)
		return da ? 1 : -1;
	size_t ua = underscores(a->name), ub = underscores(b->name);
	if (ua != ub)
		return ua < ub ? -1 : 1;
	size_t la = strlen(a->name), lb = strlen(b->name);
	if (la != lb)
		return la > lb ? -1 : 1;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	/* One name listed twice (.dynsym and .symtab): the larger size, whatever the order. */
	return (a->size < b->size) - (a->size > b->size);
}

static int cmp_entry(const void *pa, const void *pb)
{
	const struct sym_entry *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return preference(a, b);
}

/* /proc/kallsyms lists the kernel's 100k symbols in order and the modules' after them: only
 * the unsorted tail is sorted, then merged in from the back. */
static void sort_entries(struct sym_table *t)
{
	size_t sorted = 1;
	while (sorted < t->n && t->e[sorted - 1].addr <= t->e[sorted].addr)
		sorted++;
	/* Aliases of one address in the ordered part: the best name first. */
	for (size_t i = 0, j; i < sorted; i = j) {
		for (j = i + 1; j < sorted && t->e[j].addr == t->e[i].addr;)
			j++;
		if (j - i > 1)
			qsort(t->e + i, j - i, sizeof(*t->e), cmp_entry);
	}
	size_t rest = t->n - sorted;
	struct sym_entry *tail = rest && sorted >= t->n / 2 ? malloc(rest * sizeof(*tail)) : NULL;
	if (!tail) {
		if (rest)
			qsort(t->e, t->n, sizeof(*t->e), cmp_entry);
		return;
	}
	memcpy(tail, t->e + sorted, rest * sizeof(*tail));
	qsort(tail, rest, sizeof(*tail), cmp_entry);
	size_t i = sorted, j = rest, k = t->n;
	while (j > 0) {
		if (i > 0 && cmp_entry(&t->e[i - 1], &tail[j - 1]) > 0)
			t->e[--k] = t->e[--i];
		else
			t->e[--k] = tail[--j];
	}
	free(tail);
}

void sym_table_finish(struct sym_table *t)
{
	if (!t->n)
		return;
	sort_entries(t);
	size_t w = 0;
	for (size_t r = 0; r < t->n; r++) {
		if (w && t->e[w - 1].addr == t->e[r].addr) {
			/* The best name is first; an alias may still know the size. */
			if (!t->e[w - 1].size)
				t->e[w - 1].size = t->e[r].size;
			continue;
		}
		t->e[w++] = t->e[r];
	}
	t->n = w;
}

void sym_table_free(struct sym_table *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/* The size sym_table_finish leaves an address with: the best name's, else the first alias's in
 * preference order that has one. */
static uint64_t kept_size(const struct sym_nearest *q, size_t i)
{
	if (q->at[i].best.size || !q->at[i].has_sized)
		return q->at[i].best.size;
	return q->at[i].sized.size;
}

void sym_nearest_init(struct sym_nearest *q, uint64_t a)
{
	q->want = a;
	q->n = 0;
}

int sym_nearest_wants(const struct sym_nearest *q, uint64_t addr)
{
	return addr <= q->want && (q->n < SYM_NEAREST_KEPT || addr >= q->at[q->n - 1].best.addr);
}

void sym_nearest_add(struct sym_nearest *q, const struct sym_entry *e)
{
	if (!sym_nearest_wants(q, e->addr))
		return;
	size_t i = 0;
	while (i < q->n && q->at[i].best.addr > e->addr)
		i++;
	if (i < q->n && q->at[i].best.addr == e->addr) {
		if (preference(e, &q->at[i].best) < 0)
			q->at[i].best = *e;
		if (e->size && (!q->at[i].has_sized || preference(e, &q->at[i].sized) < 0)) {
			q->at[i].sized = *e;
			q->at[i].has_sized = 1;
		}
		return;
	}
	if (q->n == SYM_NEAREST_KEPT)
		q->n--; /* the lowest address drops out of reach */
	memmove(&q->at[i + 1], &q->at[i], (q->n - i) * sizeof(q->at[0]));
	q->n++;
	q->at[i].best = *e;
	q->at[i].sized = *e;
	q->at[i].has_sized = e->size != 0;
}

const struct sym_entry *sym_nearest_result(struct sym_nearest *q)
{
	for (size_t i = 0; i < q->n; i++) {
		uint64_t size = kept_size(q, i);
		if (size && q->want - q->at[i].best.addr < size) {
			q->found = q->at[i].best;
			q->found.size = size;
			return &q->found;
		}
	}
	if (!q->n || kept_size(q, 0))
		return NULL;
	q->found = q->at[0].best; /* a label reaches up to the next symbol */
	return &q->found;
}

const struct sym_entry *sym_table_find(const struct sym_table *t, uint64_t a)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->e[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	size_t i = lo - 1;
	const struct sym_entry *s = &t->e[i];
	if (s->size && a - s->addr < s->size)
		return s;
	/* A sized symbol holding a outranks labels inside it (a sizeless one, or one that
	 * encloses smaller ones starting after it). */
	for (size_t j = i, k = 0; j-- > 0 && k < SYM_NEAREST_KEPT - 1; k++)
		if (t->e[j].size && a - t->e[j].addr < t->e[j].size)
			return &t->e[j];
	return s->size ? NULL : s;
}
