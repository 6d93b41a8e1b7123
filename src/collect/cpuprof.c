/* Loader of the BPF CPU sampler: the kernel counts stacks, kiln reads the totals. */
#include "collect/cpuprof_loader.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect/copy_unwind.h"
#include "collect/cpuprof.skel.h"
#include "collect/unwind_maps.h"
#include "collect/perf_ring.h"
#include "util/hash.h"
#include "util/libbpf_log.h"
#include "util/map_flip.h"
#include "util/percpu.h"
#include "util/tp_format.h"
#include "util/log.h"
#include "util/perf_event.h"
#include "util/vec.h"

#define DRAIN_BATCH 4096
/* The maps and the ring buffer are sized for the samples that can arrive between two calls of
 * cpuprof_poll/cpuprof_counts_filling (CPUPROF_POLL_GAP_NS apart at most), not for the largest
 * machine and rate: a hash map's empty buckets alone cost 1 MiB per 65536 entries, and each
 * MiB of fresh memory costs milliseconds of CPU (far more on a VM with shadow page tables). */
#define MIN_COUNTS (1u << 12)
#define MIN_STACKS (1u << 13)
#define MAX_ENTRIES (1u << 22)
#define MIN_RING_BYTES (256u << 10)
#define MAX_RING_BYTES (64u << 20)
/* Ring room per sample: a new kernel and user stack of typical depth. */
#define RING_BYTES_PER_SAMPLE 512

/* Tables are rescanned this often for mappings that no sideband record announced. */
#define RESCAN_EVERY_NS 1000000000ULL
#define COPY_RING_BYTES (32u << 20)

/* A stack read from the kernel once, kept by its hash. */
struct known_stack {
	uint32_t first; /* in ips */
	uint32_t depth;
	bool queued; /* a kernel stack whose names were asked for (queue_kernel_names) */
};

struct cpuprof {
	struct cpuprof_bpf *skel;
	int *event_fds; /* per CPU, -1 when offline */
	struct bpf_link **links;
	int ncpus;
	int64_t period_ns;
	uint32_t counts_capacity, stacks_capacity, ring_bytes_capacity;
	uint64_t ring_bytes, ring_records;   /* new stacks (and copies) */
	uint64_t count_bytes, count_entries; /* counts map entries drained */

	struct ring_buffer *new_stacks;
	struct intern_table stack_ids; /* stack hash -> id into stacks */
	struct known_stack *stacks;
	size_t stacks_cap;
	uint64_t *ips;
	size_t nips, ips_cap;
	uint64_t *unpurged; /* hashes still in the kernel's seen set */
	size_t nunpurged, unpurged_cap;
	uint64_t unknown_stacks; /* counted samples whose stack never arrived */

	struct cpuprof_key *keys;
	uint64_t *values;

	enum cpuprof_unwind unwind;
	bool user_stack_helper;	    /* frame pointers through bpf_get_stack: no bpf_loop here */
	bool stopped;		    /* cpuprof_stop was called */
	struct unwind_maps *tables; /* dwarf */
	uint64_t next_rescan_ns;
	uint64_t misses_at_rescan;    /* UNWIND_STAT_MAP_MISS when the tables were last rescanned */
	struct copy_unwinder *copies; /* copy */
	/* Copy-mode samples unwound during one ring buffer read, delivered after it: a sample's
	 * kernel stack may arrive later in the same read. */
	struct pending_copy *pending;
	size_t npending, pending_cap;
	uint64_t *pending_ips;
	size_t npending_ips, pending_ips_cap;
};

struct pending_copy {
	uint64_t kernel_stack;
	int32_t pid, tid;
	char comm[CPUPROF_COMM_LEN + 1];
	size_t first_ip;
	uint32_t nips;
};

static int on_new_stack(void *ctx, void *data, size_t size);
static uint64_t monotonic_ns(void);

static const char *bpf_hint(int err)
{
	if (err == EPERM || err == EACCES)
		return "permission denied: run as root, or grant CAP_BPF and CAP_PERFMON (with "
		       "kernel.perf_event_paranoid <= 2), or use --mode perf";
	return strerror(err);
}

static int open_events(struct cpuprof *c, const struct sampling_event *ev)
{
	struct perf_event_attr attr = ev->attr;
	attr.disabled = 0; /* attaching the program starts it */
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		c->event_fds[cpu] = -1;
		if (!cpu_online(cpu))
			continue;
		int fd = sys_perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			int err = errno;
			kiln_error("cannot open the %s sampling event on CPU %d: %s", ev->name, cpu,
				   perf_open_hint(err));
			return -err;
		}
		c->event_fds[cpu] = fd;
	}
	return 0;
}

