/* A sorted symbol table: what ELF files, /proc/kallsyms and perf maps are all turned into, so
 * that one binary search serves every kind of code. */
#ifndef KILN_SYM_TABLE_H
#define KILN_SYM_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct sym_entry {
	uint64_t addr;
	uint64_t size;	   /* 0 when unknown */
	const char *name;  /* owned by whoever filled the table */
	uint16_t group;	   /* kallsyms: module index (0 = core kernel) */
	uint8_t bind_rank; /* higher wins when several names share an address */
};

struct sym_table {
	struct sym_entry *e;
	size_t n, cap;
};

int sym_table_add(struct sym_table *t, const struct sym_entry *e);
/* Sorts by address and keeps one symbol per address, the best named: global over weak over
 * local, then names without a compiler suffix (foo over foo.localalias), then fewer leading
 * underscores (strlen over __GI_strlen), then the longer name. */
void sym_table_finish(struct sym_table *t);
void sym_table_free(struct sym_table *t);
/* The symbol whose [addr, addr+size) holds a; sizeless symbols reach up to the next one.
 * NULL when no symbol covers it. */
const struct sym_entry *sym_table_find(const struct sym_table *t, uint64_t a);

#endif
