#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Prepare a Debian 12 machine for svq-relay and build it. Idempotent: run it
# as often as you like; it only installs, reserves or builds what is missing.
#
#   scripts/setup.sh [--no-test-deps]
#
# Environment: SVQ_HUGEPAGES (2 MiB pages to reserve, default 1024),
#              SVQ_BUILD_DIR (default build).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${SVQ_BUILD_DIR:-$top/build}
want_pages=${SVQ_HUGEPAGES:-1024}
test_deps=1
[ "${1:-}" = "--no-test-deps" ] && test_deps=0

die() {
	echo "setup: error: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root: it installs packages, reserves hugepages and creates vhost-user sockets"

build_pkgs=(gcc libc6-dev pkg-config meson ninja-build libdpdk-dev libnuma-dev
	libjansson-dev libcunit1-dev)
# dpdk-testpmd is a test peer (net_virtio_user guest); QEMU boots the
# end-to-end guest; the guest image is made from a Debian kernel and busybox.
# clang-14 and its runtimes (libFuzzer, sanitizers) build the fuzz targets.
test_pkgs=(dpdk-dev qemu-system-x86 busybox-static cpio iproute2 kmod
	python3 procps clang-14 libclang-rt-14-dev)
pkgs=("${build_pkgs[@]}")
[ "$test_deps" = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || die "apt-get update failed (no access to Debian's package registry?)"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi

# Hugepages: DPDK's memory, and the guests' (net_virtio_user shares it).
if ! mount | grep -q "^[^ ]* on /dev/hugepages type hugetlbfs"; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages ||
		die "cannot mount hugetlbfs on /dev/hugepages"
fi
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$want_pages" ]; then
	echo "$want_pages" > /proc/sys/vm/nr_hugepages
	have=$(cat /proc/sys/vm/nr_hugepages)
	[ "$have" -ge "$want_pages" ] ||
		die "only $have of $want_pages 2 MiB hugepages could be reserved: free memory (or reboot) and run again, or set SVQ_HUGEPAGES lower"
fi

if [ ! -f "$build_dir/build.ninja" ]; then
	meson setup "$build_dir" "$top" >/dev/null || die "meson setup failed"
fi
ninja -C "$build_dir" >/dev/null || die "build failed: run 'ninja -C $build_dir' to see why"
echo "setup: ready ($have hugepages, build in $build_dir)"
