#!/usr/bin/env bash
# Overhead of CPU profiling, measured in one run against perf (issue 2 item 7, issue 4 item 5).
# A fixed-work workload pinned to CPU 0 runs under no profiler, kiln (bpf and perf modes) and
# `perf record -a -g`, each recording system-wide at 1 kHz and 10 kHz. For each we report:
#   per-sample cost = (workload CPU time - its CPU time unprofiled + profiler CPU time) / samples,
#     for one run and at the margin (two run lengths), with the fixed cost apart
#   bytes read from the kernel per second (kiln reports it; perf: the size of perf.data)
#   the profiler's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
KILN=$PWD/$BUILD/kiln
WORK=$PWD/$BUILD/workloads/fixedwork
MILLIONS=${MILLIONS:-3000}
REPEAT=${REPEAT:-3}
LONG_FACTOR=${LONG_FACTOR:-3}
# ONLY=REGEX keeps the rows whose "profiler@Hz" matches (e.g. ONLY='kiln bpf|perf -g@'), to
# repeat rows that something else on the machine disturbed.
ONLY=${ONLY:-.}
# KEEP_RUNS=DIR keeps every run's figures there, a file per profiler, rate and kind of run.
KEEP_RUNS=${KEEP_RUNS:-}
TMP=$(mktemp -d /tmp/kiln-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench/record.sh needs root" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf (Debian linux-perf) is needed for the comparison" >&2; exit 1; }

# CPU seconds of one unprofiled workload run of $1 million iterations pinned to CPU 0.
workload_cpu() {
	local cpu _; read -r cpu _ < <("$WORK" -c 0 -r "$1")
	echo "$cpu"
}

# A profiler costs a fixed amount (start-up, loading BPF, symbol tables) plus an amount per
# sample. One run mixes both, and how long it runs decides which dominates, so every profiler
# records a short and a long run of the same workload: the difference in cost over the
# difference in samples is the cost of one more sample, the rest is the fixed cost.
LONG=$((MILLIONS * LONG_FACTOR))
echo "workload: $MILLIONS M iterations (short run), $LONG M (long run), pinned to CPU 0"

