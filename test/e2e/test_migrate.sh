#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e-migrate: live migration of a QEMU (TCG) guest between two QEMU +
# backend pairs on this host, with traffic running both ways.
#
#   namespace svq-e2e-PID:  bridge 10.99.1.1/24 ── TAP A ── relay A ══ QEMU source
#                                              └── TAP B ── relay B ══ QEMU destination
#
# The guest (10.99.1.2) runs migcheck (test/e2e/guest/migcheck.c): it
# receives a sequence-numbered, checksummed UDP stream from the namespace
# (host->guest: the direction in which the device writes guest memory, so
# the relay's dirty logging is what carries it across), sends one back
# (guest->host: the direction in which the relay's rewind of untaken
# buffers matters), and keeps rewriting a block of its memory in a known
# way. The host side is mig_traffic.py, with a sniffer on each bridge port.
#
#   1. cancel: migrate slowly to a first destination QEMU and cancel midway
#      (scripts/svq-migrate --cancel-after): the source must run on, relay
#      A must serve it, both streams must go on;
#   2. migrate: to a second destination QEMU (the same relay B), to the end;
#      the guest must run on the destination with both streams going on.
# Then the guest reports: datagrams received, duplicated, corrupt, lost
# (per direction) and the memory check. Verdict (mig_traffic.py analyze):
# any duplicate, corrupt datagram or bad page fails; guest->host loss
# fails; host->guest loss fails unless every lost datagram was sent to the
# source's bridge port between the source's stop and the moment the bridge
# learned the guest's new port (no announce with guest_announce=off): the
# frames a stopped NIC never received, lost whatever the backend.
# Printed: migration time, QEMU's downtime, the stop->resume blackout from
# QMP events, and the backends' share of it from their time-stamped logs.
#
# usage: test_migrate.sh [RELAY_EXE]
# Environment:
#   SVQ_E2E_BACKEND       relay (default) | testpmd (the reference: two
#                         dpdk-testpmd net_vhost <-> net_tap backends, io mode)
#   SVQ_GUEST_DIR         guest image cache (as test_ping_stream.sh)
#   SVQ_E2E_MIG_RATE (2000 datagrams/s each way), SVQ_E2E_MIG_SIZE (512 bytes),
#   SVQ_E2E_MIG_GUEST_MEM (262152K, see below), SVQ_E2E_MIG_BLOCK_MB (64),
#   SVQ_E2E_MIG_CHURN_KBPS (2048), SVQ_E2E_MIG_BEFORE_S (10),
#   SVQ_E2E_MIG_AFTER_S (30), SVQ_E2E_MIG_CANCEL (1: run step 1),
#   SVQ_E2E_MIG_CANCEL_AFTER (5 s), SVQ_E2E_MIG_CANCEL_BANDWIDTH (4M),
#   SVQ_E2E_MIG_BANDWIDTH (1G), SVQ_E2E_MIG_DOWNTIME_MS (30),
#   SVQ_E2E_MIG_MODE (always | on-migration: the relays' port mode; with
#   on-migration both relays run the sim on the guest's rings until QEMU
#   starts logging, and the cancel must switch relay A back),
#   SVQ_E2E_MIG_RELAY_HOOKS (0; 1: give svq-migrate the relays' control
#   sockets, so it moves the device state at a paused switchover),
#   SVQ_E2E_MIG_H2G_MAX_LOST (unset: no fixed bound on explained loss),
#   SVQ_E2E_MIG_STATS_S (1: relay --stats period), SVQ_E2E_MIG_REPORT_S (1:
#   the guest's progress line period),
#   SVQ_E2E_GUEST_TIMEOUT (300 s), SVQ_E2E_KEEP (0)

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

