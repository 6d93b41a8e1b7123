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
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sched.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbol/debuginfo.h"
#include "symbol/demangle.h"
#include "symbol/ksym_loader.h"
#include "symbol/sym_table.h"
#include "symbol/symbolizer.h"
#include "test_cache_dir.h"

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

/* The model's interned keys are packed, not aligned: read them by copy. */
static struct kiln_function get_fn(struct kiln_profile *p, uint32_t id)
{
	struct kiln_function f = {0};
	const void *k = kiln_profile_get_function(p, id);
	if (k)
		memcpy(&f, k, sizeof(f));
	return f;
}

static struct kiln_mapping get_map(struct kiln_profile *p, uint32_t id)
{
	struct kiln_mapping m = {0};
	const void *k = kiln_profile_get_mapping(p, id);
	if (k)
		memcpy(&m, k, sizeof(m));
	return m;
}

static const char *fn_name(struct kiln_profile *p, uint32_t loc, uint32_t line)
{
	const struct kiln_location *l = kiln_profile_get_location(p, loc);
	if (!l || line >= l->nlines)
		return "";
	return kiln_profile_str(p, get_fn(p, p->lines[l->first_line + line].function).name);
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
	assert_int_not_equal(la->mapping, 0);
	struct kiln_mapping m = get_map(p, la->mapping);
	assert_non_null(strstr(kiln_profile_str(p, m.filename), "test_symbolizer"));
	assert_true(strlen(kiln_profile_str(p, m.build_id)) >= 16);
	/* DWARF: the function's file and a line inside it. */
	struct kiln_function f = get_fn(p, loc_line(p, a, 0)->function);
	assert_non_null(strstr(kiln_profile_str(p, f.filename), "test_symbolizer.c"));
	assert_true(loc_line(p, a, 0)->line >= f.start_line);
	assert_true(f.start_line > 0);
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
	struct kiln_mapping m = get_map(p, kiln_profile_get_location(p, loc)->mapping);
	assert_non_null(strstr(kiln_profile_str(p, m.filename), "libc.so"));
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

/* The kernel naming its own addresses (symbol/ksym.bpf.c) must agree with /proc/kallsyms:
 * every 50th function of the core kernel and of modules, looked up one byte in (a name at the
 * same address, an alias, also counts), in batches as stacks are. */
struct kallsyms_fn {
	uint64_t addr;
	char name[128];
};

static int kallsyms_sample(struct kallsyms_fn **out, size_t *n)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -errno;
	char line[512], name[256], type;
	uint64_t addr;
	size_t cap = 0, seen = 0;
	*out = NULL;
	*n = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) == 3 && addr &&
		    (type == 't' || type == 'T') && seen++ % 50 == 0 && strlen(name) < 128) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 1024;
				*out = realloc(*out, cap * sizeof(**out));
				assert_non_null(*out);
			}
			(*out)[*n].addr = addr;
			snprintf((*out)[*n].name, sizeof((*out)[*n].name), "%s", name);
			(*n)++;
		}
	fclose(f);
	return 0;
}

/* Whether kallsyms has name at addr (aliases share addresses). */
static bool kallsyms_has(uint64_t addr, const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], got[256], type;
	uint64_t a;
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%" SCNx64 " %c %255s", &a, &type, got) == 3 && a == addr &&
			!strcmp(got, name);
	if (f)
		fclose(f);
	return found;
}

