/* Finding a binary's separate debug file: by build id under the debug root
 * (/usr/lib/debug/.build-id/xx/rest.debug), by .gnu_debuglink (next to the binary, in .debug/,
 * under the debug root), and last through debuginfod when DEBUGINFOD_URLS is set. */
#ifndef KILN_DEBUGINFO_H
#define KILN_DEBUGINFO_H

#include <gelf.h>

/* Returns an open fd of the debug file (path in *found, malloc'd) or -ENOENT. */
int debuginfo_find(const char *binary_path, Elf *binary, const char *build_id_hex, char **found);
/* Where to look instead of /usr/lib/debug (tests); NULL restores the default. */
void debuginfo_set_root(const char *dir);

#endif
