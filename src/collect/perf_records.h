/* Decoding perf ring-buffer records. kiln opens every event with the same sample_type
 * (PERF_RECORDS_SAMPLE_TYPE) and sample_id_all, so one decoder serves both modes. */
#ifndef KILN_PERF_RECORDS_H
#define KILN_PERF_RECORDS_H

#include <linux/perf_event.h>
#include <stdint.h>

#include "collect/stack_sink.h"
#include "symbol/symbolizer.h"

#define PERF_RECORDS_SAMPLE_TYPE                                                                   \
	(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |                   \
	 PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN)

/* Sets the sideband bits (mmap2, comm, task) and the common sample layout on attr. */
void perf_records_attr(struct perf_event_attr *attr, int sideband);

/* The timestamp of any record (samples and, through sample_id_all, the others). */
uint64_t perf_record_time(const struct perf_event_header *h, void *unused);

struct perf_record_counts {
	uint64_t samples, lost, sideband;
};

/* Applies one sideband record to the symbolizer (MMAP2, COMM, FORK, EXIT; LOST is counted).
 * Returns 1 when the record was a sample (not handled here), else 0. */
int perf_record_sideband(struct symbolizer *sym, const struct perf_event_header *h,
			 struct perf_record_counts *counts);

/* Decodes a PERF_RECORD_SAMPLE into the sink, splitting its callchain at the context markers.
 * comm_of(tid) names the thread. */
int perf_record_sample(struct stack_sink *sink, const struct perf_event_header *h,
		       const char *(*comm_of)(void *arg, int pid, int tid), void *arg);

#endif
