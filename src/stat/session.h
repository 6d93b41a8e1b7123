/* kiln stat's run: the measurements (-r repeats them), their totals printed like perf stat, to
 * stderr or -o FILE. */
#ifndef KILN_STAT_SESSION_H
#define KILN_STAT_SESSION_H

#include "stat/measure.h"

/* Counts as cfg says and prints the totals. Returns kiln's exit status: the command's, 126 or 127
 * when it could not be started, 1 when counting failed (message printed). */
int stat_session_run(struct stat_config *cfg);

#endif
