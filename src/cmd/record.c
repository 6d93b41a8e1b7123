/* kiln record: sampled CPU stacks of a command, processes or the whole system. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/recorder.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: kiln record [OPTIONS] [-a | -p PID[,PID...] | [--] COMMAND [ARGS...]]\n"
	    "Samples CPU stacks (kernel and user) and writes a profile.\n\n"
	    "  -F HZ             samples per second per CPU (default 99)\n"
	    "  -c PERIOD         one sample every PERIOD events (ns for cpu-clock)\n"
	    "  -e EVENT          cpu-clock, task-clock or cycles (default: cycles where the CPU\n"
	    "                    has a PMU, else cpu-clock)\n"
	    "  -a                the whole system\n"
	    "  -p PID[,PID...]   running processes, all their threads\n"
	    "  -d SECONDS        stop after this long (default: when the command ends or Ctrl-C)\n"
	    "  --mode bpf|perf   aggregate stacks in BPF maps (default) or read every sample\n"
	    "                    through perf ring buffers\n"
	    "  --user-only       user stacks only\n"
	    "  --kernel-only     kernel stacks only\n"
	    "  --unwind MODE     user stacks: auto (default: dwarf where tables exist, frame\n"
	    "                    pointers elsewhere), fp, dwarf (CFI tables in BPF) or copy\n"
	    "                    (stack copies unwound by kiln)\n"
	    "  --stack-copy BYTES  copy mode: stack bytes per sample (default 8192)\n"
	    "  --unwind-preload  with -a: build every running process's DWARF tables before\n"
	    "                    sampling, not at its first sample (whole stacks from the\n"
	    "                    start, for a longer start-up)\n"
	    "  --unwind-table-mb N  kernel memory for DWARF tables (default 8); when full,\n"
	    "                    the least recently used tables make room\n"
	    "  --timeline        keep each sample's time (for .json / .perfetto-trace output)\n"
	    "  -o FILE           output: .folded/.txt (folded stacks), .svg (flame graph),\n"
	    "                    .pb.gz (pprof); default kiln.folded plus the top functions\n"
	    "  -q                no progress line\n");
}

static int parse_positive(const char *opt, const char *s, unsigned long long max,
			  unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || v == 0 || v > max || *s == '-') {
		kiln_error("%s wants a positive integer up to %llu, not '%s'", opt, max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !(v > 0) || v > 1e7) {
		kiln_error("-d wants a positive number of seconds, not '%s'", s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_mode(const char *s, struct recorder_options *o)
{
	if (!strcmp(s, "bpf"))
		o->mode = RECORD_MODE_BPF;
	else if (!strcmp(s, "perf"))
		o->mode = RECORD_MODE_PERF;
	else {
		kiln_error("--mode must be bpf or perf, not '%s'", s);
		return -EINVAL;
	}
	o->mode_explicit = true;
	return 0;
}

enum {
	OPT_MODE = 256,
	OPT_USER_ONLY,
	OPT_KERNEL_ONLY,
	OPT_TIMELINE,
	OPT_UNWIND,
	OPT_STACK_COPY,
	OPT_UNWIND_PRELOAD,
	OPT_UNWIND_TABLE_MB
};

static int parse_unwind(const char *s, struct recorder_options *o)
{
	static const char *const names[] = {"auto", "fp", "dwarf", "copy"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			o->unwind = (enum record_unwind)i;
			return 0;
		}
	kiln_error("--unwind must be auto, fp, dwarf or copy, not '%s'", s);
	return -EINVAL;
}

static int parse_stack_copy(const char *s, struct recorder_options *o)
{
	unsigned long long v;
	if (parse_positive("--stack-copy", s, 16384, &v))
		return -EINVAL;
	if (v % 512) {
		kiln_error("--stack-copy wants a multiple of 512 bytes, not %llu", v);
		return -EINVAL;
	}
	o->copy_bytes = (unsigned)v;
	return 0;
}

/* The row array is one allocation in the kernel: 4 GiB is past what it will give. */
#define MAX_TABLE_MB 4096

static int parse_table_mb(const char *s, struct recorder_options *o)
{
	unsigned long long v;
	if (parse_positive("--unwind-table-mb", s, MAX_TABLE_MB, &v))
		return -EINVAL;
	o->unwind_table_mb = (unsigned)v;
	return 0;
}

