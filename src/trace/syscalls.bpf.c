// SPDX-License-Identifier: GPL-2.0
/* System call tracing: one generic, pre-built program pair on sys_enter/sys_exit, configured by
 * read-only data (set before load) and maps. Entry saves the arguments and entry-time captures in
 * task storage; exit either streams one event per call through a ring buffer or, for -c,
 * aggregates per syscall number in a per-CPU array so user space only reads totals. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "trace/syscalls.h"
#include "trace/targets.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool filter_sc = false;
const volatile __u64 sc_mask[SC_NR_MAX / 64] = {};
const volatile bool summary = false;
const volatile bool only_failed = false;
const volatile __u64 min_dur_ns = 0;
const volatile __u32 self_tgid = 0;
const volatile __s32 execve_nr = 59;
const volatile __s32 execveat_nr = 322;

/* Events dropped because the ring buffer was full; each event carries the total so far. */
__u64 lost_events = 0;

struct inflight {
	__u64 ts; /* 0: no call pending */
	__u64 args[6];
	__s32 nr;
	__u16 cap_len[SC_NCAP];
	char cap[SC_NCAP][SC_CAP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sc_spec);
	__uint(max_entries, SC_NR_MAX);
} specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sc_stat);
	__uint(max_entries, SC_NR_MAX);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, SC_CNT_NR);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* Waking the reader for every event costs more than tracing the call: the reader polls on a
 * short timer and is woken early only once this much is waiting. */
#define SC_WAKEUP_BYTES (256 << 10)

static __always_inline __u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= SC_WAKEUP_BYTES
		   ? BPF_RB_FORCE_WAKEUP
		   : BPF_RB_NO_WAKEUP;
}

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);
	if (v)
		(*v)++;
}

/* Whether the current process is traced; promotes a spawned command at its first execve. */
static __always_inline bool wanted(__u32 tgid, long nr)
{
	if (tgid == self_tgid)
		return false;
	if (!filter_pids)
		return true;
	__u8 *state = bpf_map_lookup_elem(&targets, &tgid);
	if (!state)
		return false;
	if (*state == TRACE_TARGET_UNTIL_EXEC) {
		if (nr != execve_nr && nr != execveat_nr)
			return false;
		*state = TRACE_TARGET_ON;
	}
	return true;
}

static __always_inline bool sc_selected(long nr)
{
	if (nr < 0 || nr >= SC_NR_MAX)
		return false;
	if (!filter_sc)
		return true;
	return (sc_mask[(nr >> 6) & (SC_NR_MAX / 64 - 1)] >> (nr & 63)) & 1;
}

static __always_inline __u64 arg_of(const __u64 *args, __u8 i)
{
	return args[i < 6 ? i : 0];
}

#define SC_ARGV_STR 64 /* bytes per argv string: offsets stay provably inside the buffer */

/* Packs up to 8 argv strings, NUL-separated, into one capture buffer; -1 when unreadable. */
static __always_inline long capture_argv(char *dst, __u64 uptr)
{
	__u32 off = 0;
	for (int i = 0; i < 8; i++) {
		const char *s = NULL;
		__u32 o = off;
		if (o >= SC_CAP_MAX / 2)
			break;
		if (bpf_probe_read_user(&s, sizeof(s), (const void *)(uptr + i * 8)))
			return i ? off : -1;
		if (!s)
			break;
		/* keeps clang from dropping the mask the verifier needs to bound the offset */
		asm volatile("" : "+r"(o));
		o &= SC_CAP_MAX / 2 - 1;
		long n = bpf_probe_read_user_str(dst + o, SC_ARGV_STR, s);
		if (n <= 0)
			return i ? off : -1;
		off += n;
	}
	return off;
}

static __always_inline bool enter_kind(__u8 kind)
{
	return kind == SC_CAP_STR_ENTER || kind == SC_CAP_BUF_ENTER || kind == SC_CAP_FIXED_ENTER ||
	       kind == SC_CAP_ARGV_ENTER;
}

