#include "trace/syscalls_loader.h"
#include "trace/targets.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/decode.h"
#include "trace/syscalls.skel.h"
#include "trace/sysnames.h"
#include "util/libbpf_log.h"
#include "util/percpu.h"
#include "util/log.h"

struct sc_tracer {
	struct syscalls_bpf *skel;
	struct ring_buffer *rb;
	bool filter_pids;
	sc_event_fn fn;
	void *ctx;
};

int sc_tracer_open(struct sc_tracer **out, const struct sc_tracer_opts *o)
{
	struct sc_tracer *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	kiln_libbpf_quiet();
	t->skel = syscalls_bpf__open();
	if (!t->skel) {
		int err = -errno;
		kiln_error("cannot open the syscall tracer's BPF object: %s", strerror(-err));
		free(t);
		return err;
	}
	struct syscalls_bpf__rodata *ro = t->skel->rodata;
	ro->filter_pids = o->filter_pids;
	ro->follow_forks = o->follow;
	ro->summary = o->summary;
	ro->only_failed = o->only_failed;
	ro->min_dur_ns = o->min_dur_ns;
	ro->self_tgid = getpid();
	ro->execve_nr = trace_sysnum("execve");
	ro->execveat_nr = trace_sysnum("execveat");
	ro->filter_sc = o->filter_sc;
	for (int nr = 0; nr < SC_NR_MAX; nr++)
		if (o->selected[nr])
			((__u64 *)ro->sc_mask)[nr / 64] |= 1ULL << (nr % 64);
	if (o->summary) { /* nothing is streamed: do not pin 16 MB of ring buffer */
		bpf_map__set_max_entries(t->skel->maps.events, 4096);
	} else if (getenv("KILN_TRACE_RING_KB")) {
		/* a small ring makes the lost-event accounting testable */
		unsigned long kb = strtoul(getenv("KILN_TRACE_RING_KB"), NULL, 10), bytes = 4096;
		while (bytes < kb * 1024 && bytes < (1UL << 30))
			bytes <<= 1;
		bpf_map__set_max_entries(t->skel->maps.events, bytes);
	}
	t->filter_pids = o->filter_pids;
	int err = syscalls_bpf__load(t->skel);
	if (err) {
		kiln_error(
		    "cannot load the syscall tracer into the kernel (%s); kiln trace needs root "
		    "and a kernel with BTF and task storage",
		    strerror(-err));
		sc_tracer_close(t);
		return err;
	}
	static struct sc_spec specs[SC_NR_MAX];
	sc_fill_specs(specs, SC_NR_MAX);
	int fd = bpf_map__fd(t->skel->maps.specs);
	for (__u32 nr = 0; nr < SC_NR_MAX; nr++) {
		if (!specs[nr].cap[0].kind)
			continue;
		if (bpf_map_update_elem(fd, &nr, &specs[nr], BPF_ANY)) {
			err = -errno;
			sc_tracer_close(t);
			return err;
		}
	}
	*out = t;
	return 0;
}

int sc_tracer_add_target(struct sc_tracer *t, uint32_t tgid, bool until_exec)
{
	__u8 v = until_exec ? TRACE_TARGET_UNTIL_EXEC : TRACE_TARGET_ON;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.targets), &tgid, &v, BPF_ANY))
		return -errno;
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct sc_tracer *t = ctx;
	if (size < SC_EVENT_HEAD_SIZE)
		return 0;
	return t->fn ? t->fn(t->ctx, data, size) : 0;
}

int sc_tracer_attach(struct sc_tracer *t, sc_event_fn fn, void *ctx)
{
	t->fn = fn;
	t->ctx = ctx;
	int err = syscalls_bpf__attach(t->skel);
	if (err) {
		kiln_error("cannot attach to the sys_enter/sys_exit tracepoints: %s",
			   strerror(-err));
		return err;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_sample, t, NULL);
	if (!t->rb)
		return -errno;
	return 0;
}

int sc_tracer_poll(struct sc_tracer *t, int timeout_ms)
{
	if (!t->rb)
		return -EINVAL;
	int n = ring_buffer__poll(t->rb, timeout_ms);
	if (n == -EINTR)
		n = 0;
	if (n < 0)
		return n;
	/* the kernel side wakes us only once a batch is waiting: take what is there anyway */
	int m = ring_buffer__consume(t->rb);
	return m < 0 ? m : n + m;
}

bool sc_tracer_targets_alive(struct sc_tracer *t)
{
	if (!t->filter_pids)
		return true;
	__u32 key;
	return bpf_map_get_next_key(bpf_map__fd(t->skel->maps.targets), NULL, &key) == 0;
}

int sc_tracer_summary(struct sc_tracer *t, struct sc_stat out[SC_NR_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	struct sc_stat *per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	int fd = bpf_map__fd(t->skel->maps.stats);
	memset(out, 0, SC_NR_MAX * sizeof(*out));
	for (__u32 nr = 0; nr < SC_NR_MAX; nr++) {
		if (bpf_map_lookup_elem(fd, &nr, per))
			continue;
		for (int c = 0; c < ncpu; c++) {
			if (!per[c].calls)
				continue;
			out[nr].calls += per[c].calls;
			out[nr].errors += per[c].errors;
			out[nr].total_ns += per[c].total_ns;
			if (!out[nr].min_ns || per[c].min_ns < out[nr].min_ns)
				out[nr].min_ns = per[c].min_ns;
			if (per[c].max_ns > out[nr].max_ns)
				out[nr].max_ns = per[c].max_ns;
		}
	}
	free(per);
	return 0;
}

void sc_tracer_counters(struct sc_tracer *t, uint64_t out[SC_CNT_NR])
{
	percpu_array_sum(bpf_map__fd(t->skel->maps.counters), SC_CNT_NR, out);
}

uint64_t sc_tracer_lost(struct sc_tracer *t)
{
	return __atomic_load_n(&t->skel->bss->lost_events, __ATOMIC_RELAXED);
}

void sc_tracer_close(struct sc_tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	syscalls_bpf__destroy(t->skel);
	free(t);
}
