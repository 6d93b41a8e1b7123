/* Loader for the syscall tracer (syscalls.bpf.c): configures the pre-built programs before load,
 * fills the target and capture maps, streams events or reads the in-kernel summary. */
#ifndef KILN_TRACE_SYSCALLS_LOADER_H
#define KILN_TRACE_SYSCALLS_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/syscalls.h"

struct sc_tracer;

struct sc_tracer_opts {
	bool filter_pids; /* only targets added with sc_tracer_add_target (else: all but kiln) */
	bool follow;	  /* -f: children of targets too */
	bool summary;	  /* -c: aggregate in the kernel, stream nothing */
	bool only_failed;
	uint64_t min_dur_ns;
	bool filter_sc;
	bool selected[SC_NR_MAX]; /* with filter_sc: the syscalls traced */
};

typedef int (*sc_event_fn)(void *ctx, const struct sc_event *ev, size_t size);

int sc_tracer_open(struct sc_tracer **out, const struct sc_tracer_opts *o);
/* until_exec: the process is traced from its next execve on (a command held before exec). */
int sc_tracer_add_target(struct sc_tracer *t, uint32_t tgid, bool until_exec);
int sc_tracer_attach(struct sc_tracer *t, sc_event_fn fn, void *ctx);
/* Waits up to timeout_ms for events and hands them to fn. Returns events seen or -errno. */
int sc_tracer_poll(struct sc_tracer *t, int timeout_ms);
/* True while some target process is alive (always true without a PID filter). */
bool sc_tracer_targets_alive(struct sc_tracer *t);
/* Per-syscall totals aggregated in the kernel (summed over CPUs). */
int sc_tracer_summary(struct sc_tracer *t, struct sc_stat out[SC_NR_MAX]);
void sc_tracer_counters(struct sc_tracer *t, uint64_t out[SC_CNT_NR]);
/* Events dropped so far because the ring buffer was full. */
uint64_t sc_tracer_lost(struct sc_tracer *t);
void sc_tracer_close(struct sc_tracer *t);

#endif
