#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e-ping-stream: a QEMU (TCG) guest with a vhost-user virtio-net NIC served
# by the backend under test, whose device side is a DPDK TAP port in a
# private network namespace (10.99.0.1/24; the guest is 10.99.0.2).
# The guest pings the namespace and streams a seeded byte pattern over TCP to
# a receiver there; we check the ping replies and the stream's size and
# sha256 against what the pattern must produce.
#
# usage: test_ping_stream.sh [RELAY_EXE]
# Environment:
#   SVQ_E2E_BACKEND       relay (default) | testpmd (stand-in: dpdk-testpmd
#                         net_vhost <-> net_tap in io mode)
#   SVQ_E2E_BACKEND_CMD   any other backend; @SOCK@, @TAP@ and @QUEUES@ are
#                         replaced (overrides SVQ_E2E_BACKEND)
#   SVQ_GUEST_DIR         guest image cache (default: the build dir meson
#                         passes in SVQ_E2E_BUILD_GUEST_DIR, else
#                         /var/cache/svq-relay/guest)
#   SVQ_E2E_TAP_MODE      inside (default): run the backend inside the test
#                         namespace so its TAP is created there; move: run
#                         it in the root namespace and move the TAP over
#   SVQ_E2E_PINGS (100), SVQ_E2E_PING_MIN (99), SVQ_E2E_STREAM_BYTES (8 MiB),
#   SVQ_E2E_SEED (1), SVQ_E2E_GUEST_TIMEOUT (300 s), SVQ_E2E_KEEP (0)

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

relay_exe=${1:-}
backend=${SVQ_E2E_BACKEND:-relay}
# an explicit SVQ_GUEST_DIR wins over the build dir meson suggests
guest_dir=${SVQ_GUEST_DIR:-${SVQ_E2E_BUILD_GUEST_DIR:-/var/cache/svq-relay/guest}}
pings=${SVQ_E2E_PINGS:-100}
ping_min=${SVQ_E2E_PING_MIN:-99}
stream_bytes=${SVQ_E2E_STREAM_BYTES:-$((8 * 1024 * 1024))}
seed=${SVQ_E2E_SEED:-1}
tap_mode=${SVQ_E2E_TAP_MODE:-inside}
guest_timeout=${SVQ_E2E_GUEST_TIMEOUT:-300}
queues=1
ns_addr=10.99.0.1
guest_addr=10.99.0.2
stream_port=5001
guest_mac=52:54:00:99:00:02
t_start=$SECONDS

e2e_check_prereqs

# Names unique per run so a leftover from a crashed run cannot collide;
# an interface name must fit in 15 characters.
ns=svq-e2e-$$
tap=svqt$$

backend_cmd=()
if [ -n "${SVQ_E2E_BACKEND_CMD:-}" ]; then
	backend=custom
elif [ "$backend" = relay ]; then
	[ -n "$relay_exe" ] || e2e_fail "relay backend needs the relay executable as argument 1"
	[ -x "$relay_exe" ] || e2e_fail "relay executable '$relay_exe' is not executable"
elif [ "$backend" = testpmd ]; then
	command -v dpdk-testpmd >/dev/null || e2e_skip "no dpdk-testpmd for the testpmd backend"
else
	e2e_fail "unknown SVQ_E2E_BACKEND '$backend' (relay or testpmd)"
fi
case "$tap_mode" in
inside|move) ;;
*) e2e_fail "unknown SVQ_E2E_TAP_MODE '$tap_mode' (inside or move)" ;;
esac

e2e_log "building or reusing the guest in $guest_dir"
e2e_build_guest "$guest_dir"

# The expected stream, from the very binary the guest runs.
expected_sha=$("$guest_dir/streamer" gen "$stream_bytes" "$seed" | sha256sum | cut -d' ' -f1)

e2e_init ping-stream
sock=$E2E_WORK/vhost.sock
serial=$E2E_WORK/serial.log
recv_result=$E2E_WORK/stream.result

case "$backend" in
relay)
	# shellcheck disable=SC2054 # the commas belong to DPDK arguments
	backend_cmd=("$relay_exe" -l 0-1 --no-pci --file-prefix=svq-e2e-relay
		--vdev "net_tap0,iface=$tap" --
		--vhost "$sock,queues=$queues" --device sim,mode=port,port=net_tap0)
	;;
testpmd)
	# shellcheck disable=SC2054
	# io mode forwards port 0 <-> port 1: vhost <-> tap
	backend_cmd=(dpdk-testpmd -l 0-1 --no-pci --file-prefix=svq-e2e-be
		--vdev "net_vhost0,iface=$sock,queues=$queues"
		--vdev "net_tap0,iface=$tap"
		-- --forward-mode=io --auto-start)
	;;
