/* kiln trace's strace-style decoding and bpftrace-style histogram labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "trace/decode.h"
#include "trace/hist.h"
#include "trace/sysnames.h"

static void test_quote(void **state)
{
	(void)state;
	struct sc_text t;
	sc_text_reset(&t);
	sc_text_quote(&t, "a\tb\n\"\\", 6, -1, false);
	assert_string_equal(t.buf, "\"a\\tb\\n\\\"\\\\\"");
	sc_text_reset(&t);
	/* octal escapes, padded only when a digit follows, like strace */
	sc_text_quote(&t,
		      "\177ELF\0"
		      "1\2",
		      7, -1, false);
	assert_string_equal(t.buf, "\"\\177ELF\\0001\\2\"");
	sc_text_reset(&t);
	sc_text_quote(&t, "0123456789", 10, 4, false);
	assert_string_equal(t.buf, "\"0123\"...");
}

static struct sc_event *event_for(const char *name, long ret)
{
	struct sc_event *ev = calloc(1, sizeof(*ev));
	ev->nr = trace_sysnum(name);
	ev->ret = ret;
	return ev;
}

static void decode_line(const struct sc_event *ev, char *out, size_t len)
{
	static struct sc_decoded d;
	struct sc_decode_opts o = {.strsize = 32};
	sc_decode(ev, sizeof(*ev), &o, &d);
	size_t n = snprintf(out, len, "%s(", sc_name(ev->nr));
	for (int i = 0; i < d.nargs; i++)
		n += snprintf(out + n, len - n, "%s%.*s", i ? ", " : "",
			      (int)(d.arg_end[i] - d.arg_start[i]), d.text.buf + d.arg_start[i]);
	snprintf(out + n, len - n, ") = %.*s", (int)(d.ret_end - d.ret_start),
		 d.text.buf + d.ret_start);
}

static void test_openat_enoent(void **state)
{
	(void)state;
	struct sc_spec specs[SC_NR_MAX];
	sc_fill_specs(specs, SC_NR_MAX);
	struct sc_event *ev = event_for("openat", -ENOENT);
	ev->args[0] = (uint64_t)(int64_t)AT_FDCWD;
	ev->args[1] = 0x1000;
	ev->args[2] = O_RDONLY | O_CLOEXEC;
	/* the path sits in the capture slot the spec gave it */
	int slot = specs[ev->nr].cap[0].kind == SC_CAP_STR_ENTER ? 0 : 1;
	strcpy(ev->cap[slot], "/nonexistent");
	ev->cap_len[slot] = strlen("/nonexistent");
	char line[512];
	decode_line(ev, line, sizeof(line));
	assert_string_equal(line, "openat(AT_FDCWD, \"/nonexistent\", O_RDONLY|O_CLOEXEC) = -1 "
				  "ENOENT (No such file or directory)");
	free(ev);
}

static void test_mmap_flags(void **state)
{
	(void)state;
	struct sc_event *ev = event_for("mmap", 0x7f0000001000);
	ev->args[1] = 8192;
	ev->args[2] = PROT_READ | PROT_WRITE;
	ev->args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
	ev->args[4] = (uint64_t)-1;
	char line[512];
	decode_line(ev, line, sizeof(line));
	assert_string_equal(line,
			    "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, "
			    "-1, 0) = 0x7f0000001000");
	free(ev);
}

static void test_unknown_syscall_raw(void **state)
{
	(void)state;
	struct sc_event *ev = event_for("getppid", 0);
	ev->nr = 499; /* unused number: raw registers */
	ev->args[0] = 0x10;
	char line[512];
	decode_line(ev, line, sizeof(line));
	assert_string_equal(line, "syscall_0x1f3(0x10, 0, 0, 0, 0, 0) = 0");
	free(ev);
}

static void test_closest(void **state)
{
	(void)state;
	assert_string_equal(trace_sys_closest("opnat"), "openat");
	assert_string_equal(trace_sys_closest("getppdi"), "getppid");
	assert_int_equal(trace_edit_distance("ab", "ba"), 1);
}

static void test_hist_labels(void **state)
{
	(void)state;
	char b[16];
	hist_label(b, sizeof(b), 0);
	assert_string_equal(b, "1");
	hist_label(b, sizeof(b), 9);
	assert_string_equal(b, "512");
	hist_label(b, sizeof(b), 10);
	assert_string_equal(b, "1K");
	hist_label(b, sizeof(b), 23);
	assert_string_equal(b, "8M");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	uint64_t slots[8] = {0, 0, 1, 0, 4, 0, 0, 0};
	hist_print(f, slots, 8);
	fclose(f);
	assert_string_equal(
	    out,
	    "[1]                    1 |@@@@@@@@@@@@@                                       |\n"
	    "[2, 4)                 0 |                                                    |\n"
	    "[4, 8)                 4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quote),      cmocka_unit_test(test_openat_enoent),
	    cmocka_unit_test(test_mmap_flags), cmocka_unit_test(test_unknown_syscall_raw),
	    cmocka_unit_test(test_closest),    cmocka_unit_test(test_hist_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
