#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_notify.sh RELAY FRONTEND interrupt|adaptive sim|vhost-user
#
# Notification modes: a port in mode interrupt or adaptive lets its worker
# sleep when idle, woken by the guest's kicks and (vhost-user device) the
# device's calls. svq-frontend sends numbered loops through the relay with
# idle gaps between them; every loop must come back whole after the worker
# slept, and while the guest is silent the relay must use well under one
# core (a polling worker uses all of one: the check is loose on purpose,
# the figures are in doc/performance.md).

set -u

if [ $# -ne 4 ]; then
	echo "usage: $0 RELAY FRONTEND interrupt|adaptive sim|vhost-user" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2
NOTIFY=$3
DEVICE=$4
FRAMES=${SVQ_IT_FRAMES:-4000}
QUEUES=2

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

it_need_common
[ -x "$RELAY" ] || it_skip "relay binary '$RELAY' is not built"
[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
it_init

if [ "$DEVICE" = vhost-user ]; then
	it_need_testpmd
	prefix=svq-it-nt-dev-$$
	it_spawn device "$prefix" "$IT_TESTPMD" -l "$IT_BACKEND_LCORES" \
		--no-pci --file-prefix="$prefix" \
		--vdev "net_vhost0,iface=$IT_DIR/device.sock,queues=$QUEUES" -- \
		--forward-mode=io --port-topology=loop --auto-start \
		--rxq="$QUEUES" --txq="$QUEUES" --nb-cores=1 --stats-period=1 \
		--total-num-mbufs=16384
	it_wait_listening "$IT_LAST_PID" "device testpmd" "$IT_DIR/device.sock"
	spec="vhost-user,path=$IT_DIR/device.sock,queues=$QUEUES"
else
	spec="sim,mode=loopback,queues=$QUEUES"
fi
prefix=svq-it-nt-relay-$$
it_spawn relay "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci \
	--file-prefix="$prefix" -- \
	--vhost "$IT_SOCK,queues=$QUEUES,notify=$NOTIFY" --device "$spec"
RELAY_PID=$IT_LAST_PID
it_wait_listening "$RELAY_PID" relay "$IT_SOCK"

# cpu_ticks PID: user + system clock ticks the process used so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

it_fe_start frontend "$FRONTEND" --socket "$IT_SOCK" --queues "$QUEUES" \
	--connect-timeout 5000 --mq-start
for round in 1 2 3; do
	it_fe_step "round$round" "loop all $FRAMES 64-1500"
	line=$(grep '^loop pair=all ' "$IT_FE_LOG" | sed -n "${round}p")
	for key in lost dup corrupt misqueued reordered foreign; do
		[ "$(it_field "$line" "$key")" = 0 ] || it_fail "round $round: $line"
	done
	[ "$(it_field "$line" received)" = "$FRAMES" ] || it_fail "round $round: $line"
	it_log "round $round: $line"
	# The guest is silent now: the worker must go to sleep.
	sleep 0.5
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$RELAY_PID")
	sleep 2
	t1=$(cpu_ticks "$RELAY_PID")
	pct=$(( (t1 - t0) * 100 / (2 * hz) ))
	it_log "round $round: relay CPU while the guest is silent: ${pct}% of a core"
	[ "$pct" -lt 50 ] ||
		it_fail "relay used ${pct}% of a core while idle in mode $NOTIFY: its worker never slept"
done
it_fe_end || it_fail "frontend exited $?"
kill -0 "$RELAY_PID" 2>/dev/null || it_fail "relay died"
it_log "PASS: notify=$NOTIFY with the $DEVICE device: woken by every burst, asleep when idle"
