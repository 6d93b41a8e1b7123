# Shared helpers for integration tests: source it first. Tests run as root on the real kernel.
set -euo pipefail
: "${KILN:?run through tests/run.sh or make test}"
TMP=$(mktemp -d /tmp/kiln-it.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { # check DESCRIPTION COMMAND... : runs the command, fails the test with the description
	local what=$1; shift
	if "$@"; then echo "ok: $what"; else fail "$what"; fi
}
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (perf_event_open and BPF)"; }

# Share (percent, integer) of the folded lines whose stack matches the regex, by count.
folded_share() { # FILE REGEX
	awk -v re="$2" '{n=$NF; t+=n; s=$0; sub(/ [0-9]+$/,"",s); if (s ~ re) m+=n}
		END {if (t==0) print 0; else printf "%d\n", (100*m/t)+0.5}' "$1"
}
folded_total() { awk '{t+=$NF} END {print t+0}' "$1"; }
within() { # VALUE TARGET TOLERANCE
	local d=$(( $1 - $2 )); [ ${d#-} -le "$3" ]
}
