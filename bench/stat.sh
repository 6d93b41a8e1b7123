#!/usr/bin/env bash
# Start-up and counting overhead of kiln stat against perf stat on a short command: wall time
# of `TOOL stat -e task-clock,page-faults,context-switches -- /bin/true`, repeated. Rounds of
# REPS invocations alternate between the tools (and the bare command) so machine load hits all
# alike; the table shows the median round, per invocation. A benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
KILN=${KILN:-$PWD/$BUILD/kiln}
REPS=${REPS:-100}
ROUNDS=${ROUNDS:-7}
CMD=${CMD:-/bin/true}
EV=task-clock,page-faults,context-switches
[ -x "$KILN" ] || { echo "build kiln first: make BUILD=$BUILD" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf (linux-perf) is not installed" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || echo "note: not root; both tools count user space only" >&2
work=$(mktemp -d /tmp/kiln-bench-stat.XXXXXX)
trap 'rm -rf "$work"' EXIT

round() { # NAME CMD...: appends the mean wall ms per invocation of REPS runs to $work/NAME
	local name=$1; shift
	local s e
	s=$(date +%s%N)
	for ((i = 0; i < REPS; i++)); do "$@" >/dev/null 2>&1; done
	e=$(date +%s%N)
	awk -v a="$s" -v b="$e" -v n="$REPS" 'BEGIN {printf "%.3f\n", (b - a) / 1e6 / n}' >>"$work/$name"
}
median() { sort -n "$work/$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# Both tools must count the command for the comparison to mean anything.
# Whole outputs first: grep -q quitting early would SIGPIPE the tool under pipefail.
grep -q task-clock <<<"$("$KILN" stat -x, -e $EV -- $CMD 2>&1 >/dev/null)" || { echo "kiln stat failed" >&2; exit 1; }
grep -q task-clock <<<"$(perf stat -x, -e $EV -- $CMD 2>&1 >/dev/null)" || { echo "perf stat failed" >&2; exit 1; }

for ((r = 0; r < ROUNDS; r++)); do
	round bare $CMD
	round kiln "$KILN" stat -e $EV -- $CMD
	round perf perf stat -e $EV -- $CMD
done
bare=$(median bare) kiln=$(median kiln) perf=$(median perf)
printf '%-56s %10s %14s\n' "$CMD, $ROUNDS rounds x $REPS runs" "ms/run" "minus bare"
printf '%-56s %10s %14s\n' "bare command" "$bare" "-"
printf '%-56s %10s %14s\n' "kiln stat -e $EV" "$kiln" "$(awk -v a="$kiln" -v b="$bare" 'BEGIN {printf "%.3f", a - b}')"
printf '%-56s %10s %14s\n' "perf stat -e $EV" "$perf" "$(awk -v a="$perf" -v b="$bare" 'BEGIN {printf "%.3f", a - b}')"
awk -v k="$kiln" -v p="$perf" 'BEGIN {printf "kiln stat / perf stat wall time: %.3f (%+.1f%%)\n", k / p, (k / p - 1) * 100}'
