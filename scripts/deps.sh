#!/usr/bin/env bash
# Installs the Debian packages kiln needs to build and test, only those missing.
set -euo pipefail
pkgs=(
	# build
	clang llvm libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev libprotobuf-c-dev
	protobuf-c-compiler libmicrohttpd-dev libtraceevent-dev libtracefs-dev pkg-config
	libiberty-dev       # C++ and Rust demangling
	libdebuginfod-dev   # debug info by build id when DEBUGINFOD_URLS is set
	# tests and checks
	libcmocka-dev systemtap-sdt-dev cppcheck clang-format
	linux-perf strace bpftrace  # the peers the tests compare with
	golang-go           # go tool pprof reads kiln's pprof
	protobuf-compiler   # protoc --decode checks kiln's Perfetto traces
	chromium            # the SVG flame graph (and speedscope) are checked in a headless browser
	nodejs              # a JIT that publishes perf maps (its npm, where bundled, brings speedscope)
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "kiln: missing packages: ${missing[*]}; run 'make deps' as root or install them with apt-get" >&2
	exit 1
fi
echo "kiln: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