/* Reads an input capture into dst: its length, or -1 when the memory is not readable (a page
 * not faulted in yet: tracepoints cannot fault, so exit retries after the kernel touched it). */
static __always_inline long read_enter_cap(const struct sc_cap_spec *cs, const __u64 *args,
					   char *dst)
{
	__u64 ptr = arg_of(args, cs->arg);
	__u64 len;
	long n;

	if (!ptr)
		return -1;
	switch (cs->kind) {
	case SC_CAP_STR_ENTER:
		n = bpf_probe_read_user_str(dst, SC_CAP_MAX, (const void *)ptr);
		return n > 0 ? n - 1 : -1;
	case SC_CAP_BUF_ENTER:
	case SC_CAP_FIXED_ENTER:
		len = cs->kind == SC_CAP_FIXED_ENTER ? cs->size : arg_of(args, cs->len_arg);
		if (len > SC_CAP_MAX)
			len = SC_CAP_MAX;
		if (len == 0)
			return 0;
		n = bpf_probe_read_user(
		    dst, len & (SC_CAP_MAX - 1) ? len & (SC_CAP_MAX - 1) : SC_CAP_MAX,
		    (const void *)ptr);
		return n ? -1 : (long)len;
	case SC_CAP_ARGV_ENTER:
		return capture_argv(dst, ptr);
	}
	return 0;
}

