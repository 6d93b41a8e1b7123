#!/usr/bin/env bash
# Timelines from timestamped samples: perf script captures (FlameGraph's test data) converted to
# Chrome Trace Event JSON and Perfetto protobuf. The JSON must nest, name every thread and show,
# per thread, exactly the stacks `kiln collapse --tid` folds; the Perfetto file must decode with
# protoc against proto/perfetto_trace.proto and hold the same tracks and slices.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
command -v protoc >/dev/null || fail "protoc is missing: run 'make deps' (installs protobuf-compiler)"
in=$TESTROOT/data/perf-script/input
proto=$TESTROOT/../proto

for cap in perf-dd-stacks-01 perf-iperf-stacks-pidtid-01 perf-cycles-instructions-01; do
	cp "$in/$cap.txt" "$TMP/$cap.perf-script"
	"$KILN" convert "$TMP/$cap.perf-script" -o "$TMP/$cap.json" || fail "$cap: convert to .json failed"
	"$KILN" convert "$TMP/$cap.perf-script" -o "$TMP/$cap.perfetto-trace" ||
		fail "$cap: convert to .perfetto-trace failed"
	"$KILN" collapse --tid "$in/$cap.txt" >"$TMP/$cap.folded" || fail "$cap: collapse failed"
	protoc --decode=perfetto.protos.Trace --proto_path="$proto" "$proto/perfetto_trace.proto" \
		<"$TMP/$cap.perfetto-trace" >"$TMP/$cap.pftext" || fail "$cap: protoc cannot decode the trace"
	check "$cap: timeline slices give the sampled stacks; Perfetto trace agrees" \
		python3 "$(dirname "$0")/check_timeline.py" "$TMP/$cap.json" "$TMP/$cap.folded" "$TMP/$cap.pftext"
done

# --to names the format whatever the extension; pprof keeps no timestamps: a clear error, no file.
"$KILN" convert --from perf-script --to perfetto "$in/perf-dd-stacks-01.txt" -o "$TMP/dd.bin" ||
	fail "--to perfetto failed"
check "--to perfetto writes a protobuf Trace (field 1, length-delimited)" \
	bash -c "head -c1 '$TMP/dd.bin' | od -An -tx1 | grep -q 0a"
set +e
"$KILN" convert "$TMP/perf-dd-stacks-01.json" -o "$TMP/x.folded" 2>/dev/null; rc_json=$?
"$KILN" convert "$in/../../pprof/stacks.folded" -o "$TMP/none.json" 2>"$TMP/err"; rc=$?
set -e
check "timelines are written, not read" [ $rc_json -ne 0 ]
check "a profile without timestamps cannot become a timeline" [ $rc -ne 0 ]
check "...says how to record one" grep -q "kiln record --timeline" "$TMP/err"
check "...in one line" [ "$(wc -l <"$TMP/err")" -eq 1 ]
check "...and leaves no file" [ ! -e "$TMP/none.json" ]
echo PASS
