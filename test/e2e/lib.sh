# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Shared helpers for the svq-relay end-to-end tests (source, do not run).
#
# A test sources this file, calls e2e_init, and from then on every process
# it starts through these helpers (backend, receiver, QEMU) and the network
# namespace are torn down by an EXIT trap, whatever way the test ends.
# Exit codes follow meson: 0 pass, 1 fail, 77 skip.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_TOP=$(cd "$E2E_DIR/../.." && pwd)

E2E_WORK=""		# per-run scratch dir: logs, sockets, results
E2E_KEEP=${SVQ_E2E_KEEP:-0}	# 1: keep E2E_WORK even on success
E2E_FAILED=0
E2E_NS=""
E2E_FILE_PREFIX=""	# DPDK --file-prefix of the backend, for cleanup
E2E_BACKEND_PID=""
E2E_QEMU_PID=""
E2E_RECV_PID=""
E2E_QEMU=${SVQ_E2E_QEMU:-qemu-system-x86_64}
E2E_PIDS=()		# "name=pid" of further processes, stopped newest first
E2E_FILE_PREFIXES=()	# further DPDK --file-prefix values to clean up
E2E_LAST_PID=""		# set by e2e_start_daemon and e2e_qemu_start

e2e_log() {
	echo "e2e: $*" >&2
}

e2e_skip() {
	echo "SKIP: $*"
	exit 77
}

e2e_fail() {
	E2E_FAILED=1
	echo "FAIL: $*"
	exit 1
}

