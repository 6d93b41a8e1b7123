/* unwind_maps against real BPF maps (shaped like collect/unwind.bpf.h's): tables of this
 * process land in the row array, identical objects are shared between processes, and a row
 * array too small for everything evicts least recently used objects instead of failing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect/unwind_maps.h"
#include "unwind/cfi_table.h"

struct fixture {
	struct unwind_maps_fds fds;
	struct unwind_maps *um;
	uint32_t capacity;
};

static int make_maps(struct fixture *f, uint32_t capacity)
{
	LIBBPF_OPTS(bpf_map_create_opts, noprealloc, .map_flags = BPF_F_NO_PREALLOC);
	f->capacity = capacity;
	f->fds.rows =
	    bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_rows", 4, sizeof(struct cfi_row), capacity, NULL);
	f->fds.objs = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_objs", 4, sizeof(struct unwind_obj),
				     UNWIND_MAX_OBJS, NULL);
	f->fds.procs = bpf_map_create(BPF_MAP_TYPE_HASH, "t_procs", 4, sizeof(struct unwind_proc),
				      64, &noprealloc);
	f->fds.stats =
	    bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_stats", 4, 8, UNWIND_STAT_NR, NULL);
	f->fds.wanted = bpf_map_create(BPF_MAP_TYPE_HASH, "t_wanted", 4, 1, 16, NULL);
	if (f->fds.rows < 0 || f->fds.objs < 0 || f->fds.procs < 0 || f->fds.stats < 0 ||
	    f->fds.wanted < 0)
		return -1;
	return unwind_maps_new(&f->um, &f->fds, capacity);
}

static void close_maps(struct fixture *f)
{
	unwind_maps_free(f->um);
	close(f->fds.rows);
	close(f->fds.objs);
	close(f->fds.procs);
	close(f->fds.stats);
	close(f->fds.wanted);
}

static void setup_or_skip(struct fixture *f, uint32_t capacity)
{
	memset(f, 0, sizeof(*f));
	if (make_maps(f, capacity)) {
		print_message("SKIP: cannot create BPF maps (needs root): %s\n", strerror(errno));
		skip();
	}
}

/* The mapping of this process that holds addr, from the procs map. */
static struct unwind_mapping mapping_of(struct fixture *f, int pid, uint64_t addr)
{
	struct unwind_proc *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	__u32 key = (__u32)pid;
	assert_int_equal(bpf_map_lookup_elem(f->fds.procs, &key, p), 0);
	struct unwind_mapping found = {0};
	for (uint32_t i = 0; i < p->nmaps; i++) {
		if (i)
			assert_true(p->maps[i - 1].start < p->maps[i].start);
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			found = p->maps[i];
	}
	free(p);
	return found;
}

static void own_tables_land_in_the_rows(void **state)
{
	(void)state;
	struct fixture f;
	setup_or_skip(&f, 1u << 20);
	assert_int_equal(unwind_maps_add_pid(f.um, getpid()), 0);

	Dl_info info;
	assert_true(dladdr((void *)qsort, &info));
	struct unwind_mapping m = mapping_of(&f, getpid(), (uint64_t)(uintptr_t)qsort);
	assert_int_not_equal(m.obj, 0);
	struct unwind_obj obj;
	assert_int_equal(bpf_map_lookup_elem(f.fds.objs, &m.obj, &obj), 0);

	struct cfi_table *t;
	assert_int_equal(cfi_table_from_path(info.dli_fname, &t), 0);
	assert_int_equal(obj.nrows, t->nrows);
	/* The row the BPF side would find for qsort is the table's. */
	const struct cfi_row *want = cfi_table_lookup(t, (uint64_t)(uintptr_t)qsort - m.bias);
	assert_non_null(want);
	__u32 idx = obj.first_row + (uint32_t)(want - t->rows);
	struct cfi_row got;
	assert_int_equal(bpf_map_lookup_elem(f.fds.rows, &idx, &got), 0);
	assert_memory_equal(&got, want, sizeof(got));
	cfi_table_free(t);

	struct unwind_maps_stats st;
	unwind_maps_get_stats(f.um, &st);
	print_message("%u objects, %llu rows, %llu bytes\n", st.objects,
		      (unsigned long long)st.rows_used, (unsigned long long)st.table_bytes);
	assert_true(st.objects >= 3); /* this test, libc, ld.so at least */
	assert_int_equal(st.evictions, 0);
	close_maps(&f);
}

