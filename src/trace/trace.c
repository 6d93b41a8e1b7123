/* kiln trace's command line: options, target set-up, dispatch to the syscall or probe tracer. */
#include "trace/trace.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/decode.h"
#include "trace/options.h"
#include "trace/sysnames.h"
#include "util/log.h"

volatile int trace_stop;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kiln trace [-f] [-p PID | -a | -- CMD [ARGS]] [-e EXPR]... [OPTIONS]\n"
		"\n"
		"Traces system calls like strace, from BPF: the traced program is never stopped.\n"
		"  -e trace=NAME,...|%%file|%%net|%%process|%%memory|%%signal   syscalls to trace\n"
		"  -e SUBSYS:EVENT          a tracepoint (sched:sched_process_exec)\n"
		"  -e u:BIN:FUNC, ur:BIN:FUNC   uprobe / uretprobe (arg0..arg5, retval)\n"
		"  -e usdt:BIN:PROVIDER:PROBE   USDT probe (arg0..arg5)\n"
		"  -f                follow forks (children are traced from birth)\n"
		"  -p PID[,PID]      trace running processes;  -a  the whole system\n"
		"  -c, --summary     count calls, errors and latency per syscall in the kernel\n"
		"  --failed, -Z      only failed calls;  --duration MS  only calls slower than MS\n"
		"  -t, -tt, -ttt     timestamps;  -T  time spent in each call\n"
		"  -s N              data strings shown up to N bytes (32)\n"
		"  -o FILE           output file (FILE.json: Chrome trace events for Perfetto)\n"
		"  --json            one JSON object per line\n"
		"  --filter 'FIELD OP VALUE && ...'   tracepoint filter, evaluated in the kernel\n"
		"  --count-by KEY[,KEY]   count events by comm, pid, tid, a field, ustack, kstack\n"
		"  --hist EXPR, --lhist EXPR,MIN,MAX,STEP, --sum/--min/--max/--avg EXPR\n"
		"  --latency START,END    histogram of the time between two events per thread\n"
		"  -i SECONDS        print aggregations every SECONDS\n");
}

static void on_signal(int sig)
{
	(void)sig;
	trace_stop = 1;
}

/* -e trace=LIST: names and %classes, '!' negates the whole list like strace. */
static int parse_syscall_list(struct trace_opts *o, const char *list)
{
	bool negate = false;
	if (*list == '!') {
		negate = true;
		list++;
	}
	char *copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	bool sel[SC_NR_MAX] = {false};
	int err = 0;
	for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*tok == '%') {
			if (!sc_class_members(tok + 1, sel)) {
				kiln_error(
				    "-e trace=%s: unknown class; use %%file, %%net, %%process, "
				    "%%memory, %%signal or %%desc",
				    tok);
				err = -EINVAL;
				break;
			}
			continue;
		}
		if (!strcmp(tok, "all")) {
			for (int i = 0; i < SC_NR_MAX; i++)
				sel[i] = true;
			continue;
		}
		int nr = trace_sysnum(tok);
		if (nr < 0 || nr >= SC_NR_MAX) {
			kiln_error("-e trace=%s: unknown syscall '%s'; did you mean '%s'?", list,
				   tok, trace_sys_closest(tok));
			err = -EINVAL;
			break;
		}
		sel[nr] = true;
	}
	free(copy);
	if (err)
		return err;
	for (int i = 0; i < SC_NR_MAX; i++)
		o->selected[i] = negate ? !sel[i] : sel[i];
	o->filter_sc = true;
	o->syscalls = true;
	return 0;
}

static bool is_probe_spec(const char *e)
{
	const char *colon = strchr(e, ':');
	return colon && strncmp(e, "trace=", 6) != 0;
}

