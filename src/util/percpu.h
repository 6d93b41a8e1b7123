/* BPF programs count in per-CPU arrays (no atomics on the hot path); user space sums them. */
#ifndef KILN_PERCPU_H
#define KILN_PERCPU_H

#include <stdint.h>

/* out[k] = the sum over CPUs of entry k, for k < n, of the per-CPU array map fd (u64 values).
 * 0, or -errno (out is all zeros past the entry that failed). */
int percpu_array_sum(int fd, uint32_t n, uint64_t *out);

#endif
