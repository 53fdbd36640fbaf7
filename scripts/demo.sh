#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set the machine up, then run the relay on its default (one port, the
# software device in loopback) with a demo guest: dpdk-testpmd on
# net_virtio_user, forwarding every frame it receives back out, so frames
# circulate guest -> relay -> device -> relay -> guest. The relay prints
# per-queue statistics every second. Stops on Ctrl-C or after DURATION
# seconds (default 30).
#
#   scripts/demo.sh [DURATION] [QUEUE_PAIRS]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${SVQ_BUILD_DIR:-$top/build}
duration=${1:-30}
queues=${2:-1}
case "$duration$queues" in
*[!0-9]*) echo "usage: $0 [DURATION_SECONDS] [QUEUE_PAIRS]" >&2; exit 2 ;;
esac

"$top/scripts/setup.sh"

work=$(mktemp -d /tmp/svq-demo.XXXXXX)
sock=$work/vhost.sock
relay_pid=
guest_pid=
cleanup() {
	set +e	# a peer that already died must not cut the cleanup short
	[ -n "$guest_pid" ] && kill "$guest_pid" 2>/dev/null && wait "$guest_pid" 2>/dev/null
	[ -n "$relay_pid" ] && kill -INT "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
	rm -rf "$work" /dev/hugepages/svq-demo-* /var/run/dpdk/svq-demo-*
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# Two cores: the relay's worker polls on cpu 1, the guest's forwarding
# lcore on cpu 0; both main lcores mostly sleep.
"$build_dir/app/svq-relay" -l 0-1 --no-pci --file-prefix=svq-demo-relay \
	-- --vhost "$sock,queues=$queues" --device sim,mode=loopback,queues="$queues" \
	--stats 1 --duration "$duration" &
relay_pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "demo: the relay did not create $sock" >&2; exit 1; }

dpdk-testpmd -l 0-1 --main-lcore 1 --no-pci --file-prefix=svq-demo-guest \
	--single-file-segments \
	--vdev "net_virtio_user0,path=$sock,queues=$queues" \
	-- --forward-mode=io --auto-start --tx-first --rxq="$queues" --txq="$queues" \
	--nb-cores=1 --stats-period=5 >"$work/guest.log" 2>&1 </dev/null &
guest_pid=$!

wait "$relay_pid" || true
relay_pid=
