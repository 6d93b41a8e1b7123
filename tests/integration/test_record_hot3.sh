#!/usr/bin/env bash
# Issue 2, acceptance 1: leaf shares 60/30/10 within 5 points and >= 95% of samples carrying the
# whole chain main -> run_workload -> stage_X -> leaf_X, in both modes.
source "$(dirname "$0")/lib.sh"
need_root
# A sample interrupted in the leaf carries kernel frames above it: the chain is still whole.
chain='main;run_workload;(stage_a;leaf_a|stage_b;leaf_b|stage_c;leaf_c)(;|$)'
for mode in bpf perf; do
	out="$TMP/hot3-$mode.folded"
	"$KILN" record --mode "$mode" -F 999 -q -o "$out" -- "$WORKLOADS/hot3" 3
	a=$(folded_share "$out" ';leaf_a(;|$)'); b=$(folded_share "$out" ';leaf_b(;|$)'); c=$(folded_share "$out" ';leaf_c(;|$)')
	full=$(folded_share "$out" "$chain")
	echo "$mode: leaf_a=$a% leaf_b=$b% leaf_c=$c% whole chain=$full% of $(folded_total "$out") samples"
	check "$mode: leaf_a near 60%" within "$a" 60 5
	check "$mode: leaf_b near 30%" within "$b" 30 5
	check "$mode: leaf_c near 10%" within "$c" 10 5
	check "$mode: >= 95% whole chains" test "$full" -ge 95
	check "$mode: root is the command name" test "$(cut -d';' -f1 "$out" | sort -u)" = hot3
done
