/* Decompressed copies of separate debug files, kept by build id (like perf's ~/.debug).
 *
 * Debian compresses the DWARF of its debug packages, and libdw inflates every debug section of
 * such a file before its first lookup: for libc alone tens of MiB, written into fresh memory,
 * on every run. A decompressed copy is mapped instead, and only the pages a lookup reads are
 * touched. The directory is $KILN_CACHE_DIR (set but empty: no cache), else
 * $XDG_CACHE_HOME/kiln/debug, else ~/.cache/kiln/debug; it is kept under $KILN_CACHE_MAX_MB
 * (default 2048) by removing the copies used least recently. */
#ifndef KILN_DEBUG_CACHE_H
#define KILN_DEBUG_CACHE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/atomic_file.h"

/* The cache directory's path; -ENOENT when the cache is off. Storing creates it: readers find
 * nothing in a directory that is missing either way. */
int debug_cache_dir(char *buf, size_t len);
/* The copy for this build id, opened read-only (path filled in), or -errno. */
int debug_cache_open(const char *build_id, char *path, size_t len);
/* True when elf has compressed debug sections: a copy would spare inflating them. */
bool debug_cache_worth_it(Elf *elf);
/* Other files derived from an object and kept by its build id under the same bound (e.g.
 * ".cfi": unwind tables, ".sym": resolved addresses, ".cu": unit indexes, ".cid": content
 * hashes): opened read-only, or -errno (opening marks a file used, to the hour: the bound
 * removes the least recently used first); stored whole through write (size: what it will take,
 * for the bound), 0 or -errno. */
int debug_cache_open_kind(const char *build_id, const char *suffix, char *path, size_t len);
int debug_cache_store_kind(const char *build_id, const char *suffix, long long size,
			   atomic_writer write, void *arg);
/* Removes that file, if there is one. */
void debug_cache_remove_kind(const char *build_id, const char *suffix);
/* Stores elf with every section decompressed as the copy for build_id; 0 or -errno. elf's
 * compressed sections are decompressed in place (libdw does the same when it reads them). */
int debug_cache_store(Elf *elf, const char *build_id);

#endif
