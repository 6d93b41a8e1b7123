// SPDX-License-Identifier: GPL-2.0
/* Generic programs for tracepoints, uprobes/uretprobes and USDT probes. Each attachment carries
 * its event's index as a cookie; the per-event configuration (filter terms, keys, expression)
 * sits in a map filled before attaching, the mode in read-only data. Events are streamed
 * through a ring buffer or aggregated in a per-CPU hash, so only totals cross to user space.
 * The hash is double-buffered: user space flips `active` and drains the idle one, so an event
 * that lands while an interval is being printed counts in the next interval instead of being
 * deleted unseen. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>

#include "trace/probes.h"
#include "trace/targets.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 self_tgid = 0;
const volatile __u32 agg_mode = PR_AGG_NONE;
const volatile __s64 lh_min = 0;
const volatile __s64 lh_max = 0;
const volatile __s64 lh_step = 1;

__u64 lost_events = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct pr_event_cfg);
	__uint(max_entries, PR_MAX_EVENTS);
} cfgs SEC(".maps");

struct aggs_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct pr_agg_key);
	__type(value, struct pr_agg_val);
	__uint(max_entries, 65536);
};
struct aggs_map aggs0 SEC(".maps");
struct aggs_map aggs1 SEC(".maps");

/* Which aggs map the programs write to; flipped by user space. */
__u32 active = 0;

/* --latency: when each thread passed the start event. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 65536);
} lat_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
	__uint(max_entries, 16384);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PR_CNT_NR);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

#define PR_WAKEUP_BYTES (256 << 10)

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);
	if (v)
		(*v)++;
}

static __always_inline bool wanted(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (!filter_pids)
		return true;
	__u8 *state = bpf_map_lookup_elem(&targets, &tgid);
	return state && *state == TRACE_TARGET_ON;
}

static __always_inline __s64 sign_extend(__u64 v, __u8 size, __u8 is_signed)
{
	switch (size) {
	case 1:
		return is_signed ? (__s64)(__s8)v : (__s64)(__u8)v;
	case 2:
		return is_signed ? (__s64)(__s16)v : (__s64)(__u16)v;
	case 4:
		return is_signed ? (__s64)(__s32)v : (__s64)(__u32)v;
	}
	return (__s64)v;
}

/* The verifier refuses loads through a ctx pointer moved by a variable offset, which a switch
 * over register fields compiles to: read the register as memory instead. */
static __always_inline __u64 uprobe_arg(struct pt_regs *regs, __u8 i)
{
	unsigned long off;
	__u64 v = 0;

	switch (i) {
	case 0:
		off = offsetof(struct pt_regs, di);
		break;
	case 1:
		off = offsetof(struct pt_regs, si);
		break;
	case 2:
		off = offsetof(struct pt_regs, dx);
		break;
	case 3:
		off = offsetof(struct pt_regs, cx);
		break;
	case 4:
		off = offsetof(struct pt_regs, r8);
		break;
	case 5:
		off = offsetof(struct pt_regs, r9);
		break;
	default:
		return 0;
	}
	bpf_probe_read_kernel(&v, sizeof(v), (void *)regs + off);
	return v;
}

/* One value for a filter term, a key or the aggregated expression. Strings go to str. */
static __always_inline __s64 get_value(void *ctx, const int kind, const struct pr_value *v,
				       char *str, __u64 latency_us)
{
	__u64 raw = 0;
	__u32 loc;

	switch (v->src) {
	case PR_SRC_FIELD:
		if (kind != PR_TRACEPOINT)
			return 0;
		bpf_probe_read_kernel(&raw, sizeof(raw), ctx + (v->offset & 0xfff));
		return sign_extend(raw, v->size, v->is_signed);
	case PR_SRC_STRFIELD:
		if (kind == PR_TRACEPOINT && str)
			bpf_probe_read_kernel_str(str, PR_STR_MAX, ctx + (v->offset & 0xfff));
		return 0;
	case PR_SRC_DATALOC:
		if (kind != PR_TRACEPOINT || !str)
			return 0;
		if (bpf_probe_read_kernel(&loc, sizeof(loc), ctx + (v->offset & 0xfff)))
			return 0;
		bpf_probe_read_kernel_str(str, PR_STR_MAX, ctx + (loc & 0xffff));
		return 0;
	case PR_SRC_ARG:
		if (kind == PR_UPROBE)
			return uprobe_arg(ctx, v->arg);
		if (kind == PR_USDT) {
			long val = 0;
			bpf_usdt_arg(ctx, v->arg, &val);
			return val;
		}
		return 0;
	case PR_SRC_RETVAL:
		return kind == PR_URETPROBE ? (__s64)PT_REGS_RC((struct pt_regs *)ctx) : 0;
	case PR_SRC_PID:
		return bpf_get_current_pid_tgid() >> 32;
	case PR_SRC_TID:
		return (__u32)bpf_get_current_pid_tgid();
	case PR_SRC_CPU:
		return bpf_get_smp_processor_id();
	case PR_SRC_COMM:
		if (str)
			bpf_get_current_comm(str, PR_COMM_LEN);
		return 0;
	case PR_SRC_USTACK:
	case PR_SRC_KSTACK: {
		long id =
		    bpf_get_stackid(ctx, &stacks, v->src == PR_SRC_USTACK ? BPF_F_USER_STACK : 0);
		if (id < 0)
			count(PR_CNT_STACK);
		return id;
	}
	case PR_SRC_LATENCY:
		return latency_us;
	}
	return 0;
}

