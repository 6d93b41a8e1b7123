/* Source positions from DWARF (libdw): the chain of inlined functions at an address, each with
 * the line it is at, innermost first, like addr2line -i and pprof's Location.Line.
 *
 * libdw's dwarf_getscopes walks a compilation unit's whole DIE tree on every call, too slow for
 * tens of thousands of addresses in libc-sized units; this index walks each unit once, on its
 * first address, into a sorted table of function and inline ranges. */
#ifndef KILN_DWARF_FRAMES_H
#define KILN_DWARF_FRAMES_H

#include <elfutils/libdw.h>
#include <stdint.h>

struct src_frame {
	const char *name;      /* linkage (mangled) name when recorded, else the plain name */
	int line;	       /* where this frame is: the address's line, or the call site */
	const char *decl_file; /* where the function is defined, NULL when unknown */
	int decl_line;
};

struct dwarf_index;

/* build_id and identity (what else decides the DWARF read: see elf_object.c) key the unit cache,
 * which keeps each unit's index between runs: an address in a unit indexed before needs no libdw at
 * all. */
struct dwarf_index *dwarf_index_new(Dwarf *dw, const char *build_id, const char *identity);
/* Stores the units indexed in this run; 0 or -errno. */
int dwarf_index_save(struct dwarf_index *ix);
void dwarf_index_free(struct dwarf_index *ix);

/* Fills out[0..max) innermost first; the last one is the out-of-line function. Returns how
 * many, 0 when no DWARF describes vaddr. Strings live as long as the index. */
int dwarf_src_frames(struct dwarf_index *ix, uint64_t vaddr, struct src_frame *out, int max);

#endif
