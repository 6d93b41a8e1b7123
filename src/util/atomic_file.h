/* Writing a file whole or not at all: its content goes to a temporary file beside it, which is
 * renamed over the path only once complete, so no reader (and no interrupted run) ever sees half
 * a profile. Every writer of every format shares this. */
#ifndef KILN_ATOMIC_FILE_H
#define KILN_ATOMIC_FILE_H

#include <stdio.h>

/* Writes the content to out; 0 or -errno. */
typedef int (*atomic_writer)(FILE *out, void *arg);

/* 0, or -errno with nothing left behind; messages are the caller's to give. The file gets the
 * mode the user's umask gives new files (mkstemp's would be 0600). */
int atomic_write_file(const char *path, atomic_writer write, void *arg);

#endif
