/* kiln list's listings on stdout: the events this machine can count, PMUs' named events,
 * tracepoints, and what a binary offers to probe (USDT probes, functions for uprobes). */
#ifndef KILN_STAT_LISTING_H
#define KILN_STAT_LISTING_H

#include <stdbool.h>

enum list_kind {
	LIST_ALL,
	LIST_SW,
	LIST_HW,
	LIST_CACHE,
	LIST_PMU,
	LIST_TP,
	LIST_USDT,
	LIST_UPROBE
};

struct list_request {
	enum list_kind kind;
	const char *binary; /* LIST_USDT and LIST_UPROBE: the binary to look into */
	const char *glob;   /* shell pattern the names must match; NULL for all */
	bool verbose;	    /* PMU events' terms, tracepoints' fields */
};

/* A kind as kiln list takes it ("sw", "software", "tracepoint", ...). 0 or -EINVAL. */
int list_kind_parse(const char *name, enum list_kind *kind);
/* Prints the listing, or a note on stderr when nothing was listed. 0 or -errno (message
 * printed). */
int list_events(const struct list_request *req);

#endif
