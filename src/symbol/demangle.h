/* C++ (Itanium ABI) and Rust (legacy and v0) symbol demangling through libiberty. */
#ifndef KILN_DEMANGLE_H
#define KILN_DEMANGLE_H

#include <stdbool.h>

/* The demangled name (malloc'd; the caller frees it), or NULL when sym is not mangled. Rust
 * legacy names lose their hash suffix, as perf and pprof show them. */
char *kiln_demangle(const char *sym);
/* Whether kiln_demangle may change sym at all: most names (C ones, every kernel one) it leaves
 * as they are. */
bool kiln_may_be_mangled(const char *sym);

#endif
