#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stat/measure.h"
#include "util/log.h"

#define MAX_POLLED 64

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

void measure_catch_signals(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int measure_stop_signal(void)
{
	return stop_signal;
}

/* Blocked but for ppoll, so no signal slips in between a check and the wait. */
static void block_signals(int how)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(how, &set, NULL);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void fill_row(struct stat_row *row, const struct counter *c, const struct count *sum,
		     int cpu)
{
	row->ev = c->spec;
	row->cpu = cpu;
	row->run = sum->run;
	row->noise = -1;
	if (!c->supported) {
		row->state = ROW_NOT_SUPPORTED;
		row->value = 0;
		row->pct = 100;
		return;
	}
	row->state =
	    count_scale(sum, &row->value, &row->pct) == COUNT_OK ? ROW_OK : ROW_NOT_COUNTED;
}

/* Rows from the counters' readings (one per CPU with -A), minus `base` when given (intervals). */
static void build_rows(struct stat_row *rows, const struct counter_set *cs,
		       const struct count *base, bool per_cpu)
{
	size_t k = 0;
	for (size_t i = 0; i < cs->n; i++) {
		size_t nrows = per_cpu ? cs->nslots : 1;
		const struct count *since = base ? &base[i * cs->nslots] : NULL;
		for (size_t r = 0; r < nrows; r++) {
			long slot = per_cpu ? (long)r : -1;
			struct count sum = counters_total(&cs->c[i], cs->nslots, slot, since);
			fill_row(&rows[k++], &cs->c[i], &sum, per_cpu ? cs->cpus[r] : -1);
		}
	}
}

static void snapshot(const struct counter_set *cs, struct count *dst)
{
	for (size_t i = 0; i < cs->n; i++)
		memcpy(&dst[i * cs->nslots], cs->c[i].cur, cs->nslots * sizeof(struct count));
}

static int open_counters(struct measurement *m)
{
	struct stat_config *cfg = m->cfg;
	struct ev_list *evs = &cfg->evs;
	if (cfg->system_wide) {
		int n = cpu_list_parse(cfg->cpu_list, &m->cpus);
		if (n < 0)
			return n;
		return counters_open_cpus(&m->cs, evs, m->cpus, (size_t)n);
	}
	if (cfg->pid_list) {
		int n = task_threads(m->t.pids, m->t.npids, &m->tids);
		if (n < 0)
			return n;
		return counters_open_tasks(&m->cs, evs, m->tids, (size_t)n, false);
	}
	return counters_open_tasks(&m->cs, evs, &m->t.child, 1, true);
}

/* The processes whose end ends the counting: the command, or the -p processes. */
static size_t watched_count(const struct measurement *m)
{
	return m->t.child ? 1 : m->t.npids;
}

static int watch_processes(struct measurement *m)
{
	size_t n = watched_count(m);
	m->pidfds = calloc(n ? n : 1, sizeof(int));
	if (!m->pidfds)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		pid_t pid = m->t.child ? m->t.child : m->t.pids[i];
		int fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd < 0)
			return 0; /* old kernel: poll with a timeout instead */
		m->pidfds[m->npidfds++] = fd;
	}
	return 0;
}

/* True once the counted work is over: the command ended, the processes exited, or a signal. */
static bool finished(struct measurement *m, bool *forwarded)
{
	if (m->t.child) {
		int status;
		pid_t w = wait4(m->t.child, &status, WNOHANG, &m->ru);
		if (w == m->t.child) {
			m->t.child_status = status;
			m->t.child_exited = true;
			return true;
		}
		/* The command decides how to end: kiln passes the signal on and keeps counting. */
		if (stop_signal && !*forwarded) {
			kill(m->t.child, stop_signal);
			*forwarded = true;
		}
		return false;
	}
	if (stop_signal)
		return true;
	return m->t.npids && target_pids_gone(&m->t);
}

/* -I: the counts at the last line, and when the next is due. */
struct interval {
	struct count *prev;
	double prev_ns, next_ns;
};

static int interval_start(struct measurement *m, struct interval *iv)
{
	iv->prev_ns = m->start_ns;
	iv->next_ns = m->start_ns + (double)m->cfg->interval_ms * 1e6;
	iv->prev = NULL;
	if (!m->cfg->interval_ms)
		return 0;
	iv->prev = calloc(m->cs.n * m->cs.nslots + 1, sizeof(*iv->prev));
	if (!iv->prev)
		return -ENOMEM;
	stat_print_interval_header(m->pr);
	return 0;
}

