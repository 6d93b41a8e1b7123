/* System call names and numbers for x86-64. */
#ifndef KILN_SYSNAMES_H
#define KILN_SYSNAMES_H

#include <stddef.h>

#define TRACE_NR_MAX 512

/* NULL where the number is unused. */
extern const char *const trace_sysnames[TRACE_NR_MAX];

/* Number of a system call by name, or -1. */
int trace_sysnum(const char *name);
/* The known name closest to NAME (edit distance), for "did you mean" hints. */
const char *trace_sys_closest(const char *name);
/* Typos between two names (edits, swaps of neighbours count one); (size_t)-1 for long ones. */
size_t trace_edit_distance(const char *a, const char *b);

#endif