static void kernel_names_itself_like_kallsyms(void **state)
{
	(void)state;
	struct kallsyms_fn *fns;
	size_t n;
	assert_int_equal(kallsyms_sample(&fns, &n), 0);
	struct ksym_live *k;
	int err = n ? ksym_live_open(&k) : -EPERM;
	if (err) {
		print_message("skipped: the kernel cannot name its symbols through BPF here (%s; "
			      "needs root or CAP_BPF and CAP_PERFMON, and visible kallsyms)\n",
			      strerror(-err));
		free(fns);
		skip();
		return;
	}
	uint64_t *addrs = calloc(n, sizeof(*addrs));
	assert_non_null(addrs);
	for (size_t i = 0; i < n; i++)
		addrs[i] = fns[i].addr + 1;
	assert_int_equal(ksym_live_prefetch(k, addrs, n), 0);
	size_t same = 0, checked = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sym_entry *e = ksym_live_find(k, addrs[i]);
		if (!e)
			continue; /* a one-byte function (kallsyms ends it at the next one) */
		checked++;
		if (!strcmp(e->name, fns[i].name) || kallsyms_has(e->addr, e->name))
			same++;
		else
			print_message("%" PRIx64 ": kernel says %s, kallsyms %s\n", addrs[i],
				      e->name, fns[i].name);
		assert_true(e->addr <= addrs[i] && addrs[i] < e->addr + e->size);
	}
	print_message("%zu of %zu functions named alike\n", same, checked);
	assert_true(checked >= n * 99 / 100);
	assert_int_equal(same, checked);
	/* No symbol in user space: unknown, and asked only once. */
	assert_null(ksym_live_find(k, 0x1000));
	assert_null(ksym_live_find(k, 0x1000));
	uint64_t lo, hi;
	assert_string_equal(ksym_live_module(k, 0, &lo, &hi), "kernel.kallsyms");
	assert_true(lo && lo < hi);
	ksym_live_free(k);
	free(addrs);
	free(fns);
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
	struct kiln_mapping map = get_map(p, kiln_profile_get_location(p, m)->mapping);
	assert_string_equal(kiln_profile_str(p, map.filename), "[mymod]");
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

/* Malformed kallsyms and perf maps: bad lines are skipped, nothing crashes, good lines count. */
static void malformed_symbol_files_are_survived(void **state)
{
	(void)state;
	char path[] = "/tmp/kiln-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "garbage line\n\nffffffff81000000\nffffffff81000000 T\n"
			    "zzzz T bad_hex\nffffffff81000100 TT two_letters\n"
			    "ffffffff81000200 T good_one\nffffffff81000300 t unterminated\t[mod";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_load_kallsyms(s, path), 0);
	unlink(path);
	assert_string_equal(fn_name(p, sym_kernel_location(s, p, 0xffffffff81000210), 0),
			    "good_one");
	assert_string_equal(fn_name(p, sym_kernel_location(s, p, 0xffffffff81000310), 0),
			    "unterminated");
	assert_int_equal(sym_load_kallsyms(s, "/nonexistent/kallsyms"), -ENOENT);
	assert_string_equal(fn_name(p, sym_kernel_location(s, p, 0xffffffff81000210), 0),
			    "[unknown]");

	void *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(code != MAP_FAILED);
	uint64_t base = (uint64_t)(uintptr_t)code;
	char map[64];
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", getpid());
	FILE *f = fopen(map, "w");
	fprintf(f, "nonsense\n%" PRIx64 "\n%" PRIx64 " zz name\n%" PRIx64 " 10\n", base, base,
		base);
	fprintf(f, "%" PRIx64 " 20 fine_one\n%" PRIx64 " 20 still_being_wri", base + 0x40,
		base + 0x80);
	fclose(f);
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	assert_string_equal(fn_name(p, sym_user_location(s, p, getpid(), base + 0x44), 0),
			    "fine_one");
	assert_string_equal(fn_name(p, sym_user_location(s, p, getpid(), base + 0x84), 0),
			    "[unknown]");
	assert_string_equal(fn_name(p, sym_user_location(s, p, getpid(), base + 4), 0),
			    "[unknown]");
	unlink(map);
	munmap(code, 4096);
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
	struct kiln_mapping jm = get_map(p, kiln_profile_get_location(p, a)->mapping);
	assert_string_equal(kiln_profile_str(p, jm.filename), path);
	assert_string_equal(fn_name(p, b, 0), "Interpreter stub");
	assert_string_equal(fn_name(p, c, 0), "[unknown]");
	/* The JIT appends a function later: the map is read again (not more than every 50 ms). */
	f = fopen(path, "a");
	fprintf(f, "%" PRIx64 " 80 late_function\n", base + 0x1000);
	fclose(f);
	usleep(60 * 1000);
	assert_string_equal(fn_name(p, sym_user_location(s, p, getpid(), base + 0x1010), 0),
			    "late_function");
	unlink(path);
	munmap(code, 8192);
	kiln_profile_free(p);
	symbolizer_free(s);
}

