#include "util/waitset.h"

#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

int waitset_init(struct waitset *w)
{
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	return w->epfd < 0 ? -errno : 0;
}

int waitset_add(struct waitset *w, int fd)
{
	if (w->epfd < 0)
		return -EBADF;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fd};
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

void waitset_wait(struct waitset *w, uint64_t timeout_ns)
{
	if (w->epfd < 0) {
		struct timespec ts = {(time_t)(timeout_ns / 1000000000u),
				      (long)(timeout_ns % 1000000000u)};
		nanosleep(&ts, NULL);
		return;
	}
	/* Rounded up: a wait that ends before its deadline would be repeated at once. */
	uint64_t ms = (timeout_ns + 999999u) / 1000000u;
	struct epoll_event ev[16];
	epoll_wait(w->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])),
		   ms > (uint64_t)60000 ? 60000 : (int)ms);
}

void waitset_close(struct waitset *w)
{
	if (w->epfd >= 0)
		close(w->epfd);
	w->epfd = -1;
}
