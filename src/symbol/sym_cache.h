/* What addresses of one ELF object resolved to, kept between runs by the object's build id.
 *
 * Naming a frame of a distribution library means reading its symbol tables (tens of thousands
 * of entries, sorted) and, with a debug file, its DWARF: libdw interns every compilation unit
 * header on the first lookup. That was most of kiln's own CPU in a short recording, paid again
 * on every run for the same few hundred addresses. A build id fixes the object's content, and
 * the debug file's build id (or its absence) fixes what else the answer depends on, so the
 * frames found for an address stay true for as long as both hold.
 *
 * The answers are blobs of a blob cache (symbol/blob_cache.h), "<build id>.sym", one per
 * address, kept under the debug identity; damaged ones are ignored and resolved afresh.
 */
#ifndef KILN_SYM_CACHE_H
#define KILN_SYM_CACHE_H

#include <stdint.h>

#include "symbol/dwarf_frames.h"

struct sym_cache;

/* The results stored for build_id when they were found with the same debug identity, else an
 * empty cache that will replace them when saved. NULL when build_id is empty, the cache is off
 * (KILN_CACHE_DIR set but empty) or memory ran out: the caller then resolves every address. */
struct sym_cache *sym_cache_open(const char *build_id, const char *debug_identity);
/* The frames stored for vaddr, innermost first, the out-of-line function last (a NULL name
 * there: no symbol named it); how many, 0 when vaddr is not stored. Strings live as long as
 * the cache. */
int sym_cache_get(struct sym_cache *c, uint64_t vaddr, struct src_frame *out, int max);
/* Remembers the frames of vaddr (1 to 255 of them; strings are copied); 0 or -errno. */
int sym_cache_put(struct sym_cache *c, uint64_t vaddr, const struct src_frame *frames, int n);
/* Writes the file (whole, atomically) when something was added since it was read; 0 or
 * -errno. */
int sym_cache_save(struct sym_cache *c);
void sym_cache_free(struct sym_cache *c);

#endif
