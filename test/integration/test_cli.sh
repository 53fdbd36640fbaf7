#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bad command lines: each must get one "error:" line saying what is wrong,
# the usage, and exit status 2, without creating a socket. A good command
# line with --duration must start, listen and stop cleanly by itself.
#
#   test_cli.sh RELAY
set -uo pipefail

relay=$1
name=test_cli
work=$(mktemp -d /tmp/svq-cli.XXXXXX)
prefix=svq-cli-$$
failed=0
trap 'rm -rf "$work" /dev/hugepages/${prefix}* /var/run/dpdk/${prefix}*' EXIT

[ "$(id -u)" = 0 ] || { echo "$name: SKIP: needs root (hugepages)"; exit 77; }
[ "$(cat /proc/sys/vm/nr_hugepages)" -gt 0 ] ||
	{ echo "$name: SKIP: no hugepages reserved"; exit 77; }

eal=(-l 0-1 --no-pci --file-prefix="$prefix" --log-level='*:error')

# expect_bad 'what it must say' app-args...
expect_bad() {
	local want=$1 out rc
	shift
	out=$("$relay" "${eal[@]}" -- "$@" 2>&1)
	rc=$?
	if [ $rc -ne 2 ]; then
		echo "$name: FAIL: '$*' exited $rc, want 2"
		failed=1
	elif ! grep -q "^error: .*$want" <<<"$out"; then
		echo "$name: FAIL: '$*' did not say '$want':"
		grep "error" <<<"$out" | head -3
		failed=1
	elif ! grep -q "^usage:" <<<"$out"; then
		echo "$name: FAIL: '$*' printed no usage"
		failed=1
	elif [ "$(grep -c '^error:' <<<"$out")" -ne 1 ]; then
		echo "$name: FAIL: '$*' printed more than one error line"
		failed=1
	else
		echo "$name: ok: '$*' -> $(grep '^error:' <<<"$out")"
	fi
	if [ -e "$work/s.sock" ]; then
		echo "$name: FAIL: '$*' created the socket"
		failed=1
	fi
}

s=$work/s.sock
expect_bad "no port"
expect_bad "queues must be" --vhost "$s,queues=0"
expect_bad "queues must be" --vhost "$s,queues=65"
expect_bad "queues must be" --vhost "$s,queues=two"
expect_bad "unknown option 'bogus'" --vhost "$s,bogus"
expect_bad "must follow a --vhost" --device sim
expect_bad "cannot create the device" --vhost "$s" --device "sim,mode=warp"
expect_bad "cannot create the device" --vhost "$s" --device "nosuch"
expect_bad "cannot create the device" --vhost "$s" --device "sim,mode=port,port=none"
expect_bad "unknown mode 'sometimes'" --vhost "$s,mode=sometimes"
expect_bad "unknown mode ''" --vhost "$s,mode="
expect_bad "unknown notify 'never'" --vhost "$s,notify=never"
expect_bad "cannot create the device" --vhost "$s" --device "vhost-user"
expect_bad "cannot create the device" --vhost "$s" --device "vhost-user,path=$work/nobody.sock"
expect_bad "cannot create the device" --vhost "$s" --device "vhost-user,path=$work/x.sock,queues=0"
expect_bad "cannot create the device" --vhost "$s" --device "vhost-user,path=$work/x.sock,timeout=0"
expect_bad "bad --lcore-map" --vhost "$s" --lcore-map "x"
expect_bad "bad --lcore-map" --vhost "$s" --lcore-map "0:3-1@1"
expect_bad "no such port or vring" --vhost "$s" --lcore-map "0:3@1"
expect_bad "not a worker lcore" --vhost "$s" --lcore-map "0:0@7"
expect_bad "not a worker lcore" --vhost "$s" --lcore-map "0:0@0"
expect_bad "vring mapped twice" --vhost "$s" --lcore-map "0:0@1,0:0@1"
expect_bad "--stats takes" --vhost "$s" --stats -1
expect_bad "--duration takes" --vhost "$s" --duration soon
expect_bad "unknown or incomplete option" --vhost "$s" --frobnicate
expect_bad "unknown or incomplete option" --vhost
expect_bad "unexpected argument" --vhost "$s" stray

