#include "format/timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/vec.h"

const char *timeline_category(uint8_t annot)
{
	switch (annot) {
	case KILN_ANNOT_KERNEL:
		return "kernel";
	case KILN_ANNOT_JIT:
		return "jit";
	case KILN_ANNOT_INLINE:
		return "inline";
	default:
		return "user";
	}
}

void timeline_free(struct timeline *t)
{
	free(t->threads);
	free(t->processes);
	free(t->ops);
	memset(t, 0, sizeof(*t));
}

/* An event with the thread it belongs to, sortable by thread then time. */
struct tev {
	uint64_t time_ns;
	uint32_t thread;
	uint32_t sample;
	size_t seq; /* position in p->events: equal times keep the order they were recorded in */
};

static int cmp_tev(const void *x, const void *y)
{
	const struct tev *a = x, *b = y;
	if (a->thread != b->thread)
		return a->thread < b->thread ? -1 : 1;
	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Threads by (pid, tid) from the labels of the sampled stacks; fills ev[].thread. */
static int collect_threads(const struct kiln_profile *p, struct timeline *t, struct tev *ev,
			   size_t *nev)
{
	struct intern_table keys;
	size_t cap = 0, n = 0;
	int err = 0;
	intern_init(&keys);
	for (size_t i = 0; i < p->nevents && !err; i++) {
		const struct kiln_event *e = &p->events[i];
		if (e->sample >= p->nsamples)
			continue; /* not a sample of this profile: nothing to draw */
		const struct kiln_sample *s = &p->samples[e->sample];
		int32_t key[2] = {s->labels.pid, s->labels.tid};
		bool added;
		uint32_t id = intern_get(&keys, key, sizeof(key), &added);
		if (!id || VEC_RESERVE(t->threads, cap, id)) {
			err = -ENOMEM;
			break;
		}
		if (added)
			t->threads[id - 1] =
			    (struct timeline_thread){s->labels.pid, s->labels.tid, "", 0};
		ev[n++] = (struct tev){e->time_ns, id - 1, e->sample, i};
	}
	t->nthreads = keys.count;
	intern_free(&keys);
	*nev = n;
	return err;
}

/* Names threads by their comm at their latest sample (exec renames them); ev in time order. */
static void name_threads(const struct kiln_profile *p, struct timeline *t, const struct tev *ev,
			 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t comm = p->samples[ev[i].sample].labels.comm;
		if (comm)
			t->threads[ev[i].thread].name = kiln_profile_str(p, comm);
	}
}

static int collect_processes(struct timeline *t)
{
	t->processes = calloc(t->nthreads + 1, sizeof(*t->processes));
	if (!t->processes)
		return -ENOMEM;
	for (size_t i = 0; i < t->nthreads; i++) {
		struct timeline_thread *th = &t->threads[i];
		int32_t pid = th->pid >= 0 ? th->pid : th->tid;
		size_t j = 0;
		while (j < t->nprocesses && t->processes[j].pid != pid)
			j++;
		if (j == t->nprocesses)
			t->processes[t->nprocesses++] = (struct timeline_process){pid, th->name};
		if (th->tid == pid && th->name[0])
			t->processes[j].name = th->name;
		th->process = (uint32_t)j;
	}
	return 0;
}

/* The sampling interval: the profile's period when it is in nanoseconds, else the median gap
 * between a thread's consecutive samples, else 1 ms. */
static uint64_t sampling_interval(const struct kiln_profile *p, const struct tev *ev, size_t n)
{
	if (p->period > 0 && !strcmp(kiln_profile_str(p, p->period_type.unit), "nanoseconds"))
		return (uint64_t)p->period;
	uint64_t *gaps = malloc((n + 1) * sizeof(*gaps));
	size_t ngaps = 0;
	uint64_t interval = 1000000;
	if (!gaps)
		return interval;
	for (size_t i = 1; i < n; i++)
		if (ev[i].thread == ev[i - 1].thread && ev[i].time_ns > ev[i - 1].time_ns)
			gaps[ngaps++] = ev[i].time_ns - ev[i - 1].time_ns;
	if (ngaps) {
		qsort(gaps, ngaps, sizeof(*gaps), cmp_u64);
		interval = gaps[ngaps / 2];
	}
	free(gaps);
	return interval;
}

/* The stack of slices open on one thread, root first. */
struct open_stack {
	struct kiln_frame *frames;
	size_t n, cap;
};

static int push_op(struct timeline *t, uint64_t time, uint32_t thread, size_t depth,
		   enum timeline_op_kind kind, const struct kiln_frame *f)
{
	if (VEC_RESERVE(t->ops, t->ops_cap, t->nops + 1))
		return -ENOMEM;
	t->ops[t->nops++] = (struct timeline_op){
	    time, thread, (uint32_t)depth, (uint8_t)kind, (uint8_t)f->annot, f->name};
	return 0;
}

static int close_to(struct timeline *t, struct open_stack *os, size_t keep, uint64_t time,
		    uint32_t thread)
{
	while (os->n > keep) {
		os->n--;
		if (push_op(t, time, thread, os->n, TIMELINE_END, &os->frames[os->n]))
			return -ENOMEM;
	}
	return 0;
}

/* Frames are told apart as a viewer shows them, by name and kind: two functions of one name
 * (statics of different files) in a row read as one slice, as in a flame graph. */
static bool same_frame(const struct kiln_frame *a, const struct kiln_frame *b)
{
	return a->annot == b->annot && (a->name == b->name || !strcmp(a->name, b->name));
}

/* Moves the open stack to the sample's frames at time: ends what it no longer has, begins what
 * is new. */
