/* Loader for the generic probe programs (probes.bpf.c). */
#ifndef KILN_TRACE_PROBES_LOADER_H
#define KILN_TRACE_PROBES_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/probe_spec.h"
#include "trace/probes.h"

struct pr_tracer;

struct pr_tracer_opts {
	bool filter_pids;
	bool follow;
	enum pr_agg agg;
	int64_t lh_min, lh_max, lh_step;
};

typedef int (*pr_event_fn)(void *ctx, const struct pr_event *ev, size_t size);
typedef int (*pr_agg_fn)(void *ctx, const struct pr_agg_key *key, const struct pr_agg_val *val);

int pr_tracer_open(struct pr_tracer **out, const struct pr_tracer_opts *o);
int pr_tracer_add_target(struct pr_tracer *t, uint32_t tgid, bool until_exec);
/* Attaches every spec (its index is the cookie); the message names the failing one. */
int pr_tracer_attach(struct pr_tracer *t, const struct pr_specs *s, pr_event_fn fn, void *ctx);
int pr_tracer_poll(struct pr_tracer *t, int timeout_ms);
bool pr_tracer_targets_alive(struct pr_tracer *t);
/* Hands every entry aggregated since the last call (summed over CPUs) to fn, then forgets them. */
int pr_tracer_aggs(struct pr_tracer *t, pr_agg_fn fn, void *ctx);
/* A stored stack's addresses (zero-terminated), or -errno. */
int pr_tracer_stack(struct pr_tracer *t, uint32_t id, uint64_t ips[127]);
void pr_tracer_counters(struct pr_tracer *t, uint64_t out[PR_CNT_NR]);
void pr_tracer_close(struct pr_tracer *t);

#endif
