#include "collect/copy_unwind.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/unwind_libdw.h"
#include "util/vec.h"

/* One process's view for libdw; NULL when it could not be read (it had exited). */
struct copy_space {
	int pid;
	bool stale; /* exec'd or mapped code since it was read */
	struct unwind_libdw *u;
};

struct copy_unwinder {
	struct copy_space *spaces;
	size_t nspaces, cap;
	struct copy_unwind_stats stats;
};

int copy_unwinder_new(struct copy_unwinder **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void copy_unwinder_free(struct copy_unwinder *cu)
{
	if (!cu)
		return;
	for (size_t i = 0; i < cu->nspaces; i++)
		unwind_libdw_free(cu->spaces[i].u);
	free(cu->spaces);
	free(cu);
}

static struct copy_space *find_space(struct copy_unwinder *cu, int pid)
{
	for (size_t i = 0; i < cu->nspaces; i++)
		if (cu->spaces[i].pid == pid)
			return &cu->spaces[i];
	return NULL;
}

void copy_unwinder_changed(struct copy_unwinder *cu, int pid)
{
	struct copy_space *sp = find_space(cu, pid);
	if (sp)
		sp->stale = true;
}

/* The process's current view, read (again) when needed; NULL when it cannot be had. */
static struct unwind_libdw *space_for(struct copy_unwinder *cu, int pid)
{
	struct copy_space *sp = find_space(cu, pid);
	if (!sp) {
		if (VEC_RESERVE(cu->spaces, cu->cap, cu->nspaces + 1))
			return NULL;
		sp = &cu->spaces[cu->nspaces++];
		*sp = (struct copy_space){.pid = pid, .stale = false, .u = NULL};
		if (unwind_libdw_new(pid, &sp->u))
			sp->u = NULL;
		return sp->u;
	}
	if (sp->stale && sp->u && unwind_libdw_refresh(sp->u)) {
		unwind_libdw_free(sp->u);
		sp->u = NULL;
	}
	sp->stale = false;
	return sp->u;
}

int copy_unwind(struct copy_unwinder *cu, const struct cpuprof_copy *rec, uint64_t *ips, int max)
{
	struct unwind_libdw *u = space_for(cu, (int)rec->pid);
	int n = 0;
	if (u) {
		struct unwind_regs regs = {.rip = rec->copy.ip,
					   .rsp = rec->copy.sp,
					   .rbp = rec->copy.bp,
					   .after_syscall =
					       rec->copy.flags & UNWIND_COPY_AFTER_SYSCALL};
		struct unwind_mem mem = {rec->copy.sp, rec->copy.data, rec->copy.size};
		n = unwind_libdw(u, &regs, &mem, ips, max);
	}
	cu->stats.samples++;
	if (n <= 1) {
		ips[0] = rec->copy.ip;
		cu->stats.none++;
		return 1;
	}
	if (n >= max)
		cu->stats.truncated++;
	else
		cu->stats.complete++;
	return n;
}

void copy_unwinder_stats(const struct copy_unwinder *cu, struct copy_unwind_stats *out)
{
	*out = cu->stats;
}
