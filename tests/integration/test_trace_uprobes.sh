#!/usr/bin/env bash
# Issue 6, acceptance 3 and 5: uprobes, uretprobes and USDT probes of a repo binary fire the known
# number of times with the right values; --latency of a 10 ms function lands in [8K, 16K) us;
# a missing symbol or probe is a clear error.
source "$(dirname "$0")/lib.sh"
need_root
bin="$WORKLOADS/trace_probes"
N=200
grep -q 'Provider: kiln' <<<"$(readelf -n "$bin")" || fail "the workload has no kiln USDT notes"

"$KILN" trace -e "u:$bin:kiln_add" -o "$TMP/u.txt" -- "$bin" $N 0
check "uprobe fired $N times" [ "$(grep -c "u:$bin:kiln_add: " "$TMP/u.txt")" -eq $N ]
check "uprobe arguments are (i, 2i) in order" awk -v n=$N '
	{ for (f = 1; f <= NF; f++) { if ($f ~ /^arg0=/) a = substr($f, 6); if ($f ~ /^arg1=/) b = substr($f, 6) }
	  if (a + 0 != i + 0 || b + 0 != 2 * i) exit 1; i++ } END { exit i != n }' "$TMP/u.txt"

"$KILN" trace -e "ur:$bin:kiln_add" -o "$TMP/ur.txt" -- "$bin" $N 0
check "uretprobe fired $N times with retval 3i" awk -v n=$N '
	{ split($NF, kv, "="); if (kv[1] != "retval" || kv[2] + 0 != 3 * i) exit 1; i++ } END { exit i != n }' "$TMP/ur.txt"

"$KILN" trace -e "usdt:$bin:kiln:tick" -o "$TMP/usdt.txt" -- "$bin" $N 0
check "USDT kiln:tick fired $N times with (i, i*i)" awk -v n=$N '
	{ if ($(NF-1) != "arg0=" i + 0 || $NF != "arg1=" i * i) exit 1; i++ } END { exit i != n }' "$TMP/usdt.txt"

# Aggregated in the kernel.
"$KILN" trace -c -e "u:$bin:kiln_add" -e "usdt:$bin:kiln:tick" -o "$TMP/c.txt" -- "$bin" $N 0
check "-c counts the uprobe: $N" grep -qx "@\[u:$bin:kiln_add\]: $N" "$TMP/c.txt"
check "-c counts the USDT probe: $N" grep -qx "@\[usdt:$bin:kiln:tick\]: $N" "$TMP/c.txt"
"$KILN" trace --sum arg1 -e "usdt:$bin:kiln:tick" -o "$TMP/s.txt" -- "$bin" $N 0
want=$(( (N - 1) * N * (2 * N - 1) / 6 ))
check "--sum arg1 of the USDT probe is sum(i*i) = $want" grep -qx "@: $want" "$TMP/s.txt"
"$KILN" trace --max retval -e "ur:$bin:kiln_add" -o "$TMP/m.txt" -- "$bin" $N 0
check "--max retval is 3(N-1)" grep -qx "@: $(( 3 * (N - 1) ))" "$TMP/m.txt"
"$KILN" trace -c --filter 'arg0 >= 50 && arg0 < 60' -e "u:$bin:kiln_add" -o "$TMP/fa.txt" -- "$bin" $N 0
check "--filter on uprobe arguments: 10" grep -qx "@\[u:$bin:kiln_add\]: 10" "$TMP/fa.txt"

# --latency: entry to return of a function sleeping 10 ms, per thread.
"$KILN" trace --latency "u:$bin:kiln_sleep_ms,ur:$bin:kiln_sleep_ms" -o "$TMP/lat.txt" -- "$bin" 1 5
cat "$TMP/lat.txt"
check "--latency: all 5 calls in the [8K, 16K) us bucket" grep -qE '^\[8K, 16K\) +5 \|@{52}\|$' "$TMP/lat.txt"
check "--latency: no other bucket" [ "$(grep -c '^\[' "$TMP/lat.txt")" -eq 1 ]

expect_error() { # DESCRIPTION PATTERN ARGS...
	local what=$1 pattern=$2; shift 2
	set +e; timeout 20 "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
	echo "$what: exit $rc: $(head -1 "$TMP/err")"
	[ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] || fail "$what: exit status $rc"
	[ "$(grep -c error "$TMP/err")" -eq 1 ] || fail "$what: expected one error line: $(cat "$TMP/err")"
	grep -qiE -- "$pattern" "$TMP/err" || fail "$what: message does not match /$pattern/"
}
expect_error "binary without the symbol" "has no function 'no_such_function'" \
	"$KILN" trace -e "u:$bin:no_such_function" -- "$bin" 1 0
expect_error "binary without the USDT probe" "no USDT probe kiln:nope" \
	"$KILN" trace -e "usdt:$bin:kiln:nope" -- "$bin" 1 0
expect_error "missing binary" "cannot read /no/such/bin" "$KILN" trace -e "u:/no/such/bin:f" -- true
expect_error "retval on an entry probe" "no field 'retval'" "$KILN" trace --hist retval -e "u:$bin:kiln_add" -- true

# -o FILE.json: each probe hit is an instant with its arguments.
"$KILN" trace -e "usdt:$bin:kiln:tick" -o "$TMP/usdt.json" -- "$bin" 20 0
python3 - "$TMP/usdt.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
assert [e["args"]["arg1"] for e in ev] == [i * i for i in range(20)], ev
assert all(e["ph"] == "i" for e in ev)
print("ok: Chrome trace: 20 USDT instants with their arguments")
PY

# -i: the kernel map is printed and emptied every interval; nothing is counted twice or lost.
"$KILN" trace -i 0.2 --count-by comm -e "u:$bin:kiln_sleep_ms" -o "$TMP/i.txt" -- "$bin" 1 60
cat "$TMP/i.txt"
ticks=$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2}$' "$TMP/i.txt")
total=$(awk -F': ' '/^@\[trace_probes\]: / {s += $2} END {print s + 0}' "$TMP/i.txt")
check "-i 0.2 printed $ticks intervals during the 0.6 s run" [ "$ticks" -ge 2 ]
check "the intervals add up to the 60 calls ($total)" [ "$total" -eq 60 ]
