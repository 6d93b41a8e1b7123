/* The subcommand table: each subcommand lives in src/cmd/NAME.c and is listed once here. */
#ifndef KILN_COMMANDS_H
#define KILN_COMMANDS_H

struct kiln_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* One X(name, summary) line per subcommand, each ending in a backslash. */
#define KILN_COMMANDS(X)                                                                           \
	X(record, "sample CPU stacks of a command, processes or the whole system")               \
	X(report, "top functions or call tree of a profile")                                         \
	X(convert, "convert a profile between formats (folded, pprof, svg, perf.data)")               \
	X(diff, "compare two profiles: what grew, what shrank")                                       \
	X(collapse, "fold perf script output into stacks, like stackcollapse-perf.pl")             \
	X(stat, "count events over a command, processes or CPUs, like perf stat")                  \
	X(list, "list countable events, tracepoints, and a binary's USDT probes and functions")   \
	X(trace, "trace syscalls, tracepoints, uprobes and USDT, streamed or summarized")          \
	/* end of the command list */

#define KILN_DECLARE(name, summary) int cmd_##name(int argc, char **argv);
KILN_COMMANDS(KILN_DECLARE)
#undef KILN_DECLARE

extern const struct kiln_command kiln_commands[];

#endif