static int on_doorbell(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

static int start_unwinder(struct cpuprof *c)
{
	int err = 0;
	if (c->unwind == CPUPROF_UNWIND_DWARF) {
		struct cpuprof_bpf *k = c->skel;
		struct unwind_maps_fds fds = {
		    bpf_map__fd(k->maps.unwind_rows), bpf_map__fd(k->maps.unwind_objs),
		    bpf_map__fd(k->maps.unwind_procs), bpf_map__fd(k->maps.unwind_stats),
		    bpf_map__fd(k->maps.unwind_wanted)};
		err = unwind_maps_new(&c->tables, &fds, bpf_map__max_entries(k->maps.unwind_rows));
		/* Its records only wake the poll, which then loads what the program asked for. */
		if (!err && ring_buffer__add(c->new_stacks, bpf_map__fd(k->maps.unwind_doorbell),
					     on_doorbell, c))
			err = -errno;
	} else if (c->unwind == CPUPROF_UNWIND_COPY) {
		err = copy_unwinder_new(&c->copies);
	}
	if (err)
		kiln_error("cannot set up stack unwinding: %s", strerror(-err));
	return err;
}

/* The fork program reads task/task_newtask's pid and clone_flags where this kernel's format
 * puts them. */
static int newtask_fields(struct cpuprof_bpf *skel)
{
	static const char *const fields[] = {"pid", "clone_flags"};
	unsigned off[2], size[2];
	int err = tp_fields("task", "task_newtask", fields, off, size, 2);
	if (!err && (size[0] != 4 || size[1] != 8))
		err = -EINVAL;
	if (err) {
		kiln_error("cannot follow new processes: the tracepoint task/task_newtask is %s in "
			   "tracefs (mount -t tracefs nodev /sys/kernel/tracing)",
			   err == -EINVAL ? "not laid out as expected" : "not readable");
		return err;
	}
	skel->rodata->newtask_pid_offset = off[0];
	skel->rodata->newtask_flags_offset = off[1];
	return 0;
}

static int load_once(struct cpuprof *c, const struct cpuprof_options *o, bool quiet)
{
	int err;
	c->skel = cpuprof_bpf__open();
	if (!c->skel) {
		int err = errno;
		kiln_error("cannot open the BPF sampler: %s", bpf_hint(err));
		return -err;
	}
	c->skel->rodata->filter_pids = o->filter;
	c->skel->rodata->want_kernel = o->kernel;
	c->skel->rodata->want_user = o->user;
	c->skel->rodata->unwind_mode = c->unwind;
	c->skel->rodata->unwind_no_tables = c->unwind != CPUPROF_UNWIND_DWARF;
	c->skel->rodata->user_stack_helper = c->user_stack_helper;
	c->skel->rodata->copy_bytes = o->copy_bytes;
	c->skel->rodata->self_tgid = (__u32)getpid();
	bool dwarf = c->unwind == CPUPROF_UNWIND_DWARF;
	if ((o->filter || dwarf) && (err = newtask_fields(c->skel)))
		return err;
	bpf_program__set_autoload(c->skel->progs.cpuprof_fork, o->filter || dwarf);
	bpf_program__set_autoload(c->skel->progs.cpuprof_exec, dwarf);
	/* Maps a mode does not use are made minimal: the row array is preallocated, and even an
	 * empty hash map costs its buckets (1 MiB for 65536, page by page). */
	if (dwarf && o->unwind_rows)
		bpf_map__set_max_entries(c->skel->maps.unwind_rows, o->unwind_rows);
	if (!dwarf) {
		bpf_map__set_max_entries(c->skel->maps.unwind_rows, 1);
		bpf_map__set_max_entries(c->skel->maps.unwind_objs, 1);
		bpf_map__set_max_entries(c->skel->maps.unwind_procs, 1);
		bpf_map__set_max_entries(c->skel->maps.unwind_wanted, 1);
	}
	if (!o->filter)
		bpf_map__set_max_entries(c->skel->maps.targets, 1);
	bpf_map__set_max_entries(c->skel->maps.counts0, c->counts_capacity);
	bpf_map__set_max_entries(c->skel->maps.counts1, c->counts_capacity);
	bpf_map__set_max_entries(c->skel->maps.stacks_seen, c->stacks_capacity);
	uint32_t ring_bytes =
	    c->unwind == CPUPROF_UNWIND_COPY ? COPY_RING_BYTES : c->ring_bytes_capacity;
	bpf_map__set_max_entries(c->skel->maps.new_stacks, ring_bytes);
	/* Woken with room to spare: the poll takes a while to come. */
	c->skel->rodata->wake_ring_bytes = ring_bytes / 4;
	c->skel->rodata->wake_keys = c->counts_capacity / 2;
	c->skel->rodata->wake_stacks = c->stacks_capacity / 2;
	err = cpuprof_bpf__load(c->skel);
	if (err) {
		if (!quiet)
			kiln_error("cannot load the BPF sampler: %s", bpf_hint(-err));
		return err;
	}
	c->new_stacks =
	    ring_buffer__new(bpf_map__fd(c->skel->maps.new_stacks), on_new_stack, c, NULL);
	if (!c->new_stacks) {
		err = -errno;
		kiln_error("cannot map the BPF sampler's ring buffer: %s", strerror(-err));
		return err;
	}
	return start_unwinder(c);
}

static void unload(struct cpuprof *c)
{
	ring_buffer__free(c->new_stacks);
	c->new_stacks = NULL;
	cpuprof_bpf__destroy(c->skel);
	c->skel = NULL;
}

/* Frame pointers: kiln's own walker (bpf_loop) where the verifier takes it, being cheaper per
 * sample, else the kernel's bpf_get_stack. */
static int load_frame_pointers(struct cpuprof *c, const struct cpuprof_options *o)
{
	c->unwind = CPUPROF_UNWIND_FP;
	c->user_stack_helper = false;
	if (!load_once(c, o, true))
		return 0;
	unload(c);
	c->user_stack_helper = true;
	return load_once(c, o, false);
}

static int load_program(struct cpuprof *c, const struct cpuprof_options *o)
{
	kiln_libbpf_quiet();
	if (c->unwind == CPUPROF_UNWIND_FP)
		return load_frame_pointers(c, o);
	bool fallback = o->unwind_fallback && c->unwind == CPUPROF_UNWIND_DWARF;
	int err = load_once(c, o, fallback);
	if (!err || !fallback)
		return err;
	/* The unwinder is the biggest program part: an older or stricter verifier may refuse
	 * it, and frame pointers still give stacks. */
	kiln_warn("DWARF unwinding is not available here (%s); user stacks follow frame "
		  "pointers",
		  strerror(-err));
	unload(c);
	return load_frame_pointers(c, o);
}

static uint32_t pow2_within(uint64_t want, uint32_t lo, uint32_t hi)
{
	uint32_t n = lo;
	while (n < want && n < hi)
		n <<= 1;
	return n;
}

/* Every CPU sampling at its full rate for the longest gap between two polls. */
static void size_for_rate(struct cpuprof *c)
{
	uint64_t per_cpu = c->period_ns > 0 ? CPUPROF_POLL_GAP_NS / (uint64_t)c->period_ns : 0;
	uint64_t burst = (uint64_t)c->ncpus * (per_cpu ? per_cpu : 1);
	/* Drained at half full, a counts map takes a whole burst after the last check. */
	c->counts_capacity = pow2_within(2 * burst, MIN_COUNTS, MAX_ENTRIES);
	/* Purged at half full; each sample brings at most two new stacks. */
	c->stacks_capacity = pow2_within(4 * burst, MIN_STACKS, MAX_ENTRIES);
	c->ring_bytes_capacity =
	    pow2_within(burst * RING_BYTES_PER_SAMPLE, MIN_RING_BYTES, MAX_RING_BYTES);
	kiln_debug("bpf maps: %u counts, %u stacks, %u KiB ring for %llu samples per poll",
		   c->counts_capacity, c->stacks_capacity, c->ring_bytes_capacity >> 10,
		   (unsigned long long)burst);
}

int cpuprof_open(struct cpuprof **out, const struct sampling_event *ev,
		 const struct cpuprof_options *o)
{
	struct cpuprof *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	intern_init(&c->stack_ids);
	c->ncpus = cpus_possible();
	c->period_ns = ev->period_ns;
	c->unwind = o->unwind;
	size_for_rate(c);
	c->event_fds = calloc((size_t)c->ncpus, sizeof(*c->event_fds));
	c->links = calloc((size_t)c->ncpus, sizeof(*c->links));
	c->keys = calloc(DRAIN_BATCH, sizeof(*c->keys));
	c->values = calloc(DRAIN_BATCH, sizeof(*c->values));
	if (!c->event_fds || !c->links || !c->keys || !c->values) {
		cpuprof_close(c);
		return -ENOMEM;
	}
	int err = open_events(c, ev);
	if (!err)
		err = load_program(c, o);
	if (err) {
		cpuprof_close(c);
		return err;
	}
	*out = c;
	return 0;
}

int cpuprof_add_target(struct cpuprof *c, uint32_t tgid, bool load_tables)
{
	uint8_t yes = 1;
	int err = bpf_map__update_elem(c->skel->maps.targets, &tgid, sizeof(tgid), &yes,
				       sizeof(yes), BPF_ANY);
	if (err)
		return -errno;
	if (c->tables && load_tables)
		unwind_maps_add_pid(c->tables, (int)tgid); /* gone already: nothing to unwind */
	return 0;
}

/* kiln's own samples carry no stacks: it needs no unwind tables. */
static bool is_self(const struct cpuprof *c, int pid)
{
	return (uint32_t)pid == c->skel->rodata->self_tgid;
}

int cpuprof_add_all_processes(struct cpuprof *c)
{
	if (!c->tables)
		return 0;
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	for (struct dirent *e; (e = readdir(d));) {
		int pid = atoi(e->d_name);
		if (pid > 0 && !is_self(c, pid))
			unwind_maps_add_pid(c->tables, pid);
	}
	closedir(d);
	return 0;
}

bool cpuprof_wants_mappings(const struct cpuprof *c, int pid)
{
	return !c->tables || unwind_maps_has_pid(c->tables, pid);
}

void cpuprof_process_changed(struct cpuprof *c, int pid)
{
	if (is_self(c, pid))
		return;
	if (c->tables) {
		int err = unwind_maps_add_pid(c->tables, pid);
		kiln_debug("unwind tables of %d: %s at %.3f", pid, err ? strerror(-err) : "loaded",
			   (double)monotonic_ns() / 1e9);
	}
	if (c->copies)
		copy_unwinder_changed(c->copies, pid);
}

int cpuprof_start(struct cpuprof *c)
{
	if (c->skel->rodata->filter_pids) {
		c->skel->links.cpuprof_fork = bpf_program__attach(c->skel->progs.cpuprof_fork);
		if (!c->skel->links.cpuprof_fork) {
			int err = errno;
			kiln_error("cannot follow forks (tracepoint task/task_newtask): %s",
				   bpf_hint(err));
			return -err;
		}
	}
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		if (c->event_fds[cpu] < 0)
			continue;
		c->links[cpu] = bpf_program__attach_perf_event(c->skel->progs.cpuprof_sample,
							       c->event_fds[cpu]);
		if (!c->links[cpu]) {
			int err = errno;
			kiln_error("cannot attach the BPF sampler on CPU %d: %s", cpu,
				   bpf_hint(err));
			return -err;
		}
	}
	return 0;
}

