/* The reference unwinder on this test's own stack: registers captured with inline asm, the
 * stack copied, then unwound with the CFI tables of this process. It must reach main through
 * libc code built without frame pointers (qsort's callback) and through a signal frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind/proc_maps.h"
#include "unwind/unwind_libdw.h"
#include "unwind/unwind_user.h"

#define STACK_COPY (64 * 1024)

struct snapshot {
	struct unwind_regs regs;
	uint64_t start;
	uint8_t *data;
	size_t len;
};

static struct snapshot snap;

/* Reads raw stack memory, redzones included: not for AddressSanitizer to check. */
__attribute__((no_sanitize_address)) static void copy_raw(uint8_t *dst, uintptr_t src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = ((const volatile uint8_t *)src)[i];
}

/* Copies the stack from rsp up to the top of the [stack] mapping (or STACK_COPY bytes). */
static __attribute__((noinline)) void capture(void)
{
	uint64_t rip, rsp, rbp;
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(rip), "=r"(rsp), "=r"(rbp));
	snap.regs.rip = rip;
	snap.regs.rsp = rsp;
	snap.regs.rbp = rbp;
	snap.start = rsp;
	snap.len = STACK_COPY;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		if (strstr(line, "[stack]") && sscanf(line, "%llx-%llx", &lo, &hi) == 2 &&
		    rsp >= lo && rsp < hi && hi - rsp < snap.len)
			snap.len = hi - rsp;
	}
	if (f)
		fclose(f);
	snap.data = malloc(snap.len);
	if (snap.data)
		copy_raw(snap.data, (uintptr_t)rsp, snap.len);
}

/* main's address range, from this executable's symbol table. */
static void main_range(const struct unwind_space *sp, uint64_t *lo, uint64_t *hi)
{
	*lo = *hi = 0;
	elf_version(EV_CURRENT);
	int fd = open("/proc/self/exe", O_RDONLY);
	assert_true(fd >= 0);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			if (gelf_getsym(d, (int)i, &sym) &&
			    (name = elf_strptr(elf, sh.sh_link, sym.st_name)) &&
			    strcmp(name, "main") == 0 && GELF_ST_TYPE(sym.st_info) == STT_FUNC) {
				*lo = sym.st_value;
				*hi = sym.st_value + sym.st_size;
			}
		}
	}
	elf_end(elf);
	close(fd);
	/* To runtime addresses: the mapping of this executable that holds the capture code. */
	const struct unwind_map *m = unwind_space_find(sp, (uint64_t)(uintptr_t)capture);
	assert_non_null(m);
	*lo += m->bias;
	*hi += m->bias;
	assert_true(*hi > *lo);
}

/* Unwinds the snapshot; returns the frame count and checks main is in it. */
static int unwind_snapshot(uint64_t *ips, int max, enum unwind_stop *stop)
{
	assert_non_null(snap.data);
	struct unwind_space sp;
	assert_int_equal(unwind_space_from_pid(0, &sp), 0);
	struct unwind_mem mem = {.start = snap.start, .data = snap.data, .len = snap.len};
	int n = unwind_user(&sp, &snap.regs, &mem, ips, max, stop);
	uint64_t lo, hi;
	main_range(&sp, &lo, &hi);
	bool found = false;
	for (int i = 0; i < n; i++) {
		Dl_info info;
		const char *name = dladdr((void *)(uintptr_t)ips[i], &info) && info.dli_sname
				       ? info.dli_sname
				       : "?";
		print_message("  #%d %#llx %s\n", i, (unsigned long long)ips[i], name);
		found = found || (ips[i] > lo && ips[i] <= hi);
	}
	print_message("  %d frames, stop: %s\n", n, unwind_stop_name(*stop));
	assert_true(found);

	/* libdw, an independent unwinder, must find the same frames in the same copy. */
	struct unwind_libdw *dw;
	assert_int_equal(unwind_libdw_new(0, &dw), 0);
	uint64_t dips[128];
	int dn = unwind_libdw(dw, &snap.regs, &mem, dips, 128);
	unwind_libdw_free(dw);
	print_message("  libdw: %d frames\n", dn);
	assert_int_equal(dn, n);
	assert_memory_equal(dips, ips, (size_t)n * sizeof(*ips));
	unwind_space_free(&sp);
	free(snap.data);
	snap.data = NULL;
	return n;
}

static __attribute__((noinline)) int depth(int n)
{
	if (n == 0) {
		capture();
		return 0;
	}
	int r = depth(n - 1);
	__asm__ volatile("" ::: "memory"); /* keep the call from becoming a tail call */
	return r + 1;
}

static void direct_calls_reach_main(void **state)
{
	(void)state;
	depth(5);
	uint64_t ips[128];
	enum unwind_stop stop;
	int n = unwind_snapshot(ips, 128, &stop);
	assert_int_equal(stop, UNWIND_STOP_END); /* _start's CFI ends the stack */
	assert_true(n >= 8);
}

static bool captured_once;

static int compare_ints(const void *a, const void *b)
{
	if (!captured_once) {
		captured_once = true;
		capture();
	}
	return *(const int *)a - *(const int *)b;
}

/* libc's qsort has no frame pointers: only its CFI leads back to our caller. */
static void through_libc_qsort(void **state)
{
	(void)state;
	int v[64];
	for (int i = 0; i < 64; i++)
		v[i] = (i * 37) % 64;
	captured_once = false;
	qsort(v, 64, sizeof(int), compare_ints);
	uint64_t ips[128];
	enum unwind_stop stop;
	unwind_snapshot(ips, 128, &stop);
	assert_int_equal(stop, UNWIND_STOP_END);
}

static void on_signal(int sig)
{
	(void)sig;
	capture();
}

/* Through the kernel's signal frame: __restore_rt's row sends the unwinder into the saved
 * ucontext, and on to the code raise() interrupted. */
static void through_signal_frame(void **state)
{
	(void)state;
	struct sigaction sa = {.sa_handler = on_signal};
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	raise(SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
	uint64_t ips[128];
	enum unwind_stop stop;
	unwind_snapshot(ips, 128, &stop);
	assert_int_equal(stop, UNWIND_STOP_END);
}

static void stops_at_copy_end_and_max(void **state)
{
	(void)state;
	depth(3);
	struct unwind_space sp;
	assert_int_equal(unwind_space_from_pid(0, &sp), 0);
	uint64_t ips[4];
	enum unwind_stop stop;
	struct unwind_mem mem = {.start = snap.start, .data = snap.data, .len = 8};
	int n = unwind_user(&sp, &snap.regs, &mem, ips, 4, &stop);
	assert_int_equal(n, 1);
	assert_int_equal(stop, UNWIND_STOP_MEMORY);
	mem.len = snap.len;
	n = unwind_user(&sp, &snap.regs, &mem, ips, 4, &stop);
	assert_int_equal(n, 4);
	assert_int_equal(stop, UNWIND_STOP_MAX);
	unwind_space_free(&sp);
	free(snap.data);
	snap.data = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(direct_calls_reach_main),
	    cmocka_unit_test(through_libc_qsort),
	    cmocka_unit_test(through_signal_frame),
	    cmocka_unit_test(stops_at_copy_end_and_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
