#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_frontend.sh RELAY FRONTEND
#
# svq-frontend, the project's own vhost-user frontend (a virtio-net driver
# model that hands the control virtqueue to the backend), checked on its
# own and against the backend:
#   1. --selftest: CVQ encoders against hand-written spec bytes, parsers,
#      rand-cvq, the split ring driver (no backend, no root needed);
#      --dump-cvq is deterministic; bad command lines exit 2.
#   2. a session with 2 queue pairs: negotiation, memory table, vrings,
#      a frame on each pair comes back intact on the same pair; numbered
#      streams on each pair and on both (wrapping the rings, merged RX
#      buffers) come back exactly once, intact, in order; no ring protocol
#      error; GET_VRING_BASE on every vring matches what was consumed.
#   3. if the backend answers the CVQ: VQ_PAIRS_SET is acked, and a random
#      CVQ sequence (valid and malformed commands) gets an ack for every
#      command, the backend staying alive;
#   4. a fresh session after that: the device is reset on reconnect, so the
#      data path is clean again whatever the random commands configured.
# The backend is the relay with the sim device in loopback mode, or the
# testpmd stand-in with SVQ_IT_BACKEND=testpmd (it never answers the CVQ).
#
# Environment (besides common.sh's):
#   SVQ_IT_FRAMES      frames per stream (default 5000)
#   SVQ_IT_RAND        random CVQ commands (default 300)
#   SVQ_IT_SIM_QUEUES  queue pairs of the relay's sim device (default 2,
#                      the port's); more makes the device's CVQ index
#                      (2 * its pairs) differ from the guest's (2 * 2)

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2
FRAMES=${SVQ_IT_FRAMES:-5000}
RAND=${SVQ_IT_RAND:-300}
QUEUES=2
SIM_QUEUES=${SVQ_IT_SIM_QUEUES:-$QUEUES}

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
it_init

# ---- 1. offline checks -------------------------------------------------

"$FRONTEND" --selftest >"$IT_DIR/selftest.log" 2>"$IT_DIR/selftest.err"
rc=$?
IT_LOGS+=("$IT_DIR/selftest.log" "$IT_DIR/selftest.err")
summary=$(grep '^selftest done ' "$IT_DIR/selftest.log")
if [ "$rc" != 0 ] || [ "$(it_field "$summary" failed)" != 0 ]; then
	it_fail "selftest (exit $rc): $(grep -m5 FAIL "$IT_DIR/selftest.log")"
fi
it_log "$summary"

# The same seed gives the same commands, byte for byte.
a=$(printf 'rand-cvq 7 50\nmac table - -\n' | "$FRONTEND" --dump-cvq --queues 4)
b=$(printf 'rand-cvq 7 50\nmac table - -\n' | "$FRONTEND" --dump-cvq --queues 4)
if [ -z "$a" ] || [ "$a" != "$b" ]; then
	it_fail "--dump-cvq is not deterministic"
fi
grep -q '^cvq class=1 cmd=0 len=8 data=0000000000000000$' <<<"$a" ||
	it_fail "--dump-cvq: wrong MAC table encoding: $(tail -n 1 <<<"$a")"

for args in "--queues 0 --dump-cvq" "--ring-size 100 --dump-cvq" \
		"--features NOPE --dump-cvq" "" "--bogus"; do
	# Split into words on purpose.
	# shellcheck disable=SC2086
	"$FRONTEND" $args </dev/null >/dev/null 2>&1
	rc=$?
	[ "$rc" = 2 ] || it_fail "'svq-frontend $args' exited $rc, want 2"
done
it_log "dump mode and usage errors ok"

# ---- the backend -------------------------------------------------------

it_need_common
it_need_backend
if [ "$IT_BACKEND" = relay ]; then
	# As it_start_backend, but the sim gets as many pairs as the port:
	# with more, the device's CVQ is not the guest's vring 2 * QUEUES.
	prefix=svq-it-relay-$$
	it_spawn backend "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci \
		--file-prefix="$prefix" -- --vhost "$IT_SOCK,queues=$QUEUES" \
		--device "sim,mode=loopback,queues=$SIM_QUEUES"
	IT_BACKEND_PID=$IT_LAST_PID
	it_wait_listening "$IT_BACKEND_PID" relay "$IT_SOCK"
	it_log "relay (pid $IT_BACKEND_PID) on $IT_SOCK: port $QUEUES pairs, sim $SIM_QUEUES"
else
	it_start_backend "$QUEUES"
fi

# fe_run NAME ARGS... <script: one frontend session with output in
# $IT_DIR/NAME.log; sets FE_RC and FE_OUT. Not a DPDK process: no
# hugepages, no file prefix, bounded by timeout.
fe_run() {
	local name=$1 log
	shift
	log=$IT_DIR/$name.log
	IT_LOGS+=("$log")
	timeout 120 "$FRONTEND" --socket "$IT_SOCK" --queues "$QUEUES" \
		--connect-timeout 5000 "$@" >"$log" 2>&1
	FE_RC=$?
	FE_OUT=$(cat "$log")
	it_backend_alive || it_fail "backend died during $name"
}

