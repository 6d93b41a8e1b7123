#include "trace/probes_loader.h"
#include "trace/targets.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/probes.skel.h"
#include "util/libbpf_log.h"
#include "util/map_flip.h"
#include "util/percpu.h"
#include "util/log.h"

struct pr_tracer {
	struct probes_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[PR_MAX_EVENTS];
	int nlinks;
	bool filter_pids;
	pr_event_fn fn;
	void *ctx;
};

int pr_tracer_open(struct pr_tracer **out, const struct pr_tracer_opts *o)
{
	struct pr_tracer *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	kiln_libbpf_quiet();
	t->skel = probes_bpf__open();
	if (!t->skel) {
		int err = -errno;
		kiln_error("cannot open the probe tracer's BPF object: %s", strerror(-err));
		free(t);
		return err;
	}
	struct probes_bpf__rodata *ro = t->skel->rodata;
	ro->filter_pids = o->filter_pids;
	ro->follow_forks = o->follow;
	ro->self_tgid = getpid();
	ro->agg_mode = o->agg;
	ro->lh_min = o->lh_min;
	ro->lh_max = o->lh_max;
	ro->lh_step = o->lh_step > 0 ? o->lh_step : 1;
	t->filter_pids = o->filter_pids;
	if (o->agg != PR_AGG_NONE) /* nothing streamed */
		bpf_map__set_max_entries(t->skel->maps.events, 4096);
	int err = probes_bpf__load(t->skel);
	if (err) {
		kiln_error(
		    "cannot load the probe tracer into the kernel (%s); kiln trace needs root "
		    "and a kernel with BTF",
		    strerror(-err));
		pr_tracer_close(t);
		return err;
	}
	*out = t;
	return 0;
}

int pr_tracer_add_target(struct pr_tracer *t, uint32_t tgid, bool until_exec)
{
	__u8 v = until_exec ? TRACE_TARGET_UNTIL_EXEC : TRACE_TARGET_ON;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.targets), &tgid, &v, BPF_ANY))
		return -errno;
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct pr_tracer *t = ctx;
	if (size < sizeof(struct pr_event) - PR_RAW_MAX)
		return 0;
	return t->fn ? t->fn(t->ctx, data, size) : 0;
}

static struct bpf_link *attach_one(struct pr_tracer *t, const struct pr_spec *e, int idx)
{
	switch (e->kind) {
	case PR_TRACEPOINT: {
		struct bpf_tracepoint_opts o = {.sz = sizeof(struct bpf_tracepoint_opts),
						.bpf_cookie = idx};
		return bpf_program__attach_tracepoint_opts(t->skel->progs.pr_tracepoint, e->sys,
							   e->name, &o);
	}
	case PR_UPROBE:
	case PR_URETPROBE: {
		struct bpf_uprobe_opts o = {.sz = sizeof(struct bpf_uprobe_opts),
					    .bpf_cookie = idx,
					    .func_name = e->func,
					    .retprobe = e->kind == PR_URETPROBE};
		return bpf_program__attach_uprobe_opts(e->kind == PR_URETPROBE
							   ? t->skel->progs.pr_uretprobe
							   : t->skel->progs.pr_uprobe,
						       -1, e->path, 0, &o);
	}
	case PR_USDT: {
		struct bpf_usdt_opts o = {.sz = sizeof(struct bpf_usdt_opts), .usdt_cookie = idx};
		return bpf_program__attach_usdt(t->skel->progs.pr_usdt, -1, e->path, e->provider,
						e->probe, &o);
	}
	}
	errno = EINVAL;
	return NULL;
}

static void attach_error(const struct pr_spec *e, int err)
{
	switch (e->kind) {
	case PR_UPROBE:
	case PR_URETPROBE:
		if (err == -ENOENT || err == -ESRCH)
			kiln_error("-e %s: %s has no function '%s' in its symbol table", e->label,
				   e->path, e->func);
		else
			kiln_error("-e %s: cannot attach a uprobe to %s in %s: %s", e->label,
				   e->func, e->path, strerror(-err));
		break;
	case PR_USDT:
		if (err == -ENOENT || err == -ESRCH)
			kiln_error("-e %s: %s has no USDT probe %s:%s (readelf -n lists its "
				   "stapsdt notes)",
				   e->label, e->path, e->provider, e->probe);
		else
			kiln_error("-e %s: cannot attach to USDT probe %s:%s in %s: %s", e->label,
				   e->provider, e->probe, e->path, strerror(-err));
		break;
	default:
		kiln_error("-e %s: cannot attach to the tracepoint: %s", e->label, strerror(-err));
	}
}

