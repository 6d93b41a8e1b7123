#include "symbol/debuginfo.h"

#include <elfutils/debuginfod.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbol/elf_object.h"
#include "util/log.h"

static const char *debug_root = "/usr/lib/debug";

void debuginfo_set_root(const char *dir)
{
	debug_root = dir ? dir : "/usr/lib/debug";
}

/* A debug file whose build id differs from the binary's belongs to another build. */
static bool build_id_matches(int fd, const char *want)
{
	if (!want[0])
		return true;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return false;
	char got[2 * 64 + 1];
	elf_build_id_hex(elf, got, sizeof(got));
	elf_end(elf);
	return !got[0] || !strcmp(got, want);
}

static int try_open(const char *path, const char *binary_path, const char *build_id, char **found)
{
	struct stat a, b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	/* The debuglink name can be the binary's own name (same directory candidate). */
	if (!fstat(fd, &a) && !stat(binary_path, &b) && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino) {
		close(fd);
		return -ENOENT;
	}
	if (!build_id_matches(fd, build_id)) {
		close(fd);
		return -ENOENT;
	}
	*found = strdup(path);
	if (!*found) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

static const char *debuglink_name(Elf *elf)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".gnu_debuglink"))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_size || !memchr(d->d_buf, 0, d->d_size))
			return NULL;
		return d->d_buf;
	}
	return NULL;
}

static int by_debuglink(const char *binary_path, Elf *binary, const char *build_id, char **found)
{
	const char *link = debuglink_name(binary);
	if (!link || !*link || binary_path[0] != '/')
		return -ENOENT;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", binary_path);
	char *slash = strrchr(dir, '/');
	*slash = 0;
	char path[PATH_MAX * 2 + 64];
	const char *fmts[] = {"%s/%s", "%s/.debug/%s"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), fmts[i], dir, link);
		int fd = try_open(path, binary_path, build_id, found);
		if (fd >= 0)
			return fd;
	}
	snprintf(path, sizeof(path), "%s%s/%s", debug_root, dir, link);
	return try_open(path, binary_path, build_id, found);
}

/* Last resort, and only when the user configured servers: it may go to the network. One
 * unreachable server would otherwise cost its timeout for every binary, so the first failure
 * that is not "not found" turns debuginfod off for the run. */
static bool debuginfod_off;

static int by_debuginfod(const char *build_id, char **found)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (debuginfod_off || !urls || !*urls || !build_id[0])
		return -ENOENT;
	debuginfod_client *c = debuginfod_begin();
	if (!c)
		return -ENOENT;
	char *path = NULL;
	int fd = debuginfod_find_debuginfo(c, (const unsigned char *)build_id, 0, &path);
	debuginfod_end(c);
	if (fd < 0) {
		free(path);
		if (fd != -ENOENT) {
			debuginfod_off = true;
			kiln_warn(
			    "debuginfod (DEBUGINFOD_URLS=%s) failed: %s; continuing without it",
			    urls, strerror(-fd));
		}
		return -ENOENT;
	}
	*found = path;
	return fd;
}

int debuginfo_find(const char *binary_path, Elf *binary, const char *build_id, char **found)
{
	*found = NULL;
	if (build_id[0] && build_id[1] && build_id[2]) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", debug_root, build_id,
			 build_id + 2);
		int fd = try_open(path, binary_path, build_id, found);
		if (fd >= 0)
			return fd;
	}
	int fd = by_debuglink(binary_path, binary, build_id, found);
	if (fd >= 0)
		return fd;
	return by_debuginfod(build_id, found);
}
