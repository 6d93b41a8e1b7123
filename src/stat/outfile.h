/* Where kiln stat writes its counts: stderr, or -o FILE through a temporary file renamed over FILE
 * at the end, so a failed run never leaves a partial FILE. */
#ifndef KILN_STAT_OUTFILE_H
#define KILN_STAT_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

struct stat_outfile {
	FILE *f;
	char *tmp; /* NULL when writing to stderr */
	const char *path;
};

/* path NULL: stderr. 0 or -errno (message printed, except for -ENOMEM). */
int stat_outfile_open(struct stat_outfile *out, const char *path);
/* Puts the file in place when ok, else removes it. 0 or -errno (message printed). */
int stat_outfile_close(struct stat_outfile *out, bool ok);

#endif
