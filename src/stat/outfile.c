#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stat/outfile.h"
#include "util/log.h"

int stat_outfile_open(struct stat_outfile *out, const char *path)
{
	out->f = stderr;
	out->path = path;
	out->tmp = NULL;
	if (!path)
		return 0;
	if (asprintf(&out->tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	int fd = mkstemp(out->tmp);
	if (fd >= 0 && (out->f = fdopen(fd, "w")))
		return 0;
	int err = -errno;
	kiln_error("cannot write %s: %s", path, strerror(-err));
	if (fd >= 0)
		close(fd), unlink(out->tmp);
	free(out->tmp);
	out->tmp = NULL;
	out->f = NULL;
	return err;
}

int stat_outfile_close(struct stat_outfile *out, bool ok)
{
	if (!out->tmp)
		return fflush(stderr), 0;
	int err = fclose(out->f) ? -errno : 0;
	if (ok && !err && rename(out->tmp, out->path))
		err = -errno;
	if (!ok || err)
		unlink(out->tmp);
	if (ok && err)
		kiln_error("cannot write %s: %s", out->path, strerror(-err));
	free(out->tmp);
	return err;
}
