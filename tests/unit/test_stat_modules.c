/* The modules kiln stat and kiln list were split into: the default event set and -d levels in
 * perf's order, the -o file that appears whole or not at all, and list's kind names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stat/defaults.h"
#include "stat/listing.h"
#include "stat/outfile.h"

static const char *const first[] = {"task-clock", "context-switches", "cpu-migrations",
				    "page-faults", "cycles"};
static const char *const last[] = {"instructions", "branches", "branch-misses"};

/* The stall events sit between cycles and instructions, where the machine has them. */
static size_t stalls_here(void)
{
	char path[256];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/cpu/events/stalled-cycles-frontend", ev_default_pmu_dir());
	n += access(path, R_OK) == 0;
	snprintf(path, sizeof(path), "%s/cpu/events/stalled-cycles-backend", ev_default_pmu_dir());
	n += access(path, R_OK) == 0;
	return n;
}

static void test_default_set(void **state)
{
	(void)state;
	struct ev_list l = {0};
	assert_int_equal(stat_add_defaults(&l, false, 0), 0);
	size_t ns = stalls_here();
	assert_int_equal(l.n, 8 + ns);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(l.v[i].name, first[i]);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(l.v[5 + ns + i].name, last[i]);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(l.v[i].group_size, 1);
	ev_list_free(&l);
}

static void test_detail_levels(void **state)
{
	(void)state;
	static const size_t added[] = {0, 4, 10, 12, 12}; /* -d adds 4, -dd 6 more, -ddd 2 more */
	for (int level = 0; level <= 4; level++) {
		struct ev_list l = {0};
		assert_int_equal(stat_add_defaults(&l, true, level), 0);
		assert_int_equal(l.n, added[level]);
		if (level >= 1)
			assert_string_equal(l.v[0].name, "L1-dcache-loads");
		if (level >= 3)
			assert_string_equal(l.v[11].name, "L1-dcache-prefetch-misses");
		ev_list_free(&l);
	}
	/* Named events stay first; -d adds after them. */
	struct ev_list l = {0};
	assert_int_equal(ev_add(&l, "page-faults", NULL), 0);
	assert_int_equal(stat_add_defaults(&l, true, 1), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0].name, "page-faults");
	assert_string_equal(l.v[4].name, "LLC-load-misses");
	ev_list_free(&l);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void test_outfile(void **state)
{
	(void)state;
	char dir[] = "/tmp/kiln-outfile-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/counts.txt", dir);

	struct stat_outfile out;
	assert_int_equal(stat_outfile_open(&out, path), 0);
	fputs("partial", out.f);
	assert_int_equal(access(path, F_OK), -1); /* nothing at FILE until the end */
	assert_int_equal(stat_outfile_close(&out, false), 0);
	assert_int_equal(access(path, F_OK), -1); /* a failed run leaves no FILE */

	assert_int_equal(stat_outfile_open(&out, path), 0);
	fputs("counts\n", out.f);
	assert_int_equal(stat_outfile_close(&out, true), 0);
	char *got = slurp(path);
	assert_non_null(got);
	assert_string_equal(got, "counts\n");
	free(got);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* and no temporary file is left beside it */

	assert_int_equal(stat_outfile_open(&out, NULL), 0);
	assert_ptr_equal(out.f, stderr);
	assert_int_equal(stat_outfile_close(&out, true), 0);

	snprintf(path, sizeof(path), "%s/no/such/dir/out", dir);
	assert_int_equal(stat_outfile_open(&out, path), -ENOENT);
	assert_null(out.f);
}

static void test_list_kinds(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum list_kind kind;
	} ok[] = {{"sw", LIST_SW},	 {"software", LIST_SW},	  {"hw", LIST_HW},
		  {"hardware", LIST_HW}, {"cache", LIST_CACHE},	  {"hwcache", LIST_CACHE},
		  {"pmu", LIST_PMU},	 {"tracepoint", LIST_TP}, {"tp", LIST_TP},
		  {"usdt", LIST_USDT},	 {"sdt", LIST_USDT},	  {"uprobe", LIST_UPROBE}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		enum list_kind k = LIST_ALL;
		assert_int_equal(list_kind_parse(ok[i].name, &k), 0);
		assert_int_equal(k, ok[i].kind);
	}
	enum list_kind k = LIST_ALL;
	assert_int_equal(list_kind_parse("sched:*", &k), -EINVAL);
	assert_int_equal(list_kind_parse("SW", &k), -EINVAL);
	assert_int_equal(k, LIST_ALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_set),
	    cmocka_unit_test(test_detail_levels),
	    cmocka_unit_test(test_outfile),
	    cmocka_unit_test(test_list_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