int cpuprof_stop(struct cpuprof *c)
{
	c->stopped = true;
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		bpf_link__destroy(c->links[cpu]);
		c->links[cpu] = NULL;
	}
	if (c->skel) {
		bpf_link__destroy(c->skel->links.cpuprof_fork);
		c->skel->links.cpuprof_fork = NULL;
	}
	return 0;
}

/* Copy mode: a sample to unwind now, while its process most likely still runs. */
static int on_copy(struct cpuprof *c, const struct cpuprof_copy *rec, size_t size)
{
	if (size < CPUPROF_COPY_HEADER || rec->copy.size > size - CPUPROF_COPY_HEADER)
		return 0; /* never from kiln's program: ignore rather than trust */
	if (VEC_RESERVE(c->pending, c->pending_cap, c->npending + 1) ||
	    VEC_RESERVE(c->pending_ips, c->pending_ips_cap, c->npending_ips + CPUPROF_MAX_DEPTH))
		return -ENOMEM;
	struct pending_copy *pc = &c->pending[c->npending++];
	pc->kernel_stack = rec->kernel_stack;
	pc->pid = (int32_t)rec->pid;
	pc->tid = (int32_t)rec->tid;
	memcpy(pc->comm, rec->comm, CPUPROF_COMM_LEN);
	pc->comm[CPUPROF_COMM_LEN] = 0;
	pc->first_ip = c->npending_ips;
	pc->nips = (uint32_t)copy_unwind(c->copies, rec, c->pending_ips + c->npending_ips,
					 CPUPROF_MAX_DEPTH);
	c->npending_ips += pc->nips;
	return 0;
}

