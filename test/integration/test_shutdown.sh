#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Stopping the relay while a guest is connected and its traffic flows:
# the relay must stop every vring before librte_vhost unmaps the guest's
# memory, exit 0, print its final statistics and save its state.
#
#   test_shutdown.sh RELAY FRONTEND
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2

. "$(dirname "$0")/common.sh"

it_need_common
IT_BACKEND=relay
it_need_backend
[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
it_init

echo "loop all 100000000 64-1500" >"$IT_DIR/traffic.fe"
for signal in INT TERM; do
	rm -f "$IT_SOCK" "$IT_DIR/state.json"
	prefix=svq-it-relay-$signal-$$
	it_spawn "relay-$signal" "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci \
		--file-prefix="$prefix" -- \
		--vhost "$IT_SOCK,queues=2,state-out=$IT_DIR/state.json" \
		--device sim,mode=loopback,queues=2
	relay=$IT_LAST_PID
	it_wait_listening "$relay" relay "$IT_SOCK"
	# A guest that keeps frames circulating until the relay goes away.
	it_spawn "guest-$signal" "" "$FRONTEND" --socket "$IT_SOCK" --queues 2 \
		--mq-start --script "$IT_DIR/traffic.fe"
	guest=$IT_LAST_PID
	sleep 2
	kill -"$signal" "$relay"
	wait "$relay"
	rc=$?
	[ "$rc" = 0 ] || it_fail "relay stopped with SIG$signal exited $rc with a guest connected"
	grep -q "final statistics" "$IT_DIR/relay-$signal.log" ||
		it_fail "no final statistics after SIG$signal"
	[ -s "$IT_DIR/state.json" ] || it_fail "no state saved after SIG$signal"
	it_stop_pid "$guest"
	it_log "SIG$signal with a guest connected: exit 0, statistics, state saved"
done
it_log "PASS"
