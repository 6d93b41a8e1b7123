/* libFuzzer target: `perf script` text through stackcollapse-perf.pl's rules, with the options
 * picked by the first byte so every naming path (pid, tid, kernel, jit, addrs) is reached. */
#include <stddef.h>
#include <stdint.h>

#include "format/perfscript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	struct perfscript_options o = {.pid = data[0] & 1,
				       .tid = data[0] & 2,
				       .kernel = data[0] & 4,
				       .jit = data[0] & 8,
				       .addrs = data[0] & 16,
				       .event_filter = data[0] & 32 ? "cpu-clock" : NULL};
	struct kiln_profile *p = kiln_profile_new();
	struct perfscript_parser ps;
	if (!p || perfscript_parser_init(&ps, p, &o)) {
		kiln_profile_free(p);
		return 0;
	}
	perfscript_parse(&ps, (const char *)data + 1, size - 1, "fuzz");
	perfscript_parser_free(&ps);
	kiln_profile_free(p);
	return 0;
}
