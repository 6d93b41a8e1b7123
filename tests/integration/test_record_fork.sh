#!/usr/bin/env bash
# Issue 2, acceptance 4: 200 short-lived children (~20 ms each): >= 95% of the children's samples
# are symbolized to their functions, although every child has exited when recording ends.
# The profile is written as pprof, which keeps each sample's pid, and folded with "comm-PID"
# roots: the children are every forker process but the parent (the one that waits).
source "$(dirname "$0")/lib.sh"
need_root
for mode in bpf perf; do
	"$KILN" record --mode "$mode" -F 999 -q -o "$TMP/fork-$mode.pb.gz" -- "$WORKLOADS/forker" 200
	"$KILN" convert --pid "$TMP/fork-$mode.pb.gz" -o "$TMP/pid-$mode.folded"
	parent=$(grep ';wait4' "$TMP/pid-$mode.folded" | sed -n 's/^forker-\([0-9]*\);.*/\1/p' | sort | uniq -c | sort -rn | awk 'NR==1 {print $2}')
	[ -n "$parent" ] || fail "$mode: no parent process waiting for its children"
	grep '^forker-' "$TMP/pid-$mode.folded" | grep -v "^forker-$parent;" >"$TMP/children-$mode.folded"
	nchildren=$(cut -d';' -f1 "$TMP/children-$mode.folded" | sort -u | wc -l)
	total=$(folded_total "$TMP/children-$mode.folded")
	# Named: no frame is [unknown], a bare address or only a module name.
	named=$(folded_share "$TMP/children-$mode.folded" '^[^[]*$')
	burn=$(folded_share "$TMP/children-$mode.folded" ';main;spawn_child;child_burn(;|$)')
	echo "$mode: $nchildren children, $total samples, $named% fully named, $burn% under main;spawn_child;child_burn"
	check "$mode: samples of most of the 200 children" test "$nchildren" -ge 150
	check "$mode: enough samples (200 x 20 ms at 999 Hz)" test "$total" -ge 2000
	check "$mode: >= 95% of the children's samples symbolized to their functions" test "$named" -ge 95
	check "$mode: their own code is named: most samples in child_burn" test "$burn" -ge 80
done
