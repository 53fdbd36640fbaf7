#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# build-guest.sh OUTDIR
#
# Build the e2e test guest: a Debian 12 kernel plus a busybox-static
# initramfs holding the virtio-net modules, the streamer, migcheck (the
# migration test's streams and memory check) and /init.
# Outputs (all in OUTDIR):
#   vmlinuz            kernel image
#   initramfs.cpio.gz  initramfs
#   streamer           the static streamer (the host uses it too, to compute
#                      the expected stream digest)
#   guest.stamp        what the outputs were built from
# Idempotent: if guest.stamp matches the inputs, nothing is done. The kernel
# .deb is kept in OUTDIR/deb, so changing only /init or the streamer does not
# download again.
#
# Environment:
#   SVQ_GUEST_KERNEL_PKG  kernel package (default: what linux-image-amd64
#                         depends on in the apt lists)

set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
outdir=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
init_src=$here/init.sh
streamer_src=$top/test/e2e/guest/streamer.c
migcheck_src=$top/test/e2e/guest/migcheck.c

# The virtio-net stack. Dependencies are read from each module's .modinfo,
# so this list only names the roots plus the order we expect.
modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
virtio_pci failover net_failover virtio_net"

log() {
	echo "build-guest: $*" >&2
}

die() {
	log "error: $*"
	exit 1
}

for tool in apt-get apt-cache dpkg gcc cpio gzip objcopy; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
busybox=""
for b in /bin/busybox /usr/bin/busybox; do
	# only a static busybox runs in an initramfs without a libc
	if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
		busybox=$b
		break
	fi
done
[ -n "$busybox" ] || die "no static busybox (apt-get install busybox-static)"

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# Two test runs may build at once (different build dirs share nothing, but
# the same OUTDIR must not be half-written by one while the other reads).
exec 9>"$outdir/.lock"
flock 9

# Which kernel: the one the metapackage points at. apt lists may be missing
# on a fresh machine, so update once and retry.
kernel_pkg_lookup() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1
}

kpkg=${SVQ_GUEST_KERNEL_PKG:-}
if [ -z "$kpkg" ]; then
	kpkg=$(kernel_pkg_lookup || true)
	if [ -z "$kpkg" ]; then
		log "apt lists lack linux-image-amd64, running apt-get update"
		apt-get update -qq >&2 || true
		kpkg=$(kernel_pkg_lookup || true)
	fi
fi
have_build() {
	[ -f "$outdir/guest.stamp" ] && [ -f "$outdir/vmlinuz" ] &&
		[ -f "$outdir/initramfs.cpio.gz" ] && [ -x "$outdir/streamer" ]
}

if [ -z "$kpkg" ]; then
	# offline with a previous build: reuse it rather than fail
	if have_build; then
		log "cannot resolve the kernel package; reusing the cached guest"
		exit 0
	fi
	die "cannot find the kernel package linux-image-amd64 depends on"
