/* perf stat's output: aligned text with derived metrics after '#', CSV with a chosen separator
 * (same columns as perf stat -x) and JSON lines (perf stat --json's keys). */
#ifndef KILN_STAT_PRINT_H
#define KILN_STAT_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stat/event_parse.h"

enum row_state { ROW_OK, ROW_NOT_SUPPORTED, ROW_NOT_COUNTED };

struct stat_row {
	const struct ev_spec *ev;
	enum row_state state;
	double value; /* scaled by enabled/running time; nanoseconds for the clocks */
	uint64_t run; /* time the counter ran, ns */
	double pct;   /* share of its enabled time it ran, % */
	double noise; /* -r: standard error of the mean, % of it; < 0 when not repeated */
	int cpu;      /* -1 when summed over CPUs */
};

struct stat_metric {
	bool has;
	double value;
	const char *unit;
	bool percent;
};

/* The derived figure perf prints after '#' for rows[i], from the rows beside it (same cpu):
 * CPUs utilized, GHz, insn per cycle, miss ratios, stalls, or events per second of task time. */
struct stat_metric stat_metric_for(const struct stat_row *rows, size_t n, size_t i, double wall_ns);

enum stat_format { STAT_TEXT, STAT_CSV, STAT_JSON };

struct stat_printer {
	FILE *out;
	enum stat_format format;
	const char *sep; /* CSV separator */
	bool repeated;	 /* -r N with N > 1: noise columns */
	bool per_cpu;	 /* -A: a CPU column */
};

void stat_print_header(const struct stat_printer *p, const char *target, int runs);
void stat_print_interval_header(const struct stat_printer *p);
/* Rows in order; interval_s >= 0 prefixes each line with the interval's end time. */
void stat_print_rows(const struct stat_printer *p, const struct stat_row *rows, size_t n,
		     double wall_ns, double interval_s);
/* Elapsed wall time (mean and its standard error with -r), user and system time (a single run
 * of a command). */
void stat_print_footer(const struct stat_printer *p, double wall_s, double wall_err_s,
		       double wall_rel_pct, bool show_rusage, double user_s, double sys_s);

#endif
