#!/usr/bin/env bash
# Issue 4, acceptance 4 (inline part): a workload built with -g whose hot loop sits in two levels
# of inlined helpers shows them as inline frames (folded: _[i]) and pprof gets one location with
# three lines at the right source lines.
source "$(dirname "$0")/lib.sh"
need_root
src="$TESTROOT/workloads/inlined.c"
line_of() { grep -n "LINE:$1" "$src" | cut -d: -f1; }
deeper=$(line_of deeper) mix=$(line_of mix_calls_deeper) outer=$(line_of outer_calls_mix)

"$KILN" record -F 499 -q -o "$TMP/inl.pb.gz" -- "$WORKLOADS/inlined" 2
"$KILN" convert --annotate "$TMP/inl.pb.gz" -o "$TMP/inl.folded"
share=$(folded_share "$TMP/inl.folded" ';main;hot_outer;mix_inline_\[i\];mix_deeper_\[i\]$')
echo "samples in hot_outer;mix_inline_[i];mix_deeper_[i]: $share% of $(folded_total "$TMP/inl.folded")"
check "most samples are in the inlined chain" test "$share" -ge 80

command -v go >/dev/null || skip "go (golang-go) not installed: cannot read the pprof lines"
traces=$(cd "$TMP" && go tool pprof -traces -lines inl.pb.gz 2>/dev/null)
chain=$(grep -m1 -A2 "mix_deeper .*inlined.c:$deeper (inline)" <<<"$traces" || true)
echo "$chain"
check "innermost line is mix_deeper's loop (line $deeper)" test -n "$chain"
check "mix_inline at its call of mix_deeper (line $mix)" \
	grep -q "mix_inline .*inlined.c:$mix (inline)" <<<"$chain"
check "hot_outer at its call of mix_inline (line $outer)" \
	grep -q "hot_outer .*inlined.c:$outer\$" <<<"$chain"
