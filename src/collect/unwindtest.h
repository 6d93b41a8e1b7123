/* Test collector for the BPF unwinder (unwindtest.bpf.c): one ring buffer record per sample
 * with the in-kernel unwind and, when asked, a stack copy to unwind in user space. Used by
 * tests/tools/unwindtest.c; the record pipeline integrates collect/unwind.bpf.h itself. */
#ifndef KILN_UNWINDTEST_H
#define KILN_UNWINDTEST_H

#include "collect/unwind.h"

struct unwindtest_event {
	__u32 pid, tid;
	__u32 stop; /* enum unwind_bpf_stop */
	__u32 n;
	__u64 ips[UNWIND_MAX_FRAMES];
	struct unwind_copy copy; /* copy.size 0 when not copied */
};

#endif
