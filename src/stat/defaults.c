/* The default events in perf stat's order; hardware ones a machine lacks show "not supported". */
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "stat/defaults.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* perf puts the stall events between cycles and instructions. */
static const char *const before_stalls[] = {"task-clock", "context-switches", "cpu-migrations",
					    "page-faults", "cycles"};
static const char *const stalls[] = {"stalled-cycles-frontend", "stalled-cycles-backend"};
static const char *const after_stalls[] = {"instructions", "branches", "branch-misses"};

/* One row per -d level; NULL pads the shorter ones. */
static const char *const detail_events[][6] = {
    {"L1-dcache-loads", "L1-dcache-load-misses", "LLC-loads", "LLC-load-misses"},
    {"L1-icache-loads", "L1-icache-load-misses", "dTLB-loads", "dTLB-load-misses", "iTLB-loads",
     "iTLB-load-misses"},
    {"L1-dcache-prefetches", "L1-dcache-prefetch-misses"}};

/* perf adds the stall events only where the core PMU advertises them. */
static bool pmu_has_event(const char *event)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/cpu/events/%s", ev_default_pmu_dir(), event);
	return access(path, R_OK) == 0;
}

/* Adds names[0..n), stopping at a NULL. */
static int add_names(struct ev_list *evs, const char *const *names, size_t n)
{
	int err = 0;
	for (size_t i = 0; i < n && names[i] && !err; i++)
		err = ev_add(evs, names[i], NULL);
	return err;
}

static int add_stalls(struct ev_list *evs)
{
	int err = 0;
	for (size_t i = 0; i < COUNT_OF(stalls) && !err; i++)
		if (pmu_has_event(stalls[i]))
			err = ev_add(evs, stalls[i], NULL);
	return err;
}

static int add_default_set(struct ev_list *evs)
{
	int err = add_names(evs, before_stalls, COUNT_OF(before_stalls));
	if (!err)
		err = add_stalls(evs);
	if (!err)
		err = add_names(evs, after_stalls, COUNT_OF(after_stalls));
	return err;
}

int stat_add_defaults(struct ev_list *evs, bool have_events, int detail)
{
	int err = have_events ? 0 : add_default_set(evs);
	for (int level = 0; level < detail && level < (int)COUNT_OF(detail_events) && !err; level++)
		err = add_names(evs, detail_events[level], COUNT_OF(detail_events[level]));
	return err;
}
