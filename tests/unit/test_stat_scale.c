/* Counting arithmetic and what is printed from it: multiplexing scale-up, interval deltas, the
 * mean and error of repeated runs, derived metrics, and perf's CSV/JSON line formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stat/print.h"
#include "stat/scale.h"

static void test_scale_full_time(void **state)
{
	(void)state;
	struct count c = {12345, 1000, 1000};
	double v, pct;
	assert_int_equal(count_scale(&c, &v, &pct), COUNT_OK);
	assert_true(v == 12345.0);
	assert_true(pct == 100.0);
}

static void test_scale_multiplexed(void **state)
{
	(void)state;
	struct count c = {1000, 3000, 1000}; /* ran a third of the time */
	double v, pct;
	assert_int_equal(count_scale(&c, &v, &pct), COUNT_OK);
	assert_true(fabs(v - 3000.0) < 1e-9);
	assert_true(fabs(pct - 100.0 / 3) < 1e-9);
	struct count odd = {7, 10, 4}; /* 17.5: the fraction is kept */
	assert_int_equal(count_scale(&odd, &v, &pct), COUNT_OK);
	assert_true(fabs(v - 17.5) < 1e-12);
	assert_true(fabs(pct - 40.0) < 1e-12);
}

static void test_scale_no_overflow(void **state)
{
	(void)state;
	/* val * ena is 2^102: a 64-bit product would wrap */
	struct count c = {1ULL << 62, 1ULL << 40, 1ULL << 39};
	double v, pct;
	assert_int_equal(count_scale(&c, &v, &pct), COUNT_OK);
	assert_true(v == ldexp(1.0, 63));
	assert_true(pct == 50.0);
}

static void test_scale_not_counted(void **state)
{
	(void)state;
	struct count never = {0, 5000, 0}, idle = {0, 0, 0};
	double v, pct;
	assert_int_equal(count_scale(&never, &v, &pct), COUNT_NOT_COUNTED);
	assert_int_equal(count_scale(&idle, &v, &pct), COUNT_NOT_COUNTED);
	assert_true(v == 0);
}

static void test_delta_and_sum(void **state)
{
	(void)state;
	struct count prev = {100, 1000, 500}, cur = {250, 3000, 1500};
	struct count d = count_delta(&cur, &prev);
	assert_int_equal(d.val, 150);
	assert_int_equal(d.ena, 2000);
	assert_int_equal(d.run, 1000);
	struct count sum = {0, 0, 0};
	count_add(&sum, &prev);
	count_add(&sum, &d);
	assert_int_equal(sum.val, cur.val);
	assert_int_equal(sum.ena, cur.ena);
	assert_int_equal(sum.run, cur.run);
	/* A counter read smaller than before was reset: the delta is the new reading. */
	struct count reset = {5, 10, 10};
	d = count_delta(&reset, &prev);
	assert_int_equal(d.val, 5);
}

static void test_run_stats(void **state)
{
	(void)state;
	struct run_stats s = {0, 0, 0};
	assert_true(stats_stddev(&s) == 0);
	stats_update(&s, 10);
	assert_true(stats_stderr(&s) == 0);
	s = (struct run_stats){0, 0, 0};
	for (int i = 1; i <= 5; i++)
		stats_update(&s, i);
	assert_int_equal(s.n, 5);
	assert_true(fabs(s.mean - 3) < 1e-12);
	assert_true(fabs(stats_stddev(&s) - sqrt(2.5)) < 1e-12);
	assert_true(fabs(stats_stderr(&s) - sqrt(2.5 / 5)) < 1e-12);
	assert_true(fabs(stats_rel_pct(&s) - 100 * sqrt(0.5) / 3) < 1e-9);
	struct run_stats same = {0, 0, 0};
	for (int i = 0; i < 4; i++)
		stats_update(&same, 100000);
	assert_true(stats_rel_pct(&same) == 0);
}

static struct ev_spec spec(const char *name, __u32 type, __u64 config)
{
	struct ev_spec e;
	memset(&e, 0, sizeof(e));
	e.name = (char *)name;
	e.attr.type = type;
	e.attr.config = config;
	return e;
}

