#!/usr/bin/env bash
# A kiln SVG in headless Chromium: loads without console errors, clicking a frame zooms it to
# full width (and Reset Zoom undoes it), Ctrl-F search highlights the matching frames and shows
# the matched share the folded input implies. Screenshots go to tests/artifacts/.
source "$(dirname "$0")/lib.sh"

chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || skip "chromium is not installed (Debian package chromium; scripts/deps.sh installs it)"

folded="$TESTROOT/data/perf-script/expected/perf-vertx-stacks-01-collapsed-all.txt"
artifacts="$TESTROOT/artifacts"
mkdir -p "$artifacts"
svg="$TMP/graph.svg"
# No frame left out, so the matched share can be checked against the input exactly.
"$KILN" convert "$folded" -o "$svg" --minwidth 0 --colors java --title "kiln: vertx <&> test"
cp "$svg" "$artifacts/svg_browser.svg"

# The share of samples with a frame matching the search, from the folded text itself
# (annotation suffixes off, as the graph shows names without --annotate).
regex='^tcp_'
expected=$(awk -v re="$regex" '{n=$NF; t+=n; s=$0; sub(/ [0-9]+$/,"",s);
	k=split(s, f, ";"); hit=0
	for (i=1; i<=k; i++) { x=f[i]; sub(/_\[[kji]\]$/,"",x); if (x ~ re) hit=1 }
	if (hit) m+=n }
	END {printf "%.2f\n", 100*m/t}' "$folded")
echo "expected matched share for /$regex/: $expected%"

cat >"$TMP/wrapper.html" <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<pre id="results">RUNNING</pre>
<iframe id="graph" src="graph.svg" width="1220" height="1200" style="border:0"></iframe>
<script>
var out = [];
function check(name, cond, detail) {
	out.push((cond ? 'PASS ' : 'FAIL ') + name + (detail === undefined ? '' : ': ' + detail));
}
function near(a, b, tol) { return Math.abs(a - b) <= tol; }
function click(doc, el) {
	el.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: doc.defaultView}));
}
function run(win, doc) {
	var api = win.kilnFlameGraph;
	check('script api present', !!api);
	var frames = doc.getElementById('frames').children, n = frames.length;
	check('frames drawn', n > 100, n);
	check('names unescaped', api.names.some(function (s) { return s.indexOf('<false>') >= 0; }));
	check('title escaped', doc.getElementById('title').textContent === 'kiln: vertx <&> test',
	      doc.getElementById('title').textContent);
	var full = 1180;
	function rect(i) { return frames[i].querySelector('rect'); }
	function width(i) { return parseFloat(rect(i).getAttribute('width')); }
	function x(i) { return parseFloat(rect(i).getAttribute('x')); }
	function hidden(i) { return win.getComputedStyle(frames[i]).display === 'none'; }
	/* A frame a few levels up with children, between 5% and 40% of the width. */
	var z = -1;
	for (var i = 1; i < n && z < 0; i++) {
		var d = 0;
		for (var a = api.parent[i]; a >= 0; a = api.parent[a]) d++;
		if (d >= 4 && width(i) > 0.05 * full && width(i) < 0.4 * full && api.end[i] > i + 2)
			z = i;
	}
	check('found a frame to zoom', z > 0, z);
	var before = width(z), child = z + 1, childW = width(child);
	var outside = z > 1 && api.end[z] + 1 < n ? api.end[z] + 1 : -1;
	click(doc, frames[z].querySelector('text'));
	check('zoomed frame is full width', near(width(z), full, 0.01) && near(x(z), 10, 0.01),
	      x(z) + ' + ' + width(z));
	check('child scaled with it', near(width(child), childW * full / before, 0.05),
	      width(child) + ' vs ' + childW * full / before);
	check('frames outside hidden', outside < 0 || hidden(outside), outside);
	check('ancestors faded at full width', frames[api.parent[z]].getAttribute('class') === 'parent' &&
	      near(width(api.parent[z]), full, 0.01));
	var unzoom = doc.getElementById('unzoom');
	check('reset zoom shown', win.getComputedStyle(unzoom).display !== 'none');
	click(doc, unzoom);
	check('reset zoom restores', near(width(z), before, 0.01) && (outside < 0 || !hidden(outside)));

	/* Ctrl-F, answering the prompt. */
	win.prompt = function () { return '$regex'; };
	win.dispatchEvent(new win.KeyboardEvent('keydown', {key: 'f', keyCode: 70, ctrlKey: true,
							     bubbles: true, cancelable: true}));
	var re = new RegExp('$regex'), want = 0, lit = 0, wrong = 0;
	for (var i = 0; i < n; i++) {
		var m = re.test(api.names[i]), hl = rect(i).getAttribute('fill') === 'rgb(230,0,230)';
		if (m) want++;
		if (hl) lit++;
		if (m !== hl) wrong++;
	}
	check('search highlights the matches', want > 0 && lit === want && wrong === 0,
	      lit + ' of ' + want + ' lit, ' + wrong + ' wrong');
	var shown = doc.getElementById('matched').textContent;
	check('matched share shown', near(parseFloat(shown.replace(/[^0-9.]/g, '')), $expected, 0.011),
	      shown + ' vs $expected%');
	/* Leave a zoomed, searched view for the screenshot: a few levels above a match. */
	var first = api.names.findIndex(function (s) { return re.test(s); }), up = first;
	for (var k = 0; k < 8 && api.parent[up] > 0; k++) up = api.parent[up];
	click(doc, frames[up].querySelector('rect'));
	check('zoomed to a match\'s ancestor', api.zoomed() === up && !hidden(first), up);
	var still = 0;
	for (var i = 0; i < n; i++) still += rect(i).getAttribute('fill') === 'rgb(230,0,230)';
	check('search survives zoom', still === want, still);
}
document.getElementById('graph').addEventListener('load', function () {
	try { run(this.contentWindow, this.contentDocument); }
	catch (e) { out.push('FAIL exception: ' + e); }
	document.getElementById('results').textContent = out.join('\n') + '\nDONE';
});
</script></body></html>
EOF

