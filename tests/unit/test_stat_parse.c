/* The event-string parser: every form perf stat -e takes, and errors that point at the
 * offending character. PMUs and tracepoints come from a fake sysfs/tracefs tree made here, so
 * the results do not depend on this machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stat/event_parse.h"

static char root[64];
static struct ev_env env;
static char pmu_dir[128], tracing_dir[128];

static void put(const char *rel, const char *content)
{
	char path[512], dir[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	/* mkdir -p of the file's directory */
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + strlen(root) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0755);
			*p = '/';
		}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", content);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/kiln-evparse.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	put("pmu/fakecpu/type", "42");
	put("pmu/fakecpu/format/event", "config:0-7");
	put("pmu/fakecpu/format/umask", "config:8-15");
	put("pmu/fakecpu/format/edge", "config:18");
	put("pmu/fakecpu/format/cmask", "config:24-31");
	put("pmu/fakecpu/format/split", "config:32-33,40-41");
	put("pmu/fakecpu/format/ldlat", "config1:0-15");
	put("pmu/fakecpu/events/cycles-t", "event=0x3c,umask=0x01");
	put("tracing/events/sched/sched_switch/id", "316");
	put("tracing/events/sched/sched_wakeup/id", "317");
	put("tracing/events/syscalls/sys_enter_getppid/id", "500");
	snprintf(pmu_dir, sizeof(pmu_dir), "%s/pmu", root);
	snprintf(tracing_dir, sizeof(tracing_dir), "%s/tracing", root);
	env.pmu_dir = pmu_dir;
	env.tracing_dir = tracing_dir;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

/* Parses str, which must succeed, into l (freed by the caller). */
static void parse_ok(const char *str, struct ev_list *l)
{
	struct ev_error err;
	int rc = ev_parse(str, &env, l, &err);
	if (rc)
		fail_msg("'%s': column %zu: %s", str, err.column, err.msg);
}

/* Parses str, which must fail at column col with a message containing what. */
static void parse_bad(const char *str, size_t col, const char *what)
{
	struct ev_list l = {0};
	struct ev_error err;
	assert_int_equal(ev_parse(str, &env, &l, &err), -22);
	if (err.column != col || !strstr(err.msg, what))
		fail_msg("'%s': expected column %zu /%s/, got column %zu: %s", str, col, what,
			 err.column, err.msg);
	assert_int_equal(l.n, 0);
	ev_list_free(&l);
}

static void test_symbolic(void **state)
{
	(void)state;
	struct ev_list l = {0};
	parse_ok("cycles,task-clock,page-faults,cs,instructions,ref-cycles", &l);
	assert_int_equal(l.n, 6);
	assert_int_equal(l.v[0].attr.type, PERF_TYPE_HARDWARE);
	assert_int_equal(l.v[0].attr.config, PERF_COUNT_HW_CPU_CYCLES);
	assert_string_equal(l.v[0].name, "cycles");
	assert_int_equal(l.v[1].attr.type, PERF_TYPE_SOFTWARE);
	assert_int_equal(l.v[1].attr.config, PERF_COUNT_SW_TASK_CLOCK);
	assert_int_equal(l.v[2].attr.config, PERF_COUNT_SW_PAGE_FAULTS);
	assert_int_equal(l.v[3].attr.config, PERF_COUNT_SW_CONTEXT_SWITCHES);
	assert_int_equal(l.v[4].attr.config, PERF_COUNT_HW_INSTRUCTIONS);
	assert_int_equal(l.v[5].attr.config, PERF_COUNT_HW_REF_CPU_CYCLES);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.v[i].leader, (int)i);
		assert_int_equal(l.v[i].group_size, 1);
		assert_int_equal(l.v[i].attr.exclude_kernel, 0);
	}
	ev_list_free(&l);
}

static void test_cache_and_raw(void **state)
{
	(void)state;
	struct ev_list l = {0};
	parse_ok("L1-dcache-load-misses,LLC-loads,dTLB-store-misses,iTLB-loads,"
		 "L1-dcache-prefetches,r003c,r1a2B",
		 &l);
	assert_int_equal(l.n, 7);
	assert_int_equal(l.v[0].attr.type, PERF_TYPE_HW_CACHE);
	assert_int_equal(l.v[0].attr.config, 0 | 0 << 8 | 1 << 16);
	assert_int_equal(l.v[1].attr.config, 2 | 0 << 8 | 0 << 16);
	assert_int_equal(l.v[2].attr.config, 3 | 1 << 8 | 1 << 16);
	assert_int_equal(l.v[3].attr.config, 4);
	assert_int_equal(l.v[4].attr.config, 0 | 2 << 8);
	assert_int_equal(l.v[5].attr.type, PERF_TYPE_RAW);
	assert_int_equal(l.v[5].attr.config, 0x3c);
	assert_int_equal(l.v[6].attr.config, 0x1a2b);
	ev_list_free(&l);
}

static void test_modifiers(void **state)
{
	(void)state;
	struct ev_list l = {0};
	parse_ok("cycles:u,instructions:k,cycles:ppp,task-clock:uk,cycles:D", &l);
	assert_string_equal(l.v[0].name, "cycles:u");
	assert_int_equal(l.v[0].attr.exclude_user, 0);
	assert_int_equal(l.v[0].attr.exclude_kernel, 1);
	assert_int_equal(l.v[0].attr.exclude_hv, 1);
	assert_int_equal(l.v[1].attr.exclude_user, 1);
	assert_int_equal(l.v[1].attr.exclude_kernel, 0);
	assert_int_equal(l.v[2].attr.precise_ip, 3);
	assert_int_equal(l.v[2].attr.exclude_kernel, 0);
	assert_int_equal(l.v[3].attr.exclude_user, 0);
	assert_int_equal(l.v[3].attr.exclude_kernel, 0);
	assert_int_equal(l.v[3].attr.exclude_hv, 1);
	assert_int_equal(l.v[4].attr.pinned, 1);
	ev_list_free(&l);
}

