/* Kernel symbols named by the kernel itself (ksym.bpf.c), for the symbolizer: only the addresses
 * a profile holds are looked up, each function once, instead of reading all of /proc/kallsyms.
 * Needs BPF (root or CAP_BPF + CAP_PERFMON); without it the symbolizer reads /proc/kallsyms. */
#ifndef KILN_KSYM_LOADER_H
#define KILN_KSYM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "symbol/sym_table.h"

struct ksym_live;

/* 0, or -errno when BPF is not available here. */
int ksym_live_open(struct ksym_live **out);
void ksym_live_free(struct ksym_live *k);
/* Looks up, in as few calls into the kernel as it takes, those of addrs not known yet. 0 or
 * -errno. */
int ksym_live_prefetch(struct ksym_live *k, const uint64_t *addrs, size_t n);
/* The function holding addr (looked up now if need be), or NULL when the kernel has none. Its
 * group is its module (see ksym_live_module). */
const struct sym_entry *ksym_live_find(struct ksym_live *k, uint64_t addr);
/* A module's name ("kernel.kallsyms" for 0, "bpf" for BPF programs) and its text range
 * (0, 0 when unknown). */
const char *ksym_live_module(const struct ksym_live *k, uint16_t module, uint64_t *lo,
			     uint64_t *hi);

#endif
