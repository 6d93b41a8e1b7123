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

int cmd_stat(int argc, char **argv)
{
	struct stat_config o = {0};
	int rc = 2;
	if (parse_args(argc, argv, &o) == 0) {
		if (stat_add_defaults(&o.evs, o.have_events, o.detail)) {
			kiln_error("cannot set up the default events");
			rc = 1;
		} else {
			rc = stat_session_run(&o);
		}
	}
	ev_list_free(&o.evs);
	return rc;
}
