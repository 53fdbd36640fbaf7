#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_vhost_user.sh RELAY PKTCHECK FRONTEND QUEUES FWD|reconnect|cvq
#
# The relay in front of a device it did not write: dpdk-testpmd with
# net_vhost plays the device (the relay is its vhost-user frontend, with
# the guest's memory and the shadow rings passed as files: zero copy).
#
# FWD (io or macswap): the device testpmd forwards every frame back on
# the queue it came from; svq-pktcheck, a net_virtio_user guest, checks
# that every frame comes back exactly once, intact, on its queue pair.
#
# reconnect: svq-frontend is the guest and stays connected while the
# device dies: a numbered loop through the device, then SIGKILL to the
# device testpmd: the relay must report the device lost, keep the guest's
# vrings valid and itself alive; a new testpmd on the same socket: the
# relay reconnects, restarts the vrings at the guest's bases, and a second
# loop must come back whole (the guest's VQ_PAIRS_SET replayed on the new
# device first). Frames inside the device when it died are
# lost with it; none is in flight here when it is killed.
#
# cvq: the device has no control queue (no vhost-user net backend has),
# so the relay answers svq-frontend's: VQ_PAIRS_SET, RX mode, MAC table
# and VLAN commands acked OK and tracked exactly (the relay's state read
# over its control socket), an RSS command refused (not offered); queue
# pairs applied to the device with SET_VRING_ENABLE (seen in the device
# testpmd's log), traffic on the pairs in use.

set -u

if [ $# -ne 5 ]; then
	echo "usage: $0 RELAY PKTCHECK FRONTEND QUEUES io|macswap|reconnect|cvq" >&2
	exit 2
fi
RELAY=$1
PKTCHECK=$2
FRONTEND=$3
QUEUES=$4
WHAT=$5
FRAMES=${SVQ_IT_FRAMES:-20000}

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

it_need_common
it_need_testpmd
[ -x "$RELAY" ] || it_skip "relay binary '$RELAY' is not built"
it_init

DEV_SOCK=$IT_DIR/device.sock

# start_device NAME: testpmd's vhost PMD as the device, listening on
# DEV_SOCK; sets DEV_PID.
start_device() {
	local prefix=svq-it-vu-$1-$$ fwd=$WHAT
	case "$fwd" in reconnect | cvq) fwd=io ;; esac
	it_spawn "$1" "$prefix" "$IT_TESTPMD" -l "$IT_BACKEND_LCORES" \
		--no-pci --file-prefix="$prefix" \
		--vdev "net_vhost0,iface=$DEV_SOCK,queues=$QUEUES" -- \
		--forward-mode="$fwd" --port-topology=loop --auto-start \
		--rxq="$QUEUES" --txq="$QUEUES" --nb-cores=1 --stats-period=1 \
		--total-num-mbufs=16384
	DEV_PID=$IT_LAST_PID
	it_wait_listening "$DEV_PID" "device testpmd" "$DEV_SOCK"
}

start_device device
prefix=svq-it-vu-relay-$$
it_spawn relay "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci \
	--file-prefix="$prefix" -- --vhost "$IT_SOCK,queues=$QUEUES" \
	--device "vhost-user,path=$DEV_SOCK,queues=$QUEUES" --stats 1 \
	--control "$IT_DIR/relay.ctl"
RELAY_PID=$IT_LAST_PID
it_wait_listening "$RELAY_PID" relay "$IT_SOCK" "$IT_DIR/relay.ctl"
RELAY_LOG=$IT_DIR/relay.log

if [ "$WHAT" != reconnect ] && [ "$WHAT" != cvq ]; then
	[ -x "$PKTCHECK" ] || it_skip "svq-pktcheck '$PKTCHECK' is not built"
	prefix=svq-it-vu-guest-$$
	it_spawn pktcheck "$prefix" "$PKTCHECK" -l 0 --no-pci \
		--file-prefix="$prefix" --single-file-segments \
		--vdev "net_virtio_user0,path=$IT_SOCK,queues=$QUEUES" -- \
		--frames "$FRAMES" --size 64-1500 --queues "$QUEUES" --timeout 60
	wait "$IT_LAST_PID"
	rc=$?
	result=$(grep '^PKTCHECK ' "$IT_DIR/pktcheck.log" | tail -n 1)
	[ -n "$result" ] || it_fail "svq-pktcheck (exit $rc) printed no PKTCHECK line"
	errors=
	[ "$(it_field "$result" received)" = "$FRAMES" ] || errors+=" received!=$FRAMES"
	for key in lost dup corrupt misqueued foreign; do
		[ "$(it_field "$result" "$key")" = 0 ] || errors+=" $key!=0"
	done
	[ "$rc" = 0 ] || errors+=" exit=$rc"
	[ -z "$errors" ] || it_fail "through testpmd ($WHAT):$errors: $result"
	kill -0 "$RELAY_PID" 2>/dev/null || it_fail "relay died"
	kill -0 "$DEV_PID" 2>/dev/null || it_fail "device testpmd died"
	it_log "PASS: $result through the relay and testpmd net_vhost ($WHAT), $QUEUES queue pair(s)"
	exit 0
fi

