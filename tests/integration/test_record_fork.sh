#!/usr/bin/env bash
# Issue 2, acceptance 4: 200 short-lived children (~20 ms each): >= 95% of their samples are
# symbolized to their functions, although every child has exited when recording ends.
source "$(dirname "$0")/lib.sh"
need_root
for mode in bpf perf; do
	out="$TMP/fork-$mode.folded"
	"$KILN" record --mode "$mode" -F 999 -q -o "$out" -- "$WORKLOADS/forker" 200
	total=$(folded_total "$out")
	burn=$(folded_share "$out" '^forker;.*main;spawn_child;child_burn')
	echo "$mode: $total samples, $burn% in main;spawn_child;child_burn"
	check "$mode: enough samples (200 x 20 ms at 999 Hz)" test "$total" -ge 2000
	check "$mode: >= 95% of samples symbolized to child_burn" test "$burn" -ge 95
done