static int interval_print(struct measurement *m, struct interval *iv)
{
	int err = counters_read(&m->cs);
	if (err)
		return err;
	double t = now_ns();
	build_rows(m->rows, &m->cs, iv->prev, m->cfg->per_cpu);
	stat_print_rows(m->pr, m->rows, m->nrows, t - iv->prev_ns, (t - m->start_ns) / 1e9);
	fflush(m->pr->out);
	snapshot(&m->cs, iv->prev);
	iv->prev_ns = t;
	return 0;
}

/* How long ppoll may sleep: until the next interval line, and at most 10 ms where pidfds cannot
 * tell that the processes ended (none, or more -p processes than polled). NULL: no limit. */
static struct timespec *wait_time(const struct measurement *m, size_t npfd, double next_ns,
				  struct timespec *ts)
{
	double wait_ns = m->cfg->interval_ms ? next_ns - now_ns() : -1;
	if (npfd < watched_count(m) && (wait_ns < 0 || wait_ns > 1e7))
		wait_ns = 1e7;
	if (wait_ns < 0)
		return NULL;
	*ts = (struct timespec){(time_t)(wait_ns / 1e9), (long)((long long)wait_ns % 1000000000)};
	if (wait_ns < 1)
		*ts = (struct timespec){0, 0};
	return ts;
}

static size_t fill_pollfds(const struct measurement *m, struct pollfd *pfd)
{
	size_t n = m->npidfds < MAX_POLLED ? m->npidfds : MAX_POLLED;
	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){m->pidfds[i], POLLIN, 0};
	return n;
}

static int wait_loop(struct measurement *m)
{
	struct interval iv;
	int err = interval_start(m, &iv);
	if (err)
		return err;
	struct pollfd pfd[MAX_POLLED];
	size_t npfd = fill_pollfds(m, pfd);
	sigset_t unblocked;
	sigemptyset(&unblocked);
	bool forwarded = false;
	while (!err && !finished(m, &forwarded)) {
		struct timespec ts;
		ppoll(pfd, npfd, wait_time(m, npfd, iv.next_ns, &ts), &unblocked);
		if (m->cfg->interval_ms && now_ns() >= iv.next_ns) {
			err = interval_print(m, &iv);
			iv.next_ns += (double)m->cfg->interval_ms * 1e6;
		}
	}
	/* The last, partial interval, so the intervals add up to the totals. */
	if (!err && m->cfg->interval_ms)
		err = interval_print(m, &iv);
	free(iv.prev);
	return err;
}

static int start_target(struct measurement *m)
{
	const struct stat_config *cfg = m->cfg;
	target_init(&m->t);
	if (cfg->cmd)
		return target_spawn(&m->t, cfg->cmd);
	if (cfg->pid_list)
		return target_parse_pids(&m->t, cfg->pid_list);
	return 0;
}

static int set_up(struct measurement *m)
{
	int err = open_counters(m);
	if (!err)
		err = watch_processes(m);
	m->nrows = m->cs.n * (m->cfg->per_cpu ? m->cs.nslots : 1);
	m->rows = calloc(m->nrows + 1, sizeof(*m->rows));
	if (!m->rows)
		err = -ENOMEM;
	if (err == -ENOMEM)
		kiln_error("out of memory");
	return err;
}

/* Counting starts: a held command execs (its counters enable on exec), others enable now. */
static int start_counting(struct measurement *m)
{
	if (!m->t.child || m->cfg->system_wide)
		counters_enable(&m->cs);
	m->start_ns = now_ns();
	if (!m->t.child)
		return 0;
	int err = target_release(&m->t);
	if (err) {
		kiln_error("cannot run '%s': %s", m->cfg->cmd[0],
			   err == -ENOENT ? "command not found" : strerror(-err));
		m->exec_failed = true;
	}
	return err;
}

int measure_once(struct measurement *m, struct stat_config *cfg, const struct stat_printer *pr)
{
	*m = (struct measurement){.cfg = cfg, .pr = pr};
	int err = start_target(m);
	if (err)
		return err;
	/* After the fork: the command must not inherit the mask. */
	block_signals(SIG_BLOCK);
	err = set_up(m);
	if (!err)
		err = start_counting(m);
	if (err)
		return err;
	err = wait_loop(m);
	if (!err)
		err = counters_read(&m->cs);
	m->end_ns = now_ns();
	counters_disable(&m->cs);
	if (!err)
		build_rows(m->rows, &m->cs, NULL, cfg->per_cpu);
	return err;
}

void measure_free(struct measurement *m)
{
	block_signals(SIG_UNBLOCK);
	for (size_t i = 0; i < m->npidfds; i++)
		close(m->pidfds[i]);
	free(m->pidfds);
	counters_close(&m->cs);
	free(m->cpus);
	free(m->tids);
	free(m->rows);
	target_kill_child(&m->t, SIGKILL);
	target_free(&m->t);
}
