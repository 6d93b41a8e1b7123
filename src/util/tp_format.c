#include "util/tp_format.h"

#include <errno.h>
#include <fcntl.h>
#include <event-parse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <tracefs.h>
#include <unistd.h>

#include "util/read_all.h"

const char *tp_tracing_dir(void)
{
	const char *dir = tracefs_tracing_dir();
	if (dir)
		return dir;
	/* libtracefs found no mount: tracefs may simply not be mounted yet. */
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		return "/sys/kernel/tracing";
	return NULL;
}

char *tp_format_read(const char *dir, const char *sys, const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", dir, sys, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	void *text = NULL;
	size_t len;
	int err = read_all(fd, &text, &len);
	close(fd);
	return err ? NULL : text;
}

int tp_fields(const char *sys, const char *name, const char *const *fields, unsigned *offsets,
	      unsigned *sizes, int n)
{
	const char *dir = tp_tracing_dir();
	char *text = dir ? tp_format_read(dir, sys, name) : NULL;
	if (!text)
		return -ENOENT;
	struct tep_handle *tep = tep_alloc();
	struct tep_event *ev = NULL;
	int err = -ENOMEM;
	if (tep) {
		err =
		    tep_parse_format(tep, &ev, text, strlen(text), sys) == TEP_ERRNO__SUCCESS && ev
			? 0
			: -ENOENT;
		for (int i = 0; !err && i < n; i++) {
			const struct tep_format_field *f = tep_find_field(ev, fields[i]);
			if (!f || f->offset < 0 || f->size <= 0)
				err = -ENOENT;
			else {
				offsets[i] = (unsigned)f->offset;
				sizes[i] = (unsigned)f->size;
			}
		}
		tep_free(tep);
	}
	free(text);
	return err;
}
