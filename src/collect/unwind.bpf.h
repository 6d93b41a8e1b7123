/* SPDX-License-Identifier: GPL-2.0 */
/* DWARF CFI unwinding of user stacks in a perf_event BPF program (x86-64). Include after
 * vmlinux.h and the libbpf headers; call unwind_user_dwarf() from the sampling program.
 *
 * The tables live in maps user space fills (collect/unwind_maps.c): per process its executable
 * mappings (unwind_procs), per object its slice of one shared row array (unwind_objs,
 * unwind_rows). Each frame is one bpf_loop iteration: find the mapping (binary search), find
 * the row (binary search), compute the CFA, read the return address and maybe rbp. Where no
 * table covers the pc, the step follows the frame-pointer convention instead. This mirrors
 * unwind/unwind_user.c step for step.
 *
 * Using it from a sampler (see collect/unwindtest.bpf.c for a complete one):
 *   - perf_event program: unwind_get_user_stack(ctx, ips, 127 * 8, &stop) in place of
 *     bpf_get_stack(ctx, ips, size, BPF_F_USER_STACK) (same return convention; ips a map
 *     value of 127 u64), or unwind_user_dwarf_stop() for the frame count.
 *   - on exec (e.g. tracepoint sched/sched_process_exec): unwind_process_exec(tgid); on the
 *     fork of a new process (task/task_newtask without CLONE_THREAD):
 *     unwind_process_fork(parent_tgid, child_tgid).
 *   - copy mode: unwind_copy_user_stack() into a ring buffer record, unwound in user space by
 *     unwind/unwind_libdw.h (or unwind/unwind_user.h).
 *   - user space: unwind_maps_new() with the map fds after load, unwind_maps_add_pid()
 *     for each target and on its exec/mmap/fork events, unwind_maps_add_wanted() on each
 *     poll (processes sampled without tables), unwind_maps_rescan() every second or so,
 *     a poll as soon as the unwind_doorbell ring has a record (see there),
 * unwind_maps_get_stats()/unwind_maps_read_counters() for the summary. Shrink unwind_rows with
 * bpf_map__set_max_entries() before load when not unwinding with DWARF: it is preallocated
 * (UNWIND_DEFAULT_ROWS * UNWIND_ROW_BYTES). */
#ifndef KILN_UNWIND_BPF_H
#define KILN_UNWIND_BPF_H

#include "collect/unwind.h"

/* Set by a loader that loads no tables (frame-pointer mode): every step follows the frame
 * pointers, and the table lookups are left out (the verifier drops them). Walking here costs a
 * third of what bpf_get_stack(BPF_F_USER_STACK) does for the same frames: 2.2 against 6.6 us a
 * sample on the bench's VM. */
const volatile __u32 unwind_no_tables = 0;

/* Mappable: user space writes rows straight into it, not one bpf() call per row. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cfi_row);
	__uint(max_entries, UNWIND_DEFAULT_ROWS);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct unwind_obj);
	__uint(max_entries, UNWIND_MAX_OBJS);
} unwind_objs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct unwind_proc);
	__uint(max_entries, UNWIND_MAX_PROCS);
} unwind_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, UNWIND_STAT_NR);
} unwind_stats SEC(".maps");

/* Processes sampled without tables, for user space to load (tables can be loaded on demand
 * rather than for every process up front). A full map only delays a request to a later
 * sample. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u8);
	__uint(max_entries, UNWIND_MAX_WANTED);
} unwind_wanted SEC(".maps");

/* A doorbell: a record wakes user space at once, where it would otherwise see the news at its
 * next timed poll, up to a second later. (Polling every 10 to 100 ms instead took 105 wake-ups
 * and about 8 ms of the 50 ms of CPU of a 6 s recording on the bench's VM.) It rings when a
 * process is sampled without tables, and when a pc lies in no mapping user space has read (a
 * library just loaded, whose sideband mmap record waits in the perf ring), at most every
 * UNWIND_MISS_RING_NS. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} unwind_doorbell SEC(".maps");

#define UNWIND_MISS_RING_NS 100000000ULL
__u64 unwind_miss_rung_ns = 0;

static __always_inline void unwind_ring_doorbell(void)
{
	__u8 ring = 1;
	bpf_ringbuf_output(&unwind_doorbell, &ring, sizeof(ring), BPF_RB_FORCE_WAKEUP);
}

/* One word per CPU to pass values through memory the verifier does not track (see
 * unwind_launder). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} unwind_tmp SEC(".maps");

struct unwind_walk {
	__u64 pc, sp, bp;
	__u64 *ips;
	__u32 n, max;
	__u32 stop;
	__u32 exact; /* pc is not a return address: first frame, or after a signal frame */
	__u64 dwarf_steps, fp_steps;
};

