/* kiln trace for tracepoints, uprobes and USDT probes. */
#include <errno.h>

#include "trace/options.h"
#include "util/log.h"

int trace_probes_run(struct trace_opts *o)
{
	kiln_error("-e %s: not supported yet", o->events[0]);
	return -EOPNOTSUPP;
}
