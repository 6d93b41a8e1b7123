#include "collect/perf_sampler.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "collect/perf_ring.h"
#include "util/log.h"
#include "util/perf_event.h"
#include "util/vec.h"
#include "util/waitset.h"

/* Data pages per CPU ring: samples with callchains at 10 kHz need room between polls; the
 * sideband alone needs little. */
#define SAMPLE_RING_PAGES 256
#define SIDEBAND_RING_PAGES 64

/* Thread names: samples are labelled with the thread's comm, as perf shows them. */
struct thread_name {
	int32_t tid;
	char comm[16];
};

struct perf_sampler {
	bool sampling; /* false: sideband only */
	int64_t period_ns;
	int *fds;
	size_t nfds, fds_cap;
	struct perf_ring *rings; /* one per CPU, indexed by CPU */
	size_t nrings;
	struct perf_batch batch;
	struct perf_record_counts counts;
	uint64_t bytes_read;
	void (*on_sideband)(void *arg, const struct perf_event_header *h);
	void *on_sideband_arg;
	struct thread_name *threads; /* open addressing by tid; tid 0 = empty slot */
	size_t nthreads, threads_cap;
};

static struct thread_name *thread_slot(struct perf_sampler *s, int32_t tid)
{
	size_t mask = s->threads_cap - 1;
	for (size_t i = (size_t)tid * 2654435761u & mask;; i = (i + 1) & mask)
		if (s->threads[i].tid == tid || s->threads[i].tid == 0)
			return &s->threads[i];
}

static int threads_grow(struct perf_sampler *s)
{
	struct thread_name *old = s->threads;
	size_t old_cap = s->threads_cap;
	size_t cap = old_cap ? old_cap * 2 : 1024;
	s->threads = calloc(cap, sizeof(*s->threads));
	if (!s->threads) {
		s->threads = old;
		return -ENOMEM;
	}
	s->threads_cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].tid)
			*thread_slot(s, old[i].tid) = old[i];
	free(old);
	return 0;
}

static void thread_set(struct perf_sampler *s, int32_t tid, const char *comm)
{
	if (tid <= 0 || ((s->nthreads + 1) * 2 > s->threads_cap && threads_grow(s)))
		return;
	struct thread_name *t = thread_slot(s, tid);
	if (!t->tid)
		s->nthreads++;
	t->tid = tid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

/* The thread's name as the sideband told it, else as /proc shows it now. */
static const char *thread_comm(struct perf_sampler *s, int32_t pid, int32_t tid)
{
	if (s->threads_cap) {
		struct thread_name *t = thread_slot(s, tid);
		if (t->tid == tid)
			return t->comm;
	}
	char path[64], comm[32] = "";
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	if (!comm[0])
		return NULL; /* the sink falls back on the process name */
	thread_set(s, tid, comm);
	struct thread_name *t = s->threads_cap ? thread_slot(s, tid) : NULL;
	return t && t->tid == tid ? t->comm : NULL;
}

/* Keeps thread names current from COMM and FORK records. */
static void track_thread(struct perf_sampler *s, const struct perf_event_header *h)
{
	if (h->type == PERF_RECORD_COMM) {
		const uint32_t *ids = (const void *)(h + 1);
		char comm[16];
		snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(comm) - 1,
			 (const char *)(ids + 2));
		thread_set(s, (int32_t)ids[1], comm);
	} else if (h->type == PERF_RECORD_FORK) {
		const uint32_t *ids = (const void *)(h + 1); /* pid, ppid, tid, ptid */
		if (!s->threads_cap)
			return;
		struct thread_name *parent = thread_slot(s, (int32_t)ids[3]);
		if (parent->tid == (int32_t)ids[3]) {
			char comm[16];
			memcpy(comm, parent->comm, sizeof(comm));
			thread_set(s, (int32_t)ids[2], comm);
		}
	}
}

static int add_fd(struct perf_sampler *s, int fd)
{
	if (VEC_RESERVE(s->fds, s->fds_cap, s->nfds + 1)) {
		close(fd);
		return -ENOMEM;
	}
	s->fds[s->nfds++] = fd;
	return 0;
}

/* Opens one event on cpu for pid (-1: every task) and routes it into that CPU's ring. */
static int open_one(struct perf_sampler *s, struct perf_event_attr *attr, pid_t pid, int cpu)
{
	int fd = sys_perf_event_open(attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = add_fd(s, fd);
	if (err)
		return err;
	struct perf_ring *r = &s->rings[cpu];
	if (!r->base) {
		size_t pages = s->sampling ? SAMPLE_RING_PAGES : SIDEBAND_RING_PAGES;
		return perf_ring_map(r, fd, cpu, pages);
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd))
		return -errno;
	return 0;
}

static int open_on_all_cpus(struct perf_sampler *s, struct perf_event_attr *attr, pid_t pid)
{
	for (size_t cpu = 0; cpu < s->nrings; cpu++) {
		if (!cpu_online((int)cpu))
			continue;
		int err = open_one(s, attr, pid, (int)cpu);
		/* A thread may exit between listing and opening. */
		if (err == -ESRCH && pid > 0)
			return 0;
		if (err)
			return err;
	}
	return 0;
}

