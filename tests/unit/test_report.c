/* Reports: flat/cum accounting (recursion counted once), filters, pprof's order, the tree,
 * diffs, and the format registry's lookups. */
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

#include "format/format.h"
#include "format/report.h"

/* Adds `count` samples of the stack given root first as "a;b;c", with pid and comm. */
static void add_stack(struct kiln_profile *p, const char *stack, int64_t count, int pid,
		      const char *comm)
{
	uint32_t locs[32];
	uint32_t n = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", stack);
	for (char *save, *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		struct kiln_line l = {kiln_profile_function_named(p, tok, strlen(tok)), 0};
		locs[n] = kiln_profile_location(p, 0, n, KILN_FRAME_USER, &l, 1);
		n++;
	}
	/* Samples are leaf first. */
	for (uint32_t i = 0; i < n / 2; i++) {
		uint32_t t = locs[i];
		locs[i] = locs[n - 1 - i];
		locs[n - 1 - i] = t;
	}
	struct kiln_labels lab = {pid, pid, kiln_profile_intern_cstr(p, comm)};
	int64_t v[2] = {count, count * 10};
	assert_true(kiln_profile_add_sample(p, locs, n, &lab, v) >= 0);
}

static struct kiln_profile *sample_profile(void)
{
	struct kiln_profile *p = kiln_profile_new();
	kiln_profile_add_value_type(p, "samples", "count");
	kiln_profile_add_value_type(p, "cpu", "nanoseconds");
	add_stack(p, "main;work;hot", 60, 1, "app");
	add_stack(p, "main;work;cold", 20, 1, "app");
	add_stack(p, "main;rec;rec;rec", 10, 1, "app");
	add_stack(p, "main;other", 10, 2, "tool");
	return p;
}

static const struct report_fn *find(const struct report_table *t, const char *name)
{
	for (size_t i = 0; i < t->nfns; i++)
		if (!strcmp(t->fns[i].name, name))
			return &t->fns[i];
	return NULL;
}

static void flat_and_cum(void **state)
{
	(void)state;
	struct kiln_profile *p = sample_profile();
	struct report_options o;
	report_default_options(&o);
	struct report_table t;
	assert_int_equal(report_compute(p, &o, &t), 0);
	assert_int_equal(t.total, 100);
	assert_int_equal(t.nfns, 6);
	assert_int_equal(find(&t, "main")->cum, 100);
	assert_int_equal(find(&t, "main")->flat, 0);
	assert_int_equal(find(&t, "work")->cum, 80);
	assert_int_equal(find(&t, "hot")->flat, 60);
	/* Three frames of rec in one stack are one sample's worth of cum, not three. */
	assert_int_equal(find(&t, "rec")->cum, 10);
	assert_int_equal(find(&t, "rec")->flat, 10);
	report_sort(&t, false);
	assert_string_equal(t.fns[0].name, "hot");
	assert_string_equal(t.fns[1].name, "cold");
	/* Ties on flat (10) go by name, as pprof does. */
	assert_string_equal(t.fns[2].name, "other");
	assert_string_equal(t.fns[3].name, "rec");
	report_sort(&t, true);
	assert_string_equal(t.fns[0].name, "main");
	assert_string_equal(t.fns[1].name, "work");
	report_table_free(&t);

	o.value_col = 1;
	assert_int_equal(report_compute(p, &o, &t), 0);
	assert_int_equal(t.total, 1000);
	report_table_free(&t);
	kiln_profile_free(p);
}

/* A location holding "parse" with "isdigit" inlined into it, leaf first. */
static uint32_t inlined_location(struct kiln_profile *p, uint64_t addr)
{
	struct kiln_line lines[2] = {{kiln_profile_function_named(p, "isdigit", 7), 10},
				     {kiln_profile_function_named(p, "parse", 5), 20}};
	return kiln_profile_location(p, 0, addr, KILN_FRAME_USER, lines, 2);
}

/* pprof -top tags a function "(inline)" when every call into it was inlined and
 * "(partial-inline)" when only some were; recursion is not a call. */
