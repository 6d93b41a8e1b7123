/* kiln trace for syscalls: stream decoded calls like strace, or print -c's summary table. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace/decode.h"
#include "trace/options.h"
#include "trace/syscalls_loader.h"
#include "util/log.h"

struct stream {
	struct trace_opts *o;
	int64_t mono_to_real_ns;
	pid_t main_pid;
	bool prefix;
	uint64_t lost_seen;
	uint64_t events;
	struct sc_decode_opts dopts;
	struct sc_decoded d;
	struct sc_text line;
	struct sc_text call;
};

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put_tstamp(struct stream *s, uint64_t mono_ns)
{
	int64_t real = (int64_t)mono_ns + s->mono_to_real_ns;
	time_t sec = real / 1000000000;
	long usec = (real % 1000000000) / 1000;
	if (s->o->tstamps >= 3) {
		sc_text_printf(&s->line, "%lld.%06ld ", (long long)sec, usec);
		return;
	}
	struct tm tm;
	localtime_r(&sec, &tm);
	sc_text_printf(&s->line, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (s->o->tstamps == 2)
		sc_text_printf(&s->line, ".%06ld", usec);
	sc_text_putc(&s->line, ' ');
}

static void put_lost(struct stream *s, uint64_t lost)
{
	if (lost <= s->lost_seen)
		return;
	uint64_t n = lost - s->lost_seen;
	s->lost_seen = lost;
	if (s->o->json)
		fprintf(s->o->out, "{\"lost\":%llu}\n", (unsigned long long)n);
	else
		fprintf(s->o->out, "--- %llu events lost (ring buffer full) ---\n",
			(unsigned long long)n);
}

static void text_exit(struct stream *s, const struct sc_event *ev)
{
	int status = (int)ev->ret;
	if (s->o->json) {
		sc_text_printf(&s->line, "{\"ts\":%.6f,\"pid\":%u,\"exit\":",
			       (ev->ts + s->mono_to_real_ns) / 1e9, ev->pid);
		if (status & 0x7f)
			sc_text_printf(&s->line, "null,\"signal\":\"SIG%s\"}",
				       sigabbrev_np(status & 0x7f) ? sigabbrev_np(status & 0x7f)
								   : "?");
		else
			sc_text_printf(&s->line, "%d}", (status >> 8) & 0xff);
		return;
	}
	if (s->prefix && ev->pid != (uint32_t)s->main_pid)
		sc_text_printf(&s->line, "[pid %5u] ", ev->pid);
	if (s->o->tstamps)
		put_tstamp(s, ev->ts);
	if (status & 0x7f)
		sc_text_printf(&s->line, "+++ killed by SIG%s +++",
			       sigabbrev_np(status & 0x7f) ? sigabbrev_np(status & 0x7f) : "?");
	else
		sc_text_printf(&s->line, "+++ exited with %d +++", (status >> 8) & 0xff);
}

static void text_call(struct stream *s, const struct sc_event *ev)
{
	struct sc_decoded *d = &s->d;
	struct sc_text *l = &s->line;
	/* other threads are told apart even without -f: their calls interleave with the main one */
	if ((s->prefix || s->main_pid) && ev->tid != (uint32_t)s->main_pid)
		sc_text_printf(l, "[pid %5u] ", ev->tid);
	if (s->o->tstamps)
		put_tstamp(s, ev->ts);
	sc_text_puts(l, sc_name(ev->nr));
	sc_text_putc(l, '(');
	for (int i = 0; i < d->nargs; i++) {
		if (i)
			sc_text_puts(l, ", ");
		sc_text_printf(l, "%.*s", (int)(d->arg_end[i] - d->arg_start[i]),
			       d->text.buf + d->arg_start[i]);
	}
	sc_text_putc(l, ')');
	/* strace lines the results up in column 40, prefix and timestamp included */
	if (l->len < 40)
		sc_text_printf(l, "%*s= ", (int)(40 - l->len), "");
	else
		sc_text_puts(l, " = ");
	sc_text_printf(l, "%.*s", (int)(d->ret_end - d->ret_start), d->text.buf + d->ret_start);
	if (s->o->show_time && ev->type == SC_EV_CALL)
		sc_text_printf(l, " <%llu.%06llu>", (unsigned long long)ev->dur / 1000000000,
			       (unsigned long long)(ev->dur % 1000000000) / 1000);
}

