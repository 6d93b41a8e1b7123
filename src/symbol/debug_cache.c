#include "symbol/debug_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/log.h"
#include "util/vec.h"

#define DEFAULT_MAX_MB 2048
#define LRU_GRAIN_S 3600

static int make_dirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char saved = *p;
		*p = 0;
		int rc = mkdir(path, 0700);
		*p = saved;
		if (rc && errno != EEXIST)
			return -errno;
		if (!saved)
			return 0;
	}
}

int debug_cache_dir(char *buf, size_t len)
{
	const char *env = getenv("KILN_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
		   *home = getenv("HOME");
	int n;
	if (env)
		n = *env ? snprintf(buf, len, "%s", env) : -1;
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/kiln/debug", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.cache/kiln/debug", home);
	else
		n = -1;
	if (n < 0)
		return -ENOENT;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Build ids are hex: anything else never becomes part of a path. */
static int cache_path(const char *build_id, const char *suffix, char *path, size_t len)
{
	size_t n = strlen(build_id);
	if (n < 8 || strspn(build_id, "0123456789abcdef") != n)
		return -EINVAL;
	char dir[PATH_MAX];
	int err = debug_cache_dir(dir, sizeof(dir));
	if (err)
		return err;
	if ((size_t)snprintf(path, len, "%s/%s%s", dir, build_id, suffix) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int debug_cache_open(const char *build_id, char *path, size_t len)
{
	return debug_cache_open_kind(build_id, ".debug", path, len);
}

int debug_cache_open_kind(const char *build_id, const char *suffix, char *path, size_t len)
{
	int err = cache_path(build_id, suffix, path, len);
	if (err)
		return err;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Recently used: evicted last. An hour is fine enough for that order, and saves a write
	 * of the inode for each of the dozens of files a run opens. */
	struct stat st;
	if (fstat(fd, &st) || time(NULL) - st.st_mtime > LRU_GRAIN_S)
		futimens(fd, NULL);
	return fd;
}

static const char *section_name(Elf *elf, size_t shstrndx, const GElf_Shdr *sh)
{
	const char *name = elf_strptr(elf, shstrndx, sh->sh_name);
	return name ? name : "";
}

bool debug_cache_worth_it(Elf *elf)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED) &&
		    !strncmp(section_name(elf, shstrndx, &sh), ".debug_", 7))
			return true;
	}
	return false;
}

/* Decompresses every compressed section in place; the copy's size, or -errno. */
static long long decompress_all(Elf *elf)
{
	long long size = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return -EIO;
		if ((sh.sh_flags & SHF_COMPRESSED) &&
		    (elf_compress(scn, 0, 0) < 0 || !gelf_getshdr(scn, &sh)))
			return -EIO;
		if (sh.sh_type != SHT_NOBITS)
			size += (long long)sh.sh_size;
	}
	return size;
}

/* Section for section, in the same order (symbol tables refer to sections by index); libelf lays
 * the file out. Program headers stay behind: a debug file's describe the binary, not itself. */
static int copy_elf(Elf *src, Elf *dst)
{
	GElf_Ehdr eh;
	size_t shstrndx;
	if (!gelf_getehdr(src, &eh) || elf_getshdrstrndx(src, &shstrndx) ||
	    shstrndx >= SHN_LORESERVE || !gelf_newehdr(dst, gelf_getclass(src)))
		return -EIO;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(src, scn));) {
		GElf_Shdr sh;
		Elf_Scn *copy = elf_newscn(dst);
		if (!gelf_getshdr(scn, &sh) || !copy)
			return -EIO;
		for (Elf_Data *d = NULL; (d = elf_getdata(scn, d));) {
			Elf_Data *nd = elf_newdata(copy);
			if (!nd)
				return -EIO;
			*nd = *d;
		}
		if (!gelf_update_shdr(copy, &sh))
			return -EIO;
	}
	eh.e_phoff = 0;
	eh.e_phnum = 0;
	eh.e_shstrndx = (uint16_t)shstrndx;
	return gelf_update_ehdr(dst, &eh) ? 0 : -EIO;
}

static int write_copy(FILE *out, void *arg)
{
	Elf *dst = elf_begin(fileno(out), ELF_C_WRITE, NULL);
	if (!dst)
		return -EIO;
	int err = copy_elf(arg, dst);
	if (!err && elf_update(dst, ELF_C_WRITE) < 0)
		err = -EIO;
	elf_end(dst);
	return err;
}

struct cached_copy {
	struct timespec used;
	off_t size;
	char name[96];
};

static int by_last_use(const void *pa, const void *pb)
{
	const struct cached_copy *a = pa, *b = pb;
	if (a->used.tv_sec != b->used.tv_sec)
		return a->used.tv_sec < b->used.tv_sec ? -1 : 1;
	return (a->used.tv_nsec > b->used.tv_nsec) - (a->used.tv_nsec < b->used.tv_nsec);
}

