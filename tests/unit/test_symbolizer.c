/* Symbolization against real code: this test binary's own functions (PIE, with DWARF), libc,
 * the running kernel, a perf JIT map, a process that has exited, inlined code, demangling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbol/demangle.h"
#include "symbol/symbolizer.h"

/* Functions whose addresses the tests resolve; noinline keeps them real, distinct functions. */
__attribute__((noinline)) int kiln_symtest_alpha(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 7 + 3;
}

__attribute__((noinline)) int kiln_symtest_beta(int x)
{
	__asm__ volatile("" ::: "memory");
	return kiln_symtest_alpha(x) - 1;
}

/* Inlined into its caller whatever the optimization level. */
static inline __attribute__((always_inline)) int kiln_symtest_inner(volatile int *v)
{
	int r = *v * 5; /* INNER_LINE */
	return r + (*v >> 2);
}

__attribute__((noinline)) int kiln_symtest_outer(volatile int *v)
{
	int s = *v + 1;
	s += kiln_symtest_inner(v); /* CALL_LINE */
	return s * 3;
}

static const char *fn_name(struct kiln_profile *p, uint32_t loc, uint32_t line)
{
	const struct kiln_location *l = kiln_profile_get_location(p, loc);
	if (!l || line >= l->nlines)
		return "";
	const struct kiln_function *f =
	    kiln_profile_get_function(p, p->lines[l->first_line + line].function);
	return f ? kiln_profile_str(p, f->name) : "";
}

static const struct kiln_line *loc_line(struct kiln_profile *p, uint32_t loc, uint32_t line)
{
	const struct kiln_location *l = kiln_profile_get_location(p, loc);
	return &p->lines[l->first_line + line];
}

/* The line of this source file holding marker, so the test does not hard-code numbers. */
static int source_line(const char *marker)
{
	FILE *f = fopen(__FILE__, "r");
	if (!f)
		f = fopen("tests/unit/test_symbolizer.c", "r");
	if (!f)
		return -1;
	char buf[512];
	int n = 0, found = -1;
	while (fgets(buf, sizeof(buf), f)) {
		n++;
		if (strstr(buf, marker) && !strstr(buf, "source_line")) {
			found = n;
			break;
		}
	}
	fclose(f);
	return found;
}

static void own_functions_resolve(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	uint32_t a = sym_user_location(s, p, getpid(), (uint64_t)(uintptr_t)kiln_symtest_alpha + 2);
	uint32_t b = sym_user_location(s, p, getpid(), (uint64_t)(uintptr_t)kiln_symtest_beta);
	assert_string_equal(fn_name(p, a, 0), "kiln_symtest_alpha");
	assert_string_equal(fn_name(p, b, 0), "kiln_symtest_beta");
	const struct kiln_location *la = kiln_profile_get_location(p, a);
	assert_int_equal(la->kind, KILN_FRAME_USER);
	assert_int_equal(la->address, (uint64_t)(uintptr_t)kiln_symtest_alpha + 2);
	/* The mapping is the test binary, with the build id the linker put in. */
	const struct kiln_mapping *m = kiln_profile_get_mapping(p, la->mapping);
	assert_non_null(m);
	assert_non_null(strstr(kiln_profile_str(p, m->filename), "test_symbolizer"));
	assert_true(strlen(kiln_profile_str(p, m->build_id)) >= 16);
	/* DWARF: the function's file and a line inside it. */
	const struct kiln_function *f = kiln_profile_get_function(p, loc_line(p, a, 0)->function);
	assert_non_null(strstr(kiln_profile_str(p, f->filename), "test_symbolizer.c"));
	assert_true(loc_line(p, a, 0)->line >= f->start_line);
	assert_true(f->start_line > 0);
	/* The same address again is the same location, from the cache. */
	assert_int_equal(
	    a, sym_user_location(s, p, getpid(), (uint64_t)(uintptr_t)kiln_symtest_alpha + 2));
	struct sym_stats st;
	sym_get_stats(s, &st);
	assert_int_equal(st.user_resolved, 3);
	assert_int_equal(st.user_unresolved, 0);
	assert_string_equal(sym_process_name(s, getpid()), "test_symbolizer");
	kiln_profile_free(p);
	symbolizer_free(s);
}

