/* kiln list: what this machine can count and trace, and what a binary offers to probe. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "stat/listing.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kiln list [-v] [sw|hw|cache|pmu|tracepoint|usdt BINARY|uprobe BINARY] "
		"[GLOB]\n"
		"Lists the events kiln stat -e and kiln record -e take:\n"
		"  sw, hw, cache   software, hardware and hardware cache events this machine "
		"can count\n"
		"  pmu             PMUs' named events (sysfs), as pmu/event/\n"
		"  tracepoint      tracepoints from tracefs as sys:name (-v: their fields)\n"
		"  usdt BINARY     USDT probes in BINARY's .note.stapsdt, with argument specs\n"
		"  uprobe BINARY   functions of BINARY a uprobe can be placed on\n"
		"GLOB (shell pattern) keeps the matching names, e.g. 'sched:*'.\n");
}

/* -v and -h; 0, 1 after --help (done), or -EINVAL (message printed). */
static int parse_options(int argc, char **argv, struct list_request *req)
{
	static const struct option opts[] = {{"verbose", no_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		if (opt == 'v') {
			req->verbose = true;
		} else if (opt == 'h') {
			usage(stdout);
			return 1;
		} else {
			kiln_error("unknown option '%s'; 'kiln list --help' lists the options",
				   argv[optind - 1]);
			return -EINVAL;
		}
	}
	return 0;
}

/* [KIND [BINARY]] [GLOB] after the options. 0 or -EINVAL (message printed). */
static int parse_operands(int argc, char **argv, struct list_request *req)
{
	int i = optind;
	if (i < argc && list_kind_parse(argv[i], &req->kind) == 0)
		i++;
	if (req->kind == LIST_USDT || req->kind == LIST_UPROBE) {
		if (i >= argc) {
			kiln_error("kiln list %s needs a binary: kiln list %s BINARY [GLOB]",
				   argv[i - 1], argv[i - 1]);
			return -EINVAL;
		}
		req->binary = argv[i++];
	}
	if (i < argc)
		req->glob = argv[i++];
	if (i < argc) {
		kiln_error("unexpected '%s': kiln list takes one kind and one GLOB", argv[i]);
		return -EINVAL;
	}
	return 0;
}

int cmd_list(int argc, char **argv)
{
	struct list_request req = {LIST_ALL, NULL, NULL, false};
	int err = parse_options(argc, argv, &req);
	if (err)
		return err > 0 ? 0 : 2;
	if (parse_operands(argc, argv, &req))
		return 2;
	return list_events(&req) ? 1 : 0;
}
