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

/* Callers poll (cpuprof_poll, cpuprof_counts_filling) whenever cpuprof_wait_fd is readable,
 * within this long: the program makes it readable when the ring buffer or a map is half full
 * or less, and the rest of each is sized for the samples that can arrive in this time. */
#define CPUPROF_POLL_GAP_NS 200000000ULL

struct cpuprof_options {
	bool filter; /* only processes added with cpuprof_add_target (and their children) */
	bool kernel, user;
	enum cpuprof_unwind unwind;
	bool unwind_fallback; /* DWARF unavailable: frame pointers, with a warning, not an error */
	uint32_t copy_bytes;  /* copy mode: stack bytes per sample (multiple of 512, <= 16384) */
	uint32_t unwind_rows; /* dwarf mode: rows the table array holds; 0: UNWIND_DEFAULT_ROWS */
};

int cpuprof_open(struct cpuprof **out, const struct sampling_event *ev,
		 const struct cpuprof_options *o);
/* A process to sample (with filter); with DWARF unwinding, tables are loaded for it unless
 * it is a command not yet exec'd (then cpuprof_process_changed once it has). */
int cpuprof_add_target(struct cpuprof *c, uint32_t tgid, bool load_tables);
/* -a with DWARF unwinding: tables for every process now running, before sampling. Without
 * it, a process's tables load on its first sample (cpuprof_poll), frame pointers until then. */
int cpuprof_add_all_processes(struct cpuprof *c);
/* Whether a new mapping of pid's needs cpuprof_process_changed: not while its DWARF tables
 * are not loaded (they load whole, mappings included, at its first sample). */
bool cpuprof_wants_mappings(const struct cpuprof *c, int pid);
/* The process exec'd, mapped code or was born: its tables (or copy-mode view) are stale. */
void cpuprof_process_changed(struct cpuprof *c, int pid);
int cpuprof_start(struct cpuprof *c);
int cpuprof_stop(struct cpuprof *c);
/* Takes in the new stacks the kernel sent (often, so its ring buffer never fills), and in copy
 * mode unwinds the copied samples into the sink; keeps DWARF tables current and loads those
 * of processes sampled without them. */
int cpuprof_poll(struct cpuprof *c, struct stack_sink *sink);
/* Moves what the kernel aggregated so far into the sink; safe while sampling continues. */
int cpuprof_drain(struct cpuprof *c, struct stack_sink *sink);
/* True when the counts map being written is half full: time to drain. */
bool cpuprof_counts_filling(struct cpuprof *c);
/* Readable (poll/epoll) when the program needs a poll soon; the rest of the time it stays
 * quiet, so that callers can sleep long between polls. */
int cpuprof_wait_fd(const struct cpuprof *c);
void cpuprof_stats(struct cpuprof *c, uint64_t stats[CPUPROF_STAT_NR]);
/* Bytes copied from the kernel so far (new stacks + counts). */
uint64_t cpuprof_bytes_read(const struct cpuprof *c);

/* How user stacks were unwound (dwarf and copy modes), for the final summary. */
struct cpuprof_unwind_stats {
	uint64_t samples, complete, truncated, partial, none;
	uint64_t table_bytes, table_capacity, objects, evictions;
};
/* The unwinding in use (DWARF may have fallen back to frame pointers). */
enum cpuprof_unwind cpuprof_unwind_mode(const struct cpuprof *c);
/* -ENOTSUP in frame-pointer mode. */
int cpuprof_unwind_stats(struct cpuprof *c, struct cpuprof_unwind_stats *out);
void cpuprof_close(struct cpuprof *c);

#endif
