#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Direct vs relayed, same run, same cores (issue P5, part 2). A dpdk-testpmd
# guest on net_virtio_user sends (txonly) or receives (rxonly) 64-byte
# frames as fast as it can, against
#   direct:  dpdk-testpmd --vdev net_vhost0 in rxonly (or txonly): DPDK's
#            own vhost backend, which copies each frame once;
#   relayed: svq-relay with the sim device in null mode (TX dropped, RX
#            generated as fast as the guest posts buffers): the shadow
#            rings plus the device, in one lcore.
# Runs alternate direct and relayed, RUNS times per direction; the guest's
# own Tx-pps or Rx-pps (testpmd's periodic statistics, the median of the
# last DURATION one-second samples) is the rate. Prints the medians and the
# relayed/direct ratio. The guest forwards on cpu 0, the backend (testpmd's
# forwarding lcore or the relay's worker) polls on cpu 1.
#
# usage: scripts/bench-direct.sh [-r RUNS] [-d SECONDS] [-q QUEUES] [RELAY]
set -u

usage() {
	sed -n 's/^# \{0,1\}//; /^usage:/,/^$/p' "$0" >&2
	exit 2
}

runs=5
duration=5
queues=1
while getopts "r:d:q:h" opt; do
	case "$opt" in
	r) runs=$OPTARG ;;
	d) duration=$OPTARG ;;
	q) queues=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
case "$runs$duration$queues" in
'' | *[!0-9]*) echo "bench-direct: -r, -d and -q take whole numbers" >&2; usage ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
relay=${1:-$here/../build/app/svq-relay}
[ -x "$relay" ] || { echo "bench-direct: build first: $relay" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "bench-direct: dpdk-testpmd not found (Debian package dpdk)" >&2; exit 77; }

work=$(mktemp -d /tmp/svq-bench-direct.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work" /var/run/dpdk/svq-bd-*-$$ 2>/dev/null
	rm -f /dev/hugepages/svq-bd-*-$$map_* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# backend KIND DIR: start the backend on $work/vhost.sock; sets BACKEND_PID.
backend() {
	local kind=$1 dir=$2 fwd
	rm -f "$work/vhost.sock"
	if [ "$kind" = direct ]; then
		[ "$dir" = tx ] && fwd=rxonly || fwd=txonly
		dpdk-testpmd -l 0-1 --main-lcore 0 --no-pci --file-prefix=svq-bd-be-$$ \
			--vdev "net_vhost0,iface=$work/vhost.sock,queues=$queues" -- \
			--forward-mode=$fwd --auto-start --nb-cores=1 \
			--rxq="$queues" --txq="$queues" --stats-period=1 \
			--total-num-mbufs=16384 >"$work/backend.log" 2>&1 &
	else
		"$relay" -l 0-1 --no-pci --file-prefix=svq-bd-be-$$ -- \
			--vhost "$work/vhost.sock,queues=$queues" \
			--device "sim,mode=null,rate=0,size=64,queues=$queues" \
			>"$work/backend.log" 2>&1 &
	fi
	BACKEND_PID=$!
	pids+=("$BACKEND_PID")
	for _ in $(seq 100); do
		[ -S "$work/vhost.sock" ] && return 0
		sleep 0.1
	done
	echo "bench-direct: $kind backend did not listen; its log:" >&2
	tail -n 5 "$work/backend.log" >&2
	exit 1
}

# guest DIR: run the guest for warm-up + DURATION seconds, print its rate.
guest() {
	local dir=$1 fwd field
	[ "$dir" = tx ] && fwd=txonly field=Tx-pps || fwd=rxonly field=Rx-pps
	timeout $((duration + 20)) stdbuf -oL dpdk-testpmd -l 0-1 --main-lcore 1 \
		--no-pci --file-prefix=svq-bd-guest-$$ --single-file-segments \
		--vdev "net_virtio_user0,path=$work/vhost.sock,queues=$queues" -- \
		--forward-mode=$fwd --auto-start --nb-cores=1 --txpkts=64 \
		--rxq="$queues" --txq="$queues" --stats-period=1 \
		--total-num-mbufs=16384 >"$work/guest.log" 2>&1 &
	local gpid=$! t
	pids+=("$gpid")
	# until DURATION samples after two of start-up (EAL start-up takes
	# seconds on a loaded host), or the guest gives up
	for (( t = 0; t < (duration + 20) * 10; t++ )); do
		[ "$(grep -c "$field:" "$work/guest.log")" -ge $((duration + 2)) ] && break
		kill -0 "$gpid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	# one-second samples; drop the first two (start-up), keep DURATION
	sed -n "s/.*$field: *\([0-9]\+\).*/\1/p" "$work/guest.log" |
		tail -n +3 | head -n "$duration" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.3f\n", v[int((NR + 1) / 2)] / 1e6 }'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		printf "%.3f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "# bench-direct: $runs runs, ${duration}s each, $queues queue pair(s), 64-byte frames, $(nproc) cpus, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %-8s %5s %12s %12s %12s\n" direction backend run mpps "" ""
declare -A rates
for dir in tx rx; do
	for (( i = 1; i <= runs; i++ )); do
		for kind in direct relayed; do
			backend "$kind" "$dir"
			rate=$(guest "$dir")
			if [ -z "$rate" ]; then
				echo "bench-direct: no rate from the guest ($kind, $dir); the logs' tails:" >&2
				tail -n 3 "$work/guest.log" "$work/backend.log" >&2
			fi
			kill "$BACKEND_PID" 2>/dev/null
			wait "$BACKEND_PID" 2>/dev/null
			printf "%-10s %-8s %5s %12s\n" "guest-$dir" "$kind" "$i" "${rate:--}"
			rates[$dir-$kind]+="${rate:-} "
		done
	done
done

echo
printf "%-10s %14s %14s %8s\n" direction direct_mpps relayed_mpps ratio
for dir in tx rx; do
	d=$(tr ' ' '\n' <<<"${rates[$dir-direct]}" | grep . | median)
	r=$(tr ' ' '\n' <<<"${rates[$dir-relayed]}" | grep . | median)
	ratio=$(awk -v d="$d" -v r="$r" 'BEGIN { if (d > 0) printf "%.2f", r / d; else print "-" }')
	printf "%-10s %14s %14s %8s\n" "guest-$dir" "$d" "$r" "$ratio"
done
