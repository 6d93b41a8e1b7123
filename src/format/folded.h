/* Folded stacks: one line "root;...;leaf count" per stack, the text flamegraph.pl reads and
 * stackcollapse-*.pl write. */
#ifndef KILN_FOLDED_H
#define KILN_FOLDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile/profile.h"

struct folded_options {
	bool comm;
	bool pid;
	bool tid;
	bool annotate;
	size_t value_col;
};
/* comm: put the process name (sample labels) at the root; pid/tid: "comm-PID" / "comm-PID/TID"
 * like stackcollapse-perf.pl (an unknown pid prints as "?"); annotate: _[k] _[j] _[i] suffixes
 * from frames.h. */

/* Lines "root;...;leaf count", aggregated, in bytewise strcmp order of the stack; stacks whose
 * count is 0 are left out. 0 or -errno. */
int folded_write(const struct kiln_profile *p, FILE *out, const struct folded_options *o);
/* Temp file + rename, never a partial file. 0 or -errno (message printed). */
int folded_write_file(const struct kiln_profile *p, const char *path,
		      const struct folded_options *o);

/* Reads flamegraph.pl input into the empty profile p: the count is the last number of a line;
 * two numbers make a differential line "stack before after" (two value columns). Errors name
 * NAME:LINE and what was expected, and return -EINVAL (-ENOMEM when out of memory). */
int folded_read(struct kiln_profile *p, FILE *in, const char *name);
/* Same as folded_read for a named file; 0 or -errno (message printed). */
int folded_read_file(struct kiln_profile *p, const char *path);
/* Same as folded_read for text in memory (len bytes, need not end in a newline). */
int folded_read_buffer(struct kiln_profile *p, const char *buf, size_t len, const char *name);

/* The message of the last read error ("NAME:LINE: what was expected"), for tests. */
const char *folded_last_error(void);

#endif