static __always_inline void capture_enter(struct inflight *in, const struct sc_cap_spec *cs, int i)
{
	if (!enter_kind(cs->kind))
		return;
	long n = read_enter_cap(cs, in->args, in->cap[i & (SC_NCAP - 1)]);
	in->cap_len[i & (SC_NCAP - 1)] = n < 0 ? SC_CAP_FAULT : n;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sc_enter, struct pt_regs *regs, long id)
{
	if (id < 0 || id >= SC_NR_MAX)
		return 0;
	/* Storage exists only for threads already found wanted (targets never become unwanted
	 * while alive), so the hot path skips the PID map. wanted() also notices the spawned
	 * command's execve, hence before the syscall filter. */
	struct task_struct *task = bpf_get_current_task_btf();
	struct inflight *in = bpf_task_storage_get(&calls, task, NULL, 0);
	if (!in) {
		if (!wanted(bpf_get_current_pid_tgid() >> 32, id) || !sc_selected(id))
			return 0;
		in = bpf_task_storage_get(&calls, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!in) {
			count(SC_CNT_NO_STORAGE);
			return 0;
		}
	} else if (!sc_selected(id)) {
		return 0;
	}
	in->nr = id;
	if (!summary) {
		in->args[0] = regs->di;
		in->args[1] = regs->si;
		in->args[2] = regs->dx;
		in->args[3] = regs->r10;
		in->args[4] = regs->r8;
		in->args[5] = regs->r9;
		__u32 key = id;
		struct sc_spec *sp = bpf_map_lookup_elem(&specs, &key);
		in->cap_len[0] = 0;
		in->cap_len[1] = 0;
		if (sp) {
			capture_enter(in, &sp->cap[0], 0);
			capture_enter(in, &sp->cap[1], 1);
		}
	}
	in->ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline bool failed(long ret)
{
	return ret < 0 && ret >= -4095;
}

static __always_inline void aggregate(__s32 nr, long ret, __u64 dur)
{
	__u32 key = nr;
	struct sc_stat *st = bpf_map_lookup_elem(&stats, &key);
	if (!st)
		return;
	st->calls++;
	if (failed(ret))
		st->errors++;
	st->total_ns += dur;
	if (!st->min_ns || dur < st->min_ns)
		st->min_ns = dur;
	if (dur > st->max_ns)
		st->max_ns = dur;
}

static __always_inline void capture_exit(struct sc_event *ev, const struct sc_cap_spec *cs, int i)
{
	__u64 ptr = arg_of(ev->args, cs->arg);
	char *dst = ev->cap[i & (SC_NCAP - 1)];
	long len, n;

	switch (cs->kind) {
	case SC_CAP_BUF_EXIT_RET:
		len = ev->ret;
		break;
	case SC_CAP_FIXED_EXIT:
		len = cs->size;
		break;
	case SC_CAP_LENPTR_EXIT: {
		int l = 0;
		if (bpf_probe_read_user(&l, sizeof(l), (const void *)arg_of(ev->args, cs->len_arg)))
			l = 0;
		len = l;
		break;
	}
	default:
		return;
	}
	if (ev->ret < 0 || !ptr || len <= 0) {
		ev->cap_len[i & (SC_NCAP - 1)] = ptr && len <= 0 && ev->ret >= 0 ? 0 : SC_CAP_FAULT;
		return;
	}
	if (len > SC_CAP_MAX)
		len = SC_CAP_MAX;
	n = bpf_probe_read_user(dst, len & (SC_CAP_MAX - 1) ? len & (SC_CAP_MAX - 1) : SC_CAP_MAX,
				(const void *)ptr);
	if (n) {
		count(SC_CNT_CAP_FAULT);
		ev->cap_len[i & (SC_NCAP - 1)] = SC_CAP_FAULT;
		return;
	}
	ev->cap_len[i & (SC_NCAP - 1)] = len;
}

static __always_inline bool is_exec(__s32 nr)
{
	return nr == execve_nr || nr == execveat_nr;
}

/* An input that was not paged in at entry is read again now: the kernel has faulted it in
 * meanwhile. After a successful exec the old memory is gone: the path came from the exec
 * tracepoint and argv is read from the new image's argument area. */
static __always_inline void retry_enter(struct sc_event *ev, const struct sc_cap_spec *cs, int i)
{
	int slot = i & (SC_NCAP - 1);
	long n;

	if (!enter_kind(cs->kind) || ev->cap_len[slot] != SC_CAP_FAULT ||
	    !arg_of(ev->args, cs->arg))
		return;
	if (is_exec(ev->nr) && ev->ret == 0) {
		if (cs->kind != SC_CAP_ARGV_ENTER)
			goto fault;
		struct mm_struct *mm = bpf_get_current_task_btf()->mm;
		if (!mm)
			goto fault;
		unsigned long start = mm->arg_start, len = mm->arg_end - start;
		if (len > SC_CAP_MAX)
			len = SC_CAP_MAX;
		if (len == 0 || bpf_probe_read_user(ev->cap[slot],
						    len & (SC_CAP_MAX - 1) ? len & (SC_CAP_MAX - 1)
									   : SC_CAP_MAX,
						    (const void *)start))
			goto fault;
		ev->cap_len[slot] = len;
		return;
	}
	n = read_enter_cap(cs, ev->args, ev->cap[slot]);
	if (n >= 0) {
		ev->cap_len[slot] = n;
		return;
	}
fault:
	count(SC_CNT_CAP_FAULT);
}

static __always_inline bool has_exit_cap(const struct sc_spec *sp)
{
	for (int i = 0; i < SC_NCAP; i++)
		if (sp->cap[i].kind >= SC_CAP_BUF_EXIT_RET && sp->cap[i].kind != SC_CAP_ARGV_ENTER)
			return true;
	return false;
}

static __always_inline int emit(struct inflight *in, __u64 ts, __u64 dur, long ret, __u32 type)
{
	__u32 key = in->nr;
	struct sc_spec *sp = bpf_map_lookup_elem(&specs, &key);
	bool full = in->cap_len[0] || in->cap_len[1] || (sp && has_exit_cap(sp));
	struct sc_event *ev;

	if (full)
		ev = bpf_ringbuf_reserve(&events, sizeof(struct sc_event), 0);
	else
		ev = bpf_ringbuf_reserve(&events, SC_EVENT_HEAD_SIZE, 0);
	if (!ev) {
		__sync_fetch_and_add(&lost_events, 1);
		count(SC_CNT_LOST);
		return 0;
	}
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	ev->ts = ts;
	ev->dur = dur;
	ev->ret = ret;
	__builtin_memcpy(ev->args, in->args, sizeof(ev->args));
	ev->lost = lost_events;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->nr = in->nr;
	ev->type = type;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->cap_len[0] = in->cap_len[0];
	ev->cap_len[1] = in->cap_len[1];
	ev->pad = 0;
	if (full) {
		bpf_probe_read_kernel(ev->cap, sizeof(ev->cap), in->cap);
		if (sp && type == SC_EV_CALL) {
			capture_exit(ev, &sp->cap[0], 0);
			capture_exit(ev, &sp->cap[1], 1);
			retry_enter(ev, &sp->cap[0], 0);
			retry_enter(ev, &sp->cap[1], 1);
		}
	}
	bpf_ringbuf_submit(ev, wakeup_flags());
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sc_exit, struct pt_regs *regs, long ret)
{
	struct inflight *in = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), NULL, 0);
	if (!in || !in->ts)
		return 0;
	__u64 ts = in->ts;
	__u64 dur = bpf_ktime_get_ns() - ts;
	in->ts = 0;
	if (only_failed && !failed(ret))
		return 0;
	if (dur < min_dur_ns)
		return 0;
	if (summary) {
		aggregate(in->nr, ret, dur);
		return 0;
	}
	return emit(in, ts, dur, ret, SC_EV_CALL);
}