/* A new stack from the kernel: kept for good, under its hash. Or a copied sample. */
static int on_new_stack(void *ctx, void *data, size_t size)
{
	struct cpuprof *c = ctx;
	const struct cpuprof_stack *st = data;
	c->ring_bytes += size;
	c->ring_records++;
	if (size >= CPUPROF_STACK_HEADER && st->type == CPUPROF_REC_COPY)
		return c->copies ? on_copy(c, data, size) : 0;
	if (size >= CPUPROF_STACK_HEADER && st->type == CPUPROF_REC_WAKE)
		return 0; /* it woke the poll that reads it */
	bool packed = size >= CPUPROF_STACK_HEADER && st->type == CPUPROF_REC_KSTACK32;
	size_t frame_bytes = packed ? sizeof(uint32_t) : sizeof(uint64_t);
	if (size < CPUPROF_STACK_HEADER || st->depth > CPUPROF_MAX_DEPTH ||
	    size < CPUPROF_STACK_HEADER + st->depth * frame_bytes)
		return 0; /* never from kiln's program: ignore rather than trust */
	bool added;
	uint32_t id = intern_get(&c->stack_ids, &st->hash, sizeof(st->hash), &added);
	if (!id)
		return -ENOMEM;
	if (VEC_RESERVE(c->unpurged, c->unpurged_cap, c->nunpurged + 1))
		return -ENOMEM;
	c->unpurged[c->nunpurged++] = st->hash;
	if (!added)
		return 0; /* sent again after a purge */
	size_t cap = c->stacks_cap;
	if (VEC_RESERVE(c->stacks, cap, id) || VEC_RESERVE(c->ips, c->ips_cap, c->nips + st->depth))
		return -ENOMEM;
	c->stacks_cap = cap;
	if (packed)
		for (uint32_t i = 0; i < st->depth; i++)
			c->ips[c->nips + i] = CPUPROF_KERNEL_HIGH | ((const uint32_t *)st->ips)[i];
	else
		memcpy(c->ips + c->nips, st->ips, st->depth * sizeof(uint64_t));
	c->stacks[id - 1] = (struct known_stack){(uint32_t)c->nips, st->depth, false};
	c->nips += st->depth;
	return 0;
}

