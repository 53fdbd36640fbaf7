#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Packet-rate benchmark: dpdk-testpmd as the guest (net_virtio_user, io
# forwarding, frames injected with "start tx_first" circulating through the
# loopback) against the relay with the sim device in loopback mode. Runs
# test/integration/test_testpmd_guest.sh RUNS times per queue-pair count and
# prints the median guest receive rate per configuration.
#
# usage: scripts/bench-testpmd.sh [-r RUNS] [-q "1 4"] [-d SECONDS]
#                                 [-B relay|testpmd] [RELAY]
#   -r RUNS     runs per configuration (default 5)
#   -q LIST     queue-pair counts (default "1 4")
#   -d SECONDS  measured interval per run (default 3)
#   -B BACKEND  relay (default) or testpmd (the net_vhost stand-in, a
#               baseline without the relay); SVQ_IT_BACKEND works too
#   RELAY       relay binary (default build/app/svq-relay)
#
# Needs root, hugepages and dpdk-testpmd. Only two cores: the guest forwards
# on cpu 0 and the backend on cpu 1, so anything else busy on the host skews
# the numbers; the load average is printed for that reason.

set -u

usage() {
	sed -n 's/^# \{0,1\}//; /^usage:/,/^$/p' "$0" >&2
	exit 2
}

runs=5
queues="1 4"
duration=3
backend=${SVQ_IT_BACKEND:-relay}
while getopts "r:q:d:B:h" opt; do
	case "$opt" in
	r) runs=$OPTARG ;;
	q) queues=$OPTARG ;;
	d) duration=$OPTARG ;;
	B) backend=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
relay=${1:-$here/../build/app/svq-relay}
test_sh=$here/../test/integration/test_testpmd_guest.sh

case "$runs$duration" in
*[!0-9]*) echo "bench-testpmd: -r and -d take whole numbers" >&2; usage ;;
esac
[ "$runs" -ge 1 ] || usage
for q in $queues; do
	case "$q" in
	'' | *[!0-9]*) echo "bench-testpmd: bad queue count '$q'" >&2; usage ;;
	esac
done

median() {
	sort -n | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "-"; exit }
			if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]
			else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

echo "# bench-testpmd: backend=$backend runs=$runs duration=${duration}s $(nproc) cpus, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
results=()
for q in $queues; do
	rates=()
	fails=0
	for (( i = 1; i <= runs; i++ )); do
		out=$(SVQ_IT_BACKEND=$backend SVQ_IT_DURATION=$duration \
			bash "$test_sh" "$relay" "$q" 2>&1)
		rc=$?
		if [ "$rc" = 77 ]; then
			echo "$out" | grep SKIP >&2
			exit 77
		fi
		rate=$(echo "$out" | sed -n 's/^RATE .*mpps=\([0-9.]*\).*/\1/p')
		if [ "$rc" != 0 ] || [ -z "$rate" ]; then
			fails=$((fails + 1))
			echo "# queues=$q run $i failed (exit $rc):" >&2
			echo "$out" | grep -E "FAIL|guest port" >&2
			continue
		fi
		rates+=("$rate")
		echo "# queues=$q run $i: $rate Mpps" >&2
	done
	if [ ${#rates[@]} -gt 0 ]; then
		sorted=$(printf '%s\n' "${rates[@]}" | sort -n)
		med=$(echo "$sorted" | median)
		min=$(echo "$sorted" | head -n 1)
		max=$(echo "$sorted" | tail -n 1)
	else
		med=- min=- max=-
	fi
	results+=("$(printf '%-8s %6s %5s %5s %12s %9s %9s' "$backend" "$q" \
		"$runs" "$fails" "$med" "$min" "$max")")
done

printf '%-8s %6s %5s %5s %12s %9s %9s\n' backend queues runs fails \
	median_mpps min_mpps max_mpps
printf '%s\n' "${results[@]}"
