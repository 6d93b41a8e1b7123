/* perf stat's default event set, and the events its -d, -dd and -ddd levels add. */
#ifndef KILN_STAT_DEFAULTS_H
#define KILN_STAT_DEFAULTS_H

#include <stdbool.h>

#include "stat/event_parse.h"

/* Appends perf stat's default events when the user named none (have_events false), then those of
 * the first `detail` -d levels (at most three). 0 or -errno. */
int stat_add_defaults(struct ev_list *evs, bool have_events, int detail);

#endif
