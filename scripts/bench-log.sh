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
# the script says so. Whether the cpus were shared: the frontend's CPU
# time (cpu_pct) and the backend worker's (its schedstat, read around
# each flood), as shares of the flood's time; "per_wk" is the paired
# on/off ratio of the rate per second the worker was on its cpu, a
# cross-check when other work took the worker's cpu away.
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
	[ -n "${fe_pid:-}" ] && kill "$fe_pid" 2>/dev/null
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
# A frontend that died must not kill the script through its script pipe:
# step() notices and says so.
trap '' PIPE

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

# worker_tid PID: the thread of the backend's worker lcore 1 (EAL names
# it rte-worker-1, lcore-worker-1 in other DPDK versions).
worker_tid() {
	local t
	for t in /proc/"$1"/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in
		rte-worker-1 | lcore-worker-1) echo "${t##*/}"; return 0 ;;
		esac
	done
	return 1
}

# oncpu: nanoseconds the backend's worker has run, and now.
oncpu() {
	local run
	read -r run _ <"/proc/$backend_pid/task/$worker/schedstat" 2>/dev/null
	echo "${run:-0} $(date +%s%N)"
}

# step CMD...: run the commands in the frontend and wait for them to
# finish (it echoes a mark after them); fails on an error line.
step() {
	local i
	fe_mark=$((fe_mark + 1))
	printf '%s\n' "$@" "echo mark-$fe_mark" >&4
	for ((i = 0; i < 100 * (secs + 60); i++)); do
		grep -q "^echo mark-$fe_mark\$" "$fe_out" && return 0
		grep -q -e '^error' -e '^setup' "$fe_out" && return 1
		kill -0 "$fe_pid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# session BACKEND CASE: one frontend session, every run of the case,
# driven step by step so the backend worker's CPU time can be read around
# each flood; appends "BACKEND CASE RUN off|on MPPS FE_BUSY FE_CPU
# WORKER_CPU" lines to $work/results.
session() {
	local be=$1 case=$2 dir sock=$work/$1-$2.sock rate_key i order log
	local line mpps busy cpu bits t0 t1 wcpu
	case "$case" in
	rx) dir=rx; rate_key=rx_mpps ;;
	tx) dir=tx; rate_key=tx_mpps ;;
	loopback) dir=both; rate_key=rx_mpps ;;
	esac
	fe_out=$work/$1-$2.out
	fe_mark=0
	start_backend "$be" "$case" "$sock"
	rm -f "$work/fe.in"
	mkfifo "$work/fe.in"
	: >"$fe_out"
	"${pin[@]}" "$frontend" --socket "$sock" --tx-single \
		--features -HASH_REPORT --connect-timeout 20000 \
		<"$work/fe.in" >"$fe_out" 2>&1 &
	fe_pid=$!
	exec 4>"$work/fe.in"
	if ! step info || ! worker=$(worker_tid "$backend_pid"); then
		exec 4>&-
		wait "$fe_pid"
		stop_backend
		keep=1
		echo "bench-log: $be $case: no session: $(grep -m1 -e '^error' -e '^setup' "$fe_out")" >&2
		return 1
	fi
	for ((i = 1; i <= runs; i++)); do
		order="off on"
		[ $((i % 2)) = 0 ] && order="on off"
		for log in $order; do
			[ "$log" = on ] && { step "log start" || break 2; }
			t0=$(oncpu)
			step "flood $dir $secs" || break 2
			t1=$(oncpu)
			line=$(grep '^flood ' "$fe_out" | tail -n 1)
			if [ "$log" = on ]; then
				step "log bits" "log stop" || break 2
				bits=$(field "$(grep '^log bits ' "$fe_out" | tail -n 1)" logged)
				if [ "$case" != tx ] && [ "${bits:-0}" = 0 ]; then
					keep=1
					echo "bench-log: $be $case run $i: LOG_ALL on, yet no page logged" >&2
				fi
			fi
			if [ "$(field "$line" bad_used)" != 0 ] ||
					[ "$(field "$line" rx_bad)" != 0 ]; then
				keep=1
				echo "bench-log: $be $case run $i: the backend broke the ring: $line" >&2
			fi
			mpps=$(field "$line" "$rate_key")
			busy=$(field "$line" busy_pct)
			cpu=$(field "$line" cpu_pct)
			# The worker's share of its cpu over the flood (and
			# the few ms around it the shell needs).
			wcpu=$(echo "$t0 $t1" | awk '{ printf "%.1f", ($4 > $2) ? 100 * ($3 - $1) / ($4 - $2) : 0 }')
			echo "$be $case $i $log $mpps $busy $cpu $wcpu" >>"$work/results"
			echo "# $be $case run $i log $log: $mpps Mpps; frontend busy $busy %, on cpu $cpu %; worker on cpu $wcpu %" >&2
		done
	done
	step stats
	exec 4>&-
	wait "$fe_pid"
	local rc=$?
	stop_backend
	if [ "$rc" != 0 ] || [ "$i" -le "$runs" ]; then
		keep=1
		echo "bench-log: $be $case: frontend failed (exit $rc) after $((i - 1)) runs: $(grep -m1 -e '^error' -e '^setup' "$fe_out"; tail -n 2 "$fe_out")" >&2
		return 1
	fi
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

