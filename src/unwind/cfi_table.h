/* Compact unwind tables built from an ELF object's call frame information (.eh_frame, else
 * .debug_frame) through libdw: a sorted array of cfi_row, identical neighbours merged, gaps
 * between FDEs marked CFI_CFA_NONE. Linker PLT stubs without CFI get the well-known x86-64
 * rules. Tables are keyed by GNU build ID so processes mapping the same file share one. */
#ifndef KILN_CFI_TABLE_H
#define KILN_CFI_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "unwind/cfi_row.h"

#define CFI_BUILD_ID_MAX 64

struct cfi_table_stats {
	uint32_t fdes;	       /* FDEs read */
	uint32_t fdes_skipped; /* FDEs beyond 4 GiB or undecodable */
	uint32_t expressions;  /* rows with a CFA expression that is not the PLT one */
	uint32_t plt_rows;     /* rows synthesized or recognized for PLT stubs */
	uint32_t signal_rows;
	uint32_t fdes_eh;	   /* of which in .eh_frame */
	uint32_t from_debug_frame; /* FDEs read from .debug_frame */
};

struct cfi_table {
	uint8_t build_id[CFI_BUILD_ID_MAX];
	uint32_t build_id_len; /* 0 when the object has none */
	struct cfi_row *rows;  /* read-only when the table came from the cache */
	uint32_t nrows;
	struct cfi_table_stats stats;
	void *mapping; /* the cache file the rows lie in, or NULL (rows malloc'd) */
	size_t mapping_len;
};

/* Build the table of the ELF file at path (or open fd, which stays open). 0 or -errno:
 * -ENOEXEC not an ELF file or not x86-64, -ENODATA no call frame information. */
int cfi_table_from_path(const char *path, struct cfi_table **out);
int cfi_table_from_fd(int fd, struct cfi_table **out);
/* The same, kept by build ID (or, without one, by symbol/elf_content_id.h's hash) in kiln's
 * cache (symbol/debug_cache.h) for the next run: reading a table back costs a small part of
 * building it from the CFI. */
int cfi_table_from_fd_cached(int fd, struct cfi_table **out);
/* From an ELF image in memory (the vdso); the image must stay valid during the call. */
int cfi_table_from_memory(const void *image, size_t size, struct cfi_table **out);
void cfi_table_free(struct cfi_table *t);

/* The row covering vaddr, or NULL when vaddr is below the first row. */
const struct cfi_row *cfi_table_lookup(const struct cfi_table *t, uint64_t vaddr);
/* Memory the table takes (rows plus header), for the size report. */
size_t cfi_table_bytes(const struct cfi_table *t);
/* Build ID as lowercase hex into buf (2 * len + 1 bytes); "" when none. */
void cfi_table_build_id_hex(const struct cfi_table *t, char *buf, size_t size);
/* A row in readable form ("rsp+8 rbp=[cfa-16]"), for tests and debugging. */
void cfi_row_format(const struct cfi_row *r, char *buf, size_t size);

#endif
