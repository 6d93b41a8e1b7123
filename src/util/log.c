#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static bool quiet;

void kiln_set_quiet(bool q)
{
	quiet = q;
}

static void emit(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void kiln_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("kiln: error: ", fmt, ap);
	va_end(ap);
}

void kiln_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("kiln: warning: ", fmt, ap);
	va_end(ap);
}

void kiln_info(const char *fmt, ...)
{
	if (quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit("kiln: ", fmt, ap);
	va_end(ap);
}

void kiln_debug(const char *fmt, ...)
{
	static int enabled = -1;
	if (enabled < 0)
		enabled = getenv("KILN_DEBUG") != NULL;
	if (!enabled)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit("kiln: debug: ", fmt, ap);
	va_end(ap);
}
