#!/usr/bin/env bash
# kiln stat: bad input gives one error line (the column for event strings) and a non-zero exit.
source "$(dirname "$0")/lib.sh"
need_root

expect_error() { # DESCRIPTION PATTERN EXPECTED_RC|any ARGS...
	local what=$1 pattern=$2 want=$3; shift 3
	set +e; "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
	echo "$what: exit $rc: $(head -1 "$TMP/err")"
	[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || fail "$what: exit status $rc"
	[ "$want" = any ] || [ "$rc" = "$want" ] || fail "$what: exit $rc, expected $want"
	[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "$what: expected one line, got: $(cat "$TMP/err")"
	grep -qE -- "$pattern" "$TMP/err" || fail "$what: message does not match /$pattern/"
}

expect_error "bad modifier" "column 8 \('x'\): unknown modifier" 2 "$KILN" stat -e cycles:x -- true
expect_error "misspelt event" "column 12 \('c'\): unknown event 'cylces'" 2 "$KILN" stat -e task-clock,cylces -- true
expect_error "unclosed group" "missing '\}'" 2 "$KILN" stat -e '{cycles,instructions' -- true
expect_error "unknown PMU" "no PMU named 'nopmu'" 2 "$KILN" stat -e 'nopmu/event=0x3c/' -- true
expect_error "unknown tracepoint" "no tracepoint sched:nosuch" 2 "$KILN" stat -e sched:nosuch -- true
expect_error "unknown option" "unknown option '--bogus'" 2 "$KILN" stat --bogus -- true
expect_error "missing argument" "missing its argument" 2 "$KILN" stat -e
expect_error "nothing to count" "nothing to count" 2 "$KILN" stat
expect_error "-A without -a" "-A .*needs -a" 2 "$KILN" stat -A -- true
expect_error "bad interval" "-I wants a whole number" 2 "$KILN" stat -I 5x -- true
expect_error "bad repeat" "-r wants a whole number" 2 "$KILN" stat -r 0 -- true
expect_error "bad cpu" "CPU 4096 is not online" any "$KILN" stat -C 4096 -- true
expect_error "missing pid" "no process with id 999999" any "$KILN" stat -p 999999
expect_error "command not found" "cannot run '/no/such/cmd': command not found" 127 "$KILN" stat -- /no/such/cmd
expect_error "unwritable output" "cannot write /no/such/dir/out" any "$KILN" stat -o /no/such/dir/out -- true

# A failed run leaves no output file, not even a partial one.
expect_error "no file on error" "command not found" 127 "$KILN" stat -o "$TMP/o.txt" -- /no/such/cmd
check "no output file after a failed run" [ ! -e "$TMP/o.txt" ]
check "no temporary left behind" [ -z "$(ls "$TMP" | grep 'o.txt')" ]

# Unprivileged, with perf_event_paranoid >= 2: like perf, count user space (":u") rather than
# fail; an explicit kernel-only event is refused with what to do.
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null && [ "$paranoid" -ge 2 ]; then
	chmod 755 "$TMP"; cp "$KILN" "$TMP/kiln"; chmod 755 "$TMP/kiln"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	as_nobody "$TMP/kiln" stat -e task-clock,context-switches -- "$WORKLOADS/getppid_loop" 1000 2>"$TMP/u.txt"
	cat "$TMP/u.txt"
	check "unprivileged: task-clock:u counted" grep -Eq '^ +[0-9.]+ msec task-clock:u ' "$TMP/u.txt"
	expect_error "unprivileged kernel-only event" "no permission to count page-faults:k.*perf_event_paranoid" 1 \
		as_nobody "$TMP/kiln" stat -e page-faults:k -- true
else
	echo "not checking unprivileged use (paranoid $paranoid, or no nobody/setpriv)"
fi
