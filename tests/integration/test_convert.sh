#!/usr/bin/env bash
# kiln convert round trips keep totals and stacks: folded -> pprof -> folded (byte for byte,
# with perf's frame annotations), pprof -> folded -> pprof (same top table in kiln and in
# go tool pprof); and what kiln writes, go tool pprof parses with the same totals.
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null || fail "go is not installed: run 'make deps' (installs golang-go)"
export HOME=$TMP GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOFLAGS= GO111MODULE=off
export PPROF_TMPDIR=$TMP PPROF_BINARY_PATH=$TMP/none
data=$TESTROOT/data/pprof

go_top() { go tool pprof -sample_index="${2:-0}" -top -nodecount=100000 -nodefraction=0 \
		-edgefraction=0 -symbolize=none "$1" 2>/dev/null |
	awk '/^ +flat +flat%/ {on=1; next} on && NF>=6 {$2=$3=$5=""; print}' | LC_ALL=C sort; }
go_total() { go tool pprof -sample_index="${2:-0}" -top -symbolize=none "$1" 2>/dev/null |
	sed -n 's/.* of \([0-9]*\) total.*/\1/p'; }
kiln_top() { "$KILN" report --self -n 0 "$1" |
	awk '/^ +flat +flat%/ {on=1; next} on && NF>=6 {$2=$3=$5=""; print}' | LC_ALL=C sort; }
kiln_total() { "$KILN" report -n 1 "$1" | awk '/^Total/ {print $2}'; }
# Every sample's stack as go tool pprof -traces prints it, folded root first and summed by stack;
# its "(inline)" tags become the "_[i]" of kiln convert --annotate. (The Go runtime's frames are
# sometimes inlined: a sample in its scheduler brings them.)
go_stacks() { go tool pprof -traces -sample_index="$2" -symbolize=none "$1" 2>/dev/null | awk '
	/^-----------\+/ { if (n) add(); n = 0; next }
	{ sub(/ \(inline\)$/, "_[i]") }
	n == 0 && /^ +[0-9]+ +[^ ]/ { v = $1; sub(/^ +[0-9]+ +/, ""); f[n++] = $0; next }
	n > 0 { sub(/^ +/, ""); f[n++] = $0 }
	function add(  s, i) { s = f[n-1]; for (i = n-2; i >= 0; i--) s = s ";" f[i]; c[s] += v }
	END { if (n) add(); for (k in c) print k, c[k] }' | LC_ALL=C sort; }

# folded -> pprof -> folded
"$KILN" convert "$data/stacks.folded" -o "$TMP/stacks.pb.gz" || fail "folded -> pprof failed"
"$KILN" convert "$TMP/stacks.pb.gz" -o "$TMP/back.folded" --annotate || fail "pprof -> folded failed"
check "folded -> pprof -> folded gives the same stacks and counts" \
	diff <(LC_ALL=C sort "$data/stacks.folded") <(LC_ALL=C sort "$TMP/back.folded")
check "go tool pprof -raw parses kiln's pprof from folded" \
	bash -c "go tool pprof -raw -symbolize=none '$TMP/stacks.pb.gz' >/dev/null 2>&1"
kt=$(kiln_total "$TMP/stacks.pb.gz"); gt=$(go_total "$TMP/stacks.pb.gz")
ft=$(folded_total "$data/stacks.folded")
echo "totals: folded $ft, kiln report $kt, go tool pprof $gt"
check "totals agree" [ "$kt" = "$ft" ] && [ "$gt" = "$ft" ]
# Names match exactly, pprof's "(inline)" / "(partial-inline)" tags included: kiln report prints them too.
check "go tool pprof -top lists the same functions and values as kiln report" \
	diff <(kiln_top "$TMP/stacks.pb.gz") <(go_top "$TMP/stacks.pb.gz")

# pprof (from Go) -> folded -> pprof
cp "$data/cpuhog.go" "$TMP/" && (cd "$TMP" && go build -o cpuhog cpuhog.go && ./cpuhog go.pb.gz) ||
	fail "Go workload failed"
"$KILN" convert --annotate "$TMP/go.pb.gz" -o "$TMP/go.folded" || fail "pprof -> folded failed"
"$KILN" convert "$TMP/go.folded" -o "$TMP/go2.pb.gz" || fail "folded -> pprof failed"
check "pprof -> folded keeps the total" [ "$(folded_total "$TMP/go.folded")" = "$(go_total "$TMP/go.pb.gz" samples)" ]
check "pprof -> folded keeps every stack go tool pprof -traces shows" \
	diff <(LC_ALL=C sort "$TMP/go.folded") <(go_stacks "$TMP/go.pb.gz" samples)
check "pprof -> folded -> pprof keeps the total" \
	[ "$(go_total "$TMP/go2.pb.gz" 0)" = "$(go_total "$TMP/go.pb.gz" samples)" ]
check "pprof -> folded -> pprof: same stacks and counts in go tool pprof -traces" \
	diff <(go_stacks "$TMP/go.pb.gz" samples) <(go_stacks "$TMP/go2.pb.gz" 0)
check "pprof -> folded -> pprof: same go tool pprof -top" \
	diff <(go_top "$TMP/go.pb.gz" samples) <(go_top "$TMP/go2.pb.gz" 0)
check "pprof -> folded -> pprof: same kiln report" \
	diff <(kiln_top "$TMP/go.pb.gz") <(kiln_top "$TMP/go2.pb.gz")
"$KILN" convert --annotate "$TMP/go2.pb.gz" -o "$TMP/go2.folded" || fail "second pprof -> folded failed"
check "folded stacks survive a second round" diff "$TMP/go.folded" "$TMP/go2.folded"

# --from/--to override extensions; errors are one line.
cp "$data/stacks.folded" "$TMP/stacks.dat"
"$KILN" convert --from folded --to pprof "$TMP/stacks.dat" -o "$TMP/out.bin" || fail "--from/--to failed"
check "--to pprof writes gzip" bash -c "head -c2 '$TMP/out.bin' | od -An -tx1 | grep -q '1f 8b'"
set +e; "$KILN" convert "$TMP/stacks.pb.gz" -o "$TMP/out.unknown" 2>"$TMP/err"; rc=$?; set -e
check "unknown output extension fails" [ $rc -ne 0 ]
check "...naming the writable formats" grep -q "one of: .*pprof" "$TMP/err"
check "...and leaves no file" [ ! -e "$TMP/out.unknown" ]
echo PASS
