#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_on_migration.sh RELAY FRONTEND
#
# Mode on-migration: the sim device runs on the guest's own rings until the
# frontend starts logging dirty pages, then on shadow rings, and back when
# logging stops. svq-frontend plays QEMU, one numbered stream runs through
# every step, and between steps the test reads the relay's vring states
# and counters over its control socket:
#   1. passthrough: every data vring "passthrough"; completions counted,
#      nothing forwarded through shadow rings (avail_chains stays 0);
#   2. log start (SET_LOG_BASE, SET_FEATURES +LOG_ALL): every data vring
#      "running" on shadow rings, and the dirty log page-exact (missed=0);
#   3. log stop: passthrough again;
#   4. mode.set always / on-migration from the control socket while the
#      stream runs: shadowed, then passthrough again;
#   5. log start, stop (GET_VRING_BASE) with frames in flight, the final
#      log check, and reconnect to relay B, also in mode on-migration,
#      which starts its device on the guest rings at the stop's bases.
# The stream must come back whole: every frame exactly once, intact, in
# order; each switch is logged with its duration.
#
# Environment (besides common.sh's):
#   SVQ_IT_FRAMES   frames per stream step (default 4000)

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2
FRAMES=${SVQ_IT_FRAMES:-4000}
QUEUES=2
DATA_VRINGS=$((2 * QUEUES))

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
it_init
it_need_common
[ -x "$RELAY" ] || it_skip "relay binary '$RELAY' is not built"

# start_relay NAME SOCK CTL: a relay in mode on-migration with a control
# socket; sets RELAY_PID.
start_relay() {
	local name=$1 sock=$2 ctl=$3 prefix=svq-it-om-$1-$$
	it_spawn "$name" "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" \
		--no-pci --file-prefix="$prefix" -- \
		--vhost "$sock,queues=$QUEUES,mode=on-migration" \
		--device "sim,mode=loopback,queues=$QUEUES" --control "$ctl"
	RELAY_PID=$IT_LAST_PID
	it_wait_listening "$RELAY_PID" "$name" "$sock" "$ctl"
}

# data_vrings CTL: "STATE AVAIL USED" summed over the data vrings, the
# state being the one they share ("mixed" if they differ).
data_vrings() {
	it_ctl "$1" port.stats '{"port": 0}' | python3 -c '
import json, sys
r = json.load(sys.stdin)
qs = [q for q in r["queues"] if q["kind"] != "ctrl"]
states = {q["state"] for q in qs}
print(states.pop() if len(states) == 1 else "mixed",
      sum(q["avail_chains"] for q in qs), sum(q["used_chains"] for q in qs))'
}

# expect_vrings CTL STATE WHAT: every data vring of the relay in STATE.
expect_vrings() {
	local got
	got=$(data_vrings "$1") || it_fail "$3: port.stats failed"
	[ "${got%% *}" = "$2" ] || it_fail "$3: data vrings '$got', want all $2"
	it_log "$3: data vrings $got (state avail_chains used_chains)"
	VRINGS=$got
}

check_log() {
	local line
	line=$(grep "^log check " "$IT_FE_LOG" | sed -n "${1}p")
	[ -n "$line" ] || it_fail "$2: no 'log check' result"
	[ "$(it_field "$line" missed)" = 0 ] ||
		it_fail "$2: pages changed and not logged: $line"
	[ "$(it_field "$line" changed)" -ge "$DATA_VRINGS" ] ||
		it_fail "$2: nothing compared? $line"
	it_log "$2: $line"
}

A_SOCK=$IT_DIR/a.sock
B_SOCK=$IT_DIR/b.sock
A_CTL=$IT_DIR/a.ctl
B_CTL=$IT_DIR/b.ctl
start_relay relay-a "$A_SOCK" "$A_CTL"
A_PID=$RELAY_PID
start_relay relay-b "$B_SOCK" "$B_CTL"
B_PID=$RELAY_PID

it_fe_start frontend "$FRONTEND" --socket "$A_SOCK" --queues "$QUEUES" \
	--connect-timeout 5000 --mq-start

