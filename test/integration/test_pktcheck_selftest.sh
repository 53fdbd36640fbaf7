#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_pktcheck_selftest.sh RELAY PKTCHECK
#
# The negative side of test_loopback.sh: svq-pktcheck --inject damages
# every K-th frame on purpose (drop, dup, corrupt, misqueue, foreign) and
# each run must fail with exactly that fault counted, so a passing
# loopback test means the checker would have seen such damage. Then
# --pingpong (the latency mode of scripts/bench-latency.sh): 100 round
# trips, each frame back and checked before the next is sent. One backend
# (relay + sim loopback, or the testpmd stand-in) serves all runs; each
# run is a new vhost-user connection.

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY PKTCHECK" >&2
	exit 2
fi
RELAY=$1
PKTCHECK=$2
QUEUES=2
FRAMES=4000
EVERY=100
FAULTS=$((FRAMES / EVERY))

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

it_need_common
it_need_backend
[ -x "$PKTCHECK" ] || it_skip "svq-pktcheck '$PKTCHECK' is not built"

it_init
it_start_backend "$QUEUES"

# run_case NAME INJECT EXPECTED-RC KEY=VALUE...: KEY=VALUE from the
# PKTCHECK and LATENCY lines; MODE_OPTS, if set, replaces the options of
# the rate mode.
run_case() {
	local name=$1 inject=$2 want_rc=$3 prefix log result rc kv errors=
	shift 3
	prefix=svq-it-guest-$$-$name
	log=$IT_DIR/pktcheck-$name.log
	# shellcheck disable=SC2086
	it_spawn "pktcheck-$name" "$prefix" "$PKTCHECK" -l 0 --no-pci \
		--file-prefix="$prefix" --single-file-segments \
		--vdev "net_virtio_user0,path=$IT_SOCK,queues=$QUEUES" -- \
		${MODE_OPTS:---frames $FRAMES --size 64-1500 --queues $QUEUES} \
		--timeout 30 --stall 500 $inject
	wait "$IT_LAST_PID"
	rc=$?
	rm -f "$IT_HUGEDIR/${prefix}"map_*
	rm -rf "/var/run/dpdk/$prefix"
	result="$(grep '^PKTCHECK ' "$log" | tail -n 1) $(grep '^LATENCY ' "$log")"
	echo "$name: $result (exit $rc)"
	[ "$rc" = "$want_rc" ] || errors+=" exit=$rc"
	for kv in "$@"; do
		[ "$(it_field "$result" "${kv%%=*}")" = "${kv#*=}" ] ||
			errors+=" want-$kv"
	done
	[ -z "$errors" ] || it_fail "case $name:$errors"
}

run_case clean "" 0 sent=$FRAMES received=$FRAMES lost=0 dup=0 corrupt=0 \
	misqueued=0 foreign=0
run_case drop "--inject drop:$EVERY" 1 sent=$FRAMES lost=$FAULTS \
	received=$((FRAMES - FAULTS)) dup=0 corrupt=0
run_case dup "--inject dup:$EVERY" 1 sent=$FRAMES lost=0 dup=$FAULTS \
	received=$((FRAMES + FAULTS)) corrupt=0
run_case corrupt "--inject corrupt:$EVERY" 1 sent=$FRAMES corrupt=$FAULTS \
	lost=$FAULTS dup=0
run_case misqueue "--inject misqueue:$EVERY" 1 sent=$FRAMES lost=0 \
	misqueued=$FAULTS
run_case foreign "--inject foreign:$EVERY" 1 sent=$FRAMES lost=0 \
	foreign=$FAULTS
run_case foreign-allowed "--inject foreign:$EVERY --allow-foreign" 0 \
	sent=$FRAMES lost=0 foreign=$FAULTS
MODE_OPTS="--pingpong 100 --warmup 0 --size 64-1500" run_case pingpong "" 0 \
	n=100 sent=100 received=100 lost=0 dup=0 corrupt=0 misqueued=0 foreign=0
it_backend_alive || it_fail "backend died"
it_log "PASS: every injected fault was detected and counted; 100 round trips checked"
