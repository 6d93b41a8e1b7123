/* kiln: one binary, subcommands dispatched from a table like git and bpftool. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "util/heap.h"
#include "util/log.h"

#define KILN_ENTRY(cmd, text) {#cmd, cmd_##cmd, text},
const struct kiln_command kiln_commands[] = {KILN_COMMANDS(KILN_ENTRY){NULL, NULL, NULL}};
#undef KILN_ENTRY

static void usage(FILE *out)
{
	fprintf(out, "usage: kiln COMMAND [ARGS]\n\ncommands:\n");
	for (const struct kiln_command *c = kiln_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\n'kiln COMMAND --help' describes each one.\n");
}

int main(int argc, char **argv)
{
	heap_prefer_huge_pages();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kiln 0.1\n");
		return 0;
	}
	for (const struct kiln_command *c = kiln_commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	kiln_error("'%s' is not a kiln command; 'kiln --help' lists them", argv[1]);
	return 2;
}
