#include "util/atomic_file.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_stream(int fd, atomic_writer write, void *arg)
{
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int err = -errno;
		close(fd);
		return err;
	}
	int err = write(f, arg);
	if (!err && (fflush(f) || ferror(f)))
		err = errno ? -errno : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

int atomic_write_file(const char *path, atomic_writer write, void *arg)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int err = -errno;
		free(tmp);
		return err;
	}
	int err = write_stream(fd, write, arg);
	if (!err) {
		mode_t mask = umask(0);
		umask(mask);
		if (chmod(tmp, 0666 & ~mask))
			err = -errno;
	}
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}