# run_once MILLIONS CMD...: prints "samples extra_wl_cpu profiler_cpu profiler_utime bytes
# seconds rss baseline" for one recording of the workload. This VM's CPU speed drifts over
# minutes by more than profiling adds at 1 kHz, so each recording is paired with an
# unprofiled run of the same work just before it, and the workload's extra CPU is the
# difference within the pair.
#
# Nothing but the workload starts while the profiler records: fixedwork pins itself, waits for
# the profiler to start, times itself and lingers, because each helper process (sleep, date,
# taskset, time) brings new stacks and mappings every profiler would pay for.
#
# The profiler's user-space CPU: the kernel splits rusage into user and system time by which
# mode the timer tick (4 ms apart here) lands in, too coarse for the ~10 ms measured here. So
# extra runs (USER_REPEAT, default 5: kiln's varies by a third from run to run, with how many
# addresses it meets for the first time) put an outer perf on the profiler's task, sampling it
# every 250 us of its CPU time: its user-mode samples times 250 us are its user-space CPU; the
# table gives their median, like every other figure (one run that met something new, such as
# a program started meanwhile, moves a mean of five by a fifth of its own excess). Their own
# CPU counts for nothing else, because on this VM each sampling interrupt costs ~28 us, which
# makes the sampled profiler's own CPU about 11% higher.
SELF_PERIOD_NS=250000
USER_REPEAT=${USER_REPEAT:-5}
SELF_SAMPLE=0
run_once() {
	local millions=$1 name=$2; shift 2
	local base; base=$(workload_cpu "$millions")
	local sampler=()
	[ "$SELF_SAMPLE" = 1 ] && sampler=(perf record -q -e cpu-clock -c $SELF_PERIOD_NS -o "$TMP/self.data" --)
	"${sampler[@]}" /usr/bin/time -f "%U %S %M" -o "$TMP/prof.time" "$@" >"$TMP/prof.out" 2>&1 &
	local pid=$!
	"$WORK" -c 0 -b 1.5 -a 0.5 -r "$millions" >"$TMP/wl.out"
	local wl secs; read -r wl secs <"$TMP/wl.out"
	# The profiler is the job's child or grandchild: [perf (sampling it) ->] time -> profiler.
	# Found through /proc rather than pgrep, which would be one more process in the recording.
	# The file holds no newline, so read's status says nothing; the variable does.
	local child=$pid next _
	for _ in $(seq $((${#sampler[@]} > 0 ? 2 : 1))); do
		next=; read -r next _ <"/proc/$child/task/$child/children" || true
		[ -n "$next" ] && child=$next
	done
	kill -INT "$child" 2>/dev/null || true
	wait $pid || true
	local u s rss; read -r u s rss < <(tail -n1 "$TMP/prof.time")
	local cpu; cpu=$(echo "$u + $s" | bc)
	[ "$SELF_SAMPLE" = 1 ] && u=$(perf script -i "$TMP/self.data" -F comm,ip 2>/dev/null |
		awk -v p=$SELF_PERIOD_NS '$1 != "time" && $1 != "perf-exec" && !($NF ~ /^ffff/ && length($NF) == 16) {n++}
		     END {printf "%.4f\n", n * p / 1e9}')
	local samples bytes
	case $name in
	perf*)
		samples=$(perf report -i "$TMP/perf.data" --stats 2>/dev/null | awk '/SAMPLE events:/ {print $3; exit}')
		bytes=$(stat -c %s "$TMP/perf.data")
		# perf --call-graph dwarf unwinds after the fact: perf script is part of its cost.
		# "perf -g+script" is the perf record | perf script pipeline that kiln's symbolized
		# output replaces.
		if [ "$name" = "perf dwarf" ] || [ "$name" = "perf -g+script" ]; then
			/usr/bin/time -f "%U %S" -o "$TMP/script.time" perf script -i "$TMP/perf.data" >/dev/null 2>&1
			read -r su ss < <(tail -n1 "$TMP/script.time")
			u=$(echo "$u + $su" | bc); cpu=$(echo "$cpu + $su + $ss" | bc)
		fi ;;
	*)
		samples=$(sed -n 's/^kiln: \([0-9]*\) samples.*/\1/p' "$TMP/prof.out")
		bytes=$(sed -n 's/.* \([0-9]*\) bytes read from the kernel.*/\1/p' "$TMP/prof.out") ;;
	esac
	echo "${samples:-0} $(echo "$wl - $base" | bc) $cpu $u ${bytes:-0} $secs $rss $base"
}

# Field by field, the median of the lines on stdin.
median_fields() {
	awk '{for (i = 1; i <= NF; i++) v[i, NR] = $i; nf = NF}
	     END {for (i = 1; i <= nf; i++) {
		     n = 0; for (r = 1; r <= NR; r++) a[++n] = v[i, r]
		     for (x = 2; x <= n; x++) for (y = x; y > 1 && a[y - 1] + 0 > a[y] + 0; y--) {
			     t = a[y]; a[y] = a[y - 1]; a[y - 1] = t }
		     printf "%s%s", a[int((n + 1) / 2)], i < nf ? " " : "\n" }}'
}

# The command with which profiler NAME records at HZ, into the array CMD.
profiler_cmd() {
	local name=$1 hz=$2
	case $name in
	"kiln bpf") CMD=("$KILN" record -q --mode bpf --unwind fp -a -F "$hz" -o "$TMP/k.folded") ;;
	"kiln dwarf") CMD=("$KILN" record -q --mode bpf --unwind dwarf -a -F "$hz" -o "$TMP/k.folded") ;;
	"kiln perf") CMD=("$KILN" record -q --mode perf -a -F "$hz" -o "$TMP/k.folded") ;;
	"perf -g" | "perf -g+script") CMD=(perf record -q -a -g -F "$hz" -o "$TMP/perf.data") ;;
	"perf dwarf") CMD=(perf record -q -a --call-graph dwarf -F "$hz" -o "$TMP/perf.data") ;;
	*) echo "bench/record.sh: no profiler named $name" >&2; exit 1 ;;
	esac
}

run_file() { echo "$TMP/runs/$(echo "$1@$2" | tr -c 'A-Za-z0-9@\n' _).$3"; }

# rounds HZ KIND NAME...: REPEAT (USER_REPEAT for KIND user) rounds, each recording once with
# every profiler, the order rotating from round to round. The targets are ratios between
# rows, and this VM's speed (the timer interrupt's cost with it) drifts over minutes: profiler
# after profiler within each round puts the same drift into every row, where row after row
# (a quarter of an hour apart at 10 kHz) would put it into the ratios.
rounds() {
	local hz=$1 kind=$2; shift 2
	local n=$# reps=$REPEAT millions=$MILLIONS sample=0
	[ "$kind" = long ] && millions=$LONG
	[ "$kind" = user ] && { reps=$USER_REPEAT; sample=1; }
	local names=("$@") r i name
	for r in $(seq 0 $((reps - 1))); do
		for i in $(seq 0 $((n - 1))); do
			name=${names[$(((i + r) % n))]}
			profiler_cmd "$name" "$hz"
			SELF_SAMPLE=$sample run_once "$millions" "$name" "${CMD[@]}" >>"$(run_file "$name" "$hz" "$kind")"
		done
	done
}

