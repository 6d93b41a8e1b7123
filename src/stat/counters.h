/* Opening and reading counting events: per task (a command, with inheritance, or the threads of
 * -p processes) or per CPU, with time enabled/running for multiplexing and group reads. */
#ifndef KILN_COUNTERS_H
#define KILN_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stat/event_parse.h"
#include "stat/scale.h"

struct counter {
	struct ev_spec *spec; /* renamed ":u" when only user space may be counted */
	int *fd;	      /* [nslots]; -1 where it did not open */
	uint64_t *id;	      /* [nslots]: PERF_FORMAT_ID, to find members in a group read */
	struct count *cur;    /* [nslots]: the latest reading */
	bool supported;	      /* opened on at least one slot */
	bool group_read;      /* leader of a group read with PERF_FORMAT_GROUP */
	int open_err;	      /* errno of the first failed open */
};

/* Slots: the CPUs counted (pid -1) or the tasks counted (cpu -1). */
struct counter_set {
	struct counter *c;
	size_t n;
	size_t nslots;
	int *cpus;   /* per-CPU mode: the CPU of each slot */
	pid_t *tids; /* per-task mode: the task of each slot */
};

/* Per-task counters follow the tasks' children (inherit). With on_exec, they start when the
 * (held) task execs; otherwise call counters_enable. Events the machine cannot count are left
 * unsupported, not an error. 0, or -errno for failures that end the run (message printed). */
int counters_open_tasks(struct counter_set *cs, struct ev_list *evs, const pid_t *tids,
			size_t ntids, bool on_exec);
int counters_open_cpus(struct counter_set *cs, struct ev_list *evs, const int *cpus, size_t ncpus);
void counters_enable(struct counter_set *cs);
void counters_disable(struct counter_set *cs);
/* Refreshes every counter's cur[]. 0 or -errno. */
int counters_read(struct counter_set *cs);
/* Sum of a counter over its slots (or one slot when slot >= 0); with base (a reading of its
 * [nslots] slots), what was counted since. */
struct count counters_total(const struct counter *c, size_t nslots, long slot,
			    const struct count *base);
void counters_close(struct counter_set *cs);

/* Online CPUs from /sys/devices/system/cpu/online, or a user list like "0-2,5" checked
 * against them. Returns the count, or -errno (message printed). */
int cpu_list_parse(const char *list, int **cpus);
/* Every thread of the processes given. Returns the count, or -errno. */
int task_threads(const pid_t *pids, size_t npids, pid_t **tids);

#endif
