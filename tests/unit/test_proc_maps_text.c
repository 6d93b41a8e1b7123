/* The hand-written /proc/PID/maps parser (util/proc_maps_text.h): every field of real
 * lines, the odd paths the kernel prints, and lines it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "util/proc_maps_text.h"

static void fields_of_a_file_mapping(void **state)
{
	(void)state;
	struct maps_line m;
	assert_true(maps_line_parse("7f1c2a400000-7f1c2a428000 r-xp 00028000 fe:01 1835043         "
				    "         /usr/lib/x86_64-linux-gnu/libc.so.6",
				    &m));
	assert_int_equal(m.start, 0x7f1c2a400000ULL);
	assert_int_equal(m.end, 0x7f1c2a428000ULL);
	assert_true(m.exec);
	assert_int_equal(m.offset, 0x28000);
	assert_int_equal(m.dev_major, 0xfe);
	assert_int_equal(m.dev_minor, 1);
	assert_int_equal(m.inode, 1835043);
	assert_string_equal(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
}

static void odd_paths_and_anonymous_memory(void **state)
{
	(void)state;
	struct maps_line m;
	assert_true(maps_line_parse("55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0 ", &m));
	assert_false(m.exec);
	assert_string_equal(m.path, "");
	assert_true(maps_line_parse("7ffd5b1e2000-7ffd5b1e4000 r-xp 00000000 00:00 0  [vdso]", &m));
	assert_string_equal(m.path, "[vdso]");
	assert_true(maps_line_parse(
	    "7f00-8f00 r-xp 00001000 00:01 1024   /memfd:sealed-91173221a7ea (deleted)", &m));
	assert_string_equal(m.path, "/memfd:sealed-91173221a7ea (deleted)");
	assert_true(maps_line_parse("1000-2000 r-xp 0 08:10 7 /opt/my app/bin  two", &m));
	assert_string_equal(m.path, "/opt/my app/bin  two");
	/* The largest addresses the format can hold. */
	assert_true(maps_line_parse(
	    "ffffffffff600000-ffffffffffffffff --xp 00000000 00:00 0  [vsyscall]", &m));
	assert_int_equal(m.end, UINT64_MAX);
	assert_true(m.exec);
}

static void malformed_lines_are_refused(void **state)
{
	(void)state;
	static const char *bad[] = {
	    "",
	    "garbage",
	    "1000-2000",
	    "1000 2000 r-xp 0 08:10 7 /x",
	    "1000-2000 r- 0 08:10 7 /x",
	    "1000-2000 r-xp zz 08:10 7 /x",
	    "1000-2000 r-xp 0 0810 7 /x",
	    "1000-2000 r-xp 0 08:10 x /x",
	    "10000000000000000-2000 r-xp 0 08:10 7 /x", /* 65 bits */
	};
	struct maps_line m;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(maps_line_parse(bad[i], &m));
}

static int count_exec(void *arg, const struct maps_line *m)
{
	if (m->exec && strstr(m->path, "test_proc_maps_text"))
		(*(int *)arg)++;
	return 0;
}

static int stop_at_first(void *arg, const struct maps_line *m)
{
	(void)m;
	(*(int *)arg)++;
	return 42;
}

/* The test's own maps: its executable code is there, and a callback's value stops the walk. */
static void own_maps(void **state)
{
	(void)state;
	int n = 0;
	assert_int_equal(maps_each_line(0, count_exec, &n), 0);
	assert_true(n >= 1);
	n = 0;
	assert_int_equal(maps_each_line(getpid(), stop_at_first, &n), 42);
	assert_int_equal(n, 1);
	assert_int_equal(maps_each_line(0x7ffffffe, count_exec, &n), -ESRCH);
}

/* kiln's own vdso: the ELF image the kernel announces, found once and the same after. */
static void own_vdso(void **state)
{
	(void)state;
	size_t size = 0, again = 0;
	const void *image = vdso_image(&size);
	assert_non_null(image);
	assert_ptr_equal(image, (const void *)(uintptr_t)getauxval(AT_SYSINFO_EHDR));
	assert_true(size >= 4096);
	assert_memory_equal(image, "\177ELF", 4);
	assert_ptr_equal(vdso_image(&again), image);
	assert_int_equal(again, size);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fields_of_a_file_mapping),
	    cmocka_unit_test(odd_paths_and_anonymous_memory),
	    cmocka_unit_test(malformed_lines_are_refused),
	    cmocka_unit_test(own_maps),
	    cmocka_unit_test(own_vdso),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
