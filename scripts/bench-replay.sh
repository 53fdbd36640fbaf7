#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Replay benchmark: how long a fresh relay takes to rebuild a full device
# state on its sim device (what a migration destination does before the
# guest's data queues start). The state: 64 unicast and 64 multicast MAC
# entries, VLANs 1..4094, a 128-entry RSS table, every RX mode away from
# its default, guest offloads off. Each run starts a relay with
# state-in=FILE, connects svq-frontend (the guest) and reads the time the
# relay logged for the replay; prints the median over the runs.
#
# usage: scripts/bench-replay.sh [-r RUNS] [BUILD_DIR]
set -euo pipefail

runs=11
while getopts "r:" opt; do
	case $opt in
	r) runs=$OPTARG ;;
	*) echo "usage: $0 [-r RUNS] [BUILD_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
relay=$build/app/svq-relay
frontend=$build/test/tools/frontend/svq-frontend
[ -x "$relay" ] && [ -x "$frontend" ] || { echo "build first: $relay, $frontend" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root (hugepages)" >&2; exit 1; }

work=$(mktemp -d /tmp/svq-bench-replay.XXXXXX)
relay_pid=
cleanup() {
	set +e
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
	rm -rf "$work" /dev/hugepages/svq-bench-replay-* /var/run/dpdk/svq-bench-replay-*
}
trap cleanup EXIT

# run_relay VHOST_OPTS: a relay, a guest that connects and leaves.
run_relay() {
	local sock=$work/vhost.sock
	rm -f "$sock"
	"$build/app/svq-relay" -l 0-1 --no-pci --file-prefix=svq-bench-replay-$$ \
		-- --vhost "$sock,queues=4$1" --device sim,mode=loopback,queues=4 \
		>"$work/relay.log" 2>&1 &
	relay_pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	echo quit | "$frontend" --socket "$sock" --queues 4 >"$work/frontend.log" 2>&1
	kill -INT "$relay_pid"
	wait "$relay_pid" || true
	relay_pid=
}

# The features this guest negotiates, from a first run.
run_relay ",state-out=$work/base.json"
python3 - "$work/base.json" "$work/full.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["mac_table"] = {
    "unicast": ["02:00:00:00:%02x:%02x" % (i >> 8, i & 255) for i in range(64)],
    "multicast": ["01:00:5e:00:%02x:%02x" % (i >> 8, i & 255) for i in range(64)],
    "unicast_overflow": False, "multicast_overflow": False}
s["vlans"] = list(range(1, 4095))
s["rx_mode"] = {m: m != "promisc" for m in
                ("promisc", "allmulti", "alluni", "nomulti", "nouni", "nobcast")}
s["guest_offloads"] = "0x0"
s["queue_pairs"] = 4
s["rss"] = {"mode": "rss", "hash_types": "0x3f",
            "key": "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa",
            "indirection_table": [i % 4 for i in range(128)],
            "unclassified_queue": 0, "max_tx_vq": 4}
json.dump(s, open(sys.argv[2], "w"))
PY

times=()
for i in $(seq "$runs"); do
	run_relay ",state-in=$work/full.json"
	line=$(grep -o "restored device state: [0-9]* commands in [0-9.]* us" "$work/relay.log") ||
		{ echo "run $i: no replay logged" >&2; tail -5 "$work/relay.log" >&2; exit 1; }
	cmds=$(awk '{ print $4 }' <<<"$line")
	us=$(awk '{ print $7 }' <<<"$line")
	echo "# run $i: $cmds commands in $us us"
	times+=("$us")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v cmds="$cmds" '
	{ t[NR] = $1 }
	END {
		med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		printf "commands  runs  median_ms  min_ms  max_ms  us_per_command\n"
		printf "%8d  %4d  %9.3f  %6.3f  %6.3f  %14.3f\n", cmds, NR,
			med / 1000, t[1] / 1000, t[NR] / 1000, med / cmds
	}'
