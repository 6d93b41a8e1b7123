// SPDX-License-Identifier: GPL-2.0
/* Kernel addresses named by the kernel: a program run on demand (BPF_PROG_TEST_RUN) prints each
 * address of a batch with %pS, the kernel's own symbol lookup. Symbolizing a profile's few
 * hundred kernel addresses this way costs microseconds, where reading /proc/kallsyms costs every
 * run 50 ms and 1700 page faults to find the same names. */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "symbol/ksym.h"

struct ksym_batch batch;

SEC("syscall")
int ksym_resolve(void *ctx)
{
	for (__u32 i = 0; i < KSYM_BATCH; i++) {
		if (i >= batch.n)
			break;
		bpf_snprintf(batch.text[i], sizeof(batch.text[i]), "%pS", &batch.addrs[i],
			     sizeof(batch.addrs[i]));
	}
	return 0;
}

SEC("syscall")
int ksym_text_range(void *ctx)
{
	bpf_kallsyms_lookup_name("_stext", sizeof("_stext"), 0, &batch.stext);
	bpf_kallsyms_lookup_name("_etext", sizeof("_etext"), 0, &batch.etext);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
