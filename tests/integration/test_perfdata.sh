#!/usr/bin/env bash
# perf.data read by kiln directly gives the same folded stacks as `perf script | kiln collapse`
# for >= 99% of the sample weight (the rest: symbol names perf and kiln's symbolizer pick
# differently), in file and pipe mode; the build-id section catches a binary changed since the
# recording; a truncated file is one error line; samples keep their times (timelines).
source "$(dirname "$0")/lib.sh"
need_root
command -v perf >/dev/null || skip "perf is not installed (Debian package linux-perf)"
command -v python3 >/dev/null || skip "python3 is not installed"
work=$TMP/hot3
cp "$WORKLOADS/hot3" "$work"

perf record -q -g -o "$TMP/perf.data" "$work" >/dev/null 2>"$TMP/rec.err" ||
	skip "perf record -g fails here: $(tail -1 "$TMP/rec.err")"
perf record -q -g -o - "$work" 2>/dev/null >"$TMP/pipe.data" || fail "perf record -o - failed"

# share FOLDED_A FOLDED_B: percent of B's weight in stacks A has with at least that weight.
share() { python3 - "$1" "$2" <<'EOF'
import sys
def load(p):
    d = {}
    for l in open(p, errors="replace"):
        l = l.rstrip("\n")
        if l:
            s, c = l.rsplit(" ", 1)
            d[s] = d.get(s, 0) + int(c)
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
tb = sum(b.values())
print("%.2f" % (100.0 * sum(min(a.get(k, 0), v) for k, v in b.items()) / max(tb, 1)))
EOF
}

for mode in perf pipe; do
	data=$TMP/$mode.data
	perf script -i "$data" 2>/dev/null | "$KILN" collapse >"$TMP/$mode.collapsed" ||
		fail "$mode: perf script | kiln collapse failed"
	# Folded counts of perf script are periods (ns of cpu-clock): kiln's cpu column.
	"$KILN" convert "$data" --comm --value cpu -o "$TMP/$mode.folded" 2>"$TMP/$mode.err" ||
		fail "$mode: kiln convert failed: $(cat "$TMP/$mode.err")"
	pct=$(share "$TMP/$mode.folded" "$TMP/$mode.collapsed")
	echo "$mode mode: $(folded_total "$TMP/$mode.collapsed") ns in perf script, $(folded_total "$TMP/$mode.folded") ns read by kiln, same stacks for $pct% of the weight"
	check "$mode mode: same total" [ "$(folded_total "$TMP/$mode.collapsed")" = "$(folded_total "$TMP/$mode.folded")" ]
	check "$mode mode: same stacks for >= 99% of the weight" python3 -c "import sys; sys.exit(not $pct >= 99)"
	check "$mode mode: the workload's hot function is there" grep -q "main;run_workload;stage_a;leaf_a [0-9]" "$TMP/$mode.folded"
done
check "no warning reading an intact recording" [ ! -s "$TMP/perf.err" ]

# Timestamps: a timeline straight from perf.data.
"$KILN" convert "$TMP/perf.data" -o "$TMP/t.json" || fail "perf.data -> .json failed"
check "a timeline from perf.data has slices" \
	python3 -c "import json,sys; e=json.load(open('$TMP/t.json'))['traceEvents']; sys.exit(sum(x['ph']=='B' for x in e) < 10)"

# The build-id section names the binary recorded; replacing it is noticed.
cp "$WORKLOADS/spinner" "$work"
"$KILN" report -n 1 "$TMP/perf.data" >/dev/null 2>"$TMP/bid.err" || fail "report after rebuild failed"
check "a binary changed since recording is reported (build id differs)" \
	grep -q "build id differs.*$work" "$TMP/bid.err"

# Truncation: one error line with the offset, non-zero exit, no output file.
size=$(stat -c %s "$TMP/perf.data")
for cut in 50 1000 $((size / 2)) $((size - 9)); do
	head -c $cut "$TMP/perf.data" >"$TMP/cut.data"
	set +e
	"$KILN" convert "$TMP/cut.data" -o "$TMP/cut.folded" 2>"$TMP/cut.err"; rc=$?
	set -e
	check "cut at $cut bytes: rejected in one line with its offset" \
		bash -c "[ $rc -ne 0 ] && [ \$(wc -l <'$TMP/cut.err') -eq 1 ] && grep -q 'cut.data: offset [0-9]*: expected' '$TMP/cut.err'"
	check "...and no output file" [ ! -e "$TMP/cut.folded" ]
done
echo PASS