# State files: missing, of another version, or for another port shape.
state() {	# state VERSION MAX_PAIRS
	cat <<JSON
{"schema": "svq-relay/net-state", "version": $1, "features": "0x1000a0000",
 "max_queue_pairs": $2, "mac": "52:54:00:53:56:51",
 "rx_mode": {"promisc": true, "allmulti": false, "alluni": false,
             "nomulti": false, "nouni": false, "nobcast": false},
 "mac_table": {"unicast": [], "multicast": [], "unicast_overflow": false,
               "multicast_overflow": false},
 "vlans": [], "guest_offloads": "0x0", "queue_pairs": 1, "rss": {"mode": "off"}}
JSON
}
state 2 1 >"$work/v2.json"
state 1 2 >"$work/two-pairs.json"
head -c 100 "$work/two-pairs.json" >"$work/truncated.json"
expect_bad "state-in: /nonexistent" --vhost "$s,state-in=/nonexistent/state.json"
expect_bad "version 2" --vhost "$s,state-in=$work/v2.json"
expect_bad "truncated.json" --vhost "$s,state-in=$work/truncated.json"
expect_bad "does not fit" --vhost "$s,state-in=$work/two-pairs.json"
expect_bad "unknown option 'state-in'" --vhost "$s,state-in"

# Too few lcores for a worker.
out=$("$relay" -l 0 --no-pci --file-prefix="$prefix" --log-level='*:error' -- --vhost "$s" 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "^error: no worker lcore" <<<"$out"; then
	echo "$name: ok: one lcore -> $(grep '^error:' <<<"$out")"
else
	echo "$name: FAIL: one lcore exited $rc: $out" | head -3
	failed=1
fi

# expect_fail_start 'what it must say' EAL-and-app-args...: a clean start
# refused with exit 1 and one error line, before any port listens.
expect_fail_start() {
	local want=$1 out rc
	shift
	out=$("$relay" "$@" 2>&1)
	rc=$?
	if [ $rc -ne 1 ] || ! grep -q "^error: .*$want" <<<"$out" ||
			[ "$(grep -c '^error:' <<<"$out")" -ne 1 ]; then
		echo "$name: FAIL: '$*' exited $rc, want 1 and '$want':"
		grep "error" <<<"$out" | head -3
		failed=1
	else
		echo "$name: ok: '$*' -> $(grep '^error:' <<<"$out")"
	fi
}

# The socket path taken: by a listening relay, or by a stale file.
"$relay" -l 0-1 --no-pci --file-prefix="$prefix-taken" --log-level='*:error' \
	-- --vhost "$work/taken.sock" --duration 20 >"$work/taken.log" 2>&1 &
taken_pid=$!
for _ in $(seq 100); do [ -S "$work/taken.sock" ] && break; sleep 0.1; done
expect_fail_start "a process listens on it already" "${eal[@]}" -- \
	--vhost "$work/taken.sock"
kill "$taken_pid"
wait "$taken_pid"
rm -rf /dev/hugepages/"$prefix"-taken* /var/run/dpdk/"$prefix"-taken*
: >"$work/stale.sock"
expect_fail_start "a file is in the way" "${eal[@]}" -- --vhost "$work/stale.sock"
# Hugepages exhausted: more memory than any host here has reserved.
expect_fail_start "not enough free hugepage memory" "${eal[@]}" -m 4000000 \
	-- --vhost "$s"

# A good command line runs, listens and stops by itself.
"$relay" "${eal[@]}" -- --vhost "$s,queues=2" --device sim,queues=2 --duration 2 >"$work/good.log" 2>&1 &
pid=$!
for _ in $(seq 50); do [ -S "$s" ] && break; sleep 0.1; done
if [ ! -S "$s" ]; then
	echo "$name: FAIL: a good command line did not create the socket"
	failed=1
fi
wait $pid
rc=$?
if [ $rc -ne 0 ] || ! grep -q "final statistics" "$work/good.log"; then
	echo "$name: FAIL: a good command line exited $rc"
	tail -5 "$work/good.log"
	failed=1
fi

if [ $failed -ne 0 ]; then
	echo "$name: FAIL"
	exit 1
fi
echo "$name: PASS"
