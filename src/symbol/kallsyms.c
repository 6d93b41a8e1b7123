#include "symbol/kallsyms.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/read_all.h"
#include "util/vec.h"

/* Symbols without a following neighbour in the same module get this much room: enough for any
 * function, small enough that the gap between the kernel and the module area stays unknown. */
#define KALLSYMS_LAST_SIZE (64 * 1024)

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

/* line ends at end (a NUL written over its newline). */
static int parse_line(struct kallsyms *k, char *line, char *end_of_line, bool *nonzero)
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
	char *tab = memchr(name, '\t', (size_t)(end_of_line - name));
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

/* The whole file in k->text, ending in a newline. */
static int read_text(struct kallsyms *k, const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	void *text;
	int err = read_all(fd, &text, len);
	close(fd);
	if (err)
		return err;
	k->text = text;
	if (*len && k->text[*len - 1] == '\n')
		return 0;
	char *grown = realloc(k->text, *len + 1);
	if (!grown)
		return -ENOMEM;
	k->text = grown;
	k->text[(*len)++] = '\n';
	return 0;
}

int kallsyms_load(struct kallsyms *k, const char *path)
{
	memset(k, 0, sizeof(*k));
	size_t len;
	int err = read_text(k, path, &len);
	if (err)
		return err;
	if (module_index(k, "kernel.kallsyms") < 0)
		return -ENOMEM;
	/* Lines run about 40 bytes: one reservation instead of growing through 120k symbols. */
	if (VEC_RESERVE(k->syms.e, k->syms.cap, len / 36 + 1))
		return -ENOMEM;
	bool nonzero = false;
	for (char *line = k->text, *end = k->text + len; line < end;) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		*nl = 0;
		err = parse_line(k, line, nl, &nonzero);
		if (err)
			return err;
		line = nl + 1;
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