static void libc_function_resolves(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	/* getenv: exported once under one name, no IFUNC, not in this binary. */
	char *(*fn)(const char *) = getenv;
	uint32_t loc = sym_user_location(s, p, getpid(), (uint64_t)(uintptr_t)fn + 8);
	assert_string_equal(fn_name(p, loc, kiln_profile_get_location(p, loc)->nlines - 1),
			    "getenv");
	const struct kiln_mapping *m =
	    kiln_profile_get_mapping(p, kiln_profile_get_location(p, loc)->mapping);
	assert_non_null(strstr(kiln_profile_str(p, m->filename), "libc.so"));
	kiln_profile_free(p);
	symbolizer_free(s);
}

static void unknown_addresses_are_named_like_perf(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	uint32_t loc = sym_user_location(s, p, getpid(), 0x10);
	assert_string_equal(fn_name(p, loc, 0), "[unknown]");
	/* A pid never seen: nothing known, still a location. */
	loc = sym_user_location(s, p, 999999999, 0x401000);
	assert_string_equal(fn_name(p, loc, 0), "[unknown]");
	/* A known mapping of a file that has no symbol there: the module's name. */
	sym_process_mmap(s, 4242, 0x700000000000, 0x1000, 0, "/nonexistent/libgone.so.1", true);
	loc = sym_user_location(s, p, 4242, 0x700000000010);
	assert_string_equal(fn_name(p, loc, 0), "[libgone.so.1]");
	struct sym_stats st;
	sym_get_stats(s, &st);
	assert_int_equal(st.user_unresolved, 3);
	kiln_profile_free(p);
	symbolizer_free(s);
}

static void kernel_symbol_resolves(void **state)
{
	(void)state;
	FILE *f = fopen("/proc/kallsyms", "r");
	assert_non_null(f);
	char line[512], name[256] = "";
	uint64_t addr = 0;
	while (fgets(line, sizeof(line), f)) {
		char type;
		if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) == 3 &&
		    !strcmp(name, "vfs_read"))
			break;
		name[0] = 0;
	}
	fclose(f);
	if (!name[0] || !addr) {
		skip(); /* hidden addresses (not root, kptr_restrict) */
		return;
	}
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	uint32_t loc = sym_kernel_location(s, p, addr + 0x10);
	assert_string_equal(fn_name(p, loc, 0), "vfs_read");
	assert_int_equal(kiln_profile_get_location(p, loc)->kind, KILN_FRAME_KERNEL);
	/* A return address at a function's first byte belongs to the call before it. */
	uint32_t ra = sym_kernel_location_ra(s, p, addr);
	assert_string_not_equal(fn_name(p, ra, 0), "vfs_read");
	assert_int_equal(kiln_profile_get_location(p, ra)->address, addr);
	struct sym_stats st;
	sym_get_stats(s, &st);
	assert_int_equal(st.kernel_resolved, 2);
	assert_false(st.kernel_addresses_hidden);
	kiln_profile_free(p);
	symbolizer_free(s);
}

static void hidden_kernel_addresses_are_reported(void **state)
{
	(void)state;
	char path[] = "/tmp/kiln-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "0000000000000000 T _stext\n0000000000000000 T vfs_read\n"
			    "0000000000000000 t helper\t[somemod]\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_load_kallsyms(s, path), 0);
	unlink(path);
	uint32_t loc = sym_kernel_location(s, p, 0xffffffff81234567ull);
	assert_string_equal(fn_name(p, loc, 0), "[unknown]");
	assert_int_equal(kiln_profile_get_location(p, loc)->kind, KILN_FRAME_KERNEL);
	struct sym_stats st;
	sym_get_stats(s, &st);
	assert_true(st.kernel_addresses_hidden);
	assert_int_equal(st.kernel_unresolved, 1);
	kiln_profile_free(p);
	symbolizer_free(s);
}

