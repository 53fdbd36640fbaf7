#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_loopback.sh RELAY PKTCHECK QUEUES
#
# Starts the backend (the relay with the sim device in loopback mode, or
# the testpmd stand-in with SVQ_IT_BACKEND=testpmd) as the vhost-user
# server, then runs svq-pktcheck as the guest through net_virtio_user. The
# device loops TX of pair q back to RX of pair q, so every frame must come
# back exactly once, intact, on the queue it was sent from.
#
# Environment (besides common.sh's):
#   SVQ_IT_FRAMES        frames to send (default 20000)
#   SVQ_IT_SIZE          frame size or range (default 64-1500)
#   SVQ_IT_GUEST_LCORES  svq-pktcheck lcores (default 0: the backend's
#                        worker owns cpu 1)
#   SVQ_IT_PKTCHECK_ARGS extra svq-pktcheck options (e.g. --inject dup:1000
#                        to see the test fail)

set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 RELAY PKTCHECK QUEUES" >&2
	exit 2
fi
RELAY=$1
PKTCHECK=$2
QUEUES=$3
FRAMES=${SVQ_IT_FRAMES:-20000}
SIZE=${SVQ_IT_SIZE:-64-1500}
GUEST_LCORES=${SVQ_IT_GUEST_LCORES:-0}

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

it_need_common
it_need_backend
[ -x "$PKTCHECK" ] || it_skip "svq-pktcheck '$PKTCHECK' is not built"

it_init
it_start_backend "$QUEUES"

prefix=svq-it-guest-$$
# SVQ_IT_PKTCHECK_ARGS is split into words on purpose.
# shellcheck disable=SC2086
it_spawn pktcheck "$prefix" "$PKTCHECK" -l "$GUEST_LCORES" --no-pci \
	--file-prefix="$prefix" --single-file-segments \
	--vdev "net_virtio_user0,path=$IT_SOCK,queues=$QUEUES" -- \
	--frames "$FRAMES" --size "$SIZE" --queues "$QUEUES" --timeout 60 \
	${SVQ_IT_PKTCHECK_ARGS:-}
guest_pid=$IT_LAST_PID
wait "$guest_pid"
rc=$?

result=$(grep '^PKTCHECK ' "$IT_DIR/pktcheck.log" | tail -n 1)
[ -n "$result" ] || it_fail "svq-pktcheck (exit $rc) printed no PKTCHECK line"
echo "$result queues=$QUEUES backend=$IT_BACKEND"
it_backend_alive || it_fail "backend died during the run"

# Check every field ourselves, not only the exit status, so a wrong count
# is named in the log.
errors=
[ "$(it_field "$result" sent)" = "$FRAMES" ] || errors+=" sent!=$FRAMES"
[ "$(it_field "$result" received)" = "$FRAMES" ] || errors+=" received!=$FRAMES"
for key in lost dup corrupt misqueued foreign; do
	[ "$(it_field "$result" "$key")" = 0 ] || errors+=" $key!=0"
done
[ "$rc" = 0 ] || errors+=" exit=$rc"
[ -z "$errors" ] || it_fail "loopback check:$errors"
it_log "PASS: $FRAMES frames of $SIZE bytes over $QUEUES queue pair(s)"
