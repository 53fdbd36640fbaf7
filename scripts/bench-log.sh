#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The cost of dirty logging end to end (issue P4): throughput with
# VHOST_F_LOG_ALL off and on, in one session, through the relay.
# svq-frontend is the guest (`flood`, its throughput mode; `log start` /
# `log stop` turn LOG_ALL on and off as QEMU does at migration time),
# with 64-byte frames on one queue pair, in three cases:
#   rx        the sim device in null mode generates frames as fast as the
#             guest takes them (mode=null,rate=0,size=64): the device
#             writes guest memory, the direction where logging has work;
#   tx        the same device drops what the guest sends (only the used
#             ring is logged);
#   loopback  the sim device in loopback mode: frames out and back.
# In each case, per run, one flood with logging off and one with it on,
# the order alternating from run to run, so both see the same load. The
# result is the median rate of each and the median of the paired on/off
# ratios. The same frontend against dpdk-testpmd's net_vhost (txonly for
# rx, rxonly for tx, io for loopback) runs as a reference backend, also
# with logging off and on (DPDK's vhost library logs by itself).
#
# Who sets the rate: the relay has no idle counter, but the frontend says
# how much of its time it had work (busy_pct). A busy frontend (median
# >= 80 %) is the bottleneck and the figures measure it, not the backend;
# the script says so.
#
# usage: scripts/bench-log.sh [-r RUNS] [-s SECONDS] [-B relay|testpmd|both]
#                             [BUILD_DIR]
#   -r RUNS     off/on pairs per case (default 5)
#   -s SECONDS  each flood (default 2)
#   -B WHICH    backends (default both: the relay, then the reference)
#   BUILD_DIR   default build
#
# Pinning, with 2 or more cpus: the backend's main lcore on cpu 0 and its
# worker (the relay's, or testpmd's forwarding core) on cpu 1 (EAL -l
# 0-1); the frontend on cpu 0 (taskset -c 0), which the main lcore leaves
# idle. With one cpu nothing is pinned and the figures mean little.
# Needs root, 2 MiB hugepages and, for the reference, dpdk-testpmd.
# Frontend and backend logs are kept in the work directory on failure.

set -u

usage() {
	sed -n 's/^# \{0,1\}//; /^usage:/,/^$/p' "$0" >&2
	exit 2
}

runs=5
secs=2
which=both
while getopts "r:s:B:h" opt; do
	case "$opt" in
	r) runs=$OPTARG ;;
	s) secs=$OPTARG ;;
	B) which=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
case "$runs$secs" in
'' | *[!0-9]*) echo "bench-log: -r and -s take whole numbers" >&2; usage ;;
esac
[ "$runs" -ge 1 ] && [ "$secs" -ge 1 ] || usage
case "$which" in
relay) backends=relay ;;
testpmd) backends=testpmd ;;
both) backends="relay testpmd" ;;
*) usage ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
relay=$build/app/svq-relay
frontend=$build/test/tools/frontend/svq-frontend
[ -x "$relay" ] && [ -x "$frontend" ] || {
	echo "bench-log: build first ($relay, $frontend)" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "bench-log: needs root (hugepages)" >&2; exit 77; }
if [[ " $backends " = *" testpmd "* ]] && ! command -v dpdk-testpmd >/dev/null; then
	echo "bench-log: dpdk-testpmd not found: no reference" >&2
	backends=${backends/testpmd/}
fi

work=$(mktemp -d /tmp/bench-log.XXXXXX)
prefix=bench-log-$$
backend_pid=
cleanup() {
	[ -n "$backend_pid" ] && kill "$backend_pid" 2>/dev/null && wait "$backend_pid" 2>/dev/null
	rm -rf "/var/run/dpdk/$prefix" /dev/hugepages/"$prefix"map_*
	if [ -n "${keep:-}" ]; then
		echo "bench-log: logs kept in $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(nproc)" -ge 2 ]; then
	pin=(taskset -c 0)
	pinning="backend main lcore cpu 0, worker cpu 1; frontend cpu 0"
