#include "stat/counters.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/log.h"
#include "util/perf_event.h"

#define READ_FORMAT                                                                                \
	(PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID)

/* The errors perf stat reports as <not supported> rather than failing the run. */
static bool not_supported_errno(int err)
{
	return err == ENOENT || err == EOPNOTSUPP || err == EINVAL || err == ENOSYS ||
	       err == ENXIO || err == ENODEV;
}

static int alloc_set(struct counter_set *cs, struct ev_list *evs, size_t nslots)
{
	cs->n = evs->n;
	cs->nslots = nslots;
	cs->c = calloc(evs->n ? evs->n : 1, sizeof(*cs->c));
	if (!cs->c)
		return -ENOMEM;
	for (size_t i = 0; i < evs->n; i++) {
		struct counter *c = &cs->c[i];
		c->spec = &evs->v[i];
		c->fd = malloc(nslots * sizeof(*c->fd));
		c->id = calloc(nslots, sizeof(*c->id));
		c->cur = calloc(nslots, sizeof(*c->cur));
		if (!c->fd || !c->id || !c->cur)
			return -ENOMEM;
		for (size_t s = 0; s < nslots; s++)
			c->fd[s] = -1;
	}
	return 0;
}

static void fill_attr(struct perf_event_attr *a, const struct ev_spec *e, bool per_task,
		      bool on_exec, bool group)
{
	*a = e->attr;
	a->size = sizeof(*a);
	a->read_format = READ_FORMAT | (group ? PERF_FORMAT_GROUP : 0);
	a->disabled = 1;
	a->inherit = per_task;
	a->enable_on_exec = on_exec;
}

static int fatal_open_error(const struct ev_spec *e, int err, pid_t pid, int cpu)
{
	if (err == EACCES || err == EPERM)
		kiln_error("no permission to count %s: run as root, or lower "
			   "/proc/sys/kernel/perf_event_paranoid, or grant CAP_PERFMON",
			   e->name);
	else if (err == EMFILE)
		kiln_error("too many open files counting %s on every CPU/thread: raise the limit "
			   "with 'ulimit -n'",
			   e->name);
	else if (err == ESRCH)
		kiln_error("task %d ended before %s could be attached", (int)pid, e->name);
	else
		kiln_error("cannot count %s (pid %d, cpu %d): %s", e->name, (int)pid, cpu,
			   strerror(err));
	return -err;
}

