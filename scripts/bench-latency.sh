#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Round-trip latency (issue P5, part 3). svq-pktcheck --pingpong, a DPDK
# guest on net_virtio_user, sends one 64-byte frame at a time and
# busy-polls until that frame is back, against
#   direct:    dpdk-testpmd --vdev net_vhost0 in io forwarding, port
#              looped to itself (DPDK's own vhost backend; the stand-in of
#              test/integration/common.sh's SVQ_IT_BACKEND=testpmd);
#   poll, adaptive, interrupt:
#              svq-relay + sim loopback, the port's notify= mode.
# One run of each configuration per round, in turn, so all see the same
# load; each run is ROUNDTRIPS timed round trips after 1000 untimed ones.
# Prints per configuration the medians over the runs of each run's median
# and p99, the largest maximum, and the added latency: the median over
# rounds of (this configuration's median - direct's median, same round).
# The guest polls on cpu 0, the backend's forwarding lcore or the relay's
# worker on cpu 1.
#
# usage: scripts/bench-latency.sh [-r RUNS] [-n ROUNDTRIPS] [-c "CONFIGS"]
#                                 [BUILD_DIR]
#   -r RUNS        rounds (default 5)
#   -n ROUNDTRIPS  timed round trips per run (default 20000)
#   -c CONFIGS     among direct poll adaptive interrupt (default: all four;
#                  direct is needed for the added latency)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$top/scripts/bench-lib.sh"
usage() { bench_usage; }

runs=5
trips=20000
configs="direct poll adaptive interrupt"
while getopts "r:n:c:h" opt; do
	case "$opt" in
	r) runs=$OPTARG ;;
	n) trips=$OPTARG ;;
	c) configs=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
case "$runs$trips" in
'' | *[!0-9]*) echo "bench-latency: -r and -n take whole numbers" >&2; usage ;;
esac
for c in $configs; do
	case "$c" in
	direct | poll | adaptive | interrupt) ;;
	*) echo "bench-latency: unknown configuration '$c'" >&2; usage ;;
	esac
done
build=${1:-$top/build}
relay=$build/app/svq-relay
pktcheck=$build/test/tools/svq-pktcheck
for b in "$relay" "$pktcheck"; do
	[ -x "$b" ] || { echo "bench-latency: build first: $b" >&2; exit 1; }
done
case " $configs " in
*" direct "*)
	command -v dpdk-testpmd >/dev/null ||
		{ echo "bench-latency: dpdk-testpmd not found (Debian package dpdk)" >&2; exit 77; } ;;
esac

bench_init bl

# backend CONFIG: start it listening on $work/vhost.sock; sets BACKEND_PID.
backend() {
	rm -f "$work/vhost.sock"
	if [ "$1" = direct ]; then
		dpdk-testpmd -l 0-1 --main-lcore 0 --no-pci --file-prefix=svq-bl-be-$$ \
			--vdev "net_vhost0,iface=$work/vhost.sock,queues=1" -- \
			--forward-mode=io --port-topology=loop --auto-start \
			--nb-cores=1 --stats-period=1 \
			--total-num-mbufs=16384 >"$work/backend.log" 2>&1 &
	else
		"$relay" -l 0-1 --no-pci --file-prefix=svq-bl-be-$$ -- \
			--vhost "$work/vhost.sock,queues=1,notify=$1" \
			--device sim,mode=loopback,queues=1 >"$work/backend.log" 2>&1 &
	fi
	BACKEND_PID=$!
	pids+=("$BACKEND_PID")
	bench_wait_socket "bench-latency ($1)" "$work/vhost.sock" "$work/backend.log"
}

# guest: the LATENCY line of one ping-pong run, or nothing.
guest() {
	"$pktcheck" -l 0 --no-pci --file-prefix=svq-bl-guest-$$ \
		--single-file-segments \
		--vdev "net_virtio_user0,path=$work/vhost.sock,queues=1" -- \
		--pingpong "$trips" --warmup 1000 --size 64 --stall 2000 \
		--timeout 300 >"$work/guest.log" 2>&1
	local rc=$?
	rm -f /dev/hugepages/svq-bl-guest-$$map_*
	if [ "$rc" != 0 ]; then
		echo "bench-latency: guest exited $rc; its log's tail:" >&2
		tail -n 4 "$work/guest.log" >&2
		return
	fi
	grep '^LATENCY ' "$work/guest.log"
}

field() { grep -o " $1=[0-9.]*" | cut -d= -f2; }

echo "# bench-latency: $runs runs, $trips round trips each, 64-byte frames, $(nproc) cpus, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %5s %10s %10s %10s\n" config run median_us p99_us max_us
for (( i = 1; i <= runs; i++ )); do
	for c in $configs; do
		backend "$c"
		line=$(guest)
		kill "$BACKEND_PID" 2>/dev/null
		wait "$BACKEND_PID" 2>/dev/null
		med=$(field median_us <<<"$line")
		echo "$i ${med:--} $(field p99_us <<<"$line") $(field max_us <<<"$line")" \
			>>"$work/$c.txt"
		printf "%-10s %5s %10s %10s %10s\n" "$c" "$i" "${med:--}" \
			"$(field p99_us <<<"$line")" "$(field max_us <<<"$line")"
	done
done

echo
printf "%-10s %12s %12s %12s %12s\n" config median_us p99_us max_us added_us
for c in $configs; do
	med=$(awk '$2 != "-" { print $2 }' "$work/$c.txt" | bench_median 3)
	p99=$(awk '$2 != "-" { print $3 }' "$work/$c.txt" | bench_median 3)
	max=$(awk '$2 != "-" { print $4 }' "$work/$c.txt" | sort -g | tail -n 1)
	added=-
	if [ "$c" != direct ] && [ -f "$work/direct.txt" ]; then
		# paired by round: both runs of a round saw the same load
		added=$(paste "$work/direct.txt" "$work/$c.txt" |
			awk '$2 != "-" && $6 != "-" { print $6 - $2 }' | bench_median 3)
	fi
	printf "%-10s %12s %12s %12s %12s\n" "$c" "$med" "$p99" "${max:--}" "$added"
done
