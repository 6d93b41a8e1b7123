#!/usr/bin/env bash
# Issue 6, acceptance 1: the syscall stream of a known sequence shows each call with the right
# arguments, return values and errno names, decoded the way strace decodes them.
source "$(dirname "$0")/lib.sh"
need_root
command -v strace >/dev/null || skip "strace is not installed (scripts/deps.sh installs it)"

seq="$WORKLOADS/trace_seq"
data="$TMP/data.txt"
printf '0123456789abcdefghij%.0s' 1 2 3 4 5 >"$data" # 100 bytes
K=25

"$KILN" trace -o "$TMP/kiln.txt" -- "$seq" "$data" 10 $K
has() { grep -qxF -- "$2" "$TMP/$1" || { echo "--- $1:"; cat "$TMP/$1"; fail "$1 lacks: $2"; }; }
# Column padding aside, each call must read exactly like this.
sed -E 's/ +(= [^=]*)$/ \1/' "$TMP/kiln.txt" >"$TMP/kiln.norm"
has kiln.norm "openat(AT_FDCWD, \"$data\", O_RDONLY) = 3"
has kiln.norm 'newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=100, ...}, AT_EMPTY_PATH) = 0'
has kiln.norm 'read(3, "0123456789", 10) = 10'
has kiln.norm 'openat(AT_FDCWD, "/nonexistent/kiln-trace", O_RDONLY) = -1 ENOENT (No such file or directory)'
has kiln.norm 'openat(AT_FDCWD, "/dev/null", O_WRONLY) = 4'
has kiln.norm 'write(4, "kiln trace workload\n", 20) = 20'
has kiln.norm 'close(3) = 0'
has kiln.norm 'close(4) = 0'
has kiln.norm 'clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=20000000}, NULL) = 0'
has kiln.norm 'exit_group(0) = ?'
has kiln.norm '+++ exited with 0 +++'
n=$(grep -c '^getppid() = [0-9]*$' "$TMP/kiln.norm")
check "exactly $K getppid calls in the stream ($n)" [ "$n" -eq $K ]
check "getppid returns one parent pid" [ "$(grep '^getppid()' "$TMP/kiln.norm" | sort -u | wc -l)" -eq 1 ]
check "the workload's calls come in program order" bash -c \
	"grep -nE '^(openat\\(AT_FDCWD, \"($data|/nonexistent/kiln-trace|/dev/null)\"|read\\(3, \"0|write\\(4|close\\([34]\\)|clock_nanosleep)' '$TMP/kiln.norm' | cut -d: -f1 | sort -nc"

# The same lines from strace, byte for byte (after the same padding normalisation).
strace -o "$TMP/strace.txt" "$seq" "$data" 10 $K
sed -E 's/ +(= [^=]*)$/ \1/' "$TMP/strace.txt" >"$TMP/strace.norm"
# Every call of the run, the dynamic loader's included; addresses and numbers vary per run.
grep -v '^+++' "$TMP/kiln.norm" | sed -E 's/0x[0-9a-f]+/ADDR/g; s/= [0-9]+$/= N/' >"$TMP/k.cmp"
grep -v '^+++' "$TMP/strace.norm" | sed -E 's/0x[0-9a-f]+/ADDR/g; s/= [0-9]+$/= N/' >"$TMP/s.cmp"
# strace spells the trailing env pointer as "ADDR /* N vars */"
sed -i -E 's| /\* [0-9]+ vars \*/||' "$TMP/s.cmp"
if ! diff "$TMP/s.cmp" "$TMP/k.cmp" >"$TMP/diff"; then
	cat "$TMP/diff"; fail "kiln's decoding differs from strace's"
fi
echo "ok: all $(wc -l <"$TMP/k.cmp") calls decoded exactly like strace"

# --json: one object per line, with errno names and decoded arguments.
"$KILN" trace --json -o "$TMP/k.json" -- "$seq" "$data" 10 3
python3 - "$TMP/k.json" "$data" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
calls = [r for r in rows if "syscall" in r]
enoent = [r for r in calls if r["syscall"] == "openat" and r.get("errno") == "ENOENT"
          and r["args"][1] == '"/nonexistent/kiln-trace"']
assert len(enoent) == 1 and enoent[0]["ret"] == -2, enoent
opened = [r for r in calls if r["syscall"] == "openat" and r["args"][1] == '"%s"' % sys.argv[2]]
assert len(opened) == 1 and opened[0]["ret"] == 3 and opened[0]["args"][2] == "O_RDONLY", opened
assert sum(r["syscall"] == "getppid" for r in calls) == 3
assert any(r.get("exit") == 0 for r in rows)
assert all(r["dur_ns"] >= 0 and r["pid"] > 0 for r in calls)
print("ok: --json has %d objects" % len(rows))
PY

# -T and -tt
"$KILN" trace -tt -T -e trace=clock_nanosleep -o "$TMP/t.txt" -- "$seq" "$data" 10 1
grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} clock_nanosleep\(.*= 0 <0\.0[2-9][0-9]{4}>$' "$TMP/t.txt" ||
	{ cat "$TMP/t.txt"; fail "-tt -T format"; }
echo "ok: -tt -T: $(cat "$TMP/t.txt")"

# -o FILE.json: a Chrome trace (Perfetto): calls as slices per thread, process ends as instants.
"$KILN" trace -f -o "$TMP/trace.json" -- "$seq" "$data" 10 3 fork
python3 - "$TMP/trace.json" "$data" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
sl = [e for e in ev if e["ph"] == "X"]
op = [e for e in sl if e["name"] == "openat" and '"%s"' % sys.argv[2] in e["args"]["call"]]
assert len(op) == 1 and op[0]["args"]["call"].endswith(" = 3") and op[0]["dur"] >= 0, op
pids = {e["pid"] for e in sl}
assert len(pids) == 2, pids  # the parent and its exec'd child
ex = [e for e in ev if e["ph"] == "i" and e["name"] == "exit 0"]
assert len(ex) == 2, ex
print("ok: Chrome trace: %d slices on %d processes, %d exits" % (len(sl), len(pids), len(ex)))
PY

# struct sockaddr and protocol names, against strace on a refused TCP connection.
pat='^(socket|connect)\('
"$KILN" trace -e trace=socket,connect -o "$TMP/net.k" -- bash -c 'echo >/dev/tcp/127.0.0.1/9' 2>/dev/null || true
strace -e trace=socket,connect -o "$TMP/net.s" bash -c 'echo >/dev/tcp/127.0.0.1/9' 2>/dev/null || true
grep -E "$pat" "$TMP/net.k" | sed -E 's/ +(= [^=]*)$/ \1/' >"$TMP/net.k2"
grep -E "$pat" "$TMP/net.s" | sed -E 's/ +(= [^=]*)$/ \1/' >"$TMP/net.s2"
check "connect's sockaddr decoded as strace does: $(grep connect "$TMP/net.k2")" \
	bash -c "[ -s '$TMP/net.k2' ] && diff '$TMP/net.s2' '$TMP/net.k2'"
