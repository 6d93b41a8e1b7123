/* Loader for the BPF CPU sampler (cpuprof.bpf.c): perf events per CPU with the program
 * attached, target filtering, and draining the in-kernel aggregation into a stack sink. */
#ifndef KILN_CPUPROF_LOADER_H
#define KILN_CPUPROF_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/cpuprof.h"
#include "collect/sampling.h"
#include "collect/stack_sink.h"

struct cpuprof;

/* filter: only processes added with cpuprof_add_target (and their children) are sampled. */
int cpuprof_open(struct cpuprof **out, const struct sampling_event *ev, bool filter, bool kernel,
		 bool user);
int cpuprof_add_target(struct cpuprof *c, uint32_t tgid);
int cpuprof_start(struct cpuprof *c);
int cpuprof_stop(struct cpuprof *c);
/* Takes in the new stacks the kernel sent (often, so its ring buffer never fills). */
int cpuprof_poll(struct cpuprof *c);
/* Moves what the kernel aggregated so far into the sink; safe while sampling continues. */
int cpuprof_drain(struct cpuprof *c, struct stack_sink *sink);
void cpuprof_stats(struct cpuprof *c, uint64_t stats[CPUPROF_STAT_NR]);
/* Bytes copied from the kernel so far (new stacks + counts). */
uint64_t cpuprof_bytes_read(const struct cpuprof *c);
void cpuprof_close(struct cpuprof *c);

#endif
