/* Text reports on a profile: the top functions (like `go tool pprof -top` and
 * `perf report --stdio`), the caller->callee tree, and the difference between two profiles. */
#ifndef KILN_REPORT_H
#define KILN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile/profile.h"

struct report_options {
	size_t n;	  /* rows per table; 0 = all */
	size_t value_col; /* which value column to count */
	int pid;	  /* only samples of this process; -1 = all */
	const char *comm; /* only samples of processes with this name; NULL = all */
	bool by_self;	  /* the table sorted by self (flat) values */
	bool by_cum;	  /* the table sorted by cumulative values */
	bool tree;	  /* the caller->callee tree instead of tables */
	double threshold; /* tree: hide nodes below this percentage of the total */
};

void report_default_options(struct report_options *o);
/* Column for a user's --value: a sample type name ("cpu") or a 0-based index. -EINVAL (after a
 * message naming the choices) when the profile has no such column. */
int report_value_col(const struct kiln_profile *p, const char *spec);

/* Per-function totals over the samples that pass the filters; names as pprof shows them
 * (inlined functions count as functions of their own). */
struct report_fn {
	const char *name;
	int64_t flat; /* value of samples where it is the leaf */
	int64_t cum;  /* value of samples where it is anywhere on the stack (once per sample) */
	/* pprof -top's tag: every call into it was inlined, or only some were. */
	enum { REPORT_NOT_INLINED, REPORT_INLINED, REPORT_PARTLY_INLINED } inlined;
};

struct report_table {
	struct report_fn *fns;
	size_t nfns;
	int64_t total;
};

int report_compute(const struct kiln_profile *p, const struct report_options *o,
		   struct report_table *t);
void report_table_free(struct report_table *t);
/* Sorts like pprof -top (-cum): by flat (or cum) descending, ties by name. */
void report_sort(struct report_table *t, bool by_cum);

/* The top n functions by self value, one table: what `kiln record` prints when it writes no
 * file. 0 or -errno. */
int report_print_top(const struct kiln_profile *p, FILE *out, size_t n, size_t value_col);
/* The full report as the options ask. 0 or -errno. */
int report_print(const struct kiln_profile *p, FILE *out, const struct report_options *o);

/* The functions whose share of the total changed most between two profiles. */
int report_print_diff(const struct kiln_profile *before, const struct kiln_profile *after,
		      FILE *out, const struct report_options *o);
/* A profile with two value columns, "before" (0) and "after" (1), holding both profiles'
 * stacks: the input of a differential flame graph. NULL on out of memory. */
struct kiln_profile *report_merge_diff(const struct kiln_profile *before,
				       const struct kiln_profile *after, size_t value_col);

#endif
