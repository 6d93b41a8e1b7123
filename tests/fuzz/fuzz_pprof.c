/* libFuzzer target: pprof's decoder (raw protobuf and gzip) on arbitrary bytes. A profile it
 * accepts must also encode again, which walks every id the decoder let in. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/pprof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kiln_profile *p = kiln_profile_new();
	if (!p)
		return 0;
	if (pprof_decode(p, data, size, "fuzz") == 0) {
		uint8_t *out = NULL;
		size_t len = 0;
		if (pprof_encode(p, &out, &len) == 0)
			free(out);
	}
	kiln_profile_free(p);
	return 0;
}
