/* The cache's size bound (symbol/debug_cache.c): the files used least recently go first, and
 * runs keep the directory's total in a ledger instead of a stat per file each. Each "run" is a
 * child process, as each kiln is: the total a process knows lives in its memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbol/debug_cache.h"
#include "test_cache_dir.h"

#define KIB 1024L

static struct test_cache_dir cache;

static int enter(void **state)
{
	(void)state;
	setenv("KILN_CACHE_MAX_MB", "1", 1);
	return test_cache_dir_enter(&cache, "debug-cache");
}

static int leave(void **state)
{
	(void)state;
	unsetenv("KILN_CACHE_MAX_MB");
	return test_cache_dir_leave(&cache);
}

static int write_zeros(FILE *out, void *arg)
{
	static const char zeros[4096];
	for (long left = *(const long *)arg; left > 0; left -= (long)sizeof(zeros))
		fwrite(zeros, 1, left < (long)sizeof(zeros) ? (size_t)left : sizeof(zeros), out);
	return ferror(out) ? -1 : 0;
}

/* One kiln run storing `size` bytes for build id `id`: its status. */
static int store_in_a_run(const char *id, long size)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(debug_cache_store_kind(id, ".sym", size, write_zeros, &size) ? 1 : 0);
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool stored(const char *id)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s.sym", cache.path, id);
	return access(path, F_OK) == 0;
}

/* The ledger's total, or -1 without one. */
static long long ledger(long long *looked)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/.size", cache.path);
	FILE *f = fopen(path, "r");
	long long total = -1, at = 0;
	if (f) {
		if (fscanf(f, "%lld %lld", &total, &at) != 2)
			total = -1;
		fclose(f);
	}
	if (looked)
		*looked = at;
	return total;
}

static void set_ledger(long long total, long long looked)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/.size", cache.path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%lld %lld\n", total, looked);
	fclose(f);
}

/* Makes a stored file look used `ago` seconds back. */
static void used_ago(const char *id, time_t ago)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s.sym", cache.path, id);
	struct timespec t[2] = {{time(NULL) - ago, 0}, {time(NULL) - ago, 0}};
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static const char *A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char *C = "cccccccccccccccccccccccccccccccccccccccc";
static const char *D = "dddddddddddddddddddddddddddddddddddddddd";

static void least_recently_used_go_first(void **state)
{
	(void)state;
	long long looked;
	assert_int_equal(store_in_a_run(A, 400 * KIB), 0);
	/* The first run looked at the directory whole and left the total. */
	assert_int_equal(ledger(&looked), 400 * KIB);
	assert_true(looked > time(NULL) - 60);
	used_ago(A, 600);
	assert_int_equal(store_in_a_run(B, 400 * KIB), 0);
	assert_int_equal(ledger(NULL), 800 * KIB); /* from the ledger, plus what it stored */
	/* 1200 KiB do not fit in 1 MiB: the least recently used file goes. */
	assert_int_equal(store_in_a_run(C, 400 * KIB), 0);
	assert_false(stored(A));
	assert_true(stored(B) && stored(C));
	assert_int_equal(ledger(NULL), 800 * KIB);
	/* Larger than the whole bound: refused, nothing removed. */
	assert_int_not_equal(store_in_a_run(D, 2048 * KIB), 0);
	assert_true(stored(B) && stored(C) && !stored(D));
}

static void an_old_or_damaged_ledger_is_not_trusted(void **state)
{
	(void)state;
	/* Says the cache is empty, but was written two hours ago: the run looks for itself and
	 * finds B and C (800 KiB), so D's 400 KiB make room by removing the older of them. */
	used_ago(B, 600);
	set_ledger(0, (long long)time(NULL) - 7200);
	assert_int_equal(store_in_a_run(D, 400 * KIB), 0);
	assert_false(stored(B));
	assert_true(stored(C) && stored(D));
	assert_int_equal(ledger(NULL), 800 * KIB);
	/* Garbage: looked at again, and rewritten. */
	set_ledger(-5, (long long)time(NULL));
	assert_int_equal(store_in_a_run(A, 100 * KIB), 0);
	assert_int_equal(ledger(NULL), 900 * KIB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(least_recently_used_go_first),
	    cmocka_unit_test(an_old_or_damaged_ledger_is_not_trusted),
	};
	return cmocka_run_group_tests(tests, enter, leave);
}
