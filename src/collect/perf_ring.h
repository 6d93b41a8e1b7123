/* Per-CPU perf_event ring buffers: opening, mapping and reading records in time order.
 * Both record modes use it: perf mode for samples and sideband, bpf mode for the sideband
 * alone (MMAP2/COMM/FORK/EXIT from a dummy event), which is what lets kiln symbolize processes
 * that exit before recording ends. */
#ifndef KILN_PERF_RING_H
#define KILN_PERF_RING_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

struct perf_ring {
	int fd;
	int cpu;
	void *base; /* the metadata page, followed by data_size bytes of data */
	size_t data_size;
	uint64_t lost; /* from PERF_RECORD_LOST */
};

/* A record copied out of a ring (records can wrap around the buffer end). */
struct perf_record {
	uint64_t time;
	uint32_t size;
	struct perf_event_header *hdr; /* points into the owning batch's storage */
};

struct perf_batch {
	char *data;
	size_t len, cap;
	struct perf_record *recs;
	size_t nrecs, recs_cap;
};

/* Maps `pages` data pages (a power of two) of an already opened event. */
int perf_ring_map(struct perf_ring *r, int fd, int cpu, size_t pages);
void perf_ring_unmap(struct perf_ring *r);

/* Copies every pending record of each ring into the batch and sorts them by time.
 * time_of(hdr) extracts a record's timestamp (the layout depends on sample_type). */
int perf_batch_fill(struct perf_batch *b, struct perf_ring *rings, size_t nrings,
		    uint64_t (*time_of)(const struct perf_event_header *hdr, void *arg), void *arg);
void perf_batch_free(struct perf_batch *b);

/* Number of CPUs the kernel can run on (possible CPUs), and whether each is online. */
int cpus_possible(void);
int cpu_online(int cpu);

/* Turns an errno from perf_event_open into an actionable message. */
const char *perf_open_hint(int err);

#endif