# e2e_fail_verdict REASON...: with any reason, dump the logs, print one
# FAIL line each and exit 1; with none, return.
e2e_fail_verdict() {
	local f
	[ $# -gt 0 ] || return 0
	e2e_dump_logs
	for f in "$@"; do
		echo "FAIL: $f"
	done
	E2E_FAILED=1
	exit 1
}

# Skip (77) only when a prerequisite is truly absent on this machine.
e2e_check_prereqs() {
	local tool free_kb size_kb

	[ "$(id -u)" = 0 ] || e2e_skip "not root (needs netns, TAP and hugepages)"
	[ -c /dev/net/tun ] || e2e_skip "no /dev/net/tun"
	command -v "$E2E_QEMU" >/dev/null || e2e_skip "no $E2E_QEMU"
	for tool in ip python3 sha256sum; do
		command -v "$tool" >/dev/null || e2e_skip "no $tool"
	done
	e2e_hugepage_dirs >/dev/null || e2e_skip "no hugetlbfs mounted"
	free_kb=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	size_kb=$(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo)
	# a vhost backend plus a TAP port needs a few hundred MiB of mbufs
	if [ "$((free_kb * size_kb))" -lt $((256 * 1024)) ]; then
		e2e_skip "less than 256 MiB of free hugepages ($free_kb x ${size_kb} kB)"
	fi
}

e2e_hugepage_dirs() {
	awk '$3 == "hugetlbfs" { print $2; found = 1 } END { exit !found }' \
		/proc/mounts
}

# A run killed with SIGKILL (e.g. meson's timeout escalation) cannot clean
# up; remove namespaces whose owning test process is gone.
e2e_sweep_stale() {
	local ns pid

	for ns in $(ip netns list 2>/dev/null | sed -n 's/^\(svq-e2e-[0-9]*\).*/\1/p'); do
		pid=${ns#svq-e2e-}
		[ -d "/proc/$pid" ] && continue
		e2e_log "removing stale namespace $ns"
		e2e_netns_destroy "$ns"
	done
}

# e2e_init NAME: scratch dir and the cleanup trap.
e2e_init() {
	e2e_sweep_stale
	E2E_WORK=$(mktemp -d "/tmp/svq-e2e-$1.XXXXXX")
	trap e2e_cleanup EXIT
	# turn signals into a normal exit so the EXIT trap cleans up once
	trap 'e2e_log "interrupted"; E2E_FAILED=1; exit 1' INT TERM HUP
	e2e_log "work dir $E2E_WORK"
}

# e2e_stop PID NAME: SIGTERM, then SIGKILL if it lingers. Only our children.
e2e_stop() {
	local pid=$1 name=$2 i

	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		e2e_log "$name (pid $pid) ignored SIGTERM, killing"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

e2e_cleanup() {
	local rc=$? dir prefix i

	trap - EXIT INT TERM HUP
	[ "$rc" = 0 ] || [ "$rc" = 77 ] || E2E_FAILED=1
	# processes started with e2e_start_daemon / e2e_qemu_start, newest
	# first: guests before the backends they are connected to
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		e2e_stop "${E2E_PIDS[i]#*=}" "${E2E_PIDS[i]%%=*}"
	done
	# guest first (it holds the vhost-user connection), backend last
	e2e_stop "$E2E_QEMU_PID" qemu
	e2e_stop "$E2E_RECV_PID" receiver
	e2e_stop "$E2E_BACKEND_PID" backend
	# the backend is gone, so its TAP is gone too; the namespace is empty
	[ -z "$E2E_NS" ] || e2e_netns_destroy "$E2E_NS"
	# a killed DPDK process leaves its hugepage files and runtime dir behind
	for prefix in "$E2E_FILE_PREFIX" "${E2E_FILE_PREFIXES[@]}"; do
		[ -n "$prefix" ] || continue
		for dir in $(e2e_hugepage_dirs 2>/dev/null); do
			rm -f "$dir/${prefix}map_"*
		done
		rm -rf "/var/run/dpdk/$prefix"
	done
	if [ -n "$E2E_WORK" ]; then
		if [ "$E2E_FAILED" = 1 ] || [ "$E2E_KEEP" = 1 ]; then
			e2e_log "logs kept in $E2E_WORK"
		else
			rm -rf "$E2E_WORK"
		fi
	fi
	exit "$rc"
}

# e2e_wait_until TIMEOUT_S DESCRIPTION CMD...: poll CMD every 0.2 s.
# Fails early if a process we depend on has died; E2E_WATCH lists them as
# "name=pid" words. The reason for a failure is left in E2E_WAIT_REASON.
E2E_WAIT_REASON=""
e2e_wait_until() {
	local timeout=$1 what=$2 deadline item name pid st
	shift 2

	E2E_WAIT_REASON=""
	deadline=$((SECONDS + timeout))
	while ! "$@"; do
		for item in ${E2E_WATCH:-}; do
			name=${item%%=*}
			pid=${item#*=}
			kill -0 "$pid" 2>/dev/null && continue
			# it may have finished its job just before exiting
			"$@" && return 0
			st=0
			wait "$pid" 2>/dev/null || st=$?
			E2E_WAIT_REASON="$name (pid $pid) exited with status $st"
			[ "$st" -le 128 ] || E2E_WAIT_REASON+=" (signal $((st - 128)))"
			E2E_WAIT_REASON+=" while waiting for $what"
			e2e_log "$E2E_WAIT_REASON"
			return 1
		done
		if [ "$SECONDS" -ge "$deadline" ]; then
			E2E_WAIT_REASON="timed out after ${timeout}s waiting for $what"
			e2e_log "$E2E_WAIT_REASON"
			return 1
		fi
		sleep 0.2
	done
}

# e2e_build_guest OUTDIR: kernel + initramfs, cached in OUTDIR. The build
# tools are prerequisites only while nothing is cached.
e2e_build_guest() {
	local tool

	if [ ! -f "$1/guest.stamp" ]; then
		for tool in apt-get apt-cache dpkg gcc cpio gzip objcopy; do
			command -v "$tool" >/dev/null || e2e_skip "no $tool to build the guest"
		done
		[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] ||
			e2e_skip "no busybox to build the guest (apt-get install busybox-static)"
	fi
	"$E2E_TOP/scripts/guest/build-guest.sh" "$1" ||
		e2e_fail "guest image build failed (see messages above)"
}

# e2e_start_backend LOG [NS] -- CMD...: start a DPDK backend in the
# background, inside network namespace NS if given (its vhost-user socket is
# a filesystem path, so QEMU in the root namespace still reaches it).
# stdin is a FIFO held open read-write: testpmd without -i exits on EOF of
# stdin ("Press enter to exit"), and a FIFO never delivers EOF here.
e2e_start_backend() {
	local log=$1 ns="" word
	shift
	if [ "$1" != -- ]; then
		ns=$1
		shift
	fi
	shift

	for word in "$@"; do
		case "$word" in
		--file-prefix=*) E2E_FILE_PREFIX=${word#--file-prefix=} ;;
		esac
	done
	mkfifo "$E2E_WORK/backend.stdin"
	e2e_log "backend${ns:+ (in netns $ns)}: $*"
	[ -z "$ns" ] || set -- ip netns exec "$ns" "$@"
	"$@" 0<>"$E2E_WORK/backend.stdin" >"$log" 2>&1 &
	E2E_BACKEND_PID=$!
}

# e2e_netns_create NS: an empty namespace with loopback up. Everything the
# test sends stays on this machine: nothing in NS routes anywhere else.
e2e_netns_create() {
	ip netns add "$1"
	E2E_NS=$1
	ip -n "$1" link set dev lo up
}

# e2e_netns_move IFACE NS: move a root-namespace interface into NS.
e2e_netns_move() {
	ip link set dev "$1" netns "$2"
}

# e2e_netns_addr NS IFACE CIDR: address IFACE inside NS and bring it up.
e2e_netns_addr() {
	local ns=$1 ifc=$2 cidr=$3

	# no IPv6 chatter (DAD, router solicitations) on the guest link
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" || true
	ip -n "$ns" addr add "$cidr" dev "$ifc"
	ip -n "$ns" link set dev "$ifc" up
}

e2e_netns_destroy() {
	ip netns pids "$1" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	ip netns del "$1" 2>/dev/null || true
	E2E_NS=""
}

# e2e_iface_exists IFACE [NS]
e2e_iface_exists() {
	ip ${2:+-n "$2"} link show dev "$1" >/dev/null 2>&1
}

# e2e_iface_up IFACE: administratively up in the root namespace (a DPDK
# tap port sets IFF_UP when the port is started).
e2e_iface_up() {
	ip -o link show dev "$1" 2>/dev/null | grep -q '[<,]UP[,>]'
}

# e2e_start_receiver NS ADDR PORT RESULT: stream receiver inside NS.
e2e_start_receiver() {
	local ns=$1 addr=$2 port=$3 result=$4

	rm -f "$E2E_WORK/recv.ready"
	ip netns exec "$ns" python3 "$E2E_DIR/stream_recv.py" \
		--bind "$addr" --port "$port" --result "$result" \
		--ready "$E2E_WORK/recv.ready" --timeout 300 \
		>"$E2E_WORK/recv.log" 2>&1 &
	E2E_RECV_PID=$!
	E2E_WATCH="receiver=$E2E_RECV_PID" e2e_wait_until 30 "stream receiver" \
		test -e "$E2E_WORK/recv.ready"
}

# e2e_qemu_args SOCK QUEUES MAC KERNEL INITRD APPEND SERIAL_LOG: the command
# line of a TCG guest with a vhost-user virtio-net NIC (QEMU is the
# vhost-user client), left in the array E2E_QEMU_ARGS. Optional:
# E2E_QEMU_MEM guest RAM (default 512M), E2E_NIC_OPTS more NIC properties
# (",guest_announce=off"), E2E_CHARDEV_OPTS more chardev options
# (",server=on,wait=on": QEMU the vhost-user server), E2E_QMP a QMP
# socket path.
E2E_QEMU_ARGS=()
e2e_qemu_args() {
	local sock=$1 queues=$2 mac=$3 kernel=$4 initrd=$5 append=$6 serial=$7
	local nic="virtio-net-pci,netdev=net0,mac=$mac" mem=${E2E_QEMU_MEM:-512M}

	# QEMU 7.2 TCG + vhost-user segfaults in msix_set_vector_notifiers
	# unless MSI-X is off; the guest falls back to INTx.
	nic="$nic,vectors=0"
	# no option ROM: iPXE probing only slows the TCG boot down
	nic="$nic,romfile="
	[ "$queues" -le 1 ] || nic="$nic,mq=on"
	nic="$nic${E2E_NIC_OPTS:-}"
	# vhost-user needs guest RAM the backend can map: shared memfd
	# shellcheck disable=SC2054 # the commas belong to QEMU arguments
	E2E_QEMU_ARGS=("$E2E_QEMU"
		-machine q35 -accel tcg -smp 1 -m "$mem"
		-object "memory-backend-memfd,id=mem,size=$mem,share=on"
		-numa node,memdev=mem
		-chardev "socket,id=chr0,path=$sock${E2E_CHARDEV_OPTS:-}"
		-netdev "vhost-user,id=net0,chardev=chr0,queues=$queues"
		-device "$nic"
		-nodefaults -nographic -monitor none -no-reboot
		-serial "file:$serial"
		-kernel "$kernel" -initrd "$initrd" -append "$append")
	[ -z "${E2E_QMP:-}" ] ||
		E2E_QEMU_ARGS+=(-qmp "unix:$E2E_QMP,server=on,wait=off")
}

# e2e_start_qemu SOCK QUEUES MAC KERNEL INITRD APPEND SERIAL_LOG
# TCG guest with a vhost-user virtio-net NIC (QEMU is the vhost-user client).
e2e_start_qemu() {
	e2e_qemu_args "$@"
	"${E2E_QEMU_ARGS[@]}" </dev/null >"$E2E_WORK/qemu.log" 2>&1 &
	E2E_QEMU_PID=$!
}

# e2e_qemu_start NAME [EXTRA_ARGS...]: start the command e2e_qemu_args
# built, plus EXTRA_ARGS (e.g. -incoming URI), logging to NAME.log; the
# process is tracked for cleanup and its pid left in E2E_LAST_PID.
e2e_qemu_start() {
	local name=$1
	shift

	"${E2E_QEMU_ARGS[@]}" "$@" </dev/null >"$E2E_WORK/$name.log" 2>&1 &
	E2E_LAST_PID=$!
	E2E_PIDS+=("$name=$E2E_LAST_PID")
	e2e_log "$name: pid $E2E_LAST_PID${*:+ ($*)}"
}

# e2e_ts: copy stdin to stdout, each line prefixed with the wall-clock time
# (seconds.microseconds) it arrived, to line logs up with QMP events. It
# sleeps in read() and asks for a real-time priority, so that busy-polling
# backends sharing its CPU do not delay the stamps by a time slice.
e2e_ts() {
	local rt=()

	command -v chrt >/dev/null && chrt -f 1 true 2>/dev/null && rt=(chrt -f 1)
	"${rt[@]}" python3 -u -c '
import sys, time
for line in sys.stdin:
    sys.stdout.write("%.6f %s" % (time.time(), line))
'
}

# e2e_start_daemon NAME LOG [NS] -- CMD...: start a long-running process
# (a backend) in the background, inside network namespace NS if given,
# tracked for cleanup, pid in E2E_LAST_PID. Its output goes to LOG, every
# line time-stamped (e2e_ts). stdin is a FIFO held open read-write, as in
# e2e_start_backend. A --file-prefix in CMD is cleaned up at exit.
e2e_start_daemon() {
	local name=$1 log=$2 ns="" word fifo
	shift 2
	if [ "$1" != -- ]; then
		ns=$1
		shift
	fi
	shift

	for word in "$@"; do
		case "$word" in
		--file-prefix=*) E2E_FILE_PREFIXES+=("${word#--file-prefix=}") ;;
		esac
	done
	fifo=$E2E_WORK/$name.stdin
	mkfifo "$fifo"
	e2e_log "$name${ns:+ (in netns $ns)}: $*"
	[ -z "$ns" ] || set -- ip netns exec "$ns" "$@"
	# the filter sees EOF and ends when the daemon exits
	"$@" 0<>"$fifo" > >(e2e_ts >"$log") 2>&1 &
	E2E_LAST_PID=$!
	E2E_PIDS+=("$name=$E2E_LAST_PID")
}

# e2e_track NAME PID: stop PID at cleanup too (newest first).
e2e_track() {
	E2E_PIDS+=("$1=$2")
}

# e2e_wait_exit PID TIMEOUT_S: 0 once PID (our child) has exited.
e2e_wait_exit() {
	local pid=$1 i

	for ((i = 0; i < $2 * 5; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || true
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# e2e_qmp SOCK COMMAND [ARGUMENTS_JSON]: run one QMP command, print its
# JSON answer; 1 if QEMU refused it or did not answer within 10 s.
e2e_qmp() {
	python3 - "$@" <<'PY'
import json, socket, sys
path, cmd = sys.argv[1], sys.argv[2]
args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
try:
    s.connect(path)
    f = s.makefile("rw")
    f.readline()
    f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
    f.flush()
    f.readline()
    req = {"execute": cmd, "id": 1}
    if args is not None:
        req["arguments"] = args
    f.write(json.dumps(req) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            sys.exit(1)
        msg = json.loads(line)
        if msg.get("id") == 1:
            print(json.dumps(msg.get("return", msg.get("error"))))
            sys.exit(0 if "return" in msg else 1)
except (OSError, ValueError):
    sys.exit(1)
PY
}

# e2e_bridge_create NS BR CIDR: a bridge in NS holding the namespace's
# address; no STP, so ports forward as soon as they are up.
e2e_bridge_create() {
	local ns=$1 br=$2

	ip -n "$ns" link add name "$br" type bridge stp_state 0
	e2e_netns_addr "$ns" "$br" "$3"
}

# e2e_bridge_add NS BR IFACE: IFACE (a backend's TAP) joins the bridge.
# Unknown unicast is not flooded to it: a frame for the guest must reach
# only the port the guest was last heard on, never queue up in the TAP
# of a backend whose guest is not running yet (it would arrive there
# later as a duplicate).
e2e_bridge_add() {
	local ns=$1 br=$2 ifc=$3

	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" || true
	ip -n "$ns" link set dev "$ifc" master "$br"
	ip -n "$ns" link set dev "$ifc" type bridge_slave flood off
	ip -n "$ns" link set dev "$ifc" up
}

# Result lines are matched anywhere in a line: the BIOS's terminal escapes
# and concurrent kernel messages can precede them on the same line.
e2e_serial_done() {
	grep -q 'SVQ-RESULT done' "$1" 2>/dev/null
}

# e2e_wait_guest SERIAL_LOG TIMEOUT_S: until the guest reports done.
e2e_wait_guest() {
	local serial=$1 timeout=$2

	E2E_WATCH="qemu=$E2E_QEMU_PID backend=$E2E_BACKEND_PID" \
		e2e_wait_until "$timeout" "guest results" e2e_serial_done "$serial"
}

# e2e_wait_poweroff TIMEOUT_S: let the guest power off by itself (this also
# exercises the device reset on shutdown). Returns 1 if it did not.
e2e_wait_poweroff() {
	local i

	for ((i = 0; i < $1 * 5; i++)); do
		if ! kill -0 "$E2E_QEMU_PID" 2>/dev/null; then
			wait "$E2E_QEMU_PID" 2>/dev/null || true
			E2E_QEMU_PID=""
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# e2e_result SERIAL_LOG KIND: the last "SVQ-RESULT KIND ..." line, minus
# the prefix and the serial console's carriage returns.
e2e_result() {
	tr -d '\r' <"$1" | sed -n "s/.*SVQ-RESULT $2 //p" | tail -n 1
}

# e2e_field LINE KEY: value of KEY=value in a result line.
e2e_field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# e2e_dump_logs: the tail of every log, for a failing run.
e2e_dump_logs() {
	local f

	for f in "$E2E_WORK"/*.log; do
		[ -s "$f" ] || continue
		echo "----- $(basename "$f") (last 40 lines) -----"
		tail -n 40 "$f" | tr -d '\r'
	done
}
