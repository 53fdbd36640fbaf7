#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Device state replay, proven by behaviour. A guest (svq-frontend, which
# hands its control queue to the relay) drives relay A's sim device with a
# long random sequence of control commands and then a known configuration,
# and probes it with a fixed set of frames: unicast to the MAC, to table
# entries and to strangers, multicast listed and not, broadcast, VLAN
# tagged with set and unset ids, and TCP/UDP flows for RSS. Relay A saves
# the state it tracked. Relay B, with a fresh device, loads that state and
# replays it when the same guest connects, without a single command from
# the guest; the same probes must then be accepted, dropped and steered to
# exactly the same queues, and B must track the same state.
#
#   test_replay.sh RELAY FRONTEND
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2
QUEUES=4
SEED=${SVQ_IT_SEED:-4242}

. "$(dirname "$0")/common.sh"

it_need_common
IT_BACKEND=relay
it_need_backend
[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
command -v python3 >/dev/null || it_skip "python3 not found"
it_init

# start_relay NAME SOCK EXTRA_VHOST_OPTS
start_relay() {
	local prefix=svq-it-$1-$$
	it_spawn "$1" "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci \
		--file-prefix="$prefix" -- --vhost "$2,queues=$QUEUES$3" \
		--device "sim,mode=loopback,queues=$QUEUES"
	RELAY_PID=$IT_LAST_PID
	it_wait_listening "$RELAY_PID" "relay $1" "$2"
}

# frontend NAME SOCK [ARGS...] < script
frontend() {
	local log=$IT_DIR/$1.log sock=$2
	shift 2
	IT_LOGS+=("$log")
	timeout 120 "$FRONTEND" --socket "$sock" --queues "$QUEUES" \
		--connect-timeout 5000 "$@" >"$log" 2>&1
	local rc=$?
	[ "$rc" = 0 ] || it_fail "svq-frontend $1 exited $rc"
}

# The probes, one hex frame per line.
python3 - "$IT_DIR/probes.txt" <<'PY'
import struct, sys

dev = bytes.fromhex("525400aabb01")
src = bytes.fromhex("025356510001")

def eth(dst, etype, payload, vid=None):
    tag = b"" if vid is None else struct.pack("!HH", 0x8100, vid)
    return dst + src + tag + struct.pack("!H", etype) + payload

def ipv4(proto, sip, dip, sport, dport):
    l4 = struct.pack("!HHII", sport, dport, 0, 0) + bytes(12)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64,
                      proto, 0, bytes(sip), bytes(dip))
    return hdr + l4

def ipv6(proto, sip, dip, sport, dport):
    l4 = struct.pack("!HHII", sport, dport, 0, 0) + bytes(12)
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, 64,
                       bytes(sip), bytes(dip)) + l4

udp4 = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], 1000, 2000)
frames = [
    eth(dev, 0x0800, udp4),                                  # our MAC
    eth(bytes.fromhex("02000000000a"), 0x0800, udp4),        # uc table
    eth(bytes.fromhex("020000000099"), 0x0800, udp4),        # stranger
    eth(bytes.fromhex("01005e000001"), 0x0800, udp4),        # mc listed
    eth(bytes.fromhex("01005e000009"), 0x0800, udp4),        # mc unlisted
    eth(b"\xff" * 6, 0x0806, bytes(28)),                     # ARP broadcast
    eth(dev, 0x0800, udp4, vid=100),                         # VLAN set
    eth(dev, 0x0800, udp4, vid=200),                         # VLAN unset
]
for i in range(16):                                          # TCP/IPv4 flows
    frames.append(eth(dev, 0x0800, ipv4(6, [192, 168, 1, i], [192, 168, 2, 1],
                                        40000 + 17 * i, 80)))
for i in range(8):                                           # UDP/IPv6 flows
    frames.append(eth(dev, 0x86dd, ipv6(17, [0x20, 1] + [0] * 13 + [i],
                                        [0x20, 1] + [0] * 13 + [0xff],
                                        5000 + i, 53)))
with open(sys.argv[1], "w") as f:
    for fr in frames:
        f.write(fr.hex() + "\n")
PY

key=6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa
table=0,1,2,3,3,2,1,0,1,1,2,2,3,3,0,0

