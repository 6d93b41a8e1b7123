/* Copy mode's user-space half: samples arrive as registers plus a copy of the top of the user
 * stack (cpuprof.bpf.c's struct cpuprof_copy) and are unwound here with libdw, per process,
 * the way perf --call-graph dwarf does after the fact. The reference the in-kernel DWARF
 * unwinder is checked against, and its fallback. */
#ifndef KILN_COPY_UNWIND_H
#define KILN_COPY_UNWIND_H

#include <stdint.h>

#include "collect/cpuprof.h"

struct copy_unwinder;

struct copy_unwind_stats {
	uint64_t samples;
	uint64_t complete;  /* the unwind ended by itself */
	uint64_t truncated; /* it reached the frame limit */
	uint64_t none;	    /* nothing beyond the interrupted pc (process gone, no CFI...) */
};

int copy_unwinder_new(struct copy_unwinder **out);
void copy_unwinder_free(struct copy_unwinder *cu);
/* The process exec'd or mapped code: its view is read again on its next sample. */
void copy_unwinder_changed(struct copy_unwinder *cu, int pid);
/* Unwinds one sample into ips (leaf first, at most max); returns the frame count (>= 1). */
int copy_unwind(struct copy_unwinder *cu, const struct cpuprof_copy *rec, uint64_t *ips, int max);
void copy_unwinder_stats(const struct copy_unwinder *cu, struct copy_unwind_stats *out);

#endif
