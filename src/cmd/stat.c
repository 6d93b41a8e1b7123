/* kiln stat: count events over a command, processes, CPUs or the whole system, like perf stat. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect/target.h"
#include "stat/counters.h"
#include "stat/event_parse.h"
#include "stat/print.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: kiln stat [OPTIONS] [--] CMD [ARGS]   (or -a, -p PID, -C CPUS)\n"
	    "Counts events while a command runs (or over processes, CPUs, the system) and\n"
	    "prints them like perf stat, to stderr.\n\n"
	    "  -e, --event EV[,EV...]  events: task-clock, cycles, L1-dcache-load-misses, r003c,\n"
	    "                          msr/tsc/, pmu/event=0x3c,umask=0/, sched:sched_switch,\n"
	    "                          modifiers :u :k, groups {a,b}; 'kiln list' shows them\n"
	    "  -a, --all-cpus          count on every CPU (system wide)\n"
	    "  -C, --cpu CPUS          count on these CPUs only (0,2 or 0-3)\n"
	    "  -p, --pid PID[,PID]     count existing processes (all their threads)\n"
	    "  -A, --no-aggr           one line per CPU (with -a or -C)\n"
	    "  -I, --interval-print MS print counts every MS milliseconds, then the totals\n"
	    "  -r, --repeat N          run the command N times: mean and +- (standard error)\n"
	    "  -d, --detailed          more events: -d L1 and LLC, -dd also TLB and L1i, -ddd\n"
	    "                          also prefetches\n"
	    "  -x, --field-separator S CSV output with separator S (perf stat -x's columns)\n"
	    "      --json              one JSON object per line (perf stat --json's keys)\n"
	    "  -o, --output FILE       write the counts to FILE instead of stderr\n"
	    "The command's exit status is kiln's.\n");
}

struct stat_opts {
	struct ev_list evs;
	bool have_events, system_wide, per_cpu;
	const char *cpu_list, *pid_list, *output;
	long interval_ms;
	int repeat, detail;
	enum stat_format format;
	const char *sep;
	char **cmd;
};

static const char *const default_events[] = {"task-clock",  "context-switches", "cpu-migrations",
					     "page-faults", "cycles",		"instructions",
					     "branches",    "branch-misses"};
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

static int add_defaults(struct stat_opts *o)
{
	int err = 0;
	if (!o->have_events)
		for (size_t i = 0; i < sizeof(default_events) / sizeof(default_events[0]) && !err;
		     i++) {
			err = ev_add(&o->evs, default_events[i], NULL);
			if (!err && i == 4) /* after cycles, as perf orders them */
				for (int b = 0; b < 2 && !err; b++) {
					const char *ev = b ? "stalled-cycles-backend"
							   : "stalled-cycles-frontend";
					if (pmu_has_event(ev))
						err = ev_add(&o->evs, ev, NULL);
				}
		}
	for (int level = 0; level < o->detail && level < 3 && !err; level++)
		for (size_t i = 0; i < 6 && detail_events[level][i] && !err; i++)
			err = ev_add(&o->evs, detail_events[level][i], NULL);
	return err;
}

static int parse_event_arg(struct stat_opts *o, const char *arg)
{
	struct ev_error e;
	int err = ev_parse(arg, NULL, &o->evs, &e);
	if (err == -EINVAL && arg[e.column - 1])
		kiln_error("-e '%s', column %zu ('%c'): %s", arg, e.column, arg[e.column - 1],
			   e.msg);
	else if (err == -EINVAL)
		kiln_error("-e '%s', column %zu (the end): %s", arg, e.column, e.msg);
	else if (err)
		kiln_error("-e '%s': %s", arg, strerror(-err));
	o->have_events = true;
	return err;
}

