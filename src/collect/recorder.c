#include "collect/recorder.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect/cpuprof_loader.h"
#include "collect/perf_sampler.h"
#include "collect/stack_sink.h"
#include "format/output.h"
#include "util/log.h"
#include "util/vec.h"
#include "util/waitset.h"

/* Between polls, the recorder sleeps until a collector's buffer fills, the target ends or a
 * signal comes, and at the latest IDLE_POLL_NS. Each wake-up costs 30 to 100 us of CPU on this
 * VM (more, the more memory kiln has mapped), so nothing but the timeout wakes it when nothing
 * needs following. Copied stacks do, every POLL_NS, and a new command's first moments every
 * STARTUP_POLL_NS. DWARF tables are rescanned every TABLES_POLL_NS; what they need sooner (a
 * process sampled without tables, a pc in a mapping not yet read) the BPF program asks for by
 * waking the poll itself. A terminal's status line still comes every second. */
#define IDLE_POLL_NS 5000000000ULL
#define POLL_NS 100000000ULL
_Static_assert(POLL_NS < CPUPROF_POLL_GAP_NS, "the BPF maps are sized for polls this often");
#define TABLES_POLL_NS 1000000000ULL
#define STARTUP_NS 500000000ULL
#define STARTUP_POLL_NS 10000000ULL
/* The kernel's counts are moved to user space this often, or sooner once the map being
 * written is half full (cpuprof_counts_filling), so it never fills and reading stays rare. */
#define DRAIN_EVERY_NS 10000000000ULL

static volatile sig_atomic_t stop_signal;
static int stop_event_fd = -1; /* an eventfd in the recorder's waitset */

static void on_stop_signal(int sig)
{
	int saved = errno;
	uint64_t one = 1;
	stop_signal = sig;
	if (stop_event_fd >= 0 && write(stop_event_fd, &one, sizeof(one)) < 0) {
		/* cannot happen with an eventfd; the flag alone ends the loop at its timeout */
	}
	errno = saved;
}

void recorder_default_options(struct recorder_options *o)
{
	memset(o, 0, sizeof(*o));
	o->sampling.freq = 99;
	o->sampling.kernel = true;
	o->sampling.user = true;
	target_init(&o->target);
	o->mode = RECORD_MODE_BPF;
	o->unwind = RECORD_UNWIND_AUTO;
	o->copy_bytes = 8192; /* perf --call-graph dwarf's default */
}

