#include "format/output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "format/format.h"
#include "format/report.h"
#include "util/log.h"

/* Creating (and removing) a file beside the output is the only sure test of writability:
 * access(2) ignores read-only mounts and root's privileges alike. */
static int probe_directory(const char *path)
{
	char probe[PATH_MAX];
	int n = snprintf(probe, sizeof(probe), "%s.kiln-probe.%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(probe))
		return -ENAMETOOLONG;
	int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(probe);
	return 0;
}

int output_check_writable(const char *path)
{
	const struct kiln_format *f = kiln_format_for_path(path);
	if (!f || !f->write) {
		kiln_error("%s: unknown output format; name the file with one of the extensions "
			   "of: %s",
			   path, kiln_format_names(true));
		return -EINVAL;
	}
	int err = probe_directory(path);
	if (err) {
		kiln_error("cannot write %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

int output_write_profile(const struct kiln_profile *p, const char *path, bool print_top)
{
	const struct kiln_format *f = kiln_format_for_path(path);
	if (!f || !f->write) {
		kiln_error("%s: unknown output format (use one of: %s)", path,
			   kiln_format_names(true));
		return -EINVAL;
	}
	struct kiln_write_options o;
	kiln_write_options_init(&o);
	o.comm = true; /* recorded stacks start at the process, like stackcollapse-perf.pl */
	int err = f->write(p, path, &o);
	if (err)
		return err;
	if (print_top)
		report_print_top(p, stdout, 10, 0);
	return 0;
}
