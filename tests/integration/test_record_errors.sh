#!/usr/bin/env bash
# Issue 2, acceptance 6: bad input gives one clear error line and a non-zero exit, no crash.
source "$(dirname "$0")/lib.sh"
need_root

expect_error() { # DESCRIPTION PATTERN ARGS... : exit 1..125 and one error line matching PATTERN
	local what=$1 pattern=$2; shift 2
	set +e; "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?; set -e
	local lines; lines=$(grep -c 'error' "$TMP/err" || true)
	echo "$what: exit $rc: $(grep error "$TMP/err" | head -1)"
	[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || fail "$what: exit status $rc"
	[ "$lines" -eq 1 ] || fail "$what: expected one error line, got $lines: $(cat "$TMP/err")"
	grep -qiE "$pattern" "$TMP/err" || fail "$what: message does not match /$pattern/"
}

expect_error "unknown option" "unknown option.*--bogus" "$KILN" record --bogus -- true
expect_error "missing option argument" "missing argument" "$KILN" record -p
expect_error "no target" "nothing to record" "$KILN" record
expect_error "missing pid" "no process with id 999999" "$KILN" record -p 999999
expect_error "malformed pid" "list of process ids" "$KILN" record -p 12x
expect_error "command not found" "command not found" "$KILN" record -q -o "$TMP/nf.folded" -- /no/such/command
expect_error "unwritable output" "cannot write.*/no/such/dir" "$KILN" record -o /no/such/dir/out.folded -- true
expect_error "unknown output format" "format" "$KILN" record -o "$TMP/out.xyz" -- true
expect_error "bad frequency" "positive integer" "$KILN" record -F abc -- true
expect_error "bad mode" "bpf or perf" "$KILN" record --mode fast -- true
expect_error "bad table memory" "unwind-table-mb.*up to 4096" "$KILN" record --unwind-table-mb 0 -- true

# A kernel feature this machine lacks: hardware cycles in a VM without a PMU.
# perf's output is taken whole first: grep -q quitting early would SIGPIPE perf, and pipefail
# would then read a PMU into a VM.
perf_cycles=$(perf stat -e cycles true 2>&1 || true)
if grep -q 'not supported' <<<"$perf_cycles"; then
	expect_error "missing hardware PMU" "not supported.*cpu-clock" "$KILN" record -e cycles -q -o "$TMP/c.folded" -- true
else
	echo "this machine has a PMU: cycles must work"
	"$KILN" record -e cycles -q -o "$TMP/c.folded" -- "$WORKLOADS/exitcode"
fi

# Unprivileged: the message must say what is missing and what to do.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 755 "$TMP"; cp "$KILN" "$TMP/kiln"; chmod 755 "$TMP/kiln"
	paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
	for mode in bpf perf; do
		expect_error "unprivileged ($mode mode, paranoid=$paranoid)" "perf_event_paranoid.*CAP_PERFMON|CAP_BPF.*perf_event_paranoid|CAP_PERFMON.*CAP_BPF" \
			setpriv --reuid nobody --regid nogroup --clear-groups "$TMP/kiln" record --mode $mode -a -d 1 -o /tmp/kiln-nobody.folded
	done
else
	skip "no 'nobody' user or setpriv to test unprivileged runs"
fi
