/* Counting arithmetic: multiplexing scale-up by time_enabled/time_running, interval deltas, and
 * the mean and spread of repeated runs (perf stat -r's definitions). */
#ifndef KILN_SCALE_H
#define KILN_SCALE_H

#include <stdbool.h>
#include <stdint.h>

/* One reading of a counter, as read_format TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING gives it. */
struct count {
	uint64_t val, ena, run;
};

enum count_state {
	COUNT_OK,
	COUNT_NOT_COUNTED, /* opened, but never on the PMU (or the task never ran) */
};

/* The estimate of what the counter would have read running all the time it was enabled:
 * val * ena / run, exact for 64-bit inputs. *pct_running gets 100 * run / ena. */
enum count_state count_scale(const struct count *c, double *scaled, double *pct_running);
/* Sum of readings (per-CPU counters, or a group's threads): values and times add up. */
void count_add(struct count *sum, const struct count *c);
/* cur - prev, for interval printing. Counters only grow; a smaller cur is treated as a reset. */
struct count count_delta(const struct count *cur, const struct count *prev);

/* Welford's running mean and variance. */
struct run_stats {
	unsigned n;
	double mean, m2;
};
void stats_update(struct run_stats *s, double x);
/* Standard deviation of the samples (n-1 denominator); 0 below two samples. */
double stats_stddev(const struct run_stats *s);
/* Standard error of the mean, perf's "+-" figure: stddev / sqrt(n). */
double stats_stderr(const struct run_stats *s);
/* stats_stderr as a percentage of the mean (0 when the mean is 0). */
double stats_rel_pct(const struct run_stats *s);

#endif