static void want(struct fixture *f, int pid)
{
	__u32 key = (__u32)pid;
	__u8 yes = 1;
	assert_int_equal(bpf_map_update_elem(f->fds.wanted, &key, &yes, BPF_NOEXIST), 0);
}

/* What the BPF side asks for is loaded once, except the process told to skip (kiln itself)
 * and processes already gone; the requests are used up. */
static void wanted_processes_load_on_request(void **state)
{
	(void)state;
	struct fixture f;
	setup_or_skip(&f, 1u << 20);
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	assert_true(gone > 0);
	waitpid(gone, NULL, 0);

	want(&f, child);
	want(&f, gone);
	want(&f, getpid());
	assert_false(unwind_maps_has_pid(f.um, child));
	assert_int_equal(unwind_maps_add_wanted(f.um, getpid()), 1);
	assert_true(unwind_maps_has_pid(f.um, child));
	assert_false(unwind_maps_has_pid(f.um, getpid()));
	assert_false(unwind_maps_has_pid(f.um, gone));
	assert_int_not_equal(mapping_of(&f, child, (uint64_t)(uintptr_t)qsort).obj, 0);
	__u32 key;
	assert_int_not_equal(bpf_map_get_next_key(f.fds.wanted, NULL, &key), 0);
	assert_int_equal(unwind_maps_add_wanted(f.um, getpid()), 0);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close_maps(&f);
}

static void processes_share_objects(void **state)
{
	(void)state;
	struct fixture f;
	setup_or_skip(&f, 1u << 20);
	assert_int_equal(unwind_maps_add_pid(f.um, getpid()), 0);
	struct unwind_maps_stats before, after;
	unwind_maps_get_stats(f.um, &before);

	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	assert_int_equal(unwind_maps_add_pid(f.um, child), 0);
	unwind_maps_get_stats(f.um, &after);
	assert_int_equal(after.processes, 2);
	assert_int_equal(after.rows_used, before.rows_used);
	struct unwind_mapping a = mapping_of(&f, getpid(), (uint64_t)(uintptr_t)qsort);
	struct unwind_mapping b = mapping_of(&f, child, (uint64_t)(uintptr_t)qsort);
	assert_int_equal(a.obj, b.obj);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(unwind_maps_rescan(f.um), 1); /* the child is gone */
	__u32 key = (__u32)child;
	struct unwind_proc *p = calloc(1, sizeof(*p));
	assert_int_not_equal(bpf_map_lookup_elem(f.fds.procs, &key, p), 0);
	free(p);
	assert_int_equal(unwind_maps_add_pid(f.um, child), -ESRCH);
	close_maps(&f);
}

/* Room for libc and little else: the other objects must cycle through, never overflow. */
static void small_row_array_evicts(void **state)
{
	(void)state;
	Dl_info info;
	assert_true(dladdr((void *)qsort, &info));
	struct cfi_table *t;
	assert_int_equal(cfi_table_from_path(info.dli_fname, &t), 0);
	uint32_t cap = t->nrows + 2000;
	cfi_table_free(t);

	struct fixture f;
	setup_or_skip(&f, cap);
	assert_int_equal(unwind_maps_add_pid(f.um, getpid()), 0);
	struct unwind_maps_stats st;
	unwind_maps_get_stats(f.um, &st);
	assert_true(st.rows_used <= cap);
	assert_true(st.objects >= 1);
	/* A second scan needs rows for objects evicted in the first: LRU makes room again. */
	assert_int_equal(unwind_maps_add_pid(f.um, getpid()), 0);
	unwind_maps_get_stats(f.um, &st);
	print_message("capacity %u: %u objects loaded, %llu rows, %llu evictions\n", cap,
		      st.objects, (unsigned long long)st.rows_used,
		      (unsigned long long)st.evictions);
	assert_true(st.rows_used <= cap);
	assert_true(st.evictions > 0);
	/* Every object the map says is loaded has rows inside the array. */
	for (__u32 id = 1; id < UNWIND_MAX_OBJS; id++) {
		struct unwind_obj o;
		assert_int_equal(bpf_map_lookup_elem(f.fds.objs, &id, &o), 0);
		if (o.nrows)
			assert_true(o.first_row + o.nrows <= cap);
	}
	close_maps(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(own_tables_land_in_the_rows),
	    cmocka_unit_test(processes_share_objects),
	    cmocka_unit_test(wanted_processes_load_on_request),
	    cmocka_unit_test(small_row_array_evicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