static void json_call(struct stream *s, const struct sc_event *ev)
{
	struct sc_decoded *d = &s->d;
	struct sc_text *l = &s->line;
	sc_text_printf(l, "{\"ts\":%.6f,\"pid\":%u,\"tid\":%u,\"comm\":",
		       (ev->ts + s->mono_to_real_ns) / 1e9, ev->pid, ev->tid);
	sc_text_json(l, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	sc_text_printf(l, ",\"syscall\":\"%s\",\"args\":[", sc_name(ev->nr));
	for (int i = 0; i < d->nargs; i++) {
		if (i)
			sc_text_putc(l, ',');
		sc_text_json(l, d->text.buf + d->arg_start[i], d->arg_end[i] - d->arg_start[i]);
	}
	sc_text_puts(l, "],\"ret\":");
	if (ev->type == SC_EV_NORETURN)
		sc_text_puts(l, "null");
	else
		sc_text_printf(l, "%lld", (long long)ev->ret);
	if (d->errname)
		sc_text_printf(l, ",\"errno\":\"%s\"", d->errname);
	sc_text_printf(l, ",\"dur_ns\":%llu}", (unsigned long long)ev->dur);
}

/* Calls as slices on their thread's track, process ends as instants. */
static void chrome_event(struct stream *s, const struct sc_event *ev, size_t size)
{
	struct sc_text *l = &s->line;
	double ts = ev->ts / 1e3; /* monotonic: doubles keep sub-microsecond precision */
	trace_chrome_begin(s->o);
	if (ev->type == SC_EV_PROC_EXIT) {
		sc_text_printf(l,
			       "{\"name\":\"exit %d\",\"ph\":\"i\",\"s\":\"p\",\"ts\":%.3f,"
			       "\"pid\":%u,\"tid\":%u}",
			       ((int)ev->ret >> 8) & 0xff, ts, ev->pid, ev->tid);
		return;
	}
	sc_decode(ev, size, &s->dopts, &s->d);
	sc_text_printf(l,
		       "{\"name\":\"%s\",\"cat\":\"syscall\",\"ph\":\"X\",\"ts\":%.3f,"
		       "\"dur\":%.3f,\"pid\":%u,\"tid\":%u,\"args\":{\"call\":",
		       sc_name(ev->nr), ts, ev->dur / 1e3, ev->pid, ev->tid);
	struct sc_text *call = &s->call;
	sc_text_reset(call);
	sc_text_printf(call, "%s(", sc_name(ev->nr));
	for (int i = 0; i < s->d.nargs; i++)
		sc_text_printf(call, "%s%.*s", i ? ", " : "",
			       (int)(s->d.arg_end[i] - s->d.arg_start[i]),
			       s->d.text.buf + s->d.arg_start[i]);
	sc_text_printf(call, ") = %.*s", (int)(s->d.ret_end - s->d.ret_start),
		       s->d.text.buf + s->d.ret_start);
	sc_text_json(l, call->buf, call->len);
	sc_text_puts(l, "}}");
}

static int on_event(void *ctx, const struct sc_event *ev, size_t size)
{
	struct stream *s = ctx;
	if (s->o->chrome) {
		sc_text_reset(&s->line);
		chrome_event(s, ev, size);
		fwrite(s->line.buf, 1, s->line.len, s->o->out);
		s->events++;
		return 0;
	}
	put_lost(s, ev->lost);
	sc_text_reset(&s->line);
	if (ev->type == SC_EV_PROC_EXIT) {
		text_exit(s, ev);
	} else {
		sc_decode(ev, size, &s->dopts, &s->d);
		if (s->o->json)
			json_call(s, ev);
		else
			text_call(s, ev);
	}
	sc_text_putc(&s->line, '\n');
	fwrite(s->line.buf, 1, s->line.len, s->o->out);
	s->events++;
	return 0;
}

struct summary_row {
	int nr;
	struct sc_stat st;
};

static int by_time(const void *a, const void *b)
{
	const struct summary_row *x = a, *y = b;
	if (x->st.total_ns != y->st.total_ns)
		return x->st.total_ns < y->st.total_ns ? 1 : -1;
	if (x->st.calls != y->st.calls)
		return x->st.calls < y->st.calls ? 1 : -1;
	return strcmp(sc_name(x->nr), sc_name(y->nr));
}

/* strace -c's table, plus the fastest and slowest call of each syscall. */
static void print_summary(FILE *f, const struct sc_stat *stats)
{
	static struct summary_row rows[SC_NR_MAX];
	int n = 0;
	struct sc_stat total = {0};
	for (int nr = 0; nr < SC_NR_MAX; nr++) {
		if (!stats[nr].calls)
			continue;
		rows[n].nr = nr;
		rows[n++].st = stats[nr];
		total.calls += stats[nr].calls;
		total.errors += stats[nr].errors;
		total.total_ns += stats[nr].total_ns;
		if (!total.min_ns || stats[nr].min_ns < total.min_ns)
			total.min_ns = stats[nr].min_ns;
		if (stats[nr].max_ns > total.max_ns)
			total.max_ns = stats[nr].max_ns;
	}
	qsort(rows, n, sizeof(rows[0]), by_time);
	const char *rule = "------ ----------- ----------- --------- --------- ----------- "
			   "----------- ----------------\n";
	fprintf(f, "%% time     seconds  usecs/call     calls    errors   usecs/min   usecs/max "
		   "syscall\n");
	fputs(rule, f);
	for (int i = 0; i <= n; i++) {
		const struct sc_stat *st = i < n ? &rows[i].st : &total;
		if (i == n)
			fputs(rule, f);
		double pct = total.total_ns ? 100.0 * st->total_ns / total.total_ns : 0;
		if (i == n)
			pct = 100.0;
		fprintf(f, "%6.2f %11.6f %11llu %9llu ", pct, st->total_ns / 1e9,
			(unsigned long long)(st->calls ? st->total_ns / 1000 / st->calls : 0),
			(unsigned long long)st->calls);
		if (st->errors)
			fprintf(f, "%9llu ", (unsigned long long)st->errors);
		else
			fprintf(f, "%9s ", "");
		fprintf(f, "%11llu %11llu %s\n", (unsigned long long)st->min_ns / 1000,
			(unsigned long long)st->max_ns / 1000,
			i < n ? sc_name(rows[i].nr) : "total");
	}
}

static bool finished(struct trace_opts *o, struct sc_tracer *t)
{
	if (o->target.system_wide)
		return false;
	if (o->target.child) {
		bool done = target_child_done(&o->target);
		return done && (!o->follow || !sc_tracer_targets_alive(t));
	}
	return !sc_tracer_targets_alive(t) || target_pids_gone(&o->target);
}

static int add_targets(struct trace_opts *o, struct sc_tracer *t)
{
	int err = 0;
	if (o->target.child)
		err = sc_tracer_add_target(t, o->target.child, true);
	for (size_t i = 0; !err && i < o->target.npids; i++)
		err = sc_tracer_add_target(t, o->target.pids[i], false);
	if (err)
		kiln_error("cannot register the traced processes: %s", strerror(-err));
	return err;
}

static void report_counters(struct sc_tracer *t, uint64_t events)
{
	uint64_t c[SC_CNT_NR];
	sc_tracer_counters(t, c);
	if (c[SC_CNT_LOST])
		kiln_warn("%llu of %llu events lost: the ring buffer was full (the tracer could "
			  "not keep up; narrow with -e trace=... or use -c)",
			  (unsigned long long)c[SC_CNT_LOST],
			  (unsigned long long)(c[SC_CNT_LOST] + events));
	if (c[SC_CNT_CAP_FAULT])
		kiln_info("%llu strings or buffers were not in memory when read; they are shown as "
			  "addresses",
			  (unsigned long long)c[SC_CNT_CAP_FAULT]);
	if (c[SC_CNT_NO_STORAGE])
		kiln_warn("%llu calls not traced: no per-thread state could be allocated",
			  (unsigned long long)c[SC_CNT_NO_STORAGE]);
}

int trace_syscalls_run(struct trace_opts *o)
{
	struct sc_tracer_opts to = {
	    .filter_pids = !o->target.system_wide,
	    .follow = o->follow,
	    .summary = o->summary,
	    .only_failed = o->only_failed,
	    .min_dur_ns = o->min_dur_ns,
	    .filter_sc = o->filter_sc,
	};
	memcpy(to.selected, o->selected, sizeof(to.selected));
	struct stream *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = o;
	s->dopts.strsize = o->strsize;
	s->mono_to_real_ns = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC);
	s->main_pid = o->target.child ? o->target.child : (o->target.npids ? o->target.pids[0] : 0);
	s->prefix = o->follow || o->target.system_wide || o->target.npids > 1;

	struct sc_tracer *t = NULL;
	int err = sc_tracer_open(&t, &to);
	if (!err)
		err = add_targets(o, t);
	if (!err)
		err = sc_tracer_attach(t, o->summary ? NULL : on_event, s);
	if (!err && o->target.child)
		err = trace_release_command(o);
	while (!err && !trace_stop) {
		int n = sc_tracer_poll(t, 50);
		if (n < 0) {
			kiln_error("reading the event ring buffer: %s", strerror(-n));
			err = n;
			break;
		}
		if (finished(o, t))
			break;
		if (!o->out_path || n > 0)
			fflush(o->out);
	}
	if (!err) {
		while (sc_tracer_poll(t, 0) > 0) /* what was emitted before the end */
			;
		if (!o->summary && !o->chrome)
			put_lost(s, sc_tracer_lost(t)); /* losses after the last event */
		if (o->summary) {
			static struct sc_stat stats[SC_NR_MAX];
			err = sc_tracer_summary(t, stats);
			if (!err)
				print_summary(o->out, stats);
		}
		fflush(o->out);
		report_counters(t, s->events);
	}
	sc_tracer_close(t);
	free(s);
	if (err)
		return err;
	target_child_done(&o->target);
	return target_exit_code(&o->target);
}
