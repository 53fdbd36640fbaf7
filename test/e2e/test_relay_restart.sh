#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e-relay-restart: the relay restarted while the guest runs (vhost-user
# reconnect). QEMU is the vhost-user server (chardev server=on,wait=on), the
# relay its client (--vhost PATH,client) with the sim device in port mode to
# a TAP in a private namespace, as in test_ping_stream.sh. The guest pings
# the namespace (60 pings, 0.2 s apart), then streams a seeded pattern over
# TCP to a receiver there. The relay is killed (SIGKILL: nothing saved,
# nothing shut down) and started again twice: during the guest's pings,
# and once the receiver has part of the stream. Its TAP is created anew
# each time (same MAC, so the guest's ARP entry stays right), and the
# namespace's address is added again.
#
# Asserts: after each kill QEMU connects to the new relay, which runs the
# guest's vrings again (the outage: from the kill to the vrings running,
# from the relay's time-stamped log); the guest's pings, 10 s of them
# after the first restart, lost no more than were sent in that outage
# plus a second; the TCP stream, cut in the middle by the second restart,
# completes with the right size and sha256. Frames lost while the
# relay is down are TCP's (or ping's) to send again: the relay keeps
# nothing across a restart.
#
# usage: test_relay_restart.sh RELAY_EXE
# Environment: SVQ_GUEST_DIR (see test_ping_stream.sh),
#   SVQ_E2E_STREAM_BYTES (256 MiB), SVQ_E2E_KILL_AFTER (bytes received
#   before the second kill, 32 MiB), SVQ_E2E_KEEP (0)

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

relay_exe=${1:-}
guest_dir=${SVQ_GUEST_DIR:-${SVQ_E2E_BUILD_GUEST_DIR:-/var/cache/svq-relay/guest}}
stream_bytes=${SVQ_E2E_STREAM_BYTES:-$((256 * 1024 * 1024))}
kill_after=${SVQ_E2E_KILL_AFTER:-$((32 * 1024 * 1024))}
pings=60
seed=3
ns_addr=10.99.0.1
guest_addr=10.99.0.2
stream_port=5001
guest_mac=52:54:00:99:00:02
# the TAP the relay creates again must have the MAC the guest's ARP cache
# holds: the tap PMD would pick a random one otherwise
tap_mac=02:53:56:51:00:01
t_start=$SECONDS

e2e_check_prereqs
[ -x "$relay_exe" ] || e2e_fail "relay executable '$relay_exe' is not executable"
e2e_log "building or reusing the guest in $guest_dir"
e2e_build_guest "$guest_dir"
expected_sha=$("$guest_dir/streamer" gen "$stream_bytes" "$seed" | sha256sum | cut -d' ' -f1)

e2e_init relay-restart
sock=$E2E_WORK/vhost.sock
serial=$E2E_WORK/serial.log
recv_result=$E2E_WORK/stream.result
ns=svq-e2e-$$
tap=svqt$$

# shellcheck disable=SC2054 # the commas belong to DPDK arguments
relay_cmd=("$relay_exe" -l 0-1 --no-pci --file-prefix=svq-e2e-restart
	--vdev "net_tap0,iface=$tap,mac=$tap_mac" --
	--vhost "$sock,client" --device sim,mode=port,port=net_tap0)

# start_relay N: the relay in the namespace (its TAP is born there), once
# QEMU's socket exists; waits for the TAP and addresses it.
relay_pid=""
start_relay() {
	e2e_start_daemon "relay$1" "$E2E_WORK/relay$1.log" "$ns" -- "${relay_cmd[@]}"
	relay_pid=$E2E_LAST_PID
	E2E_WATCH="relay=$relay_pid qemu=$E2E_QEMU_PID" e2e_wait_until 30 "TAP $tap in $ns" \
		e2e_iface_exists "$tap" "$ns" || { e2e_dump_logs; e2e_fail "no TAP: $E2E_WAIT_REASON"; }
	e2e_netns_addr "$ns" "$tap" "$ns_addr/24"
}

# bytes the receiver has of the guest's connection so far
stream_received() {
	ip netns exec "$ns" ss -tinH state established "( sport = :$stream_port )" |
		sed -n 's/.*bytes_received:\([0-9]*\).*/\1/p' | head -n 1
}

stream_past() {
	local got

	got=$(stream_received)
	[ "${got:-0}" -ge "$1" ]
}

e2e_netns_create "$ns"

append="console=ttyS0 loglevel=4 panic=-1"
append+=" svq.ip=$guest_addr/24 svq.peer=$ns_addr"
append+=" svq.pings=$pings svq.ping_interval=0.2"
append+=" svq.stream_bytes=$stream_bytes svq.stream_seed=$seed"
append+=" svq.stream_port=$stream_port"
# QEMU waits for the relay's first connection before it runs the guest
E2E_CHARDEV_OPTS=",server=on,wait=on" e2e_start_qemu "$sock" 1 "$guest_mac" \
	"$guest_dir/vmlinuz" "$guest_dir/initramfs.cpio.gz" "$append" "$serial"
