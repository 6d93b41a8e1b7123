/* What a binary offers to probe: USDT probes from its .note.stapsdt notes (systemtap's <sys/sdt.h>
 * format) and the functions of its symbol tables, for uprobes. */
#ifndef KILN_ELF_PROBES_H
#define KILN_ELF_PROBES_H

#include <stdint.h>

struct usdt_probe {
	const char *provider, *name, *args; /* args: "-4@%eax 8@%rdx", "" when none */
	uint64_t pc, base, semaphore;	    /* as the note records them (link-time addresses) */
};

struct elf_function {
	const char *name;
	uint64_t addr, size, offset; /* offset: in the file, where a uprobe is placed */
};

/* Calls fn for each probe in note order. 0, or -errno with a message printed. */
int usdt_probes_each(const char *path, void (*fn)(const struct usdt_probe *p, void *arg),
		     void *arg);
/* Defined functions of non-zero size from .symtab and .dynsym, each (name, address) once, by
 * address. 0 or -errno (message printed). */
int elf_functions_each(const char *path, void (*fn)(const struct elf_function *f, void *arg),
		       void *arg);

#endif
