/* Blobs derived from one ELF object, kept between runs by its build id and found by a 64-bit
 * key: what an address resolved to (symbol/sym_cache.h), a compilation unit's index
 * (symbol/dwarf_frames.h). Each kind is one file beside the decompressed debug copies
 * (symbol/debug_cache.h), under the same size bound, named "<build id><suffix>".
 *
 * The file is mapped and searched where it lies, so a run touches only the pages its lookups
 * read, however much earlier runs stored: fresh memory, not reading, is what costs here. Its
 * header names an identity (what else the blobs depend on, such as the debug file found): a
 * file made under another one, damaged or of another format is ignored and replaced. */
#ifndef KILN_BLOB_CACHE_H
#define KILN_BLOB_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct blob_cache;

/* The blobs stored for build_id under this identity and format, or an empty cache that will
 * replace them when saved. NULL when build_id is empty, the cache is off (KILN_CACHE_DIR set
 * but empty) or memory ran out: the caller then works everything out itself. */
struct blob_cache *blob_cache_open(const char *build_id, const char *suffix, uint32_t format,
				   const char *identity);
/* The blob stored or put under key (8-byte aligned, valid as long as the cache), or NULL. */
const void *blob_cache_get(const struct blob_cache *c, uint64_t key, size_t *len);
/* Keeps data (malloc'd, at least 8-byte aligned) under key, taking it over: freed with the
 * cache. 0, or -errno (-EEXIST when key has a blob) with data still the caller's. */
int blob_cache_adopt(struct blob_cache *c, uint64_t key, void *data, size_t len);
/* Writes the file, whole and atomically, when something was put since; 0 or -errno. */
int blob_cache_save(struct blob_cache *c);
void blob_cache_free(struct blob_cache *c);

#endif
