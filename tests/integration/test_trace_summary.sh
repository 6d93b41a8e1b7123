#!/usr/bin/env bash
# Issue 6, acceptance 1 and 2: -c counts, aggregated in the kernel, equal the workload's known
# numbers and every row of strace -c on the same workload.
source "$(dirname "$0")/lib.sh"
need_root
command -v strace >/dev/null || skip "strace is not installed (scripts/deps.sh installs it)"

seq="$WORKLOADS/trace_seq"
data="$TMP/data.txt"
head -c 100 /dev/zero >"$data"
K=5000

"$KILN" trace -c -o "$TMP/kiln.txt" -- "$seq" "$data" 10 $K
cat "$TMP/kiln.txt"
# calls and errors per syscall: kiln's columns are strace's plus min/max before the name
awk 'NR>2 && !/^-/ && $NF!="total" {e=(NF==8)?$5:0; print $NF, $4, e}' "$TMP/kiln.txt" | sort >"$TMP/k.rows"
row() { awk -v n="$1" '$1==n {print $2, $3}' "$TMP/k.rows"; }
check "getppid: exactly $K calls, no errors" [ "$(row getppid)" = "$K 0" ]
check "read: 3 calls (2 by the loader, 1 of 10 bytes)" [ "$(row read)" = "3 0" ]
check "write: 1 call" [ "$(row write)" = "1 0" ]
check "openat: 6 calls, 1 ENOENT (3 by the loader)" [ "$(row openat)" = "6 1" ]
check "clock_nanosleep: 1 call" [ "$(row clock_nanosleep)" = "1 0" ]
check "execve: 1 call" [ "$(row execve)" = "1 0" ]
check "the total line sums the calls" [ "$(awk '$NF=="total" {print $4}' "$TMP/kiln.txt")" = \
	"$(awk '{s+=$2} END {print s}' "$TMP/k.rows")" ]

strace -c -o "$TMP/strace.txt" "$seq" "$data" 10 $K
cat "$TMP/strace.txt"
awk 'NR>2 && !/^-/ && $NF!="total" {e=(NF==6)?$5:0; print $NF, $4, e}' "$TMP/strace.txt" | sort >"$TMP/s.rows"
if ! diff "$TMP/s.rows" "$TMP/k.rows"; then
	fail "kiln -c and strace -c disagree (syscall calls errors)"
fi
echo "ok: all $(wc -l <"$TMP/k.rows") syscalls have strace -c's calls and errors"

# Filters evaluated in the kernel apply to the summary too.
"$KILN" trace -c --failed -o "$TMP/failed.txt" -- "$seq" "$data" 10 $K
awk 'NR>2 && !/^-/ && $NF!="total" {print $NF, $4, $5}' "$TMP/failed.txt" >"$TMP/f.rows"
check "--failed -c keeps only failed calls: $(tr '\n' ';' <"$TMP/f.rows")" \
	grep -qx "openat 1 1" "$TMP/f.rows"
check "--failed -c: no successful syscall listed" [ "$(awk '$2!=$3' "$TMP/f.rows" | wc -l)" -eq 0 ]
"$KILN" trace -c -e trace=getppid,openat -o "$TMP/sel.txt" -- "$seq" "$data" 10 $K
check "-e trace=getppid,openat -c lists only those" [ "$(awk 'NR>2 && !/^-/ && $NF!="total" {print $NF}' "$TMP/sel.txt" | sort | tr '\n' ' ')" = "getppid openat " ]
"$KILN" trace -c --duration 10 -o "$TMP/slow.txt" -- "$seq" "$data" 10 $K
check "--duration 10 -c keeps the 20 ms sleep only" [ "$(awk 'NR>2 && !/^-/ && $NF!="total" {print $NF, $4}' "$TMP/slow.txt")" = "clock_nanosleep 1" ]

# --duration in stream mode, with -T showing the time spent.
"$KILN" trace -T --duration 10 -o "$TMP/slow.txt" -- "$seq" "$data" 10 $K
cat "$TMP/slow.txt"
check "--duration 10 streams the 20 ms sleep and the exit only" \
	[ "$(grep -cv '^+++' "$TMP/slow.txt")" -eq 1 ]
grep -qE '^clock_nanosleep\(.*\) += 0 <0\.0[2-9][0-9]{4}>$' "$TMP/slow.txt" || fail "--duration -T line"
