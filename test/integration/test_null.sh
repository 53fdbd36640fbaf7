#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The sim device in null mode: RX frames are generated at the configured
# rate and size, TX frames are taken and dropped. A svq-frontend guest
# counts what it receives over a fixed time and sends frames that must
# complete without coming back.
#
#   test_null.sh RELAY FRONTEND
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2
RATE=${SVQ_IT_NULL_RATE:-20000}
SIZE=${SVQ_IT_NULL_SIZE:-128}
DRAIN_MS=2000

. "$(dirname "$0")/common.sh"

it_need_common
IT_BACKEND=relay
it_need_backend
[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"

it_init
prefix=svq-it-relay-$$
it_spawn backend "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci \
	--file-prefix="$prefix" -- --vhost "$IT_SOCK" \
	--device "sim,mode=null,queues=1,rate=$RATE,size=$SIZE"
IT_BACKEND_PID=$IT_LAST_PID
it_wait_listening "$IT_BACKEND_PID" relay "$IT_SOCK"

frame=$(printf 'ffffffffffff0253565100010800%0100d' 0)
log=$IT_DIR/frontend.log
IT_LOGS+=("$log")
timeout 60 "$FRONTEND" --socket "$IT_SOCK" --queues 1 --connect-timeout 5000 \
	>"$log" 2>&1 <<EOF_SCRIPT
recv 1000 1
drain $DRAIN_MS
send 0 $frame 100
recv 300
stats
EOF_SCRIPT
rc=$?
[ "$rc" = 0 ] || it_fail "svq-frontend exited $rc"

# Generated frames have the configured size.
first=$(grep -m1 '^rx ' "$log")
[ "$(it_field "$first" len)" = "$SIZE" ] || it_fail "generated frame: $first, want len=$SIZE"

# The rate: DRAIN_MS at RATE frames/s, within what a shared machine allows.
count=$(it_field "$(grep -m1 '^drain ' "$log")" count)
want=$(( RATE * DRAIN_MS / 1000 ))
it_log "received $count frames in $DRAIN_MS ms at rate=$RATE (expected ~$want)"
[ "$count" -ge $(( want / 2 )) ] && [ "$count" -le $(( want * 12 / 10 )) ] ||
	it_fail "received $count frames, expected $want (-50%/+20%)"

# TX is taken and dropped: all 100 sent frames complete, none comes back
# (every frame received after them is a generated one of SIZE bytes).
grep -q '^send pair=0 .*count=100' "$log" || it_fail "sending did not complete: $(grep '^send' "$log")"
if grep '^rx ' "$log" | grep -v " len=$SIZE " | grep -q .; then
	it_fail "a frame other than the generated ones came back"
fi
it_backend_alive || it_fail "relay died"
it_log "PASS: null mode generates $SIZE-byte frames at ~$RATE/s and drops TX"
