/* The results cache (symbol/sym_cache.h) and the table-free symbol search (sym_nearest): both
 * stand in for slower paths, so both must answer exactly what those paths answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile/profile.h"
#include "symbol/dwarf_frames.h"
#include "symbol/elf_object.h"
#include "symbol/sym_cache.h"
#include "symbol/sym_table.h"
#include "symbol/symbolizer.h"
#include "test_cache_dir.h"

static struct test_cache_dir cache;
static const char *cache_dir = cache.path;

static int make_cache_dir(void **state)
{
	(void)state;
	return test_cache_dir_enter(&cache, "sym-cache");
}

static int remove_cache_dir(void **state)
{
	(void)state;
	return test_cache_dir_leave(&cache);
}

static const char *BUILD_ID = "0123456789abcdef0123456789abcdef01234567";
static const char *BUILD_ID_MANY = "89abcdef0123456789abcdef0123456789abcdef";

static void frames_survive_a_save(void **state)
{
	(void)state;
	struct src_frame in[3] = {
	    {.name = "inlined_helper", .line = 12, .decl_file = "/src/a.h", .decl_line = 3},
	    {.name = NULL, .line = 40, .decl_file = NULL, .decl_line = 0},
	    {.name = "outer", .line = 41, .decl_file = "/src/a.c", .decl_line = 30},
	};
	struct sym_cache *c = sym_cache_open(BUILD_ID, "debug none");
	assert_non_null(c);
	assert_int_equal(sym_cache_put(c, 0x1234, in, 3), 0);
	assert_int_equal(sym_cache_put(c, 0x99, &in[2], 1), 0);
	assert_int_equal(sym_cache_put(c, 0x5, in, 0), -EINVAL);
	assert_int_equal(sym_cache_save(c), 0);
	sym_cache_free(c);

	c = sym_cache_open(BUILD_ID, "debug none");
	struct src_frame out[4];
	assert_int_equal(sym_cache_get(c, 0x1234, out, 4), 3);
	assert_string_equal(out[0].name, "inlined_helper");
	assert_string_equal(out[0].decl_file, "/src/a.h");
	assert_int_equal(out[0].line, 12);
	assert_int_equal(out[0].decl_line, 3);
	assert_null(out[1].name);
	assert_null(out[1].decl_file);
	assert_int_equal(out[1].line, 40);
	assert_string_equal(out[2].name, "outer");
	assert_int_equal(sym_cache_get(c, 0x99, out, 4), 1);
	assert_int_equal(sym_cache_get(c, 0x1235, out, 4), 0);
	/* Deeper than the caller keeps: not half an answer. */
	assert_int_equal(sym_cache_get(c, 0x1234, out, 2), 0);
	sym_cache_free(c);

	/* Found with another debug file: none of it holds. */
	c = sym_cache_open(BUILD_ID, "debug fedcba9876543210");
	assert_non_null(c);
	assert_int_equal(sym_cache_get(c, 0x1234, out, 4), 0);
	sym_cache_free(c);
}

static void damaged_files_are_ignored(void **state)
{
	(void)state;
	struct src_frame f = {.name = "f", .line = 1};
	struct sym_cache *c = sym_cache_open(BUILD_ID, "debug none");
	assert_int_equal(sym_cache_put(c, 0x10, &f, 1), 0);
	assert_int_equal(sym_cache_put(c, 0x200000, &f, 1), 0); /* the file's last record */
	assert_int_equal(sym_cache_save(c), 0);
	sym_cache_free(c);
	char cmd[512];
	/* Cut inside the last record: the records before it still count. A few new records go to
	 * the small delta file (blob_cache.c), which is the only one here. */
	snprintf(cmd, sizeof(cmd), "for f in %s/%s*.sym; do truncate -s -3 $f; done", cache_dir,
		 BUILD_ID);
	assert_int_equal(system(cmd), 0);
	c = sym_cache_open(BUILD_ID, "debug none");
	struct src_frame out[2];
	assert_int_equal(sym_cache_get(c, 0x10, out, 2), 1);
	assert_int_equal(sym_cache_get(c, 0x99, out, 2), 1); /* stored by the test before */
	assert_int_equal(sym_cache_get(c, 0x200000, out, 2), 0);
	sym_cache_free(c);
	/* Not a cache file at all. */
	snprintf(cmd, sizeof(cmd), "for f in %s/%s*.sym; do echo garbage >$f; done", cache_dir,
		 BUILD_ID);
	assert_int_equal(system(cmd), 0);
	c = sym_cache_open(BUILD_ID, "debug none");
	assert_non_null(c);
	assert_int_equal(sym_cache_get(c, 0x10, out, 2), 0);
	sym_cache_free(c);
	/* No build id, or the cache turned off: nothing to keep results by. */
	assert_null(sym_cache_open("", "debug none"));
	setenv("KILN_CACHE_DIR", "", 1);
	assert_null(sym_cache_open(BUILD_ID, "debug none"));
	setenv("KILN_CACHE_DIR", cache_dir, 1);
}

