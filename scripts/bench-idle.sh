#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay's CPU use while idle, per notification mode (issue P5, part
# 3). For each of poll, interrupt and adaptive: the relay with the sim
# device in loopback and a connected but silent guest (dpdk-testpmd on
# net_virtio_user in interactive mode: its port started, its RX ring
# filled, forwarding never started, so nothing is kicked and nothing
# polls), then the relay's user + system CPU time from /proc/PID/stat
# over SECONDS, as a percentage of one core. Modes alternate run by run;
# prints the median per mode.
#
# usage: scripts/bench-idle.sh [-r RUNS] [-d SECONDS] [-m "MODES"] [RELAY]
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/bench-lib.sh
. "$here/bench-lib.sh"
usage() { bench_usage; }

runs=3
duration=5
modes="poll interrupt adaptive"
while getopts "r:d:m:h" opt; do
	case "$opt" in
	r) runs=$OPTARG ;;
	d) duration=$OPTARG ;;
	m) modes=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
case "$runs$duration" in
'' | *[!0-9]*) echo "bench-idle: -r and -d take whole numbers" >&2; usage ;;
esac
for m in $modes; do
	case "$m" in
	poll | interrupt | adaptive) ;;
	*) echo "bench-idle: unknown mode '$m'" >&2; usage ;;
	esac
done
relay=${1:-$here/../build/app/svq-relay}
[ -x "$relay" ] || { echo "bench-idle: build first: $relay" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "bench-idle: dpdk-testpmd not found (Debian package dpdk)" >&2; exit 77; }

bench_init bi

# wait_for FILE PATTERN PID: up to 30 s for PATTERN in FILE while PID lives.
wait_for() {
	for _ in $(seq 300); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-idle: no '$2' in $1; its tail:" >&2
	tail -n 5 "$1" >&2
	return 1
}

# idle_cpu MODE: sets PCT to the relay's CPU use in % of a core while the
# guest is silent, or to nothing.
idle_cpu() {
	local mode=$1 rpid gpid t0 t1 hz
	PCT=
	rm -f "$work/vhost.sock" "$work/guest.in"
	"$relay" -l 0-1 --no-pci --file-prefix=svq-bi-be-$$ -- \
		--vhost "$work/vhost.sock,queues=1,notify=$mode" \
		--device sim,mode=loopback,queues=1 >"$work/relay.log" 2>&1 &
	rpid=$!
	pids+=("$rpid")
	bench_wait_socket "bench-idle ($mode)" "$work/vhost.sock" "$work/relay.log"
	mkfifo "$work/guest.in"
	dpdk-testpmd -l 0-1 --main-lcore 0 --no-pci \
		--file-prefix=svq-bi-guest-$$ --single-file-segments \
		--vdev "net_virtio_user0,path=$work/vhost.sock,queues=1" -- \
		-i --total-num-mbufs=16384 <"$work/guest.in" >"$work/guest.log" 2>&1 &
	gpid=$!
	pids+=("$gpid")
	# held open: testpmd would quit at end of file
	exec 3>"$work/guest.in"
	if wait_for "$work/guest.log" "testpmd> " "$gpid"; then
		# let adaptive's idle timer and the start-up settle
		sleep 1
		hz=$(getconf CLK_TCK)
		t0=$(awk '{ print $14 + $15 }' "/proc/$rpid/stat")
		sleep "$duration"
		t1=$(awk '{ print $14 + $15 }' "/proc/$rpid/stat")
		PCT=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v d="$duration" \
			'BEGIN { printf "%.1f\n", (b - a) * 100 / (hz * d) }')
	fi
	echo quit >&3
	exec 3>&-
	wait "$gpid" 2>/dev/null
	kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
	rm -f /dev/hugepages/svq-bi-*-$$map_*
}

echo "# bench-idle: $runs runs, ${duration}s each, guest connected and silent, $(nproc) cpus, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %5s %14s\n" mode run cpu_pct
for (( i = 1; i <= runs; i++ )); do
	for m in $modes; do
		idle_cpu "$m"
		printf "%-10s %5s %14s\n" "$m" "$i" "${PCT:--}"
		[ -n "$PCT" ] && echo "$PCT" >>"$work/$m.txt"
	done
done

echo
printf "%-10s %14s\n" mode idle_cpu_pct
for m in $modes; do
	touch "$work/$m.txt"
	printf "%-10s %14s\n" "$m" "$(bench_median 1 <"$work/$m.txt")"
done
