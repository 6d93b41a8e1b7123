#!/usr/bin/env bash
# Issue 6, acceptance 4: --hist, --lhist and --count-by, aggregated in the kernel, match bpftrace
# bucket for bucket on the same tracepoint of a deterministic workload filtered to its PID.
source "$(dirname "$0")/lib.sh"
need_root
command -v bpftrace >/dev/null || skip "bpftrace is not installed (scripts/deps.sh installs it)"
[ -d /sys/kernel/tracing/events/syscalls ] || skip "no syscalls tracepoints in tracefs"
w="$WORKLOADS/trace_writes"

bt() { # PROGRAM OUT: bpftrace on the workload, its map lines only
	timeout 60 bpftrace -e "$1" -c "$w 1000 300" 2>&1 | grep -E '^(\[|\(|@)' | sed 's/ *$//' >"$2"
}
compare() { # WHAT KILN-OUT BPFTRACE-OUT
	if ! diff "$3" "$2" >"$TMP/diff"; then
		cat "$TMP/diff"; fail "$1: kiln and bpftrace differ"
	fi
	echo "ok: $1 matches bpftrace line for line ($(grep -c . "$2") lines)"
	cat "$2"
}

"$KILN" trace -e syscalls:sys_enter_write --hist count -o "$TMP/k.hist" -- "$w" 1000 300
grep -E '^(\[|\(|@)' "$TMP/k.hist" | sed 's/ *$//' >"$TMP/k.h"
bt 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { @ = hist(args->count); }' "$TMP/b.h"
compare "--hist count" "$TMP/k.h" "$TMP/b.h"

"$KILN" trace -e syscalls:sys_enter_write --lhist count,0,1000,100 -o "$TMP/k.lhist" -- "$w" 1000 300
grep -E '^(\[|\(|@)' "$TMP/k.lhist" | sed 's/ *$//' >"$TMP/k.l"
bt 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { @ = lhist(args->count, 0, 1000, 100); }' "$TMP/b.l"
compare "--lhist count,0,1000,100" "$TMP/k.l" "$TMP/b.l"

"$KILN" trace -e syscalls:sys_enter_write --count-by fd -o "$TMP/k.cnt" -- "$w" 1000 300
grep '^@' "$TMP/k.cnt" >"$TMP/k.c"
bt 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { @[args->fd] = count(); }' "$TMP/b.c"
compare "--count-by fd" "$TMP/k.c" "$TMP/b.c"

"$KILN" trace -e syscalls:sys_enter_write --count-by comm,fd -o "$TMP/k.cnt2" -- "$w" 1000 300
grep '^@' "$TMP/k.cnt2" >"$TMP/k.c2"
bt 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { @[comm, args->fd] = count(); }' "$TMP/b.c2"
compare "--count-by comm,fd" "$TMP/k.c2" "$TMP/b.c2"

"$KILN" trace -e syscalls:sys_enter_write --count-by fd --hist count -o "$TMP/k.kh" -- "$w" 1000 300
grep -E '^(\[|\(|@)' "$TMP/k.kh" | sed 's/ *$//' >"$TMP/k.kh2"
bt 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { @[args->fd] = hist(args->count); }' "$TMP/b.kh"
compare "--count-by fd --hist count" "$TMP/k.kh2" "$TMP/b.kh"
