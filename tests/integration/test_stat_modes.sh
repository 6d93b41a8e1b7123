#!/usr/bin/env bash
# Issue 5, acceptance 3: -I intervals add up to the totals, -r N prints mean +- error, -x, is
# CSV and --json is JSON; also per-CPU (-a -A, -C), -p and -o.
source "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is needed to parse CSV and JSON"
W=$WORKLOADS
EV=syscalls:sys_enter_getppid,page-faults,context-switches,task-clock

# -I 100: 100000 getppid calls spread over ~0.5 s. CSV interval lines start with the time.
"$KILN" stat -I 100 -x, -e $EV -- "$W/getppid_loop" 100000 10 50 2>"$TMP/i.csv"
python3 - "$TMP/i.csv" <<'PY'
import csv, sys
intervals, totals, times = {}, {}, set()
for row in csv.reader(open(sys.argv[1])):
    if not row:
        continue
    if row[0].strip().replace('.', '').isdigit() and len(row) >= 8 and row[0].startswith(' '):
        t, value, unit, event = row[0], row[1], row[2], row[3]
        times.add(t)
        v = 0.0 if value.startswith('<') else float(value)
        intervals[event] = intervals.get(event, 0.0) + v
    else:
        totals[row[2]] = float(row[0])
print("intervals:", len(times), "sums:", intervals, "totals:", totals)
assert len(times) >= 4, "expected at least 4 intervals over 0.5 s"
assert totals["syscalls:sys_enter_getppid"] == 100000
for ev, total in totals.items():
    # task-clock prints msec with 2 decimals: rounding per line
    tol = 0.006 * len(times) if ev == "task-clock" else 0
    assert abs(intervals[ev] - total) <= tol, (ev, intervals[ev], total)
print("ok: intervals sum to the totals")
PY

# --json, with intervals too: every line is one JSON object with perf's keys.
"$KILN" stat --json -e $EV -- "$W/getppid_loop" 100000 2>"$TMP/j.txt"
"$KILN" stat --json -I 100 -e $EV -- "$W/getppid_loop" 100000 4 60 2>"$TMP/ji.txt"
python3 - "$TMP/j.txt" "$TMP/ji.txt" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == 4, lines
keys = {"counter-value", "unit", "event", "event-runtime", "pcnt-running", "metric-value", "metric-unit"}
for o in lines:
    assert keys <= set(o), o
by = {o["event"]: o for o in lines}
assert float(by["syscalls:sys_enter_getppid"]["counter-value"]) == 100000
assert by["task-clock"]["unit"] == "msec" and by["task-clock"]["metric-unit"] == "CPUs utilized"
iv = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
assert any("interval" in o for o in iv)
s = sum(float(o["counter-value"]) for o in iv if "interval" in o and o["event"] == "syscalls:sys_enter_getppid" and not o["counter-value"].startswith("<"))
assert s == 100000, s
print("ok: --json lines parse,", len(lines), "events,", len(iv), "lines with intervals")
PY

# -x, : CSV with perf's columns; -x';' too.
"$KILN" stat -x, -- "$W/getppid_loop" 1000 2>"$TMP/c.csv"
"$KILN" stat -x';' -e task-clock,cycles -- "$W/getppid_loop" 1000 2>"$TMP/c2.csv"
python3 - "$TMP/c.csv" "$TMP/c2.csv" <<'PY'
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if r]
assert len(rows) == 8, rows  # perf's default event set
for r in rows:
    assert len(r) == 7, r
    assert r[0] == "<not supported>" or float(r[0]) >= 0, r
    int(r[3]); float(r[4])
assert [r[2] for r in rows][:4] == ["task-clock", "context-switches", "cpu-migrations", "page-faults"]
rows2 = [r for r in csv.reader(open(sys.argv[2]), delimiter=';') if r]
assert [r[2] for r in rows2] == ["task-clock", "cycles"] and all(len(r) == 7 for r in rows2), rows2
print("ok: CSV parses,", len(rows), "rows")
PY