static int step(struct timeline *t, struct open_stack *os, const struct kiln_frame *frames,
		size_t n, uint64_t time, uint32_t thread)
{
	size_t k = 0;
	while (k < os->n && k < n && same_frame(&os->frames[k], &frames[k]))
		k++;
	if (close_to(t, os, k, time, thread))
		return -ENOMEM;
	if (VEC_RESERVE(os->frames, os->cap, n))
		return -ENOMEM;
	for (; k < n; k++) {
		os->frames[os->n++] = frames[k];
		if (push_op(t, time, thread, k, TIMELINE_BEGIN, &frames[k]))
			return -ENOMEM;
	}
	return 0;
}

struct frame_buf {
	struct kiln_frame *frames;
	size_t cap;
};

static long sample_frames(const struct kiln_profile *p, uint32_t sample, struct frame_buf *fb)
{
	const struct kiln_sample *s = &p->samples[sample];
	size_t n = kiln_sample_frames(p, s, fb->frames, fb->cap);
	if (n <= fb->cap)
		return (long)n;
	if (VEC_RESERVE(fb->frames, fb->cap, n))
		return -ENOMEM;
	return (long)kiln_sample_frames(p, s, fb->frames, fb->cap);
}

static int build_slices(const struct kiln_profile *p, struct timeline *t, const struct tev *ev,
			size_t n)
{
	struct open_stack os = {0};
	struct frame_buf fb = {0};
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		bool first = i == 0 || ev[i].thread != ev[i - 1].thread;
		/* A pause longer than two intervals: the thread was off the CPU, not in its
		 * frames, so what was open ends one interval after the last sample. */
		if (!first && ev[i].time_ns - ev[i - 1].time_ns > 2 * t->interval_ns)
			err = close_to(t, &os, 0, ev[i - 1].time_ns + t->interval_ns, ev[i].thread);
		long nf = err ? 0 : sample_frames(p, ev[i].sample, &fb);
		if (nf < 0)
			err = (int)nf;
		if (!err)
			err = step(t, &os, fb.frames, (size_t)nf, ev[i].time_ns, ev[i].thread);
		bool last = i + 1 == n || ev[i + 1].thread != ev[i].thread;
		if (!err && last)
			err = close_to(t, &os, 0, ev[i].time_ns + t->interval_ns, ev[i].thread);
		t->samples++;
	}
	free(os.frames);
	free(fb.frames);
	return err;
}

/* Threads' ops merged into one time order; the sort is stable for equal times by sequence. */
struct op_seq {
	struct timeline_op op;
	size_t seq;
};

static int cmp_op_seq(const void *x, const void *y)
{
	const struct op_seq *a = x, *b = y;
	if (a->op.time_ns != b->op.time_ns)
		return a->op.time_ns < b->op.time_ns ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int sort_ops(struct timeline *t)
{
	struct op_seq *tmp = malloc((t->nops + 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < t->nops; i++)
		tmp[i] = (struct op_seq){t->ops[i], i};
	qsort(tmp, t->nops, sizeof(*tmp), cmp_op_seq);
	for (size_t i = 0; i < t->nops; i++)
		t->ops[i] = tmp[i].op;
	free(tmp);
	return 0;
}

int timeline_build(const struct kiln_profile *p, struct timeline *t)
{
	memset(t, 0, sizeof(*t));
	if (!p->nevents)
		return -ENODATA;
	struct tev *ev = malloc(p->nevents * sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	size_t n = 0;
	int err = collect_threads(p, t, ev, &n);
	if (!err && !n)
		err = -ENODATA;
	if (!err) {
		qsort(ev, n, sizeof(*ev), cmp_tev);
		name_threads(p, t, ev, n);
		err = collect_processes(t);
	}
	if (!err) {
		t->interval_ns = sampling_interval(p, ev, n);
		if (!t->interval_ns)
			t->interval_ns = 1;
		err = build_slices(p, t, ev, n);
	}
	if (!err)
		err = sort_ops(t);
	free(ev);
	if (err)
		timeline_free(t);
	return err;
}

/* ---------------------------------------------------------------- writing files */

typedef int (*timeline_writer)(const struct timeline *t, FILE *out);

struct timeline_job {
	const struct timeline *t;
	timeline_writer write;
};

static int timeline_job_write(FILE *out, void *arg)
{
	const struct timeline_job *j = arg;
	return j->write(j->t, out);
}

static int write_timeline_file(const struct kiln_profile *p, const char *path,
			       timeline_writer write, const char *what)
{
	struct timeline t;
	int err = timeline_build(p, &t);
	if (err == -ENODATA) {
		kiln_error("cannot write %s: the profile has no per-sample timestamps for a %s "
			   "timeline; record with 'kiln record --timeline', or convert a perf.data "
			   "or perf script capture",
			   path, what);
		return err;
	}
	if (!err)
		err =
		    atomic_write_file(path, timeline_job_write, &(struct timeline_job){&t, write});
	if (err)
		kiln_error("cannot write %s: %s", path, strerror(-err));
	timeline_free(&t);
	return err;
}

int chrome_trace_write_file(const struct kiln_profile *p, const char *path,
			    const struct kiln_write_options *o)
{
	(void)o; /* a timeline has every thread and no value column to pick */
	return write_timeline_file(p, path, chrome_trace_write, "Chrome trace");
}

int perfetto_trace_write_file(const struct kiln_profile *p, const char *path,
			      const struct kiln_write_options *o)
{
	(void)o;
	return write_timeline_file(p, path, perfetto_trace_write, "Perfetto");
}
