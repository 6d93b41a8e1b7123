/* Kernel symbols from /proc/kallsyms (core kernel, modules, BPF programs). */
#ifndef KILN_KALLSYMS_H
#define KILN_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbol/sym_table.h"

struct kallsyms {
	struct sym_table syms;
	char **names; /* blocks of NUL-terminated names the symbols point into */
	size_t nblocks, blocks_cap, block_used;
	const char **mods; /* module names by group; [0] = "kernel.kallsyms" */
	size_t nmods, mods_cap;
	uint64_t *lo, *hi; /* address range of each module's text ([0]: the core kernel) */
	bool hidden;	   /* kptr_restrict: every address read as zero */
};

/* Reads a kallsyms-format file. 0, or -errno when it cannot be read. */
int kallsyms_load(struct kallsyms *k, const char *path);
void kallsyms_free(struct kallsyms *k);
const struct sym_entry *kallsyms_find(const struct kallsyms *k, uint64_t addr);

#endif
