/* Choosing and describing the sampling event, shared by both record modes. */
#ifndef KILN_SAMPLING_H
#define KILN_SAMPLING_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>

struct sampling_config {
	const char *event; /* "cpu-clock", "task-clock", "cycles" or NULL: best available */
	uint64_t freq;	   /* samples per second, used when period is 0 */
	uint64_t period;   /* events between samples (-c) */
	bool kernel, user; /* which stacks to capture */
};

struct sampling_event {
	struct perf_event_attr attr;
	const char *name;  /* the event actually used */
	int64_t period_ns; /* nominal CPU time one sample stands for */
};

/* Fills ev for cfg. With no event named, uses cycles where the CPU has a PMU and cpu-clock
 * elsewhere (saying so). Returns 0, or -errno with a message printed. */
int sampling_event_choose(const struct sampling_config *cfg, struct sampling_event *ev);

#endif