/* KILN_DEBUG: CPU time each phase of a recording costs kiln itself. */
static void debug_cpu(const char *phase)
{
	static double last;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double t = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	kiln_debug("%s: %.3f s of CPU", phase, t - last);
	last = t;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Everything one recording holds, so cleanup is in one place whatever failed. */
struct session {
	struct recorder_options *opt;
	struct sampling_event ev;
	struct symbolizer *sym;
	struct kiln_profile *profile;
	struct stack_sink sink;
	struct perf_sampler *perf; /* perf mode: samples + sideband; bpf mode: sideband */
	struct cpuprof *bpf;
	int *changed; /* processes whose code changed since the last poll (unwinding) */
	size_t nchanged, changed_cap;
	struct waitset wait;
	int *pidfds; /* the targets', in the waitset */
	size_t npidfds, pidfds_cap;
	bool exits_wake; /* every target's end wakes the wait */
	uint64_t start_ns, stop_ns;
	uint64_t lost, stack_failures;
};

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: the poll sleep ends at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void learn_targets(struct session *s)
{
	const struct target *t = &s->opt->target;
	if (t->system_wide)
		sym_scan_all(s->sym);
	for (size_t i = 0; i < t->npids; i++)
		sym_scan_process(s->sym, t->pids[i]);
}

static bool may_fall_back(int err)
{
	return err == -EPERM || err == -EACCES || err == -EINVAL || err == -ENOSYS ||
	       err == -EOPNOTSUPP || err == -E2BIG;
}

static enum cpuprof_unwind bpf_unwind(const struct recorder_options *o)
{
	switch (o->unwind) {
	case RECORD_UNWIND_FP:
		return CPUPROF_UNWIND_FP;
	case RECORD_UNWIND_COPY:
		return CPUPROF_UNWIND_COPY;
	default:
		return o->sampling.user ? CPUPROF_UNWIND_DWARF : CPUPROF_UNWIND_FP;
	}
}

static int open_bpf(struct session *s)
{
	struct recorder_options *o = s->opt;
	struct target *t = &o->target;
	struct cpuprof_options co = {
	    .filter = !t->system_wide,
	    .kernel = o->sampling.kernel,
	    .user = o->sampling.user,
	    .unwind = bpf_unwind(o),
	    .unwind_fallback = o->unwind == RECORD_UNWIND_AUTO,
	    .copy_bytes = o->copy_bytes,
	    .unwind_rows = (uint32_t)((uint64_t)o->unwind_table_mb * 1048576 / UNWIND_ROW_BYTES)};
	int err = cpuprof_open(&s->bpf, &s->ev, &co);
	if (err)
		return err;
	if (t->child)
		err = cpuprof_add_target(s->bpf, (uint32_t)t->child, false); /* still kiln's code */
	for (size_t i = 0; !err && i < t->npids; i++)
		err = cpuprof_add_target(s->bpf, (uint32_t)t->pids[i], true);
	if (!err && t->system_wide && o->unwind_preload)
		err = cpuprof_add_all_processes(s->bpf);
	if (err)
		kiln_error("cannot set the BPF sampler's targets: %s", strerror(-err));
	return err;
}

/* Sideband that changes where a process's code is: its unwind tables need a look. */
static void note_code_change(void *arg, const struct perf_event_header *h)
{
	struct session *s = arg;
	const uint32_t *ids = (const void *)(h + 1); /* pid first, in each of these records */
	bool changed = h->type == PERF_RECORD_MMAP2 || h->type == PERF_RECORD_MMAP ||
		       (h->type == PERF_RECORD_COMM && (h->misc & PERF_RECORD_MISC_COMM_EXEC)) ||
		       (h->type == PERF_RECORD_FORK && ids[0] != ids[1]);
	if (!changed || h->size < sizeof(*h) + 8)
		return;
	int pid = (int)ids[0];
	bool mapping = h->type == PERF_RECORD_MMAP2 || h->type == PERF_RECORD_MMAP;
	if (mapping && !cpuprof_wants_mappings(s->bpf, pid))
		return;
	for (size_t i = 0; i < s->nchanged; i++)
		if (s->changed[i] == pid)
			return;
	if (!VEC_RESERVE(s->changed, s->changed_cap, s->nchanged + 1))
		s->changed[s->nchanged++] = pid;
}

/* Unwind tables matter only while sampling: -d is kept even when many processes start at
 * once, and past the deadline the rest are left unread. deadline 0: none. */
static void apply_code_changes(struct session *s, uint64_t deadline)
{
	size_t i = 0;
	for (; s->bpf && i < s->nchanged && !(deadline && now_ns() >= deadline); i++)
		cpuprof_process_changed(s->bpf, s->changed[i]);
	if (!s->bpf)
		i = s->nchanged;
	if (i && i < s->nchanged)
		memmove(s->changed, s->changed + i, (s->nchanged - i) * sizeof(*s->changed));
	s->nchanged -= i;
}

static int open_collectors(struct session *s)
{
	struct recorder_options *o = s->opt;
	if (o->mode == RECORD_MODE_BPF) {
		int err = open_bpf(s);
		if (err && !o->mode_explicit && may_fall_back(err)) {
			kiln_warn("BPF sampling is not available here; recording in perf mode "
				  "(--mode perf) instead");
			o->mode = RECORD_MODE_PERF;
		} else if (err) {
			return err;
		}
	}
	if (o->mode == RECORD_MODE_PERF &&
	    (o->unwind == RECORD_UNWIND_DWARF || o->unwind == RECORD_UNWIND_COPY)) {
		kiln_error("--unwind dwarf and copy work in bpf mode; perf mode follows frame "
			   "pointers (--unwind fp)");
		return -EINVAL;
	}
	const struct sampling_event *ev = o->mode == RECORD_MODE_PERF ? &s->ev : NULL;
	int err = perf_sampler_open(&s->perf, ev, &o->target, o->sampling.kernel, o->sampling.user);
	if (!err && s->bpf && cpuprof_unwind_mode(s->bpf) != CPUPROF_UNWIND_FP)
		perf_sampler_on_sideband(s->perf, note_code_change, s);
	return err;
}

static int start_collectors(struct session *s)
{
	int err = perf_sampler_enable(s->perf);
	if (err) {
		kiln_error("cannot enable perf events: %s", strerror(-err));
		return err;
	}
	return s->bpf ? cpuprof_start(s->bpf) : 0;
}

/* Lets the held command exec; a failed exec ends the recording with the shell's codes. */
static int release_command(struct session *s)
{
	struct target *t = &s->opt->target;
	int err = target_release(t);
	if (!err)
		return 0;
	const char *cmd = s->opt->command[0];
	if (err == -ENOENT)
		kiln_error("%s: command not found", cmd);
	else
		kiln_error("cannot run %s: %s", cmd, strerror(-err));
	target_kill_child(t, SIGKILL);
	return err == -ENOENT ? 127 : 126;
}

static uint64_t samples_so_far(struct session *s)
{
	if (s->bpf) {
		uint64_t st[CPUPROF_STAT_NR];
		cpuprof_stats(s->bpf, st);
		return st[CPUPROF_STAT_SAMPLES];
	}
	return perf_sampler_counts(s->perf)->samples;
}

static uint64_t lost_so_far(struct session *s)
{
	uint64_t lost = perf_sampler_counts(s->perf)->lost;
	if (s->bpf) {
		uint64_t st[CPUPROF_STAT_NR];
		cpuprof_stats(s->bpf, st);
		lost += st[CPUPROF_STAT_COUNTS_FULL];
	}
	return lost;
}

static void print_status(struct session *s)
{
	fprintf(stderr, "\rkiln: recording %.0f s, %llu samples, %llu lost\033[K",
		(double)(now_ns() - s->start_ns) / 1e9, (unsigned long long)samples_so_far(s),
		(unsigned long long)lost_so_far(s));
}

static bool target_ended(struct session *s)
{
	struct target *t = &s->opt->target;
	if (t->child)
		return target_child_done(t);
	return t->npids && target_pids_gone(t);
}

static int collect(struct session *s, bool drain_bpf, uint64_t deadline)
{
	int err = perf_sampler_poll(s->perf, s->sym, &s->sink);
	apply_code_changes(s, deadline);
	if (!err && s->bpf)
		err = drain_bpf ? cpuprof_drain(s->bpf, &s->sink) : cpuprof_poll(s->bpf, &s->sink);
	if (err)
		kiln_error("reading samples failed: %s", strerror(-err));
	return err;
}

static bool watch_exit(struct session *s, pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return false;
	if (VEC_RESERVE(s->pidfds, s->pidfds_cap, s->npidfds + 1) || waitset_add(&s->wait, fd)) {
		close(fd);
		return false;
	}
	s->pidfds[s->npidfds++] = fd;
	return true;
}

/* What ends a wait early: a collector's buffer filling, a target ending, a stop signal. Where
 * a target's end cannot wake it (no pidfd), waits stay short. */
static void watch_events(struct session *s)
{
	if (waitset_init(&s->wait))
		return;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd >= 0 && !waitset_add(&s->wait, fd))
		stop_event_fd = fd;
	else if (fd >= 0)
		close(fd);
	perf_sampler_watch(s->perf, &s->wait);
	if (s->bpf)
		waitset_add(&s->wait, cpuprof_wait_fd(s->bpf));
	const struct target *t = &s->opt->target;
	s->exits_wake = stop_event_fd >= 0 && (!t->child || watch_exit(s, t->child));
	for (size_t i = 0; s->exits_wake && i < t->npids; i++)
		s->exits_wake = watch_exit(s, t->pids[i]);
}