static __always_inline bool str_eq(const char *a, const char *b)
{
	for (int i = 0; i < PR_STR_MAX; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

static __always_inline bool term_true(void *ctx, const int kind, const struct pr_term *t)
{
	char s[PR_STR_MAX] = {};
	__s64 v = get_value(ctx, kind, &t->v, s, 0);
	if (t->is_str) {
		bool eq = str_eq(s, t->str);
		return t->op == PR_OP_NE ? !eq : eq;
	}
	switch (t->op) {
	case PR_OP_EQ:
		return v == t->num;
	case PR_OP_NE:
		return v != t->num;
	case PR_OP_LT:
		return v < t->num;
	case PR_OP_LE:
		return v <= t->num;
	case PR_OP_GT:
		return v > t->num;
	case PR_OP_GE:
		return v >= t->num;
	case PR_OP_AND:
		return (v & t->num) != 0;
	}
	return false;
}

/* An OR of AND-groups: "a && b || c" is {a, b} or {c}. */
static __always_inline bool passes(void *ctx, const int kind, const struct pr_event_cfg *cfg)
{
	bool any = false, ok = true;
	for (int i = 0; i < PR_MAX_TERMS; i++) {
		if (i >= cfg->nterms)
			break;
		const struct pr_term *t = &cfg->terms[i];
		if (t->or_before) {
			any = any || ok;
			ok = true;
		}
		if (ok && !term_true(ctx, kind, t))
			ok = false;
	}
	return any || ok;
}

/* bpftrace's log2 slots: 0 for negatives, 1 for 0, 2 + floor(log2(v)) otherwise. */
static __always_inline __s32 log2_slot(__s64 v)
{
	if (v < 0)
		return 0;
	if (v == 0)
		return 1;
	__u64 x = v;
	__s32 r = 0;
	if (x >> 32) {
		x >>= 32;
		r += 32;
	}
	if (x >> 16) {
		x >>= 16;
		r += 16;
	}
	if (x >> 8) {
		x >>= 8;
		r += 8;
	}
	if (x >> 4) {
		x >>= 4;
		r += 4;
	}
	if (x >> 2) {
		x >>= 2;
		r += 2;
	}
	if (x >> 1)
		r += 1;
	return r + 2;
}

/* bpftrace's lhist slots: 0 below min, 1 + (max - min) / step at or above max. */
static __always_inline __s32 linear_slot(__s64 v)
{
	if (v < lh_min)
		return 0;
	if (v > lh_max)
		return 1 + (__u64)(lh_max - lh_min) / (__u64)lh_step;
	return 1 + (__u64)(v - lh_min) / (__u64)lh_step;
}

static __always_inline void add_value(void *map, struct pr_agg_key *key, __s64 v)
{
	struct pr_agg_val *val = bpf_map_lookup_elem(map, key);
	if (!val) {
		struct pr_agg_val zero = {.min = v, .max = v};
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST); /* may race: look again */
		val = bpf_map_lookup_elem(map, key);
		if (!val) {
			count(PR_CNT_AGG_FULL);
			return;
		}
	}
	val->count++;
	val->sum += v;
	if (v < val->min)
		val->min = v;
	if (v > val->max)
		val->max = v;
}

static __always_inline void aggregate(void *ctx, const int kind, __u32 idx,
				      const struct pr_event_cfg *cfg, __u64 latency_us)
{
	struct pr_agg_key key;
	__builtin_memset(&key, 0, sizeof(key));
	key.event = idx;
	for (int i = 0; i < PR_MAX_KEYS; i++) {
		if (i >= cfg->nkeys)
			break;
		key.k[i] = get_value(ctx, kind, &cfg->keys[i], key.s[i], latency_us);
	}
	__s64 v = 0;
	if (agg_mode != PR_AGG_COUNT)
		v = get_value(ctx, kind, &cfg->agg, NULL, latency_us);
	if (agg_mode == PR_AGG_HIST)
		key.slot = log2_slot(v);
	else if (agg_mode == PR_AGG_LHIST)
		key.slot = linear_slot(v);
	if (active)
		add_value(&aggs1, &key, v);
	else
		add_value(&aggs0, &key, v);
}

static __always_inline void stream(void *ctx, const int kind, __u32 idx,
				   const struct pr_event_cfg *cfg)
{
	struct pr_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&lost_events, 1);
		count(PR_CNT_LOST);
		return;
	}
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	ev->ts = bpf_ktime_get_ns();
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->cpu = bpf_get_smp_processor_id();
	ev->event = idx;
	ev->lost = lost_events;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->nvals = 0;
	ev->raw_len = 0;
	if (kind == PR_TRACEPOINT) {
		/* Only the record: a syscall tracepoint's lies on the kernel stack, and reading
		 * past it can run off the stack's end and fail the whole copy. */
		__u32 n = cfg->raw_size;
		if (n > PR_RAW_MAX)
			n = PR_RAW_MAX;
		if (!bpf_probe_read_kernel(ev->raw, n, ctx))
			ev->raw_len = n;
	} else if (kind == PR_URETPROBE) {
		ev->vals[0] = PT_REGS_RC((struct pt_regs *)ctx);
		ev->nvals = 1;
	} else if (kind == PR_UPROBE) {
		for (int i = 0; i < PR_NVALS; i++)
			ev->vals[i] = uprobe_arg(ctx, i);
		ev->nvals = PR_NVALS;
	} else {
		long cnt = bpf_usdt_arg_cnt(ctx);
		for (int i = 0; i < PR_NVALS; i++) {
			long val = 0;
			if (i >= cnt)
				break;
			bpf_usdt_arg(ctx, i, &val);
			ev->vals[i] = val;
			ev->nvals = i + 1;
		}
	}
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= PR_WAKEUP_BYTES
			  ? BPF_RB_FORCE_WAKEUP
			  : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(ev, flags);
}

