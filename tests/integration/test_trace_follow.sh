#!/usr/bin/env bash
# Issue 6, acceptance 1: -f covers a forked child and the program it execs (the kernel adds
# children to the PID filter map at fork); without -f the child stays out.
source "$(dirname "$0")/lib.sh"
need_root

seq="$WORKLOADS/trace_seq"
data="$TMP/data.txt"
head -c 100 /dev/zero >"$data"

"$KILN" trace -f -o "$TMP/f.txt" -- "$seq" "$data" 10 3 fork
sed -E 's/ +(= [^=]*)$/ \1/' "$TMP/f.txt" >"$TMP/f.norm"
child=$(sed -nE 's/^clone\(.*\) = ([0-9]+)$/\1/p' "$TMP/f.norm")
check "the parent's clone returns the child's pid ($child)" [ -n "$child" ]
P=$(printf '[pid %5u]' "$child") # strace's prefix
has() { grep -qxF -- "$1" "$TMP/f.norm" || { cat "$TMP/f.norm"; fail "missing: $1"; }; }
check "the child's execve with its path and argv" grep -qE "^\[pid +$child\] execve\(\"/proc/self/exe\", \[\"trace_seq\", \"child\"\], 0x[0-9a-f]+\) = 0$" "$TMP/f.norm"
has "$P openat(AT_FDCWD, \"/nonexistent/kiln-child\", O_RDONLY) = -1 ENOENT (No such file or directory)"
has "$P +++ exited with 0 +++"
has "wait4($child, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = $child"
n=$(grep -cF "$P getppid() = " "$TMP/f.norm")
check "the exec'd child's 7 getppid calls ($n)" [ "$n" -eq 7 ]
n=$(grep -c "^getppid() = " "$TMP/f.norm")
check "the parent's 3 getppid calls ($n)" [ "$n" -eq 3 ]

"$KILN" trace -c -f -e trace=getppid -o "$TMP/fc.txt" -- "$seq" "$data" 10 3 fork
check "-f -c counts parent and child getppid: 3 + 7" \
	[ "$(awk '$NF=="getppid" {print $4}' "$TMP/fc.txt")" = 10 ]

"$KILN" trace -o "$TMP/nf.txt" -- "$seq" "$data" 10 3 fork
check "without -f the child is not traced" bash -c "! grep -q 'kiln-child\|^\[pid' '$TMP/nf.txt'"
check "without -f the parent still is" grep -q 'wait4(' "$TMP/nf.txt"
