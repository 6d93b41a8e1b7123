/* A tracked process: its executable mappings over time (scan, mmap, fork, exec) and its name. */
#ifndef KILN_SYM_PROCESS_H
#define KILN_SYM_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbol/elf_object.h"
#include "symbol/perfmap.h"

struct vmap {
	uint64_t start, end, pgoff;
	struct elf_object *obj; /* NULL: anonymous, special or unreadable */
	uint32_t name;		/* id in the symbolizer's name table ("" for anonymous) */
};

struct process {
	int pid;
	char comm[16];
	bool exited;
	uint64_t gen;	   /* changes with every change of the maps: the address cache keys on it */
	struct vmap *maps; /* sorted by start, never overlapping */
	size_t n, cap;
	struct perfmap jit;
	bool jit_loaded;
};

/* Adds a mapping, replacing whatever it overlaps (like mmap MAP_FIXED). 0 or -ENOMEM. */
int process_add_map(struct process *p, const struct vmap *m);
/* Forgets [start, end), splitting mappings that straddle its edges. 0 or -ENOMEM. */
int process_remove_range(struct process *p, uint64_t start, uint64_t end);
const struct vmap *process_find_map(const struct process *p, uint64_t addr);
int process_copy_maps(struct process *dst, const struct process *src);
void process_free(struct process *p);

#endif