static __always_inline int handle(void *ctx, const int kind, __u64 cookie)
{
	__u32 idx = cookie;
	if (!wanted(bpf_get_current_pid_tgid() >> 32))
		return 0;
	struct pr_event_cfg *cfg = bpf_map_lookup_elem(&cfgs, &idx);
	if (!cfg || !passes(ctx, kind, cfg))
		return 0;
	__u64 latency_us = 0;
	if (cfg->lat_role) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		__u64 now = bpf_ktime_get_ns();
		if (cfg->lat_role == PR_LAT_START) {
			bpf_map_update_elem(&lat_start, &tid, &now, BPF_ANY);
			return 0;
		}
		__u64 *start = bpf_map_lookup_elem(&lat_start, &tid);
		if (!start) {
			count(PR_CNT_NO_START);
			return 0;
		}
		latency_us = (now - *start) / 1000;
		bpf_map_delete_elem(&lat_start, &tid);
	}
	if (agg_mode == PR_AGG_NONE)
		stream(ctx, kind, idx, cfg);
	else
		aggregate(ctx, kind, idx, cfg, latency_us);
	return 0;
}

SEC("tracepoint")
int pr_tracepoint(void *ctx)
{
	return handle(ctx, PR_TRACEPOINT, bpf_get_attach_cookie(ctx));
}

SEC("uprobe")
int pr_uprobe(struct pt_regs *ctx)
{
	return handle(ctx, PR_UPROBE, bpf_get_attach_cookie(ctx));
}

SEC("uretprobe")
int pr_uretprobe(struct pt_regs *ctx)
{
	return handle(ctx, PR_URETPROBE, bpf_get_attach_cookie(ctx));
}

SEC("usdt")
int pr_usdt(struct pt_regs *ctx)
{
	return handle(ctx, PR_USDT, bpf_usdt_cookie(ctx));
}

/* The spawned command counts from its exec on (kiln's own pre-exec calls stay out). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(pr_exec, struct task_struct *p)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *state = bpf_map_lookup_elem(&targets, &tgid);
	if (state && *state == TRACE_TARGET_UNTIL_EXEC)
		*state = TRACE_TARGET_ON;
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pr_fork, struct task_struct *parent, struct task_struct *child)
{
	follow_fork(parent, child);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pr_task_exit, struct task_struct *p)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (filter_pids && BPF_CORE_READ(p, signal, live.counter) == 0)
		bpf_map_delete_elem(&targets, &tgid);
	return 0;
}
