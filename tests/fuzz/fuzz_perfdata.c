/* libFuzzer target: perf.data (file and pipe mode) from arbitrary bytes, through attributes,
 * feature sections, record ordering, sample decoding and the stack sink. Each input gets a
 * fresh symbolizer with a few kernel symbols instead of /proc/kallsyms (loading that per input
 * would leave the fuzzer a handful of inputs a second); the seed corpus names no file that
 * exists (/usr/ became /nox/), so user frames stay unresolved as fast. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "format/perfdata.h"
#include "symbol/symbolizer.h"

static char kallsyms[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	snprintf(kallsyms, sizeof(kallsyms), "/tmp/kiln-fuzz-kallsyms.%d", (int)getpid());
	FILE *f = fopen(kallsyms, "w");
	if (!f)
		abort();
	fputs("ffffffff81000000 T _stext\nffffffff81000100 T do_syscall_64\n"
	      "ffffffff81000200 t handle_mm_fault\nffffffffc0000000 t mod_fn\t[mod]\n",
	      f);
	fclose(f);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kiln_profile *p = kiln_profile_new();
	struct symbolizer *sym = symbolizer_new();
	if (p && sym && sym_load_kallsyms(sym, kallsyms) == 0)
		perfdata_read_buffer_sym(p, data, size, "fuzz", sym);
	symbolizer_free(sym);
	kiln_profile_free(p);
	return 0;
}
