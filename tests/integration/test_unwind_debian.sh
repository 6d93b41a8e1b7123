#!/usr/bin/env bash
# Debian's own binaries, built without frame pointers and without debug packages: python3 in a
# busy loop and gzip on a large file. The BPF DWARF unwinder must take >= 95% of samples to
# the outermost frame (_start, unnamed when stripped) through __libc_start_main: their main
# is not in .dynsym to name it.
source "$(dirname "$0")/lib.sh"
need_root
UT="$PWD/$BUILD/tests/tools/unwindtest"
[ -x "$UT" ] || fail "missing $UT: run make test"
SECS=${UNWIND_TEST_SECS:-3}
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$TMP"' EXIT

run() { # NAME: samples the process $pid and checks the share
	local name=$1 i
	for i in $(seq 50); do # past the fork's exec, on a busy machine
		[[ $(readlink "/proc/$pid/exe") == *"$name"* ]] && break
		sleep 0.1
	done
	sleep 0.5
	"$UT" record "$pid" "$SECS" 999 >"$TMP/$name.raw" 2>"$TMP/$name.err" ||
		{ cat "$TMP/$name.err"; fail "$name: unwindtest record failed"; }
	grep '^B' "$TMP/$name.raw" | "$UT" fold "$pid" >"$TMP/$name.folded" 2>/dev/null
	kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=
	cat "$TMP/$name.err"
	local n share
	n=$(folded_total "$TMP/$name.folded")
	share=$(folded_share "$TMP/$name.folded" '^[^;]+;__libc_start_main;')
	sort -t' ' -k2 -rn "$TMP/$name.folded" 2>/dev/null | head -3 | cut -c1-200
	[ "$n" -ge 100 ] || fail "$name: only $n samples"
	check "$name: $share% of $n samples unwound to the outermost frame through __libc_start_main (>= 95)" \
		[ "$share" -ge 95 ]
}

command -v python3 >/dev/null || skip "python3 not installed"
python3 -c 'while True: pass' & pid=$!
run python3

seq 1 40000000 >"$TMP/big.txt"
gzip -c -6 "$TMP/big.txt" >/dev/null & pid=$!
run gzip
