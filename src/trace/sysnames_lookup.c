/* Lookups over the syscall name table. */
#include <stdlib.h>
#include <string.h>

#include "trace/sysnames.h"

int trace_sysnum(const char *name)
{
	for (int i = 0; i < TRACE_NR_MAX; i++)
		if (trace_sysnames[i] && !strcmp(trace_sysnames[i], name))
			return i;
	return -1;
}

/* Optimal string alignment distance: a swap of two neighbours counts as one typo. */
size_t trace_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	static size_t d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			size_t best = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *trace_sys_closest(const char *name)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1;
	for (int i = 0; i < TRACE_NR_MAX; i++) {
		if (!trace_sysnames[i])
			continue;
		size_t d = trace_edit_distance(name, trace_sysnames[i]);
		if (d < bestd) {
			bestd = d;
			best = trace_sysnames[i];
		}
	}
	return best;
}
