/* Decoding perf ring-buffer records (live rings and perf.data files alike). The layout of a
 * sample depends on the event's sample_type, so decoding takes a perf_layout. */
#ifndef KILN_PERF_RECORDS_H
#define KILN_PERF_RECORDS_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>

#include "collect/stack_sink.h"
#include "symbol/symbolizer.h"

/* What kiln's own events ask for. */
#define PERF_RECORDS_SAMPLE_TYPE                                                                   \
	(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |                   \
	 PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN)

struct perf_layout {
	uint64_t sample_type;
	uint64_t read_format;
	bool sample_id_all;
};

struct perf_sample {
	uint64_t id; /* PERF_SAMPLE_IDENTIFIER or ID, 0 when absent */
	uint64_t ip;
	uint32_t pid, tid;
	uint64_t time;
	uint64_t period;
	uint64_t nr; /* callchain entries, context markers included */
	const uint64_t *ips;
};

/* Sets the sideband bits (mmap2, comm, task) and kiln's sample layout on attr. */
void perf_records_attr(struct perf_event_attr *attr, int sideband);
extern const struct perf_layout perf_records_layout;

/* Decodes a PERF_RECORD_SAMPLE up to its callchain. 0, or -EINVAL when truncated. */
int perf_parse_sample(const struct perf_layout *l, const struct perf_event_header *h,
		      struct perf_sample *out);
/* Decodes the sample_id_all trailer of any other record (time, id, pid/tid). */
int perf_parse_trailer(const struct perf_layout *l, const struct perf_event_header *h,
		       struct perf_sample *out);

/* The timestamp of a record in kiln's own layout (for ordering rings). */
uint64_t perf_record_time(const struct perf_event_header *h, void *unused);

struct perf_record_counts {
	uint64_t samples, lost, sideband;
};

/* Applies one sideband record to the symbolizer (MMAP, MMAP2, COMM, FORK, EXIT; LOST is
 * counted). Returns 1 when the record is a sample (not handled here), else 0. */
int perf_record_sideband(struct symbolizer *sym, const struct perf_event_header *h,
			 struct perf_record_counts *counts);

/* Delivers a decoded sample to the sink, splitting its callchain at the context markers;
 * weight is what the sample counts for in the sink's second column (ns of CPU). */
int perf_sample_deliver(struct stack_sink *sink, const struct perf_sample *s, const char *comm,
			int64_t weight);

#endif
