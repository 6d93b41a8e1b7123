/* Tracepoint formats in tracefs: where tracefs is, a format file's text, one field's place. */
#ifndef KILN_TP_FORMAT_H
#define KILN_TP_FORMAT_H

/* The tracefs mount point, mounting it at /sys/kernel/tracing when nothing is mounted; NULL when
 * that fails. */
const char *tp_tracing_dir(void);
/* The format file of tracepoint sys/name under dir, malloc'd; NULL when it cannot be read. */
char *tp_format_read(const char *dir, const char *sys, const char *name);
/* Offsets and sizes of n fields of a tracepoint's records, read from one parse of its format.
 * 0, or -ENOENT (no such tracepoint or field), -ENOMEM. */
int tp_fields(const char *sys, const char *name, const char *const *fields, unsigned *offsets,
	      unsigned *sizes, int n);

#endif
