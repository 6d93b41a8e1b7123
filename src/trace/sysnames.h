/* System call names and numbers for x86-64. */
#ifndef KILN_SYSNAMES_H
#define KILN_SYSNAMES_H

#define TRACE_NR_MAX 512

/* NULL where the number is unused. */
extern const char *const trace_sysnames[TRACE_NR_MAX];

/* Number of a system call by name, or -1. */
int trace_sysnum(const char *name);
/* The known name closest to NAME (edit distance), for "did you mean" hints. */
const char *trace_sys_closest(const char *name);

#endif