relay_exe=${1:-}
backend=${SVQ_E2E_BACKEND:-relay}
guest_dir=${SVQ_GUEST_DIR:-${SVQ_E2E_BUILD_GUEST_DIR:-/var/cache/svq-relay/guest}}
rate=${SVQ_E2E_MIG_RATE:-2000}
size=${SVQ_E2E_MIG_SIZE:-512}
# 256 MiB + 8 KiB, deliberately not a multiple of 256 KiB (64 pages): QEMU
# before 9.0 syncs the dirty bitmap of such a RAM block page by page, but
# of an aligned one with a fast path that forgets to reset the TCG TLB, so
# the vCPU's later stores to those pages are not tracked and never re-sent
# (upstream fix 03bfc2188f "physmem: Fix migration dirty bitmap coherency
# with TCG memory access"). With 256M the destination guest's kernel
# crashed in 5 of 7 runs here, whatever the backend (testpmd too);
# migcheck's hot pages catch it when the kernel survives.
guest_mem=${SVQ_E2E_MIG_GUEST_MEM:-262152K}
block_mb=${SVQ_E2E_MIG_BLOCK_MB:-64}
churn_kbps=${SVQ_E2E_MIG_CHURN_KBPS:-2048}
before_s=${SVQ_E2E_MIG_BEFORE_S:-10}
after_s=${SVQ_E2E_MIG_AFTER_S:-30}
do_cancel=${SVQ_E2E_MIG_CANCEL:-1}
cancel_after=${SVQ_E2E_MIG_CANCEL_AFTER:-5}
cancel_bw=${SVQ_E2E_MIG_CANCEL_BANDWIDTH:-4M}
mig_bw=${SVQ_E2E_MIG_BANDWIDTH:-1G}
downtime_ms=${SVQ_E2E_MIG_DOWNTIME_MS:-30}
relay_hooks=${SVQ_E2E_MIG_RELAY_HOOKS:-0}
mig_mode=${SVQ_E2E_MIG_MODE:-always}
guest_timeout=${SVQ_E2E_GUEST_TIMEOUT:-300}
# Per-second relay statistics and guest progress lines: if a stream stalls,
# they tell whether the guest stopped posting buffers (relay avail-chains
# flat, guest progress flat) or the backend stopped taking them.
stats_s=${SVQ_E2E_MIG_STATS_S:-1}
report_s=${SVQ_E2E_MIG_REPORT_S:-1}
ns_addr=10.99.1.1
guest_addr=10.99.1.2
guest_mac=52:54:00:99:01:02
rx_port=5101	# the guest receives the host's stream here
tx_port=5102	# the host receives the guest's stream here
ctl_port=5103	# the guest's control port
migrate=$E2E_TOP/scripts/svq-migrate
traffic=$E2E_DIR/mig_traffic.py
t_start=$SECONDS

e2e_check_prereqs
case "$backend" in
relay)
	[ -n "$relay_exe" ] || e2e_fail "relay backend needs the relay executable as argument 1"
	[ -x "$relay_exe" ] || e2e_fail "relay executable '$relay_exe' is not executable"
	;;
testpmd)
	command -v dpdk-testpmd >/dev/null || e2e_skip "no dpdk-testpmd for the testpmd backend"
	;;
*) e2e_fail "unknown SVQ_E2E_BACKEND '$backend' (relay or testpmd)" ;;
esac
ip link help bridge 2>&1 | grep -q bridge || e2e_skip "no bridge support in iproute2"
# two DPDK backends with a TAP port each
free_kb=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
size_kb=$(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo)
[ "$((free_kb * size_kb))" -ge $((512 * 1024)) ] ||
	e2e_skip "less than 512 MiB of free hugepages for two backends"

e2e_log "building or reusing the guest in $guest_dir"
e2e_build_guest "$guest_dir"
e2e_init migrate

# Names unique per run (interface names fit in 15 characters).
ns=svq-e2e-$$
br=svqbr$$
tap_a=svqa$$
tap_b=svqb$$
work=$E2E_WORK
sock_a=$work/a.sock
sock_b=$work/b.sock

