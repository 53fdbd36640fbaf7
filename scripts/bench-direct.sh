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
# usage: scripts/bench-direct.sh [-r RUNS] [-d SECONDS] [-q QUEUES]
#                                [-n NOTIFY] [-b BURST] [-D "tx rx"] [RELAY]
#   -n NOTIFY   the relay port's notify= mode: poll (default), interrupt or
#               adaptive (what each costs under load)
#   -b BURST    the guest testpmd's --burst (default 32, at most 512)
#   -D DIRS     directions, guest tx and/or rx (default both)
#   -P DIR      profile the backend of every run: perf record -e cpu-clock
#               -g over 3 s once the guest runs, to DIR/KIND-DIRECTION-RUN.data
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$here/bench-lib.sh"
usage() { bench_usage; }

runs=5
duration=5
queues=1
notify=poll
burst=32
dirs="tx rx"
prof=
while getopts "r:d:q:n:b:D:P:h" opt; do
	case "$opt" in
	r) runs=$OPTARG ;;
	d) duration=$OPTARG ;;
	q) queues=$OPTARG ;;
	n) notify=$OPTARG ;;
	b) burst=$OPTARG ;;
	D) dirs=$OPTARG ;;
	P) prof=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
case "$runs$duration$queues$burst" in
'' | *[!0-9]*) echo "bench-direct: -r, -d, -q and -b take whole numbers" >&2; usage ;;
esac
case "$notify" in
poll | interrupt | adaptive) ;;
*) echo "bench-direct: -n takes poll, interrupt or adaptive" >&2; usage ;;
esac
for dir in $dirs; do
	case "$dir" in
	tx | rx) ;;
	*) echo "bench-direct: -D takes tx and/or rx" >&2; usage ;;
	esac
done
relay=${1:-$here/../build/app/svq-relay}
[ -x "$relay" ] || { echo "bench-direct: build first: $relay" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "bench-direct: dpdk-testpmd not found (Debian package dpdk)" >&2; exit 77; }

bench_init bd
[ -z "$prof" ] || mkdir -p "$prof" || exit 1
[ -z "$prof" ] || command -v perf >/dev/null ||
	{ echo "bench-direct: -P needs perf (Debian package linux-perf)" >&2; exit 1; }

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
			--vhost "$work/vhost.sock,queues=$queues,notify=$notify" \
			--device "sim,mode=null,rate=0,size=64,queues=$queues" \
			>"$work/backend.log" 2>&1 &
	fi
	BACKEND_PID=$!
	pids+=("$BACKEND_PID")
	bench_wait_socket "bench-direct ($kind)" "$work/vhost.sock" "$work/backend.log"
}

# guest DIR NAME: run the guest for warm-up + DURATION seconds, print its
# rate; with -P, profile the backend as NAME meanwhile.
guest() {
	local dir=$1 fwd field perf_pid=""
	[ "$dir" = tx ] && fwd=txonly field=Tx-pps || fwd=rxonly field=Rx-pps
	timeout $((duration + 20)) stdbuf -oL dpdk-testpmd -l 0-1 --main-lcore 1 \
		--no-pci --file-prefix=svq-bd-guest-$$ --single-file-segments \
		--vdev "net_virtio_user0,path=$work/vhost.sock,queues=$queues" -- \
		--forward-mode=$fwd --auto-start --nb-cores=1 --txpkts=64 \
		--burst="$burst" --rxq="$queues" --txq="$queues" --stats-period=1 \
		--total-num-mbufs=16384 >"$work/guest.log" 2>&1 &
	local gpid=$! t samples
	pids+=("$gpid")
	# until DURATION samples after two of start-up (EAL start-up takes
	# seconds on a loaded host), or the guest gives up
	for (( t = 0; t < (duration + 20) * 10; t++ )); do
		# the guest may not have opened its log yet
		samples=$(grep -c "$field:" "$work/guest.log" 2>/dev/null)
		samples=${samples:-0}
		[ "$samples" -ge $((duration + 2)) ] && break
		if [ -n "$prof" ] && [ -z "$perf_pid" ] && [ "$samples" -ge 2 ]; then
			perf record -q -e cpu-clock -g -p "$BACKEND_PID" -o "$prof/$2.data" \
				-- sleep 3 >/dev/null 2>&1 &
			perf_pid=$!
		fi
		kill -0 "$gpid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$perf_pid" ] && wait "$perf_pid"
	kill "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	# one-second samples; drop the first two (start-up), keep DURATION
	sed -n "s/.*$field: *\([0-9]\+\).*/\1/p" "$work/guest.log" |
		tail -n +3 | head -n "$duration" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.3f\n", v[int((NR + 1) / 2)] / 1e6 }'
}

echo "# bench-direct: $runs runs, ${duration}s each, $queues queue pair(s), 64-byte frames, burst $burst, relay notify=$notify, $(nproc) cpus, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %-8s %5s %12s %12s %12s\n" direction backend run mpps "" ""
declare -A rates
for dir in $dirs; do
	for (( i = 1; i <= runs; i++ )); do
		for kind in direct relayed; do
			backend "$kind" "$dir"
			rate=$(guest "$dir" "$kind-$dir-$i")
			if [ -z "$rate" ]; then
				echo "bench-direct: no rate from the guest ($kind, $dir); the logs' tails:" >&2
				tail -n 3 "$work/guest.log" "$work/backend.log" >&2
			fi
			kill "$BACKEND_PID" 2>/dev/null
			wait "$BACKEND_PID" 2>/dev/null
			printf "%-10s %-8s %5s %12s\n" "guest-$dir" "$kind" "$i" "${rate:--}"
			rates[$dir-$kind]+="${rate:--} "
		done
	done
done

echo
# ratio: of the medians; paired: the median of each run's relayed/direct
# (the two ran back to back); best: of the highest rates, the runs least
# disturbed by other work on the host.
printf "%-10s %14s %14s %8s %8s %12s %12s %8s\n" direction direct_mpps \
	relayed_mpps ratio paired best_direct best_relayed best
for dir in $dirs; do
	d=$(tr ' ' '\n' <<<"${rates[$dir-direct]}" | grep '[0-9]' | bench_median 3)
	r=$(tr ' ' '\n' <<<"${rates[$dir-relayed]}" | grep '[0-9]' | bench_median 3)
	ratio=$(awk -v d="$d" -v r="$r" 'BEGIN { if (d > 0) printf "%.2f", r / d; else print "-" }')
	paired=$(paste <(tr ' ' '\n' <<<"${rates[$dir-direct]}") \
		<(tr ' ' '\n' <<<"${rates[$dir-relayed]}") |
		awk '$1 > 0 && $2 ~ /[0-9]/ { print $2 / $1 }' | bench_median 2)
	bd=$(tr ' ' '\n' <<<"${rates[$dir-direct]}" | grep '[0-9]' | sort -g | tail -n 1)
	br=$(tr ' ' '\n' <<<"${rates[$dir-relayed]}" | grep '[0-9]' | sort -g | tail -n 1)
	best=$(awk -v d="${bd:-0}" -v r="${br:-0}" 'BEGIN { if (d > 0) printf "%.2f", r / d; else print "-" }')
	printf "%-10s %14s %14s %8s %8s %12s %12s %8s\n" "guest-$dir" "$d" "$r" \
		"$ratio" "$paired" "${bd:--}" "${br:--}" "$best"
done