static void module_symbols_resolve(void **state)
{
	(void)state;
	char path[] = "/tmp/kiln-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "ffffffff81000000 T _stext\n"
			    "ffffffff81000100 T do_work\n"
			    "ffffffff81000200 D some_data\n"
			    "ffffffffc0001000 t mod_fn\t[mymod]\n"
			    "ffffffffc0001080 t mod_other\t[mymod]\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_load_kallsyms(s, path), 0);
	unlink(path);
	assert_string_equal(fn_name(p, sym_kernel_location(s, p, 0xffffffff81000150), 0),
			    "do_work");
	uint32_t m = sym_kernel_location(s, p, 0xffffffffc0001010);
	assert_string_equal(fn_name(p, m, 0), "mod_fn");
	const struct kiln_mapping *map =
	    kiln_profile_get_mapping(p, kiln_profile_get_location(p, m)->mapping);
	assert_string_equal(kiln_profile_str(p, map->filename), "[mymod]");
	assert_string_equal(fn_name(p, sym_kernel_location(s, p, 0xffffffffc0001090), 0),
			    "mod_other");
	/* Below the first symbol, and far past the last of a module: unknown. */
	assert_string_equal(fn_name(p, sym_kernel_location(s, p, 0xffffffff80000000), 0),
			    "[unknown]");
	assert_string_equal(fn_name(p, sym_kernel_location(s, p, 0xffffffffc1000000), 0),
			    "[unknown]");
	kiln_profile_free(p);
	symbolizer_free(s);
}

static void jit_perf_map_names_frames(void **state)
{
	(void)state;
	void *code = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(code != MAP_FAILED);
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	uint64_t base = (uint64_t)(uintptr_t)code;
	fprintf(f, "%" PRIx64 " 100 LazyCompile:*hot_loop app.js:12\n", base);
	fprintf(f, "%" PRIx64 " 40 Interpreter stub\n", base + 0x100);
	fclose(f);
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	uint32_t a = sym_user_location(s, p, getpid(), base + 0x20);
	uint32_t b = sym_user_location(s, p, getpid(), base + 0x110);
	uint32_t c = sym_user_location(s, p, getpid(), base + 0x1000);
	assert_string_equal(fn_name(p, a, 0), "LazyCompile:*hot_loop app.js:12");
	assert_int_equal(kiln_profile_get_location(p, a)->kind, KILN_FRAME_JIT);
	assert_string_equal(fn_name(p, b, 0), "Interpreter stub");
	assert_string_equal(fn_name(p, c, 0), "[unknown]");
	/* The JIT appends a function later: the map is read again. */
	f = fopen(path, "a");
	fprintf(f, "%" PRIx64 " 80 late_function\n", base + 0x1000);
	fclose(f);
	assert_string_equal(fn_name(p, sym_user_location(s, p, getpid(), base + 0x1010), 0),
			    "late_function");
	unlink(path);
	munmap(code, 8192);
	kiln_profile_free(p);
	symbolizer_free(s);
}

__attribute__((noinline)) static void child_wait(int fd)
{
	char c = 'r';
	if (write(fd, &c, 1) != 1)
		_exit(1);
	pause();
}

static void exited_process_stays_resolvable(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(pfd[0]);
		child_wait(pfd[1]);
		_exit(0);
	}
	char c;
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, pid), 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	sym_process_exit(s, pid);
	/* /proc/PID is gone: everything comes from what was kept at the scan. */
	uint32_t loc = sym_user_location(s, p, pid, (uint64_t)(uintptr_t)kiln_symtest_beta + 1);
	assert_string_equal(fn_name(p, loc, 0), "kiln_symtest_beta");
	assert_string_equal(sym_process_name(s, pid), "test_symbolizer");
	assert_int_equal(sym_scan_process(s, pid), -ESRCH);
	kiln_profile_free(p);
	symbolizer_free(s);
}

/* Sideband: mmap of a file into a process known only from records, a fork copying the
 * parent's maps, an exec wiping them. */
