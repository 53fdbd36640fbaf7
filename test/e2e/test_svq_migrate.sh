#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# e2e-svq-migrate: scripts/svq-migrate's own behaviour, on QEMU guests that
# only run their firmware (no disk, no NIC: quick, and no backend needed).
# Each case starts a fresh source and destination QEMU and checks
# svq-migrate's exit status, its last line, and the state it leaves both
# QEMUs in: after any failure the source must be running and the
# migration not active.
#
#   ok              migration to a destination started with -incoming defer
#   not-incoming    the destination is a running VM: refused before anything
#   wrong-uri       nobody listens at the URI: 'migrate' fails at once
#   timeout         --timeout expires (bandwidth throttled): cancelled
#   cancel-after    --cancel-after: cancelled on purpose, exit 0
#   sigterm         SIGTERM midway: cancelled
#   relay-missing   relay control sockets that do not exist: warning, ok
#   relay-refuses   a (fake) destination relay refuses the state at the
#                   paused switchover: cancelled
#   relay-moves     the (fake) relays move the state: ok
#
# usage: test_svq_migrate.sh

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

migrate=$E2E_TOP/scripts/svq-migrate
command -v "$E2E_QEMU" >/dev/null || e2e_skip "no $E2E_QEMU"
command -v python3 >/dev/null || e2e_skip "no python3"

e2e_init svq-migrate
work=$E2E_WORK
fails=()
n=0

# vm NAME [ARGS...]: a firmware-only TCG guest with a QMP socket. SeaBIOS
# finds nothing to boot and waits (no reboot), so the VM keeps running.
vm() {
	local name=$1
	shift
	"$E2E_QEMU" -machine q35 -accel tcg -m 64M -nodefaults -nographic \
		-monitor none -serial none -no-reboot \
		-qmp "unix:$work/$name.qmp,server=on,wait=off" "$@" \
		</dev/null >"$work/$name.log" 2>&1 &
	e2e_track "$name" $!
	E2E_LAST_PID=$!
	e2e_wait_until 20 "$name QMP socket" test -S "$work/$name.qmp" ||
		e2e_fail "$name did not start: $(cat "$work/$name.log")"
}

status_of() {
	e2e_qmp "$work/$1.qmp" query-status 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null ||
		echo gone
}

migration_of() {
	e2e_qmp "$work/$1.qmp" query-migrate 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("status","none"))' 2>/dev/null ||
		echo gone
}

# fake_relay SOCK MODE: a JSON-lines server that plays svq-relay's control
# socket: port 0; cvq.state answers a state with CTRL_VQ; state.load is
# refused (MODE refuse) or accepted (MODE accept). It logs what it got.
fake_relay() {
	python3 - "$1" "$2" >"$1.log" 2>&1 <<'PY' &
import json, os, socket, sys
path, mode = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(4)
srv.settimeout(120)
state = {"schema": "svq-relay/net-state", "version": 1,
         "features": "0x%x" % ((1 << 32) | (1 << 17) | (1 << 5)),
         "max_queue_pairs": 1}
while True:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        break
    f = conn.makefile("rw")
    for line in f:
        req = json.loads(line)
        m, rid = req.get("method"), req.get("id")
        print("request", m, flush=True)
        if m == "ports.list":
            ans = {"id": rid, "result": [{"port": 0, "name": "port0"}]}
        elif m == "cvq.state":
            ans = {"id": rid, "result": state}
        elif m == "state.load" and mode == "accept":
            ans = {"id": rid, "result": {"port": 0, "replay": "next device start"}}
        elif m == "state.load":
            ans = {"id": rid, "error": {"code": 22, "message": "port 0: the state does not fit this port"}}
        else:
            ans = {"id": rid, "error": {"code": -32601, "message": "no such method"}}
        f.write(json.dumps(ans) + "\n")
        f.flush()
    conn.close()
PY
	e2e_track "relay-$(basename "$1")" $!
	e2e_wait_until 10 "fake relay $1" test -S "$1" || e2e_fail "fake relay did not start"
}

