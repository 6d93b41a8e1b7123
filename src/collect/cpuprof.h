/* Shared between cpuprof.bpf.c (kernel side) and cpuprof.c (loader). */
#ifndef KILN_CPUPROF_H
#define KILN_CPUPROF_H

#ifndef __bpf__
#include <linux/types.h> /* the BPF side gets these from vmlinux.h */
#endif

#include "collect/unwind.h"

#define CPUPROF_COMM_LEN 16
#define CPUPROF_MAX_DEPTH 127

/* How user stacks are walked (rodata unwind_mode). */
enum cpuprof_unwind {
	CPUPROF_UNWIND_FP,    /* frame pointers (collect/unwind.bpf.h without tables) */
	CPUPROF_UNWIND_DWARF, /* CFI tables in maps (collect/unwind.bpf.h), frame pointers where
				 none */
	CPUPROF_UNWIND_COPY, /* registers and stack bytes to user space, unwound there with libdw */
};

/* Records of the ring buffer: a new stack, or (copy mode) one sample's copied user stack. */
enum cpuprof_record {
	CPUPROF_REC_STACK = 0,
	CPUPROF_REC_COPY = 1,
	CPUPROF_REC_KSTACK32 = 2, /* a kernel stack as the low 32 bits of each address (the
				     high 32 are all ones): half the bytes */
	CPUPROF_REC_WAKE = 3,	  /* nothing but a wake-up: a counts map is half full */
};

/* Stacks are known by a 64-bit hash of their addresses (0 = no stack). A stack-trace map
 * would be simpler, but its bucket collisions silently drop whole stacks. The kernel remembers
 * which hashes it has seen and sends each new stack to user space once, through a ring buffer,
 * with only as many frames as it has: user space never reads a fixed-size stack. */
struct cpuprof_stack {
	__u64 hash;
	__u32 depth;
	__u32 type;		      /* CPUPROF_REC_STACK */
	__u64 ips[CPUPROF_MAX_DEPTH]; /* the first depth entries are sent */
};

/* A kernel stack as the low half of each address: the high halves are all ones. */
struct cpuprof_kstack32 {
	__u64 hash;
	__u32 depth;
	__u32 type; /* CPUPROF_REC_KSTACK32 */
	__u32 ips[CPUPROF_MAX_DEPTH];
};

/* The header alone: user space must drain a counts map soon. */
struct cpuprof_wake {
	__u64 hash; /* 0 */
	__u32 depth;
	__u32 type; /* CPUPROF_REC_WAKE */
};

#define CPUPROF_STACK_HEADER 16			  /* hash, depth, type: the same in both */
#define CPUPROF_KERNEL_HIGH 0xffffffff00000000ULL /* the high half of every kernel address */

/* Copy mode: one sample, sent whole (only copy.size bytes of the stack follow the header). */
struct cpuprof_copy {
	__u64 kernel_stack; /* hash, 0 when none */
	__u32 depth;	    /* 0: keeps the record's header like a stack's */
	__u32 type;	    /* CPUPROF_REC_COPY */
	__u32 pid, tid;
	char comm[CPUPROF_COMM_LEN];
	struct unwind_copy copy;
};

#define CPUPROF_COPY_HEADER (sizeof(struct cpuprof_copy) - UNWIND_COPY_MAX)

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
	CPUPROF_STAT_COPIES_LOST, /* copy mode: ring buffer full, the sample is lost */
	CPUPROF_STAT_NR,
};

#endif
