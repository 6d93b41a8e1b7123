/* Values of both tracers' targets map (tgid -> state), for their BPF programs and loaders. */
#ifndef KILN_TRACE_TARGETS_H
#define KILN_TRACE_TARGETS_H

#define TRACE_TARGET_ON 1
#define TRACE_TARGET_UNTIL_EXEC 2 /* a spawned command: traced from its first execve on */

#endif
