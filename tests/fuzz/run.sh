#!/usr/bin/env bash
# Runs each libFuzzer target of $BUILD/fuzz for FUZZ_TIME seconds on a copy of its seed corpus
# (tests/fuzz/corpus/<reader>/, kept small in the repo; what the run adds stays in $BUILD).
# A crash, leak, sanitizer report or hang (10 s per input) leaves its input in
# $BUILD/fuzz/findings/ and fails the run. FUZZ_TARGETS=pattern limits the targets.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-fuzz} FUZZ_TIME=${FUZZ_TIME:-150}
mkdir -p "$BUILD/fuzz/findings"
failed=() total=0
for bin in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin"); reader=${name#fuzz_}
	[[ -n "${FUZZ_TARGETS:-}" && "$name" != *$FUZZ_TARGETS* ]] && continue
	work="$BUILD/fuzz/corpus/$reader"
	mkdir -p "$work"
	start=$(date +%s)
	# stderr closed (-close_fd_mask=2): readers print one error line per rejected input;
	# libFuzzer keeps its own and the sanitizers' reports on a copy of it.
	"$bin" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 \
		-print_final_stats=1 -artifact_prefix="$BUILD/fuzz/findings/$reader-" \
		"$work" "tests/fuzz/corpus/$reader" >"$BUILD/fuzz/$reader.log" 2>&1
	rc=$? secs=$(( $(date +%s) - start )); total=$((total + secs))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$BUILD/fuzz/$reader.log")
	if [ $rc -eq 0 ]; then
		echo "ok   $name: ${runs:-?} inputs in ${secs}s, no finding"
	else
		failed+=("$name")
		echo "FAIL $name (exit $rc after ${secs}s); input in $BUILD/fuzz/findings/"
		grep -m3 -E 'ERROR|SUMMARY|runtime error' "$BUILD/fuzz/$reader.log" | sed 's/^/    /'
	fi
done
echo "fuzzed ${total}s in all; ${#failed[@]} target(s) with findings"
[ ${#failed[@]} -eq 0 ]