static void sideband_records_track_processes(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	/* Replay this process's own mapping of the test binary as an MMAP2 record of pid 77. */
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	uint64_t fn = (uint64_t)(uintptr_t)kiln_symtest_alpha;
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end, off;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n", &start, &end,
			   perms, &off, &pos) < 4 ||
		    fn < start || fn >= end)
			continue;
		line[strcspn(line, "\n")] = 0;
		sym_process_comm(s, 77, "worker", false);
		sym_process_mmap(s, 77, start, end - start, off, line + pos, true);
		found = true;
	}
	fclose(f);
	assert_true(found);
	assert_string_equal(fn_name(p, sym_user_location(s, p, 77, fn), 0), "kiln_symtest_alpha");
	sym_process_fork(s, 77, 78);
	assert_string_equal(sym_process_name(s, 78), "worker");
	assert_string_equal(fn_name(p, sym_user_location(s, p, 78, fn), 0), "kiln_symtest_alpha");
	sym_process_comm(s, 78, "other", true);
	assert_string_equal(fn_name(p, sym_user_location(s, p, 78, fn), 0), "[unknown]");
	assert_string_equal(sym_process_name(s, 78), "other");
	/* The parent is untouched by the child's exec; data mapped over the code removes it. */
	assert_string_equal(fn_name(p, sym_user_location(s, p, 77, fn), 0), "kiln_symtest_alpha");
	sym_process_mmap(s, 77, fn & ~0xfffull, 0x1000, 0, "//anon", false);
	assert_string_equal(fn_name(p, sym_user_location(s, p, 77, fn), 0), "[unknown]");
	kiln_profile_free(p);
	symbolizer_free(s);
}

static void inline_frames_and_lines(void **state)
{
	(void)state;
	int inner_line = source_line("INNER_LINE"), call_line = source_line("CALL_LINE");
	assert_true(inner_line > 0 && call_line > 0);
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	uint64_t fn = (uint64_t)(uintptr_t)kiln_symtest_outer;
	bool seen = false;
	/* Some instruction of outer comes from the inlined multiplication. */
	for (uint64_t a = fn; a < fn + 64 && !seen; a++) {
		uint32_t loc = sym_user_location(s, p, getpid(), a);
		const struct kiln_location *l = kiln_profile_get_location(p, loc);
		assert_string_equal(fn_name(p, loc, l->nlines - 1), "kiln_symtest_outer");
		if (l->nlines < 2)
			continue;
		assert_int_equal(l->nlines, 2);
		assert_string_equal(fn_name(p, loc, 0), "kiln_symtest_inner");
		if (loc_line(p, loc, 0)->line != inner_line)
			continue;
		assert_int_equal(loc_line(p, loc, 1)->line, call_line);
		seen = true;
	}
	assert_true(seen);
	volatile int v = 3;
	assert_int_equal(kiln_symtest_outer(&v), (4 + 15) * 3);
	kiln_profile_free(p);
	symbolizer_free(s);
}

static void return_addresses_use_the_call(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	/* beta's first byte as a return address: the call was in whatever precedes it. */
	uint64_t beta = (uint64_t)(uintptr_t)kiln_symtest_beta;
	uint32_t exact = sym_user_location(s, p, getpid(), beta);
	uint32_t ra = sym_user_location_ra(s, p, getpid(), beta);
	assert_string_equal(fn_name(p, exact, 0), "kiln_symtest_beta");
	assert_string_not_equal(fn_name(p, ra, 0), "kiln_symtest_beta");
	assert_int_equal(kiln_profile_get_location(p, ra)->address, beta);
	assert_string_equal(fn_name(p, sym_user_location_ra(s, p, getpid(), beta + 1), 0),
			    "kiln_symtest_beta");
	kiln_profile_free(p);
	symbolizer_free(s);
}

