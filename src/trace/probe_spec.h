/* kiln trace's event specs (-e sched:..., u:BIN:FUNC, ur:..., usdt:BIN:PROV:PROBE), their fields
 * from tracefs format files, and --filter / key / expression parsing into the kernel's
 * configuration. */
#ifndef KILN_TRACE_PROBE_SPEC_H
#define KILN_TRACE_PROBE_SPEC_H

#include <stdbool.h>

#include "trace/probes.h"

struct tep_handle;
struct tep_event;

struct pr_spec {
	enum pr_kind kind;
	char *label;		     /* as the user wrote it, "sched:sched_process_exec" */
	char *sys, *name;	     /* tracepoint */
	char *path, *func;	     /* uprobe, uretprobe, usdt (func unused) */
	char *provider, *probe;	     /* usdt */
	struct tep_event *tep_event; /* tracepoint format */
	struct pr_event_cfg cfg;
	bool str_key[PR_MAX_KEYS];   /* key i is a string (comm, char[] fields) */
	bool stack_key[PR_MAX_KEYS]; /* key i is a stack id */
};

struct pr_specs {
	struct pr_spec ev[PR_MAX_EVENTS];
	int n;
	struct tep_handle *tep;
};

/* Parses one -e spec into specs (message printed on error). 0 or -errno. */
int pr_spec_add(struct pr_specs *s, const char *text, enum pr_lat_role role);
/* Loads tracepoint formats (all specs added): unknown events fail with a suggestion. */
int pr_spec_resolve(struct pr_specs *s);
/* --filter for every event; -errno with the offending character pointed at. */
int pr_spec_filter(struct pr_specs *s, const char *filter);
/* --count-by KEY[,KEY]. */
int pr_spec_keys(struct pr_specs *s, const char *keys);
/* The expression of --hist/--lhist/--sum/... */
int pr_spec_expr(struct pr_specs *s, const char *expr, const char *what);
void pr_specs_free(struct pr_specs *s);

#endif
