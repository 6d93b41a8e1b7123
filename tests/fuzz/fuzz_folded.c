/* libFuzzer target: the folded-stacks reader must reject anything it cannot read with an error,
 * never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "format/folded.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kiln_profile *p = kiln_profile_new();
	if (!p)
		return 0;
	folded_read_buffer(p, (const char *)data, size, "fuzz");
	kiln_profile_free(p);
	return 0;
}
