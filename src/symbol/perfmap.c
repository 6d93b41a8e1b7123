#include "symbol/perfmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_file(const char *path, char **text, off_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	*text = buf;
	*size = (off_t)len;
	return 0;
}

static void parse_line(struct perfmap *m, char *line)
{
	char *end;
	uint64_t start = strtoull(line, &end, 16);
	if (end == line || *end != ' ')
		return;
	char *p = end + 1;
	uint64_t size = strtoull(p, &end, 16);
	if (end == p || *end != ' ' || !end[1])
		return;
	/* Names may contain spaces (V8: "LazyCompile:*foo file.js:1"): the rest of the line. */
	struct sym_entry e = {.addr = start, .size = size, .name = end + 1, .bind_rank = 2};
	sym_table_add(&m->syms, &e);
}

int perfmap_load(struct perfmap *m, const char *path)
{
	memset(m, 0, sizeof(*m));
	int err = read_file(path, &m->text, &m->size);
	if (err)
		return err;
	/* A line without its newline is still being written by the JIT: left for a reload. */
	char *nl;
	for (char *line = m->text; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = 0;
		parse_line(m, line);
	}
	/* A JIT that recompiles a function at the same address writes a new line; keep one. */
	sym_table_finish(&m->syms);
	return 0;
}

void perfmap_free(struct perfmap *m)
{
	sym_table_free(&m->syms);
	free(m->text);
	memset(m, 0, sizeof(*m));
}
