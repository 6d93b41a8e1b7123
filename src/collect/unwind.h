/* DWARF unwinding in BPF: structures shared by collect/unwind.bpf.h (kernel side) and
 * collect/unwind_maps.c (user space, fills the maps from unwind/cfi_table). */
#ifndef KILN_UNWIND_H
#define KILN_UNWIND_H

#ifndef __bpf__
#include <linux/types.h> /* the BPF side gets these from vmlinux.h */
#endif

#include "unwind/cfi_row.h"

#define UNWIND_MAX_FRAMES 127
#define UNWIND_MAX_MAPS 512	   /* executable mappings per process (power of two) */
#define UNWIND_MAP_SEARCH_STEPS 10 /* log2(UNWIND_MAX_MAPS) + 1 */
#define UNWIND_ROW_SEARCH_STEPS 25 /* rows per object < 2^24 */
#define UNWIND_MAX_OBJS 8192
#define UNWIND_MAX_PROCS 8192
#define UNWIND_MAX_WANTED 256 /* processes awaiting tables at once */
/* 8 MiB of 8-byte rows: every process of an idle machine needs under 1 MiB, a large C++
 * service a few; the kernel allocates and clears all of it at each start (about 1.5 ms for
 * 8 MiB on the bench's VM, 2.5-5 ms for 16). Full, the least recently used tables make room. */
#define UNWIND_DEFAULT_ROWS (1u << 20)
#define UNWIND_ROW_BYTES 8

/* One executable mapping of a process. obj 0 means no table: frame pointers. */
struct unwind_mapping {
	__u64 start, end;
	__u64 bias; /* runtime address - bias = row pc */
	__u32 obj;
	__u32 pad;
};

/* Value of the per-process map (key: tgid): mappings sorted by start. */
struct unwind_proc {
	__u32 nmaps;
	__u32 pad;
	struct unwind_mapping maps[UNWIND_MAX_MAPS];
};

/* Value of the object map (key: object id): its rows in the shared row array. nrows 0: the
 * object was evicted, use frame pointers. */
struct unwind_obj {
	__u32 first_row;
	__u32 nrows;
};

/* Why an unwind stopped (same meaning as unwind/unwind_user.h's enum unwind_stop). */
enum unwind_bpf_stop {
	UNWIND_BPF_END = 0,	/* reached the outermost frame: complete */
	UNWIND_BPF_MAX,		/* frame limit: truncated */
	UNWIND_BPF_MEMORY,	/* a user read failed */
	UNWIND_BPF_NOINFO,	/* no table and no frame pointer */
	UNWIND_BPF_UNSUPPORTED, /* CFI rule the tables cannot express */
	UNWIND_BPF_BAD,		/* the stack did not move up */
	UNWIND_BPF_NO_REGS,	/* no user registers (kernel thread) */
	UNWIND_BPF_STOP_NR,
};

/* Counters (per-CPU array unwind_stats): stops by reason, then these. */
enum unwind_bpf_stat {
	UNWIND_STAT_SAMPLES = UNWIND_BPF_STOP_NR, /* unwinds attempted */
	UNWIND_STAT_FRAMES,			  /* frames produced */
	UNWIND_STAT_DWARF_FRAMES,		  /* steps that used a table row */
	UNWIND_STAT_FP_FRAMES,			  /* steps that used frame pointers */
	UNWIND_STAT_NO_PROC,			  /* process without mappings in the map */
	UNWIND_STAT_MAP_MISS, /* pc in no known mapping: new code, time to rescan */
	UNWIND_STAT_NR,
};

/* Copy mode: registers and the top of the user stack, for unwinding in user space
 * (unwind/unwind_user.c) — perf --call-graph dwarf's approach, the reference and fallback. */
#define UNWIND_COPY_MAX 16384
#define UNWIND_COPY_CHUNK 512
#define UNWIND_COPY_AFTER_SYSCALL 1 /* ip follows a syscall instruction: struct unwind_regs */
struct unwind_copy {
	__u64 ip, sp, bp;
	__u32 size;  /* bytes of data valid, from sp up */
	__u32 flags; /* UNWIND_COPY_AFTER_SYSCALL */
	__u8 data[UNWIND_COPY_MAX];
};

#endif
