/* Unwind tables against binutils: every row readelf --debug-dump=frames-interp prints for libc
 * and for this test binary must be what the table answers at that address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind/cfi_table.h"
#include "test_cache_dir.h"
#include "unwind/unwind_user.h"

/* The libc this process runs, found through a libc function's mapping. */
static const char *libc_path(void)
{
	static char path[4096];
	Dl_info info;
	if (!dladdr((void *)qsort, &info) || !info.dli_fname)
		return NULL;
	snprintf(path, sizeof(path), "%s", info.dli_fname);
	return path;
}

struct cmp_stats {
	unsigned rows, mismatches, fdes;
};

static void compare_row(const struct cfi_table *t, uint64_t loc, const char *cfa, const char *rbp,
			const char *ra, struct cmp_stats *st)
{
	const struct cfi_row *r = cfi_table_lookup(t, loc);
	char got[64] = "(none)";
	bool ok = false;
	if (r)
		cfi_row_format(r, got, sizeof(got));
	if (r && strcmp(ra, "u") == 0) {
		ok = r->cfa_type == CFI_CFA_END;
	} else if (r && strncmp(cfa, "rsp", 3) != 0 && strncmp(cfa, "rbp", 3) != 0 &&
		   strcmp(cfa, "exp") != 0) {
		ok = r->cfa_type == CFI_CFA_UNSUPPORTED; /* CFA on another register */
	} else if (r && strcmp(cfa, "exp") == 0) {
		ok = r->cfa_type == CFI_CFA_PLT || r->cfa_type == CFI_CFA_SIGNAL;
	} else if (r && (r->cfa_type == CFI_CFA_RSP || r->cfa_type == CFI_CFA_RBP) &&
		   strcmp(ra, "c-8") == 0) {
		char want[32];
		snprintf(want, sizeof(want), "%s%+d", r->cfa_type == CFI_CFA_RSP ? "rsp" : "rbp",
			 (int)CFI_ROW_CFA_OFF(*r));
		ok = strcmp(want, cfa) == 0;
		if (rbp && strncmp(rbp, "c", 1) == 0)
			ok = ok && r->rbp_type == CFI_RBP_AT_CFA && r->rbp_off == atoi(rbp + 1);
		else
			ok = ok && r->rbp_type == CFI_RBP_SAME;
	}
	st->rows++;
	if (!ok && st->mismatches++ < 5)
		print_message("mismatch at %#llx: readelf cfa=%s rbp=%s ra=%s, table %s\n",
			      (unsigned long long)loc, cfa, rbp ? rbp : "-", ra, got);
}

/* Parses readelf's interpreted frames: per FDE a header naming the register columns, then one
 * line per row: LOC CFA reg... */
static void compare_with_readelf(const char *path, const struct cfi_table *t, struct cmp_stats *st)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames-interp '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[1024];
	char cols[32][16];
	int ncols = 0;
	bool in_fde = false;
	while (fgets(line, sizeof(line), p)) {
		char *tok[32];
		int n = 0;
		for (char *s = strtok(line, " \t\n"); s && n < 32; s = strtok(NULL, " \t\n"))
			tok[n++] = s;
		if (n >= 4 && strcmp(tok[3], "FDE") == 0) {
			in_fde = true;
			st->fdes++;
		} else if (n >= 4 && strcmp(tok[3], "CIE") == 0) {
			in_fde = false;
		} else if (n >= 2 && strcmp(tok[0], "LOC") == 0) {
			ncols = n;
			for (int i = 0; i < n; i++)
				snprintf(cols[i], sizeof(cols[i]), "%s", tok[i]);
		} else if (in_fde && n >= 3 && n == ncols && strlen(tok[0]) == 16) {
			const char *rbp = NULL, *ra = NULL;
			for (int i = 2; i < n; i++) {
				if (strcmp(cols[i], "rbp") == 0)
					rbp = tok[i];
				if (strcmp(cols[i], "ra") == 0)
					ra = tok[i];
			}
			if (ra)
				compare_row(t, strtoull(tok[0], NULL, 16), tok[1], rbp, ra, st);
		}
	}
	pclose(p); /* readelf exits 1 on Debian's libc without saying why; the counts decide */
}

