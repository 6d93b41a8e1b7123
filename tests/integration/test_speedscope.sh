#!/usr/bin/env bash
# speedscope (npm) opens kiln's Chrome JSON timeline and its pprof. speedscope is a browser app
# whose npm package ships only the bundled app, no importers usable from node, so the test loads
# the app in headless Chromium the way its own CLI does (index.html#localProfilePath=JS, the JS
# calling speedscope.loadFileFromBase64) and reads the console: speedscope must name the
# importer it chose, finish the import, and warn about nothing (mismatched or unclosed slices).
# npm installs into this test's temp dir, never into the repo; no npm/network/chromium: SKIP.
source "$(dirname "$0")/lib.sh"
command -v npm >/dev/null || skip "npm is not installed"
command -v chromium >/dev/null || skip "chromium is not installed (Debian package chromium)"
export HOME=${HOME:-/root} npm_config_update_notifier=false
timeout 120 npm install --prefix "$TMP/npm" --no-audit --no-fund speedscope >"$TMP/npm.log" 2>&1 ||
	skip "npm install speedscope failed (no network?): $(tail -1 "$TMP/npm.log")"
app=$TMP/npm/node_modules/speedscope/dist/release/index.html
[ -r "$app" ] || fail "speedscope's package has no dist/release/index.html any more"
echo "speedscope $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$TMP/npm/node_modules/speedscope/package.json")"

# open FILE: loads FILE into speedscope; console lines in $TMP/console, the page in $TMP/dom.
open_in_speedscope() {
	local name; name=$(basename "$1")
	printf 'speedscope.loadFileFromBase64("%s", "%s")' "$name" "$(base64 -w0 "$1")" >"$TMP/load.js"
	timeout 90 chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$TMP/chrome" \
		--allow-file-access-from-files --virtual-time-budget=8000 --enable-logging=stderr --v=0 \
		--dump-dom "file://$app#localProfilePath=$TMP/load.js" >"$TMP/dom" 2>"$TMP/chrome.log" || true
	grep 'CONSOLE' "$TMP/chrome.log" | grep -v -e WebGL -e 'GL Driver' | sed 's/^.*CONSOLE[^"]*"//; s/", source: .*//' >"$TMP/console" || true
	echo "speedscope console for $name:"; sed 's/^/    /' "$TMP/console"
}

cap=perf-iperf-stacks-pidtid-01
cp "$TESTROOT/data/perf-script/input/$cap.txt" "$TMP/$cap.perf-script"
"$KILN" convert "$TMP/$cap.perf-script" -o "$TMP/$cap.json" || fail "convert to .json failed"
"$KILN" convert "$TMP/$cap.perf-script" -o "$TMP/$cap.pb.gz" || fail "convert to .pb.gz failed"

open_in_speedscope "$TMP/$cap.json"
grep -q "^import: " "$TMP/console" || skip "headless chromium did not run speedscope here (see its log)"
check "speedscope imports the timeline as Trace Event Format" \
	grep -q "Importing as Trace Event Format profile" "$TMP/console"
check "...without warnings about slices" \
	bash -c "! grep -Eiq 'tried to end|still open|error|warn|unrecognized' '$TMP/console'"
check "...and shows it (title names the file)" grep -q "<title>$cap.json - speedscope" "$TMP/dom"
check "...with iperf's threads" grep -q "iperf (pid" "$TMP/dom"

open_in_speedscope "$TMP/$cap.pb.gz"
check "speedscope imports kiln's pprof" grep -q "Importing as protobuf encoded pprof file" "$TMP/console"
check "...without errors" bash -c "! grep -Eiq 'error|warn|unrecognized' '$TMP/console'"
check "...and shows it" grep -q "<title>$cap.pb.gz - speedscope" "$TMP/dom"
echo PASS
