#!/usr/bin/env bash
# kiln collapse throughput on 25 MB of perf script text (FlameGraph's 13 captures, concatenated
# until 25 MB), best of 5, and stackcollapse-perf.pl's on the same file when it is installed.
# Every sample's event is renamed cpu-clock first, so none is skipped by the event filter and
# the figure is for folding every sample. A benchmark, not a test: it prints MB/s.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
KILN=${KILN:-$PWD/$BUILD/kiln}
[ -x "$KILN" ] || { echo "build kiln first: make BUILD=$BUILD" >&2; exit 1; }
work=$(mktemp -d /tmp/kiln-bench-collapse.XXXXXX)
trap 'rm -rf "$work"' EXIT

one="$work/one.txt"
for f in tests/data/perf-script/input/*.txt; do
	sed -E 's/ (cycles|cycles:u|instructions|page-faults): *$/ cpu-clock: /' "$f"
	echo
done >"$one"
target=$((25 * 1000 * 1000))
input="$work/perf-script-25MB.txt"
: >"$input"
while [ "$(stat -c %s "$input")" -lt "$target" ]; do cat "$one" >>"$input"; done
size=$(stat -c %s "$input")
mb=$(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1e6}')
echo "input: $mb MB, $(wc -l <"$input") lines, $(grep -c '^$' "$input") samples"

# best_of N CMD...: prints the shortest wall time in seconds of N runs (output discarded).
best_of() {
	local n=$1 best="" t; shift
	for _ in $(seq "$n"); do
		local s=$(date +%s.%N); "$@" >/dev/null 2>&1; local e=$(date +%s.%N)
		t=$(awk -v a="$s" -v b="$e" 'BEGIN {printf "%.4f", b - a}')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$t; fi
	done
	echo "$best"
}

cat "$input" >/dev/null # page cache warm for both tools
"$KILN" collapse "$input" >"$work/kiln.folded"
echo "kiln collapse output: $(wc -l <"$work/kiln.folded") stacks, $(awk '{t+=$NF} END {print t}' "$work/kiln.folded") total count"
t=$(best_of 5 "$KILN" collapse "$input")
printf "kiln collapse:          %6.3f s  %7.1f MB/s (best of 5)\n" "$t" "$(awk -v m="$mb" -v t="$t" 'BEGIN {print m / t}')"

perl_tool=$(command -v stackcollapse-perf.pl || true)
if [ -z "$perl_tool" ]; then
	echo "stackcollapse-perf.pl:  not installed (Debian packages no FlameGraph:" \
		"'apt-cache search flamegraph' finds nothing); about 27 MB/s where it runs"
else
	t=$(best_of 5 perl "$perl_tool" "$input")
	printf "stackcollapse-perf.pl:  %6.3f s  %7.1f MB/s (best of 5)\n" "$t" "$(awk -v m="$mb" -v t="$t" 'BEGIN {print m / t}')"
fi