static int parse_long(const char *opt, const char *arg, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < min || v > max) {
		kiln_error("%s wants a whole number from %ld to %ld, not '%s'", opt, min, max, arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct stat_opts *o)
{
	static const struct option opts[] = {{"event", required_argument, NULL, 'e'},
					     {"all-cpus", no_argument, NULL, 'a'},
					     {"cpu", required_argument, NULL, 'C'},
					     {"pid", required_argument, NULL, 'p'},
					     {"no-aggr", no_argument, NULL, 'A'},
					     {"interval-print", required_argument, NULL, 'I'},
					     {"repeat", required_argument, NULL, 'r'},
					     {"detailed", no_argument, NULL, 'd'},
					     {"field-separator", required_argument, NULL, 'x'},
					     {"json", no_argument, NULL, 'J'},
					     {"output", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	long v;
	optind = 1;
	opterr = 0;
	/* '+': options end at the command, whose own options are its business. */
	while ((c = getopt_long(argc, argv, "+e:aC:p:AI:r:dx:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (parse_event_arg(o, optarg))
				return -1;
			break;
		case 'a':
			o->system_wide = true;
			break;
		case 'C':
			o->cpu_list = optarg;
			break;
		case 'p':
			o->pid_list = optarg;
			break;
		case 'A':
			o->per_cpu = true;
			break;
		case 'I':
			if (parse_long("-I", optarg, 10, 3600000, &v))
				return -1;
			o->interval_ms = v;
			break;
		case 'r':
			if (parse_long("-r", optarg, 1, 100000, &v))
				return -1;
			o->repeat = (int)v;
			break;
		case 'd':
			o->detail++;
			break;
		case 'x':
			if (!*optarg)
				return kiln_error("-x wants a separator, like -x,"), -1;
			o->format = STAT_CSV;
			o->sep = optarg;
			break;
		case 'J':
			o->format = STAT_JSON;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			if (optopt && strchr("eCpIrxo", optopt))
				kiln_error("option -%c is missing its argument", optopt);
			else
				kiln_error(
				    "unknown option '%s'; 'kiln stat --help' lists the options",
				    argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc)
		o->cmd = argv + optind;
	if (o->cpu_list)
		o->system_wide = true;
	if (!o->cmd && !o->system_wide && !o->pid_list)
		return kiln_error("nothing to count: give a command (kiln stat -- CMD), -p PID, -a "
				  "or -C CPUS"),
		       -1;
	if (o->pid_list && (o->system_wide || o->cmd))
		return kiln_error("-p counts existing processes: it goes without -a, -C or a "
				  "command"),
		       -1;
	if (o->per_cpu && !o->system_wide)
		return kiln_error("-A prints per-CPU counts: it needs -a or -C"), -1;
	if (o->repeat > 1 && !o->cmd)
		return kiln_error("-r repeats a command: give one after --"), -1;
	if (o->repeat > 1 && o->interval_ms)
		return kiln_error("-r and -I do not go together: pick one"), -1;
	if (o->format == STAT_CSV && strpbrk(o->sep, "\n"))
		return kiln_error("-x: the separator cannot contain a newline"), -1;
	if (!o->repeat)
		o->repeat = 1;
	return 0;
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Rows from the counters' readings, minus `base` when given (intervals). */
static void build_rows(struct stat_row *rows, const struct counter_set *cs,
		       const struct count *base, bool per_cpu)
{
	size_t k = 0;
	for (size_t i = 0; i < cs->n; i++) {
		const struct counter *c = &cs->c[i];
		size_t nrows = per_cpu ? cs->nslots : 1;
		for (size_t r = 0; r < nrows; r++) {
			struct count sum = {0, 0, 0};
			for (size_t s = 0; s < cs->nslots; s++) {
				if (per_cpu && s != r)
					continue;
				struct count v = c->cur[s];
				if (base)
					v = count_delta(&v, &base[i * cs->nslots + s]);
				count_add(&sum, &v);
			}
			struct stat_row *row = &rows[k++];
			row->ev = c->spec;
			row->cpu = per_cpu ? cs->cpus[r] : -1;
			row->run = sum.run;
			row->noise = -1;
			if (!c->supported) {
				row->state = ROW_NOT_SUPPORTED;
				row->value = 0;
				row->pct = 100;
				continue;
			}
			row->state = count_scale(&sum, &row->value, &row->pct) == COUNT_OK
					 ? ROW_OK
					 : ROW_NOT_COUNTED;
		}
	}
}

static void snapshot(const struct counter_set *cs, struct count *dst)
{
	for (size_t i = 0; i < cs->n; i++)
		memcpy(&dst[i * cs->nslots], cs->c[i].cur, cs->nslots * sizeof(struct count));
}

struct run {
	struct stat_opts *o;
	const struct stat_printer *pr;
	struct target t;
	struct counter_set cs;
	int *cpus;
	pid_t *tids;
	int *pidfds;
	size_t npidfds;
	double start_ns, end_ns;
	struct rusage ru;
	size_t nrows;
	struct stat_row *rows;
};

static int open_counters(struct run *r)
{
	struct stat_opts *o = r->o;
	if (o->system_wide) {
		int n = cpu_list_parse(o->cpu_list, &r->cpus);
		if (n < 0)
			return n;
		return counters_open_cpus(&r->cs, &o->evs, r->cpus, (size_t)n);
	}
	if (o->pid_list) {
		int n = task_threads(r->t.pids, r->t.npids, &r->tids);
		if (n < 0)
			return n;
		return counters_open_tasks(&r->cs, &o->evs, r->tids, (size_t)n, false);
	}
	return counters_open_tasks(&r->cs, &o->evs, &r->t.child, 1, true);
}

static int watch_processes(struct run *r)
{
	size_t n = r->t.child ? 1 : r->t.npids;
	r->pidfds = calloc(n ? n : 1, sizeof(int));
	if (!r->pidfds)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		pid_t pid = r->t.child ? r->t.child : r->t.pids[i];
		int fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd < 0)
			return 0; /* old kernel: poll with a timeout instead */
		r->pidfds[r->npidfds++] = fd;
	}
	return 0;
}

/* True once the counted work is over: the command ended, the processes exited, or a signal. */
static bool finished(struct run *r, bool *forwarded)
{
	if (r->t.child) {
		int status;
		pid_t w = wait4(r->t.child, &status, WNOHANG, &r->ru);
		if (w == r->t.child) {
			r->t.child_status = status;
			r->t.child_exited = true;
			return true;
		}
		/* The command decides how to end: kiln passes the signal on and keeps counting. */
		if (stop_signal && !*forwarded) {
			kill(r->t.child, stop_signal);
			*forwarded = true;
		}
		return false;
	}
	if (stop_signal)
		return true;
	return r->t.npids && target_pids_gone(&r->t);
}

static int print_interval(struct run *r, struct count *prev, double *prev_ns)
{
	int err = counters_read(&r->cs);
	if (err)
		return err;
	double t = now_ns();
	build_rows(r->rows, &r->cs, prev, r->o->per_cpu);
	stat_print_rows(r->pr, r->rows, r->nrows, t - *prev_ns, (t - r->start_ns) / 1e9);
	fflush(r->pr->out);
	snapshot(&r->cs, prev);
	*prev_ns = t;
	return 0;
}

static int wait_loop(struct run *r)
{
	struct count *prev = NULL;
	double prev_ns = r->start_ns, next_ns = r->start_ns + (double)r->o->interval_ms * 1e6;
	if (r->o->interval_ms) {
		prev = calloc(r->cs.n * r->cs.nslots + 1, sizeof(*prev));
		if (!prev)
			return -ENOMEM;
		stat_print_interval_header(r->pr);
	}
	struct pollfd pfd[64];
	size_t npfd = r->npidfds < 64 ? r->npidfds : 64;
	for (size_t i = 0; i < npfd; i++)
		pfd[i] = (struct pollfd){r->pidfds[i], POLLIN, 0};
	sigset_t unblocked;
	sigemptyset(&unblocked);
	bool forwarded = false;
	int err = 0;
	while (!finished(r, &forwarded)) {
		double wait_ns = r->o->interval_ms ? next_ns - now_ns() : -1;
		/* Without pidfds (or for many -p processes) look again every 10 ms. */
		if (npfd < (r->t.child ? 1 : r->t.npids) && (wait_ns < 0 || wait_ns > 1e7))
			wait_ns = 1e7;
		struct timespec ts = {(time_t)(wait_ns / 1e9),
				      (long)((long long)wait_ns % 1000000000)};
		if (wait_ns >= 0 && wait_ns < 1)
			ts = (struct timespec){0, 0};
		ppoll(pfd, npfd, wait_ns < 0 ? NULL : &ts, &unblocked);
		if (r->o->interval_ms && now_ns() >= next_ns) {
			err = print_interval(r, prev, &prev_ns);
			if (err)
				break;
			next_ns += (double)r->o->interval_ms * 1e6;
		}
	}
	/* The last, partial interval, so the intervals add up to the totals. */
	if (!err && r->o->interval_ms)
		err = print_interval(r, prev, &prev_ns);
	free(prev);
	return err;
}

static void block_signals(int how)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(how, &set, NULL);
}

static void run_free(struct run *r)
{
	block_signals(SIG_UNBLOCK);
	for (size_t i = 0; i < r->npidfds; i++)
		close(r->pidfds[i]);
	free(r->pidfds);
	counters_close(&r->cs);
	free(r->cpus);
	free(r->tids);
	free(r->rows);
	target_kill_child(&r->t, SIGKILL);
	target_free(&r->t);
}

/* One measurement: rows filled (totals) and the command's status. 0, or a kiln exit status. */
static int run_once(struct run *r)
{
	struct stat_opts *o = r->o;
	target_init(&r->t);
	int err = 0;
	if (o->cmd)
		err = target_spawn(&r->t, o->cmd);
	else if (o->pid_list)
		err = target_parse_pids(&r->t, o->pid_list);
	if (err)
		return 1;
	/* Blocked but for ppoll, so no signal slips in between a check and the wait. After the
	 * fork: the command must not inherit the mask. */
	block_signals(SIG_BLOCK);
	err = open_counters(r);
	if (!err)
		err = watch_processes(r);
	r->nrows = r->cs.n * (o->per_cpu ? r->cs.nslots : 1);
	r->rows = calloc(r->nrows + 1, sizeof(*r->rows));
	if (!r->rows)
		err = -ENOMEM;
	if (err) {
		if (err == -ENOMEM)
			kiln_error("out of memory");
		return 1;
	}
	if (!r->t.child || o->system_wide)
		counters_enable(&r->cs);
	r->start_ns = now_ns();
	if (r->t.child) {
		err = target_release(&r->t);
		if (err) {
			kiln_error("cannot run '%s': %s", o->cmd[0],
				   err == -ENOENT ? "command not found" : strerror(-err));
			return err == -ENOENT ? 127 : 126;
		}
	}
	err = wait_loop(r);
	if (!err)
		err = counters_read(&r->cs);
	r->end_ns = now_ns();
	counters_disable(&r->cs);
	if (err)
		return 1;
	build_rows(r->rows, &r->cs, NULL, o->per_cpu);
	return 0;
}

static char *describe_target(const struct stat_opts *o)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	if (o->cpu_list)
		fprintf(f, "'CPU(s) %s'", o->cpu_list);
	else if (o->system_wide)
		fprintf(f, "'system wide'");
	else if (o->pid_list)
		fprintf(f, "process id '%s'", o->pid_list);
	else
		for (char **a = o->cmd; *a; a++)
			fprintf(f, "%s%s%s", a == o->cmd ? "'" : " ", *a, a[1] ? "" : "'");
	fclose(f);
	return s;
}

/* Output goes to a temporary file renamed at the end: never a partial FILE. */
struct output {
	FILE *f;
	char *tmp;
	const char *path;
};

static int output_open(struct output *out, const char *path)
{
	out->f = stderr;
	out->path = path;
	out->tmp = NULL;
	if (!path)
		return 0;
	if (asprintf(&out->tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	int fd = mkstemp(out->tmp);
	if (fd < 0 || !(out->f = fdopen(fd, "w"))) {
		kiln_error("cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd), unlink(out->tmp);
		free(out->tmp);
		out->tmp = NULL;
		out->f = NULL;
		return -errno;
	}
	return 0;
}

static int output_close(struct output *out, bool ok)
{
	if (!out->tmp)
		return fflush(stderr), 0;
	int err = fclose(out->f) ? -errno : 0;
	if (ok && !err && rename(out->tmp, out->path))
		err = -errno;
	if (!ok || err)
		unlink(out->tmp);
	if (ok && err)
		kiln_error("cannot write %s: %s", out->path, strerror(-err));
	free(out->tmp);
	return err;
}

/* -r: per row, the mean over the runs and its standard error. */
struct repeat_acc {
	struct run_stats *rows, wall;
	struct stat_row *last;
};

static void accumulate(struct repeat_acc *acc, const struct run *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].state == ROW_OK)
			stats_update(&acc->rows[i], r->rows[i].value);
	stats_update(&acc->wall, (r->end_ns - r->start_ns) / 1e9);
}

static void apply_means(struct repeat_acc *acc, struct stat_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (acc->rows[i].n) {
			rows[i].state = ROW_OK;
			rows[i].value = acc->rows[i].mean;
			rows[i].noise = stats_rel_pct(&acc->rows[i]);
		}
	}
}

static int stat_main(struct stat_opts *o)
{
	struct output out;
	if (output_open(&out, o->output))
		return 1;
	struct stat_printer pr = {out.f, o->format, o->sep, o->repeat > 1, o->per_cpu};
	char *target = describe_target(o);
	struct repeat_acc acc = {NULL, {0, 0, 0}, NULL};
	int status = 0;
	bool ok = true;
	if (o->format == STAT_TEXT)
		setlocale(LC_NUMERIC,
			  ""); /* perf's thousands separators where the locale has them */
	/* The command sees ^C; kiln waits for it and prints what was counted. */
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < o->repeat && ok && !stop_signal; i++) {
		struct run r = {.o = o, .pr = &pr};
		int rc = run_once(&r);
		if (rc) {
			status = rc;
			ok = false;
			run_free(&r);
			break;
		}
		status = target_exit_code(&r.t);
		bool last = i == o->repeat - 1 || stop_signal;
		if (o->repeat > 1 && !acc.rows) {
			acc.rows = calloc(r.nrows + 1, sizeof(*acc.rows));
			if (!acc.rows) {
				run_free(&r);
				ok = false, status = 1;
				break;
			}
		}
		if (o->repeat > 1)
			accumulate(&acc, &r);
		if (last) {
			double wall = (r.end_ns - r.start_ns) / 1e9;
			if (o->repeat > 1) {
				apply_means(&acc, r.rows, r.nrows);
				wall = acc.wall.mean;
			}
			stat_print_header(&pr, target ? target : "'?'", acc.wall.n);
			stat_print_rows(&pr, r.rows, r.nrows,
					o->repeat > 1 ? wall * 1e9 : r.end_ns - r.start_ns, -1);
			double user = r.ru.ru_utime.tv_sec + r.ru.ru_utime.tv_usec / 1e6;
			double sys = r.ru.ru_stime.tv_sec + r.ru.ru_stime.tv_usec / 1e6;
			stat_print_footer(&pr, wall, stats_stderr(&acc.wall),
					  stats_rel_pct(&acc.wall), r.t.child && !o->system_wide,
					  user, sys);
		}
		run_free(&r);
	}
	free(acc.rows);
	free(target);
	if (output_close(&out, ok) && ok)
		status = status ? status : 1;
	return status;
}

int cmd_stat(int argc, char **argv)
{
	struct stat_opts o = {0};
	int rc = 2;
	if (parse_args(argc, argv, &o) == 0) {
		if (add_defaults(&o)) {
			kiln_error("cannot set up the default events");
			rc = 1;
		} else {
			rc = stat_main(&o);
		}
	}
	ev_list_free(&o.evs);
	return rc;
}
