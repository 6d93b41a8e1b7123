#!/usr/bin/env bash
# Issue 6: events the ring buffer drops are counted, shown in the stream where they happened and
# reported at the end, and the accounting is exact: shown + lost = made.
source "$(dirname "$0")/lib.sh"
need_root
K=100000
# A 4 KB ring (KILN_TRACE_RING_KB, for tests) cannot hold what K fast calls produce.
KILN_TRACE_RING_KB=4 "$KILN" trace -e trace=getppid -o "$TMP/l.txt" -- "$WORKLOADS/getppid_loop" $K 2>"$TMP/err"
cat "$TMP/err"
shown=$(grep -cE '^getppid\(\) += ' "$TMP/l.txt" || true)
exits=$(grep -c '^+++ exited with 0 +++$' "$TMP/l.txt" || true)
lost=$(awk '/^--- [0-9]+ events lost \(ring buffer full\) ---$/ {s += $2} END {print s + 0}' "$TMP/l.txt")
echo "shown $shown getppid + $exits exit, lost $lost (in the stream)"
check "some events were lost" [ "$lost" -gt 0 ]
check "shown + lost in the stream = $K calls + 1 exit" [ $((shown + exits + lost)) -eq $((K + 1)) ]
check "the end report gives the same numbers" grep -q "warning: $lost of $((K + 1)) events lost" "$TMP/err"

# With room enough nothing is lost and nothing is reported.
"$KILN" trace -e trace=getppid -o "$TMP/ok.txt" -- "$WORKLOADS/getppid_loop" 20000 2>"$TMP/err2"
check "a 16 MB ring keeps all 20000 calls" [ "$(grep -cE '^getppid\(\) += ' "$TMP/ok.txt")" -eq 20000 ]
check "and reports no loss" bash -c "! grep -q lost '$TMP/err2' '$TMP/ok.txt'"
