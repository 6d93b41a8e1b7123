/* A fresh kiln cache directory (KILN_CACHE_DIR) for one test or test group; leaving it removes
 * the directory and puts back the run's own (tests/run.sh sets one). */
#ifndef KILN_TEST_CACHE_DIR_H
#define KILN_TEST_CACHE_DIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_cache_dir {
	char path[64];
	char *outer;
};

/* tag names the directory (/tmp/kiln-TAG.XXXXXX). 0, or -1 when it cannot be made. */
static inline int test_cache_dir_enter(struct test_cache_dir *c, const char *tag)
{
	snprintf(c->path, sizeof(c->path), "/tmp/kiln-%s.XXXXXX", tag);
	if (!mkdtemp(c->path))
		return -1;
	const char *outer = getenv("KILN_CACHE_DIR");
	c->outer = outer ? strdup(outer) : NULL;
	setenv("KILN_CACHE_DIR", c->path, 1);
	return 0;
}

/* 0, or -1 when the directory could not be removed. */
static inline int test_cache_dir_leave(struct test_cache_dir *c)
{
	if (c->outer)
		setenv("KILN_CACHE_DIR", c->outer, 1);
	else
		unsetenv("KILN_CACHE_DIR");
	free(c->outer);
	c->outer = NULL;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->path);
	return system(cmd) == 0 ? 0 : -1;
}

/* A copy of the ELF file src at dst without its GNU build-id note, the way Go binaries come:
 * the caches must then know it by its content. system()'s status. */
static inline int test_copy_without_build_id(const char *src, const char *dst)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "objcopy --remove-section .note.gnu.build-id '%s' '%s'", src,
		 dst);
	return system(cmd);
}

#endif
