#include "collect/sampling.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "collect/perf_ring.h"
#include "util/log.h"
#include "util/perf_event.h"

#define NSEC_PER_SEC 1000000000ULL

static bool event_opens(struct perf_event_attr *attr)
{
	int fd = sys_perf_event_open(attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void fill_common(struct perf_event_attr *a, const struct sampling_config *cfg)
{
	a->size = sizeof(*a);
	a->disabled = 1;
	a->exclude_kernel = !cfg->kernel;
	a->exclude_user = !cfg->user;
}

/* cpu-clock counts nanoseconds, so a fixed period gives each sample an exact weight. */
static void clock_event(struct sampling_event *ev, const struct sampling_config *cfg,
			uint64_t config, const char *name)
{
	struct perf_event_attr *a = &ev->attr;
	memset(a, 0, sizeof(*a));
	a->type = PERF_TYPE_SOFTWARE;
	a->config = config;
	a->sample_period = cfg->period ? cfg->period : NSEC_PER_SEC / cfg->freq;
	fill_common(a, cfg);
	ev->name = name;
	ev->period_ns = (int64_t)a->sample_period;
}

static void cycles_event(struct sampling_event *ev, const struct sampling_config *cfg)
{
	struct perf_event_attr *a = &ev->attr;
	memset(a, 0, sizeof(*a));
	a->type = PERF_TYPE_HARDWARE;
	a->config = PERF_COUNT_HW_CPU_CYCLES;
	if (cfg->period) {
		a->sample_period = cfg->period;
	} else {
		a->freq = 1;
		a->sample_freq = cfg->freq;
	}
	fill_common(a, cfg);
	ev->name = "cycles";
	ev->period_ns = cfg->freq ? (int64_t)(NSEC_PER_SEC / cfg->freq) : 0;
}

int sampling_event_choose(const struct sampling_config *cfg, struct sampling_event *ev)
{
	if (!cfg->period && (cfg->freq == 0 || cfg->freq > NSEC_PER_SEC)) {
		kiln_error("sampling frequency must be between 1 and 1000000000 Hz");
		return -EINVAL;
	}
	const char *want = cfg->event;
	if (!want || !strcmp(want, "cycles")) {
		cycles_event(ev, cfg);
		if (event_opens(&ev->attr))
			return 0;
		int err = errno;
		if (want) {
			kiln_error("cannot sample on cycles: %s", perf_open_hint(err));
			return -err;
		}
		/* Without permission the probe says nothing about the PMU; the real open will
		 * fail with the advice the user needs. */
		if (err != EACCES && err != EPERM)
			kiln_info("no hardware PMU here (cycles: %s); sampling on cpu-clock",
				  strerror(err));
		want = "cpu-clock";
	}
	if (!strcmp(want, "cpu-clock"))
		clock_event(ev, cfg, PERF_COUNT_SW_CPU_CLOCK, "cpu-clock");
	else if (!strcmp(want, "task-clock"))
		clock_event(ev, cfg, PERF_COUNT_SW_TASK_CLOCK, "task-clock");
	else {
		kiln_error("cannot sample on '%s': use cpu-clock, task-clock or cycles", want);
		return -EINVAL;
	}
	return 0;
}