custom)
	cmd=${SVQ_E2E_BACKEND_CMD//@SOCK@/$sock}
	cmd=${cmd//@TAP@/$tap}
	cmd=${cmd//@QUEUES@/$queues}
	read -r -a backend_cmd <<<"$cmd"
	;;
esac

e2e_netns_create "$ns"
if [ "$tap_mode" = inside ]; then
	# The backend runs in the namespace, so its TAP is born there and the
	# tap PMD's ifname ioctls (link up, status, promisc) keep working.
	e2e_start_backend "$E2E_WORK/backend.log" "$ns" -- "${backend_cmd[@]}"
else
	e2e_start_backend "$E2E_WORK/backend.log" -- "${backend_cmd[@]}"
fi
# The backend is the vhost-user server: QEMU can only connect once the
# socket exists.
E2E_WATCH="backend=$E2E_BACKEND_PID" e2e_wait_until 60 "vhost-user socket $sock" \
	test -S "$sock" || { e2e_dump_logs; e2e_fail "no vhost-user socket: $E2E_WAIT_REASON"; }
if [ "$tap_mode" = inside ]; then
	E2E_WATCH="backend=$E2E_BACKEND_PID" e2e_wait_until 30 "TAP $tap in $ns" \
		e2e_iface_exists "$tap" "$ns" || { e2e_dump_logs; e2e_fail "no TAP: $E2E_WAIT_REASON"; }
else
	# Move only once the port is started (IFF_UP): before that the PMD
	# still configures the interface by name in the root namespace. After
	# the move those ioctls fail with ENODEV; the fd data path still works.
	E2E_WATCH="backend=$E2E_BACKEND_PID" e2e_wait_until 30 "TAP $tap up" \
		e2e_iface_up "$tap" || { e2e_dump_logs; e2e_fail "no TAP: $E2E_WAIT_REASON"; }
	e2e_netns_move "$tap" "$ns"
fi
e2e_netns_addr "$ns" "$tap" "$ns_addr/24"
e2e_start_receiver "$ns" "$ns_addr" "$stream_port" "$recv_result" ||
	{ e2e_dump_logs; e2e_fail "stream receiver did not start: $E2E_WAIT_REASON"; }

append="console=ttyS0 loglevel=4 panic=-1"
append+=" svq.ip=$guest_addr/24 svq.peer=$ns_addr"
append+=" svq.pings=$pings svq.ping_interval=0.2"
append+=" svq.stream_bytes=$stream_bytes svq.stream_seed=$seed"
append+=" svq.stream_port=$stream_port"
e2e_log "starting guest (TCG; boot takes a while)"
t_guest=$SECONDS
e2e_start_qemu "$sock" "$queues" "$guest_mac" "$guest_dir/vmlinuz" \
	"$guest_dir/initramfs.cpio.gz" "$append" "$serial"
if ! e2e_wait_guest "$serial" "$guest_timeout"; then
	e2e_dump_logs
	e2e_fail "guest did not finish: $E2E_WAIT_REASON"
fi
guest_secs=$((SECONDS - t_guest))
poweroff_note="powered off"
e2e_wait_poweroff 30 || poweroff_note="did NOT power off within 30 s (killed)"

ping_line=$(e2e_result "$serial" ping)
stream_line=$(e2e_result "$serial" stream)
# The receiver writes its result after answering the guest; give it a
# moment, unless the guest never got a stream out.
case "$stream_line" in
sent=*)
	E2E_WATCH="receiver=$E2E_RECV_PID" e2e_wait_until 30 "stream receiver result" \
		test -e "$recv_result" || true
	;;
esac

# ---- verdict ----
fails=()
ready_line=$(e2e_result "$serial" ready)
ping_tx=$(e2e_field "$ping_line" transmitted)
ping_rx=$(e2e_field "$ping_line" received)
ping_rtt=$(e2e_field "$ping_line" rtt_ms)

if [ -z "$ping_line" ]; then
	fails+=("no ping result from the guest (ready: ${ready_line:-none})")
elif [ "${ping_tx:-0}" != "$pings" ] || [ "${ping_rx:-0}" -lt "$ping_min" ]; then
	fails+=("ping: $ping_rx of $ping_tx answered, need $ping_min of $pings")
fi

recv_bytes=""
recv_sha=""
if [ -s "$recv_result" ]; then
	recv_line=$(cat "$recv_result")
	recv_bytes=$(e2e_field "$recv_line" bytes)
	recv_sha=$(e2e_field "$recv_line" sha256)
	recv_secs=$(e2e_field "$recv_line" secs)
fi
if [ -z "$recv_bytes" ]; then
	fails+=("stream: receiver got no complete stream (guest: ${stream_line:-no stream line})")
else
	[ "$recv_bytes" = "$stream_bytes" ] ||
		fails+=("stream: received $recv_bytes bytes, expected $stream_bytes")
	[ "$recv_sha" = "$expected_sha" ] ||
		fails+=("stream: sha256 $recv_sha, expected $expected_sha")
fi

echo "backend:  $backend (TAP mode: $tap_mode)"
echo "ping:     ${ping_rx:-?}/${ping_tx:-?} answered (need $ping_min/$pings), rtt min/avg/max ${ping_rtt:-?} ms"
echo "stream:   ${recv_bytes:-?} of $stream_bytes bytes in ${recv_secs:-?} s, sha256 ${recv_sha:-?}"
echo "expected: sha256 $expected_sha (seed $seed)"
echo "guest:    $guest_secs s from QEMU start to done, then $poweroff_note; total $((SECONDS - t_start)) s"

e2e_fail_verdict "${fails[@]}"
echo "PASS: e2e-ping-stream ($backend): $ping_rx/$ping_tx pings, $recv_bytes bytes sha256 match"
