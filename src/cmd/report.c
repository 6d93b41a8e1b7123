/* kiln report: the top functions or the call tree of any profile kiln reads. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "format/report.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: kiln report [OPTIONS] [FILE]\n"
	    "Prints the top functions by self and cumulative value (or the call tree) of a\n"
	    "profile: folded stacks, pprof or perf.data. FILE defaults to kiln.folded, else the\n"
	    "newest profile in the current directory.\n\n"
	    "  -n N             rows per table (default 10; 0 = all)\n"
	    "  --self, --cum    only the table sorted by self / by cumulative value\n"
	    "  --tree           caller->callee tree instead of tables\n"
	    "  --threshold PCT  tree: hide nodes under PCT%% of the total (default 1)\n"
	    "  --pid PID        only samples of process PID\n"
	    "  --comm NAME      only samples of processes named NAME\n"
	    "  --value TYPE     value column to count, by name (samples, cpu) or index\n");
}

static bool parse_number(const char *s, double max, double *out)
{
	char *end;
	*out = strtod(s, &end);
	return *s && !*end && *out >= 0 && *out <= max;
}

/* Fills o from the command line; returns the file argument index, -1 on bad use. */
static int parse_args(int argc, char **argv, struct report_options *o, const char **value)
{
	static const struct option opts[] = {{"self", no_argument, NULL, 's'},
					     {"cum", no_argument, NULL, 'c'},
					     {"tree", no_argument, NULL, 't'},
					     {"threshold", required_argument, NULL, 'T'},
					     {"pid", required_argument, NULL, 'p'},
					     {"comm", required_argument, NULL, 'C'},
					     {"value", required_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	double num;
	int c;
	optind = 1;
	opterr = 0; /* one message of our own instead of getopt's */
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_number(optarg, 1e9, &num))
				return kiln_error("-n wants a number of rows, not '%s'", optarg),
				       -1;
			o->n = (size_t)num;
			break;
		case 's':
			o->by_cum = false, o->by_self = true;
			break;
		case 'c':
			o->by_self = false, o->by_cum = true;
			break;
		case 't':
			o->tree = true;
			break;
		case 'T':
			if (!parse_number(optarg, 100, &o->threshold))
				return kiln_error("--threshold wants a percentage, not '%s'",
						  optarg),
				       -1;
			break;
		case 'p':
			if (!parse_number(optarg, 1 << 30, &num))
				return kiln_error("--pid wants a process id, not '%s'", optarg), -1;
			o->pid = (int)num;
			break;
		case 'C':
			o->comm = optarg;
			break;
		case 'v':
			*value = optarg;
			break;
		case 'h':
			usage(stdout), exit(0);
		default:
			kiln_error(
			    "unknown option or missing argument in '%s'; 'kiln report --help' "
			    "lists the options",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (argc - optind > 1)
		return kiln_error("kiln report reads one profile; 'kiln diff' compares two"), -1;
	return optind;
}

int cmd_report(int argc, char **argv)
{
	struct report_options o;
	const char *value = NULL;
	char path[4096];
	report_default_options(&o);
	int arg = parse_args(argc, argv, &o, &value);
	if (arg < 0) {
		return 2;
	}
	if (arg < argc) {
		snprintf(path, sizeof(path), "%s", argv[arg]);
	} else if (kiln_default_input(path, sizeof(path))) {
		kiln_error(
		    "no kiln.folded or other profile here; run 'kiln record' or name a file");
		return 1;
	}
	struct kiln_profile *p = kiln_profile_new();
	if (p)
		p->skip_events = true; /* a report sums samples; their times go unused */
	int err = p ? kiln_profile_read_any(p, path) : -1;
	if (!err) {
		int col = report_value_col(p, value);
		err = col < 0 ? col : 0;
		o.value_col = col < 0 ? 0 : (size_t)col;
	}
	if (!err) {
		printf("File: %s\n", path);
		err = report_print(p, stdout, &o);
		if (err)
			kiln_error("cannot report on %s: %s", path, strerror(-err));
	}
	kiln_profile_free(p);
	return err ? 1 : 0;
}
