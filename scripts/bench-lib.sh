# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Helpers of the scripts/bench-*.sh scripts that start DPDK processes;
# sourced, not run. Like test/integration/common.sh, every process is
# recorded by pid and ended by that pid, and each has its own
# --file-prefix, svq-TAG-ROLE-$$, whose hugepage files and runtime
# directory the exit trap removes.

# bench_usage: the usage block of the calling script's header; exit 2.
bench_usage() {
	sed -n 's/^# \{0,1\}//; /^usage:/,/^$/p' "$0" >&2
	exit 2
}

# bench_median DECIMALS: the median of the numbers on stdin, with DECIMALS
# decimals; "-" when there are none.
bench_median() {
	sort -g | awk -v p="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%." p "f\n", m }'
}

# bench_init TAG: sets work (a fresh directory) and pids (to be filled with
# every background pid), and traps EXIT to end those processes and remove
# work and the DPDK files of the prefixes svq-TAG-*-$$.
bench_init() {
	BENCH_TAG=$1
	work=$(mktemp -d "/tmp/svq-bench-$BENCH_TAG.XXXXXX")
	pids=()
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work" /var/run/dpdk/svq-"$BENCH_TAG"-*-$$ 2>/dev/null
	rm -f /dev/hugepages/svq-"$BENCH_TAG"-*-$$map_* 2>/dev/null
}

# bench_wait_socket NAME SOCKET LOG: wait up to 10 s for the vhost-user
# SOCKET; otherwise say so with LOG's tail and exit 1.
bench_wait_socket() {
	for _ in $(seq 100); do
		[ -S "$2" ] && return 0
		sleep 0.1
	done
	echo "$1: the backend did not listen on $2; its log:" >&2
	tail -n 5 "$3" >&2
	exit 1
}
