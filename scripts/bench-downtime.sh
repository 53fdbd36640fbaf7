#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay's share of a migration's downtime (issue P4), as a benchmark.
# Two relays, A and B, each with a sim device and a control socket;
# svq-frontend plays QEMU and migrates the guest between them RUNS times,
# a numbered stream running before each stop:
#   stop     the source relay's device stop, as it measures it: from the
#            first GET_VRING_BASE to every vring stopped (drain, rewind,
#            bases handed back), port.info last_stop_us
#   export   migration.state on the source's control socket, round trip
#   import   migration.load on the destination's, round trip
#   start    the destination's device start when the guest comes back:
#            reset to DRIVER_OK with the device state replayed through its
#            control vring, port.info last_start_us (replay: last_replay_us)
#   relay    the sum: what the relay adds to the downtime
# and every base the guest sets at the destination must be the one the
# source exported. Two device states: "realistic" (three unicast and one
# multicast MAC, three VLANs, RSS over a 128-entry table, promiscuous
# off) and "full" (64 + 64 MACs, VLANs 1..4094, RX modes, RSS: ~4100
# commands, as scripts/bench-replay.sh). Prints medians, min and max.
#
# usage: scripts/bench-downtime.sh [-r RUNS] [-s realistic|full|both] [BUILD_DIR]
set -euo pipefail

runs=11
states=both
while getopts "r:s:" opt; do
	case $opt in
	r) runs=$OPTARG ;;
	s) states=$OPTARG ;;
	*) echo "usage: $0 [-r RUNS] [-s realistic|full|both] [BUILD_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "$states" = both ] && states="realistic full"
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
relay=$build/app/svq-relay
frontend=$build/test/tools/frontend/svq-frontend
[ -x "$relay" ] && [ -x "$frontend" ] || { echo "build first: $relay, $frontend" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root (hugepages)" >&2; exit 1; }

work=$(mktemp -d /tmp/svq-bench-downtime.XXXXXX)
pids=()
cleanup() {
	set +e
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	rm -rf "$work" /dev/hugepages/svq-bench-dt-$$-* /var/run/dpdk/svq-bench-dt-$$-*
}
trap cleanup EXIT

# The two relays' workers poll on different cpus, as on two hosts (the
# main lcores mostly sleep).
for name in a b; do
	lcores="0@0,1@1"
	[ $name = b ] && lcores="0@1,1@0"
	"$relay" --lcores "$lcores" --no-pci --file-prefix="svq-bench-dt-$$-$name" -- \
		--vhost "$work/$name.sock,queues=2" --device sim,mode=loopback,queues=2 \
		--control "$work/$name.ctl" >"$work/relay-$name.log" 2>&1 &
	pids+=($!)
done
for _ in $(seq 100); do
	[ -S "$work/a.ctl" ] && [ -S "$work/b.ctl" ] && break
	sleep 0.1
done

for state in $states; do
	python3 - "$frontend" "$work" "$state" "$runs" <<'PY'
import json, socket, statistics, subprocess, sys, time

frontend, work, kind, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def call(ctl, method, **params):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect("%s/%s.ctl" % (work, ctl))
    s.sendall((json.dumps({"id": 1, "method": method, "params": params}) +
               "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    s.close()
    r = json.loads(buf)
    if "error" in r:
        sys.exit("%s %s: %s" % (ctl, method, r["error"]["message"]))
    return r["result"]


def timed(ctl, method, **params):
    t = time.perf_counter()
    r = call(ctl, method, **params)
    return r, (time.perf_counter() - t) * 1e6


# The features this guest negotiates: a first short session on A.
subprocess.run([frontend, "--socket", work + "/a.sock", "--queues", "2"],
               input=b"quit\n", stdout=subprocess.DEVNULL, check=True)
s = call("a", "cvq.state", port=0)
key = ("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
       "6a42b73bbeac01fa")
rss = {"mode": "rss", "hash_types": "0x3f", "key": key,
       "indirection_table": [i % 2 for i in range(128)],
       "unclassified_queue": 0, "max_tx_vq": 2}
modes = ("promisc", "allmulti", "alluni", "nomulti", "nouni", "nobcast")
s.update(queue_pairs=2, rss=rss, mac="52:54:00:aa:bb:01")
if kind == "realistic":
    s["mac_table"] = {"unicast": ["02:00:00:00:00:01", "02:00:00:00:00:0a",
                                  "02:00:00:00:00:0b"],
                      "multicast": ["01:00:5e:00:00:01"],
                      "unicast_overflow": False, "multicast_overflow": False}
    s["vlans"] = [5, 100, 200]
    s["rx_mode"] = {m: False for m in modes}
else:
    # nouni stays off: the stream's frames are unicast.
    s["mac_table"] = {
        "unicast": ["02:00:00:00:%02x:%02x" % (i >> 8, (i + 1) & 255)
                    for i in range(64)],
        "multicast": ["01:00:5e:00:%02x:%02x" % (i >> 8, i & 255)
                      for i in range(64)],
        "unicast_overflow": False, "multicast_overflow": False}
    s["vlans"] = list(range(1, 4095))
    s["rx_mode"] = {m: m in ("allmulti", "alluni", "nomulti", "nobcast")
                    for m in modes}
call("a", "state.load", port=0, state=s)

fe = subprocess.Popen([frontend, "--socket", work + "/a.sock", "--queues", "2",
                       "--connect-timeout", "5000"],
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, text=True, bufsize=1)
mark = 0


def step(*cmds):
    """Run frontend commands; @return their output lines."""
    global mark
    mark += 1
    fe.stdin.write("\n".join(cmds + ("echo m%d" % mark,)) + "\n")
    fe.stdin.flush()
    out = []
    while True:
        line = fe.stdout.readline()
        if not line:
            sys.exit("frontend exited: %s" % "".join(out[-5:]))
        if line.startswith(("error", "setup")):
            sys.exit("frontend: %s" % line.strip())
        if line.strip() == "echo m%d" % mark:
            return out
        out.append(line)


step("stream begin all 64-1500")
src, dst = "a", "b"
rows = []
for run in range(runs + 1):
    step("stream send 2000", "stop")
    before = call(src, "port.info", port=0)["migration"]
    doc, export_us = timed(src, "migration.state", port=0)
    _, import_us = timed(dst, "migration.load", port=0, state=doc)
    step("reconnect %s/%s.sock" % (work, dst))
    m = call(dst, "port.info", port=0)["migration"]
    if (m["vrings_checked"], m["base_mismatches"]) != (len(doc["vrings"]), 0):
        sys.exit("run %d: %s -> %s: bases %s" % (run, src, dst, m))
    if run > 0:     # the first start of A replayed the state.load
        rows.append((before["last_stop_us"], export_us, import_us,
                     m["last_start_us"], m["last_replay_us"],
                     m["last_replay_commands"], len(json.dumps(doc))))
    src, dst = dst, src
end = step("stream end")[-1].strip()
fe.stdin.close()
fe.wait()

cmds = rows[0][5]
print("# %s state: %d replayed commands, migration document %d bytes, %d"
      " migrations, %s" % (kind, cmds, rows[0][6], len(rows), end))
cols = ("stop", "export", "import", "start", "(replay)", "relay")
table = [[r[0], r[1], r[2], r[3], r[4], r[0] + r[1] + r[2] + r[3]]
         for r in rows]
print("%-10s %10s %10s %10s" % ("us", "median", "min", "max"))
for i, c in enumerate(cols):
    v = [t[i] for t in table]
    print("%-10s %10.1f %10.1f %10.1f" % (c, statistics.median(v), min(v),
                                          max(v)))
PY
done
