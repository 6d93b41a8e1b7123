/* Where collectors deliver stacks: raw addresses in, symbolized samples in the profile out.
 * Both record modes (bpf and perf) feed the same sink, so their outputs are comparable. */
#ifndef KILN_STACK_SINK_H
#define KILN_STACK_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "profile/profile.h"
#include "util/hash.h"
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
	/* Collectors that aggregate in the kernel deliver the same keys drain after drain:
	 * key -> the sample it became, while the process's memory is unchanged. */
	struct intern_table known_keys;
	struct sink_known *known;
	size_t known_cap;
};

/* Sets the profile's value types (samples/count, cpu/nanoseconds) and period. */
int stack_sink_init(struct stack_sink *s, struct kiln_profile *p, struct symbolizer *sym,
		    int64_t period_ns, bool timeline);
void stack_sink_free(struct stack_sink *s);
/* A kernel stack (leaf first) to be added soon: its names are looked up together with the
 * others queued before the next one is symbolized (sym_kernel_prefetch). */
void stack_sink_prefetch_kernel(struct stack_sink *s, const uint64_t *ips, uint32_t n);
int stack_sink_add(struct stack_sink *s, const struct raw_stack *rs);
/* For a key (the collector's own bytes naming pid, thread and stack) added before by
 * stack_sink_add_keyed: adds count to its sample and returns 1, without symbolizing again.
 * 0: unknown key or the process changed since; call stack_sink_add_keyed. */
int stack_sink_add_known(struct stack_sink *s, const void *key, size_t len, int32_t pid,
			 uint64_t count);
int stack_sink_add_keyed(struct stack_sink *s, const void *key, size_t len,
			 const struct raw_stack *rs);

#endif
