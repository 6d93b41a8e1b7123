#include "collect/stack_sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

int stack_sink_init(struct stack_sink *s, struct kiln_profile *p, struct symbolizer *sym,
		    int64_t period_ns, bool timeline)
{
	memset(s, 0, sizeof(*s));
	s->profile = p;
	s->sym = sym;
	s->period_ns = period_ns;
	s->timeline = timeline;
	if (kiln_profile_add_value_type(p, "samples", "count") < 0 ||
	    kiln_profile_add_value_type(p, "cpu", "nanoseconds") < 0)
		return -ENOMEM;
	kiln_profile_set_period(p, "cpu", "nanoseconds", period_ns);
	return 0;
}

struct sink_known {
	long sample;
	uint64_t gen; /* the process's when the sample was symbolized */
};

void stack_sink_free(struct stack_sink *s)
{
	free(s->locs);
	s->locs = NULL;
	s->locs_cap = 0;
	intern_free(&s->known_keys);
	free(s->known);
	s->known = NULL;
	s->known_cap = 0;
}

static int reserve_locs(struct stack_sink *s, uint32_t need)
{
	size_t cap = s->locs_cap;
	if (VEC_RESERVE(s->locs, cap, need))
		return -ENOMEM;
	s->locs_cap = (uint32_t)cap;
	return 0;
}

/* A process no sideband record described (it predates recording, or its records were lost):
 * read what /proc still shows of it, once. */
static void learn_process(struct stack_sink *s, int pid)
{
	if (s->scan_unknown && pid > 0 && !sym_process_name(s->sym, pid))
		sym_scan_process(s->sym, pid);
}

static void sample_values(const struct stack_sink *s, uint64_t count, int64_t weight,
			  int64_t values[KILN_MAX_VALUES])
{
	values[0] = (int64_t)count;
	values[1] = weight ? weight : (int64_t)count * s->period_ns;
}

/* Symbolizes the stack and adds it to the profile: the sample's index, or -errno. */
static long add_stack(struct stack_sink *s, const struct raw_stack *rs)
{
	struct kiln_profile *p = s->profile;
	uint32_t n = 0;
	int err = reserve_locs(s, rs->nkernel + rs->nuser);
	if (err)
		return err;
	if (rs->nuser)
		learn_process(s, rs->pid);
	/* Leaf first: the kernel part of a stack sits on top of the user part. Every frame but
	 * the interrupted one is a return address, named after the call before it. */
	sym_kernel_prefetch(s->sym, rs->kernel, rs->nkernel);
	for (uint32_t i = 0; i < rs->nkernel; i++) {
		uint64_t a = rs->kernel[i];
		uint32_t loc = n == 0 ? sym_kernel_location(s->sym, p, a)
				      : sym_kernel_location_ra(s->sym, p, a);
		if (!(s->locs[n++] = loc))
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < rs->nuser; i++) {
		uint64_t a = rs->user[i];
		uint32_t loc = n == 0 ? sym_user_location(s->sym, p, rs->pid, a)
				      : sym_user_location_ra(s->sym, p, rs->pid, a);
		if (!(s->locs[n++] = loc))
			return -ENOMEM;
	}

	struct kiln_labels labels = {.pid = rs->pid, .tid = rs->tid, .comm = 0};
	const char *comm = rs->comm;
	if (!comm || !*comm)
		comm = sym_process_name(s->sym, rs->pid);
	if (comm && !(labels.comm = kiln_profile_intern_cstr(p, comm)))
		return -ENOMEM;
	int64_t values[KILN_MAX_VALUES] = {0};
	sample_values(s, rs->count, rs->weight, values);
	long idx = kiln_profile_add_sample(p, s->locs, n, &labels, values);
	if (idx < 0)
		return idx;
	if (s->timeline && rs->time_ns &&
	    kiln_profile_add_event(p, rs->time_ns, (uint32_t)idx, values[1]))
		return -ENOMEM;
	s->samples += rs->count;
	return idx;
}

void stack_sink_prefetch_kernel(struct stack_sink *s, const uint64_t *ips, uint32_t n)
{
	sym_kernel_prefetch(s->sym, ips, n);
}

int stack_sink_add(struct stack_sink *s, const struct raw_stack *rs)
{
	long idx = add_stack(s, rs);
	return idx < 0 ? (int)idx : 0;
}

int stack_sink_add_known(struct stack_sink *s, const void *key, size_t len, int32_t pid,
			 uint64_t count)
{
	uint32_t id = intern_find(&s->known_keys, key, len);
	if (!id || s->known[id - 1].gen != sym_process_gen(s->sym, pid))
		return 0;
	int64_t values[KILN_MAX_VALUES] = {0};
	sample_values(s, count, 0, values);
	int err = kiln_profile_add_to_sample(s->profile, s->known[id - 1].sample, values);
	if (err)
		return err;
	s->samples += count;
	return 1;
}

int stack_sink_add_keyed(struct stack_sink *s, const void *key, size_t len,
			 const struct raw_stack *rs)
{
	long idx = add_stack(s, rs);
	if (idx < 0)
		return (int)idx;
	bool added;
	uint32_t id = intern_get(&s->known_keys, key, len, &added);
	if (!id || VEC_RESERVE(s->known, s->known_cap, id))
		return -ENOMEM;
	/* The generation after symbolizing: a process first met just now has been read. */
	s->known[id - 1] = (struct sink_known){idx, sym_process_gen(s->sym, rs->pid)};
	return 0;
}
