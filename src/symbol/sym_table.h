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

/* sym_table_find's answer for one address without building the table: the entries are offered
 * one by one, in any order, and only the few addresses the search would look at are kept.
 * Sorting libc's symbols costs more than scanning them a few dozen times. */
#define SYM_NEAREST_KEPT 9 /* the address found and the 8 before it that sym_table_find tries */

struct sym_nearest {
	uint64_t want;
	size_t n;
	struct {
		struct sym_entry best;	/* the name sym_table_finish keeps for this address */
		struct sym_entry sized; /* the best alias with a size, when has_sized */
		int has_sized;
	} at[SYM_NEAREST_KEPT]; /* distinct addresses <= want, highest first */
	struct sym_entry found;
};

void sym_nearest_init(struct sym_nearest *q, uint64_t a);
/* False when no entry at addr can change the answer: its name need not even be looked up. */
int sym_nearest_wants(const struct sym_nearest *q, uint64_t addr);
void sym_nearest_add(struct sym_nearest *q, const struct sym_entry *e);
/* What sym_table_find would return for the entries added (pointing into q), or NULL. */
const struct sym_entry *sym_nearest_result(struct sym_nearest *q);

#endif