static void check_binary(const char *path)
{
	struct cfi_table *t = NULL;
	assert_int_equal(cfi_table_from_path(path, &t), 0);
	assert_true(t->nrows > 10);
	for (uint32_t i = 1; i < t->nrows; i++)
		assert_true(t->rows[i - 1].pc < t->rows[i].pc);
	struct cmp_stats st = {0};
	compare_with_readelf(path, t, &st);
	print_message("%s: %u FDEs, %u readelf rows, %u table rows, %zu bytes, %u mismatches\n",
		      path, st.fdes, st.rows, t->nrows, cfi_table_bytes(t), st.mismatches);
	assert_int_equal(st.fdes, t->stats.fdes);
	assert_true(st.rows > 100);
	assert_int_equal(st.mismatches, 0);
	cfi_table_free(t);
}

static void libc_rows_match_readelf(void **state)
{
	(void)state;
	const char *libc = libc_path();
	assert_non_null(libc);
	check_binary(libc);
}

/* Built by the Makefile with frame pointers: CFA rules on rbp and rbp saved at CFA-16. */
static void own_rows_match_readelf(void **state)
{
	(void)state;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	check_binary(self);
}

/* Runtime address → table row in this process. */
static const struct cfi_row *row_at(struct unwind_space *sp, uint64_t addr)
{
	const struct unwind_map *m = unwind_space_find(sp, addr);
	assert_non_null(m);
	assert_non_null(m->table);
	return cfi_table_lookup(m->table, addr - m->bias);
}

static void handler(int sig)
{
	(void)sig;
}

/* The kernel returns from handlers through sa_restorer (glibc's __restore_rt): its row must
 * say "signal frame". A function's entry is CFA=rsp+8 with rbp unchanged. */
static void signal_trampoline_and_entry_rows(void **state)
{
	(void)state;
	struct sigaction sa = {.sa_handler = handler}, old;
	assert_int_equal(sigaction(SIGUSR2, &sa, NULL), 0);
	assert_int_equal(sigaction(SIGUSR2, NULL, &old), 0);
	assert_non_null(old.sa_restorer);

	struct unwind_space sp;
	assert_int_equal(unwind_space_from_pid(0, &sp), 0);
	const struct cfi_row *r = row_at(&sp, (uint64_t)(uintptr_t)old.sa_restorer);
	assert_non_null(r);
	assert_int_equal(r->cfa_type, CFI_CFA_SIGNAL);
	/* One byte before: glibc starts the FDE there so return-address lookups (pc-1) hit it. */
	r = row_at(&sp, (uint64_t)(uintptr_t)old.sa_restorer - 1);
	assert_int_equal(r->cfa_type, CFI_CFA_SIGNAL);

	r = row_at(&sp, (uint64_t)(uintptr_t)qsort);
	assert_int_equal(r->cfa_type, CFI_CFA_RSP);
	assert_int_equal(CFI_ROW_CFA_OFF(*r), 8);
	assert_int_equal(r->rbp_type, CFI_RBP_SAME);
	unwind_space_free(&sp);
}

/* A process's PLT: ld's expression (or our synthesized rules) must come out as PLT rows. */
static void plt_rows(void **state)
{
	(void)state;
	struct cfi_table *t = NULL;
	assert_int_equal(cfi_table_from_path(libc_path(), &t), 0);
	char cmd[4200], line[512];
	snprintf(cmd, sizeof(cmd), "readelf -SW '%s' | awk '$2 == \".plt\" {print $4}'",
		 libc_path());
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	uint64_t plt = strtoull(line, NULL, 16);
	const struct cfi_row *r = cfi_table_lookup(t, plt);
	assert_int_equal(r->cfa_type, CFI_CFA_RSP);
	assert_int_equal(CFI_ROW_CFA_OFF(*r), 16); /* PLT0 runs after an entry pushed its index */
	r = cfi_table_lookup(t, plt + 6);
	assert_int_equal(CFI_ROW_CFA_OFF(*r), 24);
	r = cfi_table_lookup(t, plt + 16);
	assert_int_equal(r->cfa_type, CFI_CFA_PLT);
	assert_int_equal(CFI_ROW_CFA_OFF(*r), 8);
	assert_true(r->rbp_off == 9 || r->rbp_off == 11);
	cfi_table_free(t);
}

