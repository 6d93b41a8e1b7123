/* perf_event_open(2) has no glibc wrapper. */
#ifndef KILN_PERF_EVENT_H
#define KILN_PERF_EVENT_H

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu,
				      int group_fd, unsigned long flags)
{
	return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
}

#endif
