/* libFuzzer target: `perf script` text through stackcollapse-perf.pl's rules, with the options
 * picked by the first byte so every naming path (pid, tid, kernel, jit, addrs) is reached. With
 * timestamps kept (bit 6), the timeline writers run on what was read. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "format/perfscript.h"
#include "format/timeline.h"

static void write_timelines(const struct kiln_profile *p)
{
	struct timeline t;
	if (timeline_build(p, &t))
		return;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (out) {
		chrome_trace_write(&t, out);
		perfetto_trace_write(&t, out);
		fclose(out);
	}
	free(buf);
	timeline_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	struct perfscript_options o = {.pid = data[0] & 1,
				       .tid = data[0] & 2,
				       .kernel = data[0] & 4,
				       .jit = data[0] & 8,
				       .addrs = data[0] & 16,
				       .event_filter = data[0] & 32 ? "cpu-clock" : NULL,
				       .timeline = data[0] & 64};
	struct kiln_profile *p = kiln_profile_new();
	struct perfscript_parser ps;
	if (!p || perfscript_parser_init(&ps, p, &o)) {
		kiln_profile_free(p);
		return 0;
	}
	if (perfscript_parse(&ps, (const char *)data + 1, size - 1, "fuzz") == 0 && o.timeline)
		write_timelines(p);
	perfscript_parser_free(&ps);
	kiln_profile_free(p);
	return 0;
}
