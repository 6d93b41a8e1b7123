#!/usr/bin/env bash
# Issue 6, acceptance 5: bad input gives one clear error line and a non-zero exit, never a crash,
# hang or partial output file; a traced PID that exits ends the trace cleanly.
source "$(dirname "$0")/lib.sh"
need_root

expect_error() { # DESCRIPTION PATTERN ARGS... : exit 1..125 and one error line matching PATTERN
	local what=$1 pattern=$2; shift 2
	set +e; timeout 20 "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
	local lines; lines=$(grep -c 'error' "$TMP/err" || true)
	echo "$what: exit $rc: $(grep error "$TMP/err" | head -1)"
	[ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] || fail "$what: exit status $rc"
	[ "$lines" -eq 1 ] || fail "$what: expected one error line, got $lines: $(cat "$TMP/err")"
	grep -qiE -- "$pattern" "$TMP/err" || fail "$what: message does not match /$pattern/"
}

expect_error "unknown syscall suggests the closest" "unknown syscall 'opnat'; did you mean 'openat'" \
	"$KILN" trace -e trace=opnat -- true
expect_error "unknown syscall in a list" "did you mean 'getppid'" "$KILN" trace -e trace=read,getpid,getppdi -- true
expect_error "unknown class" "unknown class.*%file" "$KILN" trace -e trace=%files -- true
expect_error "kprobe on this kernel" "no kprobes|kprobes are not supported" "$KILN" trace -e k:do_sys_openat2 -- true
expect_error "kretprobe on this kernel" "no kprobes|kprobes are not supported" "$KILN" trace -e kr:do_sys_openat2 -- true
expect_error "fentry request" "fentry/fexit are not supported" "$KILN" trace -e fentry:do_sys_openat2 -- true
expect_error "no target" "exactly one of" "$KILN" trace -c
expect_error "two targets" "exactly one of" "$KILN" trace -a -- true
expect_error "missing pid" "no process with id 999999" "$KILN" trace -p 999999
expect_error "bad duration" "milliseconds" "$KILN" trace --duration 1x -- true
expect_error "unknown option" "unknown or incomplete option" "$KILN" trace --bogus -- true
expect_error "command not found" "cannot run /no/such/cmd" "$KILN" trace -o "$TMP/nf.txt" -- /no/such/cmd
check "no output file left by a failed run" [ ! -e "$TMP/nf.txt" ]
expect_error "unwritable output" "/no/such/dir" "$KILN" trace -o /no/such/dir/t.txt -- true

# The command's exit status is kiln's, as with strace.
set +e; "$KILN" trace -o "$TMP/x.txt" -- sh -c 'exit 7'; rc=$?; set -e
check "exit status of the traced command is passed on ($rc)" [ "$rc" -eq 7 ]

# A PID that exits while traced: the trace ends by itself, cleanly, with the exit shown.
sleep 1 &
pid=$!
start=$(date +%s%N)
set +e; timeout 20 "$KILN" trace -p "$pid" -o "$TMP/p.txt"; rc=$?; set -e
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "trace -p ends when the process exits (rc $rc after $ms ms)" [ "$rc" -eq 0 ] && [ "$ms" -lt 5000 ]
check "its exit is the last line" bash -c "tail -1 '$TMP/p.txt' | grep -qx '+++ exited with 0 +++'"
check "exit_group is shown unfinished" grep -qE '^exit_group\(0\) += \?$' "$TMP/p.txt"
wait "$pid" 2>/dev/null || true

# SIGINT stops a system-wide trace and still prints the summary.
"$KILN" trace -a -c -o "$TMP/a.txt" &
kpid=$!
sleep 1.5
kill -INT "$kpid"
set +e; wait "$kpid"; rc=$?; set -e
check "-a -c stops on SIGINT with status 0 ($rc)" [ "$rc" -eq 0 ]
check "-a -c printed a summary with a total" grep -q ' total$' "$TMP/a.txt"
