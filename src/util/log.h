/* Messages for the user: one line each, prefixed so they stand out from the profiled program's. */
#ifndef KILN_LOG_H
#define KILN_LOG_H

#include <stdbool.h>

void kiln_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kiln_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kiln_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug lines appear only with KILN_DEBUG set in the environment. */
void kiln_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kiln_set_quiet(bool quiet);

#endif
