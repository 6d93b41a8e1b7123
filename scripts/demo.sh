#!/usr/bin/env bash
# make demo: profile a bundled workload, write demo.svg and print the hottest functions.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
KILN=$BUILD/kiln
if [ "$(id -u)" -ne 0 ]; then
	echo "make demo records with perf_event_open and BPF: run it as root (or with CAP_PERFMON + CAP_BPF)" >&2
	exit 1
fi
echo "== kiln record -F 999 -o demo.folded -- $BUILD/workloads/hot3 3"
"$KILN" record -F 999 -o demo.folded -- "$BUILD/workloads/hot3" 3
"$KILN" convert demo.folded -o demo.svg
echo "== wrote demo.svg (open it in a browser: hover, click to zoom, Ctrl-F to search)"
echo "== kiln report -n 10 demo.folded"
"$KILN" report -n 10 demo.folded