# row NAME HZ: the table row of one profiler from its runs (medians); they also go to
# $TMP/rows for the ratios at the end.
row() {
	local name=$1 hz=$2 short long user pooled
	short=$(median_fields <"$(run_file "$name" "$hz" short)")
	long=$(median_fields <"$(run_file "$name" "$hz" long)")
	user=$(median_fields <"$(run_file "$name" "$hz" user)" | cut -d' ' -f4)
	# The outer sampler of the user runs watches the profiler only: their samples, the
	# workload's extra CPU and paired unprofiled runs measure the same as the short runs',
	# so those are medians over both. Not the rest: the outer perf adds to the profiler's own
	# CPU, and it is one more process for a system-wide profiler to record (new stacks, more
	# bytes for kiln).
	pooled=$(cat "$(run_file "$name" "$hz" short)" "$(run_file "$name" "$hz" user)" | median_fields)
	short=$(echo "$short $pooled" | awk -v u="$user" '{$1 = $9; $2 = $10; $8 = $16; $4 = u; NF = 8; print}')
	echo "$name|$hz|$short|$long" >>"$TMP/rows"
	awk -v n="$name" -v hz="$hz" -v a="$short" -v b="$long" 'BEGIN {
		split(a, S, " "); split(b, L, " ")
		# S[1] samples, S[2] extra workload CPU, S[3] profiler CPU, S[4] its user CPU,
		# S[5] bytes, S[6] seconds, S[7] RSS, S[8] the paired unprofiled run
		xs = S[2] < 0 ? 0 : S[2]; xl = L[2] < 0 ? 0 : L[2]
		per = S[1] > 0 ? (xs + S[3]) * 1e6 / S[1] : 0
		ds = L[1] - S[1]
		mcost = ds > 0 ? ((xl + L[3]) - (xs + S[3])) * 1e6 / ds : 0
		mown = ds > 0 ? (L[3] - S[3]) * 1e6 / ds : 0
		fixed = S[3] - (L[3] - S[3]) * (ds > 0 ? S[1] / ds : 0)
		mbytes = ds > 0 ? (L[5] - S[5]) / ds : 0
		printf "| %-14s | %5s | %7d | %6.2f | %5.1f | %6.1f | %6.2f | %5.2f | %5.2f | %5.2f | %5.2f | %8.0f | %7.1f | %6d |\n",
		       n, hz, S[1], S[8], per, mcost, mown, fixed, S[4], L[4], S[3], S[5] / S[6], mbytes, S[7]
	}'
}

