/* Shared between ksym.bpf.c (kernel side) and ksym.c (loader): a batch of kernel addresses
 * the kernel names itself. */
#ifndef KILN_KSYM_H
#define KILN_KSYM_H

#ifndef __bpf__
#include <linux/types.h> /* the BPF side gets these from vmlinux.h */
#endif

#define KSYM_BATCH 64
#define KSYM_TEXT_LEN 192 /* "name+0xoff/0xsize [module]"; kernel names are at most 512, rare */

struct ksym_batch {
	__u64 addrs[KSYM_BATCH];
	__u32 n;
	__u32 pad;
	char text[KSYM_BATCH][KSYM_TEXT_LEN]; /* %pS of each address */
	__u64 stext, etext;		      /* the core kernel's text */
};

#endif
