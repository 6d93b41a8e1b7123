#!/usr/bin/env bash
# Issue 5, acceptance 4: kiln list shows USDT probes with their argument specs (as readelf -n
# reads them), tracepoints exactly as tracefs has them, and a binary's functions.
source "$(dirname "$0")/lib.sh"
need_root
command -v readelf >/dev/null || skip "readelf (binutils) is needed to check the probes"
BIN=$WORKLOADS/sdt_probes

# USDT: provider:name, location, base, semaphore and arguments, probe for probe.
"$KILN" list usdt "$BIN" >"$TMP/usdt.txt"
cat "$TMP/usdt.txt"
awk '{printf "%s %s %s %s", $1, $3, $5, $7; $1=$2=$3=$4=$5=$6=$7=$8=""; sub(/^ +/, ""); print " " $0}' "$TMP/usdt.txt" |
	sed 's/,//g; s/ (none)$/ /' >"$TMP/kiln.usdt"
readelf -n "$BIN" | awk '
	/Provider:/ {p=$2} /Name:/ {n=$2}
	/Location:/ {gsub(/,/, ""); loc=$2; base=$4; sem=$6}
	/Arguments:/ {sub(/^ *Arguments: */, ""); printf "%s:%s %s %s %s %s\n", p, n, loc, base, sem, $0}' |
	python3 -c 'import sys
for l in sys.stdin:
    f = l.rstrip("\n").split(" ", 4)
    print(f[0], *(hex(int(x, 16)) for x in f[1:4]), f[4])' >"$TMP/readelf.usdt"
sed -i 's/ *$//' "$TMP/kiln.usdt" "$TMP/readelf.usdt"
diff "$TMP/readelf.usdt" "$TMP/kiln.usdt" || fail "kiln list usdt differs from readelf -n (< readelf, > kiln)"
check "4 probes listed" [ "$(wc -l <"$TMP/kiln.usdt")" = 4 ]
check "the three-argument probe's specs" grep -q "kiln:guarded .* -8@.* -4@.* 8@" "$TMP/kiln.usdt"
check "GLOB filter" [ "$("$KILN" list usdt "$BIN" 'kiln:st*' | awk '{print $1}' | tr '\n' ' ')" = "kiln:start kiln:step " ]

# Tracepoints: sched:* is exactly tracefs's events/sched directories.
TRACEFS=$(awk '$3 == "tracefs" {print $2; exit}' /proc/mounts)
[ -n "$TRACEFS" ] || skip "tracefs is not mounted"
"$KILN" list tracepoint 'sched:*' | awk '{print $1}' >"$TMP/kiln.tp"
(cd "$TRACEFS/events/sched" && for d in */; do echo "sched:${d%/}"; done) | sort >"$TMP/tracefs.tp"
diff "$TMP/tracefs.tp" "$TMP/kiln.tp" || fail "kiln list tracepoint 'sched:*' differs from tracefs"
echo "ok: $(wc -l <"$TMP/kiln.tp") sched tracepoints, as in $TRACEFS/events/sched"
"$KILN" list tracepoint | awk '{print $1}' | sort >"$TMP/kiln.all"
grep -v '^ftrace:' "$TRACEFS/available_events" | sed 's/^\([^:]*\):/\1:/' | sort >"$TMP/avail"
check "every available tracepoint is listed" [ -z "$(comm -23 "$TMP/avail" "$TMP/kiln.all")" ]
"$KILN" list -v tracepoint sched:sched_switch >"$TMP/v.txt"
cat "$TMP/v.txt"
check "-v shows the format's fields" grep -q "pid_t prev_pid; offset" "$TMP/v.txt"
check "-v fields are those of the format file" [ "$(grep -c 'offset' "$TMP/v.txt")" = \
	"$(grep -c 'field:' "$TRACEFS/events/sched/sched_switch/format" | awk '{print $1 - 4}')" ]

# uprobe: the defined functions with a size, as readelf -s has them.
"$KILN" list uprobe "$BIN" | awk '{print $1}' | sort -u >"$TMP/kiln.fn"
readelf -sW "$BIN" | awk '$4 == "FUNC" && $3 != "0" && $7 != "UND" {sub(/@.*/, "", $8); print $8}' | sort -u >"$TMP/readelf.fn"
diff "$TMP/readelf.fn" "$TMP/kiln.fn" || fail "kiln list uprobe differs from readelf -s"
check "main is a uprobe target" grep -qx main "$TMP/kiln.fn"

# Software events open here; the hardware ones only where perf stat counts them.
"$KILN" list sw >"$TMP/sw.txt"
check "task-clock is listed" grep -q '^  task-clock ' "$TMP/sw.txt"
perf_cycles=$(perf stat -e cycles true 2>&1 || true) # whole: grep -q may SIGPIPE perf
if grep -q 'not supported' <<<"$perf_cycles"; then
	check "no hardware events on a machine without a PMU" [ -z "$("$KILN" list hw)" ]
fi
check "PMU events from sysfs" sh -c "\"$KILN\" list pmu | grep -q '/'"

set +e; "$KILN" list usdt /no/such/binary 2>"$TMP/err"; rc=$?; set -e
check "missing binary: one error line" [ $rc = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ]
set +e; "$KILN" list usdt /etc/passwd 2>"$TMP/err"; rc=$?; set -e
check "not an ELF file: one error line" grep -q "not an ELF" "$TMP/err"
