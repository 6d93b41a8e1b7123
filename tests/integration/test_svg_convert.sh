#!/usr/bin/env bash
# kiln convert's flame graph options reach the SVG (title, subtitle, count name, sizes, min
# width, palettes, icicle, reversed stacks, flame charts, differential input and --negate), and
# bad values give one line, a non-zero exit and no file.
source "$(dirname "$0")/lib.sh"

folded="$TESTROOT/data/perf-script/expected/perf-vertx-stacks-01-collapsed-all.txt"
svg() { "$KILN" convert "$folded" -o "$TMP/out.svg" "$@" && cat "$TMP/out.svg"; }
has() { grep -qF -- "$1" <<<"$out"; }
lacks() { ! has "$1"; }

out=$(svg)
check "default title and size" has '>Flame Graph</text>'
check "...1200 pixels wide" has 'width="1200"'
check "...counts in samples" has '<title>all (286 samples, 100.00%)</title>'
check "...one frame per name and stack" [ "$(grep -c '<title>java_start (' <<<"$out")" -eq 1 ]
check "...names without annotations" lacks '_[k] ('

out=$(svg --title 'T <1> & "2"' --subtitle 'sub & more' --countname events --nametype 'Symbol:')
check "--title escaped" has '>T &lt;1&gt; &amp; &quot;2&quot;</text>'
check "--subtitle" has '<text id="subtitle"'
check "--subtitle escaped" has '>sub &amp; more</text>'
check "--countname" has '<title>all (286 events, 100.00%)</title>'
check "--nametype" has 'data-nametype="Symbol:"'

out=$(svg --width 800 --height 20 --fontsize 10)
check "--width" has 'width="800"'
check "--height: frames 19 pixels high" has 'height="19"'
check "--fontsize" has 'font-size: 10px'

wide=$(svg --minwidth 0 | grep -c '<g><title>')
narrow=$(svg --minwidth 2% | grep -c '<g><title>')
echo "frames: $wide with --minwidth 0, $narrow with --minwidth 2%"
check "--minwidth 2% leaves frames out" [ "$narrow" -lt "$wide" ]
out=$(svg --minwidth 2%)
check "...and says how many" has "data-elided=\"$((wide - narrow))\""
check "...keeping the total" has '<title>all (286 samples, 100.00%)</title>'

out=$(svg --colors mem)
check "--colors mem: blue background" has 'stop-color="#e0e0ff"'
out=$(svg --colors java --annotate)
check "--annotate shows suffixes" has 'tcp_sendmsg_[k] ('
# Kernel frames orange (blue 0) and JIT frames green under the java palette.
check "--colors java: kernel orange" grep -qE '<title>tcp_sendmsg_\[k\] [^<]*</title><rect [^>]*fill="rgb\([0-9]+,[0-9]+,0\)"' <<<"$out"

out=$(svg --inverted)
check "--inverted: icicle title" has '>Icicle Graph</text>'
check "...root at the top" grep -qE '<title>all [^<]*</title><rect x="10" y="36"' <<<"$out"

y_of() { grep -oE "<title>$1 \([^<]*</title><rect x=\"[0-9.]+\" y=\"[0-9.]+\"" <<<"$out" | head -1 |
	sed -E 's/.*y="([0-9.]+)"/\1/'; }
out=$(svg --reverse)
echo "reversed: all at y $(y_of all), hypercall_page at $(y_of hypercall_page), java at $(y_of java)"
check "--reverse: a leaf becomes a root's child" [ "$(y_of hypercall_page)" = "$(( $(y_of all) - 16 ))" ]
check "...the process frame at the top" [ "$(y_of java)" -lt "$(( $(y_of all) - 16 ))" ]

out=$(svg --flamechart)
check "--flamechart title" has '>Flame Chart</text>'

# Two counts a line: a differential graph, red grew, blue shrank.
awk '{n=$NF; s=$0; sub(/ [0-9]+$/,"",s); a=n; if (s ~ /tcp_/) a=n*3; else if (s ~ /mozilla/) a=int(n/3);
	print s, n, a}' "$folded" >"$TMP/diff.folded"
"$KILN" convert "$TMP/diff.folded" -o "$TMP/diff.svg"
out=$(cat "$TMP/diff.svg")
fill_of() { grep -oE "<title>$1 \([^<]*</title><rect [^>]*fill=\"rgb\([0-9,]+\)" <<<"$out" | head -1 |
	sed -E 's/.*rgb\(([0-9,]+)\)/\1/'; }
echo "tcp_sendmsg: $(fill_of tcp_sendmsg), org/mozilla/javascript/ScriptRuntime:.newObject: $(fill_of 'org/mozilla/javascript/ScriptRuntime:.newObject')"
check "differential: grown frames red" [ "$(fill_of tcp_sendmsg | cut -d, -f1)" = 255 ]
check "...shrunk frames blue" [ "$(fill_of 'org/mozilla/javascript/ScriptRuntime:.newObject' | cut -d, -f3)" = 255 ]
check "...tooltips give before and change" grep -qE '<title>tcp_sendmsg \([0-9,]+ samples, [0-9.]+%; before [0-9,]+, \+[0-9.]+%\)' <<<"$out"
"$KILN" convert "$TMP/diff.folded" -o "$TMP/neg.svg" --negate
out=$(cat "$TMP/neg.svg")
check "--negate: grown frames blue" [ "$(fill_of tcp_sendmsg | cut -d, -f3)" = 255 ]

# Bad values: one line, non-zero, no file.
for bad in "--colors rainbow" "--width 10" "--width x" "--minwidth -1" "--minwidth 200%" "--height 0"; do
	set +e
	# shellcheck disable=SC2086
	"$KILN" convert "$folded" -o "$TMP/bad.svg" $bad 2>"$TMP/err"
	rc=$?
	set -e
	check "$bad fails with one line" [ $rc -ne 0 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ]
	check "...and writes nothing" [ ! -e "$TMP/bad.svg" ]
done
echo PASS