[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
it_fe_start frontend "$FRONTEND" --socket "$IT_SOCK" --queues "$QUEUES" \
	--connect-timeout 5000 --mq-start
# check_loop N WHAT [PAIR]: the Nth loop result on PAIR (default all).
check_loop() {
	local line
	line=$(grep "^loop pair=${3:-all} " "$IT_FE_LOG" | sed -n "${1}p")
	[ -n "$line" ] || it_fail "$2: no loop result"
	for key in lost dup corrupt misqueued reordered foreign; do
		[ "$(it_field "$line" "$key")" = 0 ] || it_fail "$2: $line"
	done
	[ "$(it_field "$line" received)" = "$FRAMES" ] || it_fail "$2: $line"
	it_log "$2: $line"
}

if [ "$WHAT" = cvq ]; then
	# wait_log FILE TEXT WHAT: TEXT appears in FILE within 10 s.
	wait_log() {
		local i
		for ((i = 0; i < 100; i++)); do
			grep -q "$2" "$1" && return 0
			sleep 0.1
		done
		it_fail "$3: no '$2' in $(basename "$1") within 10 s"
	}
	it_fe_step ready "loop all $FRAMES 64-1500"
	line=$(grep '^ready ' "$IT_FE_LOG")
	[ "$(it_field "$line" mq_start)" = 0 ] ||
		it_fail "VQ_PAIRS_SET($QUEUES) at start not acked OK: $line"
	check_loop 1 "$QUEUES pairs set by the guest"
	it_fe_step cmds "rx promisc on" "mac table 02:00:00:00:00:0a 01:00:5e:00:00:01" \
		"vlan add 100" "rss 3f 0 2 - 0,1"
	acks=$(grep '^cvq class=' "$IT_FE_LOG" | while read -r l; do it_field "$l" ack; done | paste -sd ' ' -)
	[ "$acks" = "0 0 0 1" ] ||
		it_fail "acks '$acks' for RX, MAC table, VLAN, RSS; want '0 0 0 1'"
	it_ctl "$IT_DIR/relay.ctl" cvq.state '{"port": 0}' >"$IT_DIR/state.json" ||
		it_fail "cvq.state refused"
	python3 - "$IT_DIR/state.json" "$QUEUES" <<'PY' || it_fail "the relay's state is not what the guest set (above)"
import json, sys
s = json.load(open(sys.argv[1]))
want = {"promisc": True, "unicast": ["02:00:00:00:00:0a"],
	"multicast": ["01:00:5e:00:00:01"], "vlans": [100],
	"queue_pairs": int(sys.argv[2])}
got = {"promisc": s["rx_mode"]["promisc"],
       "unicast": [m.lower() for m in s["mac_table"]["unicast"]],
       "multicast": [m.lower() for m in s["mac_table"]["multicast"]],
       "vlans": s["vlans"], "queue_pairs": s["queue_pairs"]}
if got != want:
	sys.exit("state %s, want %s" % (got, want))
PY
	it_log "relay's state after RX, MAC table, VLAN (RSS refused): as set"
	it_fe_step one "mq pairs 1" "loop 0 $FRAMES 64-1500"
	wait_log "$RELAY_LOG" "q2: device vring disabled" "VQ_PAIRS_SET(1)"
	wait_log "$IT_DIR/device.log" "set queue enable: 0 to qp idx: 2" "VQ_PAIRS_SET(1)"
	check_loop 1 "1 pair set by the guest" 0
	it_fe_step two "mq pairs $QUEUES" "loop all $FRAMES 64-1500"
	wait_log "$RELAY_LOG" "q2: device vring enabled" "VQ_PAIRS_SET($QUEUES)"
	check_loop 2 "$QUEUES pairs again"
	it_fe_end || it_fail "frontend exited $?"
	kill -0 "$RELAY_PID" 2>/dev/null || it_fail "relay died"
	it_log "PASS: the relay answered the control queue for a device without one"
	exit 0
fi

it_fe_step first "loop all $FRAMES 64-1500"
check_loop 1 "before the device dies"

kill -KILL "$DEV_PID"
wait "$DEV_PID" 2>/dev/null
for ((i = 0; i < 100; i++)); do
	grep -q "device vhost-user0 lost" "$RELAY_LOG" && break
	sleep 0.1
done
grep -q "device vhost-user0 lost" "$RELAY_LOG" ||
	it_fail "the relay did not report the device lost within 10 s"
kill -0 "$RELAY_PID" 2>/dev/null || it_fail "the relay died with its device"
it_log "device killed: $(grep -m1 'backend disconnected' "$RELAY_LOG" | sed 's/^svq.vhost_user: //')"

# The guest sees nothing but silence: its vrings stay valid.
it_fe_step waiting "stats"
rm -f "$DEV_SOCK"
start_device device2
for ((i = 0; i < 100; i++)); do
	grep -q "device vhost-user0 back" "$RELAY_LOG" && break
	sleep 0.1
done
grep -q "device vhost-user0 back" "$RELAY_LOG" ||
	it_fail "the relay did not reconnect to the new device within 10 s"
grep -q "restored device state" "$RELAY_LOG" ||
	it_fail "the state the guest set (queue pairs) was not replayed on the new device"
it_log "device back: $(grep 'restored device state' "$RELAY_LOG" | tail -n 1 | sed 's/^svq.migrate: //')"

it_fe_step second "loop all $FRAMES 64-1500" "stats"
check_loop 2 "after the device came back"
while read -r line; do
	for key in bad_id bad_len bad_idx; do
		[ "$(it_field "$line" "$key")" = 0 ] || it_fail "ring protocol error: $line"
	done
done < <(grep '^stats vring=' "$IT_FE_LOG")
it_fe_end || it_fail "frontend exited $?"
kill -0 "$RELAY_PID" 2>/dev/null || it_fail "relay died"
it_log "PASS: device killed and restarted under a connected guest; traffic resumed whole"