else
	pin=()
	pinning="one cpu: nothing pinned"
fi

# start_backend BACKEND CASE SOCK: sets backend_pid.
start_backend() {
	local eal=(-l 0-1 --no-pci --file-prefix="$prefix")
	if [ "$1" = relay ]; then
		local dev=sim,mode=null,rate=0,size=64,queues=1
		[ "$2" = loopback ] && dev=sim,mode=loopback,queues=1
		"$relay" "${eal[@]}" -- --vhost "$3,queues=1" --device "$dev" \
			>"$work/$1-$2.backend.log" 2>&1 &
	else
		local mode=io
		[ "$2" = rx ] && mode=txonly
		[ "$2" = tx ] && mode=rxonly
		# --stats-period keeps a non-interactive testpmd running
		# until SIGTERM; txonly sends 64-byte frames by default.
		dpdk-testpmd "${eal[@]}" --vdev "net_vhost0,iface=$3,queues=1" \
			-- --forward-mode="$mode" --port-topology=loop \
			--auto-start --nb-cores=1 --stats-period=10 \
			--total-num-mbufs=16384 \
			>"$work/$1-$2.backend.log" 2>&1 </dev/null &
	fi
	backend_pid=$!
}

stop_backend() {
	kill "$backend_pid" 2>/dev/null
	wait "$backend_pid" 2>/dev/null
	backend_pid=
	rm -rf "/var/run/dpdk/$prefix" /dev/hugepages/"$prefix"map_*
}

# session BACKEND CASE: one frontend session, every run of the case;
# appends "BACKEND CASE RUN off|on MPPS BUSY_PCT CPU_PCT" lines to
# $work/results.
session() {
	local be=$1 case=$2 dir sock=$work/$1-$2.sock script=$work/$1-$2.script
	local out=$work/$1-$2.out rate_key i order log line mpps busy cpu bits
	case "$case" in
	rx) dir=rx; rate_key=rx_mpps ;;
	tx) dir=tx; rate_key=tx_mpps ;;
	loopback) dir=both; rate_key=rx_mpps ;;
	esac
	: >"$script"
	for ((i = 1; i <= runs; i++)); do
		order="off on"
		[ $((i % 2)) = 0 ] && order="on off"
		for log in $order; do
			echo "echo run=$i log=$log" >>"$script"
			if [ "$log" = on ]; then
				printf 'log start\nflood %s %s\nlog bits\nlog stop\n' \
					"$dir" "$secs" >>"$script"
			else
				printf 'flood %s %s\n' "$dir" "$secs" >>"$script"
			fi
		done
	done
	echo stats >>"$script"
	start_backend "$be" "$case" "$sock"
	timeout $((runs * 2 * (secs + 5) + 60)) "${pin[@]}" "$frontend" \
		--socket "$sock" --tx-single --features -HASH_REPORT \
		--connect-timeout 20000 --script "$script" >"$out" 2>&1
	local rc=$?
	stop_backend
	if [ "$rc" != 0 ]; then
		keep=1
		echo "bench-log: $be $case: frontend exited $rc: $(grep -m1 -e '^error' -e '^setup' "$out")" >&2
		return 1
	fi
	# An echo line names the run; its flood follows.
	while read -r line; do
		case "$line" in
		"echo run="*)
			i=${line#echo run=}; i=${i%% *}
			log=${line##*log=} ;;
		"flood "*)
			mpps=$(field "$line" "$rate_key")
			busy=$(field "$line" busy_pct)
			cpu=$(field "$line" cpu_pct)
			if [ "$(field "$line" bad_used)" != 0 ] ||
					[ "$(field "$line" rx_bad)" != 0 ]; then
				keep=1
				echo "bench-log: $be $case run $i: the backend broke the ring: $line" >&2
			fi
			echo "$be $case $i $log $mpps $busy $cpu" >>"$work/results"
			echo "# $be $case run $i log $log: $mpps Mpps, frontend busy $busy %, on cpu $cpu %" >&2 ;;
		"log bits "*)
			bits=$(field "$line" logged)
			if [ "$case" != tx ] && [ "${bits:-0}" = 0 ]; then
				keep=1
				echo "bench-log: $be $case run $i: LOG_ALL on, yet no page logged: $line" >&2
			fi ;;
		esac
	done <"$out"
}

