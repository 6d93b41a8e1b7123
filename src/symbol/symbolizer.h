/* Symbolization: turns (pid, address) into profile locations with function names.
 *
 * Processes are tracked from the moment they are first seen (a /proc scan, or perf sideband
 * records: COMM, FORK, MMAP2, EXIT), so samples of processes that have exited by the time
 * recording ends are still symbolized. ELF files are opened once and shared between processes.
 * Kernel addresses are named by the kernel itself through a BPF program (symbol/ksym.bpf.c)
 * where kiln may load one, else from /proc/kallsyms (and module symbols in it). */
#ifndef KILN_SYMBOLIZER_H
#define KILN_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"

struct symbolizer;

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);

/* Process tracking. A pid here is a process id (tgid); threads share their process's maps. */
/* Reads /proc/PID/maps and comm now; returns 0 or -errno (e.g. -ESRCH when it is gone). */
int sym_scan_process(struct symbolizer *s, int pid);
/* Scans every process in /proc (for -a, where processes predate the recording). */
int sym_scan_all(struct symbolizer *s);
/* exec: true when the comm change comes from an exec, which replaces the address space. */
void sym_process_comm(struct symbolizer *s, int pid, const char *comm, bool exec);
/* A new process starts with a copy of its parent's mappings. */
void sym_process_fork(struct symbolizer *s, int ppid, int pid);
void sym_process_mmap(struct symbolizer *s, int pid, uint64_t start, uint64_t len, uint64_t pgoff,
		      const char *filename, bool executable);
/* The process is gone; what is known of it stays usable for resolving its samples. */
void sym_process_exit(struct symbolizer *s, int pid);
/* Name of the process (comm) as last seen, or NULL. */
const char *sym_process_name(struct symbolizer *s, int pid);
/* Changes whenever what kiln knows of the process's memory changes (exec, mmap); 0 for a
 * process it does not know. Symbolized results of a process stay valid while it holds. */
uint64_t sym_process_gen(struct symbolizer *s, int pid);

/* Resolution into the profile: returns a location id (never 0 unless out of memory).
 * Unresolved frames get a location whose function is named like perf: "[unknown]", or
 * "[module]" (the mapping's basename) when the mapping is known. Results are cached. */
uint32_t sym_user_location(struct symbolizer *s, struct kiln_profile *p, int pid, uint64_t addr);
uint32_t sym_kernel_location(struct symbolizer *s, struct kiln_profile *p, uint64_t addr);
/* The same for return addresses (every stack frame but the leaf): the symbol and source line
 * are those of addr - 1, the call instruction, so a call that ends a function (noreturn) or an
 * inlined block is credited to the right one; the location keeps addr itself. */
uint32_t sym_user_location_ra(struct symbolizer *s, struct kiln_profile *p, int pid, uint64_t addr);
uint32_t sym_kernel_location_ra(struct symbolizer *s, struct kiln_profile *p, uint64_t addr);

/* A kernel stack about to be resolved (leaf first, as sym_kernel_location then
 * sym_kernel_location_ra take it): its unknown addresses are queued, and the next kernel location
 * asked for looks up the whole queue in as few calls into the kernel as it can, instead of one
 * each. Queuing many stacks first saves more. Only an optimization; nothing is lost without it. */
void sym_kernel_prefetch(struct symbolizer *s, const uint64_t *stack, size_t n);

/* Cached location ids belong to one profile; a new profile at the same address as a freed one
 * would be mistaken for it, so callers switching profiles that way call this first. */
void sym_forget_profile(struct symbolizer *s);
/* Kernel symbols from a kallsyms-format file instead of the running kernel's (looked up on
 * first use otherwise). 0 or -errno; a hidden or unreadable file is reported once with kiln_warn.
 */
int sym_load_kallsyms(struct symbolizer *s, const char *path);

/* Counts for the final summary and for tests. */
struct sym_stats {
	uint64_t user_resolved, user_unresolved;
	uint64_t kernel_resolved, kernel_unresolved;
	bool kernel_addresses_hidden; /* kptr_restrict: kallsyms shows zeros */
	uint64_t processes;	      /* tracked, exited ones included */
	uint64_t elf_files;	      /* distinct files opened (shared between processes) */
	uint64_t debug_files;	      /* separate debug files found for them */
};
void sym_get_stats(const struct symbolizer *s, struct sym_stats *out);

#endif
