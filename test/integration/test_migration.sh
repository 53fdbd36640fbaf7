#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_migration.sh RELAY FRONTEND
#
# The migration state moved between relays as a migration tool does it,
# svq-frontend playing QEMU (it hands its control queue to the relay):
#   1. the guest configures relay A's device (MAC, tables, VLANs, hash
#      reports, RX modes) and a numbered stream runs; migration.state of
#      the running port is a snapshot (port_state running);
#   2. the stream ends, stop (GET_VRING_BASE); relay A's migration state
#      says port_state stopped and, vring by vring, exactly the base the
#      frontend was answered; A's port info has the stop timed (frames in
#      flight at a stop are test_dirty_log.sh's business);
#   3. migration.load into relay B, reconnect the guest to B at the stop's
#      bases without replaying a command itself: B replays the device
#      state, every base the frontend sets equals the exported one
#      (5 checked, 0 differed), B tracks the same device state, and a
#      stream there comes back whole: every frame once, intact, in order;
#   4. a state whose bases are off by one, loaded into relay C: the guest
#      moves there, the relay takes the frontend's bases, logs each
#      difference on svq.migrate and counts it; svq-migrate's check
#      reports it; a stream there still loses nothing;
#   5. refusals, all or nothing: a net-state document, another port size,
#      a vring the port does not have, a bad version.

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2
FRAMES=${SVQ_IT_FRAMES:-4000}
QUEUES=2
TOP=$(cd "$(dirname "$0")/../.." && pwd)

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
it_init
it_need_common
[ -x "$RELAY" ] || it_skip "relay binary '$RELAY' is not built"

# start_relay NAME: relay NAME on $IT_DIR/NAME.sock, control NAME.ctl.
start_relay() {
	local prefix=svq-it-mig-$1-$$
	it_spawn "$1" "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci \
		--file-prefix="$prefix" -- \
		--vhost "$IT_DIR/$1.sock,queues=$QUEUES" \
		--device "sim,mode=loopback,queues=$QUEUES" \
		--control "$IT_DIR/$1.ctl"
	it_wait_listening "$IT_LAST_PID" "$1" "$IT_DIR/$1.sock" "$IT_DIR/$1.ctl"
}

# py EXPR JSON...: evaluate EXPR with the JSON arguments as a, b, ...
py() {
	python3 -c '
import json, sys
a, b, c = (json.loads(x) for x in (sys.argv[2:] + ["null"] * 3)[:3])
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r))' "$@"
}

# stop_bases: "index:base ..." from the frontend's last stop.
stop_bases() {
	grep '^stop vring=' "$IT_FE_LOG" | tail -n $((2 * QUEUES + 1)) |
		while read -r line; do
			printf '%s:%s ' "$(it_field "$line" vring)" "$(it_field "$line" base)"
		done
}

# check_stream WHAT: the last stream came back whole.
check_stream() {
	local line
	line=$(grep '^stream end ' "$IT_FE_LOG" | tail -n 1)
	[ -n "$line" ] || it_fail "$1: no stream result"
	for key in lost dup corrupt misqueued reordered foreign; do
		[ "$(it_field "$line" "$key")" = 0 ] || it_fail "$1: $line"
	done
	[ "$(it_field "$line" received)" = "$(it_field "$line" sent)" ] ||
		it_fail "$1: $line"
	it_log "$1: $line"
}

start_relay a
A_PID=$IT_LAST_PID
start_relay b

# ---- 1. a configured device, a running snapshot -----------------------------
it_fe_start frontend "$FRONTEND" --socket "$IT_DIR/a.sock" \
	--queues "$QUEUES" --connect-timeout 5000 --mq-start
it_fe_step configured "mac set 52:54:00:aa:bb:01" \
	"mac table 02:00:00:00:00:01,02:00:00:00:00:0a 01:00:5e:00:00:01" \
	"rx promisc off" "rx allmulti on" "vlan add 5" "vlan add 100" \
	"hash 0x3f 6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa" \
	"stream begin all 64-1500" "stream send $FRAMES"
