/* Reading perf.data files written by `perf record` (file and pipe mode) into a profile,
 * symbolized with kiln's own symbolizer. */
#ifndef KILN_PERFDATA_H
#define KILN_PERFDATA_H

#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"

/* 0, or -errno with a one-line message "FILE: offset N: what was expected" printed. Samples keep
 * their timestamps (timelines); only the first event sampled is kept when there are several.
 * A pipe (perf record -o -) is read whole first. */
int perfdata_read_file(struct kiln_profile *p, const char *path);
/* The same for a perf.data image in memory (file or pipe mode); name labels messages. */
int perfdata_read_buffer(struct kiln_profile *p, const uint8_t *buf, size_t len, const char *name);
/* The same with the caller's symbolizer (tests and fuzzing give one with few kernel symbols). */
struct symbolizer;
int perfdata_read_buffer_sym(struct kiln_profile *p, const uint8_t *buf, size_t len,
			     const char *name, struct symbolizer *sym);

#endif