static void bad_option(char **argv, int c)
{
	const char *arg = argv[optind - 1];
	if (c == ':')
		kiln_error("option %s: missing argument; 'kiln record --help' describes it", arg);
	else if (optopt)
		kiln_error("unknown option '-%c'; 'kiln record --help' lists the options", optopt);
	else
		kiln_error("unknown option '%s'; 'kiln record --help' lists the options", arg);
}

static int parse_option(int c, char **argv, struct recorder_options *o)
{
	unsigned long long v;
	switch (c) {
	case 'F':
		if (parse_positive("-F", optarg, 1000000, &v))
			return -EINVAL;
		o->sampling.freq = v;
		return 0;
	case 'c':
		if (parse_positive("-c", optarg, ULLONG_MAX / 2, &v))
			return -EINVAL;
		o->sampling.period = v;
		return 0;
	case 'e':
		o->sampling.event = optarg;
		return 0;
	case 'a':
		o->target.system_wide = true;
		return 0;
	case 'p':
		return target_parse_pids(&o->target, optarg);
	case 'd':
		return parse_seconds(optarg, &o->duration);
	case 'o':
		o->output = optarg;
		return 0;
	case 'q':
		o->quiet = true;
		kiln_set_quiet(true);
		return 0;
	case 'g':
		return 0; /* perf's "with call graphs": kiln always records stacks */
	case OPT_MODE:
		return parse_mode(optarg, o);
	case OPT_USER_ONLY:
		o->sampling.kernel = false;
		return 0;
	case OPT_KERNEL_ONLY:
		o->sampling.user = false;
		return 0;
	case OPT_TIMELINE:
		o->timeline = true;
		return 0;
	case OPT_UNWIND:
		return parse_unwind(optarg, o);
	case OPT_STACK_COPY:
		return parse_stack_copy(optarg, o);
	case OPT_UNWIND_PRELOAD:
		o->unwind_preload = true;
		return 0;
	case OPT_UNWIND_TABLE_MB:
		return parse_table_mb(optarg, o);
	default:
		bad_option(argv, c);
		return -EINVAL;
	}
}

/* Returns 0, 1 when help was printed, or -EINVAL after a message. */
static int parse_args(int argc, char **argv, struct recorder_options *o)
{
	static const struct option opts[] = {
	    {"mode", required_argument, NULL, OPT_MODE},
	    {"user-only", no_argument, NULL, OPT_USER_ONLY},
	    {"kernel-only", no_argument, NULL, OPT_KERNEL_ONLY},
	    {"timeline", no_argument, NULL, OPT_TIMELINE},
	    {"unwind", required_argument, NULL, OPT_UNWIND},
	    {"stack-copy", required_argument, NULL, OPT_STACK_COPY},
	    {"unwind-preload", no_argument, NULL, OPT_UNWIND_PRELOAD},
	    {"unwind-table-mb", required_argument, NULL, OPT_UNWIND_TABLE_MB},
	    {"output", required_argument, NULL, 'o'},
	    {"freq", required_argument, NULL, 'F'},
	    {"pid", required_argument, NULL, 'p'},
	    {"all-cpus", no_argument, NULL, 'a'},
	    {"event", required_argument, NULL, 'e'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	opterr = 0;
	/* '+': options end at the command, whose own options are its business. */
	while ((c = getopt_long(argc, argv, "+:F:c:e:ap:d:o:qgh", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (parse_option(c, argv, o))
			return -EINVAL;
	}
	if (optind < argc)
		o->command = argv + optind;
	return 0;
}

static int check_target(const struct recorder_options *o)
{
	int kinds = !!o->target.system_wide + !!o->target.npids + !!o->command;
	if (kinds == 0) {
		kiln_error(
		    "nothing to record: give -a, -p PID or a command ('kiln record -- CMD')");
		return -EINVAL;
	}
	if (kinds > 1) {
		kiln_error("give only one of -a, -p PID and a command");
		return -EINVAL;
	}
	if (!o->sampling.kernel && !o->sampling.user) {
		kiln_error("--user-only and --kernel-only exclude each other");
		return -EINVAL;
	}
	return 0;
}

int cmd_record(int argc, char **argv)
{
	struct recorder_options o;
	recorder_default_options(&o);
	int r = parse_args(argc, argv, &o);
	if (r == 0 && check_target(&o))
		r = -EINVAL;
	if (r) {
		target_free(&o.target);
		return r > 0 ? 0 : 2;
	}
	int code = recorder_run(&o);
	target_free(&o.target);
	return code;
}