/* A JIT in a container: pid 1 of its own pid namespace writes /tmp/perf-1.map, found through
 * the host pid's root and NSpid. */
static void jit_map_in_pid_namespace(void **state)
{
	(void)state;
	if (!access("/tmp/perf-1.map", F_OK) || geteuid() != 0) {
		skip(); /* needs root for the namespace, and the name free */
		return;
	}
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t helper = fork();
	assert_true(helper >= 0);
	if (!helper) {
		close(pfd[0]);
		if (unshare(CLONE_NEWPID))
			_exit(1);
		pid_t jit = fork();
		if (jit == 0) {
			void *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			FILE *f = fopen("/tmp/perf-1.map", "w");
			if (code == MAP_FAILED || !f || getpid() != 1)
				_exit(1);
			fprintf(f, "%" PRIx64 " 200 jitted_in_container\n",
				(uint64_t)(uintptr_t)code);
			fclose(f);
			dprintf(pfd[1], "addr %" PRIx64 "\n", (uint64_t)(uintptr_t)code);
			pause();
			_exit(0);
		}
		dprintf(pfd[1], "pid %d\n", (int)jit);
		waitpid(jit, NULL, 0);
		_exit(0);
	}
	close(pfd[1]);
	FILE *r = fdopen(pfd[0], "r");
	/* The helper prints the JIT's host pid, the JIT its address, in either order. */
	char line[64];
	int pid = 0;
	uint64_t code = 0;
	for (int i = 0; i < 2 && fgets(line, sizeof(line), r); i++)
		if (sscanf(line, "pid %d", &pid) != 1)
			sscanf(line, "addr %" SCNx64, &code);
	fclose(r);
	bool got = pid > 0 && code;
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	int scanned = got ? sym_scan_process(s, pid) : -1;
	uint32_t loc = got ? sym_user_location(s, p, pid, code + 0x10) : 0;
	if (got)
		kill(pid, SIGKILL);
	waitpid(helper, NULL, 0);
	unlink("/tmp/perf-1.map");
	assert_true(got);
	assert_int_equal(scanned, 0);
	assert_string_equal(fn_name(p, loc, 0), "jitted_in_container");
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
	struct sym_stats st;
	sym_get_stats(s, &st);
	uint64_t files = st.elf_files;
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
	/* Three processes map the test binary: it was opened once. */
	sym_get_stats(s, &st);
	assert_int_equal(st.elf_files, files);
	assert_int_equal(st.processes, 3);
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

/* A mapping placed over the middle of another splits it; the right part's file offset moves. */
static void overlapping_mmaps_split(void **state)
{
	(void)state;
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	sym_process_mmap(s, 90, 0x10000, 0x40000, 0x1000, "/nonexistent/liba.so", true);
	sym_process_mmap(s, 90, 0x20000, 0x10000, 0, "/nonexistent/libb.so", true);
	struct {
		uint64_t addr, start, limit, offset;
		const char *name;
	} want[] = {
	    {0x18000, 0x10000, 0x20000, 0x1000, "[liba.so]"},
	    {0x28000, 0x20000, 0x30000, 0, "[libb.so]"},
	    {0x48000, 0x30000, 0x50000, 0x21000, "[liba.so]"},
	};
	for (size_t i = 0; i < 3; i++) {
		uint32_t loc = sym_user_location(s, p, 90, want[i].addr);
		assert_string_equal(fn_name(p, loc, 0), want[i].name);
		struct kiln_mapping m = get_map(p, kiln_profile_get_location(p, loc)->mapping);
		assert_int_equal(m.start, want[i].start);
		assert_int_equal(m.limit, want[i].limit);
		assert_int_equal(m.offset, want[i].offset);
	}
	/* Unmapping (data mapped over) the whole of b and part of a's right piece. */
	sym_process_mmap(s, 90, 0x1f000, 0x12000, 0, "//anon", false);
	assert_string_equal(fn_name(p, sym_user_location(s, p, 90, 0x28000), 0), "[unknown]");
	assert_string_equal(fn_name(p, sym_user_location(s, p, 90, 0x30800), 0), "[unknown]");
	assert_string_equal(fn_name(p, sym_user_location(s, p, 90, 0x1e000), 0), "[liba.so]");
	assert_string_equal(fn_name(p, sym_user_location(s, p, 90, 0x31000), 0), "[liba.so]");
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

/* Builds src (written to a temporary file ending in ext) with the compiler command, runs it, and
 * reads the hex address it prints; the program then waits to be killed. 0 when the compiler is
 * not there. */
static pid_t build_and_run(const char *compile, const char *ext, const char *src, uint64_t *addr)
{
	char dir[] = "/tmp/kiln-symtest-XXXXXX";
	if (!mkdtemp(dir))
		return 0;
	char path[128], bin[128], cmd[512];
	snprintf(path, sizeof(path), "%s/prog%s", dir, ext);
	snprintf(bin, sizeof(bin), "%s/prog", dir);
	FILE *f = fopen(path, "w");
	fputs(src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && %s -o %s %s >/dev/null 2>&1", dir, compile, bin, path);
	pid_t pid = 0;
	int pfd[2];
	if (system(cmd) == 0 && pipe(pfd) == 0) {
		pid = fork();
		if (!pid) {
			dup2(pfd[1], 1);
			close(pfd[0]);
			execl(bin, bin, (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		char line[64] = "";
		FILE *r = fdopen(pfd[0], "r");
		if (!fgets(line, sizeof(line), r))
			line[0] = 0;
		fclose(r);
		*addr = strtoull(line, NULL, 16);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		print_message("could not remove %s\n", dir);
	return pid;
}

/* Real C++ and Rust binaries: the symbol table has mangled names, the profile shows both. */
static void compiled_cpp_and_rust_are_demangled(void **state)
{
	(void)state;
	static const char cpp[] =
	    "namespace ns { template <class T> struct W {\n"
	    "  __attribute__((noinline)) static T run(T x) { return x * 3; } }; }\n"
	    "extern \"C\" int printf(const char *, ...);\n"
	    "extern \"C\" int fflush(void *);\n"
	    "extern \"C\" int pause(void);\n"
	    "int main() { printf(\"%p\\n\", (void *)&ns::W<int>::run); fflush(0); pause();\n"
	    "  return ns::W<int>::run(1); }\n";
	static const char rust[] =
	    "#[inline(never)] pub fn work(x: u64) -> u64 { x.wrapping_mul(3) }\n"
	    "fn main() { println!(\"{:x}\", work as fn(u64) -> u64 as usize);\n"
	    "  std::thread::sleep(std::time::Duration::from_secs(60)); work(1); }\n";
	struct {
		const char *compile, *ext, *src, *name, *raw_prefix;
	} progs[] = {
	    {"c++ -O1", ".cc", cpp, "ns::W<int>::run(int)", "_ZN2ns1WIiE3runEi"},
	    /* Legacy (_ZN...17h<hash>E) or v0 (_R...) mangling, whichever this rustc uses. */
	    {"rustc -C opt-level=1", ".rs", rust, "prog::work", "_"},
	};
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		uint64_t addr = 0;
		pid_t pid = build_and_run(progs[i].compile, progs[i].ext, progs[i].src, &addr);
		if (!pid) {
			print_message("%s: no compiler, not checked\n", progs[i].compile);
			continue;
		}
		struct symbolizer *s = symbolizer_new();
		struct kiln_profile *p = kiln_profile_new();
		int scanned = sym_scan_process(s, pid);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		assert_int_equal(scanned, 0);
		assert_true(addr != 0);
		uint32_t loc = sym_user_location(s, p, pid, addr);
		const struct kiln_location *l = kiln_profile_get_location(p, loc);
		struct kiln_function fn =
		    get_fn(p, p->lines[l->first_line + l->nlines - 1].function);
		assert_string_equal(kiln_profile_str(p, fn.name), progs[i].name);
		const char *raw = kiln_profile_str(p, fn.system_name);
		assert_memory_equal(raw, progs[i].raw_prefix, strlen(progs[i].raw_prefix));
		assert_string_not_equal(raw, progs[i].name);
		kiln_profile_free(p);
		symbolizer_free(s);
	}
}

/* The lookup rules every symbol source shares: containment by size, labels without size reach
 * the next symbol, one best name per address. */
static void symbol_table_rules(void **state)
{
	(void)state;
	struct sym_table t = {0};
	struct sym_entry e[] = {
	    {.addr = 0x1000, .size = 0x100, .name = "__GI_strlen", .bind_rank = 3},
	    {.addr = 0x1000, .size = 0x100, .name = "strlen", .bind_rank = 3},
	    {.addr = 0x1000, .size = 0, .name = "strlen_label", .bind_rank = 0},
	    {.addr = 0x1040, .size = 0, .name = "inner_label", .bind_rank = 0},
	    {.addr = 0x2000, .size = 0x10, .name = "foo.localalias", .bind_rank = 3},
	    {.addr = 0x2000, .size = 0x10, .name = "foo", .bind_rank = 3},
	    {.addr = 0x3000, .size = 0, .name = "asm_entry", .bind_rank = 1},
	    {.addr = 0x4000, .size = 0x20, .name = "weak_one", .bind_rank = 4},
	    {.addr = 0x4000, .size = 0x20, .name = "global_one", .bind_rank = 5},
	};
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		assert_int_equal(sym_table_add(&t, &e[i]), 0);
	sym_table_finish(&t);
	assert_null(sym_table_find(&t, 0xfff));
	assert_string_equal(sym_table_find(&t, 0x1000)->name, "strlen");
	assert_string_equal(sym_table_find(&t, 0x1050)->name, "strlen");
	assert_string_equal(sym_table_find(&t, 0x1100)->name, "inner_label");
	assert_string_equal(sym_table_find(&t, 0x2008)->name, "foo");
	assert_null(sym_table_find(&t, 0x2010));
	assert_string_equal(sym_table_find(&t, 0x3fff)->name, "asm_entry");
	assert_string_equal(sym_table_find(&t, 0x401f)->name, "global_one");
	assert_null(sym_table_find(&t, 0x4020));
	sym_table_free(&t);
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
	struct kiln_mapping m = get_map(p, kiln_profile_get_location(p, loc)->mapping);
	assert_string_equal(kiln_profile_str(p, m.filename), copy);
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

/* A debuginfod server is plain HTTP: GET /buildid/ID/debuginfo. Python's static file server
 * over DIR/srv is one. Returns its pid once it accepts connections, or 0. */
static pid_t start_debuginfod(const char *dir)
{
	if (system("command -v python3 >/dev/null"))
		return 0;
	int port = 20000 + getpid() % 30000;
	char srv[160], portstr[16], url[64], cache[160];
	snprintf(srv, sizeof(srv), "%s/srv", dir);
	snprintf(portstr, sizeof(portstr), "%d", port);
	pid_t pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execlp("python3", "python3", "-m", "http.server", portstr, "--bind", "127.0.0.1",
		       "--directory", srv, (char *)NULL);
		_exit(127);
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		/* Someone else's server on that port would answer too: ours must be alive. */
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return 0;
		if (ok) {
			snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
			snprintf(cache, sizeof(cache), "%s/cache", dir);
			setenv("DEBUGINFOD_URLS", url, 1);
			setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
			return pid;
		}
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

/* Runs a stripped copy of this binary whose symbols and lines live only in a separate debug
 * file: placed by build id (under a test debug root), named by .gnu_debuglink, or served by
 * debuginfod. */
static void stripped_binary_finds_debug_file(void **state)
{
	(void)state;
	if (system("command -v objcopy >/dev/null")) {
		skip();
		return;
	}
	char dir[] = "/tmp/kiln-symtest-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cmd[1024], bin[128];
	snprintf(bin, sizeof(bin), "%s/stripped", dir);
	/* The debug file goes under .build-id/xx/rest.debug of the test root. */
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; objcopy --only-keep-debug /proc/%d/exe full.debug;"
		 "objcopy --strip-all /proc/%d/exe stripped;"
		 "id=$(readelf -n stripped | sed -n 's/.*Build ID: *//p');"
		 "mkdir -p root/.build-id/${id%%${id#??}}; cp full.debug "
		 "root/.build-id/${id%%${id#??}}/${id#??}.debug;"
		 "mkdir -p srv/buildid/$id; cp full.debug srv/buildid/$id/debuginfo;"
		 "objcopy --add-gnu-debuglink=full.debug stripped linked; mkdir .debug; mv "
		 "full.debug .debug/",
		 dir, getpid(), getpid());
	assert_int_equal(system(cmd), 0);
	char root[160], empty[160];
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(empty, sizeof(empty), "%s/none", dir);
	struct {
		const char *name, *debug_root;
		bool debuginfod;
	} cases[] = {
	    {"stripped", root, false}, {"linked", empty, false}, {"stripped", empty, true}};
	for (size_t i = 0; i < 3; i++) {
		snprintf(bin, sizeof(bin), "%s/%s", dir, cases[i].name);
		debuginfo_set_root(cases[i].debug_root);
		pid_t server = cases[i].debuginfod ? start_debuginfod(dir) : 0;
		if (cases[i].debuginfod && server <= 0) {
			print_message("no python3 http.server: debuginfod not checked\n");
			break;
		}
		int pfd[2];
		assert_int_equal(pipe(pfd), 0);
		pid_t pid = fork();
		if (!pid) {
			dup2(pfd[1], 1);
			close(pfd[0]);
			execl(bin, bin, "--report-alpha", (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		char line[64] = "";
		FILE *r = fdopen(pfd[0], "r");
		assert_non_null(fgets(line, sizeof(line), r));
		fclose(r);
		uint64_t alpha = strtoull(line, NULL, 16);
		struct symbolizer *s = symbolizer_new();
		struct kiln_profile *p = kiln_profile_new();
		int scanned = sym_scan_process(s, pid);
		uint32_t loc = sym_user_location(s, p, pid, alpha + 1);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		debuginfo_set_root(NULL);
		if (server > 0) {
			kill(server, SIGTERM);
			waitpid(server, NULL, 0);
			unsetenv("DEBUGINFOD_URLS");
		}
		assert_int_equal(scanned, 0);
		assert_string_equal(fn_name(p, loc, 0), "kiln_symtest_alpha");
		assert_true(loc_line(p, loc, 0)->line > 0);
		struct sym_stats st;
		sym_get_stats(s, &st);
		assert_true(st.debug_files >= 1);
		kiln_profile_free(p);
		symbolizer_free(s);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The vdso has no file: its image comes from memory, and it has symbols. */
/* Text naming every frame (function:line, inlined ones first) of n libc addresses from start. */
static char *describe_libc_range(uint64_t start, size_t n, size_t *inlined)
{
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	size_t cap = 1 << 20, len = 0;
	char *out = calloc(1, cap);
	assert_non_null(out);
	for (uint64_t a = start; a < start + n; a++) {
		uint32_t loc = sym_user_location(s, p, getpid(), a);
		const struct kiln_location *l = kiln_profile_get_location(p, loc);
		if (l->nlines > 1)
			(*inlined)++;
		for (uint32_t i = 0; i < l->nlines && len + 256 < cap; i++)
			len += (size_t)snprintf(out + len, cap - len, "%s:%d;", fn_name(p, loc, i),
						(int)loc_line(p, loc, i)->line);
		out[len++] = '\n';
	}
	kiln_profile_free(p);
	symbolizer_free(s);
	return out;
}

/* Debian's debug files are compressed: the first symbolizer stores a decompressed copy, the
 * next reads it, and both name every frame alike. */
static void decompressed_debug_copy_resolves_alike(void **state)
{
	(void)state;
	/* Skipped only where libc's debug file (libc6-dbg) is missing or not compressed. */
	const char *compressed =
	    "f=/usr/lib/debug/.build-id/$(readelf -n /lib/x86_64-linux-gnu/libc.so.6 | sed -n "
	    "'s/.*Build ID: \\(..\\)\\(.*\\)/\\1\\/\\2/p').debug; "
	    "out=$(readelf -SW \"$f\" 2>/dev/null) && echo \"$out\" | grep -q '\\.debug_info.* C '";
	if (system(compressed) != 0) {
		print_message("SKIP: libc has no compressed debug file here (libc6-dbg)\n");
		skip();
	}
	struct test_cache_dir cache;
	assert_int_equal(test_cache_dir_enter(&cache, "debug-cache"), 0);
	const char *dir = cache.path;
	/* libc's own qsort_r: under ASan the plain name is the sanitizer's interceptor. */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *sort = libc ? dlsym(libc, "qsort_r") : NULL;
	assert_non_null(sort);
	uint64_t start = (uint64_t)(uintptr_t)sort;
	dlclose(libc);
	size_t inlined_cold = 0, inlined_warm = 0;
	char *cold = describe_libc_range(start, 2048, &inlined_cold);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "ls %s/*.debug >/dev/null 2>&1", dir);
	bool stored = system(cmd) == 0;
	char *warm = stored ? describe_libc_range(start, 2048, &inlined_warm) : NULL;
	/* A damaged copy is not trusted: the debug file is read again and the copy replaced. */
	snprintf(cmd, sizeof(cmd), "for f in %s/*.debug; do echo damaged >$f; done", dir);
	size_t inlined_again = 0;
	char *again =
	    stored && system(cmd) == 0 ? describe_libc_range(start, 2048, &inlined_again) : NULL;
	snprintf(cmd, sizeof(cmd), "! grep -l damaged %s/*.debug", dir);
	bool replaced = system(cmd) == 0;
	assert_int_equal(test_cache_dir_leave(&cache), 0);
	assert_true(stored);
	assert_true(inlined_cold > 0); /* the DWARF was read, not just the symbol table */
	assert_int_equal(inlined_cold, inlined_warm);
	assert_string_equal(cold, warm);
	assert_non_null(again);
	assert_string_equal(cold, again);
	assert_true(replaced);
	free(cold);
	free(warm);
	free(again);
}

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
	    cmocka_unit_test(kernel_names_itself_like_kallsyms),
	    cmocka_unit_test(hidden_kernel_addresses_are_reported),
	    cmocka_unit_test(module_symbols_resolve),
	    cmocka_unit_test(jit_perf_map_names_frames),
	    cmocka_unit_test(malformed_symbol_files_are_survived),
	    cmocka_unit_test(exited_process_stays_resolvable),
	    cmocka_unit_test(jit_map_in_pid_namespace),
	    cmocka_unit_test(sideband_records_track_processes),
	    cmocka_unit_test(overlapping_mmaps_split),
	    cmocka_unit_test(inline_frames_and_lines),
	    cmocka_unit_test(return_addresses_use_the_call),
	    cmocka_unit_test(demangles_cpp_and_rust),
	    cmocka_unit_test(repeated_lookups_are_cheap),
	    cmocka_unit_test(deleted_binary_resolves),
	    cmocka_unit_test(vdso_resolves),
	    cmocka_unit_test(decompressed_debug_copy_resolves_alike),
	    cmocka_unit_test(stripped_binary_finds_debug_file),
	    cmocka_unit_test(plt_stubs_are_named),
	    cmocka_unit_test(symbol_table_rules),
	    cmocka_unit_test(compiled_cpp_and_rust_are_demangled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
