#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay's performance table. Part 1: the lib/svq forwarding
# microbenchmark in one thread (synthetic guest ring -> shadow ring ->
# minimal device -> used back to the guest, 64-byte buffers, burst 32):
# median ns per descriptor and Mdesc/s over RUNS runs, and instructions per
# descriptor counted by valgrind's callgrind (repeatable on a noisy
# machine); without and with dirty logging (issue P4), runs alternating,
# and the on/off ratios.
#
# -a: every part of issue P5's table, one after the other (each is also a
# script of its own), then one summary table with the targets:
#   part 1  this microbenchmark, logging off and on;
#   part 2  scripts/bench-direct.sh: direct vs relayed, guest tx and rx;
#   part 3  scripts/bench-idle.sh: the relay's idle CPU per notify mode,
#           scripts/bench-latency.sh: round trips, direct vs relayed.
# The packet-rate, replay, downtime and end-to-end logging benchmarks are
# scripts/bench-testpmd.sh, scripts/bench-replay.sh,
# scripts/bench-downtime.sh and scripts/bench-log.sh.
#
# usage: scripts/bench.sh [-a] [-r RUNS] [BUILD_DIR]
set -euo pipefail

runs=5
all=0
while getopts "ar:" opt; do
	case $opt in
	a) all=1 ;;
	r) runs=$OPTARG ;;
	*) echo "usage: $0 [-a] [-r RUNS] [BUILD_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bench=$build/test/bench/svq-bench-shadow
[ -x "$bench" ] || { echo "build first: $bench" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

field() { grep -o " $1=[0-9.]*" | cut -d= -f2; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# instr_per_desc ARGS...: callgrind's exact instructions per descriptor
instr_per_desc() {
	local total descs=1000000
	command -v valgrind >/dev/null || { echo -; return; }
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		--toggle-collect=svq_shadow_forward_avail \
		--toggle-collect=svq_shadow_forward_used \
		"$bench" --descs $descs "$@" >/dev/null 2>&1
	total=$(callgrind_annotate "$work/cg.out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
	awk -v t="$total" -v d="$descs" 'BEGIN { printf "%.1f", t / d }'
}

micro() {
	# Logging off and on alternate run by run, so both see the same load.
	: >"$work/off.txt"
	: >"$work/on.txt"
	for _ in $(seq "$runs"); do
		"$bench" --descs 20000000 >>"$work/off.txt"
		"$bench" --descs 20000000 --log >>"$work/on.txt"
	done
	off_ns=$(field ns_per_desc <"$work/off.txt" | median)
	on_ns=$(field ns_per_desc <"$work/on.txt" | median)
	off_instr=$(instr_per_desc)
	on_instr=$(instr_per_desc --log)
	printf "%-32s %10s %10s %14s\n" benchmark ns/desc Mdesc/s instr/desc
	printf "%-32s %10s %10s %14s\n" "shadow forwarding, 1 lcore" "$off_ns" \
		"$(field mdesc_per_s <"$work/off.txt" | median)" "$off_instr"
	printf "%-32s %10s %10s %14s\n" "same, dirty logging on" "$on_ns" \
		"$(field mdesc_per_s <"$work/on.txt" | median)" "$on_instr"
	# Per-run ratios, paired: each on run against the off run just before it.
	paste <(field ns_per_desc <"$work/off.txt") <(field ns_per_desc <"$work/on.txt") |
		awk '{ print $2 / $1 }' | median | awk -v oi="$on_instr" -v fi="$off_instr" '{
			printf "logging on / off: time %.3f (median of paired runs)", $1
			if (fi != "-") printf ", instructions %.3f", oi / fi
			printf "\n" }'
}

if [ "$all" = 0 ]; then
	micro
	exit 0
fi

# A part that cannot run (no dpdk-testpmd, no hugepages) leaves "-" in the
# summary rather than ending the others.
echo "## part 1: lib/svq forwarding microbenchmark"
micro | tee "$work/micro.out"
echo
echo "## part 2: direct vs relayed (scripts/bench-direct.sh -r $runs)"
"$top/scripts/bench-direct.sh" -r "$runs" "$build/app/svq-relay" | tee "$work/direct.out" || true
echo
echo "## part 3: idle CPU per notify mode (scripts/bench-idle.sh -r $runs)"
"$top/scripts/bench-idle.sh" -r "$runs" "$build/app/svq-relay" | tee "$work/idle.out" || true
echo
echo "## part 3: round-trip latency (scripts/bench-latency.sh -r $runs)"
"$top/scripts/bench-latency.sh" -r "$runs" "$build" | tee "$work/latency.out" || true

# col FILE KEY N: field N of the last line of FILE whose first field is KEY
col() { awk -v k="$2" -v n="$3" '$1 == k { v = $n } END { print (v == "" ? "-" : v) }' "$1"; }
# verdict VALUE OP TARGET: met / missed (- without a value)
verdict() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (v == "-" || v == "") { print "-"; exit }
		ok = (op == ">=") ? v + 0 >= t : v + 0 <= t
		print ok ? "met" : "MISSED" }'
}

