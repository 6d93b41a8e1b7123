/* The recording session behind `kiln record`: picks the collector, runs it until the target
 * ends, the duration passes or the user interrupts, then writes the profile. */
#ifndef KILN_RECORDER_H
#define KILN_RECORDER_H

#include <stdbool.h>

#include "collect/sampling.h"
#include "collect/target.h"

enum record_mode { RECORD_MODE_BPF, RECORD_MODE_PERF };
/* auto: DWARF tables where they exist, frame pointers elsewhere (bpf mode), else fp. */
enum record_unwind {
	RECORD_UNWIND_AUTO,
	RECORD_UNWIND_FP,
	RECORD_UNWIND_DWARF,
	RECORD_UNWIND_COPY
};

struct recorder_options {
	struct sampling_config sampling;
	struct target target;
	char **command;	 /* -- CMD ARGS..., NULL-terminated */
	double duration; /* seconds, 0 = until the target ends or Ctrl-C */
	enum record_mode mode;
	bool mode_explicit; /* no silent fallback when the user chose the mode */
	enum record_unwind unwind;
	unsigned copy_bytes;	  /* --unwind copy: user stack bytes per sample */
	bool unwind_preload;	  /* -a: DWARF tables of every process before sampling starts */
	unsigned unwind_table_mb; /* DWARF tables' memory in the kernel; 0: the default */
	const char *output;	  /* NULL: kiln.folded + top functions on stdout */
	bool quiet;
	bool timeline;
};

void recorder_default_options(struct recorder_options *o);
/* Returns the process exit code: the command's own with -- CMD. */
int recorder_run(struct recorder_options *o);

#endif
