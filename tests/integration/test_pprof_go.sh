#!/usr/bin/env bash
# Acceptance: a CPU profile written by Go's runtime/pprof reads into `kiln report` with the
# same totals and per-function values as `go tool pprof -top`, and kiln's rewrite of it is
# parsed by `go tool pprof -raw` and shows the same top list.
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null || fail "go is not installed: run 'make deps' (installs golang-go)"
export HOME=$TMP GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOFLAGS= GO111MODULE=off
export PPROF_TMPDIR=$TMP PPROF_BINARY_PATH=$TMP/none

cp "$TESTROOT/data/pprof/cpuhog.go" "$TMP/"
(cd "$TMP" && go build -o cpuhog cpuhog.go) || fail "go build of the test workload failed"
HEAP_PROFILE=$TMP/heap.pb.gz "$TMP/cpuhog" "$TMP/go.pb.gz" || fail "the Go workload did not write its profile"

# "name flat cum" rows, sorted, from each tool's top table.
kiln_rows() { "$KILN" report --self -n 0 --value "${2:-samples}" "$1" |
	awk '/^ +flat +flat%/ {on=1; next} on && NF>=6 {print $6, $1, $4}' | sort; }
go_rows() { go tool pprof -sample_index="${2:-samples}" -top -nodecount=100000 -nodefraction=0 \
		-edgefraction=0 -symbolize=none "$1" 2>/dev/null |
	awk '/^ +flat +flat%/ {on=1; next} on && NF>=6 {print $6, $1, $4}' | sort; }
kiln_total() { "$KILN" report --self -n 1 --value samples "$1" | awk '/^Total:/ {print $2}'; }
go_total() { go tool pprof -sample_index=samples -top -symbolize=none "$1" 2>/dev/null |
	sed -n 's/.* of \([0-9]*\) total.*/\1/p'; }

kt=$(kiln_total "$TMP/go.pb.gz"); gt=$(go_total "$TMP/go.pb.gz")
echo "totals: kiln $kt, go tool pprof $gt"
[ -n "$kt" ] && [ "$kt" -gt 20 ] || fail "kiln report found too few samples ($kt)"
check "kiln report total equals go tool pprof's" [ "$kt" = "$gt" ]

kiln_rows "$TMP/go.pb.gz" >"$TMP/kiln.rows"
go_rows "$TMP/go.pb.gz" >"$TMP/go.rows"
cat "$TMP/kiln.rows"
[ -s "$TMP/go.rows" ] || fail "go tool pprof -top printed no rows"
check "every function has the same flat and cum values in both" diff "$TMP/kiln.rows" "$TMP/go.rows"

# The workload spends about 2/3 of its time in hotTwoThirds: the data must be real.
hot=$(awk '$1=="main.hotTwoThirds" {print $3}' "$TMP/kiln.rows")
cold=$(awk '$1=="main.coldOneThird" {print $3}' "$TMP/kiln.rows")
echo "hotTwoThirds $hot, coldOneThird $cold"
check "hot function has more samples than the cold one" [ "${hot:-0}" -gt "${cold:-0}" ]
check "main.spin is the top function by self" \
	[ "$("$KILN" report --self -n 1 "$TMP/go.pb.gz" | awk '/^ +flat/ {getline; print $6}')" = main.spin ]

"$KILN" convert "$TMP/go.pb.gz" -o "$TMP/kiln.pb.gz" || fail "kiln convert pprof -> pprof failed"
check "go tool pprof -raw parses kiln's pprof" \
	bash -c "go tool pprof -raw -symbolize=none '$TMP/kiln.pb.gz' >'$TMP/raw.txt' 2>'$TMP/raw.err'"
check "-raw lists the samples" grep -q '^Samples:' "$TMP/raw.txt"
go_rows "$TMP/kiln.pb.gz" >"$TMP/go2.rows"
check "go tool pprof -top of kiln's rewrite matches the original" diff "$TMP/go.rows" "$TMP/go2.rows"
check "go tool pprof total of kiln's rewrite matches" [ "$(go_total "$TMP/kiln.pb.gz")" = "$gt" ]
# A heap profile: four sample types, numeric labels with units, default_sample_type.
kiln_rows "$TMP/heap.pb.gz" alloc_objects >"$TMP/kheap.rows"
go_rows "$TMP/heap.pb.gz" alloc_objects >"$TMP/gheap.rows"
check "heap profile: same alloc_objects per function as go tool pprof" \
	diff "$TMP/kheap.rows" "$TMP/gheap.rows"
check "heap profile: the 1000 allocations of writeHeapProfile are seen" \
	awk '$1=="main.writeHeapProfile" && $2>=1000 {ok=1} END {exit !ok}' "$TMP/kheap.rows"
echo PASS
