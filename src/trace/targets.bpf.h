/* The processes a tracer watches (tgid -> a trace/targets.h state), shared by both tracers'
 * BPF programs; filter_pids and follow_forks are set by the loader before load. */
#ifndef KILN_TRACE_TARGETS_BPF_H
#define KILN_TRACE_TARGETS_BPF_H

#include "trace/targets.h"

const volatile bool filter_pids = false;
const volatile bool follow_forks = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u8);
	__uint(max_entries, 65536);
} targets SEC(".maps");

/* -f: children of traced processes are traced from birth (threads share the tgid already). */
static __always_inline void follow_fork(struct task_struct *parent, struct task_struct *child)
{
	if (!filter_pids || !follow_forks)
		return;
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	if (ptgid == ctgid)
		return;
	__u8 *state = bpf_map_lookup_elem(&targets, &ptgid);
	if (!state || *state != TRACE_TARGET_ON)
		return;
	__u8 on = TRACE_TARGET_ON;
	bpf_map_update_elem(&targets, &ctgid, &on, BPF_ANY);
}

#endif
