/* One ELF file (executable, shared library, vdso image), opened once and shared by every
 * process that maps it. Opening keeps a private mapping of the file, so binaries deleted or
 * replaced after they were seen stay readable; parsing (symbols, debug file) waits until an
 * address in it is first resolved. */
#ifndef KILN_ELF_OBJECT_H
#define KILN_ELF_OBJECT_H

#include <elfutils/libdw.h>
#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbol/dwarf_frames.h"
#include "symbol/sym_cache.h"
#include "symbol/sym_table.h"

struct elf_segment {
	uint64_t offset, filesz, vaddr;
};

struct elf_image {
	void *data;
	size_t size;
	bool malloced; /* else mmapped */
	Elf *elf;
};

struct elf_object {
	char *path; /* the name processes map it by ("[vdso]" for the vdso) */
	char *root; /* "/proc/PID/root" of a container process, for finding its debug file */
	uint64_t dev, ino;
	uint64_t file_size, mtime_ns, ctime_ns; /* with dev and ino, the file's version */
	uint32_t id; /* 1-based, unique per symbolizer: cache keys use it */
	struct elf_image main;
	bool parsed;
	bool is_elf;
	char build_id[2 * 64 + 1]; /* hex, "" when the file has none */
	char cache_id[2 * 64 + 1]; /* the build id, else a hash of the content (elf_content_id.h) */
	struct elf_segment *segs;
	size_t nsegs;
	struct sym_table syms; /* built on the LOOKUPS_BEFORE_TABLE + 1st symbol lookup */
	bool symbols_read;
	unsigned symbol_scans;
	struct sym_nearest nearest; /* the last lookup answered without the table */
	struct sym_table plt;	    /* PLT stubs, unsorted */
	char **plt_names;	    /* "foo@plt" names the entries point at */
	size_t nplt;
	struct elf_image debug; /* separate debug file, when one was found */
	char *debug_path;
	char debug_build_id[2 * 64 + 1];
	bool debug_to_cache; /* debug's DWARF is compressed: store a copy once it is read */
	Dwarf *dwarf;
	struct dwarf_index *dwarf_index;
	bool dwarf_tried;
	struct sym_cache
	    *results; /* what its addresses resolved to, in earlier runs and this one */
	bool results_tried;
};

/* Maps an open file (the caller keeps fd); NULL on failure (errno set). */
struct elf_object *elf_object_from_fd(int fd, const char *path);
/* Copies an in-memory image (the vdso). */
struct elf_object *elf_object_from_memory(const void *data, size_t size, const char *name);
void elf_object_free(struct elf_object *o);

/* Reads segments, build id and PLT and finds the debug file, once; later calls are free.
 * false when not ELF. Symbols are read by elf_object_symbol(). */
bool elf_object_parse(struct elf_object *o);
/* File offset -> link-time virtual address through the PT_LOAD segments (this is where PIE
 * executables and shared libraries get their load bias accounted for). */
uint64_t elf_object_vaddr(const struct elf_object *o, uint64_t file_offset);
/* The symbol holding vaddr (sym_table_find's rules), or NULL; valid until the next call. */
const struct sym_entry *elf_object_symbol(struct elf_object *o, uint64_t vaddr);
/* The file's DWARF (from the debug file when separate), indexed; NULL when it has none. */
struct dwarf_index *elf_object_dwarf(struct elf_object *o);
/* The cache of what its addresses resolved to (symbol/sym_cache.h), kept by its cache_id;
 * NULL when the cache is off or cannot be opened. */
struct sym_cache *elf_object_results(struct elf_object *o);
/* Stores what this run added to the object's caches (results, unit indexes). */
void elf_object_save_caches(struct elf_object *o);

/* The GNU build id note of elf in hex ("" when it has none). */
void elf_build_id_hex(Elf *elf, char *hex, size_t hexlen);

#endif