browse() { # LOG ARGS...: headless Chromium, console messages logged to LOG
	local log=$1; shift
	timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$TMP/profile" --no-first-run --disable-extensions \
		--allow-file-access-from-files --enable-logging=stderr --v=0 \
		--virtual-time-budget=10000 "$@" 2>"$log"
}

browse "$TMP/svg.log" --window-size=1200,1300 --screenshot="$artifacts/svg_browser.png" \
	"file://$svg" >/dev/null || fail "chromium could not render $svg: $(tail -3 "$TMP/svg.log")"
browse "$TMP/dom.log" --dump-dom "file://$TMP/wrapper.html" >"$TMP/dom.html" ||
	fail "chromium failed on the wrapper: $(tail -3 "$TMP/dom.log")"
browse "$TMP/shot.log" --window-size=1220,1300 --screenshot="$artifacts/svg_browser_zoomed.png" \
	"file://$TMP/wrapper.html" >/dev/null || true

results=$(sed -n '/<pre id="results">/,/<\/pre>/p' "$TMP/dom.html" | sed 's/<[^>]*>//g')
echo "$results"
grep -q '^DONE' <<<"$results" || fail "the checks did not finish in the browser"
! grep -q '^FAIL' <<<"$results" || fail "browser checks failed"
[ "$(grep -c '^PASS' <<<"$results")" -ge 12 ] || fail "fewer checks ran than expected"

# Console errors (uncaught exceptions, failed loads) of either page.
errors=$(grep -h 'CONSOLE' "$TMP/svg.log" "$TMP/dom.log" | grep -iv 'deprecat' || true)
[ -z "$errors" ] || fail "console messages: $errors"
check "no console errors" true
check "screenshots kept" test -s "$artifacts/svg_browser.png" -a -s "$artifacts/svg_browser_zoomed.png"
echo "artifacts: $artifacts/svg_browser.png $artifacts/svg_browser_zoomed.png"
