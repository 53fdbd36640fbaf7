#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# usage: test_dirty_log.sh RELAY FRONTEND
#
# Dirty page logging for live migration, checked page-exactly by
# svq-frontend acting as QEMU does at migration time:
#   0. skip (77) unless the backend offers VHOST_F_LOG_ALL; fail if it
#      offers it without VHOST_USER_PROTOCOL_F_LOG_SHMFD (QEMU refuses to
#      migrate then);
#   1. log start (SET_LOG_BASE with a memfd bitmap, SET_FEATURES +LOG_ALL,
#      SET_VRING_ADDR with VHOST_VRING_F_LOG), log snapshot, numbered
#      traffic on every pair (sizes 64-1500), log check: every page the
#      device changed -- used rings, RX buffers, control queue acks -- is
#      set in the bitmap (missed=0); then a control command and another
#      check; then a 1-second flood (the throughput mode: rings kept full,
#      payloads unread) in both directions and a check of what it wrote;
#      log stop, and traffic still flows with no bit set any more;
#   2. the checker itself against the backend: with logging stopped, the
#      same traffic must be reported as missed pages (a check that cannot
#      fail proves nothing);
#   3. migration to a second backend: log start, a numbered stream with
#      frames still in flight at stop (GET_VRING_BASE), the final log check
#      after the drain, reconnect to the destination with the stop's bases
#      (and VQ_PAIRS_SET replayed when the source acked one), the stream
#      goes on: every frame back exactly once, intact, in order; no chain
#      left behind (stuck) or repeated by the bases.
# The backend is the relay with the sim device in loopback mode, or DPDK's
# vhost PMD in testpmd with SVQ_IT_BACKEND=testpmd (it logs by itself when
# LOG_ALL is on, and never answers the control queue).
#
# Environment (besides common.sh's):
#   SVQ_IT_FRAMES   frames per traffic step (default 5000)

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2
FRAMES=${SVQ_IT_FRAMES:-5000}
QUEUES=2
LOG_ALL_BIT=26
LOG_SHMFD_BIT=1

# shellcheck source=test/integration/common.sh
. "$(dirname "$0")/common.sh"