static void unwatch_events(struct session *s)
{
	int fd = stop_event_fd;
	stop_event_fd = -1; /* before the close: the handler must not write to a reused number */
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < s->npidfds; i++)
		close(s->pidfds[i]);
	free(s->pidfds);
	waitset_close(&s->wait);
}

/* How long the loop may sleep when nothing wakes it sooner. */
static uint64_t poll_interval(struct session *s, uint64_t now)
{
	enum cpuprof_unwind unwind = s->bpf ? cpuprof_unwind_mode(s->bpf) : CPUPROF_UNWIND_FP;
	if (unwind == CPUPROF_UNWIND_COPY)
		return now - s->start_ns < STARTUP_NS ? STARTUP_POLL_NS : POLL_NS;
	if (!s->exits_wake)
		return POLL_NS;
	return unwind == CPUPROF_UNWIND_DWARF ? TABLES_POLL_NS : IDLE_POLL_NS;
}

static int record_loop(struct session *s)
{
	struct recorder_options *o = s->opt;
	bool status = !o->quiet && isatty(STDERR_FILENO);
	uint64_t end = o->duration > 0 ? s->start_ns + (uint64_t)(o->duration * 1e9) : 0;
	uint64_t next_drain = s->start_ns + DRAIN_EVERY_NS, next_status = s->start_ns + 1000000000;
	while (!stop_signal && !target_ended(s)) {
		uint64_t now = now_ns(), wait_ns = poll_interval(s, now);
		if (status && next_status > now && next_status - now < wait_ns)
			wait_ns = next_status - now;
		if (end && now + wait_ns > end)
			wait_ns = now >= end ? 0 : end - now;
		waitset_wait(&s->wait, wait_ns);
		now = now_ns();
		bool drain = now >= next_drain || (s->bpf && cpuprof_counts_filling(s->bpf));
		int err = collect(s, drain, end);
		if (err)
			return err;
		if (drain)
			next_drain = now + DRAIN_EVERY_NS;
		if (status && now >= next_status) {
			print_status(s);
			next_status += 1000000000;
		}
		if (end && now >= end)
			break;
	}
	if (status)
		fputs("\r\033[K", stderr);
	return 0;
}

