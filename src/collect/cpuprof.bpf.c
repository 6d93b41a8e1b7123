// SPDX-License-Identifier: GPL-2.0
/* Sampled CPU stacks aggregated in the kernel: each sample increments a count keyed by
 * {process, thread, comm, kernel stack, user stack}. User space only reads totals.
 *
 * Counts are double-buffered: user space flips `active` and drains the idle map, so reading
 * during a long run never races with increments. */
/* Only ABI-fixed layouts are read (perf_event context, pt_regs, tracepoint fields at offsets
 * the loader takes from tracefs), so vmlinux.h's types need no CO-RE relocations, and libbpf
 * never has to load the kernel's BTF: 50 ms and 2800 page faults less on every start. */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "collect/cpuprof.h"
#include "collect/unwind.bpf.h"

/* Set by the loader before load. */
const volatile bool filter_pids = false;
const volatile bool want_kernel = true;
const volatile bool want_user = true;
const volatile __u32 unwind_mode = CPUPROF_UNWIND_FP;
const volatile __u32 copy_bytes = 8192; /* copy mode: stack bytes per sample */
/* kiln's own process: its samples are counted without stacks, so its cost shows in the profile
 * without its symbolizing of stacks making new stacks to symbolize. */
const volatile __u32 self_tgid = 0;
/* Frame-pointer user stacks through bpf_get_stack: for verifiers that refuse kiln's walker. */
const volatile bool user_stack_helper = false;

/* Which counts map the program writes to; flipped by user space. */
__u32 active = 0;
/* Entries ever added to a counts map: user space reads it through the mapped .bss, without a
 * system call, to drain a map before it fills. */
__u64 keys_added = 0;

/* User space sleeps between polls until the program wakes it, at the latest after a timeout,
 * so that an idle recording costs few wake-ups. The program wakes it before the ring buffer, the
 * set of sent stacks or a counts map can fill: at these thresholds (set by the loader), counted
 * from the marks user space leaves in .bss as it drains and purges. */
const volatile __u64 wake_ring_bytes = 0;
const volatile __u64 wake_keys = ~0ULL;
const volatile __u64 wake_stacks = ~0ULL;
__u64 keys_at_drain = 0;
__u64 stacks_sent = 0;
__u64 stacks_at_purge = 0;
/* Set once the counts alone called user space; cleared by user space as it drains. */
__u32 keys_wake_sent = 0;

/* Stack hashes already sent to user space; user space deletes them before this fills. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u8);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} stacks_seen SEC(".maps");

/* New stacks, each sent once with only its own frames. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 << 20);
} new_stacks SEC(".maps");

/* Not preallocated: creating two full maps costs more than a whole short recording. */
struct counts_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct cpuprof_key);
	__type(value, __u64);
	__uint(max_entries, 65536);
};
struct counts_map counts0 SEC(".maps");
struct counts_map counts1 SEC(".maps");

/* Target processes (tgid -> 1) when filtering; children are added on fork. Not preallocated:
 * system-wide recordings use none of its 65536 elements. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8);
	__uint(max_entries, 65536);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, CPUPROF_STAT_NR);
} stats SEC(".maps");

/* Copy mode: one sample's record is built here, then sent with only its used bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct cpuprof_copy);
	__uint(max_entries, 1);
} copy_scratch SEC(".maps");

/* A kernel stack's packed form (CPUPROF_REC_KSTACK32), built beside it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct cpuprof_kstack32);
	__uint(max_entries, 1);
} kscratch SEC(".maps");

/* Scratch space for one stack: too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct cpuprof_stack);
	__uint(max_entries, 1);
} scratch SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);
	if (v)
		(*v)++;
}

/* BPF_RB_FORCE_WAKEUP once user space must run, else no wake-up at all (not even libbpf's
 * default one per batch): it reads the ring when it polls anyway. */
