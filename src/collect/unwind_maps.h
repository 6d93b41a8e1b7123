/* User-space side of the BPF DWARF unwinder: keeps the maps of collect/unwind.bpf.h current.
 * Per process it reads /proc/PID/maps, builds (or reuses) a cfi_table per ELF object — shared
 * between processes by build ID, and by device+inode to avoid re-reading files — copies the
 * rows into the shared row array and writes the process's mapping list. When the row array is
 * full, the least recently used objects are evicted (their mappings fall back to frame
 * pointers in BPF until a rescan reloads them). */
#ifndef KILN_UNWIND_MAPS_H
#define KILN_UNWIND_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/unwind.h"

/* File descriptors of the maps the BPF object defines (bpf_map__fd of unwind_rows,
 * unwind_objs, unwind_procs, unwind_stats, unwind_wanted; wanted -1 when not used). */
struct unwind_maps_fds {
	int rows, objs, procs, stats, wanted;
};

struct unwind_maps_stats {
	uint32_t processes;
	uint32_t objects;	 /* objects with rows loaded */
	uint32_t objects_no_cfi; /* ELF objects without usable CFI (frame pointers) */
	uint64_t rows_used, rows_capacity;
	uint64_t table_bytes; /* rows_used * row size: BPF memory the tables take */
	uint64_t evictions;
	uint64_t mappings_dropped; /* beyond UNWIND_MAX_MAPS in one process */
};

struct unwind_maps;

/* rows_capacity: max_entries of unwind_rows (bpf_map__max_entries). 0 or -errno. */
int unwind_maps_new(struct unwind_maps **out, const struct unwind_maps_fds *fds,
		    uint32_t rows_capacity);
void unwind_maps_free(struct unwind_maps *um);
/* (Re)reads pid's mappings and loads what is missing: call at start, on exec/mmap, and from a
 * periodic rescan. 0 or -errno (-ESRCH: process gone, its entry is removed). */
int unwind_maps_add_pid(struct unwind_maps *um, int pid);
void unwind_maps_remove_pid(struct unwind_maps *um, int pid);
/* Whether pid's tables were loaded (and it has not gone since). */
bool unwind_maps_has_pid(const struct unwind_maps *um, int pid);
/* Loads the processes the BPF side asked for (sampled without tables), except skip_pid.
 * Returns how many it loaded, or -errno. */
int unwind_maps_add_wanted(struct unwind_maps *um, int skip_pid);
/* Rescans every known process; drops those that exited. Returns how many are still known. */
int unwind_maps_rescan(struct unwind_maps *um);
void unwind_maps_get_stats(const struct unwind_maps *um, struct unwind_maps_stats *st);
/* Sums the per-CPU counters of unwind_stats (enum unwind_bpf_stop, then enum unwind_bpf_stat). */
int unwind_maps_read_counters(const struct unwind_maps *um, uint64_t out[UNWIND_STAT_NR]);

#endif