int pr_tracer_attach(struct pr_tracer *t, const struct pr_specs *s, pr_event_fn fn, void *ctx)
{
	t->fn = fn;
	t->ctx = ctx;
	/* The fork/exec/exit hooks go first: at one tracepoint they then run before the probes. */
	t->skel->links.pr_exec = bpf_program__attach(t->skel->progs.pr_exec);
	t->skel->links.pr_fork = bpf_program__attach(t->skel->progs.pr_fork);
	t->skel->links.pr_task_exit = bpf_program__attach(t->skel->progs.pr_task_exit);
	if (!t->skel->links.pr_exec || !t->skel->links.pr_fork || !t->skel->links.pr_task_exit) {
		int err = -errno;
		kiln_error("cannot attach to the sched tracepoints: %s", strerror(-err));
		return err;
	}
	int fd = bpf_map__fd(t->skel->maps.cfgs);
	for (int i = 0; i < s->n; i++) {
		__u32 key = i;
		if (bpf_map_update_elem(fd, &key, &s->ev[i].cfg, BPF_ANY))
			return -errno;
		struct bpf_link *l = attach_one(t, &s->ev[i], i);
		if (!l) {
			int err = -errno;
			attach_error(&s->ev[i], err);
			return err;
		}
		t->links[t->nlinks++] = l;
	}
	if (fn) {
		t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_sample, t, NULL);
		if (!t->rb)
			return -errno;
	}
	return 0;
}

int pr_tracer_poll(struct pr_tracer *t, int timeout_ms)
{
	if (!t->rb) {
		usleep(timeout_ms * 1000);
		return 0;
	}
	int n = ring_buffer__poll(t->rb, timeout_ms);
	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return n;
	/* the kernel side wakes us only once a batch is waiting: take what is there anyway */
	int m = ring_buffer__consume(t->rb);
	return m < 0 ? m : n + m;
}

bool pr_tracer_targets_alive(struct pr_tracer *t)
{
	if (!t->filter_pids)
		return true;
	__u32 key;
	return bpf_map_get_next_key(bpf_map__fd(t->skel->maps.targets), NULL, &key) == 0;
}

/* Flips the programs to the other map and reads the one they left: an event that arrives while
 * this runs counts next time instead of being deleted unseen. */
int pr_tracer_aggs(struct pr_tracer *t, pr_agg_fn fn, void *ctx)
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return -EINVAL;
	struct pr_agg_val *per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	uint32_t idle = map_flip(&t->skel->bss->active);
	int fd = bpf_map__fd(idle ? t->skel->maps.aggs1 : t->skel->maps.aggs0);
	struct pr_agg_key key, next;
	void *prev = NULL;
	int err = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, per))
			continue;
		struct pr_agg_val sum = {0};
		bool first = true;
		for (int c = 0; c < ncpu; c++) {
			if (!per[c].count)
				continue;
			sum.count += per[c].count;
			sum.sum += per[c].sum;
			if (first || per[c].min < sum.min)
				sum.min = per[c].min;
			if (first || per[c].max > sum.max)
				sum.max = per[c].max;
			first = false;
		}
		if (sum.count && (err = fn(ctx, &key, &sum)))
			break;
	}
	while (bpf_map_get_next_key(fd, NULL, &next) == 0)
		bpf_map_delete_elem(fd, &next);
	free(per);
	return err;
}

int pr_tracer_stack(struct pr_tracer *t, uint32_t id, uint64_t ips[127])
{
	memset(ips, 0, 127 * sizeof(uint64_t));
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.stacks), &id, ips))
		return -errno;
	return 0;
}

void pr_tracer_counters(struct pr_tracer *t, uint64_t out[PR_CNT_NR])
{
	percpu_array_sum(bpf_map__fd(t->skel->maps.counters), PR_CNT_NR, out);
}

void pr_tracer_close(struct pr_tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	for (int i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	probes_bpf__destroy(t->skel);
	free(t);
}
