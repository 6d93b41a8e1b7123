/* kiln convert: from any format kiln reads to any it writes, chosen by name or extension. */
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
	    "usage: kiln convert IN -o OUT [--from FORMAT] [--to FORMAT] [OPTIONS]\n"
	    "Converts a profile between formats, chosen by file extension (.folded .txt,\n"
	    ".pb.gz .pprof, .svg, perf.data; timelines .json .perfetto-trace) unless --from/--to\n"
	    "name them.\n\n"
	    "  --title TEXT   flame graph title\n"
	    "  --value TYPE   value column to write where a format keeps one (folded, svg)\n"
	    "  --annotate     folded: perf's _[k] _[j] _[i] suffixes on kernel/JIT/inlined frames\n"
	    "  --comm, --pid, --tid  process name (and pid/tid) as the root frame\n");
}

struct convert_args {
	const char *in, *out, *from, *to, *value;
	struct kiln_write_options w;
};

static int parse_args(int argc, char **argv, struct convert_args *a)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
					     {"from", required_argument, NULL, 'f'},
					     {"to", required_argument, NULL, 't'},
					     {"title", required_argument, NULL, 'T'},
					     {"value", required_argument, NULL, 'v'},
					     {"annotate", no_argument, NULL, 'a'},
					     {"comm", no_argument, NULL, 'c'},
					     {"pid", no_argument, NULL, 'p'},
					     {"tid", no_argument, NULL, 'i'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	opterr = 0; /* one message of our own instead of getopt's */
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 'f':
			a->from = optarg;
			break;
		case 't':
			a->to = optarg;
			break;
		case 'T':
			a->w.title = optarg;
			break;
		case 'v':
			a->value = optarg;
			break;
		case 'a':
			a->w.annotate = true;
			break;
		case 'c':
			a->w.comm = true;
			break;
		case 'p':
			a->w.pid = true;
			break;
		case 'i':
			a->w.tid = true;
			break;
		case 'h':
			usage(stdout), exit(0);
		default:
			kiln_error(
			    "unknown option or missing argument in '%s'; 'kiln convert --help' "
			    "lists the options",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (argc - optind != 1 || !a->out)
		return kiln_error("kiln convert needs one input file and -o OUTPUT"), -1;
	a->in = argv[optind];
	return 0;
}

static const struct kiln_format *output_format(const struct convert_args *a)
{
	const struct kiln_format *f =
	    a->to ? kiln_format_named(a->to) : kiln_format_for_path(a->out);
	if (!f || !f->write) {
		kiln_error(
		    "%s: cannot tell which format to write; use an extension or --to with one "
		    "of: %s",
		    a->out, kiln_format_names(true));
		return NULL;
	}
	return f;
}

static int read_input(struct kiln_profile *p, const struct convert_args *a)
{
	if (!a->from)
		return kiln_profile_read_any(p, a->in);
	const struct kiln_format *f = kiln_format_named(a->from);
	if (!f || !f->read) {
		kiln_error("--from %s: kiln reads only: %s", a->from, kiln_format_names(false));
		return -1;
	}
	return f->read(p, a->in);
}

int cmd_convert(int argc, char **argv)
{
	struct convert_args a = {0};
	kiln_write_options_init(&a.w);
	if (parse_args(argc, argv, &a)) {
		return 2;
	}
	const struct kiln_format *out = output_format(&a);
	if (!out)
		return 2;
	struct kiln_profile *p = kiln_profile_new();
	int err = p ? read_input(p, &a) : -1;
	if (!err) {
		int col = report_value_col(p, a.value);
		err = col < 0 ? col : 0;
		a.w.value_col = col < 0 ? 0 : (size_t)col;
	}
	if (!err)
		err = out->write(p, a.out, &a.w);
	kiln_profile_free(p);
	return err ? 1 : 0;
}
