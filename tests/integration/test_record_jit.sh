#!/usr/bin/env bash
# Issue 4, acceptance 4 (JIT part): a runtime that publishes a perf map (Node --perf-basic-prof
# writes /tmp/perf-PID.map) gets its JIT-compiled function named (V8 calls it "JS:*hotLoop FILE:1:N")
# and marked _[j] like perf.
source "$(dirname "$0")/lib.sh"
need_root
command -v node >/dev/null || skip "node not installed (it is the JIT runtime this test drives)"
cat > "$TMP/hot.js" <<'JS'
function hotLoop(n) { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003; return x; }
const end = Date.now() + 2500; let s = 0;
while (Date.now() < end) s += hotLoop(100000);
if (s < 0) console.log(s);
JS
# The map outlives node; remove the one this run made.
marker=$(mktemp /tmp/kiln-jit-start.XXXXXX)
trap 'find /tmp -maxdepth 1 -name "perf-*.map" -newer "$marker" -exec grep -l "$TMP/hot.js" {} + 2>/dev/null | xargs -r rm -f; rm -f "$marker"; rm -rf "$TMP"' EXIT
# From inside $TMP: V8 also writes an isolate-*.log into the current directory.
(cd "$TMP" && "$KILN" record -F 499 -q -o "$TMP/node.pb.gz" -- node --perf-basic-prof hot.js)
"$KILN" convert --annotate "$TMP/node.pb.gz" -o "$TMP/node.folded"
share=$(folded_share "$TMP/node.folded" ';JS:[*~^]?hotLoop [^;]*hot[.]js:1:[0-9]+')
jit=$(folded_share "$TMP/node.folded" ';JS:[*~^]?hotLoop [^;]*hot[.]js:1:[0-9]+_[[]j[]]')
echo "samples in the JIT-compiled hotLoop: $share% of $(folded_total "$TMP/node.folded"), $jit% marked _[j]"
check "the JIT-compiled function is named in most samples" test "$share" -ge 50
check "its frames are JIT frames (through pprof: the perf map is their mapping)" test "$jit" -eq "$share"
