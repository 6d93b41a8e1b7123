/* Shared between probes.bpf.c (kernel side) and probes.c (loader): generic programs for
 * tracepoints, uprobes and USDT probes, configured per event through a map and aggregating in
 * the kernel. */
#ifndef KILN_TRACE_PROBES_H
#define KILN_TRACE_PROBES_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define PR_MAX_EVENTS 16
#define PR_MAX_TERMS 8 /* --filter comparisons */
#define PR_MAX_KEYS 3  /* --count-by keys */
#define PR_NVALS 6     /* arg0..arg5 / USDT arguments shown per event */
#define PR_RAW_MAX 512 /* tracepoint record bytes streamed (power of two) */
#define PR_STR_MAX 32  /* string bytes compared by filters and keys */
#define PR_COMM_LEN 16
#define PR_HIST_SLOTS 66 /* bpftrace's log2 slots: <0, 0, then 2^0 .. 2^63 */

enum pr_kind { PR_TRACEPOINT, PR_UPROBE, PR_URETPROBE, PR_USDT };

/* Where a value comes from. */
enum pr_src {
	PR_SRC_NONE,
	PR_SRC_FIELD,	 /* tracepoint field: offset, size, signedness */
	PR_SRC_STRFIELD, /* tracepoint char[] field at offset (size bytes) */
	PR_SRC_DATALOC,	 /* tracepoint __data_loc string */
	PR_SRC_ARG,	 /* uprobe / USDT argument `arg` */
	PR_SRC_RETVAL,
	PR_SRC_PID,
	PR_SRC_TID,
	PR_SRC_CPU,
	PR_SRC_COMM,
	PR_SRC_USTACK,
	PR_SRC_KSTACK,
	PR_SRC_LATENCY, /* --latency: microseconds since the start event, on the end event */
};

struct pr_value {
	__u8 src;
	__u8 size;
	__u8 is_signed;
	__u8 arg;
	__u16 offset;
	__u16 pad;
};

enum pr_op { PR_OP_EQ, PR_OP_NE, PR_OP_LT, PR_OP_LE, PR_OP_GT, PR_OP_GE, PR_OP_AND };

struct pr_term {
	struct pr_value v;
	__u8 op;
	__u8 or_before; /* this term starts a new ||-group */
	__u8 is_str;
	__u8 pad[5];
	__s64 num;
	char str[PR_STR_MAX];
};

enum pr_lat_role { PR_LAT_NONE, PR_LAT_START, PR_LAT_END };

struct pr_event_cfg {
	__u32 kind;
	__u32 nterms;
	struct pr_term terms[PR_MAX_TERMS];
	__u32 nkeys;
	__u32 lat_role;
	struct pr_value keys[PR_MAX_KEYS];
	struct pr_value agg; /* the expression of --hist/--lhist/--sum/... */
	__u32 nvals;	     /* values streamed (uprobe args, USDT args) */
	__u32 raw_size;	     /* tracepoint: the record's bytes (its format's last field's end) */
};

enum pr_agg { PR_AGG_NONE, PR_AGG_COUNT, PR_AGG_HIST, PR_AGG_LHIST, PR_AGG_STATS };

struct pr_agg_key {
	__u32 event;
	__s32 slot; /* hist/lhist bucket, 0 otherwise */
	__u64 k[PR_MAX_KEYS];
	char s[PR_MAX_KEYS][PR_STR_MAX]; /* string keys (comm, string fields) */
};

struct pr_agg_val {
	__u64 count;
	__s64 sum;
	__s64 min;
	__s64 max;
};

struct pr_event {
	__u64 ts;
	__u32 pid;
	__u32 tid;
	__u32 cpu;
	__u32 event;
	__u64 lost; /* events dropped so far */
	char comm[PR_COMM_LEN];
	__u32 nvals;
	__u32 raw_len;
	__s64 vals[PR_NVALS];
	__u8 raw[PR_RAW_MAX];
};

enum pr_counter {
	PR_CNT_LOST,	 /* ring buffer full */
	PR_CNT_AGG_FULL, /* aggregation map full: event not counted */
	PR_CNT_NO_START, /* --latency end without a start on that thread */
	PR_CNT_STACK,	 /* a stack could not be stored */
	PR_CNT_NR,
};

#endif