field() {
	local kv
	for kv in $1; do
		case "$kv" in "$2"=*) echo "${kv#*=}"; return ;; esac
	done
}

pct() { awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }

median() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "-"; exit }
			if (NR % 2) print v[(NR + 1) / 2]
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# bench-log: runs=$runs seconds=$secs $(nproc) cpus ($pinning), $(date -u '+%Y-%m-%d %H:%M UTC'), loadavg $load_start" >&2
: >"$work/results"
for be in $backends; do
	for case in rx tx loopback; do
		session "$be" "$case"
	done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

declare -A off_rate
printf '%-8s %-9s %4s %9s %9s %9s %9s %11s %11s %7s\n' backend case runs \
	off_mpps on_mpps on/off cost_pct fe_busy_off fe_busy_on fe_cpu
verdict=()
for be in $backends; do
	for case in rx tx loopback; do
		sel() { awk -v b="$be" -v c="$case" -v l="$1" -v k="$2" \
			'$1 == b && $2 == c && $4 == l { print $k }' "$work/results"; }
		n=$(sel off 3 | wc -l)
		[ "$n" -gt 0 ] || continue
		off=$(sel off 5 | median)
		on=$(sel on 5 | median)
		busy_off=$(sel off 6 | median)
		busy_on=$(sel on 6 | median)
		cpu=$( (sel off 7; sel on 7) | median)
		# Paired: each run's on rate over its off rate.
		ratio=$(awk -v b="$be" -v c="$case" '$1 == b && $2 == c {
				r[$3, $4] = $5; runs[$3] = 1 }
			END { for (i in runs) if ((i, "off") in r && (i, "on") in r &&
				r[i, "off"] > 0) print r[i, "on"] / r[i, "off"] }' \
			"$work/results" | median)
		printf '%-8s %-9s %4s %9.3f %9.3f %9.3f %9.1f %11.1f %11.1f %7.1f\n' \
			"$be" "$case" "$n" "$off" "$on" "$ratio" \
			"$(awk -v r="$ratio" 'BEGIN { print 100 * (1 - r) }')" \
			"$busy_off" "$busy_on" "$cpu"
		off_rate[$be.$case]=$off
		if awk -v a="$busy_off" -v b="$busy_on" 'BEGIN { exit !(a >= 80 || b >= 80) }'; then
			line="the frontend was busy $(pct "$busy_off")/$(pct "$busy_on") % of the time (off/on): IT IS THE BOTTLENECK, the figures measure it, not $be"
		else
			line="the frontend waited for $be (busy $(pct "$busy_off")/$(pct "$busy_on") % of the time, off/on): $be set the rate"
			[ "$be" = relay ] && line="logging costs $(awk -v r="$ratio" 'BEGIN { printf "%.1f", 100 * (1 - r) }') % of throughput (target <= 10 %): $(awk -v r="$ratio" 'BEGIN { print (r >= 0.90) ? "met" : "NOT met" }'); $line"
		fi
		awk -v c="$cpu" 'BEGIN { exit !(c < 90) }' &&
			line="$line; the frontend ran only $(pct "$cpu") % of the time: other work shared the cpus"
		verdict+=("$be $case: $line")
	done
done
printf '%s\n' "${verdict[@]}"
for case in rx tx loopback; do
	[ -n "${off_rate[relay.$case]:-}" ] && [ -n "${off_rate[testpmd.$case]:-}" ] &&
		echo "reference $case: relay / testpmd net_vhost, logging off: $(awk -v a="${off_rate[relay.$case]}" -v b="${off_rate[testpmd.$case]}" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')"
done
echo "# loadavg at start $load_start, at end $load_end" >&2
