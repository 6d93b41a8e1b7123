/* One stat measurement: counters opened on the target (a command kiln starts, -p processes, or
 * CPUs), counting until the work ends or a signal, with the -I interval lines on the way. */
#ifndef KILN_STAT_MEASURE_H
#define KILN_STAT_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "collect/target.h"
#include "stat/counters.h"
#include "stat/event_parse.h"
#include "stat/print.h"

/* What to count, where and how to print it: kiln stat's options. */
struct stat_config {
	struct ev_list evs;
	bool have_events, system_wide, per_cpu;
	const char *cpu_list, *pid_list, *output;
	long interval_ms; /* -I; 0 without */
	int repeat, detail;
	enum stat_format format;
	const char *sep;
	char **cmd; /* NULL when counting -p processes or CPUs */
};

struct measurement {
	struct stat_config *cfg; /* counters may restrict its events to user space */
	const struct stat_printer *pr;
	struct target t;
	struct counter_set cs;
	int *cpus;
	pid_t *tids;
	int *pidfds; /* to wake up when the counted processes end */
	size_t npidfds;
	double start_ns, end_ns;
	struct rusage ru; /* the command's */
	size_t nrows;
	struct stat_row *rows; /* the totals once measure_once succeeded */
	bool exec_failed;      /* the command could not be started */
};

/* From now on SIGINT and SIGTERM end the counting: a command gets the signal and kiln waits for
 * it; -p and CPU counting stop at once. */
void measure_catch_signals(void);
/* The signal that asked to stop, 0 while none did. */
int measure_stop_signal(void);

/* Starts or finds the target and counts until it is done; m->rows then hold the totals.
 * 0 or -errno (message printed where the cause is not obvious); call measure_free either way. */
int measure_once(struct measurement *m, struct stat_config *cfg, const struct stat_printer *pr);
void measure_free(struct measurement *m);

#endif