static void test_metrics(void **state)
{
	(void)state;
	struct ev_spec tc = spec("task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK),
		       cs = spec("cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES),
		       pf = spec("page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS),
		       cyc = spec("cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES),
		       ins = spec("instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS),
		       br = spec("branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS),
		       bm = spec("branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES),
		       l1 = spec("L1-dcache-loads", PERF_TYPE_HW_CACHE, 0),
		       l1m = spec("L1-dcache-load-misses", PERF_TYPE_HW_CACHE, 1 << 16),
		       llcm = spec("LLC-load-misses", PERF_TYPE_HW_CACHE, 2 | 1 << 16);
	struct stat_row rows[] = {
	    {&tc, ROW_OK, 2e9, 0, 100, -1, -1},	 {&cs, ROW_OK, 1000, 0, 100, -1, -1},
	    {&pf, ROW_OK, 5e6, 0, 100, -1, -1},	 {&cyc, ROW_OK, 4e9, 0, 100, -1, -1},
	    {&ins, ROW_OK, 8e9, 0, 100, -1, -1}, {&br, ROW_OK, 1000, 0, 100, -1, -1},
	    {&bm, ROW_OK, 10, 0, 100, -1, -1},	 {&l1, ROW_OK, 400, 0, 100, -1, -1},
	    {&l1m, ROW_OK, 100, 0, 100, -1, -1}, {&llcm, ROW_OK, 5, 0, 100, -1, -1},
	};
	size_t n = sizeof(rows) / sizeof(rows[0]);
	struct stat_metric m = stat_metric_for(rows, n, 0, 1e9);
	assert_true(m.has && fabs(m.value - 2.0) < 1e-12);
	assert_string_equal(m.unit, "CPUs utilized");
	m = stat_metric_for(rows, n, 1, 1e9); /* per second of task time, not of wall time */
	assert_true(m.has && fabs(m.value - 500) < 1e-9);
	assert_string_equal(m.unit, "/sec");
	m = stat_metric_for(rows, n, 2, 1e9);
	assert_true(fabs(m.value - 2.5) < 1e-9);
	assert_string_equal(m.unit, "M/sec");
	m = stat_metric_for(rows, n, 3, 1e9);
	assert_true(fabs(m.value - 2.0) < 1e-12);
	assert_string_equal(m.unit, "GHz");
	m = stat_metric_for(rows, n, 4, 1e9);
	assert_true(fabs(m.value - 2.0) < 1e-12);
	assert_string_equal(m.unit, "insn per cycle");
	m = stat_metric_for(rows, n, 6, 1e9);
	assert_true(m.percent && fabs(m.value - 1.0) < 1e-12);
	assert_string_equal(m.unit, "of all branches");
	m = stat_metric_for(rows, n, 8, 1e9);
	assert_true(m.percent && fabs(m.value - 25.0) < 1e-12);
	assert_string_equal(m.unit, "of all L1-dcache accesses");
	m = stat_metric_for(rows, n, 9, 1e9); /* no LLC-loads counted beside it */
	assert_false(m.has);
	/* Nothing derived from a cycles count that was not supported. */
	rows[3].state = ROW_NOT_SUPPORTED;
	assert_false(stat_metric_for(rows, n, 4, 1e9).has);
	assert_false(stat_metric_for(rows, n, 3, 1e9).has);
}

static void test_metrics_per_cpu(void **state)
{
	(void)state;
	struct ev_spec tc = spec("task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK),
		       cs = spec("cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES);
	struct stat_row rows[] = {{&tc, ROW_OK, 1e9, 0, 100, -1, 0},
				  {&tc, ROW_OK, 5e8, 0, 100, -1, 1},
				  {&cs, ROW_OK, 100, 0, 100, -1, 0},
				  {&cs, ROW_OK, 100, 0, 100, -1, 1}};
	assert_true(fabs(stat_metric_for(rows, 4, 2, 1e9).value - 100) < 1e-9);
	assert_true(fabs(stat_metric_for(rows, 4, 3, 1e9).value - 200) < 1e-9);
	assert_true(fabs(stat_metric_for(rows, 4, 1, 1e9).value - 0.5) < 1e-12);
}

static char *print_to_string(const struct stat_printer *tmpl, const struct stat_row *rows, size_t n,
			     double interval)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat_printer p = *tmpl;
	p.out = open_memstream(&buf, &len);
	assert_non_null(p.out);
	stat_print_rows(&p, rows, n, 1e9, interval);
	fclose(p.out);
	return buf;
}

static void test_csv_json_lines(void **state)
{
	(void)state;
	struct ev_spec tc = spec("task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK),
		       cyc = spec("cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES),
		       pf = spec("page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS);
	struct stat_row rows[] = {{&tc, ROW_OK, 3698926, 3698926, 100, -1, -1},
				  {&cyc, ROW_NOT_SUPPORTED, 0, 0, 100, -1, -1},
				  {&pf, ROW_OK, 94, 1000, 50, -1, -1}};
	struct stat_printer csv = {NULL, STAT_CSV, ",", false, false};
	char *s = print_to_string(&csv, rows, 3, -1);
	/* perf stat -x, prints these very lines */
	assert_string_equal(s, "3.70,msec,task-clock,3698926,100.00,0.004,CPUs utilized\n"
			       "<not supported>,,cycles,0,100.00,,\n"
			       "94,,page-faults,1000,50.00,25.413,K/sec\n");
	free(s);
	struct stat_printer json = {NULL, STAT_JSON, NULL, false, false};
	s = print_to_string(&json, rows, 2, 0.5);
	assert_string_equal(
	    s,
	    "{\"interval\" : 0.500000000, \"counter-value\" : \"3.698926\", \"unit\" : \"msec\", "
	    "\"event\" : \"task-clock\", \"event-runtime\" : 3698926, \"pcnt-running\" : 100.00, "
	    "\"metric-value\" : 0.003699, \"metric-unit\" : \"CPUs utilized\"}\n"
	    "{\"interval\" : 0.500000000, \"counter-value\" : \"<not supported>\", \"unit\" : "
	    "\"\", \"event\" : \"cycles\", \"event-runtime\" : 0, \"pcnt-running\" : 100.00, "
	    "\"metric-value\" : 0.000000, \"metric-unit\" : \"\"}\n");
	free(s);
	struct stat_printer text = {NULL, STAT_TEXT, NULL, false, false};
	s = print_to_string(&text, rows, 3, -1);
	assert_string_equal(s,
			    "              3.70 msec task-clock                       #    0.004 "
			    "CPUs utilized          \n"
			    "   <not supported>      cycles                                    "
			    "                  \n"
			    "                94      page-faults                      #   25.413 "
			    "K/sec                    (50.00%)\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scale_full_time),   cmocka_unit_test(test_scale_multiplexed),
	    cmocka_unit_test(test_scale_no_overflow), cmocka_unit_test(test_scale_not_counted),
	    cmocka_unit_test(test_delta_and_sum),     cmocka_unit_test(test_run_stats),
	    cmocka_unit_test(test_metrics),	      cmocka_unit_test(test_metrics_per_cpu),
	    cmocka_unit_test(test_csv_json_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