static __always_inline __u64 ring_wakeup(void)
{
	if (keys_added - keys_at_drain >= wake_keys ||
	    stacks_sent - stacks_at_purge >= wake_stacks ||
	    bpf_ringbuf_query(&new_stacks, BPF_RB_AVAIL_DATA) >= wake_ring_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Also ANDs every address into *common (its high half then says whether all are kernel
 * addresses) and, when low is not NULL, writes their low halves there: packing in the same
 * loop keeps the verifier from walking a second loop once per depth the first can end at. */
static __always_inline __u64 hash_stack(const struct cpuprof_stack *st, __u32 depth, __u64 seed,
					__u32 *low, __u64 *common)
{
	__u64 h = 0xcbf29ce484222325ULL ^ seed, all = ~0ULL;
	for (__u32 i = 0; i < CPUPROF_MAX_DEPTH; i++) {
		if (i >= depth)
			break;
		__u64 ip = st->ips[i];
		h = (h ^ ip) * 0x100000001b3ULL;
		h ^= h >> 29;
		all &= ip;
		if (low)
			low[i] = (__u32)ip;
	}
	*common = all;
	return h ? h : 1;
}

/* Returns the stack's hash, or 0 when there was none (a sample taken in user mode has no
 * kernel stack) or it could not be captured (counted in fail_stat). */
static __always_inline __u64 capture(void *ctx, __u64 flags, __u32 fail_stat)
{
	__u32 zero = 0;
	struct cpuprof_stack *st = bpf_map_lookup_elem(&scratch, &zero);
	if (!st)
		return 0;
	struct cpuprof_kstack32 *packed = NULL;
	if (!(flags & BPF_F_USER_STACK) && !(packed = bpf_map_lookup_elem(&kscratch, &zero)))
		return 0;
	long bytes;
	if ((flags & BPF_F_USER_STACK) && !user_stack_helper) { /* tables, or frame pointers */
		__u32 stop;
		bytes = unwind_get_user_stack(ctx, st->ips, sizeof(st->ips), &stop);
	} else {
		bytes = bpf_get_stack(ctx, st->ips, sizeof(st->ips), flags);
	}
	if (bytes <= 0) {
		if (bytes < 0 && bytes != -14 /* EFAULT: no stack of this kind */)
			stat_inc(fail_stat);
		return 0;
	}
	if (bytes > (long)sizeof(st->ips))
		return 0;
	__u32 depth = (__u32)bytes / sizeof(__u64);
	__u64 common;
	__u64 h = hash_stack(st, depth, flags, packed ? packed->ips : NULL, &common);
	__u8 yes = 1;
	long err = bpf_map_update_elem(&stacks_seen, &h, &yes, BPF_NOEXIST);
	if (err == -17 /* EEXIST: user space has it, or is about to */)
		return h;
	if (err) {
		stat_inc(fail_stat);
		return 0;
	}
	st->hash = h;
	st->depth = depth;
	st->type = CPUPROF_REC_STACK;
	void *record = st;
	__u64 size = CPUPROF_STACK_HEADER + (__u64)bytes;
	if (packed && (common & CPUPROF_KERNEL_HIGH) == CPUPROF_KERNEL_HIGH) {
		packed->hash = h;
		packed->depth = depth;
		packed->type = CPUPROF_REC_KSTACK32;
		record = packed;
		size = CPUPROF_STACK_HEADER + (__u64)bytes / 2;
	}
	if (bpf_ringbuf_output(&new_stacks, record, size, ring_wakeup())) {
		bpf_map_delete_elem(&stacks_seen, &h); /* so the next sample sends it again */
		stat_inc(CPUPROF_STAT_STACKS_LOST);
		return 0;
	}
	__sync_fetch_and_add(&stacks_sent, 1);
	return h;
}

static __always_inline void count(void *map, struct cpuprof_key *key)
{
	__u64 *n = bpf_map_lookup_elem(map, key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	__u64 one = 1;
	if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) == 0) {
		__sync_fetch_and_add(&keys_added, 1);
		if (keys_added - keys_at_drain >= wake_keys && !keys_wake_sent) {
			struct cpuprof_wake w = {.type = CPUPROF_REC_WAKE};
			keys_wake_sent = 1; /* two CPUs may both send one: harmless */
			bpf_ringbuf_output(&new_stacks, &w, sizeof(w), BPF_RB_FORCE_WAKEUP);
		}
		return;
	}
	/* Another CPU may have inserted the same key meanwhile; otherwise the hash is full. */
	n = bpf_map_lookup_elem(map, key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		stat_inc(CPUPROF_STAT_COUNTS_FULL);
}

/* Copy mode: the sample goes to user space whole, its user stack as registers and bytes.
 * Returns false when there is no user stack to copy (a kernel thread): counted as usual. */
static __always_inline bool send_copy(struct bpf_perf_event_data *ctx,
				      const struct cpuprof_key *key)
{
	__u32 zero = 0;
	struct cpuprof_copy *c = bpf_map_lookup_elem(&copy_scratch, &zero);
	if (!c || unwind_copy_user_stack(ctx, &c->copy, copy_bytes))
		return false;
	c->kernel_stack = key->kernel_stack;
	c->depth = 0;
	c->type = CPUPROF_REC_COPY;
	c->pid = key->pid;
	c->tid = key->tid;
	__builtin_memcpy(c->comm, key->comm, sizeof(c->comm));
	__u64 size = CPUPROF_COPY_HEADER + (__u64)c->copy.size;
	if (size > sizeof(*c) || bpf_ringbuf_output(&new_stacks, c, size, ring_wakeup()))
		stat_inc(CPUPROF_STAT_COPIES_LOST);
	return true;
}

SEC("perf_event")
int cpuprof_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	if (filter_pids && !bpf_map_lookup_elem(&targets, &tgid))
		return 0;

	struct cpuprof_key key = {};
	key.pid = tgid;
	key.tid = (__u32)id;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	bool self = tgid == self_tgid;
	if (want_kernel && !self)
		key.kernel_stack = capture(ctx, 0, CPUPROF_STAT_KSTACK_FAILED);
	stat_inc(CPUPROF_STAT_SAMPLES);
	if (self)
		goto counted;
	if (want_user && tgid && unwind_mode == CPUPROF_UNWIND_COPY && send_copy(ctx, &key))
		return 0;
	if (want_user && tgid && unwind_mode != CPUPROF_UNWIND_COPY)
		key.user_stack = capture(ctx, BPF_F_USER_STACK, CPUPROF_STAT_USTACK_FAILED);
counted:
	if (active)
		count(&counts1, &key);
	else
		count(&counts0, &key);
	return 0;
}

/* Offsets of task_newtask's fields, from its tracefs format (set by the loader). */
const volatile __u32 newtask_pid_offset = 8;
const volatile __u32 newtask_flags_offset = 32;

#define KILN_CLONE_THREAD 0x00010000

/* A new process: with DWARF unwinding it starts with its parent's tables; a target's child
 * becomes a target. task_newtask runs in the parent and says, unlike sched_process_fork,
 * whether the child is a thread, without reading task_struct (whose layout needs BTF). */
SEC("tracepoint/task/task_newtask")
int cpuprof_fork(void *ctx)
{
	__s32 child = 0;
	__u64 flags = 0;
	if (bpf_probe_read_kernel(&child, sizeof(child), (char *)ctx + newtask_pid_offset) ||
	    bpf_probe_read_kernel(&flags, sizeof(flags), (char *)ctx + newtask_flags_offset) ||
	    (flags & KILN_CLONE_THREAD) || child <= 0)
		return 0;
	__u32 ctgid = (__u32)child;
	__u32 ptgid = bpf_get_current_pid_tgid() >> 32;
	if (unwind_mode == CPUPROF_UNWIND_DWARF)
		unwind_process_fork(ptgid, ctgid);
	if (!filter_pids || !bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	__u8 yes = 1;
	bpf_map_update_elem(&targets, &ctgid, &yes, BPF_ANY);
	return 0;
}

/* After an exec the old tables are wrong: frame pointers until user space loads the new. */
SEC("tracepoint/sched/sched_process_exec")
int cpuprof_exec(void *ctx)
{
	unwind_process_exec(bpf_get_current_pid_tgid() >> 32);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