backend_cmd() {
	local side=$1 sock=$2 tap=$3

	case "$backend" in
	relay)
		# shellcheck disable=SC2054 # the commas belong to DPDK arguments
		local cmd=("$relay_exe" -l 0-1 --no-pci --file-prefix="svq-mig-$side-$$"
			--vdev "net_tap0,iface=$tap"
			--log-level=svq.port:debug --log-level=lib.vhost.config:debug --
			--vhost "$sock,queues=1,mode=$mig_mode" --device sim,mode=port,port=net_tap0
			--stats "$stats_s")
		if [ "$relay_ctl" = 1 ]; then
			cmd+=(--control "$work/$side.ctl")
		fi
		printf '%s\n' "${cmd[@]}"
		;;
	testpmd)
		printf '%s\n' dpdk-testpmd -l 0-1 --no-pci --file-prefix="svq-mig-$side-$$" \
			--vdev "net_vhost0,iface=$sock,queues=1" --vdev "net_tap0,iface=$tap" \
			--log-level=lib.vhost.config:debug \
			-- --forward-mode=io --auto-start
		;;
	esac
}

# A control socket (--control) if this relay has one; its usage text is
# in the binary (running it would initialise EAL just to ask).
relay_ctl=0
if [ "$backend" = relay ] && grep -aq -- '--control PATH' "$relay_exe"; then
	relay_ctl=1
fi
if [ "$relay_hooks" = 1 ] && [ "$relay_ctl" = 0 ]; then
	e2e_skip "SVQ_E2E_MIG_RELAY_HOOKS=1 but this backend has no control socket"
fi

fail_now() {
	e2e_dump_logs
	e2e_fail "$*"
}

# guest_trouble SERIAL_LOG: the guest kernel's first complaints, if any.
guest_trouble() {
	tr -d '\r' <"$1" 2>/dev/null |
		grep -E 'BUG|Oops|panic|not a head|soft lockup|general protection|RIP:' |
		head -n 3 | tr '\n' ' '
}

# Checks of the relay's own account, collected for the verdict.
log_fails=()
# relay_logging LOG: "on" if the relay's last start of vring 0 took the
# dirty log (LOG_ALL negotiated and a log area given), else "off".
relay_logging() {
	if grep -E 'q0: (relaying|passthrough [^:]*) on lcore' "$1" | tail -n 1 | grep -q 'logging dirty pages'; then
		echo on
	else
		echo off
	fi
}

# ---- network: a bridge in the namespace, one TAP per backend ----
e2e_netns_create "$ns"
e2e_bridge_create "$ns" "$br" "$ns_addr/24"

declare -A backend_pid=()
for side in a b; do
	sock=$work/$side.sock
	tap=svq$side$$
	mapfile -t cmd < <(backend_cmd "$side" "$sock" "$tap")
	e2e_start_daemon "backend-$side" "$work/backend-$side.log" "$ns" -- "${cmd[@]}"
	backend_pid[$side]=$E2E_LAST_PID
	E2E_WATCH="backend-$side=$E2E_LAST_PID" e2e_wait_until 60 "vhost-user socket $sock" \
		test -S "$sock" || fail_now "backend $side: $E2E_WAIT_REASON"
	E2E_WATCH="backend-$side=$E2E_LAST_PID" e2e_wait_until 30 "TAP $tap" \
		e2e_iface_exists "$tap" "$ns" || fail_now "backend $side: $E2E_WAIT_REASON"
	e2e_bridge_add "$ns" "$br" "$tap"
done

# ---- the guest, on the source ----
append="console=ttyS0 loglevel=4 panic=-1"
append+=" svq.ip=$guest_addr/24 svq.peer=$ns_addr svq.pings=0"
append+=" svq.mig=1 svq.mig_rx_port=$rx_port svq.mig_tx_port=$tx_port"
append+=" svq.mig_ctl_port=$ctl_port svq.mig_rate=$rate svq.mig_size=$size"
append+=" svq.mig_mem_mb=$block_mb svq.mig_churn_kbps=$churn_kbps"
append+=" svq.mig_report_s=$report_s"