[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
it_init
it_need_common
it_need_backend

# start_backend NAME SOCK: the backend under test listening on SOCK with
# QUEUES pairs (the relay's sim gets as many as the port, as in
# test_frontend.sh); sets BACKEND_PID.
start_backend() {
	local name=$1 sock=$2 prefix i
	prefix=svq-it-dl-$name-$$
	if [ "$IT_BACKEND" = relay ]; then
		it_spawn "$name" "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" \
			--no-pci --file-prefix="$prefix" -- \
			--vhost "$sock,queues=$QUEUES" \
			--device "sim,mode=loopback,queues=$QUEUES"
	else
		# As common.sh's it_start_backend, on another socket.
		it_spawn "$name" "$prefix" "$IT_TESTPMD" \
			-l "$IT_BACKEND_LCORES" --no-pci --file-prefix="$prefix" \
			--vdev "net_vhost0,iface=$sock,queues=$QUEUES" -- \
			--forward-mode=io --port-topology=loop --auto-start \
			--rxq="$QUEUES" --txq="$QUEUES" --nb-cores=1 \
			--stats-period=1 --total-num-mbufs=16384
	fi
	BACKEND_PID=$IT_LAST_PID
	it_wait_listening "$BACKEND_PID" "$name ($IT_BACKEND)" "$sock"
	it_log "$name: $IT_BACKEND (pid $BACKEND_PID) on $sock, $QUEUES pairs"
}

# fe_run NAME SOCK ARGS... <script: one frontend session, output in
# $IT_DIR/NAME.log; sets FE_RC and FE_OUT.
fe_run() {
	local name=$1 sock=$2 log
	shift 2
	log=$IT_DIR/$name.log
	IT_LOGS+=("$log")
	timeout 120 "$FRONTEND" --socket "$sock" --queues "$QUEUES" \
		--connect-timeout 5000 --cvq-timeout 300 "$@" >"$log" 2>&1
	FE_RC=$?
	FE_OUT=$(cat "$log")
}

fe_error() {
	grep -m1 -e '^error' -e '^setup' -e '^expect mismatch' <<<"$FE_OUT"
}

# check_stream LINE WHAT: every frame back exactly once, intact, in order.
check_stream() {
	local line=$1 what=$2 key
	[ -n "$line" ] || it_fail "$what: no result line"
	for key in lost dup corrupt misqueued reordered foreign; do
		[ "$(it_field "$line" "$key")" = 0 ] || return 1
	done
	[ "$(it_field "$line" received)" = "$(it_field "$line" sent)" ] ||
		return 1
	return 0
}

# check_log LINE WHAT: a page-exact log check result.
check_log() {
	local line=$1 what=$2 changed
	[ -n "$line" ] || it_fail "$what: no 'log check' result: $(fe_error)"
	[ "$(it_field "$line" missed)" = 0 ] ||
		it_fail "$what: pages changed and not logged: $line; $(grep -m5 '^log miss' <<<"$FE_OUT")"
	changed=$(it_field "$line" changed)
	# At least every data vring's used ring changed.
	[ "$changed" -ge $((2 * QUEUES)) ] ||
		it_fail "$what: only $changed pages changed: nothing was compared? $line"
	it_log "$what: $line"
}

A_SOCK=$IT_DIR/a.sock
B_SOCK=$IT_DIR/b.sock
start_backend backend-a "$A_SOCK"
A_PID=$BACKEND_PID

# ---- 0. does the backend log at all? -----------------------------------

fe_run probe "$A_SOCK" <<END_SCRIPT
info
END_SCRIPT
[ "$FE_RC" = 0 ] || it_fail "probe session exited $FE_RC: $(fe_error)"
info=$(grep '^info ' <<<"$FE_OUT")
offered=$(it_field "$info" offered)
protocol=$(it_field "$info" protocol)
[ -n "$offered" ] && [ -n "$protocol" ] || it_fail "no features in: $info"
if [ $(( (offered >> LOG_ALL_BIT) & 1 )) = 0 ]; then
	it_skip "$IT_BACKEND does not offer VHOST_F_LOG_ALL (features $offered): no dirty logging yet"
fi
# The frontend asks for LOG_SHMFD whenever it is offered.
[ $(( (protocol >> LOG_SHMFD_BIT) & 1 )) = 1 ] ||
	it_fail "$IT_BACKEND offers VHOST_F_LOG_ALL but not VHOST_USER_PROTOCOL_F_LOG_SHMFD (negotiated protocol features $protocol): QEMU cannot migrate it"
it_log "$IT_BACKEND offers LOG_ALL and LOG_SHMFD (features $offered, protocol $protocol)"

# ---- 1. page-exact log of traffic --------------------------------------

fe_run session1 "$A_SOCK" --mq-start <<END_SCRIPT
log start
log snapshot
loop all $FRAMES 64-1500
log check
rx promisc on
log check
log snapshot
flood both 1
expect bad_used=0 rx_bad=0
drain 500
log check
log stop
log snapshot
loop all $FRAMES 64-1500
log bits
stats
stop
END_SCRIPT
[ "$FE_RC" = 0 ] || it_fail "session 1 exited $FE_RC: $(fe_error); $(grep -m5 '^log miss' <<<"$FE_OUT")"
line=$(grep '^log started ' <<<"$FE_OUT")
it_log "session 1: $line"
n=0
while read -r line; do
	n=$((n + 1))
	check_stream "$line" "session 1" ||
		it_fail "session 1: traffic ${n}: $line"
done < <(grep '^loop pair=all ' <<<"$FE_OUT")
[ "$n" = 2 ] || it_fail "session 1: $n loop results, want 2"
it_log "session 1: $((2 * FRAMES)) frames on $QUEUES pairs, with and without logging, all back intact"
n=0
while read -r line; do
	n=$((n + 1))
	check_log "$line" "session 1: check $n"
done < <(grep '^log check ' <<<"$FE_OUT")
[ "$n" = 3 ] || it_fail "session 1: $n log check results, want 3"
line=$(grep '^flood ' <<<"$FE_OUT")
[ "$(it_field "$line" rx_frames)" -gt 0 ] ||
	it_fail "session 1: flood received nothing: $line"
it_log "session 1: $line, logged page-exactly (check 3)"
it_log "session 1: $(grep '^cvq ' <<<"$FE_OUT")"
line=$(grep '^log bits ' <<<"$FE_OUT")
[ "$(it_field "$line" logged)" = 0 ] && [ "$(it_field "$line" outside)" = 0 ] ||
	it_fail "session 1: bits set after log stop: $line"
it_log "session 1: after log stop: $line"
while read -r line; do
	for key in bad_id bad_len bad_idx; do
		[ "$(it_field "$line" "$key")" = 0 ] ||
			it_fail "ring protocol error: $line"
	done
done < <(grep '^stats vring=' <<<"$FE_OUT")

# ---- 2. the checker catches what is not logged --------------------------

fe_run session2 "$A_SOCK" --mq-start --keep-going <<END_SCRIPT
log start
log stop
log snapshot
loop all 1000 64-1500
log check 20
END_SCRIPT
line=$(grep '^log check ' <<<"$FE_OUT")
[ "$FE_RC" = 1 ] && grep -q '^error .*cmd=log reason=missed-pages' <<<"$FE_OUT" &&
	[ "$(it_field "$line" missed)" -gt 0 ] ||
	it_fail "session 2: unlogged traffic not reported as missed (exit $FE_RC): ${line:-$(fe_error)}"
it_log "session 2: without logging: $line"

# ---- 3. migration to a second backend -----------------------------------

start_backend backend-b "$B_SOCK"
fe_run session3 "$A_SOCK" --mq-start <<END_SCRIPT
log start
log snapshot
stream begin all 64-1500
stream send $FRAMES
stop
log check
reconnect $B_SOCK mq
stream send $FRAMES
stream end
stats
stop
END_SCRIPT
[ "$FE_RC" = 0 ] || it_fail "session 3 exited $FE_RC: $(fe_error); $(grep -m5 '^log miss' <<<"$FE_OUT")"
check_log "$(grep '^log check ' <<<"$FE_OUT")" "session 3: final round after stop"
line=$(grep '^stream send ' <<<"$FE_OUT" | head -n 1)
sent=$(it_field "$line" total_sent)
back=$(it_field "$line" received)
it_log "session 3: source: $line ($((sent - back)) frames in flight at stop)"
line=$(grep '^reconnect done ' <<<"$FE_OUT")
[ "$(it_field "$line" stuck)" = 0 ] && [ "$(it_field "$line" repeat)" = 0 ] ||
	it_fail "session 3: bases at stop do not match the used rings: $line; $(grep '^stop vring=' <<<"$FE_OUT" | tr '\n' ';')"
it_log "session 3: $line"
line=$(grep '^stream end ' <<<"$FE_OUT")
if ! check_stream "$line" "session 3"; then
	# Name the known way to lose frames here: a loopback device whose RX
	# vring was stopped while its TX vring still held chains, which the
	# device completed in the TX drain with nowhere to deliver them.
	why=
	while read -r rx; do
		q=$(it_field "$rx" vring)
		tx=$(grep "^stop vring=$((q + 1)) " <<<"$FE_OUT")
		if [ "$(it_field "$rx" base)" != "$(it_field "$tx" base)" ]; then
			why="$why pair $((q / 2)): RX vring stopped at $(it_field "$rx" base), its TX vring drained to $(it_field "$tx" base) after that;"
		fi
	done < <(grep '^stop vring=[0-9]* kind=rx ' <<<"$FE_OUT")
	it_fail "session 3: frames lost or duplicated across the switch: $line${why:+ (}${why}${why:+ frames completed on TX after their loopback RX queue had stopped)}"
fi
it_log "session 3: $line"
while read -r line; do
	for key in bad_id bad_len bad_idx; do
		[ "$(it_field "$line" "$key")" = 0 ] ||
			it_fail "session 3: ring protocol error: $line"
	done
done < <(grep '^stats vring=' <<<"$FE_OUT")
kill -0 "$A_PID" 2>/dev/null || it_fail "backend a died"
kill -0 "$BACKEND_PID" 2>/dev/null || it_fail "backend b died"

it_log "PASS: dirty log page-exact and migration without loss against $IT_BACKEND"
