/* kiln stat: count events over a command, processes, CPUs or the whole system, like perf stat. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stat/defaults.h"
#include "stat/event_parse.h"
#include "stat/session.h"
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

static int parse_event_arg(struct stat_config *o, const char *arg)
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

/* One option with its argument. 0, 1 after --help (done), or -EINVAL (message printed). */
static int parse_option(int c, const char *arg, struct stat_config *o)
{
	long v;
	switch (c) {
	case 'e':
		return parse_event_arg(o, arg) ? -EINVAL : 0;
	case 'a':
		o->system_wide = true;
		return 0;
	case 'C':
		o->cpu_list = arg;
		return 0;
	case 'p':
		o->pid_list = arg;
		return 0;
	case 'A':
		o->per_cpu = true;
		return 0;
	case 'I':
		if (parse_long("-I", arg, 10, 3600000, &v))
			return -EINVAL;
		o->interval_ms = v;
		return 0;
	case 'r':
		if (parse_long("-r", arg, 1, 100000, &v))
			return -EINVAL;
		o->repeat = (int)v;
		return 0;
	case 'd':
		o->detail++;
		return 0;
	case 'x':
		if (!*arg)
			return kiln_error("-x wants a separator, like -x,"), -EINVAL;
		o->format = STAT_CSV;
		o->sep = arg;
		return 0;
	case 'J':
		o->format = STAT_JSON;
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	}
	return -EINVAL;
}

/* What is wrong with the options taken together, NULL when nothing is. */
static const char *conflict(const struct stat_config *o)
{
	if (!o->cmd && !o->system_wide && !o->pid_list)
		return "nothing to count: give a command (kiln stat -- CMD), -p PID, -a or -C CPUS";
	if (o->pid_list && (o->system_wide || o->cmd))
		return "-p counts existing processes: it goes without -a, -C or a command";
	if (o->per_cpu && !o->system_wide)
		return "-A prints per-CPU counts: it needs -a or -C";
	if (o->repeat > 1 && !o->cmd)
		return "-r repeats a command: give one after --";
	if (o->repeat > 1 && o->interval_ms)
		return "-r and -I do not go together: pick one";
	if (o->format == STAT_CSV && strpbrk(o->sep, "\n"))
		return "-x: the separator cannot contain a newline";
	return NULL;
}

/* 0, 1 after --help (done), or -EINVAL (message printed). */
static int parse_args(int argc, char **argv, struct stat_config *o)
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
	int c, err = 0;
	optind = 1;
	opterr = 0;
	/* '+': options end at the command, whose own options are its business. */
	while (!err && (c = getopt_long(argc, argv, "+e:aC:p:AI:r:dx:o:h", opts, NULL)) != -1) {
		if (c == '?' && optopt && strchr("eCpIrxo", optopt))
			return kiln_error("option -%c is missing its argument", optopt), -EINVAL;
		if (c == '?')
			return kiln_error(
				   "unknown option '%s'; 'kiln stat --help' lists the options",
				   argv[optind - 1]),
			       -EINVAL;
		err = parse_option(c, optarg, o);
	}
	if (err)
		return err;
	if (optind < argc)
		o->cmd = argv + optind;
	if (o->cpu_list)
		o->system_wide = true;
	const char *why = conflict(o);
	if (why)
		return kiln_error("%s", why), -EINVAL;
	if (!o->repeat)
		o->repeat = 1;
	return 0;
}

int cmd_stat(int argc, char **argv)
{
	struct stat_config o = {0};
	int err = parse_args(argc, argv, &o);
	int rc = err < 0 ? 2 : 0;
	if (!err && stat_add_defaults(&o.evs, o.have_events, o.detail)) {
		kiln_error("cannot set up the default events");
		rc = 1;
	} else if (!err) {
		rc = stat_session_run(&o);
	}
	ev_list_free(&o.evs);
	return rc;
}