static int parse_event(struct trace_opts *o, const char *e)
{
	if (!strncmp(e, "trace=", 6))
		return parse_syscall_list(o, e + 6);
	if (!is_probe_spec(e))
		return parse_syscall_list(o, e); /* strace accepts a bare list */
	static const char *const kprobes[] = {"k:", "kr:", "kprobe:", "kretprobe:"};
	static const char *const fentry[] = {"fentry:", "fexit:", "f:", "fr:"};
	for (size_t i = 0; i < 4; i++) {
		if (!strncmp(e, kprobes[i], strlen(kprobes[i]))) {
			if (access("/sys/kernel/tracing/kprobe_events", F_OK) &&
			    access("/sys/kernel/debug/tracing/kprobe_events", F_OK))
				kiln_error(
				    "-e %s: this kernel offers no kprobes (built without "
				    "CONFIG_KPROBES: tracefs has no kprobe_events); use a "
				    "tracepoint (-e sched:...), a syscall or a uprobe instead",
				    e);
			else
				kiln_error(
				    "-e %s: kprobes are not supported by kiln trace yet; use a "
				    "tracepoint, a syscall or a uprobe",
				    e);
			return -EOPNOTSUPP;
		}
		if (!strncmp(e, fentry[i], strlen(fentry[i]))) {
			kiln_error("-e %s: fentry/fexit are not supported by kiln trace, and this "
				   "kernel refuses BPF trampolines anyway; use a tracepoint, a "
				   "syscall or a uprobe instead",
				   e);
			return -EOPNOTSUPP;
		}
	}
	if (o->nevents == TRACE_MAX_EVENTS) {
		kiln_error("-e: at most %d events at once", TRACE_MAX_EVENTS);
		return -E2BIG;
	}
	o->events[o->nevents++] = e;
	return 0;
}

static int parse_ms(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || v < 0) {
		kiln_error("--duration %s: expected milliseconds, like 10 or 0.5", s);
		return -EINVAL;
	}
	*ns = (uint64_t)(v * 1e6);
	return 0;
}

enum {
	OPT_FAILED = 256,
	OPT_DURATION,
	OPT_JSON,
	OPT_FILTER,
	OPT_COUNT_BY,
	OPT_HIST,
	OPT_LHIST,
	OPT_SUM,
	OPT_MIN,
	OPT_MAX,
	OPT_AVG,
	OPT_LATENCY,
};

static int set_agg(struct trace_opts *o, int kind, const char *expr)
{
	if (o->agg_kind) {
		kiln_error("only one of --sum, --min, --max, --avg at a time");
		return -EINVAL;
	}
	o->agg_kind = kind;
	o->agg_expr = expr;
	return 0;
}

static int parse_args(struct trace_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"summary", no_argument, NULL, 'c'},
	    {"failed", no_argument, NULL, OPT_FAILED},
	    {"duration", required_argument, NULL, OPT_DURATION},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"output", required_argument, NULL, 'o'},
	    {"filter", required_argument, NULL, OPT_FILTER},
	    {"count-by", required_argument, NULL, OPT_COUNT_BY},
	    {"hist", required_argument, NULL, OPT_HIST},
	    {"lhist", required_argument, NULL, OPT_LHIST},
	    {"sum", required_argument, NULL, OPT_SUM},
	    {"min", required_argument, NULL, OPT_MIN},
	    {"max", required_argument, NULL, OPT_MAX},
	    {"avg", required_argument, NULL, OPT_AVG},
	    {"latency", required_argument, NULL, OPT_LATENCY},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool system_wide = false;
	const char *pids = NULL;
	int c, err;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+fp:ae:ctTo:s:i:Zh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->follow = true;
			break;
		case 'p':
			pids = optarg;
			break;
		case 'a':
			system_wide = true;
			break;
		case 'e':
			if ((err = parse_event(o, optarg)))
				return err;
			break;
		case 'c':
			o->summary = true;
			break;
		case 't':
			o->tstamps++;
			break;
		case 'T':
			o->show_time = true;
			break;
		case 'o':
			o->out_path = optarg;
			break;
		case 's': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v > 1 << 20) {
				kiln_error("-s %s: expected a string size in bytes", optarg);
				return -EINVAL;
			}
			o->strsize = (int)v;
			break;
		}
		case 'i': {
			char *end;
			o->interval = strtod(optarg, &end);
			if (*end || end == optarg || o->interval <= 0) {
				kiln_error("-i %s: expected seconds, like 1 or 0.5", optarg);
				return -EINVAL;
			}
			break;
		}
		case 'Z':
		case OPT_FAILED:
			o->only_failed = true;
			break;
		case OPT_DURATION:
			if ((err = parse_ms(optarg, &o->min_dur_ns)))
				return err;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_FILTER:
			o->filter = optarg;
			break;
		case OPT_COUNT_BY:
			o->count_by = optarg;
			break;
		case OPT_HIST:
			o->hist = optarg;
			break;
		case OPT_LHIST:
			o->lhist = optarg;
			break;
		case OPT_SUM:
		case OPT_MIN:
		case OPT_MAX:
		case OPT_AVG:
			if ((err = set_agg(o, c - OPT_SUM + TRACE_AGG_SUM, optarg)))
				return err;
			break;
		case OPT_LATENCY:
			o->latency = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			kiln_error(
			    "trace: unknown or incomplete option '%s'; 'kiln trace --help' lists "
			    "them",
			    argv[optind - 1]);
			return -EINVAL;
		}
	}
	int targets = !!pids + system_wide + (optind < argc);
	if (targets != 1) {
		kiln_error("trace: give exactly one of -p PID, -a or -- COMMAND");
		return -EINVAL;
	}
	if (pids && (err = target_parse_pids(&o->target, pids)))
		return err;
	o->target.system_wide = system_wide;
	if (!o->nevents && !o->latency)
		o->syscalls = true;
	if ((o->nevents || o->latency) && o->syscalls) {
		kiln_error("trace: syscalls and other events cannot be traced in one run yet; use "
			   "tracepoints raw_syscalls:sys_enter/sys_exit or run twice");
		return -EINVAL;
	}
	if (o->syscalls &&
	    (o->filter || o->count_by || o->hist || o->lhist || o->agg_kind || o->latency)) {
		kiln_error("trace: --filter and aggregations apply to -e tracepoints, uprobes and "
			   "USDT probes; for syscalls use -c");
		return -EINVAL;
	}
	return optind;
}

