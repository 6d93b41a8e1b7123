#!/usr/bin/env bash
# Processes that change while the BPF DWARF unwinder records them:
# - a child forked meanwhile: BPF copies the parent's mappings at fork (unwind_process_fork)
#   and the harness never adds the child from user space; its stacks must reach main (>= 99%);
# - a library dlopen()ed meanwhile: the first pc outside every known mapping makes the harness
#   rescan (UNWIND_STAT_MAP_MISS); >= 98% of samples must still reach main, and the library's
#   frames must be there.
source "$(dirname "$0")/lib.sh"
need_root
UT="$PWD/$BUILD/tests/tools/unwindtest"
NOFP="$WORKLOADS/nofp"
[ -x "$UT" ] || fail "missing $UT: run make test"
[ -x "$NOFP/forker" ] && [ -x "$NOFP/dlopen" ] || fail "missing $NOFP workloads: run make test"
SECS=${UNWIND_TEST_SECS:-2}
pid= child=
trap 'for p in $child $pid; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
pct() { sed -n "s/.*$1[^(]*(\([0-9.]*\)%).*/\1/p" "$2" | head -1; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a + 0 >= b + 0)}'; }

"$NOFP/forker" 300 & pid=$!
"$UT" record "$pid" "$SECS" 999 >"$TMP/fork.raw" 2>"$TMP/fork.err" & ut=$!
for i in $(seq 200); do [ -s "$TMP/fork.raw" ] && break; sleep 0.1; done # attached
kill -USR1 "$pid"
wait "$ut" || { cat "$TMP/fork.err"; fail "forker: unwindtest record failed"; }
child=$(pgrep -P "$pid" | head -1)
[ -n "$child" ] || fail "forker did not fork"
grep '^C' "$TMP/fork.raw" | "$UT" fold "$child" >"$TMP/fork.folded" 2>"$TMP/fork.fold"
kill "$child" "$pid" 2>/dev/null || true; child= pid=
cat "$TMP/fork.err" "$TMP/fork.fold"
n=$(folded_total "$TMP/fork.folded")
main=$(pct "reaching main" "$TMP/fork.fold")
check "forked child: $n samples (>= 100)" [ "$n" -ge 100 ]
check "forked child: $main% of samples reach main (>= 99)" ge "$main" 99

"$NOFP/dlopen" 300 late & pid=$!
"$UT" record "$pid" "$SECS" 999 >"$TMP/dl.raw" 2>"$TMP/dl.err" & ut=$!
for i in $(seq 200); do [ -s "$TMP/dl.raw" ] && break; sleep 0.1; done # attached
sleep 0.3
kill -USR1 "$pid"
wait "$ut" || { cat "$TMP/dl.err"; fail "dlopen: unwindtest record failed"; }
grep '^B' "$TMP/dl.raw" | "$UT" fold "$pid" >"$TMP/dl.folded" 2>"$TMP/dl.fold"
kill "$pid" 2>/dev/null || true; pid=
cat "$TMP/dl.err" "$TMP/dl.fold"
main=$(pct "reaching main" "$TMP/dl.fold")
plugin=$(folded_share "$TMP/dl.folded" ';main;call_plugin;plugin_work;plugin_leaf$')
check "late dlopen: $main% of samples reach main (>= 98)" ge "$main" 98
check "late dlopen: $plugin% of samples in main;call_plugin;plugin_work;plugin_leaf (>= 20)" \
	[ "$plugin" -ge 20 ]