/* False when the stack never arrived (its record was lost): the sample keeps no frames. */
static bool stack_lookup(struct cpuprof *c, uint64_t hash, const uint64_t **ips, uint32_t *depth)
{
	*ips = NULL;
	*depth = 0;
	if (!hash)
		return true;
	uint32_t id = intern_find(&c->stack_ids, &hash, sizeof(hash));
	if (!id) {
		c->unknown_stacks++;
		return false;
	}
	*ips = c->ips + c->stacks[id - 1].first;
	*depth = c->stacks[id - 1].depth;
	return true;
}

static int deliver(struct cpuprof *c, struct stack_sink *sink, const struct cpuprof_key *k,
		   uint64_t count)
{
	/* The same entries come back drain after drain: only a new one is symbolized. */
	int known = stack_sink_add_known(sink, k, sizeof(*k), (int32_t)k->pid, count);
	if (known)
		return known < 0 ? known : 0;
	char comm[CPUPROF_COMM_LEN + 1];
	memcpy(comm, k->comm, CPUPROF_COMM_LEN);
	comm[CPUPROF_COMM_LEN] = 0;
	struct raw_stack rs = {
	    .pid = (int32_t)k->pid, .tid = (int32_t)k->tid, .comm = comm, .count = count};
	bool whole = stack_lookup(c, k->kernel_stack, &rs.kernel, &rs.nkernel);
	whole &= stack_lookup(c, k->user_stack, &rs.user, &rs.nuser);
	/* A lost stack may yet arrive (once the kernel forgets it was sent): not remembered. */
	return whole ? stack_sink_add_keyed(sink, k, sizeof(*k), &rs) : stack_sink_add(sink, &rs);
}

/* The kernel stacks of a drained batch, queued for naming before any is symbolized: the kernel
 * names addresses 64 at a time (symbol/ksym.c), where a stack at a time cost a system call and a
 * sort each (186 of them at the end of a 10 kHz recording). */
