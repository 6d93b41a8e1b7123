// SPDX-License-Identifier: GPL-2.0
/* Samples one process and sends, per sample, the user stack unwound in the kernel (and
 * optionally the raw stack) through a ring buffer: a harness to test collect/unwind.bpf.h
 * end to end against the user-space reference and perf. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "collect/unwind.bpf.h"
#include "collect/unwindtest.h"

const volatile __u32 target_tgid = 0;
const volatile __u32 copy_bytes = 0; /* 0: no stack copy */
const volatile bool use_fp = false;  /* bpf_get_stack instead, to compare costs */
const volatile bool discard = false; /* measure the unwind alone: nothing reaches user space */

__u64 sampled = 0;

__u64 dropped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20);
} events SEC(".maps");

/* A child of the target, followed from its fork with the parent's mappings copied in BPF
 * (unwind_process_fork): user space does not add it, to test that copy. */
__u32 child_tgid = 0;

SEC("perf_event")
int unwindtest_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (tgid != target_tgid && (!child_tgid || tgid != child_tgid))
		return 0;
	struct unwindtest_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	e->pid = id >> 32;
	e->tid = (__u32)id;
	if (use_fp) {
		long bytes = bpf_get_stack(ctx, e->ips, sizeof(e->ips), BPF_F_USER_STACK);
		e->n = bytes > 0 ? bytes / sizeof(__u64) : 0;
		e->stop = UNWIND_BPF_END;
	} else {
		long bytes = unwind_get_user_stack(ctx, e->ips, sizeof(e->ips), &e->stop);
		e->n = bytes > 0 ? bytes / sizeof(__u64) : 0;
	}
	__sync_fetch_and_add(&sampled, 1);
	if (discard) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	e->copy.size = 0;
	if (copy_bytes)
		unwind_copy_user_stack(ctx, &e->copy, copy_bytes);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

__u64 execs = 0;

SEC("tp_btf/sched_process_exec")
int BPF_PROG(unwindtest_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid != target_tgid)
		return 0;
	unwind_process_exec(tgid);
	__sync_fetch_and_add(&execs, 1);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(unwindtest_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid != target_tgid || ctgid == ptgid)
		return 0;
	unwind_process_fork(ptgid, ctgid);
	child_tgid = ctgid;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
