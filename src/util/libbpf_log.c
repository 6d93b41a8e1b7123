#include "util/libbpf_log.h"

#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>

static int print_when_debugging(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !getenv("KILN_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void kiln_libbpf_quiet(void)
{
	libbpf_set_print(print_when_debugging);
}