static int open_output(struct trace_opts *o)
{
	if (!o->out_path) {
		o->out = stderr; /* like strace: the command's own output stays apart */
		return 0;
	}
	o->out = fopen(o->out_path, "we"); /* not inherited by the command */
	if (!o->out) {
		int err = errno;
		kiln_error("-o %s: %s", o->out_path, strerror(err));
		return -err;
	}
	static char buf[1 << 20];
	setvbuf(o->out, buf, _IOFBF, sizeof(buf));
	size_t n = strlen(o->out_path);
	bool aggregated =
	    o->summary || o->count_by || o->hist || o->lhist || o->agg_kind || o->latency;
	if (!o->json && !aggregated && n > 5 && !strcmp(o->out_path + n - 5, ".json")) {
		o->chrome = true;
		fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", o->out);
	}
	return 0;
}

void trace_chrome_begin(struct trace_opts *o)
{
	if (o->chrome_started)
		fputs(",\n", o->out);
	o->chrome_started = true;
}

int trace_release_command(struct trace_opts *o)
{
	int err = target_release(&o->target);
	if (err)
		kiln_error("cannot run %s: %s", o->command, strerror(-err));
	return err;
}

int trace_main(int argc, char **argv)
{
	struct trace_opts o;
	memset(&o, 0, sizeof(o));
	target_init(&o.target);
	o.strsize = 32;
	int first = parse_args(&o, argc, argv);
	if (first < 0) {
		target_free(&o.target);
		return 2;
	}
	if (open_output(&o)) {
		target_free(&o.target);
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* The run returns the command's exit code (like strace), or -errno when kiln failed. */
	int res = -EINVAL;
	if (first < argc)
		o.command = argv[first];
	if (first < argc && target_spawn(&o.target, argv + first))
		res = -ECHILD;
	else {
		/* only now: an ignored SIGPIPE would be inherited by the command across exec */
		signal(SIGPIPE, SIG_IGN);
		res = o.syscalls ? trace_syscalls_run(&o) : trace_probes_run(&o);
	}
	target_kill_child(&o.target, SIGKILL);
	int rc = res < 0 ? 1 : res;
	if (o.chrome && res >= 0)
		fputs("\n]}\n", o.out);
	if (o.out && o.out != stderr && fclose(o.out)) {
		kiln_error("-o %s: %s", o.out_path, strerror(errno));
		rc = 1;
		res = -EIO;
	}
	if (res < 0 && o.out_path) /* no partial output file on failure */
		remove(o.out_path);
	target_free(&o.target);
	return rc;
}
