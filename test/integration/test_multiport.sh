#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Several ports in one relay process, each with its own device and its own
# worker lcore (--lcore-map), serving two guests at the same time: every
# frame of both guests comes back intact, and the relay's statistics show
# each port's vrings on the lcore they were mapped to.
#
#   test_multiport.sh RELAY PKTCHECK
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY PKTCHECK" >&2
	exit 2
fi
RELAY=$1
PKTCHECK=$2
FRAMES=${SVQ_IT_FRAMES:-10000}

. "$(dirname "$0")/common.sh"

it_need_common
IT_BACKEND=relay
it_need_backend
[ -x "$PKTCHECK" ] || it_skip "svq-pktcheck '$PKTCHECK' is not built"

it_init
sock0=$IT_DIR/port0.sock
sock1=$IT_DIR/port1.sock
prefix=svq-it-relay-$$
# Two worker lcores (1 and 2) on one cpu: enough to prove placement.
it_spawn backend "$prefix" "$RELAY" --lcores '0@0,1@1,2@1' --no-pci \
	--file-prefix="$prefix" -- \
	--vhost "$sock0,queues=2,state-out=$IT_DIR/port0.json" \
	--device sim,mode=loopback,queues=2 \
	--vhost "$sock1" --device sim,mode=loopback,mac=52:54:00:00:00:02 \
	--lcore-map 0:0-3@1,1:0-1@2 --stats 1
IT_BACKEND_PID=$IT_LAST_PID
it_wait_listening "$IT_BACKEND_PID" relay "$sock0" "$sock1"

pids=()
for p in 0 1; do
	q=$(( p == 0 ? 2 : 1 ))
	gp=svq-it-guest$p-$$
	sock=$IT_DIR/port$p.sock
	it_spawn "pktcheck$p" "$gp" "$PKTCHECK" -l 0 --no-pci --file-prefix="$gp" \
		--single-file-segments --vdev "net_virtio_user0,path=$sock,queues=$q" -- \
		--frames "$FRAMES" --size 64-1500 --queues "$q" --timeout 60
	pids+=("$IT_LAST_PID")
done

for p in 0 1; do
	wait "${pids[$p]}"
	rc=$?
	result=$(grep '^PKTCHECK ' "$IT_DIR/pktcheck$p.log" | tail -n 1)
	[ -n "$result" ] || it_fail "guest of port$p (exit $rc) printed no result"
	echo "port$p: $result"
	errors=
	[ "$(it_field "$result" received)" = "$FRAMES" ] || errors+=" received!=$FRAMES"
	for key in lost dup corrupt misqueued foreign; do
		[ "$(it_field "$result" "$key")" = 0 ] || errors+=" $key!=0"
	done
	[ "$rc" = 0 ] || errors+=" exit=$rc"
	[ -z "$errors" ] || it_fail "port$p:$errors"
done
it_backend_alive || it_fail "relay died during the run"

# The statistics table lists "vring lcore state ..." per port: port0's
# four vrings on lcore 1, port1's two on lcore 2, all having relayed.
it_stop_pid "$IT_BACKEND_PID"
stats=$IT_DIR/backend.log
awk '/final statistics/ { f = 1 } f' "$stats" >"$IT_DIR/final.txt"
for spec in "port0 0 1" "port0 1 1" "port0 2 1" "port0 3 1" "port1 0 2" "port1 1 2"; do
	set -- $spec
	line=$(awk -v port="$1" -v q="$2" '
		$1 ~ /^port/ { cur = $1 }
		cur == port && $1 == q { print; exit }' "$IT_DIR/final.txt")
	lcore=$(awk '{ print $2 }' <<<"$line")
	chains=$(awk '{ print $6 }' <<<"$line")
	[ "$lcore" = "$3" ] || it_fail "$1 vring $2 on lcore '$lcore', mapped to $3"
	[ "${chains:-0}" -gt 0 ] || it_fail "$1 vring $2 relayed nothing"
done
# net_virtio_user keeps its control queue and enables both pairs' vrings:
# the state the relay tracked must say two queue pairs in use.
pairs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["queue_pairs"])' \
	"$IT_DIR/port0.json" 2>/dev/null)
[ "$pairs" = 2 ] || it_fail "port0 state has queue_pairs '$pairs', want 2 (from vring enables)"
it_log "PASS: two ports, two devices, two workers, $FRAMES frames each; pairs tracked"
