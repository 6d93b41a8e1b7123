/* Copy-mode unwinding with libdw (dwfl_attach_state + dwfl_getthread_frames) over a copied
 * user stack: an implementation independent of cfi_table/unwind_user, used as the reference
 * the table-driven unwinders are checked against, and as the copy mode's unwinder. */
#ifndef KILN_UNWIND_LIBDW_H
#define KILN_UNWIND_LIBDW_H

#include "unwind/unwind_user.h"

struct unwind_libdw;

/* Reports pid's modules from /proc/PID/maps (0 = self). 0 or -errno. */
int unwind_libdw_new(int pid, struct unwind_libdw **out);
/* Re-reads the mappings (after exec/mmap). 0 or -errno. */
int unwind_libdw_refresh(struct unwind_libdw *u);
void unwind_libdw_free(struct unwind_libdw *u);
/* Unwinds from regs over mem into ips (pcs as unwound: return addresses after the first).
 * Returns the frame count (>= 1), or -errno when nothing could be unwound. */
int unwind_libdw(struct unwind_libdw *u, const struct unwind_regs *regs,
		 const struct unwind_mem *mem, uint64_t *ips, int max);

#endif
