/* C++ (Itanium ABI) and Rust (legacy and v0) symbol demangling through libiberty. */
#ifndef KILN_DEMANGLE_H
#define KILN_DEMANGLE_H

/* The demangled name (malloc'd; the caller frees it), or NULL when sym is not mangled. Rust
 * legacy names lose their hash suffix, as perf and pprof show them. */
char *kiln_demangle(const char *sym);

#endif