static void inline_tags_like_pprof(void **state)
{
	(void)state;
	struct kiln_profile *p = kiln_profile_new();
	kiln_profile_add_value_type(p, "samples", "count");
	struct kiln_line main_line = {kiln_profile_function_named(p, "main", 4), 1};
	uint32_t main_loc = kiln_profile_location(p, 0, 0x10, KILN_FRAME_USER, &main_line, 1);
	struct kiln_labels lab = kiln_labels_none();
	int64_t one[1] = {1};
	uint32_t s1[2] = {inlined_location(p, 0x20), main_loc};
	assert_true(kiln_profile_add_sample(p, s1, 2, &lab, one) >= 0);
	struct report_options o;
	report_default_options(&o);
	struct report_table t;
	assert_int_equal(report_compute(p, &o, &t), 0);
	assert_int_equal(find(&t, "isdigit")->inlined, REPORT_INLINED);
	assert_int_equal(find(&t, "parse")->inlined, REPORT_NOT_INLINED);
	assert_int_equal(find(&t, "main")->inlined, REPORT_NOT_INLINED);
	report_table_free(&t);

	/* isdigit also called out of line (from main): partly inlined. */
	struct kiln_line dig = {kiln_profile_function_named(p, "isdigit", 7), 30};
	uint32_t s2[2] = {kiln_profile_location(p, 0, 0x30, KILN_FRAME_USER, &dig, 1), main_loc};
	assert_true(kiln_profile_add_sample(p, s2, 2, &lab, one) >= 0);
	assert_int_equal(report_compute(p, &o, &t), 0);
	assert_int_equal(find(&t, "isdigit")->inlined, REPORT_PARTLY_INLINED);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_int_equal(report_print(p, out, &o), 0);
	fclose(out);
	assert_non_null(strstr(buf, "  isdigit (partial-inline)\n"));
	assert_non_null(strstr(buf, "  parse\n"));
	free(buf);
	report_table_free(&t);
	kiln_profile_free(p);
}

static void filters(void **state)
{
	(void)state;
	struct kiln_profile *p = sample_profile();
	struct report_options o;
	report_default_options(&o);
	struct report_table t;
	o.pid = 2;
	assert_int_equal(report_compute(p, &o, &t), 0);
	assert_int_equal(t.total, 10);
	assert_null(find(&t, "hot"));
	report_table_free(&t);
	o.pid = -1;
	o.comm = "app";
	assert_int_equal(report_compute(p, &o, &t), 0);
	assert_int_equal(t.total, 90);
	assert_null(find(&t, "other"));
	report_table_free(&t);
	kiln_profile_free(p);
}

static char *print_to_string(int (*fn)(FILE *, void *), void *arg)
{
	static char buf[16384];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(fn(f, arg), 0);
	fclose(f);
	return buf;
}

static int top3(FILE *f, void *arg)
{
	return report_print_top(arg, f, 3, 0);
}

static void print_top_lists_n_rows(void **state)
{
	(void)state;
	struct kiln_profile *p = sample_profile();
	char *out = print_to_string(top3, p);
	assert_non_null(strstr(out, "Total: 100 samples"));
	assert_non_null(strstr(out, "showing 3 of 6 functions"));
	/* hot: 60 flat, 60%, sum 60% */
	assert_non_null(strstr(out, "60  60.00%  60.00%"));
	assert_null(strstr(out, " rec\n"));
	assert_null(strstr(out, "By cumulative"));
	kiln_profile_free(p);
}

static int tree5(FILE *f, void *arg)
{
	struct report_options o;
	report_default_options(&o);
	o.tree = true;
	o.threshold = 15;
	return report_print(arg, f, &o);
}

static void tree_nests_and_hides_small(void **state)
{
	(void)state;
	struct kiln_profile *p = sample_profile();
	char *out = print_to_string(tree5, p);
	assert_non_null(strstr(out, "100.00%          100            0  main\n"));
	assert_non_null(strstr(out, " 80.00%           80            0    work\n"));
	assert_non_null(strstr(out, " 60.00%           60           60      hot\n"));
	/* rec and other are 10%: under the 15% threshold. */
	assert_null(strstr(out, "rec"));
	assert_null(strstr(out, "other"));
	/* work (80) comes before cold's sibling-less branch; hot before cold. */
	assert_true(strstr(out, "hot") < strstr(out, "cold"));
	kiln_profile_free(p);
}