static long long cache_limit(void)
{
	const char *env = getenv("KILN_CACHE_MAX_MB");
	long long mb = env && *env ? atoll(env) : DEFAULT_MAX_MB;
	return (mb > 0 ? mb : 0) * 1024 * 1024;
}

/* What the directory held at the last full look, plus what this process stored since: a
 * process that stores a dozen small files then looks at the directory once, not a dozen times
 * (a stat per file each time). */
static long long known_total = -1;

/* The same total kept between processes, in LEDGER: a run that stores a few results does not
 * stat the hundreds of files of the cache. A file replaced or removed is not taken off it, and
 * a process writes it again only once it stored LEDGER_SLACK more bytes (a run's few new
 * results are left out, not worth a write each); a full look at least every LEDGER_TRUST_S
 * corrects both, and what concurrent runs wrote over each other. */
#define LEDGER ".size"
#define LEDGER_TRUST_S 3600
#define LEDGER_SLACK (64 << 10)
static long long ledger_total = -1; /* as this process last read or wrote it */
static long long ledger_looked;	    /* when the directory was last looked at whole */

static bool ledger_path(const char *dir, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s", dir, LEDGER);
	return n > 0 && (size_t)n < len;
}

static long long read_ledger(const char *dir)
{
	char path[PATH_MAX], text[32];
	int fd = ledger_path(dir, path, sizeof(path)) ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	long long total, looked;
	if (n <= 0)
		return -1;
	text[n] = 0;
	if (sscanf(text, "%lld %lld", &total, &looked) != 2 || total < 0 ||
	    (long long)time(NULL) - looked > LEDGER_TRUST_S)
		return -1;
	ledger_looked = looked;
	return total;
}

static int print_total(FILE *out, void *arg)
{
	fprintf(out, "%lld %lld\n", *(const long long *)arg, ledger_looked);
	return ferror(out) ? -EIO : 0;
}

/* The ledger is a hint: a failure to write it costs a full look next time, nothing else. */
static void write_ledger(const char *dir, long long total)
{
	char path[PATH_MAX];
	if (ledger_path(dir, path, sizeof(path)))
		atomic_write_file(path, print_total, &total);
	ledger_total = total;
}

/* The kinds of file the bound counts (debug_cache.h): the ledger and temporary files are not
 * among them. */
static bool is_cache_file(const char *name, size_t len)
{
	static const char *const kinds[] = {".debug", ".cfi", ".sym", ".cu", ".cid"};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t k = strlen(kinds[i]);
		if (len > k && !strcmp(name + len - k, kinds[i]))
			return true;
	}
	return false;
}

/* Removes the copies used least recently until `incoming` more bytes fit; false if they never
 * can. */
static bool make_room(const char *dir, long long incoming)
{
	long long limit = cache_limit();
	if (incoming > limit)
		return false;
	if (known_total < 0)
		known_total = ledger_total = read_ledger(dir);
	if (known_total >= 0 && known_total + incoming <= limit) {
		known_total += incoming;
		if (known_total - ledger_total >= LEDGER_SLACK)
			write_ledger(dir, known_total);
		return true;
	}
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct cached_copy *copies = NULL;
	size_t n = 0, cap = 0;
	long long total = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		struct stat st;
		if (!is_cache_file(e->d_name, len) || len >= sizeof(copies->name) ||
		    fstatat(dirfd(d), e->d_name, &st, 0) || VEC_RESERVE(copies, cap, n + 1))
			continue;
		copies[n] = (struct cached_copy){.used = st.st_mtim, .size = st.st_size};
		memcpy(copies[n++].name, e->d_name, len + 1);
		total += st.st_size;
	}
	if (n)
		qsort(copies, n, sizeof(*copies), by_last_use);
	for (size_t i = 0; i < n && total + incoming > limit; i++)
		if (!unlinkat(dirfd(d), copies[i].name, 0))
			total -= copies[i].size;
	closedir(d);
	free(copies);
	known_total = total + incoming;
	ledger_looked = (long long)time(NULL);
	write_ledger(dir, known_total);
	return total + incoming <= limit;
}

int debug_cache_store_kind(const char *build_id, const char *suffix, long long size,
			   atomic_writer write, void *arg)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int err = cache_path(build_id, suffix, path, sizeof(path));
	if (err)
		return err;
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;
	if ((err = make_dirs(dir)))
		return err;
	if (!make_room(dir, size))
		return -ENOSPC;
	err = atomic_write_file(path, write, arg);
	if (!err)
		kiln_debug("cached %s for build id %s", path, build_id);
	return err;
}

void debug_cache_remove_kind(const char *build_id, const char *suffix)
{
	char path[PATH_MAX];
	if (!cache_path(build_id, suffix, path, sizeof(path)))
		unlink(path);
}

int debug_cache_store(Elf *elf, const char *build_id)
{
	long long size = decompress_all(elf);
	if (size < 0)
		return (int)size;
	return debug_cache_store_kind(build_id, ".debug", size, write_copy, elf);
}