static void queue_kernel_names(struct cpuprof *c, struct stack_sink *sink, __u32 n)
{
	for (__u32 i = 0; i < n; i++) {
		uint64_t hash = c->keys[i].kernel_stack;
		uint32_t id = hash ? intern_find(&c->stack_ids, &hash, sizeof(hash)) : 0;
		if (!id || c->stacks[id - 1].queued)
			continue;
		struct known_stack *st = &c->stacks[id - 1];
		st->queued = true;
		stack_sink_prefetch_kernel(sink, c->ips + st->first, st->depth);
	}
}

/* Moves every entry of one counts map into the sink, deleting it from the kernel. */
static int drain_map(struct cpuprof *c, struct bpf_map *map, struct stack_sink *sink)
{
	int fd = bpf_map__fd(map);
	uint8_t in_batch[sizeof(struct cpuprof_key)], out_batch[sizeof(struct cpuprof_key)];
	bool first = true;
	for (;;) {
		__u32 n = DRAIN_BATCH;
		int err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : in_batch, out_batch,
							  c->keys, c->values, &n, NULL);
		int saved = errno;
		first = false;
		c->count_bytes += n * (sizeof(*c->keys) + sizeof(*c->values));
		c->count_entries += n;
		queue_kernel_names(c, sink, n);
		for (__u32 i = 0; i < n; i++) {
			int derr = deliver(c, sink, &c->keys[i], c->values[i]);
			if (derr)
				return derr;
		}
		if (err)
			return saved == ENOENT ? 0 : -saved;
		memcpy(in_batch, out_batch, sizeof(in_batch));
	}
}

/* Once the kernel has sent many stacks, it forgets them (kiln keeps them): a stack seen again
 * is sent again, which is cheaper than a full set failing to capture new ones. */
static void purge_sent_stacks(struct cpuprof *c)
{
	if (c->nunpurged < c->stacks_capacity / 2)
		return;
	__u32 n = (__u32)c->nunpurged;
	bpf_map_delete_batch(bpf_map__fd(c->skel->maps.stacks_seen), c->unpurged, &n, NULL);
	/* Every stack received so far is now out of the set: the program counts from here. */
	__atomic_fetch_add(&c->skel->bss->stacks_at_purge, c->nunpurged, __ATOMIC_RELAXED);
	c->nunpurged = 0;
}

