#include "symbol/debuginfo.h"

#include <dlfcn.h>
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

static int try_open(const struct debug_query *q, const char *path, char **found)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	/* The debuglink name can be the binary's own name (same directory candidate). */
	if (fstat(fd, &st) || (st.st_dev == q->dev && st.st_ino == q->ino) ||
	    !build_id_matches(fd, q->build_id)) {
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

/* The places under one root (the container's, or "" for ours). */
static int search_root(const struct debug_query *q, const char *root, char **found)
{
	char path[PATH_MAX * 2 + 64];
	const char *id = q->build_id;
	if (id[0] && id[1] && id[2]) {
		snprintf(path, sizeof(path), "%s%s/.build-id/%.2s/%s.debug", root, debug_root, id,
			 id + 2);
		int fd = try_open(q, path, found);
		if (fd >= 0)
			return fd;
	}
	const char *link = debuglink_name(q->elf);
	if (!link || !*link || q->path[0] != '/')
		return -ENOENT;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", q->path);
	*strrchr(dir, '/') = 0;
	const char *fmts[] = {"%s%s/%s", "%s%s/.debug/%s"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), fmts[i], root, dir, link);
		int fd = try_open(q, path, found);
		if (fd >= 0)
			return fd;
	}
	snprintf(path, sizeof(path), "%s%s%s/%s", root, debug_root, dir, link);
	return try_open(q, path, found);
}

/* Last resort, and only when the user configured servers: it may go to the network. One
 * unreachable server would otherwise cost its timeout for every binary, so the first failure
 * that is not "not found" turns debuginfod off for the run. */
static bool debuginfod_off;

/* libdebuginfod is opened only when servers are configured, as libdw itself does: linking it
 * pulls in libcurl and its thirty libraries, which would slow every kiln start. */
struct debuginfod_api {
	debuginfod_client *(*begin)(void);
	int (*find_debuginfo)(debuginfod_client *, const unsigned char *, int, char **);
	void (*end)(debuginfod_client *);
};

static const struct debuginfod_api *debuginfod_load(void)
{
	static struct debuginfod_api api;
	static int state; /* 0 untried, 1 loaded, -1 unavailable */
	if (state)
		return state > 0 ? &api : NULL;
	state = -1;
	void *h = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		kiln_warn("DEBUGINFOD_URLS is set but libdebuginfod.so.1 cannot be loaded: %s",
			  dlerror());
		return NULL;
	}
	*(void **)&api.begin = dlsym(h, "debuginfod_begin");
	*(void **)&api.find_debuginfo = dlsym(h, "debuginfod_find_debuginfo");
	*(void **)&api.end = dlsym(h, "debuginfod_end");
	if (!api.begin || !api.find_debuginfo || !api.end)
		return NULL;
	state = 1;
	return &api;
}

static int by_debuginfod(const char *build_id, char **found)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (debuginfod_off || !urls || !*urls || !build_id[0])
		return -ENOENT;
	const struct debuginfod_api *api = debuginfod_load();
	debuginfod_client *c = api ? api->begin() : NULL;
	if (!c)
		return -ENOENT;
	char *path = NULL;
	int fd = api->find_debuginfo(c, (const unsigned char *)build_id, 0, &path);
	api->end(c);
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

int debuginfo_find(const struct debug_query *q, char **found)
{
	*found = NULL;
	int fd = q->root ? search_root(q, q->root, found) : -ENOENT;
	if (fd < 0)
		fd = search_root(q, "", found);
	if (fd < 0)
		fd = by_debuginfod(q->build_id, found);
	return fd;
}
