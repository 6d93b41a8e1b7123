/* The reference user-space unwinder: walks a copied user stack with the compact CFI tables,
 * mixing in frame pointers where no table covers a pc. The BPF unwinder (collect/unwind.bpf.h)
 * follows exactly these steps, so this is both the model tests compare against and the core
 * of the copy mode (stack bytes and registers shipped to user space). */
#ifndef KILN_UNWIND_USER_H
#define KILN_UNWIND_USER_H

#include <stddef.h>
#include <stdint.h>

#include "unwind/cfi_table.h"

struct unwind_map {
	uint64_t start, end;
	uint64_t bias;		       /* runtime address = table vaddr + bias */
	const struct cfi_table *table; /* NULL: no CFI, use frame pointers */
};

/* An address space: executable mappings sorted by start, with the tables they use. */
struct unwind_space {
	struct unwind_map *maps;
	size_t nmaps;
	/* Tables owned by the space (one per distinct file), freed by unwind_space_free. */
	struct cfi_table **tables;
	size_t ntables;
};

struct unwind_regs {
	uint64_t rip, rsp, rbp;
	/* rip follows a syscall instruction (the task was in a system call): looked up at
	 * rip - 1, as the instruction may end its function's CFI. libdw ignores this. */
	uint32_t after_syscall;
};

/* A copy of user memory: [start, start + len). */
struct unwind_mem {
	uint64_t start;
	const uint8_t *data;
	size_t len;
};

enum unwind_stop {
	UNWIND_STOP_END = 0,	 /* reached the outermost frame: complete */
	UNWIND_STOP_MAX,	 /* max frames */
	UNWIND_STOP_MEMORY,	 /* needed memory outside the copy */
	UNWIND_STOP_NOINFO,	 /* no table and no usable frame pointer */
	UNWIND_STOP_UNSUPPORTED, /* a CFI rule the tables cannot express */
	UNWIND_STOP_BAD,	 /* the stack did not move up: corrupt or misread */
};

const char *unwind_stop_name(enum unwind_stop s);

/* Unwinds into ips (ips[0] = regs->rip), at most max frames. Returns the frame count. */
int unwind_user(const struct unwind_space *space, const struct unwind_regs *regs,
		const struct unwind_mem *mem, uint64_t *ips, int max, enum unwind_stop *stop);

/* The executable mappings of pid (0 = self) with a table per ELF file (and the vdso).
 * 0 or -errno. */
int unwind_space_from_pid(int pid, struct unwind_space *space);
void unwind_space_free(struct unwind_space *space);
const struct unwind_map *unwind_space_find(const struct unwind_space *space, uint64_t addr);

#endif
