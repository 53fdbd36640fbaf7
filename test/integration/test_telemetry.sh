#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay's DPDK telemetry endpoints, queried with dpdk-telemetry.py
# unchanged and non-interactively, while a guest (svq-frontend) that set
# its device up through the control queue is connected:
#   - every /svq/ endpoint answers JSON with the values the guest and the
#     traffic produced (ports, info, totals, per-vring counters with
#     paging, one vring, the CVQ state with RSS), and "/" and /help list
#     them;
#   - bad parameters (no such port or vring, not a number, missing, extra)
#     answer null and nothing else;
#   - counters are read while the guest streams, many times over, without
#     disturbing it: they only grow, and no frame is lost.
#
#   test_telemetry.sh RELAY FRONTEND
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2
TELEMETRY=${SVQ_IT_TELEMETRY:-dpdk-telemetry.py}

. "$(dirname "$0")/common.sh"

it_need_common
IT_BACKEND=relay
it_need_backend
[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
command -v python3 >/dev/null || it_skip "python3 not found"
command -v "$TELEMETRY" >/dev/null || it_skip "$TELEMETRY not found (Debian package dpdk)"
it_init

prefix=svq-it-tel-$$
it_spawn relay "$prefix" "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci \
	--file-prefix="$prefix" --log-level='*:warning' -- \
	--vhost "$IT_SOCK,queues=4" --device sim,queues=4
IT_BACKEND_PID=$IT_LAST_PID
it_wait_listening "$IT_BACKEND_PID" relay "$IT_SOCK" \
	"/var/run/dpdk/$prefix/dpdk_telemetry.v2"

# tel CMD...: one dpdk-telemetry.py session; prints one JSON reply per line.
tel() {
	printf '%s\n' "$@" | timeout 20 "$TELEMETRY" -f "$prefix" 2>&1
}

key=6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa
table=0,1,2,3,3,2,1,0
FRAMES=300000
# The guest reads its script from a FIFO, to be fed as the test goes.
mkfifo "$IT_DIR/guest.in" || it_fail "mkfifo"
IT_STDIN=$IT_DIR/guest.in it_spawn guest "" timeout 120 "$FRONTEND" \
	--socket "$IT_SOCK" --queues 4 --mq-start --connect-timeout 5000
exec 3>"$IT_DIR/guest.in"
IT_LOGS+=("$IT_DIR/replies.txt")
cat >&3 <<EOF
set probe_timeout 5000
mac set 52:54:00:aa:bb:03
vlan add 10
vlan add 20
mac table 02:00:00:00:00:0a,02:00:00:00:00:0b -
loop all 20000
rss 0x3f 1 4 $key $table
echo configured
EOF
for _ in $(seq 300); do
	grep -q '^echo configured' "$IT_DIR/guest.log" 2>/dev/null && break
	sleep 0.1
done
grep -q '^echo configured' "$IT_DIR/guest.log" || it_fail "the guest did not set its device up"

# ---- every endpoint ----------------------------------------------------

tel / "/help,/svq/port/queues" /svq/ports /svq/port/info,0 /svq/port/stats,0 \
	/svq/port/queues,0 /svq/port/queues,0,5 /svq/queue/stats,0,3 /svq/port/cvq,0 \
	/svq/port/info,1 /svq/port/info,x /svq/port/info /svq/port/info,0,0 \
	/svq/port/stats,-1 /svq/port/queues,0,9 /svq/queue/stats,0 \
	/svq/queue/stats,0,9 /svq/port/cvq,3 >"$IT_DIR/replies.txt"
python3 - "$IT_DIR/replies.txt" <<'PY' || it_fail "telemetry replies (see above)"
import json, sys

replies = []
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        replies.append(json.loads(line))
got = replies
def val(i, cmd):
    r = got[i]
    if list(r) != [cmd]:
        print(f"reply {i}: {r} is not for {cmd}"); sys.exit(1)
    return r[cmd]
def want(cond, what):
    if not cond:
        print("FAIL:", what); sys.exit(1)

cmds = val(0, "/")
for c in ("/svq/ports", "/svq/port/info", "/svq/port/stats", "/svq/port/queues",
          "/svq/queue/stats", "/svq/port/cvq"):
    want(c in cmds, f"'/' lacks {c}: {cmds}")
want("first_vring" in val(1, "/help")["/svq/port/queues"], "help text")
want(val(2, "/svq/ports") == [0], "/svq/ports")
info = val(3, "/svq/port/info")
want(info["connected"] == 1 and info["queue_pairs"] == 4 and info["vrings"] == 9
     and info["control_vring"] == 8 and info["device_status"] == 15
     and info["mac"].lower() == "52:54:00:aa:bb:03" and info["mode"] == "always"
     and int(info["guest_features"], 16) & (1 << 17), f"/svq/port/info: {info}")
st = val(4, "/svq/port/stats")
want(st["tx_frames"] >= 20000 and st["rx_frames"] >= 20000 and st["ctrl_commands"] >= 6
     and st["guest_errors"] == 0 and st["device_errors"] == 0, f"/svq/port/stats: {st}")
q = val(5, "/svq/port/queues")
want(q["nb_vrings"] == 9 and q["first"] == 0 and q["next"] == -1
     and [q[f"q{i}"]["kind"] for i in range(9)] == ["rx", "tx"] * 4 + ["ctrl"]
     and all(q[f"q{i}"]["state"] == "running" for i in range(9))
     and sum(q[f"q{i}"]["used_chains"] for i in (1, 3, 5, 7)) == st["tx_frames"],
     f"/svq/port/queues: {q}")
q5 = val(6, "/svq/port/queues")
want(q5["first"] == 5 and sorted(k for k in q5 if k.startswith("q")) == ["q5", "q6", "q7", "q8"],
     f"/svq/port/queues,0,5: {q5}")
one = val(7, "/svq/queue/stats")
want(one["port"] == 0 and one["queue"] == 3 and one["kind"] == "tx"
     and one["used_chains"] == q["q3"]["used_chains"], f"/svq/queue/stats: {one}")
cvq = val(8, "/svq/port/cvq")
want(cvq["mac"].lower() == "52:54:00:aa:bb:03" and cvq["vlans"] == [10, 20]
     and cvq["vlan_count"] == 2 and cvq["unicast"] == ["02:00:00:00:00:0A", "02:00:00:00:00:0B"]
     and cvq["multicast"] == [] and cvq["rx_mode"]["promisc"] == 1
     and cvq["queue_pairs"] == 4 and cvq["rss"]["mode"] == "rss"
     and cvq["rss"]["hash_types"] == "0x3f" and cvq["rss"]["indirection_table"] == [0, 1, 2, 3, 3, 2, 1, 0]
     and cvq["rss"]["key"].startswith("6d5a56da"), f"/svq/port/cvq: {cvq}")
bad = ["/svq/port/info", "/svq/port/info", "/svq/port/info", "/svq/port/info",
       "/svq/port/stats", "/svq/port/queues", "/svq/queue/stats", "/svq/queue/stats",
       "/svq/port/cvq"]
for i, c in enumerate(bad, start=9):
    want(val(i, c) is None, f"reply {i} ({c} with bad parameters) is not null: {got[i]}")
want(len(got) == 9 + len(bad), f"{len(got)} replies")
print(f"telemetry: {len(got)} replies checked")
PY
it_log "every endpoint answered; bad parameters answered null"

# ---- reading while the guest streams -----------------------------------

# MQ_VQ_PAIRS_SET ends RSS steering: each pair's frames come back on it.
echo "mq pairs 4" >&3
echo "loop all $FRAMES" >&3
echo "echo streamed" >&3
# dpdk-telemetry.py takes a while to start: read through the socket
# directly (the same v2 protocol), as often as it answers.
reads=$(python3 - "/var/run/dpdk/$prefix/dpdk_telemetry.v2" "$IT_DIR/guest.log" <<'PY'
import json, socket, sys, time

s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
greeting = json.loads(s.recv(1024))
size = greeting["max_output_len"]
prev, reads, end = {}, 0, time.time() + 120
while "echo streamed" not in open(sys.argv[2]).read():
    s.send(b"/svq/port/queues,0")
    q = json.loads(s.recv(size))["/svq/port/queues"]
    for name, v in q.items():
        if not name.startswith("q"):
            continue
        for k, n in v.items():
            if isinstance(n, int) and k != "lcore" and n < prev.get((name, k), 0):
                sys.exit(f"{name}.{k} went back from {prev[(name, k)]} to {n}")
            prev[(name, k)] = n
    reads += 1
    if time.time() > end:
        sys.exit("the stream never finished")
print(reads)
PY
) || it_fail "reading counters while streaming: $reads"
exec 3>&-
line=$(grep '^loop pair=all' "$IT_DIR/guest.log" | tail -n 1)
for k in lost dup corrupt misqueued reordered foreign; do
	[ "$(it_field "$line" "$k")" = 0 ] || it_fail "traffic while reading telemetry: $line"
done
[ "$(it_field "$line" received)" = "$FRAMES" ] || it_fail "traffic: $line"
it_backend_alive || it_fail "the relay died"
it_log "PASS: telemetry; $reads reads while $FRAMES frames streamed, none damaged"