static bool file_exists(const char *suffix)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s%s", cache_dir, BUILD_ID_MANY, suffix);
	return access(path, F_OK) == 0;
}

/* Runs that add a few records write them to the delta file; one that adds many folds
 * everything into the base and drops the delta. Every record stays reachable. */
static void records_fold_into_the_base(void **state)
{
	(void)state;
	struct src_frame f = {.name = "fn", .line = 7};
	uint64_t next = 0x1000;
	const int rounds[] = {10, 20, 600, 5};
	for (size_t r = 0; r < sizeof(rounds) / sizeof(rounds[0]); r++) {
		struct sym_cache *c = sym_cache_open(BUILD_ID_MANY, "debug none");
		for (int i = 0; i < rounds[r]; i++, next += 16)
			assert_int_equal(sym_cache_put(c, next, &f, 1), 0);
		assert_int_equal(sym_cache_save(c), 0);
		sym_cache_free(c);
		if (r == 1)
			assert_true(file_exists(".d.sym") && !file_exists(".sym"));
		if (r == 2)
			assert_true(file_exists(".sym") && !file_exists(".d.sym"));
	}
	assert_true(file_exists(".d.sym"));
	struct sym_cache *c = sym_cache_open(BUILD_ID_MANY, "debug none");
	struct src_frame out[1];
	/* Blocks of the base's fence (blob_cache.c) and their edges: every key found, none
	 * between them, before the first or past the last. */
	for (uint64_t a = 0x1000; a < next; a += 16) {
		assert_int_equal(sym_cache_get(c, a, out, 1), 1);
		assert_int_equal(sym_cache_get(c, a + 8, out, 1), 0);
	}
	assert_int_equal(sym_cache_get(c, 0, out, 1), 0);
	assert_int_equal(sym_cache_get(c, 0xff0, out, 1), 0);
	assert_int_equal(sym_cache_get(c, next, out, 1), 0);
	assert_int_equal(sym_cache_get(c, UINT64_MAX, out, 1), 0);
	sym_cache_free(c);
}

/* Every libc function of this process, named through a symbolizer: the first time from the
 * ELF and DWARF, the second time from what the first stored. */
static char *describe_libc(size_t *stored)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	const char *names[] = {"qsort", "memcpy", "printf", "malloc", "strtod", "getenv", "fopen"};
	struct symbolizer *s = symbolizer_new();
	struct kiln_profile *p = kiln_profile_new();
	assert_int_equal(sym_scan_process(s, getpid()), 0);
	size_t len = 0, cap = 1 << 16;
	char *out = calloc(1, cap);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t at = (uint64_t)(uintptr_t)dlsym(libc, names[i]);
		for (uint64_t a = at; a < at + 96; a += 7) {
			uint32_t loc = sym_user_location(s, p, getpid(), a);
			const struct kiln_location *l = kiln_profile_get_location(p, loc);
			for (uint32_t k = 0; l && k < l->nlines; k++) {
				const struct kiln_line *line = &p->lines[l->first_line + k];
				const struct kiln_function *f =
				    kiln_profile_get_function(p, line->function);
				len +=
				    (size_t)snprintf(out + len, cap - len, "%s:%d ",
						     kiln_profile_str(p, f->name), (int)line->line);
			}
			len += (size_t)snprintf(out + len, cap - len, "\n");
		}
	}
	kiln_profile_free(p);
	symbolizer_free(s);
	dlclose(libc);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "ls %s/*.sym 2>/dev/null | wc -l", cache_dir);
	FILE *f = popen(cmd, "r");
	*stored = 0;
	if (f) {
		if (fscanf(f, "%zu", stored) != 1)
			*stored = 0;
		pclose(f);
	}
	return out;
}

static int in_cache_dir(const char *shell)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cd %s && %s", cache_dir, shell);
	return system(cmd);
}

/* Cold, warm, from the unit indexes alone (no stored addresses), with damaged unit indexes,
 * and with every cache off: one answer. */
