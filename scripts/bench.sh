#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay's performance table. Part 1: the lib/svq forwarding
# microbenchmark in one thread (synthetic guest ring -> shadow ring ->
# minimal device -> used back to the guest, 64-byte buffers, burst 32):
# median ns per descriptor and Mdesc/s over RUNS runs, and instructions per
# descriptor counted by valgrind's callgrind (repeatable on a noisy
# machine); without and with dirty logging (issue P4), runs alternating,
# and the on/off ratios. The packet-rate and replay benchmarks are scripts/bench-testpmd.sh
# and scripts/bench-replay.sh.
#
# usage: scripts/bench.sh [-r RUNS] [BUILD_DIR]
set -euo pipefail

runs=5
while getopts "r:" opt; do
	case $opt in
	r) runs=$OPTARG ;;
	*) echo "usage: $0 [-r RUNS] [BUILD_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
top=$(cd "$(dirname "$0")/.." && pwd)
bench=${1:-$top/build}/test/bench/svq-bench-shadow
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
