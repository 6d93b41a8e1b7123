#!/usr/bin/env bash
# Issue 2, acceptance 2: per-thread totals follow the threads' 50/30/20 work split.
source "$(dirname "$0")/lib.sh"
need_root
for mode in bpf perf; do
	out="$TMP/threads-$mode.folded"
	"$KILN" record --mode "$mode" -F 999 -q -o "$out" -- "$WORKLOADS/threads" 1000 >/dev/null
	t50=$(folded_share "$out" '^worker-50;'); t30=$(folded_share "$out" '^worker-30;'); t20=$(folded_share "$out" '^worker-20;')
	echo "$mode: worker-50=$t50% worker-30=$t30% worker-20=$t20% of $(folded_total "$out") samples"
	check "$mode: worker-50 near 50%" within "$t50" 50 5
	check "$mode: worker-30 near 30%" within "$t30" 30 5
	check "$mode: worker-20 near 20%" within "$t20" 20 5
	check "$mode: thread_work under each worker" test "$(folded_share "$out" ';thread_work$')" -ge 90
done