static void diff_ranks_changes(void **state)
{
	(void)state;
	struct kiln_profile *a = sample_profile(), *b = kiln_profile_new();
	kiln_profile_add_value_type(b, "samples", "count");
	kiln_profile_add_value_type(b, "cpu", "nanoseconds");
	add_stack(b, "main;work;hot", 20, 1, "app");
	add_stack(b, "main;work;cold", 60, 1, "app");
	add_stack(b, "main;rec;rec;rec", 10, 1, "app");
	add_stack(b, "main;other", 10, 2, "tool");
	char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct report_options o;
	report_default_options(&o);
	assert_int_equal(report_print_diff(a, b, f, &o), 0);
	fclose(f);
	/* hot and cold swapped 40 points of share; rec/other did not move. */
	char *hot = strstr(buf, "-40.00%"), *cold = strstr(buf, "+40.00%");
	assert_non_null(hot);
	assert_non_null(cold);
	assert_true(strstr(buf, " rec\n") > hot && strstr(buf, " rec\n") > cold);

	struct kiln_profile *m = report_merge_diff(a, b, 0);
	assert_non_null(m);
	assert_int_equal(m->nvalues, 2);
	assert_int_equal(kiln_profile_total(m, 0), 100);
	assert_int_equal(kiln_profile_total(m, 1), 100);
	/* Same stacks merge: 4 distinct stacks (labels included). */
	assert_int_equal(m->nsamples, 4);
	kiln_profile_free(m);
	kiln_profile_free(a);
	kiln_profile_free(b);
}

static void value_column_by_name_or_index(void **state)
{
	(void)state;
	struct kiln_profile *p = sample_profile();
	assert_int_equal(report_value_col(p, NULL), 0);
	assert_int_equal(report_value_col(p, "cpu"), 1);
	assert_int_equal(report_value_col(p, "1"), 1);
	assert_int_equal(report_value_col(p, "2"), -EINVAL);
	assert_int_equal(report_value_col(p, "bogus"), -EINVAL);
	kiln_profile_free(p);
}

static void registry_lookups(void **state)
{
	(void)state;
	assert_string_equal(kiln_format_for_path("x/cpu.pb.gz")->name, "pprof");
	assert_string_equal(kiln_format_for_path("a.pprof")->name, "pprof");
	assert_string_equal(kiln_format_for_path("out.folded")->name, "folded");
	assert_string_equal(kiln_format_for_path("g.svg")->name, "svg");
	assert_string_equal(kiln_format_for_path("/tmp/perf.data")->name, "perf");
	assert_null(kiln_format_for_path("notes.md"));
	assert_null(kiln_format_for_path(".svg.bak"));
	assert_non_null(kiln_format_named("pprof")->read);
	assert_non_null(kiln_format_named("pprof")->write);
	assert_null(kiln_format_named("nope"));
	assert_non_null(strstr(kiln_format_names(true), "pprof"));
}

static void sniffing_prefers_content(void **state)
{
	(void)state;
	/* A pprof file named .txt is still pprof: gzip magic wins over the extension. */
	char path[] = "/tmp/kiln-test-report-XXXXXX.txt";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x1f\x8b\x08\x00", 4), 4);
	close(fd);
	const struct kiln_format *f = kiln_format_sniff(path);
	assert_non_null(f);
	assert_string_equal(f->name, "pprof");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(flat_and_cum),
	    cmocka_unit_test(inline_tags_like_pprof),
	    cmocka_unit_test(filters),
	    cmocka_unit_test(print_top_lists_n_rows),
	    cmocka_unit_test(tree_nests_and_hides_small),
	    cmocka_unit_test(diff_ranks_changes),
	    cmocka_unit_test(value_column_by_name_or_index),
	    cmocka_unit_test(registry_lookups),
	    cmocka_unit_test(sniffing_prefers_content),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
