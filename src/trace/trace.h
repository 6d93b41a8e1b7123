/* kiln trace: syscalls, tracepoints, uprobes and USDT, streamed or aggregated in the kernel. */
#ifndef KILN_TRACE_H
#define KILN_TRACE_H

int trace_main(int argc, char **argv);

#endif