# Source and destinations: the same machine, RAM, NIC and kernel command
# line; guest_announce=off or the destination guest soft-locks in the
# announce path (see design.md).
qemu_for() {
	local name=$1 sock=$2

	E2E_QEMU_MEM=$guest_mem E2E_NIC_OPTS=",guest_announce=off" \
	E2E_QMP="$work/$name.qmp" \
		e2e_qemu_args "$sock" 1 "$guest_mac" "$guest_dir/vmlinuz" \
		"$guest_dir/initramfs.cpio.gz" "$append" "$work/$name-serial.log"
}

e2e_log "starting the source guest (TCG; boot takes a while)"
qemu_for src "$sock_a"
e2e_qemu_start qemu-src
src_pid=$E2E_LAST_PID
t_boot=$SECONDS
guest_ready() {
	grep -q 'SVQ-RESULT migcheck ready' "$work/src-serial.log" 2>/dev/null ||
		grep -q 'SVQ-RESULT done' "$work/src-serial.log" 2>/dev/null
}
E2E_WATCH="qemu-src=$src_pid backend-a=${backend_pid[a]}" \
	e2e_wait_until "$guest_timeout" "the guest's migcheck" guest_ready ||
	fail_now "guest did not start migcheck: $E2E_WAIT_REASON"
grep -q 'SVQ-RESULT migcheck ready' "$work/src-serial.log" ||
	fail_now "guest gave up before migcheck: $(e2e_result "$work/src-serial.log" ready)"
boot_secs=$((SECONDS - t_boot))
e2e_log "guest ready after ${boot_secs}s: $(e2e_result "$work/src-serial.log" 'migcheck ready')"

# ---- traffic ----
ip netns exec "$ns" python3 "$traffic" run --guest "$guest_addr" --bind "$ns_addr" \
	--to-guest-port "$rx_port" --from-guest-port "$tx_port" --ctl-port "$ctl_port" \
	--rate "$rate" --size "$size" --sniff "A=$tap_a" --sniff "B=$tap_b" \
	--status "$work/traffic.status" --result "$work/traffic.json" \
	--ready "$work/traffic.ready" >"$work/traffic.log" 2>&1 &
traffic_pid=$!
e2e_track traffic "$traffic_pid"

# status FIELD...: a value from the traffic tool's status file ("" if none)
status() {
	python3 - "$work/traffic.status" "$@" <<'PY' 2>/dev/null || true
import json, sys
try:
    v = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
for k in sys.argv[2:]:
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)
PY
}

# streams snapshot | streams grown SNAPSHOT: one look at the status file.
# "snapshot" prints "time host_rx guest_rx"; "grown" succeeds once both
# counters grew by a second's worth since SNAPSHOT and the guest's answer
# is newer than it (one interpreter per poll: the guest and the backends
# share two CPUs with this script).
streams() {
	python3 - "$work/traffic.status" "$rate" "$@" <<'PY' 2>/dev/null
import json, sys, time
path, rate, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
try:
    st = json.load(open(path))
except (OSError, ValueError):
    st = {}
host = st.get("host_rx") or 0
guest = (st.get("guest") or {}).get("rx") or 0
if mode == "snapshot":
    print(time.time(), host, guest)
    sys.exit(0)
t0, h0, g0 = map(float, sys.argv[4].split())
sys.exit(0 if host >= h0 + rate and guest >= g0 + rate and
         (st.get("guest_t") or 0) > t0 else 1)
PY
}

