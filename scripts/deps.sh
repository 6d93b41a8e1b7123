#!/usr/bin/env bash
# Installs the Debian packages kiln needs to build and test, only those missing.
set -euo pipefail
pkgs=(clang llvm libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev libcmocka-dev
      libprotobuf-c-dev protobuf-c-compiler libmicrohttpd-dev libtraceevent-dev libtracefs-dev
      systemtap-sdt-dev pkg-config linux-perf cppcheck clang-format strace golang-go bpftrace)
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