static int deliver_copies(struct cpuprof *c, struct stack_sink *sink)
{
	int err = 0;
	for (size_t i = 0; !err && i < c->npending; i++) {
		const struct pending_copy *pc = &c->pending[i];
		struct raw_stack rs = {.pid = pc->pid,
				       .tid = pc->tid,
				       .comm = pc->comm,
				       .user = c->pending_ips + pc->first_ip,
				       .nuser = pc->nips,
				       .count = 1};
		stack_lookup(c, pc->kernel_stack, &rs.kernel, &rs.nkernel);
		err = stack_sink_add(sink, &rs);
	}
	c->npending = 0;
	c->npending_ips = 0;
	return err;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A rescan helps only samples whose pc fell in no known mapping, and processes using an object
 * whose table was evicted to make room. Without either, re-reading every process's maps each
 * second (most of kiln's CPU in a long -a recording) would find nothing new. */
static bool tables_may_be_stale(struct cpuprof *c)
{
	uint64_t n[UNWIND_STAT_NR];
	struct unwind_maps_stats st;
	if (unwind_maps_read_counters(c->tables, n) != 0)
		return true;
	unwind_maps_get_stats(c->tables, &st);
	bool stale = n[UNWIND_STAT_MAP_MISS] != c->misses_at_rescan || st.evictions != 0;
	c->misses_at_rescan = n[UNWIND_STAT_MAP_MISS];
	return stale;
}

int cpuprof_poll(struct cpuprof *c, struct stack_sink *sink)
{
	int n = ring_buffer__consume(c->new_stacks);
	if (n < 0)
		return n;
	purge_sent_stacks(c);
	/* Once sampling stopped, tables would serve nothing: the last requests are dropped. */
	if (c->tables && !c->stopped)
		unwind_maps_add_wanted(c->tables, (int)c->skel->rodata->self_tgid);
	if (c->tables && monotonic_ns() >= c->next_rescan_ns) {
		/* Mappings no sideband record told of (a dlopen before recording started...). */
		if (tables_may_be_stale(c))
			unwind_maps_rescan(c->tables);
		c->next_rescan_ns = monotonic_ns() + RESCAN_EVERY_NS;
	}
	return deliver_copies(c, sink);
}

enum cpuprof_unwind cpuprof_unwind_mode(const struct cpuprof *c)
{
	return c->unwind;
}

int cpuprof_unwind_stats(struct cpuprof *c, struct cpuprof_unwind_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (c->copies) {
		struct copy_unwind_stats cs;
		copy_unwinder_stats(c->copies, &cs);
		out->samples = cs.samples;
		out->complete = cs.complete;
		out->truncated = cs.truncated;
		out->none = cs.none;
		return 0;
	}
	if (!c->tables)
		return -ENOTSUP;
	uint64_t n[UNWIND_STAT_NR];
	int err = unwind_maps_read_counters(c->tables, n);
	if (err)
		return err;
	out->samples = n[UNWIND_STAT_SAMPLES];
	out->complete = n[UNWIND_BPF_END];
	out->truncated = n[UNWIND_BPF_MAX];
	out->none = n[UNWIND_BPF_NO_REGS];
	out->partial = out->samples - out->complete - out->truncated - out->none;
	struct unwind_maps_stats ms;
	unwind_maps_get_stats(c->tables, &ms);
	out->table_bytes = ms.table_bytes;
	out->table_capacity = ms.rows_capacity * UNWIND_ROW_BYTES;
	out->objects = ms.objects;
	out->evictions = ms.evictions;
	return 0;
}

int cpuprof_wait_fd(const struct cpuprof *c)
{
	/* libbpf's epoll set of the rings: the samples' and, with DWARF tables, the doorbell. */
	return ring_buffer__epoll_fd(c->new_stacks);
}

bool cpuprof_counts_filling(struct cpuprof *c)
{
	struct cpuprof_bpf__bss *bss = c->skel->bss;
	uint64_t added = __atomic_load_n(&bss->keys_added, __ATOMIC_RELAXED);
	return added - bss->keys_at_drain >= c->skel->rodata->wake_keys;
}

int cpuprof_drain(struct cpuprof *c, struct stack_sink *sink)
{
	/* Read before the flip: keys added in between count twice, which only drains sooner. */
	struct cpuprof_bpf__bss *bss = c->skel->bss;
	__atomic_store_n(&bss->keys_at_drain, __atomic_load_n(&bss->keys_added, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&bss->keys_wake_sent, 0, __ATOMIC_RELAXED);
	uint32_t idle = map_flip(&c->skel->bss->active);
	/* Every stack the idle map's counts refer to was sent before they were counted. */
	int err = cpuprof_poll(c, sink);
	if (err)
		return err;
	struct bpf_map *map = idle ? c->skel->maps.counts1 : c->skel->maps.counts0;
	return drain_map(c, map, sink);
}

void cpuprof_stats(struct cpuprof *c, uint64_t stats[CPUPROF_STAT_NR])
{
	percpu_array_sum(bpf_map__fd(c->skel->maps.stats), CPUPROF_STAT_NR, stats);
	/* A stack lost on its way is lost to the samples that refer to it too. */
	stats[CPUPROF_STAT_STACKS_LOST] += c->unknown_stacks;
}

uint64_t cpuprof_bytes_read(const struct cpuprof *c)
{
	return c->ring_bytes + c->count_bytes;
}

void cpuprof_close(struct cpuprof *c)
{
	if (!c)
		return;
	kiln_debug("BPF bytes: %llu in %llu ring records, %llu in %llu count entries",
		   (unsigned long long)c->ring_bytes, (unsigned long long)c->ring_records,
		   (unsigned long long)c->count_bytes, (unsigned long long)c->count_entries);
	if (c->links)
		cpuprof_stop(c);
	if (c->event_fds)
		for (int cpu = 0; cpu < c->ncpus; cpu++)
			if (c->event_fds[cpu] > 0)
				close(c->event_fds[cpu]);
	ring_buffer__free(c->new_stacks);
	unwind_maps_free(c->tables);
	copy_unwinder_free(c->copies);
	free(c->pending);
	free(c->pending_ips);
	cpuprof_bpf__destroy(c->skel);
	intern_free(&c->stack_ids);
	free(c->event_fds);
	free(c->links);
	free(c->stacks);
	free(c->ips);
	free(c->unpurged);
	free(c->keys);
	free(c->values);
	free(c);
}
