/* Shared between cpuprof.bpf.c (kernel side) and cpuprof.c (loader). */
#ifndef KILN_CPUPROF_H
#define KILN_CPUPROF_H

#ifndef __bpf__
#include <linux/types.h> /* the BPF side gets these from vmlinux.h */
#endif

#define CPUPROF_COMM_LEN 16
#define CPUPROF_MAX_DEPTH 127

/* Stacks are known by a 64-bit hash of their addresses (0 = no stack). A stack-trace map
 * would be simpler, but its bucket collisions silently drop whole stacks. The kernel remembers
 * which hashes it has seen and sends each new stack to user space once, through a ring buffer,
 * with only as many frames as it has: user space never reads a fixed-size stack. */
struct cpuprof_stack {
	__u64 hash;
	__u32 depth;
	__u32 pad;
	__u64 ips[CPUPROF_MAX_DEPTH]; /* the first depth entries are sent */
};

#define CPUPROF_STACK_HEADER 16 /* hash, depth, pad */

struct cpuprof_key {
	__u32 pid; /* tgid */
	__u32 tid;
	__u64 kernel_stack; /* hash, 0 when none */
	__u64 user_stack;
	char comm[CPUPROF_COMM_LEN];
};

/* Counters in a per-CPU array: nothing the user asked for is dropped silently. */
enum cpuprof_stat {
	CPUPROF_STAT_SAMPLES,	    /* samples of the targets */
	CPUPROF_STAT_KSTACK_FAILED, /* a kernel stack existed but could not be read or stored */
	CPUPROF_STAT_USTACK_FAILED,
	CPUPROF_STAT_COUNTS_FULL, /* aggregation hash full: sample lost */
	CPUPROF_STAT_STACKS_LOST, /* ring buffer full: a new stack could not be sent */
	CPUPROF_STAT_NR,
};

#endif