static void symbolizer_answers_alike_from_the_cache(void **state)
{
	(void)state;
	size_t after_cold, after_warm, ignored;
	char *cold = describe_libc(&after_cold);
	char *warm = describe_libc(&after_warm);
	bool units_stored = in_cache_dir("ls *.cu >/dev/null 2>&1") == 0;
	assert_int_equal(in_cache_dir("rm -f *.sym"), 0);
	char *from_units = describe_libc(&ignored);
	assert_int_equal(in_cache_dir("rm -f *.sym && for f in *.cu; do echo damaged >$f; done"),
			 0);
	char *damaged = describe_libc(&ignored);
	setenv("KILN_CACHE_DIR", "", 1);
	char *uncached = describe_libc(&ignored);
	setenv("KILN_CACHE_DIR", cache_dir, 1);
	assert_true(after_cold > 0); /* libc has a build id: its results were stored */
	assert_int_equal(after_cold, after_warm);
	assert_string_equal(cold, uncached);
	assert_string_equal(cold, warm);
	/* libc6-dbg (or DWARF in libc itself) gives units to index; without it there are none. */
	if (units_stored)
		assert_string_equal(cold, from_units);
	else
		print_message("note: no DWARF for libc here: unit indexes not exercised\n");
	assert_string_equal(cold, damaged);
	free(cold);
	free(warm);
	free(from_units);
	free(damaged);
	free(uncached);
}

static struct elf_object *open_object(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct elf_object *o = elf_object_from_fd(fd, path);
	close(fd);
	assert_non_null(o);
	assert_true(elf_object_parse(o));
	return o;
}

/* Files without a build id (Go binaries, stripped copies) keep their results by a hash of
 * their content: stored by one run, found by the next, and not found for other content. */
static void objects_without_build_id_are_cached(void **state)
{
	(void)state;
	char self[512], other[512], renamed[512];
	snprintf(self, sizeof(self), "%s/self", cache_dir);
	snprintf(other, sizeof(other), "%s/true", cache_dir);
	snprintf(renamed, sizeof(renamed), "%s/self-renamed", cache_dir);
	assert_int_equal(test_copy_without_build_id("/proc/self/exe", self), 0);
	assert_int_equal(test_copy_without_build_id("/usr/bin/true", other), 0);
	char cmd[1200];
	/* The same code under one more symbol name: what names its addresses differs. */
	snprintf(cmd, sizeof(cmd), "objcopy --add-symbol extra_name=.text:0x10,function '%s' '%s'",
		 self, renamed);
	assert_int_equal(system(cmd), 0);

	struct src_frame in = {.name = "from_the_first_run", .line = 7};
	struct elf_object *o = open_object(self);
	assert_string_equal(o->build_id, "");
	assert_int_equal(strlen(o->cache_id), 32);
	struct sym_cache *c = elf_object_results(o);
	assert_non_null(c);
	assert_int_equal(sym_cache_put(c, 0x4321, &in, 1), 0);
	elf_object_save_caches(o);
	char id[sizeof(o->cache_id)];
	memcpy(id, o->cache_id, sizeof(id));
	elf_object_free(o);

	struct src_frame out[2];
	o = open_object(self);
	assert_string_equal(o->cache_id, id);
	assert_int_equal(sym_cache_get(elf_object_results(o), 0x4321, out, 2), 1);
	assert_string_equal(out[0].name, "from_the_first_run");
	elf_object_free(o);

	/* The hash is remembered by the file's version (elf_object.c): one .cid file, read by the
	 * second open above. A file rewritten in place is hashed again: with other code it gets
	 * another id, with the same code the same. */
	snprintf(cmd, sizeof(cmd), "test $(ls %s/*.cid | wc -l) -eq 1 && grep -qx %s %s/*.cid",
		 cache_dir, id, cache_dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "cat '%s' > '%s'", other, self);
	assert_int_equal(system(cmd), 0);
	o = open_object(self);
	assert_string_not_equal(o->cache_id, id);
	elf_object_free(o);
	assert_int_equal(test_copy_without_build_id("/proc/self/exe", self), 0);
	o = open_object(self);
	assert_string_equal(o->cache_id, id);
	elf_object_free(o);

	const char *others[] = {other, renamed};
	for (size_t i = 0; i < 2; i++) {
		o = open_object(others[i]);
		assert_int_equal(strlen(o->cache_id), 32);
		assert_string_not_equal(o->cache_id, id);
		assert_int_equal(sym_cache_get(elf_object_results(o), 0x4321, out, 2), 0);
		elf_object_free(o);
	}
	unlink(self);
	unlink(other);
	unlink(renamed);
}

/* The same answers from a sorted table and from the one-pass search, for random tables full
 * of the cases the rules exist for: aliases, labels, nested and overlapping symbols. */
