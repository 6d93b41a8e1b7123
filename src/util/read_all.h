/* Reading what a descriptor holds to its end (a pipe, stdin), into one growing buffer. */
#ifndef KILN_READ_ALL_H
#define KILN_READ_ALL_H

#include <stddef.h>

/* 0 with *out (malloc'd, the caller frees) and *len, or -errno. A NUL follows the *len bytes,
 * so text can be used as a string. */
int read_all(int fd, void **out, size_t *len);

#endif
