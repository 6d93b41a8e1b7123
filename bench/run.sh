#!/usr/bin/env bash
# make bench: every benchmark, each printing its own table.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for b in bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $b"
	bash "$b" || status=1
done
exit $status