m=$(grep '^shadow forwarding' "$work/micro.out")
l=$(grep '^same, dirty logging' "$work/micro.out")
mdesc=$(awk '{ print $(NF - 1) }' <<<"$m")
instr=$(awk '{ print $NF }' <<<"$m")
ratio=$(sed -n 's/.*time \([0-9.]*\).*/\1/p' "$work/micro.out")
tx=$(col "$work/direct.out" guest-tx 4)
rx=$(col "$work/direct.out" guest-rx 4)
added=$(col "$work/latency.out" poll 5)

echo
echo "## summary ($(nproc) cpus, loadavg $(cut -d' ' -f1-3 /proc/loadavg))"
printf "%-44s %-22s %-10s %s\n" measure value target verdict
printf "%-44s %-22s %-10s %s\n" "microbench Mdesc/s (1 lcore, burst 32)" "$mdesc" ">= 30" "$(verdict "$mdesc" ">=" 30)"
printf "%-44s %-22s %-10s %s\n" "microbench ns/desc" "$(awk '{ print $(NF - 2) }' <<<"$m")" "" ""
printf "%-44s %-22s %-10s %s\n" "microbench instructions/desc" "$instr" "<= 60" "$(verdict "$instr" "<=" 60)"
# Relay only, no device work: the upper bound of what logging costs. P4's
# target (at most 10 % of throughput) is end to end: scripts/bench-log.sh.
printf "%-44s %-22s %-10s %s\n" "logging on/off, relay only: time (instr on)" "$ratio ($(awk '{ print $NF }' <<<"$l"))" "" "end to end: bench-log.sh"
printf "%-44s %-22s %-10s %s\n" "guest tx Mpps direct / relayed, ratio" "$(col "$work/direct.out" guest-tx 2) / $(col "$work/direct.out" guest-tx 3), $tx" ">= 1.0" "$(verdict "$tx" ">=" 1.0)"
printf "%-44s %-22s %-10s %s\n" "guest rx Mpps direct / relayed, ratio" "$(col "$work/direct.out" guest-rx 2) / $(col "$work/direct.out" guest-rx 3), $rx" ">= 1.0" "$(verdict "$rx" ">=" 1.0)"
for mode in poll interrupt adaptive; do
	printf "%-44s %-22s %-10s %s\n" "idle CPU % of a core, notify=$mode" "$(col "$work/idle.out" "$mode" 2)" "" ""
done
for c in direct poll adaptive interrupt; do
	printf "%-44s %-22s %-10s %s\n" "round trip us median / p99, $c" \
		"$(col "$work/latency.out" "$c" 2) / $(col "$work/latency.out" "$c" 3)" "" ""
done
printf "%-44s %-22s %-10s %s\n" "added round trip us (poll - direct, median)" "$added" "<= 2" "$(verdict "$added" "<=" 2)"
