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

/* 8 bytes, so that the kernel's row array, and the pages kiln writes into it, are half what a
 * plain layout takes (on the bench's VM each new page costs 10-20 us). Whole bytes rather than
 * bit fields: extracting sign-extended fields made the verifier explore half as many states
 * again (22566 instructions against 15867). Of the 33 million rows of a Debian system's
 * binaries and libraries, 217 have a CFA offset beyond +-256 KiB and 32 one that is not a
 * multiple of 8, and none saves rbp more than 80 bytes from the CFA. The builder marks a row
 * outside these ranges CFI_CFA_UNSUPPORTED, or its rbp CFI_RBP_UNDEFINED. */
struct cfi_row {
	__u32 pc;
	__s16 cfa_off8; /* the CFA offset / 8 (CFI_ROW_CFA_OFF) */
	__s8 rbp_off;	/* CFI_CFA_PLT: the (pc & 15) threshold instead */
	__u8 cfa_type : 4;
	__u8 rbp_type : 4;
};

#define CFI_ROW_CFA_OFF(row) ((__s64)(row).cfa_off8 * 8)
#define CFI_CFA_OFF_MAX (32767 * 8)
#define CFI_CFA_OFF_MIN (-32768 * 8)
#define CFI_RBP_OFF_MAX 127
#define CFI_RBP_OFF_MIN (-128)

/* Offsets in the Linux x86-64 ucontext at rsp when __restore_rt runs: uc_mcontext starts at
 * 40 (uc_flags, uc_link, uc_stack), and struct sigcontext holds r8..r15, rdi, rsi, rbp, rbx,
 * rdx, rax, rcx, rsp, rip in that order. */
#define CFI_UCONTEXT_RBP 120
#define CFI_UCONTEXT_RSP 160
#define CFI_UCONTEXT_RIP 168

#endif
