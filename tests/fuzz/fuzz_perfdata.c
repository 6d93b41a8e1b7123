/* libFuzzer target: perf.data (file and pipe mode) from arbitrary bytes, through attributes,
 * feature sections, record ordering, sample decoding and the stack sink. */
#include <stddef.h>
#include <stdint.h>

#include "format/perfdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kiln_profile *p = kiln_profile_new();
	if (!p)
		return 0;
	perfdata_read_buffer(p, data, size, "fuzz");
	kiln_profile_free(p);
	return 0;
}
