/* perf_event ring-buffer collection, per CPU. In perf mode it carries samples with callchains
 * and sideband; in bpf mode it opens a dummy event that carries only the sideband (process
 * starts, execs, mmaps, exits) the symbolizer needs. */
#ifndef KILN_PERF_SAMPLER_H
#define KILN_PERF_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "collect/perf_records.h"
#include "collect/sampling.h"
#include "collect/stack_sink.h"
#include "collect/target.h"

struct perf_sampler;
struct waitset;

/* ev NULL: the sideband alone. Either way, of what the target names (its processes, their
 * threads and children to come, or the whole system). */
int perf_sampler_open(struct perf_sampler **out, const struct sampling_event *ev,
		      const struct target *t, bool kernel_chain, bool user_chain);
/* fn sees every sideband record (not samples) as it is applied, for collectors that track
 * processes too. */
void perf_sampler_on_sideband(struct perf_sampler *s,
			      void (*fn)(void *arg, const struct perf_event_header *h), void *arg);
int perf_sampler_enable(struct perf_sampler *s);
int perf_sampler_disable(struct perf_sampler *s);
/* Reads everything pending, in time order: sideband into sym, samples into sink. */
int perf_sampler_poll(struct perf_sampler *s, struct symbolizer *sym, struct stack_sink *sink);
/* Adds each ring's descriptor to w: it wakes a wait once its ring is half full, or once the
 * task it follows is gone. */
void perf_sampler_watch(const struct perf_sampler *s, struct waitset *w);
const struct perf_record_counts *perf_sampler_counts(const struct perf_sampler *s);
uint64_t perf_sampler_bytes_read(const struct perf_sampler *s);
void perf_sampler_close(struct perf_sampler *s);

#endif