/* Built without unwind tables, a program's own functions are described only in .debug_frame;
 * .eh_frame holds the C runtime's FDEs. The table must cover both. */
static void debug_frame_fills_eh_frame_gaps(void **state)
{
	(void)state;
	char dir[] = "/tmp/kiln-cfi-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cmd[1024], bin[64];
	snprintf(bin, sizeof(bin), "%s/df", dir);
	snprintf(
	    cmd, sizeof(cmd),
	    "printf 'int work(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * x; "
	    "return s; }\\nint main(int c, char **v) { (void)v; return work(c * 1000) & 1; }\\n' "
	    "> %s/df.c && cc -O2 -g -fno-asynchronous-unwind-tables -fno-unwind-tables "
	    "-o %s %s/df.c && nm %s | awk '$3 == \"work\" {print $1}' > %s/work",
	    dir, bin, dir, bin, dir);
	if (system(cmd) != 0) {
		print_message("SKIP: no C compiler to build the .debug_frame-only program\n");
		skip();
	}
	snprintf(cmd, sizeof(cmd), "%s/work", dir);
	FILE *f = fopen(cmd, "r");
	assert_non_null(f);
	unsigned long long work = 0;
	assert_int_equal(fscanf(f, "%llx", &work), 1);
	fclose(f);

	struct cfi_table *t = NULL;
	assert_int_equal(cfi_table_from_path(bin, &t), 0);
	print_message("%u FDEs, %u from .debug_frame\n", t->stats.fdes, t->stats.from_debug_frame);
	assert_true(t->stats.fdes_eh > 0);
	assert_true(t->stats.from_debug_frame > 0);
	const struct cfi_row *r = cfi_table_lookup(t, work);
	assert_non_null(r);
	assert_int_equal(r->cfa_type, CFI_CFA_RSP);
	assert_int_equal(CFI_ROW_CFA_OFF(*r), 8);
	cfi_table_free(t);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Truncated or corrupted objects give an error or a table, never a crash or a hang. */
static void corrupt_objects_do_not_crash(void **state)
{
	(void)state;
	FILE *in = fopen(libc_path(), "rb");
	assert_non_null(in);
	static unsigned char img[4 << 20];
	size_t len = fread(img, 1, sizeof(img), in);
	fclose(in);
	assert_true(len > 4096);
	srand(42);
	for (int round = 0; round < 8; round++) {
		static unsigned char bad[4 << 20];
		memcpy(bad, img, len);
		size_t blen = round < 3 ? len / (size_t)(round + 2) : len; /* truncations */
		for (int i = 0; round >= 3 && i < 5000; i++)
			bad[(size_t)rand() % len] = (unsigned char)rand();
		struct cfi_table *t = NULL;
		int err = cfi_table_from_memory(bad, blen, &t);
		if (!err) {
			for (uint32_t k = 1; k < t->nrows; k++)
				assert_true(t->rows[k - 1].pc < t->rows[k].pc);
			cfi_table_free(t);
		}
		print_message("round %d (%zu bytes): %s\n", round, blen,
			      err ? strerror(-err) : "ok");
	}
}

static struct cfi_table *table_through_cache(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct cfi_table *t = NULL;
	assert_int_equal(cfi_table_from_fd_cached(fd, &t), 0);
	close(fd);
	return t;
}

static void assert_same_table(const struct cfi_table *a, const struct cfi_table *b)
{
	assert_int_equal(a->nrows, b->nrows);
	assert_memory_equal(a->rows, b->rows, a->nrows * sizeof(*a->rows));
	assert_int_equal(a->build_id_len, b->build_id_len);
	assert_memory_equal(a->build_id, b->build_id, a->build_id_len);
	assert_memory_equal(&a->stats, &b->stats, sizeof(a->stats));
}

/* A table read back from the cache is the one built from the CFI: first run (stored), second
 * (read back), and after the cached file is cut short or replaced by garbage (rebuilt). */
static void cached_tables_match_built(void **state)
{
	(void)state;
	struct test_cache_dir cache;
	assert_int_equal(test_cache_dir_enter(&cache, "cfi-cache"), 0);
	const char *dir = cache.path;
	struct cfi_table *built;
	assert_int_equal(cfi_table_from_path(libc_path(), &built), 0);
	char hex[2 * CFI_BUILD_ID_MAX + 1], file[512];
	cfi_table_build_id_hex(built, hex, sizeof(hex));
	snprintf(file, sizeof(file), "%s/%s.cfi", dir, hex);
	for (int round = 0; round < 4; round++) {
		if (round == 2)
			assert_int_equal(truncate(file, 100), 0);
		if (round == 3) {
			FILE *f = fopen(file, "w");
			assert_non_null(f);
			fputs("not a table", f);
			fclose(f);
		}
		struct cfi_table *t = table_through_cache(libc_path());
		assert_same_table(built, t);
		struct stat st;
		assert_int_equal(stat(file, &st), 0); /* stored, or stored again */
		cfi_table_free(t);
	}
	cfi_table_free(built);
	assert_int_equal(test_cache_dir_leave(&cache), 0);
}

/* A copy of src without its GNU build ID note, at dst. */
/* Objects without a build ID are cached by their content: read back the second time (from
 * the file's mapping), the same rows as built, and other content gets another identity. */
static void objects_without_build_id_are_cached(void **state)
{
	(void)state;
	struct test_cache_dir cache;
	assert_int_equal(test_cache_dir_enter(&cache, "cfi-noid"), 0);
	const char *dir = cache.path;
	char self[512], other[512];
	snprintf(self, sizeof(self), "%s/self", dir);
	snprintf(other, sizeof(other), "%s/true", dir);
	assert_int_equal(test_copy_without_build_id("/proc/self/exe", self), 0);
	assert_int_equal(test_copy_without_build_id("/usr/bin/true", other), 0);

	struct cfi_table *built;
	assert_int_equal(cfi_table_from_path(self, &built), 0);
	assert_int_equal(built->build_id_len, 0);
	struct cfi_table *first = table_through_cache(self);
	struct cfi_table *second = table_through_cache(self);
	assert_int_equal(first->build_id_len, 16);
	assert_null(first->mapping);	  /* built */
	assert_non_null(second->mapping); /* read back */
	assert_same_table(first, second);
	assert_int_equal(built->nrows, second->nrows);
	assert_memory_equal(built->rows, second->rows, built->nrows * sizeof(*built->rows));
	struct cfi_table *t = table_through_cache(other);
	assert_int_equal(t->build_id_len, 16);
	assert_memory_not_equal(t->build_id, first->build_id, 16);
	char hex[2 * CFI_BUILD_ID_MAX + 1], file[600];
	cfi_table_build_id_hex(first, hex, sizeof(hex));
	snprintf(file, sizeof(file), "%s/%s.cfi", dir, hex);
	assert_int_equal(access(file, F_OK), 0);

	cfi_table_free(t);
	cfi_table_free(first);
	cfi_table_free(second);
	cfi_table_free(built);
	assert_int_equal(test_cache_dir_leave(&cache), 0);
}

static void bad_input(void **state)
{
	(void)state;
	struct cfi_table *t = NULL;
	assert_int_equal(cfi_table_from_path("/nonexistent/kiln", &t), -ENOENT);
	assert_int_equal(cfi_table_from_path("/proc/self/status", &t), -ENOEXEC);
	static const char junk[] = "\177ELF not really";
	assert_int_equal(cfi_table_from_memory(junk, sizeof(junk), &t), -ENOEXEC);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(libc_rows_match_readelf),
	    cmocka_unit_test(own_rows_match_readelf),
	    cmocka_unit_test(signal_trampoline_and_entry_rows),
	    cmocka_unit_test(plt_rows),
	    cmocka_unit_test(debug_frame_fills_eh_frame_gaps),
	    cmocka_unit_test(corrupt_objects_do_not_crash),
	    cmocka_unit_test(cached_tables_match_built),
	    cmocka_unit_test(objects_without_build_id_are_cached),
	    cmocka_unit_test(bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