grep '^cvq ' "$IT_FE_LOG" | grep -qv ' ack=0 ' &&
	it_fail "a command was refused: $(grep '^cvq ' "$IT_FE_LOG" | grep -v ' ack=0 ')"
snap=$(it_ctl "$IT_DIR/a.ctl" migration.state '{"port": 0}') ||
	it_fail "migration.state of the running port: $snap"
[ "$(py 'a["port_state"] + " " + str(len(a["vrings"])) + " " + str({v["state"] for v in a["vrings"]})' "$snap")" = "running 5 {'running'}" ] ||
	it_fail "running snapshot: $snap"
it_log "1. running port: a snapshot of $(py 'len(a["vrings"])' "$snap") vrings"

# ---- 2. stop with frames in flight: the exported bases ----------------------
it_fe_step stopped "stream send $FRAMES" "stream end" "stop"
check_stream "2. relay A"
bases=$(stop_bases)
doc=$(it_ctl "$IT_DIR/a.ctl" migration.state '{"port": 0}') ||
	it_fail "migration.state of the stopped port: $doc"
exported=$(py '" ".join("%d:%d" % (v["index"], v["last_avail"]) for v in a["vrings"]) + " "' "$doc")
[ "$exported" = "$bases" ] ||
	it_fail "exported bases '$exported', the frontend was answered '$bases'"
[ "$(py 'a["port_state"] + " " + str({v["state"] for v in a["vrings"]})' "$doc")" = "stopped {'stopped'}" ] ||
	it_fail "stopped port: $doc"
[ "$(py 'a["device_state"]["mac"] + " " + str(a["device_state"]["vlans"])' "$doc")" = "52:54:00:AA:BB:01 [5, 100]" ] ||
	it_fail "device state not in the document: $doc"
info=$(it_ctl "$IT_DIR/a.ctl" port.info '{"port": 0}')
[ "$(py 'a["migration"]["stopped"] and a["migration"]["device_stops"] == 1 and a["migration"]["last_stop_us"] > 0' "$info")" = true ] ||
	it_fail "relay A's stop not in port.info: $(py 'a["migration"]' "$info")"
it_log "2. stopped: bases $bases exported as answered; stop in $(py 'a["migration"]["last_stop_us"]' "$info") us"

# ---- 3. to relay B: same bases, device state replayed, nothing lost ---------
it_ctl "$IT_DIR/b.ctl" migration.load "{\"port\": 0, \"state\": $doc}" >/dev/null ||
	it_fail "migration.load into relay B refused"
it_fe_step moved "reconnect $IT_DIR/b.sock" "stream begin all 64-1500" \
	"stream send $FRAMES" "stream end"
check_stream "3. relay B"
info=$(it_ctl "$IT_DIR/b.ctl" port.info '{"port": 0}')
[ "$(py '[a["migration"][k] for k in ("vrings_to_check", "vrings_checked", "base_mismatches")]' "$info")" = "[5, 5, 0]" ] ||
	it_fail "relay B's base check: $(py 'a["migration"]' "$info")"
[ "$(py 'a["migration"]["last_replay_commands"] > 0 and a["migration"]["device_starts"] == 1' "$info")" = true ] ||
	it_fail "relay B did not replay: $(py 'a["migration"]' "$info")"
grep -q "stuck=0 repeat=0" <<<"$(grep '^reconnect done ' "$IT_FE_LOG")" ||
	it_fail "bases at stop do not match the used rings: $(grep '^reconnect done ' "$IT_FE_LOG")"
state_b=$(it_ctl "$IT_DIR/b.ctl" cvq.state '{"port": 0}')
[ "$(py 'a == b' "$(py 'a["device_state"]' "$doc")" "$state_b")" = true ] ||
	it_fail "relay B tracks another device state: $state_b"
grep -q "migration state: 5 vring bases checked, 0 differed" "$IT_DIR/b.log" ||
	it_fail "relay B did not log its base check"
it_log "3. relay B: 5 of 5 bases as exported, $(py 'a["migration"]["last_replay_commands"]' "$info") commands replayed in $(py 'a["migration"]["last_replay_us"]' "$info") us (device start $(py 'a["migration"]["last_start_us"]' "$info") us)"