# profile_hz HZ NAME...: the rows of the profilers (those ONLY keeps) at HZ.
profile_hz() {
	local hz=$1 name names=(); shift
	for name in "$@"; do [[ "$name@$hz" =~ $ONLY ]] && names+=("$name"); done
	[ ${#names[@]} -gt 0 ] || return 0
	local kind
	for kind in short long user; do rounds "$hz" "$kind" "${names[@]}"; done
	for name in "${names[@]}"; do row "$name" "$hz"; done
}

# paired_ratio A B HZ FIELD: the median over rounds of A's figure over B's in the same round
# (FIELD cost: per-sample cost, over the short and the user rounds; user: sampled user CPU).
paired_ratio() {
	local sa ua sb ub
	sa=$(run_file "$1" "$3" short) ua=$(run_file "$1" "$3" user)
	sb=$(run_file "$2" "$3" short) ub=$(run_file "$2" "$3" user)
	[ -s "$sa" ] && [ -s "$sb" ] && [ -s "$ua" ] && [ -s "$ub" ] || { echo n/a; return; }
	# Rounds of short and user runs alike (see row), each with the median own CPU of the
	# profiler's short runs: the outer sampler adds to the user runs' own.
	local oa ob
	oa=$(median_fields <"$sa" | cut -d' ' -f3) ob=$(median_fields <"$sb" | cut -d' ' -f3)
	local a=("$sa" "$ua") b=("$sb" "$ub")
	[ "$4" = user ] && a=("$ua") b=("$ub")
	paste -d' ' <(cat "${a[@]}") <(cat "${b[@]}") | awk -v f="$4" -v oa="$oa" -v ob="$ob" '
		function cost(s, x, o) { return s > 0 ? ((x < 0 ? 0 : x) + o) / s : 0 }
		{ if (f == "user") { num = $4; den = $12 } else { num = cost($1, $2, oa); den = cost($9, $10, ob) }
		  if (den > 0) r[++n] = num / den }
		END { if (!n) { print "n/a"; exit }
		      for (i = 2; i <= n; i++) for (j = i; j > 1 && r[j - 1] > r[j]; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
		      printf "%.2f\n", n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2 }'
}

echo
echo "Medians, the profilers taking turns within each round: $REPEAT short, $REPEAT long and"
echo "$USER_REPEAT user runs per row. cost: (workload's extra CPU over its paired unprofiled run +"
echo "profiler's own CPU) / samples, for the short run (samples and extra CPU over the short and"
echo "the user runs, own CPU over the short runs); marginal: the same between the long and the"
echo "short run per extra sample; fixed: the short run's own CPU less its samples at the marginal"
echo "rate; user: the profiler's own user-space CPU, sampled in the user runs, and from rusage in"
echo "the long runs."
echo
echo "| profiler | Hz | samples | unprofiled s | cost us/sample | marginal us/sample | marginal own us/sample | fixed own s | own user s (sampled) | own user s (long, rusage) | own CPU s | bytes/s read | marginal bytes/sample | RSS KiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
mkdir -p "$TMP/runs"
# At 10 kHz perf's 8 KiB stack copies make gigabytes: 1 kHz shows the ratio.
profile_hz 1000 "kiln bpf" "kiln dwarf" "kiln perf" "perf -g" "perf -g+script" "perf dwarf"
profile_hz 10000 "kiln bpf" "kiln dwarf" "kiln perf" "perf -g" "perf -g+script"

# The targets (issue 2 item 7, issue 4 item 5) as ratios of the rows above, and as the median
# of the same ratio taken within each round.
echo
awk -F'|' -v pc1="$(paired_ratio "kiln bpf" "perf -g" 1000 cost)" -v pu1="$(paired_ratio "kiln bpf" "perf -g" 1000 user)" \
	-v pc10="$(paired_ratio "kiln bpf" "perf -g" 10000 cost)" -v pu10="$(paired_ratio "kiln bpf" "perf -g" 10000 user)" \
	-v pcd="$(paired_ratio "kiln dwarf" "perf dwarf" 1000 cost)" '
	{ split($3, S, " "); split($4, L, " "); k = $1 "@" $2
	  x = S[2] < 0 ? 0 : S[2]; cost[k] = S[1] > 0 ? (x + S[3]) / S[1] : 0
	  user[k] = S[4]; userl[k] = L[4]; bps[k] = S[6] > 0 ? S[5] / S[6] : 0
	  bpsl[k] = L[6] > 0 ? L[5] / L[6] : 0
	  ds = L[1] - S[1]; xl = L[2] < 0 ? 0 : L[2]
	  mcost[k] = ds > 0 ? ((xl + L[3]) - (x + S[3])) / ds : 0 }
	function ratio(a, b) { return a > 0 && b > 0 ? sprintf("%.2f", a / b) : "n/a" }
	function pct(a, b) { return a > 0 && b > 0 ? sprintf("%.2f%%", 100 * a / b) : "n/a" }
	END {
	  for (hz = 1000; hz <= 10000; hz *= 10) {
	    b = "kiln bpf@" hz; p = "perf -g@" hz
	    printf "%5d Hz, kiln bpf / perf record -g: cost per sample %s (within rounds %s), own user CPU %s (within rounds %s; rusage in the long run %s), bytes read %s (long run %s)\n",
	           hz, ratio(cost[b], cost[p]), hz == 1000 ? pc1 : pc10, ratio(user[b], user[p]), hz == 1000 ? pu1 : pu10,
	           ratio(userl[b], userl[p]), pct(bps[b], bps[p]), pct(bpsl[b], bpsl[p])
	  }
	  d = "kiln dwarf@1000"; f = "kiln bpf@1000"; pd = "perf dwarf@1000"
	  printf " 1000 Hz, kiln dwarf: cost per sample %s of frame pointers, %s of perf --call-graph dwarf + perf script (within rounds %s; marginal %s); bytes read %s of perf dwarf\n",
	         ratio(cost[d], cost[f]), ratio(cost[d], cost[pd]), pcd, ratio(mcost[d], mcost[pd]), pct(bps[d], bps[pd])
	}' "$TMP/rows"

[ -n "$KEEP_RUNS" ] && mkdir -p "$KEEP_RUNS" && cp "$TMP"/runs/* "$KEEP_RUNS"/

# DWARF unwind tables for every process of this (idle) machine: -a loads a process's tables at
# its first sample, --unwind-preload all of them up front.
"$KILN" record -q -a --unwind dwarf --unwind-preload -d 1 -o "$TMP/idle.folded" 2>"$TMP/idle.err"
echo
echo "unwind tables for all processes: $(sed -n 's/.*tables \([0-9.]* MiB for [0-9]* objects\).*/\1/p' "$TMP/idle.err"), $(ls /proc | grep -c '^[0-9]') processes"
