/* The profile model: interning, deduplication and aggregation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "profile/profile.h"

static void strings_are_interned_once(void **state)
{
	(void)state;
	struct kiln_profile *p = kiln_profile_new();
	assert_non_null(p);
	assert_string_equal(kiln_profile_str(p, 1), "");
	uint32_t a = kiln_profile_intern_cstr(p, "main");
	uint32_t b = kiln_profile_intern(p, "main()", 4);
	assert_int_equal(a, b);
	assert_string_equal(kiln_profile_str(p, a), "main");
	assert_int_not_equal(a, kiln_profile_intern_cstr(p, "mai"));
	kiln_profile_free(p);
}

static void identical_stacks_aggregate(void **state)
{
	(void)state;
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(kiln_profile_add_value_type(p, "samples", "count"), 0);
	uint32_t f_main = kiln_profile_function_named(p, "main", 4);
	uint32_t f_leaf = kiln_profile_function_named(p, "leaf", 4);
	struct kiln_line lmain = {f_main, 0}, lleaf = {f_leaf, 0};
	uint32_t stack[2] = {kiln_profile_location(p, 0, 0x10, KILN_FRAME_USER, &lleaf, 1),
			     kiln_profile_location(p, 0, 0x20, KILN_FRAME_USER, &lmain, 1)};
	assert_int_equal(stack[0], kiln_profile_location(p, 0, 0x10, KILN_FRAME_USER, &lleaf, 1));
	struct kiln_labels lab = {.pid = 7, .tid = 8, .comm = kiln_profile_intern_cstr(p, "w")};
	int64_t one = 1;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(kiln_profile_add_sample(p, stack, 2, &lab, &one), 0);
	lab.tid = 9;
	assert_int_equal(kiln_profile_add_sample(p, stack, 2, &lab, &one), 1);
	assert_int_equal(p->nsamples, 2);
	assert_int_equal(p->samples[0].values[0], 1000);
	assert_int_equal(kiln_profile_total(p, 0), 1001);
	const uint32_t *locs = kiln_profile_sample_locs(p, &p->samples[1]);
	const struct kiln_location *leaf = kiln_profile_get_location(p, locs[0]);
	assert_int_equal(leaf->address, 0x10);
	const struct kiln_function *fn =
	    kiln_profile_get_function(p, p->lines[leaf->first_line].function);
	assert_string_equal(kiln_profile_str(p, fn->name), "leaf");
	kiln_profile_free(p);
}

/* Kernel-aggregated counts come back drain after drain for a sample already built. */
static void counts_add_to_a_known_sample(void **state)
{
	(void)state;
	struct kiln_profile *p = kiln_profile_new();
	kiln_profile_add_value_type(p, "samples", "count");
	uint32_t f = kiln_profile_function_named(p, "leaf", 4);
	struct kiln_line l = {f, 0};
	uint32_t loc = kiln_profile_location(p, 0, 0x10, KILN_FRAME_USER, &l, 1);
	int64_t three = 3, big = INT64_MAX - 3;
	long idx = kiln_profile_add_sample(p, &loc, 1, NULL, &three);
	assert_int_equal(idx, 0);
	assert_int_equal(kiln_profile_add_to_sample(p, idx, &three), 0);
	assert_int_equal(p->samples[0].values[0], 6);
	assert_int_equal(kiln_profile_total(p, 0), 6);
	assert_int_equal(kiln_profile_add_to_sample(p, 1, &three), -EINVAL);
	assert_int_equal(kiln_profile_add_to_sample(p, -1, &three), -EINVAL);
	assert_int_equal(kiln_profile_add_to_sample(p, idx, &big), -EOVERFLOW);
	assert_int_equal(p->samples[0].values[0], 6);
	/* Times are kept unless no output will use them. */
	assert_int_equal(kiln_profile_add_event(p, 100, 0, 3), 0);
	assert_int_equal(p->nevents, 1);
	p->skip_events = true;
	assert_int_equal(kiln_profile_add_event(p, 200, 0, 3), 0);
	assert_int_equal(p->nevents, 1);
	kiln_profile_free(p);
}

static void many_distinct_samples_survive_growth(void **state)
{
	(void)state;
	struct kiln_profile *p = kiln_profile_new();
	kiln_profile_add_value_type(p, "samples", "count");
	int64_t v = 2;
	for (uint32_t i = 0; i < 50000; i++) {
		struct kiln_line l = {kiln_profile_function_named(p, "f", 1), (int32_t)i};
		uint32_t loc = kiln_profile_location(p, 0, i, KILN_FRAME_USER, &l, 1);
		assert_true(kiln_profile_add_sample(p, &loc, 1, NULL, &v) >= 0);
	}
	assert_int_equal(p->nsamples, 50000);
	assert_int_equal(kiln_profile_nlocations(p), 50000);
	assert_int_equal(kiln_profile_total(p, 0), 100000);
	kiln_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(strings_are_interned_once),
	    cmocka_unit_test(identical_stacks_aggregate),
	    cmocka_unit_test(counts_add_to_a_known_sample),
	    cmocka_unit_test(many_distinct_samples_survive_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
