#!/usr/bin/env bash
# Issue 2, acceptance 3: a syscall-heavy workload shows real kernel function names under it.
source "$(dirname "$0")/lib.sh"
need_root
for mode in bpf perf; do
	out="$TMP/sys-$mode.folded"
	"$KILN" record --mode "$mode" -F 999 -q -o "$out" -- "$WORKLOADS/syscalls" 2
	in_kernel=$(folded_share "$out" '(read_zero_loop|write_null_loop);.*(sys_read|sys_write|vfs_read|vfs_write|entry_SYSCALL)')
	named=$(folded_share "$out" 'read_zero_loop;.*(vfs_read|ksys_read|__x64_sys_read|read_iter_zero|read_zero)')
	hex=$(grep -cE ';(0x)?[0-9a-f]{12,}(;| )' "$out" || true)
	echo "$mode: samples in kernel under the loops=$in_kernel%, read path named=$named%, hex frames=$hex lines"
	check "$mode: most samples are in named kernel code under the workload" test "$in_kernel" -ge 50
	check "$mode: the read path is named" test "$named" -ge 10
	check "$mode: no frame is a bare address" test "$hex" -eq 0
done