/* -p: every thread of each process, each inheriting into the threads and children to come. */
static int open_process(struct perf_sampler *s, struct perf_event_attr *attr, pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return -ESRCH;
	int err = 0;
	for (struct dirent *e; !err && (e = readdir(d));) {
		pid_t tid = (pid_t)atoi(e->d_name);
		if (tid > 0)
			err = open_on_all_cpus(s, attr, tid);
	}
	closedir(d);
	return err;
}

/* A ring's descriptor turns readable once it is half full: the recorder polls then, or sooner
 * on its own clock, and is not woken for every record. */
static void wake_at_half(struct perf_event_attr *a, size_t pages)
{
	a->watermark = 1;
	a->wakeup_watermark = (uint32_t)(pages * (size_t)sysconf(_SC_PAGESIZE) / 2);
}

static void sideband_attr(struct perf_event_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_DUMMY;
	a->disabled = 1;
	wake_at_half(a, SIDEBAND_RING_PAGES);
	perf_records_attr(a, 1);
}

/* Samples (or, without ev, the sideband alone) of what the target names. */
static int open_events(struct perf_sampler *s, const struct sampling_event *ev,
		       const struct target *t, bool kernel_chain, bool user_chain)
{
	struct perf_event_attr attr;
	if (ev) {
		attr = ev->attr;
		perf_records_attr(&attr, 1);
		attr.exclude_callchain_kernel = !kernel_chain;
		attr.exclude_callchain_user = !user_chain;
		wake_at_half(&attr, SAMPLE_RING_PAGES);
	} else {
		sideband_attr(&attr);
	}
	if (t->system_wide)
		return open_on_all_cpus(s, &attr, -1);
	attr.inherit = 1;
	if (t->child)
		return open_on_all_cpus(s, &attr, t->child);
	for (size_t i = 0; i < t->npids; i++) {
		int err = open_process(s, &attr, t->pids[i]);
		if (err)
			return err;
	}
	return 0;
}

int perf_sampler_open(struct perf_sampler **out, const struct sampling_event *ev,
		      const struct target *t, bool kernel_chain, bool user_chain)
{
	struct perf_sampler *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->sampling = ev != NULL;
	s->period_ns = ev ? ev->period_ns : 0;
	s->nrings = (size_t)cpus_possible();
	s->rings = calloc(s->nrings, sizeof(*s->rings));
	if (!s->rings) {
		free(s);
		return -ENOMEM;
	}
	int err = open_events(s, ev, t, kernel_chain, user_chain);
	if (err) {
		perf_sampler_close(s);
		if (err == -ENOMEM)
			kiln_error("out of memory opening perf events");
		else
			kiln_error("cannot open %s perf events: %s",
				   ev ? ev->name : "sideband (dummy)", perf_open_hint(-err));
		return err;
	}
	*out = s;
	return 0;
}

static int ioctl_all(struct perf_sampler *s, unsigned long req)
{
	for (size_t i = 0; i < s->nfds; i++)
		if (ioctl(s->fds[i], req, 0))
			return -errno;
	return 0;
}

void perf_sampler_on_sideband(struct perf_sampler *s,
			      void (*fn)(void *arg, const struct perf_event_header *h), void *arg)
{
	s->on_sideband = fn;
	s->on_sideband_arg = arg;
}

int perf_sampler_enable(struct perf_sampler *s)
{
	return ioctl_all(s, PERF_EVENT_IOC_ENABLE);
}

int perf_sampler_disable(struct perf_sampler *s)
{
	return ioctl_all(s, PERF_EVENT_IOC_DISABLE);
}

int perf_sampler_poll(struct perf_sampler *s, struct symbolizer *sym, struct stack_sink *sink)
{
	int err = perf_batch_fill(&s->batch, s->rings, s->nrings, perf_record_time, NULL);
	if (err)
		return err;
	s->bytes_read += s->batch.len;
	for (size_t i = 0; i < s->batch.nrecs; i++) {
		const struct perf_event_header *h = s->batch.recs[i].hdr;
		track_thread(s, h);
		if (s->on_sideband && h->type != PERF_RECORD_SAMPLE)
			s->on_sideband(s->on_sideband_arg, h);
		if (perf_record_sideband(sym, h, &s->counts) != 1 || !sink)
			continue;
		struct perf_sample smp;
		if (perf_parse_sample(&perf_records_layout, h, &smp)) {
			s->counts
			    .lost++; /* cannot happen with the kernel's records; counted anyway */
			continue;
		}
		const char *comm = thread_comm(s, (int32_t)smp.pid, (int32_t)smp.tid);
		err = perf_sample_deliver(sink, &smp, comm, 0);
		if (err)
			return err;
	}
	return 0;
}

void perf_sampler_watch(const struct perf_sampler *s, struct waitset *w)
{
	for (size_t cpu = 0; cpu < s->nrings; cpu++)
		if (s->rings[cpu].base)
			waitset_add(w, s->rings[cpu].fd);
}

const struct perf_record_counts *perf_sampler_counts(const struct perf_sampler *s)
{
	return &s->counts;
}

uint64_t perf_sampler_bytes_read(const struct perf_sampler *s)
{
	return s->bytes_read;
}

void perf_sampler_close(struct perf_sampler *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrings; i++)
		perf_ring_unmap(&s->rings[i]);
	for (size_t i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	perf_batch_free(&s->batch);
	free(s->rings);
	free(s->fds);
	free(s->threads);
	free(s);
}
