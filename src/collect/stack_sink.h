/* Where collectors deliver stacks: raw addresses in, symbolized samples in the profile out.
 * Both record modes (bpf and perf) feed the same sink, so their outputs are comparable. */
#ifndef KILN_STACK_SINK_H
#define KILN_STACK_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "profile/profile.h"
#include "symbol/symbolizer.h"

struct raw_stack {
	int32_t pid, tid;
	const char *comm;
	const uint64_t *kernel; /* leaf first */
	uint32_t nkernel;
	const uint64_t *user; /* leaf first */
	uint32_t nuser;
	uint64_t count;
	int64_t weight;	  /* CPU ns the samples stand for; 0: count x the sink's period */
	uint64_t time_ns; /* 0 when aggregated (no timeline) */
};

struct stack_sink {
	struct kiln_profile *profile;
	struct symbolizer *sym;
	int64_t period_ns; /* weight of one sample in CPU time */
	bool timeline;	   /* keep per-sample timestamps */
	bool scan_unknown; /* live recording: read /proc for a process seen in no sideband */
	uint64_t samples;  /* delivered so far */
	uint32_t *locs;	   /* scratch */
	uint32_t locs_cap;
};

/* Sets the profile's value types (samples/count, cpu/nanoseconds) and period. */
int stack_sink_init(struct stack_sink *s, struct kiln_profile *p, struct symbolizer *sym,
		    int64_t period_ns, bool timeline);
void stack_sink_free(struct stack_sink *s);
int stack_sink_add(struct stack_sink *s, const struct raw_stack *rs);

#endif
