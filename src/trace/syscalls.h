/* Shared between syscalls.bpf.c (kernel side) and syscalls.c (loader): what the kernel captures
 * per system call and the events it streams. */
#ifndef KILN_TRACE_SYSCALLS_H
#define KILN_TRACE_SYSCALLS_H

#ifndef __bpf__
#include <linux/types.h> /* the BPF side gets these from vmlinux.h */
#endif

#define SC_NR_MAX 512  /* syscall numbers below this are traced (x86-64 stops near 470) */
#define SC_CAP_MAX 256 /* bytes captured per string or buffer; a power of two (masking) */
#define SC_NCAP 2      /* captures per call */
#define SC_COMM_LEN 16

/* How one capture slot reads user memory. Strings behind pointers are only valid at entry for
 * inputs, and only filled at exit for outputs, hence the split. */
enum sc_cap_kind {
	SC_CAP_NONE,
	SC_CAP_STR_ENTER,    /* NUL-terminated string at args[arg] */
	SC_CAP_BUF_ENTER,    /* args[len_arg] bytes at args[arg] (write data, sockaddr in) */
	SC_CAP_FIXED_ENTER,  /* `size` bytes at args[arg] (timespec in) */
	SC_CAP_BUF_EXIT_RET, /* ret bytes at args[arg] (read data) */
	SC_CAP_FIXED_EXIT,   /* `size` bytes at args[arg] after a successful call (stat) */
	SC_CAP_ARGV_ENTER,   /* NULL-terminated string array (execve argv), strings packed */
	SC_CAP_LENPTR_EXIT,  /* *(int *)args[len_arg] bytes at args[arg] (accept's sockaddr) */
};

struct sc_cap_spec {
	__u8 kind;
	__u8 arg;
	__u8 len_arg;
	__u8 pad;
	__u16 size;
	__u16 pad2;
};

/* Per system call number: what to capture (array map filled by the loader before attaching). */
struct sc_spec {
	struct sc_cap_spec cap[SC_NCAP];
};

enum sc_event_type {
	SC_EV_CALL,	/* a completed call */
	SC_EV_NORETURN, /* the thread exited inside the call (exit, exit_group, execve of others) */
	SC_EV_PROC_EXIT, /* a traced process ended; ret holds its wait status */
};

#define SC_CAP_FAULT 0xffff /* cap_len: the user memory could not be read */

/* Streamed through the ring buffer. Calls without captures end after `cap_len` (head only). */
struct sc_event {
	__u64 ts; /* entry, CLOCK_MONOTONIC ns */
	__u64 dur;
	__s64 ret;
	__u64 args[6];
	__u64 lost; /* events the ring buffer dropped so far (all CPUs are summed by the reader) */
	__u32 pid;  /* tgid */
	__u32 tid;
	__s32 nr;
	__u32 type;
	char comm[SC_COMM_LEN];
	__u16 cap_len[SC_NCAP];
	__u32 pad;
	char cap[SC_NCAP][SC_CAP_MAX];
};

#define SC_EVENT_HEAD_SIZE ((unsigned long)&((struct sc_event *)0)->cap)

/* -c: per system call number, summed per CPU. */
struct sc_stat {
	__u64 calls;
	__u64 errors;
	__u64 total_ns;
	__u64 min_ns;
	__u64 max_ns;
};

/* Counters in a per-CPU array: nothing is dropped silently. */
enum sc_counter {
	SC_CNT_LOST,	   /* ring buffer full: event dropped */
	SC_CNT_CAP_FAULT,  /* user memory unreadable at capture (page not present) */
	SC_CNT_NO_STORAGE, /* per-thread state could not be created */
	SC_CNT_NR,
};

#endif
