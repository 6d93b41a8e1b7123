#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind/unwind_libdw.h"

#define DW_REG_RBP 6

struct unwind_libdw {
	Dwfl *dwfl;
	int pid;
	/* The sample being unwound: the callbacks read registers and memory from here. */
	const struct unwind_regs *regs;
	const struct unwind_mem *mem;
	uint64_t *ips;
	int n, max;
};

static char *debuginfo_path;
static const Dwfl_Callbacks proc_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

/* One thread: the sampled one (its registers are in the sample, not in the process). */
static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
	struct unwind_libdw *u = arg;
	(void)dwfl;
	if (*thread_arg)
		return 0;
	*thread_arg = u;
	return u->pid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_arg)
{
	struct unwind_libdw *u = arg;
	(void)dwfl;
	*thread_arg = u;
	return tid == u->pid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwind_libdw *u = arg;
	const struct unwind_mem *m = u->mem;
	(void)dwfl;
	if (addr < m->start || addr - m->start > m->len || m->len - (addr - m->start) < 8)
		return false;
	memcpy(result, m->data + (addr - m->start), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwind_libdw *u = arg;
	Dwarf_Word bp_sp[2] = {u->regs->rbp, u->regs->rsp}; /* DWARF 6 = rbp, 7 = rsp */
	if (!dwfl_thread_state_registers(thread, DW_REG_RBP, 2, bp_sp))
		return false;
	dwfl_thread_state_register_pc(thread, u->regs->rip);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

static int report(struct unwind_libdw *u)
{
	dwfl_report_begin(u->dwfl);
	int err = dwfl_linux_proc_report(u->dwfl, u->pid);
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0 && !err)
		err = EINVAL;
	return err ? (err == ENOENT ? -ESRCH : -abs(err)) : 0;
}

int unwind_libdw_new(int pid, struct unwind_libdw **out)
{
	struct unwind_libdw *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->pid = pid ? pid : getpid();
	u->dwfl = dwfl_begin(&proc_callbacks);
	int err = u->dwfl ? report(u) : -ENOMEM;
	if (!err && !dwfl_attach_state(u->dwfl, NULL, u->pid, &thread_callbacks, u))
		err = -EINVAL;
	if (err) {
		unwind_libdw_free(u);
		return err;
	}
	*out = u;
	return 0;
}

int unwind_libdw_refresh(struct unwind_libdw *u)
{
	return report(u);
}

void unwind_libdw_free(struct unwind_libdw *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	free(u);
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct unwind_libdw *u = arg;
	Dwarf_Addr pc;
	if (!dwfl_frame_pc(state, &pc, NULL))
		return DWARF_CB_ABORT;
	u->ips[u->n++] = pc;
	return u->n < u->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

int unwind_libdw(struct unwind_libdw *u, const struct unwind_regs *regs,
		 const struct unwind_mem *mem, uint64_t *ips, int max)
{
	if (max <= 0)
		return -EINVAL;
	u->regs = regs;
	u->mem = mem;
	u->ips = ips;
	u->n = 0;
	u->max = max;
	/* An error at the end of the stack is how some stacks end: the frames so far count. */
	dwfl_getthread_frames(u->dwfl, u->pid, on_frame, u);
	return u->n ? u->n : -ENODATA;
}
