/* One row of a compact unwind table, shared by user space (cfi_table.c, unwind_user.c) and the
 * BPF unwinder (collect/unwind.bpf.h), so both follow exactly the same rules.
 *
 * A row holds from its pc up to the next row's pc. pc is the ELF virtual address (as in the
 * file's program headers), so a runtime address maps to it by subtracting the load bias.
 * x86-64 only: the return address is always at CFA-8 (what CALL pushes); a row whose return
 * address is elsewhere cannot be followed and is marked CFI_CFA_UNSUPPORTED. */
#ifndef KILN_CFI_ROW_H
#define KILN_CFI_ROW_H

#ifndef __bpf__
#include <linux/types.h> /* the BPF side gets these from vmlinux.h */
#endif

enum cfi_cfa_type {
	CFI_CFA_NONE = 0,   /* no CFI covers this pc: fall back to frame pointers */
	CFI_CFA_RSP = 1,    /* CFA = rsp + cfa_off */
	CFI_CFA_RBP = 2,    /* CFA = rbp + cfa_off */
	CFI_CFA_PLT = 3,    /* lazy PLT entry: CFA = rsp + cfa_off, + 8 when (pc & 15) >= rbp_off */
	CFI_CFA_SIGNAL = 4, /* sigreturn trampoline: the interrupted registers are in the
			     * ucontext at rsp (Linux x86-64 rt_sigframe after pretcode) */
	CFI_CFA_END = 5,    /* return address undefined: outermost frame (_start, clone) */
	CFI_CFA_UNSUPPORTED = 6, /* a DWARF expression or register rule we cannot follow */
};

enum cfi_rbp_type {
	CFI_RBP_SAME = 0,      /* the caller's rbp is the current rbp */
	CFI_RBP_AT_CFA = 1,    /* saved at CFA + rbp_off */
	CFI_RBP_UNDEFINED = 2, /* not recoverable (the caller's rbp is unknown) */
};

struct cfi_row {
	__u32 pc;
	__s32 cfa_off;
	__s16 rbp_off; /* CFI_CFA_PLT: the (pc & 15) threshold instead */
	__u8 cfa_type;
	__u8 rbp_type;
};

/* Offsets in the Linux x86-64 ucontext at rsp when __restore_rt runs: uc_mcontext starts at
 * 40 (uc_flags, uc_link, uc_stack), and struct sigcontext holds r8..r15, rdi, rsi, rbp, rbx,
 * rdx, rax, rcx, rsp, rip in that order. */
#define CFI_UCONTEXT_RBP 120
#define CFI_UCONTEXT_RSP 160
#define CFI_UCONTEXT_RIP 168

#endif
