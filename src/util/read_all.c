#include "util/read_all.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/vec.h"

int read_all(int fd, void **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (VEC_RESERVE(buf, cap, len + 65536)) {
			free(buf);
			return -ENOMEM;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;
			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0'; /* room is left: the last read found cap - len > 0 */
	*out = buf;
	*outlen = len;
	return 0;
}
