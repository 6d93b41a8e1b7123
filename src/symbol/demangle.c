#include "symbol/demangle.h"

#include <libiberty/demangle.h>
#include <stddef.h>

bool kiln_may_be_mangled(const char *sym)
{
	return sym && sym[0] == '_' && (sym[1] == 'Z' || sym[1] == 'R');
}

char *kiln_demangle(const char *sym)
{
	/* Only mangled-looking names go to the demangler: it would otherwise spend time on every
	 * plain C name, and some (short ones) it would "demangle" into nonsense. */
	if (!kiln_may_be_mangled(sym))
		return NULL;
	/* Auto style tries Rust first (legacy Rust names are valid Itanium names too). Return types
	 * of template functions are dropped, as perf and pprof show them: "std::sort<...>(...)". */
	return cplus_demangle(sym, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO | DMGL_RET_DROP);
}
