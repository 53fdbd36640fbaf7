#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_faults.sh RELAY FRONTEND
#
# Faults from a live frontend, with a second port under traffic all along
# (a numbered loop on port 1 must come back whole after each case):
#   1. malformed rings written by svq-frontend's raw-* commands on port 0:
#      a descriptor chain that loops, a head beyond the ring, a buffer
#      outside guest memory, an avail index jump past the ring, a control
#      command without a writable ack. Each time that vring alone turns
#      "broken" with its error counter raised, the relay and every other
#      vring keep running, and a frontend that connects again gets a
#      working port (a reset clears the fault);
#   2. the frontend killed (SIGKILL) in the middle of a stream on port 0:
#      the relay cleans up port 0 only, and a new frontend streams whole.

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2
FRAMES=${SVQ_IT_FRAMES:-2000}
QUEUES=2

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

it_need_common
[ -x "$RELAY" ] || it_skip "relay binary '$RELAY' is not built"
[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
it_init

CTL=$IT_DIR/relay.ctl
prefix=svq-it-faults-$$
it_spawn relay "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci \
	--file-prefix="$prefix" -- \
	--vhost "$IT_DIR/p0.sock,queues=$QUEUES" --device "sim,queues=$QUEUES" \
	--vhost "$IT_DIR/p1.sock,queues=$QUEUES" --device "sim,queues=$QUEUES" \
	--control "$CTL"
RELAY_PID=$IT_LAST_PID
it_wait_listening "$RELAY_PID" relay "$IT_DIR/p0.sock" "$IT_DIR/p1.sock" "$CTL"

# The bystander: a frontend on port 1 for the whole test.
it_fe_start bystander "$FRONTEND" --socket "$IT_DIR/p1.sock" \
	--queues "$QUEUES" --connect-timeout 5000 --mq-start
BYSTANDER_LOOPS=0
bystander_loop() {
	local line
	BYSTANDER_LOOPS=$((BYSTANDER_LOOPS + 1))
	it_fe_step "by$BYSTANDER_LOOPS" "loop all $FRAMES 64-1500"
	line=$(grep '^loop pair=all ' "$IT_FE_LOG" | sed -n "${BYSTANDER_LOOPS}p")
	for key in lost dup corrupt misqueued reordered foreign; do
		[ "$(it_field "$line" "$key")" = 0 ] || it_fail "port 1 after $1: $line"
	done
	[ "$(it_field "$line" received)" = "$FRAMES" ] || it_fail "port 1 after $1: $line"
}

# vring_state QID: "STATE GUEST_ERRORS" of port 0's vring QID.
vring_state() {
	it_ctl "$CTL" queue.stats "{\"port\": 0, \"queue\": $1}" | python3 -c '
import json, sys
q = json.load(sys.stdin)
print(q["state"], q["guest_errors"])'
}

# fault NAME VRING SCRIPT-LINES...: run the raw commands in a fresh
# session on port 0; VRING must end up broken, then a new session must
# work on every pair.
fault() {
	local name=$1 vring=$2 errors_before lines_before pattern
	shift 2
	pattern="port0 q$vring: guest .* stopped until"
	errors_before=$(vring_state "$vring" | cut -d' ' -f2)
	lines_before=$(grep -c "$pattern" "$IT_DIR/relay.log")
	timeout 60 "$FRONTEND" --socket "$IT_DIR/p0.sock" --queues "$QUEUES" \
		--connect-timeout 5000 --mq-start >"$IT_DIR/$name.log" 2>&1 \
		< <(printf '%s\n' "$@" "sleep 300" "stats")
	IT_LOGS+=("$IT_DIR/$name.log")
	# The counter outlives the session (whose end reset the port).
	[ "$(vring_state "$vring" | cut -d' ' -f2)" -gt "$errors_before" ] ||
		it_fail "$name: vring $vring's error counter did not move"
	[ "$(grep -c "$pattern" "$IT_DIR/relay.log")" = $((lines_before + 1)) ] ||
		it_fail "$name: no (or more than one) line '$pattern' in the relay's log"
	kill -0 "$RELAY_PID" 2>/dev/null || it_fail "$name: the relay died"
	it_log "$name: $(grep "$pattern" "$IT_DIR/relay.log" | tail -n 1 | sed 's/^svq\.[a-z]*: //')"
	bystander_loop "$name"
	# A guest that resets its device (reconnects) gets a working port.
	timeout 60 "$FRONTEND" --socket "$IT_DIR/p0.sock" --queues "$QUEUES" \
		--connect-timeout 5000 --mq-start >"$IT_DIR/$name-after.log" 2>&1 \
		< <(echo "loop all $FRAMES 64-1500")
	IT_LOGS+=("$IT_DIR/$name-after.log")
	line=$(grep '^loop pair=all ' "$IT_DIR/$name-after.log")
	[ "$(it_field "$line" received)" = "$FRAMES" ] &&
		[ "$(it_field "$line" lost)" = 0 ] ||
		it_fail "$name: port 0 after a new connection: ${line:-$(tail -n 2 "$IT_DIR/$name-after.log")}"
}

bystander_loop "start"

# TX vring 1 of pair 0; its descriptors are readable. scratch is guest
# memory the tool leaves free for raw tests.
fault loop 1 \
	"raw-desc 1 0 scratch 64 next 1" "raw-desc 1 1 scratch+64 64 next 0" \
	"raw-avail 1 0"
fault head-beyond-ring 1 "raw-avail 1 4000"
fault outside-memory 1 \
	"raw-desc 1 0 0x7ffffffff000 64 - 0" "raw-avail 1 0"
fault avail-jump 1 "raw-avail-idx 1 5000"
# The control vring (2N): a command without a writable ack byte.
fault cvq-no-ack $((2 * QUEUES)) \
	"raw-desc cvq 0 scratch 2 - 0" "raw-avail cvq 0"

# ---- the frontend dies mid-stream -----------------------------------------
timeout 120 "$FRONTEND" --socket "$IT_DIR/p0.sock" --queues "$QUEUES" \
	--connect-timeout 5000 --mq-start >"$IT_DIR/victim.log" 2>&1 \
	< <(echo "loop all 1000000 64-1500") &
victim=$!
IT_PIDS+=("$victim")
sleep 2
kill -KILL "$victim"
wait "$victim" 2>/dev/null
for ((i = 0; i < 50; i++)); do
	[ "$(grep -c 'frontend disconnected' "$IT_DIR/relay.log")" -ge 11 ] && break
	sleep 0.1
done
kill -0 "$RELAY_PID" 2>/dev/null || it_fail "the relay died with its frontend"
bystander_loop "a frontend killed mid-stream"
timeout 60 "$FRONTEND" --socket "$IT_DIR/p0.sock" --queues "$QUEUES" \
	--connect-timeout 5000 --mq-start >"$IT_DIR/revived.log" 2>&1 \
	< <(echo "loop all $FRAMES 64-1500")
line=$(grep '^loop pair=all ' "$IT_DIR/revived.log")
[ "$(it_field "$line" received)" = "$FRAMES" ] && [ "$(it_field "$line" lost)" = 0 ] ||
	it_fail "port 0 after its frontend was killed: ${line:-$(tail -n 2 "$IT_DIR/revived.log")}"
it_log "a frontend killed mid-stream: port 0 served again: $line"

it_fe_end || it_fail "the bystander frontend exited $?"
kill -0 "$RELAY_PID" 2>/dev/null || it_fail "the relay died"
it_log "PASS: 5 malformed rings and a killed frontend on port 0; port 1 streamed whole throughout"