static int stop_collectors(struct session *s)
{
	if (s->bpf)
		cpuprof_stop(s->bpf);
	perf_sampler_disable(s->perf);
	int err = collect(s, false, 1); /* sampling is over: no more unwind tables */
	/* Both count maps: the one being written and the one last drained. */
	for (int i = 0; !err && s->bpf && i < 2; i++)
		err = cpuprof_drain(s->bpf, &s->sink);
	if (s->bpf) {
		uint64_t st[CPUPROF_STAT_NR];
		cpuprof_stats(s->bpf, st);
		s->lost += st[CPUPROF_STAT_COUNTS_FULL];
		s->stack_failures = st[CPUPROF_STAT_KSTACK_FAILED] +
				    st[CPUPROF_STAT_USTACK_FAILED] + st[CPUPROF_STAT_STACKS_LOST];
		kiln_debug("bpf: %llu samples, kernel stacks failed %llu, user stacks failed "
			   "%llu, stacks lost %llu, counts map full %llu",
			   (unsigned long long)st[CPUPROF_STAT_SAMPLES],
			   (unsigned long long)st[CPUPROF_STAT_KSTACK_FAILED],
			   (unsigned long long)st[CPUPROF_STAT_USTACK_FAILED],
			   (unsigned long long)st[CPUPROF_STAT_STACKS_LOST],
			   (unsigned long long)st[CPUPROF_STAT_COUNTS_FULL]);
	}
	s->lost += perf_sampler_counts(s->perf)->lost;
	return err;
}