static void test_pmu(void **state)
{
	(void)state;
	struct ev_list l = {0};
	parse_ok("fakecpu/event=0x3c,umask=0x1/,fakecpu/event=0x3c,edge,cmask=2/,fakecpu/cycles-t/,"
		 "fakecpu/config=0x1234,ldlat=3/:u,fakecpu/split=0xf/",
		 &l);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.v[0].attr.type, 42);
	assert_int_equal(l.v[0].attr.config, 0x13c);
	assert_string_equal(l.v[0].name, "fakecpu/event=0x3c,umask=0x1/");
	assert_int_equal(l.v[1].attr.config, 0x3c | 1 << 18 | 2 << 24);
	assert_int_equal(l.v[2].attr.config, 0x13c);
	assert_int_equal(l.v[3].attr.config, 0x1234);
	assert_int_equal(l.v[3].attr.config1, 3);
	assert_int_equal(l.v[3].attr.exclude_kernel, 1);
	assert_string_equal(l.v[3].name, "fakecpu/config=0x1234,ldlat=3/:u");
	/* bits 0-1 of the value go to 32-33, bits 2-3 to 40-41 */
	assert_true(l.v[4].attr.config == (3ULL << 32 | 3ULL << 40));
	ev_list_free(&l);
}

static void test_tracepoints(void **state)
{
	(void)state;
	struct ev_list l = {0};
	parse_ok("sched:sched_switch,syscalls:sys_enter_getppid,sched:*", &l);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.v[0].attr.type, PERF_TYPE_TRACEPOINT);
	assert_int_equal(l.v[0].attr.config, 316);
	assert_string_equal(l.v[1].name, "syscalls:sys_enter_getppid");
	assert_int_equal(l.v[1].attr.config, 500);
	assert_string_equal(l.v[2].name, "sched:sched_switch");
	assert_string_equal(l.v[3].name, "sched:sched_wakeup");
	assert_int_equal(l.v[3].attr.config, 317);
	ev_list_free(&l);
}

static void test_groups(void **state)
{
	(void)state;
	struct ev_list l = {0};
	parse_ok("task-clock,{cycles,instructions}:u,{page-faults,sched:*},cs", &l);
	assert_int_equal(l.n, 7);
	assert_int_equal(l.v[0].leader, 0);
	assert_int_equal(l.v[1].leader, 1);
	assert_int_equal(l.v[1].group_size, 2);
	assert_int_equal(l.v[2].leader, 1);
	assert_string_equal(l.v[1].name, "cycles:u");
	assert_string_equal(l.v[2].name, "instructions:u");
	assert_int_equal(l.v[2].attr.exclude_kernel, 1);
	assert_int_equal(l.v[3].leader, 3);
	assert_int_equal(l.v[3].group_size, 3);
	assert_int_equal(l.v[5].leader, 3);
	assert_int_equal(l.v[6].leader, 6);
	assert_int_equal(l.v[6].group_size, 1);
	/* a second -e appends */
	parse_ok("{cs,faults}", &l);
	assert_int_equal(l.n, 9);
	assert_int_equal(l.v[8].leader, 7);
	ev_list_free(&l);
}

static void test_errors(void **state)
{
	(void)state;
	parse_bad("cycles:x", 8, "unknown modifier 'x'");
	parse_bad("cycles:ukx", 10, "unknown modifier 'x'");
	parse_bad("cylces", 1, "unknown event 'cylces'");
	parse_bad("task-clock,cylces", 12, "unknown event");
	parse_bad("cycles,,instructions", 8, "expected an event name");
	parse_bad("cycles,", 7, "trailing ','");
	parse_bad("cycles:", 7, "must be followed by modifiers");
	parse_bad("cycles}", 7, "without a group");
	parse_bad("task-clock cycles", 11, "expected ','");
	parse_bad("", 1, "empty");
	parse_bad("{cycles,instructions", 21, "missing '}' for the group opened at column 1");
	parse_bad("{cycles,{instructions}}", 9, "cannot be nested");
	parse_bad("{}", 2, "expected an event name");
	parse_bad("nopmu/event=1/", 1, "no PMU named 'nopmu'");
	parse_bad("fakecpu/event=0x1ff/", 9, "does not fit the 8 bits of 'event'");
	parse_bad("fakecpu/bogus=1/", 9, "no term 'bogus'");
	parse_bad("fakecpu/event=/", 15, "expected a number");
	parse_bad("fakecpu/event=1", 16, "missing the closing '/'");
	parse_bad("fakecpu/event=1;/", 16, "expected ',' or '/'");
	parse_bad("fakecpu//", 9, "empty term list");
	parse_bad("sched:nosuch", 1, "no tracepoint sched:nosuch");
	parse_bad("cycles,sched:", 14, "expected a tracepoint name");
	parse_bad("cycles:pppp", 11, "at most three");
}

static void test_error_keeps_list(void **state)
{
	(void)state;
	struct ev_list l = {0};
	struct ev_error err;
	parse_ok("cycles", &l);
	assert_int_equal(ev_parse("task-clock,{page-faults,bogus}", &env, &l, &err), -22);
	assert_int_equal(err.column, 25);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "cycles");
	ev_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_symbolic),	cmocka_unit_test(test_cache_and_raw),
	    cmocka_unit_test(test_modifiers),	cmocka_unit_test(test_pmu),
	    cmocka_unit_test(test_tracepoints), cmocka_unit_test(test_groups),
	    cmocka_unit_test(test_errors),	cmocka_unit_test(test_error_keeps_list),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