# -r 5: runs of 1000, 2000 ... 5000 calls (a counter file tells each run its turn). The mean is
# 3000 (plus whatever the shell adds, the same every run) and perf's "+-" is the standard error:
# stddev(1000..5000)/sqrt(5) = 707.1, 23.57% of 3000.
echo 0 >"$TMP/turn"
cat >"$TMP/step.sh" <<SH
n=\$(cat $TMP/turn); n=\$((n + 1)); echo \$n >$TMP/turn
exec "$W/getppid_loop" \$((n * 1000))
SH
"$KILN" stat -r 5 -x, -e syscalls:sys_enter_getppid,task-clock -- sh "$TMP/step.sh" 2>"$TMP/r.csv"
cat "$TMP/r.csv"
check "five runs happened" [ "$(cat "$TMP/turn")" = 5 ]
python3 - "$TMP/r.csv" <<'PY'
import csv, sys
rows = {r[2]: r for r in csv.reader(open(sys.argv[1])) if r}
g = rows["syscalls:sys_enter_getppid"]
mean, var = float(g[0]), float(g[3].rstrip('%'))
assert 3000 <= mean <= 3010, mean
assert abs(var - 100 * 707.1068 / mean) < 0.02, (var, mean)
assert rows["task-clock"][3].endswith('%')
print("ok: -r 5 mean", mean, "+-", var, "%")
PY
"$KILN" stat -r 5 -e task-clock,page-faults -- "$W/getppid_loop" 1000 2>"$TMP/r.txt"
cat "$TMP/r.txt"
check "-r text header says 5 runs" grep -q "Performance counter stats for .* (5 runs):" "$TMP/r.txt"
check "-r elapsed is mean +- error" grep -Eq '^ +[0-9.]+ \+- [0-9.]+ seconds time elapsed  \( \+- +[0-9.]+% \)' "$TMP/r.txt"
check "-r task-clock has its +- column" grep -Eq 'task-clock .*\( \+- +[0-9.]+% \)' "$TMP/r.txt"

# -a -A: one line per online CPU and event; -C 0: CPU 0 only.
ncpu=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
"$KILN" stat -a -A -x, -e task-clock,context-switches -- sleep 0.2 2>"$TMP/a.csv"
cat "$TMP/a.csv"
check "-a -A: $ncpu CPUs x 2 events" [ "$(grep -c '^CPU[0-9]*,' "$TMP/a.csv")" = $((2 * ncpu)) ]
check "-a -A: every CPU counted ~0.2 s of task-clock" \
	awk -F, '$4 == "task-clock" && ($2 < 150 || $2 > 400) {bad=1} END {exit bad}' "$TMP/a.csv"
"$KILN" stat -C 0 -A -x, -e task-clock -- sleep 0.1 2>"$TMP/c0.csv"
check "-C 0 -A: CPU0 only" [ "$(cut -d, -f1 "$TMP/c0.csv" | tr '\n' ' ')" = "CPU0 " ]
"$KILN" stat -a -e task-clock -- sleep 0.1 2>"$TMP/a.txt"
check "-a header says system wide" grep -q "stats for 'system wide'" "$TMP/a.txt"

# -p: an existing process, counted until it exits.
"$W/getppid_loop" 100000 20 50 &
pid=$!
sleep 0.1
"$KILN" stat -p $pid -x, -e syscalls:sys_enter_getppid 2>"$TMP/p.csv"
wait $pid || true
n=$(cut -d, -f1 "$TMP/p.csv")
echo "-p counted $n getppid calls of the 100000 (it attached late)"
check "-p counts part of the calls" [ "$n" -gt 0 ] && [ "$n" -lt 100000 ]

# -o FILE: the counts go to FILE, the command's output stays where it was.
"$KILN" stat -o "$TMP/out.txt" -e task-clock -- echo hello >"$TMP/stdout" 2>"$TMP/stderr"
check "-o: counts in the file" grep -q task-clock "$TMP/out.txt"
check "-o: nothing on stderr" [ ! -s "$TMP/stderr" ]
check "-o: the command's stdout untouched" [ "$(cat "$TMP/stdout")" = hello ]
