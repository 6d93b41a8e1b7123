/* Reading perf.data files written by `perf record` (file and pipe mode) into a profile,
 * symbolized with kiln's own symbolizer. */
#ifndef KILN_PERFDATA_H
#define KILN_PERFDATA_H

#include "profile/profile.h"

/* 0, or -errno with a one-line message "FILE: offset N: what was expected" printed. */
int perfdata_read_file(struct kiln_profile *p, const char *path);

#endif
