#include "symbol/kallsyms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

/* Symbols without a following neighbour in the same module get this much room: enough for any
 * function, small enough that the gap between the kernel and the module area stays unknown. */
#define KALLSYMS_LAST_SIZE (64 * 1024)

static char *read_all(const char *path, int *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		*err = -errno;
		return NULL;
	}
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap);
	size_t n;
	/* /proc files have no size: read until EOF. */
	while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf) {
		*err = -ENOMEM;
		return NULL;
	}
	buf[len] = 0;
	return buf;
}

static int module_index(struct kallsyms *k, const char *name)
{
	/* Module symbols come grouped, so the last one is almost always the match. */
	for (size_t i = k->nmods; i-- > 0;)
		if (!strcmp(k->mods[i], name))
			return (int)i;
	if (k->nmods >= UINT16_MAX || VEC_RESERVE(k->mods, k->mods_cap, k->nmods + 1))
		return -ENOMEM;
	k->mods[k->nmods] = name;
	return (int)k->nmods++;
}

static bool is_text(char type)
{
	return type == 'T' || type == 't' || type == 'W' || type == 'w';
}

static int parse_line(struct kallsyms *k, char *line, bool *nonzero)
{
	char *end;
	uint64_t addr = strtoull(line, &end, 16);
	if (end == line || *end != ' ' || !end[1] || end[2] != ' ')
		return 0; /* not a symbol line: skipped rather than fatal */
	char type = end[1];
	char *name = end + 3;
	if (addr)
		*nonzero = true;
	if (!is_text(type))
		return 0;
	int group = 0;
	char *tab = strchr(name, '\t');
	if (tab) {
		*tab = 0;
		char *mod = tab + 1;
		if (*mod == '[') {
			mod++;
			char *close = strchr(mod, ']');
			if (close)
				*close = 0;
		}
		group = module_index(k, mod);
		if (group < 0)
			return group;
	}
	uint8_t rank = type == 'T' ? 2 : type == 'W' || type == 'w' ? 1 : 0;
	struct sym_entry e = {
	    .addr = addr, .name = name, .group = (uint16_t)group, .bind_rank = rank};
	return sym_table_add(&k->syms, &e);
}

static int set_sizes(struct kallsyms *k)
{
	struct sym_table *t = &k->syms;
	k->lo = calloc(k->nmods, sizeof(*k->lo));
	k->hi = calloc(k->nmods, sizeof(*k->hi));
	if (!k->lo || !k->hi)
		return -ENOMEM;
	for (size_t m = 0; m < k->nmods; m++)
		k->lo[m] = UINT64_MAX;
	for (size_t i = 0; i < t->n; i++) {
		struct sym_entry *e = &t->e[i];
		if (i + 1 < t->n && t->e[i + 1].group == e->group)
			e->size = t->e[i + 1].addr - e->addr;
		else
			e->size = KALLSYMS_LAST_SIZE;
		if (e->addr < k->lo[e->group])
			k->lo[e->group] = e->addr;
		if (e->addr + e->size > k->hi[e->group])
			k->hi[e->group] = e->addr + e->size;
	}
	for (size_t m = 0; m < k->nmods; m++)
		if (k->lo[m] > k->hi[m])
			k->lo[m] = k->hi[m] = 0;
	return 0;
}

int kallsyms_load(struct kallsyms *k, const char *path)
{
	memset(k, 0, sizeof(*k));
	int err = 0;
	k->text = read_all(path, &err);
	if (!k->text)
		return err;
	if (module_index(k, "kernel.kallsyms") < 0)
		return -ENOMEM;
	bool nonzero = false;
	for (char *line = k->text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		err = parse_line(k, line, &nonzero);
		if (err)
			return err;
		line = nl ? nl + 1 : NULL;
	}
	if (k->syms.n && !nonzero) {
		/* Every address is zero: nothing can be resolved. */
		k->hidden = true;
		sym_table_free(&k->syms);
		return 0;
	}
	sym_table_finish(&k->syms);
	return set_sizes(k);
}

void kallsyms_free(struct kallsyms *k)
{
	sym_table_free(&k->syms);
	free(k->mods);
	free(k->lo);
	free(k->hi);
	free(k->text);
	memset(k, 0, sizeof(*k));
}

const struct sym_entry *kallsyms_find(const struct kallsyms *k, uint64_t addr)
{
	return sym_table_find(&k->syms, addr);
}