# run_case NAME EXPECTED_RC EXPECTED_LAST_LINE_REGEX [SVQ-MIGRATE ARGS...]
# Runs svq-migrate from src$n to dst$n (sending it SIGTERM after
# $TERM_AFTER seconds if set); then the source must be running (or
# postmigrate after a success) and no migration active.
run_case() {
	local name=$1 want_rc=$2 want_line=$3 rc=0 last src dst mig pid
	shift 3

	e2e_log "case $name"
	timeout 120 python3 "$migrate" --src-qmp "$work/src$n.qmp" \
		--dst-qmp "$work/dst$n.qmp" --interval 0.5 --result "$work/$name.json" "$@" \
		>"$work/$name.out" 2>"$work/$name.err" &
	pid=$!
	if [ -n "${TERM_AFTER:-}" ]; then
		sleep "$TERM_AFTER"
		# timeout(1) passes the signal on to svq-migrate
		kill -TERM "$pid" 2>/dev/null || true
	fi
	wait "$pid" || rc=$?
	last=$(tail -n 1 "$work/$name.err")
	[ "$rc" = 0 ] && last=$(tail -n 1 "$work/$name.out")
	src=$(status_of "src$n")
	dst=$(status_of "dst$n")
	mig=$(migration_of "src$n")
	echo "$name: exit $rc, source $src, destination $dst, migration $mig: $last"
	[ "$rc" = "$want_rc" ] || fails+=("$name: exit $rc, expected $want_rc")
	[[ "$last" =~ $want_line ]] || fails+=("$name: last line '$last' does not match '$want_line'")
	case "$mig" in
	setup|active|pre-switchover|device|cancelling)
		fails+=("$name: the source is still migrating ($mig)") ;;
	esac
	if [ "$want_rc" = 0 ] && [ "$mig" = completed ]; then
		[ "$src" = postmigrate ] || fails+=("$name: source $src after completion")
		[ "$dst" = running ] || fails+=("$name: destination $dst after completion")
	else
		[ "$src" = running ] || fails+=("$name: source left '$src'")
	fi
}

pair() {
	n=$((n + 1))
	vm "src$n"
	vm "dst$n" "$@"
}

pair -incoming defer
run_case ok 0 'completed in' --uri "unix:$work/m$n.sock"

pair
run_case not-incoming 1 "not waiting for an incoming migration" --uri "unix:$work/m$n.sock"

pair -incoming "unix:$work/m$n.sock"
run_case wrong-uri 1 "error: " --uri "unix:$work/nobody-$n.sock"

pair -incoming defer
run_case timeout 1 "not complete after 2 s" --uri "unix:$work/m$n.sock" \
	--max-bandwidth 1K --timeout 2

pair -incoming defer
run_case cancel-after 0 "cancelled during 'active'; source running again" \
	--uri "unix:$work/m$n.sock" --max-bandwidth 1K --cancel-after 1

pair -incoming defer
TERM_AFTER=2 run_case sigterm 1 "interrupted by SIGTERM" --uri "unix:$work/m$n.sock" \
	--max-bandwidth 1K

pair -incoming defer
run_case relay-missing 0 'completed in' --uri "unix:$work/m$n.sock" \
	--src-relay "$work/none-a.ctl" --dst-relay "$work/none-b.ctl"
grep -q 'does not exist; skipping' "$work/relay-missing.err" ||
	fails+=("relay-missing: no warning about the missing sockets")

pair -incoming defer
fake_relay "$work/ra$n.ctl" accept
fake_relay "$work/rb$n.ctl" refuse
run_case relay-refuses 1 "destination relay refused state.load" --uri "unix:$work/m$n.sock" \
	--src-relay "$work/ra$n.ctl" --dst-relay "$work/rb$n.ctl"

pair -incoming defer
fake_relay "$work/ra$n.ctl" accept
fake_relay "$work/rb$n.ctl" accept
run_case relay-moves 0 'completed in .*relay state hook' --uri "unix:$work/m$n.sock" \
	--src-relay "$work/ra$n.ctl" --dst-relay "$work/rb$n.ctl"
grep -q 'request state.load' "$work/rb$n.ctl.log" ||
	fails+=("relay-moves: the destination relay never got state.load")

if [ ${#fails[@]} -gt 0 ]; then
	for f in "${fails[@]}"; do
		echo "FAIL: $f"
	done
	E2E_FAILED=1
	exit 1
fi
echo "PASS: e2e-svq-migrate: $n cases"
