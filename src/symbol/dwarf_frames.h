/* Source positions from DWARF (libdw): the chain of inlined functions at an address, each with
 * the line it is at, innermost first, like addr2line -i and pprof's Location.Line. */
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

/* Fills out[0..max) innermost first; the last one is the out-of-line function. Returns how
 * many, 0 when no DWARF describes vaddr. Strings belong to dw. */
int dwarf_src_frames(Dwarf *dw, uint64_t vaddr, struct src_frame *out, int max);

#endif
