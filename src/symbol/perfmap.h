/* JIT symbol maps: /tmp/perf-PID.map as written by V8/Node (--perf-basic-prof), Python 3.12+
 * (-X perf), the JVM's perf-map-agent: one "START SIZE name" line (hex) per compiled function. */
#ifndef KILN_PERFMAP_H
#define KILN_PERFMAP_H

#include <stdint.h>
#include <sys/types.h>

#include "symbol/sym_table.h"

struct perfmap {
	struct sym_table syms;
	char *text; /* the file; names point into it */
	off_t size; /* what was read, to notice that the JIT appended */
};

/* Reads path; 0, or -errno (-ENOENT when the process writes no map). */
int perfmap_load(struct perfmap *m, const char *path);
void perfmap_free(struct perfmap *m);

#endif