# ---- 1. passthrough ------------------------------------------------------
it_fe_step ready "stream begin all 64-1500" "stream send $FRAMES"
expect_vrings "$A_CTL" passthrough "1. before any migration"
read -r _ avail used <<<"$VRINGS"
[ "$avail" = 0 ] || it_fail "1. $avail chains went through shadow rings in passthrough"
[ "$used" -ge "$FRAMES" ] || it_fail "1. only $used completions seen for $FRAMES frames"

# ---- 2. logging: shadow rings, page-exact log ------------------------------
it_fe_step logging "log start" "log snapshot" "stream send $FRAMES" "log check"
expect_vrings "$A_CTL" running "2. logging dirty pages"
check_log 1 "2. logging dirty pages"
read -r _ avail2 _ <<<"$VRINGS"
[ "$avail2" -ge "$FRAMES" ] || it_fail "2. only $avail2 chains through shadow rings"

# ---- 3. logging stopped: passthrough again ---------------------------------
it_fe_step unlogged "log stop" "stream send $FRAMES"
expect_vrings "$A_CTL" passthrough "3. logging stopped"
read -r _ avail3 _ <<<"$VRINGS"
[ "$avail3" = "$avail2" ] || it_fail "3. shadow rings still used: avail_chains $avail2 -> $avail3"

# ---- 4. the operator switches modes while the stream runs ------------------
it_ctl "$A_CTL" mode.set '{"port": 0, "mode": "always"}' >/dev/null ||
	it_fail "4. mode.set always refused"
it_fe_step always "stream send $FRAMES"
expect_vrings "$A_CTL" running "4. mode always"
it_ctl "$A_CTL" mode.set '{"port": 0, "mode": "on-migration"}' >/dev/null ||
	it_fail "4. mode.set on-migration refused"
it_fe_step back "stream send $FRAMES"
expect_vrings "$A_CTL" passthrough "4. mode on-migration again"

# ---- 5. migrate to relay B --------------------------------------------------
it_fe_step migrated "log start" "log snapshot" "stream send $FRAMES" "stop" \
	"log check" "reconnect $B_SOCK mq" "stream send $FRAMES"
check_log 2 "5. final round after stop"
expect_vrings "$B_CTL" passthrough "5. destination"
it_fe_step done "stream end" "stats" "stop"
it_fe_end || it_fail "frontend exited $?: $(grep -m1 '^error' "$IT_FE_LOG")"

line=$(grep '^stream end ' "$IT_FE_LOG")
[ -n "$line" ] || it_fail "no stream result"
for key in lost dup corrupt misqueued reordered foreign; do
	[ "$(it_field "$line" "$key")" = 0 ] || it_fail "stream: $line"
done
[ "$(it_field "$line" received)" = "$(it_field "$line" sent)" ] ||
	it_fail "stream: $line"
[ "$(it_field "$line" sent)" -ge $((7 * FRAMES)) ] || it_fail "stream: $line"
it_log "stream across 5 switches and a migration: $line"
line=$(grep '^reconnect done ' "$IT_FE_LOG")
[ "$(it_field "$line" stuck)" = 0 ] && [ "$(it_field "$line" repeat)" = 0 ] ||
	it_fail "bases at stop do not match the used rings: $line"

# Every switch is reported with its duration: to shadow rings at log start
# (twice) and mode always, back at log stop and mode on-migration.
A_LOG=$IT_DIR/relay-a.log
n=$(grep -c "data vrings on shadow rings in" "$A_LOG")
[ "$n" = 3 ] || it_fail "relay A reported $n switches to shadow rings, want 3"
n=$(grep -c "data vrings back on the guest rings (passthrough) in" "$A_LOG")
[ "$n" = 2 ] || it_fail "relay A reported $n switches back to passthrough, want 2"
it_log "switch times: $(grep -o 'data vrings [a-z ()]* in [0-9.]* us' "$A_LOG" | sed 's/data vrings //' | paste -sd ';' -)"
grep -q "passthrough (device on the guest ring)" "$IT_DIR/relay-b.log" ||
	it_fail "relay B never started a vring in passthrough"
kill -0 "$A_PID" 2>/dev/null || it_fail "relay A died"
kill -0 "$B_PID" 2>/dev/null || it_fail "relay B died"
it_log "PASS: passthrough until logging, shadow while logging, back, nothing lost"