E2E_WATCH="qemu=$E2E_QEMU_PID" e2e_wait_until 30 "QEMU's socket $sock" test -S "$sock" ||
	{ e2e_dump_logs; e2e_fail "QEMU did not listen: $E2E_WAIT_REASON"; }
start_relay 1
# the receiver binds the namespace's address: only now can it start
e2e_start_receiver "$ns" "$ns_addr" "$stream_port" "$recv_result" ||
	{ e2e_dump_logs; e2e_fail "stream receiver did not start: $E2E_WAIT_REASON"; }

# kill_relay: SIGKILL, and wait until it is gone
kill_relay() {
	kill -KILL "$relay_pid"
	e2e_wait_exit "$relay_pid" 10 || e2e_fail "relay (pid $relay_pid) survived SIGKILL"
}

# ms since the epoch
now_ms() {
	local t=${EPOCHREALTIME/./}

	echo $((t / 1000))
}

e2e_log "guest boots (TCG); the relay is killed once it pings"
E2E_WATCH="qemu=$E2E_QEMU_PID relay=$relay_pid" e2e_wait_until 240 "the guest's pings" \
	grep -q "SVQ-RESULT ready peer=.* ok=1" "$serial" ||
	{ e2e_dump_logs; e2e_fail "the guest did not get its first ping through: $E2E_WAIT_REASON"; }
sleep 2
t_kill=$(now_ms)
kill_relay
e2e_log "relay killed during the guest's pings; starting it again"
start_relay 2
# the outage: from the kill to the new relay running the guest's vrings
# again (its log is time-stamped), the guest still pinging
E2E_WATCH="qemu=$E2E_QEMU_PID relay=$relay_pid" e2e_wait_until 60 "the vrings on relay 2" \
	grep -q "q1: relaying" "$E2E_WORK/relay2.log" ||
	{ e2e_dump_logs; e2e_fail "QEMU did not reconnect: $E2E_WAIT_REASON"; }
t_back=$(sed -n 's/^\([0-9]*\)\.\([0-9]\{3\}\).* q1: relaying.*/\1\2/p' "$E2E_WORK/relay2.log" | head -n 1)
outage_ms=$((t_back - t_kill))

E2E_WATCH="qemu=$E2E_QEMU_PID relay=$relay_pid receiver=$E2E_RECV_PID" \
	e2e_wait_until 120 "$kill_after bytes of the stream" stream_past "$kill_after" ||
	{ e2e_dump_logs; e2e_fail "the stream did not get going: $E2E_WAIT_REASON"; }
at_kill=$(stream_received)
kill_relay
e2e_log "relay killed at ${at_kill} bytes of the stream; starting it again"
start_relay 3

E2E_WATCH="qemu=$E2E_QEMU_PID relay=$relay_pid" e2e_wait_until 120 "guest results" \
	e2e_serial_done "$serial" || { e2e_dump_logs; e2e_fail "guest did not finish: $E2E_WAIT_REASON"; }
e2e_wait_poweroff 30 || true
E2E_WATCH="receiver=$E2E_RECV_PID" e2e_wait_until 30 "stream receiver result" \
	test -e "$recv_result" || true

# ---- verdict ----
fails=()
ping_line=$(e2e_result "$serial" ping)
ping_tx=$(e2e_field "$ping_line" transmitted)
ping_rx=$(e2e_field "$ping_line" received)
# the pings sent while the relay was away, and one second more
may_lose=$(( (outage_ms + 1000 + 199) / 200 ))
[ "${ping_tx:-0}" = "$pings" ] && [ "${ping_rx:-0}" -ge $((pings - may_lose)) ] ||
	fails+=("guest's pings: ${ping_rx:-?} of ${ping_tx:-?} answered, at most $may_lose may be lost")
recv_line=$(cat "$recv_result" 2>/dev/null || true)
recv_bytes=$(e2e_field "$recv_line" bytes)
recv_sha=$(e2e_field "$recv_line" sha256)
[ "$recv_bytes" = "$stream_bytes" ] ||
	fails+=("stream: received ${recv_bytes:-nothing}, expected $stream_bytes bytes ($(e2e_result "$serial" stream))")
[ "$recv_sha" = "$expected_sha" ] || fails+=("stream: sha256 ${recv_sha:-none}, expected $expected_sha")

echo "restart 1: vrings running again $outage_ms ms after the kill; the guest's pings ${ping_rx:-?}/${ping_tx:-?} answered ($may_lose may be lost)"
echo "restart 2: at ${at_kill:-?} bytes of the stream; received ${recv_bytes:-?} of $stream_bytes, sha256 ${recv_sha:-?}"
echo "total:     $((SECONDS - t_start)) s"
e2e_fail_verdict "${fails[@]}"
echo "PASS: e2e-relay-restart: traffic resumed after both restarts, the stream cut by one complete"
