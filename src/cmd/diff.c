/* kiln diff: what changed between two profiles, as text and optionally a differential graph. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "format/report.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kiln diff [OPTIONS] BEFORE AFTER [-o diff.svg]\n"
		"Lists the functions whose share of the total changed most between two\n"
		"profiles (any format kiln reads). With -o FILE.svg, also draws a differential\n"
		"flame graph (red: grew, blue: shrank); other extensions write both columns.\n\n"
		"  -n N           rows (default 20; 0 = all)\n"
		"  --value TYPE   value column to compare (name or index)\n"
		"  --pid PID, --comm NAME   only samples of that process\n"
		"  --title TEXT   flame graph title\n");
}

struct diff_args {
	const char *before, *after, *out, *value, *title;
	struct report_options r;
};

static int parse_args(int argc, char **argv, struct diff_args *a)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
					     {"value", required_argument, NULL, 'v'},
					     {"pid", required_argument, NULL, 'p'},
					     {"comm", required_argument, NULL, 'C'},
					     {"title", required_argument, NULL, 'T'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	char *end;
	optind = 1;
	opterr = 0; /* one message of our own instead of getopt's */
	while ((c = getopt_long(argc, argv, "o:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 'v':
			a->value = optarg;
			break;
		case 'C':
			a->r.comm = optarg;
			break;
		case 'T':
			a->title = optarg;
			break;
		case 'n':
			a->r.n = strtoul(optarg, &end, 10);
			if (!*optarg || *end)
				return kiln_error("-n wants a number of rows, not '%s'", optarg),
				       -1;
			break;
		case 'p':
			a->r.pid = (int)strtol(optarg, &end, 10);
			if (!*optarg || *end || a->r.pid < 0)
				return kiln_error("--pid wants a process id, not '%s'", optarg), -1;
			break;
		case 'h':
			usage(stdout), exit(0);
		default:
			kiln_error("unknown option or missing argument in '%s'; 'kiln diff --help' "
				   "lists the options",
				   argv[optind - 1]);
			return -1;
		}
	}
	if (argc - optind != 2)
		return kiln_error("kiln diff compares two profiles: BEFORE AFTER"), -1;
	a->before = argv[optind];
	a->after = argv[optind + 1];
	return 0;
}

static int write_graph(const struct diff_args *a, const struct kiln_profile *before,
		       const struct kiln_profile *after)
{
	const struct kiln_format *f = kiln_format_for_path(a->out);
	if (!f || !f->write) {
		kiln_error("%s: cannot tell which format to write; use one of: %s", a->out,
			   kiln_format_names(true));
		return -1;
	}
	struct kiln_profile *merged = report_merge_diff(before, after, a->r.value_col);
	if (!merged) {
		kiln_error("out of memory merging the profiles");
		return -1;
	}
	struct kiln_write_options w;
	kiln_write_options_init(&w);
	w.title = a->title ? a->title : "Differential flame graph";
	w.diff_col = 0;
	w.value_col = 1;
	int err = f->write(merged, a->out, &w);
	kiln_profile_free(merged);
	return err;
}

static int compare(struct diff_args *a, struct kiln_profile *before, struct kiln_profile *after)
{
	int err = kiln_profile_read_any(before, a->before);
	if (!err)
		err = kiln_profile_read_any(after, a->after);
	if (err)
		return err;
	int col = report_value_col(after, a->value);
	if (col < 0 || report_value_col(before, a->value ? a->value : "0") < 0)
		return -1;
	a->r.value_col = (size_t)col;
	if (col >= (int)before->nvalues) {
		kiln_error("%s has no value column %d", a->before, col);
		return -1;
	}
	err = report_print_diff(before, after, stdout, &a->r);
	if (!err && a->out)
		err = write_graph(a, before, after);
	return err;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args a = {0};
	report_default_options(&a.r);
	a.r.n = 20;
	if (parse_args(argc, argv, &a)) {
		return 2;
	}
	struct kiln_profile *before = kiln_profile_new(), *after = kiln_profile_new();
	int err = before && after ? compare(&a, before, after) : -1;
	kiln_profile_free(before);
	kiln_profile_free(after);
	return err ? 1 : 0;
}
