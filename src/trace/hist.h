/* bpftrace's text layouts for hist() and lhist(), and kernel symbol names for stacks. */
#ifndef KILN_TRACE_HIST_H
#define KILN_TRACE_HIST_H

#include <stdint.h>
#include <stdio.h>

/* slots as the kernel fills them: 0 negatives, 1 zero, 2 + log2(v). */
void hist_print(FILE *f, const uint64_t *slots, int nslots);
/* slots: 0 below min, 1 + (v - min) / step, the last at or above max. */
void lhist_print(FILE *f, const uint64_t *slots, int nslots, int64_t min, int64_t max,
		 int64_t step);
/* The label bpftrace gives a power of two: 1, 2, ..., 512, 1K, ..., 1M, ... */
void hist_label(char *buf, size_t len, int power);
/* "function+0x12" for a kernel address, from /proc/kallsyms; NULL when unknown. */
const char *trace_ksym(uint64_t addr);

#endif
