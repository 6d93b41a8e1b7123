/* Parsed command line of kiln trace, shared by the syscall and probe back ends. */
#ifndef KILN_TRACE_OPTIONS_H
#define KILN_TRACE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "collect/target.h"
#include "trace/syscalls.h"

#define TRACE_MAX_EVENTS 16

struct trace_opts {
	struct target target;
	const char *command; /* -- CMD's program, for messages */
	bool follow;
	bool summary;
	bool only_failed;
	uint64_t min_dur_ns;
	int tstamps;	/* -t count: 1 wall clock, 2 with microseconds, 3 epoch */
	bool show_time; /* -T */
	bool json;
	bool chrome;	     /* -o X.json: Chrome trace events (Perfetto, chrome://tracing) */
	bool chrome_started; /* an event was written: the next one needs a comma */
	int strsize;	     /* -s */
	const char *out_path;
	FILE *out;
	bool syscalls; /* trace syscalls (default when no other event is named) */
	bool filter_sc;
	bool selected[SC_NR_MAX];
	const char *events[TRACE_MAX_EVENTS]; /* -e tracepoint/uprobe/usdt specs */
	int nevents;
	const char *filter;   /* --filter */
	const char *count_by; /* --count-by */
	const char *hist;     /* --hist EXPR */
	const char *lhist;    /* --lhist EXPR,MIN,MAX,STEP */
	const char *agg_expr; /* --sum/--min/--max/--avg EXPR */
	int agg_kind;	      /* TRACE_AGG_* */
	const char *latency;  /* --latency START,END */
	double interval;      /* -i seconds, 0: at the end only */
};

enum { TRACE_AGG_NONE, TRACE_AGG_SUM, TRACE_AGG_MIN, TRACE_AGG_MAX, TRACE_AGG_AVG };

/* Set by SIGINT/SIGTERM: the trace stops and prints what it has. */
extern volatile int trace_stop;

/* Lets the held command exec; -errno (message printed) when it could not. */
int trace_release_command(struct trace_opts *o);
/* Starts a Chrome trace event (the separating comma included) in the output. */
void trace_chrome_begin(struct trace_opts *o);
int trace_syscalls_run(struct trace_opts *o);
int trace_probes_run(struct trace_opts *o);

#endif
