#!/usr/bin/env bash
# Every reader rejects truncated or garbage input with one line "kiln: error: FILE:LINE: ..." or
# "kiln: error: FILE: offset N: ..." and a non-zero exit; never a crash, and `kiln convert`
# leaves no output file behind. Inputs: the fuzz seed corpus (tests/fuzz/corpus), cut short at
# many points, and random bytes (the fuzzers try far more: make fuzz).
source "$(dirname "$0")/lib.sh"
corpus=$TESTROOT/fuzz/corpus
bad=0 rejected=0 accepted=0

# try FILE: reads FILE with kiln report; a failure must be one well-formed line, not a crash.
try() {
	local f=$1 rc
	set +e
	"$KILN" report -n 1 "$f" >/dev/null 2>"$TMP/err"; rc=$?
	set -e
	if [ $rc -eq 0 ]; then accepted=$((accepted + 1)); return 0; fi
	rejected=$((rejected + 1))
	local lines; lines=$(wc -l <"$TMP/err")
	if [ $rc -ge 128 ] || [ "$lines" -ne 1 ] ||
		! grep -Eq "^kiln: error: $(basename "$f")(:[0-9]+|: offset [0-9]+): [^ ]" <(sed "s|$TMP/||" "$TMP/err"); then
		bad=$((bad + 1))
		[ $bad -le 5 ] && { echo "bad rejection of $f (exit $rc):"; sed 's/^/    /' "$TMP/err"; }
	fi
	return 0
}

cut_every() { # SRC STEP EXT: every prefix of SRC whose length is a multiple of STEP
	local src=$1 step=$2 ext=$3 size; size=$(stat -c %s "$src")
	for ((n = 1; n < size; n += step)); do
		head -c $n "$src" >"$TMP/cut$ext"
		try "$TMP/cut$ext"
	done
}

# gzip knows its length: every truncation of a gzipped pprof must fail.
before=$accepted
cut_every "$corpus/pprof/stacks.pb.gz" 9 .pb.gz
check "every truncation of a gzipped pprof is rejected" [ $accepted -eq $before ]
# Raw protobuf has no end marker: a cut between fields can still be a valid profile, but one
# that fails must say where and what it expected.
for f in stacks.pb go-cpu.pb; do cut_every "$corpus/pprof/$f" 29 .pprof; done
cut_every "$corpus/pprof/go-heap.pb" 97 .pprof
for f in stacks.folded annot.folded diff.folded; do cut_every "$corpus/folded/$f" 13 .folded; done
for i in $(seq 1 6); do
	head -c $((RANDOM % 2000 + 1)) /dev/urandom >"$TMP/rand$i.pb.gz"; try "$TMP/rand$i.pb.gz"
	head -c $((RANDOM % 2000 + 1)) /dev/urandom >"$TMP/rand$i.pprof"; try "$TMP/rand$i.pprof"
	head -c $((RANDOM % 2000 + 1)) /dev/urandom >"$TMP/rand$i.folded"; try "$TMP/rand$i.folded"
	head -c $((RANDOM % 2000 + 1)) /dev/urandom >"$TMP/rand$i.perf-script"; try "$TMP/rand$i.perf-script"
done
printf 'main;a 1\nnot a stack line\n' >"$TMP/text.folded"; try "$TMP/text.folded"
printf 'main;a 99999999999999999999\n' >"$TMP/big.folded"; try "$TMP/big.folded"
printf 'a 9223372036854775807\nb 1\n' >"$TMP/sum.folded"; try "$TMP/sum.folded"
printf 'no perf script here\n' >"$TMP/text.perf-script"; try "$TMP/text.perf-script"
echo "$rejected rejected, $accepted accepted (valid prefixes), $bad badly rejected"
check "every rejection is one 'FILE:LINE:' or 'FILE: offset N:' line, no crash" [ $bad -eq 0 ]
check "garbage was rejected at all" [ $rejected -ge 80 ]

set +e
"$KILN" convert "$TMP/rand1.pb.gz" -o "$TMP/out.folded" 2>/dev/null; rc=$?
set -e
check "convert of garbage fails" [ $rc -ne 0 ]
check "...and writes no file" [ ! -e "$TMP/out.folded" ]
echo PASS