/* Opens counter i on one slot; members join their leader's group on the same slot. */
static int open_one(struct counter_set *cs, size_t i, size_t slot, pid_t pid, int cpu, bool on_exec)
{
	struct counter *c = &cs->c[i];
	struct ev_spec *e = c->spec;
	struct counter *leader = &cs->c[e->leader];
	bool is_leader = (size_t)e->leader == i;
	int group_fd = is_leader ? -1 : leader->fd[slot];
	if (!is_leader && group_fd < 0) /* the leader cannot count: measure this one alone */
		is_leader = true;
	bool group = is_leader && e->group_size > 1;
	struct perf_event_attr a;
	fill_attr(&a, e, cs->tids != NULL, on_exec, group);
	/* Members are enabled and scheduled with their leader. */
	if (group_fd >= 0) {
		a.disabled = 0;
		a.enable_on_exec = 0;
	}
	int fd = sys_perf_event_open(&a, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && group && errno == EINVAL) {
		/* Kernels that refuse group reads of inherited counters: read members one by one.
		 */
		a.read_format &= ~(__u64)PERF_FORMAT_GROUP;
		group = false;
		fd = sys_perf_event_open(&a, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
	}
	if (fd < 0 && (errno == EACCES || errno == EPERM) && !a.exclude_kernel && !a.exclude_user &&
	    e->kind != EV_TRACEPOINT) {
		/* perf_event_paranoid forbids kernel counting: count user space, as perf does. */
		a.exclude_kernel = 1;
		a.exclude_hv = 1;
		fd = sys_perf_event_open(&a, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
		if (fd >= 0 && ev_user_only(c->spec)) {
			close(fd);
			return -ENOMEM;
		}
	}
	if (fd < 0) {
		int err = errno;
		if (!c->open_err)
			c->open_err = err;
		kiln_debug("%s: perf_event_open(pid %d, cpu %d): %s", e->name, (int)pid, cpu,
			   strerror(err));
		if (not_supported_errno(err) || (err == ESRCH && cs->nslots > 1))
			return 0;
		return fatal_open_error(e, err, pid, cpu);
	}
	c->fd[slot] = fd;
	c->supported = true;
	if (is_leader)
		c->group_read = group;
	if (ioctl(fd, PERF_EVENT_IOC_ID, &c->id[slot]) < 0)
		c->id[slot] = 0;
	return 0;
}

static int open_all(struct counter_set *cs, bool on_exec)
{
	for (size_t s = 0; s < cs->nslots; s++)
		for (size_t i = 0; i < cs->n; i++) {
			pid_t pid = cs->tids ? cs->tids[s] : -1;
			int cpu = cs->cpus ? cs->cpus[s] : -1;
			int err = open_one(cs, i, s, pid, cpu, on_exec);
			if (err)
				return err;
		}
	return 0;
}

static void *memdup(const void *src, size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p)
		memcpy(p, src, size);
	return p;
}

int counters_open_tasks(struct counter_set *cs, struct ev_list *evs, const pid_t *tids,
			size_t ntids, bool on_exec)
{
	memset(cs, 0, sizeof(*cs));
	int err = alloc_set(cs, evs, ntids);
	if (!err && !(cs->tids = memdup(tids, ntids * sizeof(*tids))))
		err = -ENOMEM;
	return err ? err : open_all(cs, on_exec);
}

int counters_open_cpus(struct counter_set *cs, struct ev_list *evs, const int *cpus, size_t ncpus)
{
	memset(cs, 0, sizeof(*cs));
	int err = alloc_set(cs, evs, ncpus);
	if (!err && !(cs->cpus = memdup(cpus, ncpus * sizeof(*cpus))))
		err = -ENOMEM;
	return err ? err : open_all(cs, false);
}

static void ioctl_all(struct counter_set *cs, unsigned long req)
{
	for (size_t i = 0; i < cs->n; i++)
		for (size_t s = 0; s < cs->nslots; s++)
			if (cs->c[i].fd[s] >= 0)
				ioctl(cs->c[i].fd[s], req, 0);
}

void counters_enable(struct counter_set *cs)
{
	ioctl_all(cs, PERF_EVENT_IOC_ENABLE);
}

void counters_disable(struct counter_set *cs)
{
	ioctl_all(cs, PERF_EVENT_IOC_DISABLE);
}

/* One group read: nr, enabled, running, then {value, id} per member. */
static int read_group(struct counter_set *cs, size_t leader, size_t slot)
{
	const struct ev_spec *e = cs->c[leader].spec;
	size_t words = 3 + 2 * (size_t)e->group_size;
	uint64_t buf[3 + 2 * 64];
	if (words > sizeof(buf) / sizeof(buf[0]))
		return -E2BIG;
	ssize_t n = read(cs->c[leader].fd[slot], buf, words * sizeof(uint64_t));
	if (n < 0)
		return -errno;
	uint64_t nr = buf[0];
	if ((size_t)n < (3 + 2 * nr) * sizeof(uint64_t))
		return -EIO;
	for (uint64_t k = 0; k < nr; k++)
		for (size_t i = leader; i < leader + (size_t)e->group_size && i < cs->n; i++)
			if (cs->c[i].fd[slot] >= 0 && cs->c[i].id[slot] == buf[4 + 2 * k]) {
				cs->c[i].cur[slot] = (struct count){buf[3 + 2 * k], buf[1], buf[2]};
			}
	return 0;
}

static int read_single(struct counter *c, size_t slot)
{
	uint64_t buf[4];
	ssize_t n = read(c->fd[slot], buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (n < (ssize_t)(3 * sizeof(uint64_t)))
		return -EIO;
	c->cur[slot] = (struct count){buf[0], buf[1], buf[2]};
	return 0;
}

int counters_read(struct counter_set *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		struct counter *c = &cs->c[i];
		const struct counter *leader = &cs->c[c->spec->leader];
		for (size_t s = 0; s < cs->nslots; s++) {
			if (c->fd[s] < 0)
				continue;
			/* Read through the leader's group read when this one is in it. */
			bool via_leader = (size_t)c->spec->leader != i && leader->group_read &&
					  leader->fd[s] >= 0;
			int err = 0;
			if (c->group_read)
				err = read_group(cs, i, s);
			else if (!via_leader)
				err = read_single(c, s);
			if (err) {
				kiln_error("cannot read the %s counter: %s", c->spec->name,
					   strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

struct count counters_total(const struct counter *c, size_t nslots, long slot,
			    const struct count *base)
{
	struct count sum = {0, 0, 0};
	for (size_t s = 0; s < nslots; s++) {
		if (slot >= 0 && (size_t)slot != s)
			continue;
		struct count v = base ? count_delta(&c->cur[s], &base[s]) : c->cur[s];
		count_add(&sum, &v);
	}
	return sum;
}

void counters_close(struct counter_set *cs)
{
	for (size_t i = 0; cs->c && i < cs->n; i++) {
		for (size_t s = 0; cs->c[i].fd && s < cs->nslots; s++)
			if (cs->c[i].fd[s] >= 0)
				close(cs->c[i].fd[s]);
		free(cs->c[i].fd);
		free(cs->c[i].id);
		free(cs->c[i].cur);
	}
	free(cs->c);
	free(cs->cpus);
	free(cs->tids);
	memset(cs, 0, sizeof(*cs));
}

static int add_int(int **v, size_t *n, int x)
{
	int *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = x;
	return 0;
}

/* "0-3,5" -> its CPUs; -EINVAL when malformed. */
static int parse_ranges(const char *s, int **out, size_t *n)
{
	const char *p = s;
	while (*p && *p != '\n') {
		char *end;
		long lo = strtol(p, &end, 10), hi;
		if (end == p || lo < 0)
			return -EINVAL;
		hi = lo;
		p = end;
		if (*p == '-') {
			hi = strtol(p + 1, &end, 10);
			if (end == p + 1 || hi < lo)
				return -EINVAL;
			p = end;
		}
		for (long c = lo; c <= hi && c < 65536; c++)
			if (add_int(out, n, (int)c))
				return -ENOMEM;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return 0;
}

int cpu_list_parse(const char *list, int **cpus)
{
	char buf[4096];
	int *online = NULL, *want = NULL;
	size_t non = 0, nwant = 0;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	if (!f || !fgets(buf, sizeof(buf), f) || parse_ranges(buf, &online, &non) || !non) {
		if (f)
			fclose(f);
		free(online);
		kiln_error("cannot read the online CPUs from /sys/devices/system/cpu/online");
		return -EIO;
	}
	fclose(f);
	if (!list) {
		*cpus = online;
		return (int)non;
	}
	if (parse_ranges(list, &want, &nwant) || !nwant) {
		free(online);
		free(want);
		kiln_error("-C %s: expected CPUs like 0,2 or 0-3", list);
		return -EINVAL;
	}
	for (size_t i = 0; i < nwant; i++) {
		bool found = false;
		for (size_t j = 0; j < non; j++)
			found |= online[j] == want[i];
		if (!found) {
			kiln_error("-C: CPU %d is not online (online: %s)", want[i],
				   strtok(buf, "\n"));
			free(online);
			free(want);
			return -EINVAL;
		}
	}
	free(online);
	*cpus = want;
	return (int)nwant;
}

int task_threads(const pid_t *pids, size_t npids, pid_t **tids)
{
	int *v = NULL;
	size_t n = 0;
	for (size_t i = 0; i < npids; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task", (int)pids[i]);
		DIR *d = opendir(path);
		if (!d) {
			free(v);
			kiln_error("-p: process %d is gone", (int)pids[i]);
			return -ESRCH;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			int tid = atoi(de->d_name);
			if (tid > 0 && add_int(&v, &n, tid)) {
				closedir(d);
				free(v);
				return -ENOMEM;
			}
		}
		closedir(d);
	}
	*tids = (pid_t *)v;
	return (int)n;
}
