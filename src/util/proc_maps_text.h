/* /proc/PID/maps read whole and parsed by hand: the symbolizer reads it for every process on
 * the machine when `record -a` starts, and sscanf made that a tenth of a short recording's
 * own CPU. */
#ifndef KILN_PROC_MAPS_TEXT_H
#define KILN_PROC_MAPS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "start-end perms offset major:minor inode   path" */
struct maps_line {
	uint64_t start, end, offset, inode;
	unsigned dev_major, dev_minor;
	bool exec;
	const char *path; /* into the line; "" for anonymous memory */
};

/* Parses one line (no newline) in place; false when it is not a maps line. */
bool maps_line_parse(const char *line, struct maps_line *out);

typedef int (*maps_line_fn)(void *arg, const struct maps_line *m);

/* pid's maps (0: the calling process) as text: 0 with *text (malloc'd, NUL-terminated, the
 * caller frees) and *len, or -errno (-ESRCH: no such process). */
int maps_read_text(int pid, char **text, size_t *len);
/* Calls each for every line of text (changed in place) until it returns non-zero, which is
 * then returned; 0 otherwise. */
int maps_parse_text(char *text, size_t len, maps_line_fn each, void *arg);
/* Both of the above. */
int maps_each_line(int pid, maps_line_fn each, void *arg);

/* The calling process's vdso image, which is every 64-bit process's (one kernel): found in
 * /proc/self/maps once, then remembered. NULL when there is none. */
const void *vdso_image(size_t *size);

#endif
