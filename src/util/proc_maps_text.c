#include "util/proc_maps_text.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A number in base 16 or 10 at *p, which then points past it; false when there is none or
 * it does not fit in 64 bits. */
static bool number(const char **p, unsigned base, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;
	while ((d = hex_digit(*s)) >= 0 && (unsigned)d < base) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static void skip_spaces(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

bool maps_line_parse(const char *line, struct maps_line *out)
{
	const char *p = line;
	uint64_t major, minor;
	if (!number(&p, 16, &out->start) || !expect(&p, '-') || !number(&p, 16, &out->end) ||
	    !expect(&p, ' '))
		return false;
	const char *perms = p;
	while (*p && *p != ' ')
		p++;
	if (p - perms < 3)
		return false;
	out->exec = perms[2] == 'x';
	skip_spaces(&p);
	if (!number(&p, 16, &out->offset) || !expect(&p, ' ') || !number(&p, 16, &major) ||
	    !expect(&p, ':') || !number(&p, 16, &minor) || !expect(&p, ' ') ||
	    !number(&p, 10, &out->inode))
		return false;
	if (major > UINT32_MAX || minor > UINT32_MAX)
		return false;
	out->dev_major = (unsigned)major;
	out->dev_minor = (unsigned)minor;
	skip_spaces(&p);
	out->path = p;
	return true;
}

/* Most processes' maps fit in a few KiB: a buffer sized for that stays in the heap, where
 * read_all's 64 KiB steps would take fresh pages from mmap for every process. */
#define MAPS_FIRST_READ 16384

int maps_read_text(int pid, char **text, size_t *len)
{
	char path[64];
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	char *buf = NULL;
	size_t used = 0, cap = 0;
	int err = 0;
	for (;;) {
		if (cap - used < 4096) { /* the kernel hands out maps a page at a time */
			size_t want = cap ? 2 * cap : MAPS_FIRST_READ;
			char *grown = realloc(buf, want);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			buf = grown;
			cap = want;
		}
		ssize_t n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno == ENOENT ? -ESRCH : -errno;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

int maps_parse_text(char *text, size_t len, maps_line_fn each, void *arg)
{
	char *end = text + len;
	int rc = 0;
	for (char *line = text, *next; !rc && line < end; line = next) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		next = nl ? nl + 1 : end;
		if (nl)
			*nl = '\0';
		struct maps_line m;
		if (maps_line_parse(line, &m))
			rc = each(arg, &m);
	}
	return rc;
}

int maps_each_line(int pid, maps_line_fn each, void *arg)
{
	char *text;
	size_t len;
	int err = maps_read_text(pid, &text, &len);
	if (err)
		return err;
	err = maps_parse_text(text, len, each, arg);
	free(text);
	return err;
}

static struct {
	const void *image;
	size_t size;
} vdso;

static int note_vdso(void *arg, const struct maps_line *m)
{
	if (m->start != *(const uint64_t *)arg || strcmp(m->path, "[vdso]"))
		return 0;
	vdso.image = (const void *)(uintptr_t)m->start;
	vdso.size = m->end - m->start;
	return 1;
}

static void find_vdso(void)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR);
	if (base)
		maps_each_line(0, note_vdso, &base);
}

const void *vdso_image(size_t *size)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, find_vdso);
	*size = vdso.size;
	return vdso.image;
}
