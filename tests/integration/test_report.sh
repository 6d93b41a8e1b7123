#!/usr/bin/env bash
# kiln report on the command line: default input, tables, tree, -n, value columns, and one-line
# errors for bad input. Uses a Go CPU profile (the workload in tests/data/pprof) as input.
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null || fail "go is not installed: run 'make deps' (installs golang-go)"
export HOME=$TMP GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOFLAGS= GO111MODULE=off

cp "$TESTROOT/data/pprof/cpuhog.go" "$TMP/"
(cd "$TMP" && go build -o cpuhog cpuhog.go && ./cpuhog cpu.pb.gz) || fail "Go workload failed"

out=$("$KILN" report -n 3 "$TMP/cpu.pb.gz")
echo "$out"
check "header names the value type" grep -q '^Total: [0-9]* samples (count)' <<<"$out"
check "both tables" bash -c "grep -q '^By self' <<<'$out' && grep -q '^By cumulative' <<<'$out'"
check "-n 3 limits each table to 3 rows" [ "$(grep -cE '^ *[0-9]+ +[0-9.]+%' <<<"$out")" -eq 6 ]
check "self percentages sum to at most 100" \
	awk '/^By self/ {on=1} /^By cum/ {on=0} on && /^ *[0-9]+ +[0-9.]+%/ {s+=$2} END {exit !(s > 0 && s <= 100.01)}' <<<"$out"

# Default input: the newest profile in the current directory.
cp "$TMP/cpu.pb.gz" "$TMP/older.pb.gz"; touch -d '1 hour ago' "$TMP/older.pb.gz"
check "default input is the newest profile here" \
	bash -c "cd '$TMP' && '$KILN' report -n 1 | grep -q '^File: cpu.pb.gz'"

tree=$("$KILN" report --tree --threshold 5 "$TMP/cpu.pb.gz")
echo "$tree"
# The Go runtime takes the odd sample outside main (runtime.morestack, GC): the root is the
# first node and holds nearly all of them.
root=$(grep -m1 -E '^ *[0-9.]+% +[0-9]+ +[0-9]+  [^ ]' <<<"$tree")
check "tree starts at runtime.main ($root)" \
	bash -c "grep -qE '^ *(100\.00|99\.[0-9]{2}|9[5-8]\.[0-9]{2})% +[0-9]+ +[0-9]+  runtime\.main$' <<<'$root'"
check "tree indents callees" grep -qE '^ *[0-9.]+% +[0-9]+ +[0-9]+      main\.(hot|cold)' <<<"$tree"

cpu=$("$KILN" report --value cpu -n 1 "$TMP/cpu.pb.gz" | awk '/^Total/ {print $2}')
samples=$("$KILN" report --value 0 -n 1 "$TMP/cpu.pb.gz" | awk '/^Total/ {print $2}')
check "cpu column is samples x 10ms" [ "$cpu" -eq $((samples * 10000000)) ]

# Errors: one line, non-zero exit, no crash.
expect_error() { # DESCRIPTION PATTERN ARGS...
	local what=$1 pat=$2; shift 2
	set +e; "$KILN" "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
	cat "$TMP/err"
	[ $rc -ne 0 ] && [ $rc -lt 128 ] || fail "$what: exit $rc"
	grep -q "$pat" "$TMP/err" || fail "$what: message does not match '$pat'"
	echo "ok: $what"
}
expect_error "missing file" "cannot read $TMP/nope.pb.gz" report "$TMP/nope.pb.gz"
head -c 100 "$TMP/cpu.pb.gz" >"$TMP/cut.pb.gz"
expect_error "truncated pprof" "cut.pb.gz: offset [0-9]*: " report "$TMP/cut.pb.gz"
head -c 3000 /dev/urandom >"$TMP/junk.pprof"
expect_error "garbage .pprof" "junk.pprof: offset [0-9]*: " report "$TMP/junk.pprof"
expect_error "unknown value column" "no value 'bogus'" report --value bogus "$TMP/cpu.pb.gz"
expect_error "two files" "kiln diff" report "$TMP/cpu.pb.gz" "$TMP/cpu.pb.gz"
mkdir "$TMP/empty"
( cd "$TMP/empty" && expect_error "nothing to report in an empty directory" "no kiln.folded" report )
echo PASS
