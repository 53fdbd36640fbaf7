#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay's performance table. Part 1: the lib/svq forwarding
# microbenchmark in one thread (synthetic guest ring -> shadow ring ->
# minimal device -> used back to the guest, 64-byte buffers, burst 32):
# median ns per descriptor and Mdesc/s over RUNS runs, and instructions per
# descriptor counted by valgrind's callgrind (repeatable on a noisy
# machine). The packet-rate and replay benchmarks are scripts/bench-testpmd.sh
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

# one_config LABEL ARGS...: median ns/desc, Mdesc/s, callgrind instr/desc
one_config() {
	local label=$1 ns mdesc instr=- total descs=1000000
	shift
	: >"$work/runs.txt"
	for _ in $(seq "$runs"); do
		"$bench" --descs 20000000 "$@" >>"$work/runs.txt"
	done
	ns=$(field ns_per_desc <"$work/runs.txt" | median)
	mdesc=$(field mdesc_per_s <"$work/runs.txt" | median)
	if command -v valgrind >/dev/null; then
		valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
			--toggle-collect=svq_shadow_forward_avail \
			--toggle-collect=svq_shadow_forward_used \
			"$bench" --descs $descs "$@" >/dev/null 2>&1
		total=$(callgrind_annotate "$work/cg.out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
		instr=$(awk -v t="$total" -v d="$descs" 'BEGIN { printf "%.1f", t / d }')
	fi
	printf "%-32s %10s %10s %14s\n" "$label" "$ns" "$mdesc" "$instr"
}

printf "%-32s %10s %10s %14s\n" benchmark ns/desc Mdesc/s instr/desc
# Logging off and on alternate run by run would be fairer still; one
# configuration after the other, in one session, is what this does.
one_config "shadow forwarding, 1 lcore"
one_config "same, dirty logging on" --log