/* The exec'd path, from kernel memory: the caller's copy is gone by sys_exit. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct inflight *in = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), NULL, 0);
	if (!in || !in->ts || in->cap_len[0] != SC_CAP_FAULT)
		return 0;
	long n = bpf_probe_read_kernel_str(in->cap[0], SC_CAP_MAX, bprm->filename);
	if (n > 0)
		in->cap_len[0] = n - 1;
	return 0;
}

/* -f: children of traced processes are traced from birth (threads share the tgid already). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sc_fork, struct task_struct *parent, struct task_struct *child)
{
	follow_fork(parent, child);
	return 0;
}

/* A thread that dies inside a call (exit_group) never reaches sys_exit: report the call as
 * unfinished, like strace's "= ?", and report the end of a traced process. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sc_task_exit, struct task_struct *p)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct inflight *in = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), NULL, 0);
	if (in && in->ts) {
		/* -c leaves unfinished calls out, as strace -c does */
		if (!only_failed && !min_dur_ns && !summary)
			emit(in, in->ts, 0, 0, SC_EV_NORETURN);
		in->ts = 0;
	}
	if (!filter_pids)
		return 0;
	__u8 *state = bpf_map_lookup_elem(&targets, &tgid);
	if (!state || BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (!summary && *state == TRACE_TARGET_ON) {
		struct sc_event *ev = bpf_ringbuf_reserve(&events, SC_EVENT_HEAD_SIZE, 0);
		if (ev) {
			__builtin_memset(ev, 0, SC_EVENT_HEAD_SIZE);
			ev->ts = bpf_ktime_get_ns();
			ev->ret = BPF_CORE_READ(p, signal, group_exit_code);
			if (!ev->ret)
				ev->ret = p->exit_code;
			ev->lost = lost_events;
			ev->pid = tgid;
			ev->tid = (__u32)pid_tgid;
			ev->nr = -1;
			ev->type = SC_EV_PROC_EXIT;
			bpf_get_current_comm(ev->comm, sizeof(ev->comm));
			bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP); /* the end: no waiting */
		} else {
			__sync_fetch_and_add(&lost_events, 1);
			count(SC_CNT_LOST);
		}
	}
	bpf_map_delete_elem(&targets, &tgid);
	return 0;
}
