/* Writing a recorded profile where the user asked, in the format its name implies. */
#ifndef KILN_OUTPUT_H
#define KILN_OUTPUT_H

#include <stdbool.h>

#include "profile/profile.h"

/* Fails early (with a message) when PATH has an unknown extension or cannot be written, so a
 * recording is never thrown away at the end. 0 or -errno. */
int output_check_writable(const char *path);
/* Writes p to path whole (temp file + rename); print_top adds the top functions on stdout. */
int output_write_profile(const struct kiln_profile *p, const char *path, bool print_top);

#endif
