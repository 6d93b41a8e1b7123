/* Finding a binary's separate debug file: by build id under the debug root
 * (/usr/lib/debug/.build-id/xx/rest.debug), by .gnu_debuglink (next to the binary, in .debug/,
 * under the debug root), and last through debuginfod when DEBUGINFOD_URLS is set. For a process
 * in a container each place is looked for under its root first. */
#ifndef KILN_DEBUGINFO_H
#define KILN_DEBUGINFO_H

#include <gelf.h>
#include <stdint.h>

struct debug_query {
	const char *root;     /* "/proc/PID/root" for a process in a container, else NULL */
	const char *path;     /* the binary's path as its process sees it */
	Elf *elf;	      /* the binary */
	const char *build_id; /* hex, "" when none */
	uint64_t dev, ino;    /* the binary itself, never its own debug file */
};

/* Returns an open fd of the debug file (path in *found, malloc'd) or -ENOENT. */
int debuginfo_find(const struct debug_query *q, char **found);
/* Where to look instead of /usr/lib/debug (tests); NULL restores the default. */
void debuginfo_set_root(const char *dir);

#endif
