#include "symbol/kallsyms.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/vec.h"

/* Symbols without a following neighbour in the same module get this much room: enough for any
 * function, small enough that the gap between the kernel and the module area stays unknown. */
#define KALLSYMS_LAST_SIZE (64 * 1024)

/* The file is read a piece at a time and only the names are kept: 6 MiB of text held whole,
 * in fresh pages, cost more than parsing it on this kind of VM. */
#define READ_PIECE (256 * 1024)
#define NAME_BLOCK (1024 * 1024)
#define LIKELY_SYMBOLS 131072

/* A copy of name in the current block (a new one when it is full); NULL when out of memory. */
static const char *keep_name(struct kallsyms *k, const char *name, size_t len)
{
	if (len + 1 > NAME_BLOCK)
		return NULL;
	if (!k->nblocks || k->block_used + len + 1 > NAME_BLOCK) {
		if (VEC_RESERVE(k->names, k->blocks_cap, k->nblocks + 1))
			return NULL;
		if (!(k->names[k->nblocks] = malloc(NAME_BLOCK)))
			return NULL;
		k->nblocks++;
		k->block_used = 0;
	}
	char *copy = k->names[k->nblocks - 1] + k->block_used;
	memcpy(copy, name, len);
	copy[len] = 0;
	k->block_used += len + 1;
	return copy;
}

static int module_index(struct kallsyms *k, const char *name)
{
	/* Module symbols come grouped, so the last one is almost always the match. */
	for (size_t i = k->nmods; i-- > 0;)
		if (!strcmp(k->mods[i], name))
			return (int)i;
	if (k->nmods >= UINT16_MAX || VEC_RESERVE(k->mods, k->mods_cap, k->nmods + 1) ||
	    !(k->mods[k->nmods] = keep_name(k, name, strlen(name))))
		return -ENOMEM;
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
	struct sym_entry e = {.addr = addr,
			      .name =
				  keep_name(k, name, (size_t)((tab ? tab : end_of_line) - name)),
			      .group = (uint16_t)group,
			      .bind_rank = rank};
	return e.name ? sym_table_add(&k->syms, &e) : -ENOMEM;
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
/* Parses every whole line in buf[0, len); returns how many bytes of a partial last line are
 * left, moved to the start of buf. */
static int parse_lines(struct kallsyms *k, char *buf, size_t *len, bool *nonzero)
{
	char *line = buf, *end = buf + *len;
	for (char *nl; (nl = memchr(line, '\n', (size_t)(end - line))); line = nl + 1) {
		*nl = 0;
		int err = parse_line(k, line, nl, nonzero);
		if (err)
			return err;
	}
	*len = (size_t)(end - line);
	if (*len == READ_PIECE)
		*len = 0; /* no line is that long: not kallsyms, skipped */
	memmove(buf, line, *len);
	return 0;
}

static int read_symbols(struct kallsyms *k, int fd, bool *nonzero)
{
	char *buf = malloc(READ_PIECE + 1);
	if (!buf)
		return -ENOMEM;
	size_t len = 0;
	int err = 0;
	for (bool eof = false; !err && !eof;) {
		ssize_t n = read(fd, buf + len, READ_PIECE - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		len += (size_t)n;
		eof = n == 0;
		if (eof && len)
			buf[len++] = '\n'; /* a last line without its newline */
		err = parse_lines(k, buf, &len, nonzero);
	}
	free(buf);
	return err;
}

int kallsyms_load(struct kallsyms *k, const char *path)
{
	memset(k, 0, sizeof(*k));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	bool nonzero = false;
	int err = module_index(k, "kernel.kallsyms") < 0 ||
			  VEC_RESERVE(k->syms.e, k->syms.cap, LIKELY_SYMBOLS)
		      ? -ENOMEM
		      : read_symbols(k, fd, &nonzero);
	close(fd);
	if (err)
		return err;
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
	for (size_t i = 0; i < k->nblocks; i++)
		free(k->names[i]);
	free(k->names);
	memset(k, 0, sizeof(*k));
}

const struct sym_entry *kallsyms_find(const struct kallsyms *k, uint64_t addr)
{
	return sym_table_find(&k->syms, addr);
}