static void demangles_cpp_and_rust(void **state)
{
	(void)state;
	struct {
		const char *in, *out;
	} cases[] = {
	    {"_ZN3foo3barEv", "foo::bar()"},
	    {"_ZNSt6vectorIiSaIiEE9push_backERKi",
	     "std::vector<int, std::allocator<int> >::push_back(int const&)"},
	    {"_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write"},
	    {"_RNvCs15kBYyAo9fc_7mycrate7example", "mycrate::example"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = kiln_demangle(cases[i].in);
		assert_non_null(d);
		assert_string_equal(d, cases[i].out);
		free(d);
	}
	assert_null(kiln_demangle("main"));
	assert_null(kiln_demangle("_Zgarbage"));
}

/* Resolution cost: 200k lookups over 20k distinct addresses take under a second of CPU
 * (CPU time: the machine may be busy with other work). */
static void repeated_lookups_are_cheap(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	uint64_t base = (uint64_t)(uintptr_t)getenv & ~0xffffull;
	int pid = getpid(); /* a system call each time, unless hoisted */
	struct timespec t0, t1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (int round = 0; round < 10; round++)
		for (uint64_t i = 0; i < 20000; i++)
			assert_int_not_equal(sym_user_location_ra(s, p, pid, base + i * 5), 0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("200000 lookups (20000 distinct libc addresses): %.3f s of CPU\n", secs);
	assert_true(secs < 1.0);
	kiln_profile_free(p);
	symbolizer_free(s);
}

/* A copy of this binary runs, reports where alpha is, and its file is deleted: only
 * /proc/PID/map_files still reaches the code, and the symbols must come from there. */
static void deleted_binary_resolves(void **state)
{
	(void)state;
	char copy[] = "/tmp/kiln-symtest-XXXXXX";
	int out = mkstemp(copy);
	assert_true(out >= 0);
	FILE *in = fopen("/proc/self/exe", "r");
	assert_non_null(in);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(write(out, buf, n), (ssize_t)n);
	fclose(in);
	fchmod(out, 0700);
	close(out);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl(copy, copy, "--report-alpha", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char line[64] = "";
	FILE *r = fdopen(pfd[0], "r");
	assert_non_null(fgets(line, sizeof(line), r));
	fclose(r);
	/* A new file at the old path must not be mistaken for the running one. */
	unlink(copy);
	int junk = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(junk, "not elf", 7), 7);
	close(junk);
	uint64_t alpha = strtoull(line, NULL, 16);
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, pid), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(copy);
	uint32_t loc = sym_user_location(s, p, pid, alpha + 1);
	assert_string_equal(fn_name(p, loc, 0), "kiln_symtest_alpha");
	const struct kiln_mapping *m =
	    kiln_profile_get_mapping(p, kiln_profile_get_location(p, loc)->mapping);
	assert_string_equal(kiln_profile_str(p, m->filename), copy);
	kiln_profile_free(p);
	symbolizer_free(s);
}

/* Calls into shared libraries pass through PLT stubs, which have no symbols of their own. */
static void plt_stubs_are_named(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	uint64_t start = 0, end = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " r-xp ") && strstr(line, "test_symbolizer")) {
			sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end);
			break;
		}
	fclose(f);
	assert_true(end > start);
	bool fork_stub = false;
	for (uint64_t a = start; a < end && a < start + 0x4000 && !fork_stub; a += 4) {
		uint32_t loc = sym_user_location(s, p, getpid(), a);
		fork_stub = !strcmp(fn_name(p, loc, 0), "fork@plt");
	}
	assert_true(fork_stub);
	kiln_profile_free(p);
	symbolizer_free(s);
}

/* The vdso has no file: its image comes from memory, and it has symbols. */
static void vdso_resolves(void **state)
{
	(void)state;
	uint64_t base = getauxval(AT_SYSINFO_EHDR);
	if (!base) {
		skip();
		return;
	}
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	bool named = false;
	for (uint64_t a = base; a < base + 8192 && !named; a += 4) {
		uint32_t loc = sym_user_location(s, p, getpid(), a);
		named = strstr(fn_name(p, loc, 0), "gettime") != NULL;
	}
	assert_true(named);
	kiln_profile_free(p);
	symbolizer_free(s);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--report-alpha")) {
		printf("%" PRIx64 "\n", (uint64_t)(uintptr_t)kiln_symtest_alpha);
		fflush(stdout);
		pause();
		return 0;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(own_functions_resolve),
	    cmocka_unit_test(libc_function_resolves),
	    cmocka_unit_test(unknown_addresses_are_named_like_perf),
	    cmocka_unit_test(kernel_symbol_resolves),
	    cmocka_unit_test(hidden_kernel_addresses_are_reported),
	    cmocka_unit_test(module_symbols_resolve),
	    cmocka_unit_test(jit_perf_map_names_frames),
	    cmocka_unit_test(exited_process_stays_resolvable),
	    cmocka_unit_test(sideband_records_track_processes),
	    cmocka_unit_test(inline_frames_and_lines),
	    cmocka_unit_test(return_addresses_use_the_call),
	    cmocka_unit_test(demangles_cpp_and_rust),
	    cmocka_unit_test(repeated_lookups_are_cheap),
	    cmocka_unit_test(deleted_binary_resolves),
	    cmocka_unit_test(vdso_resolves),
	    cmocka_unit_test(plt_stubs_are_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