static __always_inline void unwind_stat_add(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&unwind_stats, &which);
	if (v)
		*v += n;
}

/* A global function: the verifier checks it once, on its own. Inlined, the paths through
 * these four updates multiplied every path after the walk (half of the program's
 * verification, 15 ms of each start). */
__noinline int unwind_count_walk(__u32 stop, __u32 frames, __u64 dwarf_steps, __u64 fp_steps)
{
	unwind_stat_add(UNWIND_STAT_SAMPLES, 1);
	unwind_stat_add(stop < UNWIND_BPF_STOP_NR ? stop : UNWIND_BPF_BAD, 1);
	unwind_stat_add(UNWIND_STAT_FRAMES, frames);
	unwind_stat_add(UNWIND_STAT_DWARF_FRAMES, dwarf_steps);
	unwind_stat_add(UNWIND_STAT_FP_FRAMES, fp_steps);
	return 0;
}

/* Returns v & mask as a value the verifier knows only by its range. Binary search indexes
 * derived from each other would otherwise be tracked precisely along every one of the 2^steps
 * search paths, and the program would exceed the verifier's instruction budget. */
static __always_inline __u32 unwind_launder(__u32 v, __u32 mask)
{
	__u32 zero = 0;
	__u64 *slot = bpf_map_lookup_elem(&unwind_tmp, &zero);
	if (!slot)
		return 0;
	*(volatile __u64 *)slot = v;
	return (__u32)(*(volatile __u64 *)slot) & mask;
}