fi
kver=${kpkg#linux-image-}

stamp=$( {
	echo "kernel=$kpkg"
	sha256sum "$here/build-guest.sh" "$init_src" "$streamer_src" \
		"$migcheck_src" "$busybox" | cut -d' ' -f1
} | sha256sum | cut -d' ' -f1)
stamp="$kpkg $stamp"

if have_build && [ "$(cat "$outdir/guest.stamp")" = "$stamp" ]; then
	log "up to date ($kpkg)"
	exit 0
fi
log "building guest with $kpkg in $outdir"

# Kernel package: download once, keep it.
debdir=$outdir/deb
mkdir -p "$debdir"
# newest matching .deb, if any (the glob stays literal when nothing matches)
find_deb() {
	local f found=""

	for f in "$debdir/${kpkg}"_*_amd64.deb; do
		[ -f "$f" ] && found=$f
	done
	echo "$found"
}
deb=$(find_deb)
if [ -z "$deb" ]; then
	# apt-get download writes to the cwd; as root, skip the _apt sandbox
	# user, which cannot write into OUTDIR
	if ! (cd "$debdir" &&
	      apt-get download -q -o APT::Sandbox::User=root "$kpkg" >&2); then
		# a newer kernel in the lists but no network: keep the old guest
		if have_build; then
			log "apt-get download $kpkg failed; reusing the cached guest"
			exit 0
		fi
		die "apt-get download $kpkg failed"
	fi
	deb=$(find_deb)
	[ -n "$deb" ] || die "apt-get download left no $kpkg .deb in $debdir"
fi

work=$(mktemp -d "$outdir/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "unpacking $(basename "$deb")"
dpkg -x "$deb" "$work/kernel"
moddir=$work/kernel/lib/modules/$kver
[ -f "$work/kernel/boot/vmlinuz-$kver" ] || die "no vmlinuz-$kver in $deb"
[ -d "$moddir" ] || die "no /lib/modules/$kver in $deb"

# Print "name path" for a module, or nothing if it is built in or absent.
find_module() {
	local name=$1 alt=${1//_/-} path

	if grep -qE "/($name|$alt)\.ko$" "$moddir/modules.builtin" 2>/dev/null; then
		return 0
	fi
	path=$(find "$moddir/kernel" \( -name "$name.ko*" -o -name "$alt.ko*" \) |
		head -n 1)
	[ -n "$path" ] || die "module $name is neither built in nor in $kpkg"
	echo "$path"
}

# Modules may be compressed in later kernels; insmod from busybox wants
# plain ELF, so decompress on the host.
plain_module() {
	local src=$1 dst=$2

	case "$src" in
	*.ko) cp "$src" "$dst" ;;
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) die "unknown module format: $src" ;;
	esac
}

modinfo_field() {
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout |
		tr '\0' '\n' | sed -n "s/^$2=//p"
}

root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,lib/modules}

# Depth-first topological sort over .modinfo "depends=", so a module is
# always inserted after everything it needs.
declare -A visited=()
order=()
visit() {
	local name=$1 path dep plain

	[ -z "${visited[$name]:-}" ] || return 0
	visited[$name]=1
	path=$(find_module "$name")
	if [ -z "$path" ]; then
		log "module $name: built in"
		return 0
	fi
	plain=$root/lib/modules/$name.ko
	plain_module "$path" "$plain"
	[ "$(modinfo_field "$plain" vermagic | cut -d' ' -f1)" = "$kver" ] ||
		die "module $name vermagic does not match $kver"
	for dep in $(modinfo_field "$plain" depends | tr ',' ' '); do
		visit "$dep"
	done
	order+=("$name")
}
for m in $modules; do
	visit "$m"
done
printf '%s\n' "${order[@]}" >"$root/etc/modules.order"
log "module order: ${order[*]}"

# busybox applets as symlinks, so /init can call them by name
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done

gcc -static -O2 -Wall -Wextra -o "$work/streamer" "$streamer_src"
cp "$work/streamer" "$root/bin/streamer"
gcc -static -O2 -Wall -Wextra -o "$root/bin/migcheck" "$migcheck_src"
install -m 0755 "$init_src" "$root/init"
# The kernel opens /dev/console for /init before devtmpfs is mounted;
# without root we cannot mknod, and /init reopens the console itself.
if [ "$(id -u)" = 0 ]; then
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
fi

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet) | gzip -9 >"$work/initramfs.cpio.gz"

# Replace outputs atomically; the stamp goes last so an interrupted build
# is redone next time.
rm -f "$outdir/guest.stamp"
mv "$work/kernel/boot/vmlinuz-$kver" "$outdir/vmlinuz.new"
mv "$outdir/vmlinuz.new" "$outdir/vmlinuz"
mv "$work/initramfs.cpio.gz" "$outdir/initramfs.cpio.gz"
mv "$work/streamer" "$outdir/streamer"
echo "$stamp" >"$outdir/guest.stamp"
log "done: $(du -h "$outdir/initramfs.cpio.gz" | cut -f1) initramfs"
