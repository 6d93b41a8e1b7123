/* Timelines: a profile's timestamped samples (kiln_event) as per-thread slices, a flame chart per
 * thread, written as Chrome Trace Event JSON (chrome://tracing, Perfetto UI, speedscope) or as
 * Perfetto's native protobuf trace.
 *
 * A frame that stays on a thread's stack across consecutive samples is one slice, from the first
 * of those samples to the sample that no longer has it; slices nest by stack depth. A thread's
 * last sample, and one followed by a long pause (over twice the sampling interval), lasts one
 * interval. */
#ifndef KILN_TIMELINE_H
#define KILN_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

#include "format/format.h"
#include "profile/frames.h"
#include "profile/profile.h"

struct timeline_thread {
	int32_t pid, tid; /* tid -1: samples without a thread; pid -1: unknown (tid used) */
	const char *name; /* the thread's comm at its last sample; "" when unknown */
	uint32_t process; /* index into processes */
};

struct timeline_process {
	int32_t pid;
	const char *name; /* the main thread's comm, else the first thread's */
};

enum timeline_op_kind { TIMELINE_BEGIN, TIMELINE_END };

/* One end of a slice. Ops are in time order; at equal times a thread's ends come before the
 * begins that follow them, inner slices ending before outer ones. */
struct timeline_op {
	uint64_t time_ns;
	uint32_t thread; /* index into threads */
	uint32_t depth;	 /* 0 = the outermost frame */
	uint8_t kind;	 /* enum timeline_op_kind */
	uint8_t annot;	 /* enum kiln_annot: kernel, jit, inline or none */
	const char *name;
};

struct timeline {
	struct timeline_thread *threads;
	size_t nthreads;
	struct timeline_process *processes;
	size_t nprocesses;
	struct timeline_op *ops;
	size_t nops, ops_cap;
	uint64_t interval_ns; /* the sampling interval assumed */
	uint64_t samples;     /* events turned into slices */
};

/* Builds the slices of p's events. Names point into p, which must outlive t. 0, -ENODATA when p
 * has no timestamped samples, or -ENOMEM. */
int timeline_build(const struct kiln_profile *p, struct timeline *t);
void timeline_free(struct timeline *t);

/* "kernel", "jit", "inline" or "user": the category of a slice. */
const char *timeline_category(uint8_t annot);

/* Chrome Trace Event JSON ("traceEvents" with B/E slices and M metadata events). 0 or -errno. */
int chrome_trace_write(const struct timeline *t, FILE *out);
/* Perfetto protobuf: TrackDescriptors for processes and threads, then TrackEvent slice
 * begin/end packets. 0 or -errno. */
int perfetto_trace_write(const struct timeline *t, FILE *out);

/* Registry writers: build the timeline and write it whole (temp file + rename). A profile
 * without timestamps is an error that says how to record one. 0 or -errno (message printed). */
int chrome_trace_write_file(const struct kiln_profile *p, const char *path,
			    const struct kiln_write_options *o);
int perfetto_trace_write_file(const struct kiln_profile *p, const char *path,
			      const struct kiln_write_options *o);

#endif
