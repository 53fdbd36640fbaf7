#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_testpmd_guest.sh RELAY QUEUES
#
# Starts the backend (relay + sim loopback, or the testpmd stand-in with
# SVQ_IT_BACKEND=testpmd) and runs dpdk-testpmd as the guest through
# net_virtio_user in io mode. "start tx_first" injects bursts that then
# circulate through the loopback for as long as forwarding runs; the test
# reads the guest's port statistics, checks that many packets went round
# with no errors or drops, and prints the guest's receive rate as
#   RATE queues=Q mpps=X.XX
#
# testpmd is driven interactively through a FIFO, one command at a time,
# waiting for each command's output: its non-interactive mode has no way
# to print final statistics on demand.
#
# Environment (besides common.sh's):
#   SVQ_IT_DURATION      measured interval in seconds (default 3)
#   SVQ_IT_WARMUP        seconds of forwarding before measuring (default 1)
#   SVQ_IT_TXFIRST       bursts of 32 injected per queue (default 4; the ring
#                        holds 256, so at most 8)
#   SVQ_IT_MIN_PACKETS   minimum packets received over the run (default 100000)
#   SVQ_IT_GUEST_LCORES  guest lcores (default 0-1)
#   SVQ_IT_GUEST_MAIN_LCORE  guest main lcore (default 1: the guest forwards
#                        on cpu 0 while its main lcore sleeps in the command
#                        line on cpu 1, where the backend forwards)

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY QUEUES" >&2
	exit 2
fi
RELAY=$1
QUEUES=$2
DURATION=${SVQ_IT_DURATION:-3}
WARMUP=${SVQ_IT_WARMUP:-1}
TXFIRST=${SVQ_IT_TXFIRST:-4}
MIN_PACKETS=${SVQ_IT_MIN_PACKETS:-100000}
GUEST_LCORES=${SVQ_IT_GUEST_LCORES:-0-1}
GUEST_MAIN=${SVQ_IT_GUEST_MAIN_LCORE:-1}
# Fixed, locally administered: the tx_first frames are addressed to the
# guest's own MAC so a filtering device accepts them even with
# promiscuous mode off.
GUEST_MAC=02:53:56:51:00:01

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

it_need_common
it_need_testpmd
it_need_backend

it_init
it_start_backend "$QUEUES"

mkfifo "$IT_DIR/guest.in" || it_fail "mkfifo"
prefix=svq-it-guest-$$
# stdbuf: testpmd prints command output with stdio, which is fully
# buffered into a log file; only the prompt is written directly.
IT_STDIN=$IT_DIR/guest.in it_spawn guest "$prefix" stdbuf -oL -eL "$IT_TESTPMD" \
	-l "$GUEST_LCORES" --main-lcore "$GUEST_MAIN" --no-pci \
	--file-prefix="$prefix" --single-file-segments \
	--vdev "net_virtio_user0,path=$IT_SOCK,queues=$QUEUES,mac=$GUEST_MAC" -- \
	-i --forward-mode=io --port-topology=loop --nb-cores=1 \
	--total-num-mbufs=16384 \
	--rxq="$QUEUES" --txq="$QUEUES" --eth-peer="0,$GUEST_MAC"
guest_pid=$IT_LAST_PID
guest_log=$IT_DIR/guest.log
# Opening the write end unblocks the guest's open of the read end; the fd
# stays open so testpmd does not see end-of-file between commands.
exec 3>"$IT_DIR/guest.in"

# guest_wait OFFSET PATTERN SECONDS: wait for PATTERN in the guest log
# after byte OFFSET.
guest_wait() {
	local off=$1 pat=$2 i
	for (( i = 0; i < $3 * 10; i++ )); do
		tail -c +"$((off + 1))" "$guest_log" | grep -q -- "$pat" && return 0
		kill -0 "$guest_pid" 2>/dev/null || it_fail "guest testpmd exited"
		sleep 0.1
	done
	it_fail "guest testpmd: no '$pat' within $3 s"
}

# guest_cmd CMD PATTERN: send CMD, wait for PATTERN in its output, and
# leave that output in $GUEST_OUT.
guest_cmd() {
	local off
	off=$(stat -c %s "$guest_log")
	echo "$1" >&3
	guest_wait "$off" "$2" 10
	GUEST_OUT=$(tail -c +"$((off + 1))" "$guest_log")
}

guest_wait 0 "testpmd> " 30

guest_cmd "start tx_first $TXFIRST" "testpmd> "
sleep "$WARMUP"
# The first "show port stats" starts testpmd's throughput interval; the
# second reports Rx-pps over exactly that interval, timed by testpmd.
guest_cmd "show port stats 0" "Tx-pps"
sleep "$DURATION"
guest_cmd "show port stats 0" "Tx-pps"
stats=$GUEST_OUT
guest_cmd "stop" "Done."
fwd=$GUEST_OUT
guest_cmd "quit" "Bye"
exec 3>&-
wait "$guest_pid"
guest_rc=$?

# stat KEY TEXT: the number following "KEY:" in TEXT (first occurrence).
stat() {
	sed -n "s/.*$1: *\([0-9]\+\).*/\1/p" <<<"$2" | head -n 1
}

rx_packets=$(stat RX-packets "$stats")
rx_missed=$(stat RX-missed "$stats")
rx_errors=$(stat RX-errors "$stats")
rx_nombuf=$(stat RX-nombuf "$stats")
tx_packets=$(stat TX-packets "$stats")
tx_errors=$(stat TX-errors "$stats")
rx_pps=$(stat Rx-pps "$stats")
# "stop" prints the forwarding engine's totals; TX-dropped counts frames
# testpmd could not hand to the ring.
fwd_rx_dropped=$(stat RX-dropped "$fwd")
fwd_tx_dropped=$(stat TX-dropped "$fwd")

echo "guest port 0: RX-packets=$rx_packets TX-packets=$tx_packets RX-missed=$rx_missed RX-errors=$rx_errors RX-nombuf=$rx_nombuf TX-errors=$tx_errors RX-dropped=$fwd_rx_dropped TX-dropped=$fwd_tx_dropped Rx-pps=$rx_pps"
if [ -z "$rx_packets" ] || [ -z "$rx_pps" ]; then
	it_fail "cannot parse the guest's port statistics"
fi
mpps=$(awk -v pps="$rx_pps" 'BEGIN { printf "%.2f", pps / 1e6 }')
echo "RATE queues=$QUEUES mpps=$mpps backend=$IT_BACKEND"

errors=
[ "$rx_packets" -ge "$MIN_PACKETS" ] || errors+=" RX-packets<$MIN_PACKETS"
[ "$rx_pps" -gt 0 ] || errors+=" Rx-pps=0(frames-stopped-circulating)"
for v in rx_missed rx_errors rx_nombuf tx_errors fwd_rx_dropped fwd_tx_dropped; do
	[ "${!v:-x}" = 0 ] || errors+=" $v=${!v:-?}"
done
[ "$guest_rc" = 0 ] || errors+=" guest-exit=$guest_rc"
it_backend_alive || errors+=" backend-died"
[ -z "$errors" ] || it_fail "testpmd guest:$errors"
it_log "PASS: $rx_packets packets over $QUEUES queue pair(s), $mpps Mpps"