# paired BACKEND CASE raw|norm: the median over runs of on / off, of the
# rate (raw) or of the rate per second the worker was on its cpu (norm).
paired() {
	awk -v b="$1" -v c="$2" -v m="$3" '$1 == b && $2 == c {
			v = $5
			if (m == "norm") v = ($8 > 0) ? $5 / $8 : -1
			r[$3, $4] = v; runs[$3] = 1 }
		END { for (i in runs) if ((i, "off") in r && (i, "on") in r &&
			r[i, "off"] > 0 && r[i, "on"] >= 0)
			print r[i, "on"] / r[i, "off"] }' "$work/results" | median
}

declare -A off_rate
printf '%-8s %-9s %4s %8s %8s %7s %6s %8s %8s %6s %6s %8s\n' backend case \
	runs off_mpps on_mpps on/off cost% fe_busy fe_busy fe_cpu wk_cpu \
	on/off
printf '%-8s %-9s %4s %8s %8s %7s %6s %8s %8s %6s %6s %8s\n' '' '' '' \
	median median paired '' off% on% % % per_wk
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
		wcpu=$( (sel off 8; sel on 8) | median)
		ratio=$(paired "$be" "$case" raw)
		norm=$(paired "$be" "$case" norm)
		cost=$(awk -v r="$ratio" 'BEGIN { printf "%.1f", 100 * (1 - r) }')
		printf '%-8s %-9s %4s %8.3f %8.3f %7.3f %6.1f %8.1f %8.1f %6.1f %6.1f %8.3f\n' \
			"$be" "$case" "$n" "$off" "$on" "$ratio" "$cost" \
			"$busy_off" "$busy_on" "$cpu" "$wcpu" "$norm"
		off_rate[$be.$case]=$off
		if awk -v a="$busy_off" -v b="$busy_on" 'BEGIN { exit !(a >= 80 || b >= 80) }'; then
			line="the frontend was busy $(pct "$busy_off")/$(pct "$busy_on") % of the time (off/on): IT IS THE BOTTLENECK, the figures measure it, not $be"
		else
			line="the frontend waited for $be (busy $(pct "$busy_off")/$(pct "$busy_on") % of the time, off/on): $be set the rate"
		fi
		line="logging costs $cost % of throughput (paired median; $(awk -v r="$norm" 'BEGIN { printf "%.1f", 100 * (1 - r) }') % per second of worker cpu); $line"
		[ "$be" = relay ] &&
			line="$line; target <= 10 %: $(awk -v r="$ratio" 'BEGIN { print (r >= 0.90) ? "met" : "NOT met" }')"
		awk -v c="$cpu" -v w="$wcpu" 'BEGIN { exit !(c < 90 || w < 90) }' &&
			line="$line; other work shared the cpus: the frontend ran $(pct "$cpu") %, the worker $(pct "$wcpu") % of the time"
		verdict+=("$be $case: $line")
	done
done
printf '%s\n' "${verdict[@]}"
for case in rx tx loopback; do
	[ -n "${off_rate[relay.$case]:-}" ] && [ -n "${off_rate[testpmd.$case]:-}" ] &&
		echo "reference $case: relay / testpmd net_vhost, logging off: $(awk -v a="${off_rate[relay.$case]}" -v b="${off_rate[testpmd.$case]}" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')"
done
echo "# loadavg at start $load_start, at end $load_end" >&2