# ---- 4. bases off by one: the frontend's are used, the difference counted ---
# Two busy-polling relays at a time on the test's two cores.
it_stop_pid "$A_PID"
start_relay c
it_fe_step stopped-b "stop"
doc=$(it_ctl "$IT_DIR/b.ctl" migration.state '{"port": 0}') ||
	it_fail "migration.state of relay B: $doc"
[ "$(py '" ".join("%d:%d" % (v["index"], v["last_avail"]) for v in a["vrings"]) + " "' "$doc")" = "$(stop_bases)" ] ||
	it_fail "relay B exported other bases than it answered"
bad=$(py 'dict(a, vrings=[dict(v, last_avail=(v["last_avail"] + 1) % 65536, used=(v["used"] + 1) % 65536) if v["index"] in (1, 3) else v for v in a["vrings"]])' "$doc")
it_ctl "$IT_DIR/c.ctl" migration.load "{\"port\": 0, \"state\": $bad}" >/dev/null ||
	it_fail "migration.load into relay C refused"
it_fe_step moved-c "reconnect $IT_DIR/c.sock" "stream begin all 64-1500" \
	"stream send $FRAMES" "stream end"
check_stream "4. relay C"
n=$(grep -c "the frontend sets base .*, the migration state says .*; the frontend's is used" "$IT_DIR/c.log")
[ "$n" = 2 ] || it_fail "relay C logged $n base differences, want 2"
report=$(python3 - "$TOP/scripts/svq-migrate" "$IT_DIR/c.ctl" <<'PY'
import importlib.machinery, importlib.util, sys
loader = importlib.machinery.SourceFileLoader("svq_migrate", sys.argv[1])
spec = importlib.util.spec_from_loader("svq_migrate", loader)
m = importlib.util.module_from_spec(spec)
loader.exec_module(m)
r = m.Relay(sys.argv[2], "destination", 5)
print(m.relay_base_check(r, 0, 5))
PY
)
[ "$report" = "{'vrings_to_check': 5, 'vrings_checked': 5, 'base_mismatches': 2}" ] ||
	it_fail "svq-migrate's relay check: $report"
it_log "4. relay C: the frontend's bases used, 2 differences logged and counted; svq-migrate: $report"
it_fe_step done "stop"
it_fe_end || it_fail "frontend exited $?: $(grep -m1 '^error' "$IT_FE_LOG")"

# ---- 5. refusals: nothing changes ------------------------------------------
good=$doc
for case in \
	'b|schema: .svq-relay/net-state., not svq-relay/migration (a device state alone is loaded as a state)' \
	'dict(a, queue_pairs=3, device_state=dict(a["device_state"], max_queue_pairs=3))|does not fit this port' \
	'dict(a, version=2)|version: this relay reads version 1' \
	'dict(a, vrings=a["vrings"] + [dict(a["vrings"][0], index=5)])|vrings: expected an array of at most 5' \
	'dict(a, device_state=dict(a["device_state"], max_queue_pairs=4))|device_state.max_queue_pairs'; do
	expr=${case%%|*}
	want=${case#*|}
	out=$(it_ctl "$IT_DIR/c.ctl" migration.load "{\"port\": 0, \"state\": $(py "$expr" "$good" "$state_b")}" 2>&1) &&
		it_fail "migration.load accepted $expr: $out"
	grep -q "$want" <<<"$out" || it_fail "migration.load of $expr: '$out', want '$want'"
done
info=$(it_ctl "$IT_DIR/c.ctl" port.info '{"port": 0}')
[ "$(py '[a["migration"][k] for k in ("vrings_to_check", "vrings_checked", "base_mismatches")]' "$info")" = "[5, 5, 2]" ] ||
	it_fail "a refused load changed relay C's check: $(py 'a["migration"]' "$info")"
it_log "5. malformed or unfitting migration states refused, nothing changed"
it_log "PASS: migration state exported as answered, replayed, bases checked and counted"
