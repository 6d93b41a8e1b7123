#!/usr/bin/env bash
# kiln trace's cost on a syscall-bound program: N getppid calls (2M by default, N=... to change)
# untraced, under kiln trace -c and kiln trace -o FILE, and under strace -c, perf trace -s,
# perf trace -o FILE and bpftrace counting per syscall, where installed. The quick runs (untraced,
# kiln, bpftrace) are repeated REPEAT times (3) and the one with the least CPU time is shown: on a
# shared machine single runs vary by tens of percent; strace and perf trace run once.
# The workload times its own loop, so start-up and attach are left out: "loop s" is its wall
# time, "cpu s" the CPU time of the traced process (in-kernel tracing work is charged there; a
# busy machine disturbs it least). "total s" is the whole command, tracer start and exit included.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
KILN=${KILN:-$PWD/$BUILD/kiln}
W=$PWD/$BUILD/workloads/getppid_timed
N=${N:-2000000}
[ -x "$KILN" ] && [ -x "$W" ] || { echo "build kiln and the workloads first: make BUILD=$BUILD test" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench/trace.sh needs root (BPF, perf trace)" >&2; exit 1; }
work=$(mktemp -d /tmp/kiln-bench-trace.XXXXXX)
trap 'rm -rf "$work"' EXIT

base_loop="" base_cpu=""
printf '%-22s %9s %7s %9s %7s %9s %s\n' "tracer ($N getppid)" "loop s" "x loop" "cpu s" "x cpu" "total s" "events"
run() { # NAME EVENTS-COUNTER RUNS CMD... : the workload's own timing line comes on stderr
	local name=$1 counter=$2 runs=$3; shift 3
	local best_cpu="" loop cpu total start end
	for _ in $(seq "$runs"); do
		start=$(date +%s%N)
		if ! "$@" >"$work/out" 2>"$work/err"; then
			printf '%-22s failed: %s\n' "$name" "$(grep -v loop_seconds "$work/err" | head -1)"
			return
		fi
		end=$(date +%s%N)
		local l c
		l=$(sed -nE 's/.*loop_seconds ([0-9.]+) cpu_seconds.*/\1/p' "$work/err" "$work/out" | head -1)
		c=$(sed -nE 's/.*cpu_seconds ([0-9.]+).*/\1/p' "$work/err" "$work/out" | head -1)
		if [ -z "$best_cpu" ] || awk -v a="$c" -v b="$best_cpu" 'BEGIN {exit !(a < b)}'; then
			best_cpu=$c loop=$l cpu=$c
			total=$(awk -v a="$start" -v b="$end" 'BEGIN {print (b - a) / 1e9}')
			events=$($counter)
		fi
	done
	[ -n "$base_loop" ] || { base_loop=$loop; base_cpu=$cpu; }
	printf '%-22s %9.3f %7.2f %9.3f %7.2f %9.3f %s\n' "$name" "$loop" \
		"$(awk -v l="$loop" -v b="$base_loop" 'BEGIN {print l / b}')" "$cpu" \
		"$(awk -v l="$cpu" -v b="$base_cpu" 'BEGIN {print l / b}')" "$total" "$events"
}
none() { echo "-"; }
kiln_c() { awk '$NF=="getppid" {print $4 " counted"}' "$work/err"; }
lines_of() { echo "$(wc -l <"$work/trace.out") lines"; }
strace_c() { awk '$NF=="getppid" {print $4 " counted"}' "$work/err"; }
perf_s() { awk '$1=="getppid" {print $2 " counted"; exit}' "$work/err"; }
bpftrace_c() { awk -F': ' '/^@\[getppid_timed\]/ {print $2 " counted"}' "$work/out"; }

R=${REPEAT:-3}
run "untraced" none $R "$W" "$N"
run "kiln trace -c" kiln_c $R "$KILN" trace -c -- "$W" "$N"
run "kiln trace -o FILE" lines_of $R "$KILN" trace -o "$work/trace.out" -- "$W" "$N"
rm -f "$work/trace.out"
if command -v strace >/dev/null; then
	run "strace -c" strace_c 1 strace -c -- "$W" "$N"
fi
if command -v perf >/dev/null; then
	run "perf trace -s" perf_s 1 perf trace -s -- "$W" "$N"
	run "perf trace -o FILE" lines_of 1 perf trace -o "$work/trace.out" -- "$W" "$N"
	rm -f "$work/trace.out"
fi
if command -v bpftrace >/dev/null; then
	run "bpftrace count()" bpftrace_c $R bpftrace -e \
		'tracepoint:raw_syscalls:sys_exit /pid == cpid/ { @[comm] = count(); }' \
		-c "$W $N"
fi
