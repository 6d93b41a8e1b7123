#!/usr/bin/env bash
# Issue 6, acceptance 2 and 5: tracepoint fields decoded from tracefs formats, counts equal to
# perf stat -e, --filter evaluated in the kernel, and clear errors for bad events and filters.
source "$(dirname "$0")/lib.sh"
need_root
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
[ -d /sys/kernel/tracing/events/syscalls ] || skip "no syscalls tracepoints in tracefs"

seq="$WORKLOADS/trace_seq" writes="$WORKLOADS/trace_writes"
data="$TMP/data.txt"
head -c 100 /dev/zero >"$data"

# Stream: fields by name from the format file; -f follows the shell's children.
"$KILN" trace -f -e sched:sched_process_exec -o "$TMP/exec.txt" -- sh -c '/bin/true; /bin/true; exit 0'
cat "$TMP/exec.txt"
n=$(grep -c 'sched:sched_process_exec: filename=/bin/true pid=[0-9]* old_pid=[0-9]*$' "$TMP/exec.txt")
check "two exec events of /bin/true with their fields ($n)" [ "$n" -eq 2 ]
"$KILN" trace --json -e syscalls:sys_enter_write -o "$TMP/w.json" -- "$seq" "$data" 10 1
python3 - "$TMP/w.json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
w = [r for r in rows if r["event"] == "syscalls:sys_enter_write"]
assert len(w) == 1 and w[0]["fields"]["fd"] == 4 and w[0]["fields"]["count"] == 20, w
print("ok: --json tracepoint fields: fd=4 count=20")
PY

# Counts equal perf stat's on the same event and workload, and the known number.
K=777
"$KILN" trace -c -e syscalls:sys_enter_getppid -o "$TMP/c.txt" -- "$seq" "$data" 10 $K
kiln_n=$(sed -nE 's/^@\[syscalls:sys_enter_getppid\]: ([0-9]+)$/\1/p' "$TMP/c.txt")
perf_n=$(perf stat -x, -e syscalls:sys_enter_getppid -- "$seq" "$data" 10 $K 2>&1 >/dev/null |
	awk -F, '/sys_enter_getppid/ {print $1}')
check "tracepoint count: kiln $kiln_n, perf stat $perf_n, known $K" [ "$kiln_n" = "$K" ] && [ "$perf_n" = "$K" ]
"$KILN" trace -c -f -e sched:sched_process_exec -e sched:sched_process_fork -o "$TMP/c2.txt" -- sh -c '/bin/true; /bin/true; exit 0'
perf stat -x, -e sched:sched_process_exec -e sched:sched_process_fork -o "$TMP/p2.txt" -- sh -c '/bin/true; /bin/true; exit 0'
for ev in sched_process_exec sched_process_fork; do
	k=$(sed -nE "s/^@\[sched:$ev\]: ([0-9]+)$/\1/p" "$TMP/c2.txt")
	p=$(awk -F, -v e="sched:$ev" '$3==e {print $1}' "$TMP/p2.txt")
	check "-f $ev: kiln $k = perf stat $p" [ -n "$k" ] && [ "$k" = "$p" ]
done

# --filter, evaluated in the kernel: fd 3 gets writes of 1..1000 bytes, fd 4 of 1..300.
"$KILN" trace -c -e syscalls:sys_enter_write --filter 'count > 500 && fd == 3' -o "$TMP/f1.txt" -- "$writes" 1000 300
check "--filter 'count > 500 && fd == 3' counts 500" grep -qx '@\[syscalls:sys_enter_write\]: 500' "$TMP/f1.txt"
"$KILN" trace -c -e syscalls:sys_enter_write --filter 'count >= 100 && count < 200 && fd == 3 || fd == 4 && count <= 10' -o "$TMP/f2.txt" -- "$writes" 1000 300
check "--filter with || counts 100 + 10" grep -qx '@\[syscalls:sys_enter_write\]: 110' "$TMP/f2.txt"
"$KILN" trace -e sched:sched_process_exec --filter 'filename == "/bin/true"' -f -o "$TMP/f3.txt" -- sh -c '/bin/true; /bin/ls >/dev/null; exit 0'
check "--filter on a string field keeps /bin/true only" [ "$(grep -c 'filename=' "$TMP/f3.txt")" -eq 1 ]
grep -q 'filename=/bin/true ' "$TMP/f3.txt" || fail "the kept event is not /bin/true"

expect_error() { # DESCRIPTION PATTERN ARGS...
	local what=$1 pattern=$2; shift 2
	set +e; timeout 20 "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
	echo "$what: exit $rc: $(head -1 "$TMP/err")"
	[ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] || fail "$what: exit status $rc"
	[ "$(grep -c error "$TMP/err")" -eq 1 ] || fail "$what: expected one error line: $(cat "$TMP/err")"
	grep -qiE -- "$pattern" "$TMP/err" || fail "$what: message does not match /$pattern/"
}
expect_error "malformed filter points at the character" "column 7: '>> 5'" \
	"$KILN" trace -e syscalls:sys_enter_write --filter 'count >> 5' -- true
expect_error "filter without a value" "expected a number at column 9" \
	"$KILN" trace -e syscalls:sys_enter_write --filter 'count > && fd == 1' -- true
expect_error "filter on an unknown field lists the real ones" "no field 'cnt'.*count" \
	"$KILN" trace -e syscalls:sys_enter_write --filter 'cnt > 5' -- true
expect_error "unknown event suggests the closest" "did you mean 'sched:sched_process_exec'" \
	"$KILN" trace -e sched:sched_proces_exec -- true
expect_error "unknown subsystem suggests the closest" "did you mean 'sched'" \
	"$KILN" trace -e schde:sched_process_exec -- true
