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
"$KILN" convert "$folded" -o "$svg" --minwidth 0 --colors java --title "kiln: vertx <&> test" \
	--countname "samples (of cpu-clock)"
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
	var frames = api.frames, n = frames.length;
	check('frames drawn', n > 100, n);
	check('names and counts read back from the tooltips', api.names[0] === 'all' &&
	      api.count[0] === 286 && api.names[1] === 'java', api.names[1] + ' ' + api.count[0]);
	check('names unescaped', api.names.some(function (s) { return s.indexOf('<false>') >= 0; }));
	check('title escaped', doc.getElementById('title').textContent === 'kiln: vertx <&> test',
	      doc.getElementById('title').textContent);
	var full = 1180;
	function rect(i) { return frames[i].querySelector('rect'); }
	function width(i) { return parseFloat(rect(i).getAttribute('width')); }
	function x(i) { return parseFloat(rect(i).getAttribute('x')); }
	function hidden(i) { var b = rect(i).getBoundingClientRect(); return b.width === 0 && b.height === 0; }
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
	/* Labels follow the new widths, also on frames too narrow for one before. */
	var labelled = 0, badLabels = 0;
	for (var i = z; i <= api.end[z]; i++) {
		if (width(i) < 30) continue;
		var t = frames[i].querySelector('text');
		labelled++;
		if (!t || !t.textContent || !near(parseFloat(t.getAttribute('x')), x(i) + 3, 0.01)) badLabels++;
	}
	check('labels follow the zoom', labelled > 2 && badLabels === 0, labelled + ' labelled, ' + badLabels + ' wrong');
	/* From one zoom to another: click the faded parent. */
	var pz = api.parent[z], pw = width(z);
	click(doc, frames[pz].querySelector('rect'));
	check('zoom to a faded ancestor', api.zoomed() === pz && near(width(pz), full, 0.01) &&
	      near(width(z), full * api.count[z] / api.count[pz], 0.05) && !hidden(z),
	      width(pz) + ' ' + width(z));
	click(doc, frames[z].querySelector('rect'));
	check('and back into the frame', api.zoomed() === z && near(width(z), pw, 0.01));
	var unzoom = doc.getElementById('unzoom');
	check('reset zoom shown', win.getComputedStyle(unzoom).display !== 'none');
	click(doc, unzoom);
	check('reset zoom restores', near(width(z), before, 0.01) && (outside < 0 || !hidden(outside)));
	var order = doc.getElementById('frames').children, inOrder = order.length === n;
	for (var i = 0; inOrder && i < n; i++) inOrder = order[i] === frames[i];
	check('frames back in their order', inOrder);

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
	var both = doc.getElementById('matched').textContent.match(/^Matched: ([0-9.]+)% of this zoom, ([0-9.]+)% of all$/);
	check('matched share of the zoom and of all', both && parseFloat(both[1]) > 0 &&
	      parseFloat(both[1]) <= 100 && near(parseFloat(both[2]), $expected, 0.011),
	      doc.getElementById('matched').textContent);
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

# A big graph: zooming and searching stay interactive (the bound only catches work that grows
# faster than the number of frames; the machine may be busy).
awk 'BEGIN { srand(7); for (i = 0; i < 1500; i++) { s = "main"; d = 5 + int(rand() * 30)
	for (k = 0; k < d; k++) s = s ";fn_" int(rand() * 20 * (k + 1)); print s, 1 + int(rand() * 1000) } }' \
	>"$TMP/big.folded"
"$KILN" convert "$TMP/big.folded" -o "$TMP/big.svg" --minwidth 0
bigframes=$(grep -c '<g><title>' "$TMP/big.svg")
[ "$bigframes" -ge 20000 ] || fail "the big graph has only $bigframes frames"
cat >"$TMP/big.html" <<'EOF'
<!DOCTYPE html><html><body><pre id="results">RUNNING</pre>
<iframe id="graph" src="big.svg" width="1220" height="900"></iframe>
<script>
document.getElementById('graph').addEventListener('load', function () {
	var w = this.contentWindow, api = w.kilnFlameGraph, root = this.contentDocument.documentElement;
	var out = [], worst = 0;
	function step(name, f) {
		var t = performance.now();
		f();
		root.getBoundingClientRect(); /* include the layout the change causes */
		var ms = performance.now() - t;
		worst = Math.max(worst, ms);
		out.push(name + ' ' + ms.toFixed(0) + ' ms');
	}
	step('zoom', function () { api.zoom(3); });
	step('zoom deeper', function () { api.zoom(api.end[3] > 10 ? 10 : 3); });
	step('search', function () { api.search('fn_1'); });
	step('unzoom', function () { api.unzoom(); });
	step('reset search', function () { api.resetSearch(); });
	out.push((worst < 15000 ? 'PASS' : 'FAIL') + ' worst ' + worst.toFixed(0) + ' ms');
	document.getElementById('results').textContent = out.join('\n') + '\nDONE';
});
</script></body></html>
EOF
browse "$TMP/big.log" --dump-dom "file://$TMP/big.html" >"$TMP/big.dom" ||
	fail "chromium failed on the big graph: $(tail -3 "$TMP/big.log")"
big=$(sed -n '/<pre id="results">/,/<\/pre>/p' "$TMP/big.dom" | sed 's/<[^>]*>//g')
echo "big graph, $bigframes frames:"
echo "$big"
grep -q '^PASS' <<<"$big" || fail "zooming or searching the big graph is too slow"

results=$(sed -n '/<pre id="results">/,/<\/pre>/p' "$TMP/dom.html" | sed 's/<[^>]*>//g')
echo "$results"
grep -q '^DONE' <<<"$results" || fail "the checks did not finish in the browser"
! grep -q '^FAIL' <<<"$results" || fail "browser checks failed"
[ "$(grep -c '^PASS' <<<"$results")" -ge 12 ] || fail "fewer checks ran than expected"

# Console errors (uncaught exceptions, failed loads) of either page.
errors=$(grep -h 'CONSOLE' "$TMP/svg.log" "$TMP/dom.log" "$TMP/big.log" | grep -iv 'deprecat' || true)
[ -z "$errors" ] || fail "console messages: $errors"
check "no console errors" true
check "screenshots kept" test -s "$artifacts/svg_browser.png" -a -s "$artifacts/svg_browser_zoomed.png"
echo "artifacts: $artifacts/svg_browser.png $artifacts/svg_browser_zoomed.png"
