#!/usr/bin/env bash
# Overhead of CPU profiling, measured in one run against perf (issue 2 item 7, issue 4 item 5).
# A fixed-work workload pinned to CPU 0 runs under no profiler, kiln (bpf and perf modes) and
# `perf record -a -g`, each recording system-wide at 1 kHz and 10 kHz. For each we report:
#   per-sample cost = (workload CPU time - its CPU time unprofiled + profiler CPU time) / samples
#   bytes read from the kernel per second (kiln reports it; perf: the size of perf.data)
#   the profiler's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
KILN=$PWD/$BUILD/kiln
WORK=$PWD/$BUILD/workloads/fixedwork
MILLIONS=${MILLIONS:-3000}
REPEAT=${REPEAT:-3}
TMP=$(mktemp -d /tmp/kiln-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench/record.sh needs root" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf (Debian linux-perf) is needed for the comparison" >&2; exit 1; }

# CPU seconds (user+sys) of one workload run pinned to CPU 0.
workload_cpu() {
	/usr/bin/time -f "%U %S" -o "$TMP/wl.time" taskset -c 0 "$WORK" "$MILLIONS"
	awk '{printf "%.3f\n", $1 + $2}' "$TMP/wl.time"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

baseline=$(for _ in $(seq "$REPEAT"); do workload_cpu; done | median)
echo "workload alone: ${baseline}s CPU (median of $REPEAT)"

# profile NAME HZ CMD...: starts the profiler, runs the workload, stops it with SIGINT.
profile() {
	local name=$1 hz=$2; shift 2
	/usr/bin/time -f "%U %S %M" -o "$TMP/prof.time" "$@" >"$TMP/prof.out" 2>&1 &
	local pid=$!
	sleep 1.5 # let the profiler start before the measured work
	local start; start=$(date +%s.%N)
	local wl; wl=$(workload_cpu)
	local secs; secs=$(echo "$(date +%s.%N) - $start" | bc)
	sleep 0.5
	pkill -INT -P $pid 2>/dev/null || true
	wait $pid || true
	local prof_cpu rss; read -r u s rss < <(tail -n1 "$TMP/prof.time"); prof_cpu=$(echo "$u + $s" | bc)
	local samples bytes
	case $name in
	perf*)
		samples=$(perf report -i "$TMP/perf.data" --stats 2>/dev/null | awk '/SAMPLE events:/ {print $3; exit}')
		bytes=$(stat -c %s "$TMP/perf.data")
		# perf --call-graph dwarf unwinds after the fact: perf script is part of its cost.
		if [ "$name" = "perf dwarf" ]; then
			/usr/bin/time -f "%U %S" -o "$TMP/script.time" perf script -i "$TMP/perf.data" >/dev/null 2>&1
			prof_cpu=$(echo "$prof_cpu + $(tail -n1 "$TMP/script.time" | awk '{print $1 + $2}')" | bc)
		fi ;;
	*)
		samples=$(sed -n 's/^kiln: \([0-9]*\) samples.*/\1/p' "$TMP/prof.out")
		bytes=$(sed -n 's/.* \([0-9]*\) bytes read from the kernel.*/\1/p' "$TMP/prof.out") ;;
	esac
	local total; total=$(echo "$secs + 2" | bc)
	awk -v n="$name" -v hz="$hz" -v wl="$wl" -v base="$baseline" -v pc="$prof_cpu" \
	    -v samples="${samples:-0}" -v bytes="${bytes:-0}" -v secs="$total" -v rss="$rss" 'BEGIN {
		extra = wl - base; if (extra < 0) extra = 0
		per = samples > 0 ? (extra + pc) * 1e6 / samples : 0
		own = samples > 0 ? pc * 1e6 / samples : 0
		printf "| %-10s | %6s | %8d | %7.3f | %7.3f | %10.2f | %10.2f | %12.0f | %8d |\n",
		       n, hz, samples, extra, pc, per, own, bytes / secs, rss
	}'
}

echo
echo "| profiler   |     Hz |  samples | wl +CPU s | prof CPU s | cost us/sample | own us/sample | bytes/s read | RSS KiB |"
echo "|------------|--------|----------|---------|---------|------------|------------|--------------|----------|"
for hz in 1000 10000; do
	profile "kiln bpf" $hz "$KILN" record -q --mode bpf --unwind fp -a -F $hz -o "$TMP/k.folded"
	profile "kiln dwarf" $hz "$KILN" record -q --mode bpf --unwind dwarf -a -F $hz -o "$TMP/k.folded"
	profile "kiln perf" $hz "$KILN" record -q --mode perf -a -F $hz -o "$TMP/k.folded"
	profile "perf -g" $hz perf record -q -a -g -F $hz -o "$TMP/perf.data"
	# At 10 kHz perf's 8 KiB stack copies make gigabytes: 1 kHz shows the ratio.
	[ $hz -eq 1000 ] && profile "perf dwarf" $hz perf record -q -a --call-graph dwarf -F $hz -o "$TMP/perf.data"
done

# DWARF unwind tables for every process of this (idle) machine.
"$KILN" record -q -a --unwind dwarf -d 1 -o "$TMP/idle.folded" 2>"$TMP/idle.err"
echo
echo "unwind tables for all processes: $(sed -n 's/.*tables \([0-9.]* MiB for [0-9]* objects\).*/\1/p' "$TMP/idle.err"), $(ls /proc | grep -c '^[0-9]') processes"
