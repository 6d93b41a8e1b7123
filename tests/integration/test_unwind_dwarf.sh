#!/usr/bin/env bash
# The BPF DWARF unwinder (collect/unwind.bpf.h) on workloads built without frame pointers:
# per sample it must reach main (>= 99%), agree with the user-space reference unwinder and
# with libdw (copy mode) run on a stack copy of the same sample (>= 99%), and its folded
# stacks must agree with perf record --call-graph dwarf on the same run (>= 98% of the
# weight, both ways: the share of one side's samples whose exact stack the other has).
source "$(dirname "$0")/lib.sh"
need_root
UT="$PWD/$BUILD/tests/tools/unwindtest"
NOFP="$WORKLOADS/nofp"
[ -x "$UT" ] || fail "missing $UT: run make test"
[ -d "$NOFP" ] || fail "missing $NOFP: run make test"
command -v perf >/dev/null || skip "perf not installed"
SECS=${UNWIND_TEST_SECS:-3}
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$TMP"' EXIT

probe() { # the BPF program must load (BTF, bpf_loop, bpf_task_pt_regs)
	"$NOFP/recurse" 60 & local p=$!
	sleep 0.2
	"$UT" record "$p" 0.2 99 >/dev/null 2>"$TMP/probe.err"; local rc=$?
	kill "$p"; wait "$p" 2>/dev/null || true
	[ $rc -ne 1 ] || skip "BPF unwinder does not load here: $(grep -m1 -i 'error\|fail' "$TMP/probe.err")"
}
probe

pct() { sed -n "s/.*$1[^(]*(\([0-9.]*\)%).*/\1/p" "$2" | head -1; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 >= b + 0)}'; }

for w in recurse qsort_cb sighandler dlopen cxx; do
	"$NOFP/$w" 300 & pid=$!
	sleep 0.5
	perf record -q -e cpu-clock -F 999 -p "$pid" --call-graph dwarf,16384 -o "$TMP/$w.data" \
		-- sleep "$SECS" >/dev/null 2>&1 & perf_pid=$!
	"$UT" record "$pid" "$SECS" 999 16384 >"$TMP/$w.raw" 2>"$TMP/$w.err" ||
		{ cat "$TMP/$w.err"; kill "$pid"; fail "$w: unwindtest record failed"; }
	wait "$perf_pid" || { kill "$pid"; fail "$w: perf record failed"; }
	grep '^B' "$TMP/$w.raw" | "$UT" fold "$pid" >"$TMP/$w.bpf" 2>"$TMP/$w.fold"
	perf script -i "$TMP/$w.data" -F ip,dso --no-inline 2>/dev/null | awk '
		NF == 0 { if (s != "") print "P x" s; s = ""; next }
		{ d = $2; gsub(/[()]/, "", d); s = s " " $1 "@" d }
		END { if (s != "") print "P x" s }' | "$UT" fold "$pid" >"$TMP/$w.perf" 2>"$TMP/$w.pfold"
	kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=
	"$UT" compare "$TMP/$w.bpf" "$TMP/$w.perf" >"$TMP/$w.cmp"

	echo "== $w"; cat "$TMP/$w.err" "$TMP/$w.fold" "$TMP/$w.cmp"; echo -n "perf: "; cat "$TMP/$w.pfold"
	main=$(pct "reaching main" "$TMP/$w.fold")
	ref=$(pct "reference agreement" "$TMP/$w.err")
	dw=$(pct "libdw agreement" "$TMP/$w.err")
	read -r _ bin _ pin _ _ <"$TMP/$w.cmp"
	n=$(folded_total "$TMP/$w.bpf")
	[ "$n" -ge 100 ] || fail "$w: only $n samples"
	check "$w: $main% of samples reach main (>= 99)" ge "$main" 99
	check "$w: $ref% agree with the reference unwinder (>= 99)" ge "$ref" 99
	check "$w: $dw% agree with libdw on the stack copy (>= 99)" ge "$dw" 99
	check "$w: $bin% of the BPF weight has perf's stacks (>= 98)" ge "$bin" 98
	check "$w: $pin% of perf's weight has the BPF stacks (>= 98)" ge "$pin" 98
done