static void nearest_search_agrees_with_the_table(void **state)
{
	(void)state;
	static const char *names[] = {"f", "f.part.0", "__f", "_g", "g", "h.cold", "hh", "i"};
	srandom(7);
	for (int round = 0; round < 200; round++) {
		struct sym_table t = {0};
		struct sym_entry e[64];
		int n = 1 + (int)(random() % 64);
		for (int i = 0; i < n; i++) {
			e[i] = (struct sym_entry){
			    .addr = 0x1000 + (uint64_t)(random() % 48) * 8,
			    .size = random() % 3 ? (uint64_t)(random() % 12) * 8 : 0,
			    .name = names[random() % 8],
			    .bind_rank = (uint8_t)(random() % 6),
			};
			assert_int_equal(sym_table_add(&t, &e[i]), 0);
		}
		sym_table_finish(&t);
		for (uint64_t a = 0xff0; a < 0x1000 + 48 * 8 + 0x80; a += 3) {
			struct sym_nearest q;
			sym_nearest_init(&q, a);
			for (int i = n; i-- > 0;) /* another order than the table's */
				sym_nearest_add(&q, &e[i]);
			const struct sym_entry *want = sym_table_find(&t, a),
					       *got = sym_nearest_result(&q);
			if (!want) {
				assert_null(got);
				continue;
			}
			assert_non_null(got);
			assert_int_equal(got->addr, want->addr);
			assert_int_equal(got->size, want->size);
			assert_string_equal(got->name, want->name);
		}
		sym_table_free(&t);
	}
}

/* The unit index's lines against libdw's own dwarf_getsrc_die, at every row's address (and the
 * byte after) of the first units of a file, with the unit cache off and then warm. */
static void compare_lines(const char *path, const char *cache_id, size_t *compared)
{
	int fd = open(path, O_RDONLY);
	Dwarf *dw = fd >= 0 ? dwarf_begin(fd, DWARF_C_READ) : NULL;
	if (!dw) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dwarf_index *ix[2] = {dwarf_index_new(dw, "", "debug none"),
				     dwarf_index_new(dw, cache_id, "debug none")};
	Dwarf_Off off = 0, next;
	size_t hsize;
	for (int units = 0; units < 40 && !dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL);
	     units++, off = next) {
		Dwarf_Die cu;
		Dwarf_Lines *lines;
		size_t n;
		if (!dwarf_offdie(dw, off + hsize, &cu) || dwarf_getsrclines(&cu, &lines, &n))
			continue;
		for (size_t i = 0; i < n; i += 3) {
			Dwarf_Addr a;
			dwarf_lineaddr(dwarf_onesrcline(lines, i), &a);
			for (Dwarf_Addr pc = a; pc < a + 2; pc++) {
				/* libdw's own answer: its unit for pc, then that unit's row. */
				Dwarf_Die holder;
				Dwarf_Line *l = dwarf_addrdie(dw, pc, &holder)
						    ? dwarf_getsrc_die(&holder, pc)
						    : NULL;
				int want = 0;
				if (l)
					dwarf_lineno(l, &want);
				for (int k = 0; k < 2; k++) {
					struct src_frame fr[16];
					int nf = dwarf_src_frames(ix[k], pc, fr, 16);
					if (nf > 0) {
						assert_int_equal(fr[0].line, want);
						(*compared)++;
					}
				}
			}
		}
	}
	dwarf_index_save(ix[1]);
	dwarf_index_free(ix[0]);
	dwarf_index_free(ix[1]);
	dwarf_end(dw);
	close(fd);
}

static void unit_index_lines_are_libdws(void **state)
{
	(void)state;
	size_t compared = 0;
	/* Each file its own cache id: the unit cache is kept by it. */
	compare_lines("/proc/self/exe", "00112233445566778899", &compared);
	assert_true(compared > 1000);
	/* Again, the units (and the table of unit ranges) now read from the cache. */
	compare_lines("/proc/self/exe", "00112233445566778899", &compared);
	char libc_debug[512];
	FILE *f = popen("f=/usr/lib/debug/.build-id/$(readelf -n /lib/x86_64-linux-gnu/libc.so.6 | "
			"sed -n 's/.*Build ID: \\(..\\)\\(.*\\)/\\1\\/\\2/p').debug; "
			"[ -f $f ] && echo $f",
			"r");
	if (f && fgets(libc_debug, sizeof(libc_debug), f)) {
		libc_debug[strcspn(libc_debug, "\n")] = 0;
		compare_lines(libc_debug, "99887766554433221100", &compared);
		compare_lines(libc_debug, "99887766554433221100", &compared);
	} else {
		print_message("note: no debug file for libc here (libc6-dbg): only this binary\n");
	}
	if (f)
		pclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(frames_survive_a_save),
	    cmocka_unit_test(damaged_files_are_ignored),
	    cmocka_unit_test(records_fold_into_the_base),
	    cmocka_unit_test(symbolizer_answers_alike_from_the_cache),
	    cmocka_unit_test(objects_without_build_id_are_cached),
	    cmocka_unit_test(nearest_search_agrees_with_the_table),
	    cmocka_unit_test(unit_index_lines_are_libdws),
	};
	return cmocka_run_group_tests(tests, make_cache_dir, remove_cache_dir);
}
