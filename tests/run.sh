#!/usr/bin/env bash
# Runs every unit test binary (cmocka) and integration script, and ends with "N passed, N failed".
# An integration script passes with exit 0, skips with exit 77 (after printing why), fails otherwise.
# TESTS=pattern limits the run to matching names.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export KILN="$PWD/$BUILD/kiln" WORKLOADS="$PWD/$BUILD/workloads" TESTROOT="$PWD/tests"
export CMOCKA_MESSAGE_OUTPUT=STDOUT
pattern=${TESTS:-}
passed=0 failed=0 skipped=0 failures=()
logdir=$(mktemp -d /tmp/kiln-tests.XXXXXX)
# kiln keeps what it worked out (debug copies, unwind tables, resolved addresses, unit indexes)
# by build id between runs: tests start from an empty cache, so they exercise the code that
# fills it and do not depend on what earlier runs on this machine left.
export KILN_CACHE_DIR=${KILN_CACHE_DIR:-$logdir/cache}
mkdir -p "$KILN_CACHE_DIR"

for bin in "$BUILD"/tests/test_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	[[ -n "$pattern" && "$name" != *$pattern* ]] && continue
	out=$("$bin" 2>&1); rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
	p=${p:-0} f=${f:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # a crash counts as a failure
	passed=$((passed + p)) failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures+=("$name"); echo "FAIL $name"; echo "$out" | grep -v '^\[ \(RUN\|  OK\) ' | sed 's/^/    /'
	else
		echo "ok   $name ($p)"
	fi
done

for script in tests/integration/test_*.sh; do
	name=$(basename "$script" .sh)
	[[ -n "$pattern" && "$name" != *$pattern* ]] && continue
	start=$(date +%s)
	timeout 600 bash "$script" >"$logdir/$name.log" 2>&1; rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) passed=$((passed + 1)); echo "ok   $name (${secs}s)" ;;
	77) skipped=$((skipped + 1)); echo "skip $name: $(grep -m1 '^SKIP' "$logdir/$name.log" | sed 's/^SKIP:* *//')" ;;
	*) failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name (exit $rc, ${secs}s)"; tail -25 "$logdir/$name.log" | sed 's/^/    /' ;;
	esac
done

rm -rf "$logdir"
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
