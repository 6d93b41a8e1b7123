/* kiln convert: from any format kiln reads to any it writes, chosen by name or extension. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/flamegraph.h"
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
	    "  --value TYPE   value column to write where a format keeps one (folded, svg)\n"
	    "  --annotate     folded, svg: perf's _[k] _[j] _[i] suffixes on kernel/JIT/inlined\n"
	    "                 frames\n"
	    "  --comm, --pid, --tid  process name (and pid/tid) as the root frame\n\n"
	    "SVG flame graphs (flamegraph.pl's options; a profile with before/after columns,\n"
	    "like two-count folded lines, draws a differential graph):\n"
	    "  --title TEXT      title (default Flame Graph, Icicle Graph or Flame Chart)\n"
	    "  --subtitle TEXT   second line under the title\n"
	    "  --countname NAME  what a count is (default samples, or the value's unit)\n"
	    "  --nametype TEXT   word before a name in the details line (default Function:)\n"
	    "  --width PX        image width (default 1200)\n"
	    "  --height PX       frame height (default 16)\n"
	    "  --fontsize PX     font size (default 12)\n"
	    "  --minwidth PX|N%%  leave out frames narrower than this (default 0.1 pixels)\n"
	    "  --colors PALETTE  hot (default), mem, io, java, js, perl, red, green, blue,\n"
	    "                    aqua, yellow, purple, orange\n"
	    "  --inverted        icicle graph: roots at the top\n"
	    "  --reverse         reverse every stack (leaves become roots)\n"
	    "  --flamechart      samples in time order (timestamps when the profile has them),\n"
	    "                    siblings not merged by name\n"
	    "  --negate          differential: blue grew, red shrank\n");
}

struct convert_args {
	const char *in, *out, *from, *to, *value;
	struct kiln_write_options w;
};

enum {
	OPT_SUBTITLE = 256,
	OPT_COUNTNAME,
	OPT_NAMETYPE,
	OPT_WIDTH,
	OPT_HEIGHT,
	OPT_FONTSIZE,
	OPT_MINWIDTH,
	OPT_COLORS,
	OPT_INVERTED,
	OPT_REVERSE,
	OPT_FLAMECHART,
	OPT_NEGATE,
};

static int parse_pixels(const char *opt, const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (!*arg || *end || !(v > 0) || v > 1e6)
		return kiln_error("--%s wants a number of pixels above 0, not '%s'", opt, arg), -1;
	*out = v;
	return 0;
}

/* flamegraph.pl's --minwidth: pixels, or a percentage of the total with a '%'. */
static int parse_min_width(const char *arg, struct kiln_write_options *w)
{
	char *end;
	double v = strtod(arg, &end);
	bool pct = *end == '%';
	if (pct)
		end++;
	if (!*arg || *end || !(v >= 0) || (pct && v > 100) || v > 1e6)
		return kiln_error("--minwidth wants pixels (0.1) or a percentage (0.5%%), not '%s'",
				  arg),
		       -1;
	w->min_width = v;
	w->min_width_pct = pct;
	w->min_width_set = true;
	return 0;
}

static int parse_flamegraph_option(int c, struct kiln_write_options *w)
{
	switch (c) {
	case OPT_SUBTITLE:
		w->subtitle = optarg;
		return 0;
	case OPT_COUNTNAME:
		w->countname = optarg;
		return 0;
	case OPT_NAMETYPE:
		w->nametype = optarg;
		return 0;
	case OPT_WIDTH:
		if (parse_pixels("width", optarg, &w->width))
			return -1;
		if (w->width < 100)
			return kiln_error("--width: at least 100 pixels, not '%s'", optarg), -1;
		return 0;
	case OPT_HEIGHT:
		return parse_pixels("height", optarg, &w->frame_height);
	case OPT_FONTSIZE:
		return parse_pixels("fontsize", optarg, &w->font_size);
	case OPT_MINWIDTH:
		return parse_min_width(optarg, w);
	case OPT_COLORS:
		if (!flamegraph_palette_valid(optarg))
			return kiln_error("--colors %s: no such palette; use one of: %s", optarg,
					  flamegraph_palette_names()),
			       -1;
		w->colors = optarg;
		return 0;
	case OPT_INVERTED:
		w->inverted = true;
		return 0;
	case OPT_REVERSE:
		w->reverse = true;
		return 0;
	case OPT_FLAMECHART:
		w->flamechart = true;
		return 0;
	case OPT_NEGATE:
		w->negate = true;
		return 0;
	}
	return 1; /* not one of these */
}

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
					     {"subtitle", required_argument, NULL, OPT_SUBTITLE},
					     {"countname", required_argument, NULL, OPT_COUNTNAME},
					     {"nametype", required_argument, NULL, OPT_NAMETYPE},
					     {"width", required_argument, NULL, OPT_WIDTH},
					     {"height", required_argument, NULL, OPT_HEIGHT},
					     {"fontsize", required_argument, NULL, OPT_FONTSIZE},
					     {"minwidth", required_argument, NULL, OPT_MINWIDTH},
					     {"colors", required_argument, NULL, OPT_COLORS},
					     {"inverted", no_argument, NULL, OPT_INVERTED},
					     {"reverse", no_argument, NULL, OPT_REVERSE},
					     {"flamechart", no_argument, NULL, OPT_FLAMECHART},
					     {"negate", no_argument, NULL, OPT_NEGATE},
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
		case OPT_SUBTITLE ... OPT_NEGATE:
			if (parse_flamegraph_option(c, &a->w))
				return -1;
			break;
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

/* The columns the folded reader makes of "stack BEFORE AFTER" lines. */
static bool is_before_after(const struct kiln_profile *p)
{
	return p->nvalues == 2 && !strcmp(kiln_profile_str(p, p->value_types[0].type), "before") &&
	       !strcmp(kiln_profile_str(p, p->value_types[1].type), "after");
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
	if (p)
		p->skip_events = !out->timeline && !a.w.flamechart;
	int err = p ? read_input(p, &a) : -1;
	if (!err) {
		int col = report_value_col(p, a.value);
		err = col < 0 ? col : 0;
		a.w.value_col = col < 0 ? 0 : (size_t)col;
	}
	if (!err && !a.value && is_before_after(p)) {
		/* flamegraph.pl draws two-count input as a differential graph; so does kiln. */
		a.w.diff_col = 0;
		a.w.value_col = 1;
	}
	if (!err)
		err = out->write(p, a.out, &a.w);
	kiln_profile_free(p);
	return err ? 1 : 0;
}