/* Ends a command still running when recording stops (Ctrl-C, -d): politely, then surely. */
static void end_command(struct target *t)
{
	if (!t->child || target_child_done(t))
		return;
	kill(t->child, SIGTERM);
	for (int i = 0; i < 20 && !target_child_done(t); i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	target_kill_child(t, SIGKILL);
}

static size_t count_processes(const struct kiln_profile *p)
{
	struct intern_table seen;
	intern_init(&seen);
	for (size_t i = 0; i < p->nsamples; i++)
		intern_get(&seen, &p->samples[i].labels.pid, sizeof(int32_t), NULL);
	size_t n = seen.count;
	intern_free(&seen);
	return n;
}

static uint64_t bytes_read(const struct session *s)
{
	uint64_t b = perf_sampler_bytes_read(s->perf);
	if (s->bpf)
		kiln_debug(
		    "bytes read: %llu from perf rings (sideband), %llu from BPF maps and ring",
		    (unsigned long long)b, (unsigned long long)cpuprof_bytes_read(s->bpf));
	return s->bpf ? b + cpuprof_bytes_read(s->bpf) : b;
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* "; tables 0.8 MiB for 68 objects" and, when the limit made room, what it evicted. */
static void report_tables(const struct cpuprof_unwind_stats *u)
{
	fprintf(stderr, "; tables %.1f MiB for %llu objects", (double)u->table_bytes / 1048576,
		(unsigned long long)u->objects);
	if (u->evictions)
		fprintf(stderr,
			"; %llu tables evicted for room (--unwind-table-mb raises the %.0f MiB)",
			(unsigned long long)u->evictions, (double)u->table_capacity / 1048576);
}

/* How many user stacks were walked to their end: the question DWARF unwinding answers. */
static void report_unwinding(struct session *s)
{
	struct cpuprof_unwind_stats u;
	if (!s->bpf || cpuprof_unwind_stats(s->bpf, &u))
		return;
	bool dwarf = cpuprof_unwind_mode(s->bpf) == CPUPROF_UNWIND_DWARF;
	if (!u.samples && !dwarf)
		return;
	if (!u.samples)
		fprintf(stderr, "kiln: no user stacks sampled");
	else
		fprintf(stderr,
			"kiln: user stacks (%s): %.1f%% fully unwound, %.1f%% truncated, %.1f%% "
			"partly, %.1f%% not unwound",
			dwarf ? "dwarf" : "copy", share(u.complete, u.samples),
			share(u.truncated, u.samples), share(u.partial, u.samples),
			share(u.none, u.samples));
	if (dwarf)
		report_tables(&u);
	fputc('\n', stderr);
}

static int finish(struct session *s, const char *path)
{
	struct kiln_profile *p = s->profile;
	p->duration_ns = (int64_t)(s->stop_ns - s->start_ns);
	p->lost_samples = s->lost;
	if (s->stack_failures)
		kiln_warn("%llu stacks could not be captured whole (their samples are kept, "
			  "with the part that was)",
			  (unsigned long long)s->stack_failures);
	if (s->lost)
		kiln_warn("%llu samples were lost (a kernel buffer or map was full): sample less "
			  "often (-F), or use --mode bpf",
			  (unsigned long long)s->lost);
	report_unwinding(s);
	int err = output_write_profile(p, path, !s->opt->output);
	if (err)
		return err;
	fprintf(stderr,
		"kiln: %llu samples, %llu lost, %zu processes, %.1f s, %llu bytes read from "
		"the kernel, %s mode, wrote %s\n",
		(unsigned long long)s->sink.samples, (unsigned long long)s->lost,
		count_processes(p), (double)p->duration_ns / 1e9, (unsigned long long)bytes_read(s),
		s->opt->mode == RECORD_MODE_BPF ? "bpf" : "perf", path);
	return 0;
}

static void session_free(struct session *s)
{
	cpuprof_close(s->bpf);
	perf_sampler_close(s->perf);
	stack_sink_free(&s->sink);
	free(s->changed);
	kiln_profile_free(s->profile);
	symbolizer_free(s->sym);
}

static int prepare(struct session *s)
{
	struct recorder_options *o = s->opt;
	if (o->timeline && o->mode == RECORD_MODE_BPF) {
		/* The kernel aggregates in bpf mode: there are no per-sample times to keep. */
		if (o->mode_explicit) {
			kiln_error("--timeline needs per-sample times: use --mode perf");
			return -EINVAL;
		}
		kiln_info("--timeline: recording in perf mode, which keeps every sample's time");
		o->mode = RECORD_MODE_PERF;
	}
	if (sampling_event_choose(&o->sampling, &s->ev))
		return -EINVAL;
	s->sym = symbolizer_new();
	s->profile = kiln_profile_new();
	if (!s->sym || !s->profile ||
	    stack_sink_init(&s->sink, s->profile, s->sym, s->ev.period_ns, o->timeline)) {
		kiln_error("out of memory");
		return -ENOMEM;
	}
	s->sink.scan_unknown = true;
	if (o->command && target_spawn(&o->target, o->command))
		return -ECHILD;
	learn_targets(s);
	return 0;
}

int recorder_run(struct recorder_options *o)
{
	const char *path = o->output ? o->output : "kiln.folded";
	struct session s = {.opt = o};
	struct target *t = &o->target;
	int code = 1;

	/* From the start: a Ctrl-C during set-up still ends in a whole (short) recording. */
	install_signals();
	if (output_check_writable(path) || prepare(&s) || open_collectors(&s) ||
	    start_collectors(&s))
		goto out;
	debug_cpu("set-up");
	s.start_ns = now_ns();
	if (t->child && (code = release_command(&s)))
		goto out;
	if (t->child && s.bpf)
		cpuprof_process_changed(s.bpf, t->child); /* exec'd: its own code now */
	code = 1;
	watch_events(&s);
	int err = record_loop(&s);
	s.stop_ns = now_ns();
	unwatch_events(&s);
	debug_cpu("recording");
	end_command(t);
	if (!err)
		err = stop_collectors(&s);
	debug_cpu("final drain and symbols");
	if (!err && !finish(&s, path))
		code = t->child ? target_exit_code(t) : 0;
	debug_cpu("output");
out:
	if (t->child && !t->child_exited)
		target_kill_child(t, SIGKILL);
	session_free(&s);
	return code;
}