# flowing WHAT TIMEOUT: both streams move: the host receives from the guest
# and the guest, answering after this call began, has received more.
flowing() {
	local what=$1 timeout=$2 snap

	snap=$(streams snapshot)
	E2E_WATCH="traffic=$traffic_pid" e2e_wait_until "$timeout" "$what" \
		streams grown "$snap" || return 1
	e2e_log "$what: host received $(status host_rx), guest $(status guest rx)"
}

E2E_WATCH="traffic=$traffic_pid" e2e_wait_until 60 "the guest to start streaming" \
	test -s "$work/traffic.status" || fail_now "traffic: $E2E_WAIT_REASON"
flowing "both streams on the source" 60 || fail_now "streams do not flow: $E2E_WAIT_REASON"
sleep "$before_s"

migrate_args=(--src-qmp "$work/src.qmp" --interval 2)
if [ "$relay_hooks" = 1 ]; then
	migrate_args+=(--src-relay "$work/a.ctl" --dst-relay "$work/b.ctl")
fi

# ---- 1. a migration cancelled midway ----
cancel_line="not run"
if [ "$do_cancel" = 1 ]; then
	qemu_for dst1 "$sock_b"
	e2e_qemu_start qemu-dst1 -incoming "unix:$work/mig1.sock"
	dst1_pid=$E2E_LAST_PID
	e2e_log "cancel case: migrating at $cancel_bw/s, cancelling after ${cancel_after}s"
	rc=0
	timeout 120 python3 "$migrate" "${migrate_args[@]}" --dst-qmp "$work/dst1.qmp" \
		--uri "unix:$work/mig1.sock" --max-bandwidth "$cancel_bw" \
		--cancel-after "$cancel_after" --timeout 100 \
		--result "$work/cancel.json" >"$work/migrate-cancel.out" 2>"$work/migrate-cancel.log" || rc=$?
	cat "$work/migrate-cancel.log" >&2
	[ "$rc" = 0 ] || fail_now "cancelled migration: svq-migrate exit $rc: $(tail -n 1 "$work/migrate-cancel.log")"
	cancelled_in=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("cancelled_in",""))' \
		"$work/cancel.json")
	[ "$cancelled_in" = active ] ||
		fail_now "the cancel came in state '$cancelled_in', not midway ('active'): lower SVQ_E2E_MIG_CANCEL_BANDWIDTH"
	src_status=$(e2e_qmp "$work/src.qmp" query-status | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
	[ "$src_status" = running ] || fail_now "after the cancel the source is '$src_status'"
	# the destination's incoming migration failed: it ends by itself
	if ! e2e_wait_exit "$dst1_pid" 30; then
		e2e_log "destination 1 still up after the cancel; stopping it"
		e2e_stop "$dst1_pid" qemu-dst1
	fi
	kill -0 "${backend_pid[a]}" 2>/dev/null || fail_now "backend A died during the cancelled migration"
	kill -0 "${backend_pid[b]}" 2>/dev/null || fail_now "backend B died when destination 1 went away"
	flowing "both streams on the source after the cancel" 60 ||
		fail_now "streams stopped after the cancelled migration: $E2E_WAIT_REASON"
	cancel_line="cancelled in state $cancelled_in after ${cancel_after}s; source running, streams flowing"
	if [ "$backend" = relay ]; then
		grep -q 'logging dirty pages' "$work/backend-a.log" ||
			log_fails+=("relay A never logged dirty pages during the cancelled migration")
		[ "$(relay_logging "$work/backend-a.log")" = off ] ||
			log_fails+=("relay A still logs dirty pages after the cancel")
		cancel_line+="; relay A logged dirty pages, then stopped logging"
	fi
	sleep 2
fi

# ---- 2. the migration ----
qemu_for dst2 "$sock_b"
e2e_qemu_start qemu-dst2 -incoming "unix:$work/mig2.sock"
dst2_pid=$E2E_LAST_PID
e2e_log "migrating at up to $mig_bw/s, downtime limit $downtime_ms ms"
rc=0
timeout 400 python3 "$migrate" "${migrate_args[@]}" --dst-qmp "$work/dst2.qmp" \
	--uri "unix:$work/mig2.sock" --max-bandwidth "$mig_bw" \
	--downtime-limit "$downtime_ms" --timeout 300 \
	--result "$work/migrate.json" >"$work/migrate.out" 2>"$work/migrate.log" || rc=$?
cat "$work/migrate.log" >&2
[ "$rc" = 0 ] || fail_now "migration: svq-migrate exit $rc: $(tail -n 1 "$work/migrate.log")"
kill -0 "$dst2_pid" 2>/dev/null || fail_now "the destination QEMU exited after the migration"
if [ "$backend" = relay ]; then
	[ "$(relay_logging "$work/backend-a.log")" = on ] ||
		log_fails+=("relay A was not logging dirty pages when the source stopped")
fi
if ! flowing "both streams on the destination" 60; then
	trouble=$(guest_trouble "$work/dst2-serial.log")
	fail_now "streams do not flow after the migration: $E2E_WAIT_REASON${trouble:+; the guest kernel on the destination: $trouble}"
fi
grep -q SVQ-PROGRESS "$work/dst2-serial.log" ||
	fail_now "the guest prints nothing on the destination's console"
sleep "$after_s"

# ---- results ----
kill -USR1 "$traffic_pid"
E2E_WATCH="" e2e_wait_until 120 "the traffic tool's result" \
	test -s "$work/traffic.json" || fail_now "no traffic result: $E2E_WAIT_REASON"
e2e_wait_exit "$traffic_pid" 30 || true
# migcheck lingers 10 s for repeated STOPs, then the guest powers off
e2e_wait_exit "$dst2_pid" 60 || e2e_log "destination did not power off within 60 s"
e2e_qmp "$work/src.qmp" quit >/dev/null || true
e2e_wait_exit "$src_pid" 30 || true
# SIGTERM: each backend prints its final statistics and exits
for side in a b; do
	e2e_stop "${backend_pid[$side]}" "backend-$side"
done
if [ "$backend" = relay ]; then
	for side in a b; do
		bad=$(grep -E 'buffers not returned|not logging|stopped until|device fault|refused' \
			"$work/backend-$side.log" | head -n 3 || true)
		[ -z "$bad" ] || log_fails+=("relay ${side^^} logged: $(echo "$bad" | tr '\n' ' ')")
	done
	if [ "$mig_mode" = on-migration ]; then
		# Relay A: on shadow rings at each LOG_ALL, back to the guest
		# rings after the cancel; relay B: the device on the guest
		# rings once the destination runs.
		to_shadow=$(grep -c 'data vrings on shadow rings in' "$work/backend-a.log" || true)
		back=$(grep -c 'data vrings back on the guest rings' "$work/backend-a.log" || true)
		want_shadow=$((1 + do_cancel))
		[ "$to_shadow" -ge "$want_shadow" ] && [ "$back" -ge "$do_cancel" ] ||
			log_fails+=("relay A switched to shadow rings $to_shadow times (want $want_shadow) and back $back times (want $do_cancel)")
		grep -q 'passthrough (device on the guest ring)' "$work/backend-b.log" ||
			log_fails+=("relay B never ran a vring in passthrough")
		echo "switches:  relay A: $(grep -o 'data vrings [a-z ()]* in [0-9.]* us' "$work/backend-a.log" | sed 's/data vrings //' | paste -sd ';' -)"
	fi
fi

# The backends' share of the blackout, from their time-stamped logs
# (librte_vhost logs "read message X" and "processing X succeeded" for
# every vhost-user message): on the source the GET_VRING_BASE messages that
# stop the vrings (drain, rewind, final dirty log) before the STOP event; on
# the destination every message of the device start after it. Prints
# "SRC_STOP_TIME|description".
backend_times() {
	python3 - "$work/backend-a.log" "$work/backend-b.log" "$work/migrate.json" <<'PY'
import json, re, sys
ev = json.load(open(sys.argv[3])).get("events", {})
stop, resume = ev.get("src_stop"), ev.get("dst_resume")
def messages(path, t_from, t_to):
    """[(read time, done time, name)] of vhost-user messages in [t_from, t_to]."""
    out, pending = [], {}
    for line in open(path, errors="replace"):
        m = re.match(r"(\d+\.\d+) (.*)", line)
        if not m:
            continue
        t, text = float(m.group(1)), m.group(2)
        if t < t_from or t > t_to:
            continue
        r = re.search(r"read message (VHOST_USER_\w+)", text)
        if r:
            pending[r.group(1)] = t
            continue
        d = re.search(r"processing (VHOST_USER_\w+) (succeeded|failed)", text)
        if d and d.group(1) in pending:
            out.append((pending.pop(d.group(1)), t, d.group(1)))
    return out
first_stop = None
parts = []
if stop:
    src = [m for m in messages(sys.argv[1], stop - 2, stop + 0.5)
           if m[2] == "VHOST_USER_GET_VRING_BASE"]
    if src:
        first_stop = src[0][0]
        parts.append("source: %d GET_VRING_BASE handled in %.1f ms (first"
                     " read %.1f ms before the STOP event)" % (
                         len(src), sum(m[1] - m[0] for m in src) * 1000,
                         (stop - first_stop) * 1000))
if stop and resume:
    dst = messages(sys.argv[2], stop, resume + 1)
    if dst:
        parts.append("destination: %d messages of the device start handled"
                     " in %.1f ms (%.1f ms from the first to the last)" % (
                         len(dst), sum(m[1] - m[0] for m in dst) * 1000,
                         (dst[-1][1] - dst[0][0]) * 1000))
print("%s|%s" % (first_stop or "", "; ".join(parts) or "not visible in the logs"))
PY
}

mig_field() {
	python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$work/migrate.json" "$@"
}

echo "backend:   $backend (two instances, bridged TAPs)"
echo "guest:     $guest_mem RAM, ready ${boot_secs}s after start; block ${block_mb} MiB rewritten at ${churn_kbps} KiB/s"
echo "cancel:    $cancel_line"
echo "migration: total $(mig_field total_ms) ms, downtime $(mig_field downtime_ms) ms (QEMU),"\
	"stop->resume $(mig_field events blackout_ms) ms (QMP events), setup $(mig_field setup_ms) ms,"\
	"$(mig_field ram dirty-sync-count) iterations, $(mig_field ram transferred) bytes"
times=$(backend_times 2>/dev/null || echo "|not visible in the logs")
src_vring_stop=${times%%|*}
echo "backends:  ${times#*|} (timestamps: when the log line was read)"
verdict=0
python3 "$traffic" analyze --traffic "$work/traffic.json" --migration "$work/migrate.json" \
	--src-label A --dst-label B ${src_vring_stop:+--src-vring-stop "$src_vring_stop"} \
	${SVQ_E2E_MIG_H2G_MAX_LOST:+--h2g-max-lost "$SVQ_E2E_MIG_H2G_MAX_LOST"} ||
	verdict=1
for f in "${log_fails[@]}"; do
	echo "FAIL: $f"
	verdict=1
done
for f in "$work"/*-serial.log; do
	if tr -d '\r' <"$f" | grep -q 'SVQ-RESULT memcheck'; then
		echo "memcheck:  $(e2e_result "$f" memcheck) ($(basename "$f" -serial.log))"
	fi
done
if [ "$verdict" != 0 ]; then
	E2E_FAILED=1
	for f in "$work"/backend-*.log; do
		echo "----- $(basename "$f"): warnings and errors -----"
		grep -E 'ERR|WARN|not returned|refused' "$f" | tail -n 20 || true
	done
	exit 1
fi
echo "PASS: e2e-migrate ($backend): total $((SECONDS - t_start)) s"
