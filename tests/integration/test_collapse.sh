#!/usr/bin/env bash
# kiln collapse against stackcollapse-perf.pl's own test suite: 13 perf script captures, each
# folded with six option sets, compared byte for byte with what the Perl script printed.
source "$(dirname "$0")/lib.sh"
data="$TESTROOT/data/perf-script"
[ -d "$data/input" ] || fail "test data missing: $data/input"

cases=0 differ=()
for input in "$data"/input/*.txt; do
	name=$(basename "$input" .txt)
	for opt in pid tid kernel jit all addrs; do
		expected="$data/expected/$name-collapsed-$opt.txt"
		[ -f "$expected" ] || fail "missing expected output $expected"
		cases=$((cases + 1))
		if ! "$KILN" collapse "--$opt" "$input" >"$TMP/out" 2>"$TMP/err"; then
			differ+=("$name --$opt (exit status $?: $(head -1 "$TMP/err"))")
		elif ! cmp -s "$TMP/out" "$expected"; then
			differ+=("$name --$opt ($(diff "$TMP/out" "$expected" | grep -c '^[<>]') lines differ)")
		fi
	done
done
[ "$cases" -eq 78 ] || fail "expected 78 cases, found $cases"
if [ ${#differ[@]} -gt 0 ]; then
	printf 'differs: %s\n' "${differ[@]}"
	fail "${#differ[@]} of $cases cases differ from stackcollapse-perf.pl"
fi
echo "ok: all $cases cases match stackcollapse-perf.pl byte for byte"