# Relay A: commands, then probes; saves its state at exit.
start_relay relay-a "$IT_DIR/a.sock" ",state-out=$IT_DIR/a.json"
pid_a=$RELAY_PID
frontend guest-a "$IT_DIR/a.sock" <<EOF_A
rand-cvq $SEED 400
mac set 52:54:00:aa:bb:01
mac table 02:00:00:00:00:0a,02:00:00:00:00:0b 01:00:5e:00:00:01
rx promisc off
rx allmulti off
rx alluni off
rx nomulti off
rx nouni off
rx nobcast off
vlan add 100
vlan del 200
rss 0x3f 1 $QUEUES $key $table
set probe_timeout 300
probe 0 $IT_DIR/probes.txt
probe 1 $IT_DIR/probes.txt
EOF_A
it_stop_pid "$pid_a"
[ -s "$IT_DIR/a.json" ] || it_fail "relay A saved no state"
grep -q "^rand-cvq done" "$IT_DIR/guest-a.log" || it_fail "random CVQ sequence did not finish"
it_log "relay A: $(grep '^rand-cvq done' "$IT_DIR/guest-a.log")"

# Relay B: a fresh device, the saved state, no commands from the guest.
start_relay relay-b "$IT_DIR/b.sock" ",state-in=$IT_DIR/a.json,state-out=$IT_DIR/b.json"
pid_b=$RELAY_PID
frontend guest-b "$IT_DIR/b.sock" <<EOF_B
set probe_timeout 300
probe 0 $IT_DIR/probes.txt
probe 1 $IT_DIR/probes.txt
EOF_B
it_stop_pid "$pid_b"
restored=$(grep -o "restored device state: .*" "$IT_DIR/relay-b.log")
[ -n "$restored" ] || it_fail "relay B did not replay the state"
it_log "relay B: $restored"

# Same behaviour, probe by probe.
grep '^probe [0-9]' "$IT_DIR/guest-a.log" >"$IT_DIR/probes-a.txt"
grep '^probe [0-9]' "$IT_DIR/guest-b.log" >"$IT_DIR/probes-b.txt"
n=$(wc -l <"$IT_DIR/probes-a.txt")
[ "$n" -eq 64 ] || it_fail "relay A answered $n of 64 probes"
diff -u "$IT_DIR/probes-a.txt" "$IT_DIR/probes-b.txt" >"$IT_DIR/probes.diff" ||
	it_fail "behaviour differs after replay: $(head -20 "$IT_DIR/probes.diff")"

# And the probes must tell states apart: some dropped, several queues.
dropped=$(grep -c dropped "$IT_DIR/probes-a.txt")
queues=$(grep -o 'queue=[0-9]*' "$IT_DIR/probes-a.txt" | sort -u | wc -l)
[ "$dropped" -ge 6 ] || it_fail "only $dropped probes dropped: the filters are not in play"
[ "$queues" -ge 3 ] || it_fail "probes reached only $queues queues: RSS is not in play"
for want in "probe 2 dropped" "probe 4 dropped" "probe 7 dropped"; do
	grep -qx "$want" "$IT_DIR/probes-a.txt" || it_fail "expected '$want' (stranger, unlisted multicast, unset VLAN)"
done

# Same state, as tracked by both relays.
python3 - "$IT_DIR/a.json" "$IT_DIR/b.json" <<'PY' || it_fail "relay B tracks another state than relay A"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(0 if a == b else 1)
PY
it_log "$n probes identical after replay ($dropped dropped, $queues queues); states equal"

# A state the device refuses (an RSS table larger than its 128 entries):
# the restore fails once, names the command, and the data path stays off.
python3 - "$IT_DIR/a.json" "$IT_DIR/too-big.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["rss"] = {"mode": "rss", "hash_types": "0x3", "key": "", "unclassified_queue": 0,
            "indirection_table": [i % 4 for i in range(256)], "max_tx_vq": 4}
s["queue_pairs"] = 4
json.dump(s, open(sys.argv[2], "w"))
PY
start_relay relay-c "$IT_DIR/c.sock" ",state-in=$IT_DIR/too-big.json"
pid_c=$RELAY_PID
frontend guest-c "$IT_DIR/c.sock" <<EOF_C
set probe_timeout 500
probe 0 $(sed -n 1p "$IT_DIR/probes.txt")
EOF_C
it_stop_pid "$pid_c"
n=$(grep -c "restore failed at MQ_RSS_CONFIG; data vrings stay off" "$IT_DIR/relay-c.log")
[ "$n" = 1 ] || it_fail "refused restore logged $n times, want once naming MQ_RSS_CONFIG"
grep -qx "probe 0 dropped" "$IT_DIR/guest-c.log" || it_fail "data path ran after a failed restore"

# A guest that negotiates other features than the state was saved with.
start_relay relay-d "$IT_DIR/d.sock" ",state-in=$IT_DIR/a.json"
pid_d=$RELAY_PID
frontend guest-d "$IT_DIR/d.sock" --features -RSS <<EOF_D
info
EOF_D
it_stop_pid "$pid_d"
grep -q "restore refused: state has features" "$IT_DIR/relay-d.log" ||
	it_fail "a feature mismatch was not refused"
it_log "PASS: replay equivalent by behaviour and state; refusals named and contained"