static __always_inline const struct unwind_mapping *unwind_find_mapping(const struct unwind_proc *p,
									__u64 pc)
{
	__u32 lo = 0, hi = p->nmaps; /* first mapping with start > pc is at hi */
	/* Rejecting rather than clamping keeps hi unknown to the verifier: a constant would make
	 * it walk every search path separately. */
	if (hi > UNWIND_MAX_MAPS)
		return 0;
	for (int i = 0; i < UNWIND_MAP_SEARCH_STEPS && lo < hi; i++) {
		__u32 mid = unwind_launder(lo + (hi - lo) / 2, UNWIND_MAX_MAPS - 1);
		if (p->maps[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const struct unwind_mapping *m = &p->maps[unwind_launder(lo - 1, UNWIND_MAX_MAPS - 1)];
	return pc < m->end ? m : 0;
}

/* The row for addr (the pc, or pc - 1 for a return address) in the current process; out keeps
 * CFI_CFA_NONE when no table covers it. A global function: the verifier checks it once, on its
 * own, rather than again inside every path of every frame. Returns 1 when a row was found. */
__noinline int unwind_find_row(__u64 addr, struct cfi_row *out)
{
	if (!out)
		return 0;
	out->cfa_type = CFI_CFA_NONE;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	const struct unwind_proc *p = bpf_map_lookup_elem(&unwind_procs, &tgid);
	if (!p)
		return 0;
	const struct unwind_mapping *m = unwind_find_mapping(p, addr);
	if (!m) {
		unwind_stat_add(UNWIND_STAT_MAP_MISS, 1);
		__u64 now = bpf_ktime_get_ns();
		if (now - unwind_miss_rung_ns >= UNWIND_MISS_RING_NS) {
			unwind_miss_rung_ns = now; /* racing CPUs may both ring: harmless */
			unwind_ring_doorbell();
		}
		return 0;
	}
	if (!m->obj)
		return 0;
	__u32 objid = m->obj;
	const struct unwind_obj *obj = bpf_map_lookup_elem(&unwind_objs, &objid);
	if (!obj || !obj->nrows)
		return 0;
	__u64 key = addr - m->bias;
	if (key > 0xffffffffULL)
		return 0;
	__u32 lo = obj->first_row, hi = obj->first_row + obj->nrows; /* answer in [lo, hi) */
	for (int i = 0; i < UNWIND_ROW_SEARCH_STEPS && hi - lo > 1; i++) {
		__u32 mid = unwind_launder(lo + (hi - lo) / 2, 0xffffffff);
		const struct cfi_row *r = bpf_map_lookup_elem(&unwind_rows, &mid);
		if (!r)
			return 0;
		if (r->pc <= key)
			lo = mid;
		else
			hi = mid;
	}
	const struct cfi_row *r = bpf_map_lookup_elem(&unwind_rows, &lo);
	if (!r || r->pc > key)
		return 0;
	*out = *r;
	return 1;
}

static __always_inline long unwind_read(__u64 *dst, __u64 addr)
{
	return bpf_probe_read_user(dst, sizeof(*dst), (const void *)addr);
}

static long unwind_step(__u32 index, void *arg)
{
	struct unwind_walk *w = arg;
	(void)index;
	__u32 n = w->n;
	if (n >= w->max || n >= UNWIND_MAX_FRAMES) {
		w->stop = UNWIND_BPF_MAX;
		return 1;
	}
	/* Laundered so that n stays imprecise and bpf_loop's callback verification converges
	 * instead of walking all 127 frame counts. */
	__u32 slot = unwind_launder(n, 127);
	if (slot >= UNWIND_MAX_FRAMES)
		return 1;
	w->ips[slot] = w->pc;
	w->n = n + 1;

	struct cfi_row r = {};
	if (!unwind_no_tables)
		unwind_find_row(w->exact ? w->pc : w->pc - 1, &r);
	__u64 cfa;
	switch (r.cfa_type) {
	case CFI_CFA_END:
		w->stop = UNWIND_BPF_END;
		return 1;
	case CFI_CFA_UNSUPPORTED:
		w->stop = UNWIND_BPF_UNSUPPORTED;
		return 1;
	case CFI_CFA_SIGNAL: {
		__u64 sp = w->sp;
		if (unwind_read(&w->pc, sp + CFI_UCONTEXT_RIP) ||
		    unwind_read(&w->bp, sp + CFI_UCONTEXT_RBP) ||
		    unwind_read(&w->sp, sp + CFI_UCONTEXT_RSP)) {
			w->stop = UNWIND_BPF_MEMORY;
			return 1;
		}
		w->exact = 1;
		w->dwarf_steps++;
		return 0;
	}
	case CFI_CFA_RSP:
		cfa = w->sp + CFI_ROW_CFA_OFF(r);
		break;
	case CFI_CFA_RBP:
		cfa = w->bp + CFI_ROW_CFA_OFF(r);
		break;
	case CFI_CFA_PLT:
		cfa = w->sp + CFI_ROW_CFA_OFF(r) + ((__s64)(w->pc & 15) >= r.rbp_off ? 8 : 0);
		break;
	default: /* no table: the frame-pointer convention, rbp saved at CFA-16 */
		if (!w->bp) {
			w->stop = UNWIND_BPF_NOINFO;
			return 1;
		}
		cfa = w->bp + 16;
		r.rbp_type = CFI_RBP_AT_CFA;
		r.rbp_off = -16;
	}
	if (r.cfa_type == CFI_CFA_NONE)
		w->fp_steps++;
	else
		w->dwarf_steps++;
	if (cfa <= w->sp) {
		w->stop = UNWIND_BPF_BAD;
		return 1;
	}
	__u64 ra;
	if (unwind_read(&ra, cfa - 8)) {
		w->stop = UNWIND_BPF_MEMORY;
		return 1;
	}
	if (r.rbp_type == CFI_RBP_AT_CFA) {
		if (unwind_read(&w->bp, cfa + (__s64)r.rbp_off)) {
			w->stop = UNWIND_BPF_MEMORY;
			return 1;
		}
	} else if (r.rbp_type == CFI_RBP_UNDEFINED) {
		w->bp = 0;
	}
	w->sp = cfa;
	w->pc = ra;
	w->exact = 0;
	if (!ra) {
		w->stop = UNWIND_BPF_END;
		return 1;
	}
	return 0;
}

/* The interrupted user registers: the sample's own when it hit user mode, else those the
 * kernel saved on entry. *after_syscall is set when the task is inside a system call: its ip
 * then follows the syscall instruction, which may end a function (__restore_rt does), so the
 * first lookup must be at ip - 1 like for a return address; the stack is the same before and
 * after the instruction. Returns 0, or -1 for tasks without a user context. */
static __always_inline int unwind_user_regs(struct bpf_perf_event_data *ctx, __u64 *ip, __u64 *sp,
					    __u64 *bp, __u32 *after_syscall)
{
	*after_syscall = 0;
	/* The context only allows 8-byte loads; cs shares its word with FRED bits. */
	__u64 cs = *(volatile __u64 *)((char *)&ctx->regs + __builtin_offsetof(struct pt_regs, cs));
	if (cs & 3) {
		*ip = ctx->regs.ip;
		*sp = ctx->regs.sp;
		*bp = ctx->regs.bp;
		return 0;
	}
	/* The registers the task saved on entering the kernel. pt_regs is the x86-64 ABI's
	 * layout, so plain offsets do: no CO-RE relocation, and no kernel BTF for libbpf to load
	 * (50 ms of every start). Kernel threads and user workers start with these zeroed, so a
	 * user code segment is what tells a task with user state. */
	const char *regs = (const char *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct {
		__u64 ip, cs, flags, sp;
	} tail;
	if (!regs ||
	    bpf_probe_read_kernel(&tail, sizeof(tail),
				  regs + __builtin_offsetof(struct pt_regs, ip)) ||
	    bpf_probe_read_kernel(bp, sizeof(*bp), regs + __builtin_offsetof(struct pt_regs, bp)) ||
	    !(tail.cs & 3))
		return -1;
	*ip = tail.ip;
	*sp = tail.sp;
	__u16 insn = 0;
	if (*ip >= 2 && bpf_probe_read_user(&insn, sizeof(insn), (const void *)(*ip - 2)) == 0 &&
	    insn == 0x050f /* syscall: 0f 05 */)
		*after_syscall = 1;
	return *ip ? 0 : -1;
}

/* Unwinds the current task's user stack into ips (at most max ≤ UNWIND_MAX_FRAMES frames).
 * ips must hold UNWIND_MAX_FRAMES u64 (a map value or ring buffer record, not the BPF stack);
 * all of them after the last frame are zeroed. Returns the number of frames; *stop gets an
 * enum unwind_bpf_stop. */
static __always_inline int unwind_user_dwarf_stop(struct bpf_perf_event_data *ctx, __u64 *ips,
						  int max, __u32 *stop)
{
	struct unwind_walk w = {};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	/* Constant size: the verifier sees straight-line stores, not a loop over n. */
	__builtin_memset(ips, 0, UNWIND_MAX_FRAMES * sizeof(__u64));
	w.ips = ips;
	w.max = max < 0 ? 0 : max > UNWIND_MAX_FRAMES ? UNWIND_MAX_FRAMES : (__u32)max;
	/* Loop-carried values start laundered: a known constant would make the verifier mark
	 * them precise and verify the callback once per value instead of converging. */
	w.n = unwind_launder(0, 127);
	__u32 after_syscall = 0;
	w.stop = UNWIND_BPF_MAX;
	if (unwind_user_regs(ctx, &w.pc, &w.sp, &w.bp, &after_syscall)) {
		w.stop = UNWIND_BPF_NO_REGS;
	} else {
		w.exact = unwind_launder(after_syscall ? 0 : 1, 1);
		if (!unwind_no_tables && !bpf_map_lookup_elem(&unwind_procs, &tgid)) {
			__u8 yes = 1;
			unwind_stat_add(UNWIND_STAT_NO_PROC, 1);
			if (!bpf_map_update_elem(&unwind_wanted, &tgid, &yes, BPF_NOEXIST))
				unwind_ring_doorbell();
		}
		bpf_loop(UNWIND_MAX_FRAMES, unwind_step, &w, 0);
	}
	unwind_count_walk(w.stop, w.n, w.dwarf_steps, w.fp_steps);
	*stop = w.stop;
	return (int)w.n;
}

static __always_inline int unwind_user_dwarf(struct bpf_perf_event_data *ctx, __u64 *ips, int max)
{
	__u32 stop;
	return unwind_user_dwarf_stop(ctx, ips, max, &stop);
}

/* Call on exec (sched_process_exec): the process's old mappings no longer apply, so
 * it unwinds with frame pointers until user space reads the new ones (unwind_maps_add_pid on
 * the exec event or the next rescan) instead of with the wrong tables. */
static __always_inline void unwind_process_exec(__u32 tgid)
{
	bpf_map_delete_elem(&unwind_procs, &tgid);
}

/* Call on the fork of a new process (not a thread): it starts
 * with its parent's mappings, so it can unwind with them at once. User space must still add
 * the child (unwind_maps_add_pid on the fork event) so that its objects are accounted for. */
static __always_inline void unwind_process_fork(__u32 parent_tgid, __u32 child_tgid)
{
	const struct unwind_proc *p = bpf_map_lookup_elem(&unwind_procs, &parent_tgid);
	if (p && parent_tgid != child_tgid)
		bpf_map_update_elem(&unwind_procs, &child_tgid, p, BPF_NOEXIST);
}

/* The user stack in bpf_get_stack's convention, for swapping it in: fills ips (size bytes, at
 * least UNWIND_MAX_FRAMES * 8) and returns the bytes used, or -14 (EFAULT) when there was no
 * user stack. */
static __always_inline long unwind_get_user_stack(struct bpf_perf_event_data *ctx, __u64 *ips,
						  __u32 size, __u32 *stop)
{
	int n = unwind_user_dwarf_stop(ctx, ips, (int)(size / sizeof(__u64)), stop);
	return n > 0 ? (long)n * (long)sizeof(__u64) : -14;
}

/* Copy mode: the user registers and up to max_bytes (a multiple of UNWIND_COPY_CHUNK, at most
 * UNWIND_COPY_MAX) of stack from rsp up; stops at the first unreadable chunk (the end of the
 * stack mapping). c must be a map value or ring buffer record. Returns 0 or -1 (no user
 * registers). */
static __always_inline int unwind_copy_user_stack(struct bpf_perf_event_data *ctx,
						  struct unwind_copy *c, __u32 max_bytes)
{
	c->size = 0;
	if (unwind_user_regs(ctx, &c->ip, &c->sp, &c->bp, &c->flags))
		return -1;
	for (__u32 i = 0; i < UNWIND_COPY_MAX / UNWIND_COPY_CHUNK; i++) {
		__u32 off = i * UNWIND_COPY_CHUNK;
		if (off >= max_bytes)
			break;
		if (bpf_probe_read_user(&c->data[off], UNWIND_COPY_CHUNK,
					(const void *)(c->sp + off)))
			break;
		c->size = off + UNWIND_COPY_CHUNK;
	}
	return 0;
}

#endif