# check_loop PAIR WHAT: every frame back exactly once, intact, in order.
check_loop() {
	local line key
	line=$(grep -m1 "^loop pair=$1 " <<<"$FE_OUT")
	[ -n "$line" ] || it_fail "$2: no result for 'loop $1'"
	[ "$(it_field "$line" received)" = "$FRAMES" ] || it_fail "$2: $line"
	for key in lost dup corrupt misqueued reordered foreign; do
		[ "$(it_field "$line" "$key")" = 0 ] || it_fail "$2: $line"
	done
	it_log "$2: loop $1: $FRAMES frames ok ($(it_field "$line" ms) ms)"
}

# ---- 2. data path ------------------------------------------------------

pad=$(printf '%0100d' 0)
f0=ffffffffffff0200000000010800${pad}01
f1=ffffffffffff0200000000020800${pad}02
fe_run session1 --mq-start --cvq-timeout 300 <<END_SCRIPT
info
send 0 $f0
send 1 $f1
recv 3000 2
expect count=2
loop 0 $FRAMES
loop 1 $FRAMES
loop all $FRAMES 60-2048
stats
stop
quit
END_SCRIPT
[ "$FE_RC" = 0 ] ||
	it_fail "session 1 exited $FE_RC: $(grep -m1 -e '^error' -e '^setup' <<<"$FE_OUT")"
ready=$(grep '^ready ' <<<"$FE_OUT")
cvq=$(it_field "$ready" cvq)
mq_start=$(it_field "$ready" mq_start)
it_log "session 1: $ready"

grep -q "^rx queue=0 len=65 .* frame=$f0\$" <<<"$FE_OUT" ||
	it_fail "the frame sent on pair 0 did not come back intact on RX queue 0"
grep -q "^rx queue=1 len=65 .* frame=$f1\$" <<<"$FE_OUT" ||
	it_fail "the frame sent on pair 1 did not come back intact on RX queue 1"
check_loop 0 "session 1"
check_loop 1 "session 1"
check_loop all "session 1"

line=$(grep '^stats done ' <<<"$FE_OUT")
[ "$(it_field "$line" rx_bad)" = 0 ] || it_fail "bad RX frames: $line"
while read -r line; do
	for key in bad_id bad_len bad_idx; do
		[ "$(it_field "$line" "$key")" = 0 ] ||
			it_fail "ring protocol error: $line"
	done
done < <(grep '^stats vring=' <<<"$FE_OUT")

# Everything was consumed: a TX vring stops at its avail index, an RX
# vring at its used index (the spare buffers it holds were never taken).
nstop=0
while read -r line; do
	base=$(it_field "$line" base)
	case "$(it_field "$line" kind)" in
	tx) want=$(it_field "$line" avail_idx) ;;
	rx) want=$(it_field "$line" used_idx) ;;
	*) want=$base ;;	# the CVQ: its commands may go unanswered
	esac
	[ "$base" = "$want" ] || it_fail "GET_VRING_BASE: $line"
	nstop=$((nstop + 1))
done < <(grep '^stop vring=' <<<"$FE_OUT")
[ "$nstop" -ge $((2 * QUEUES)) ] || it_fail "stop reported $nstop vrings"
it_log "session 1: no ring errors, GET_VRING_BASE consistent on $nstop vrings"

# ---- 3. CVQ ------------------------------------------------------------

if [ "$cvq" = -1 ]; then
	it_log "the backend offers no CTRL_VQ: CVQ checks skipped"
elif [ "$mq_start" = none ]; then
	[ "$IT_BACKEND" = testpmd ] ||
		it_fail "the relay offers CTRL_VQ but did not answer VQ_PAIRS_SET"
	it_log "the backend does not answer its CVQ (vring $cvq): CVQ checks skipped"
else
	[ "$mq_start" = 0 ] || it_fail "VQ_PAIRS_SET $QUEUES acked $mq_start"
	fe_run session2 --mq-start <<END_SCRIPT
rand-cvq 1 $RAND
expect none=0 other=0
stats
END_SCRIPT
	[ "$FE_RC" = 0 ] || it_fail "rand-cvq session exited $FE_RC: $(grep -m2 \
		-e '^error' -e '^expect' -e '^setup' <<<"$FE_OUT")"
	it_log "session 2: $(grep '^rand-cvq done ' <<<"$FE_OUT")"
fi

# ---- 4. a fresh device -------------------------------------------------

fe_run session3 --mq-start --cvq-timeout 300 <<END_SCRIPT
loop all $FRAMES
stop
END_SCRIPT
[ "$FE_RC" = 0 ] ||
	it_fail "session 3 exited $FE_RC: $(grep -m1 -e '^error' -e '^setup' <<<"$FE_OUT")"
check_loop all "session 3"

it_log "PASS: svq-frontend against $IT_BACKEND, $QUEUES queue pairs"
