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

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	size_t prev[65], cur[65];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

const char *trace_sys_closest(const char *name)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1;
	for (int i = 0; i < TRACE_NR_MAX; i++) {
		if (!trace_sysnames[i])
			continue;
		size_t d = edit_distance(name, trace_sysnames[i]);
		if (d < bestd) {
			bestd = d;
			best = trace_sysnames[i];
		}
	}
	return best;
}
