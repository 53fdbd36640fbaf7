#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The JSON control socket (--control), with a guest (svq-frontend)
# connected:
#   1. the socket is created mode 0600;
#   2. every method answers well-formed requests correctly: ports, info,
#      statistics and clear, the CVQ state the guest set, state save and
#      load (file and inline), mode, port add/del, and lcore.move of every
#      vring between two workers while the guest streams (not one frame
#      lost, repeated, corrupted or reordered);
#   3. malformed requests get an error object with the right code and the
#      connection stays usable: bytes that are not JSON, invalid UTF-8,
#      duplicate members, other JSON types, missing or mistyped members,
#      unknown methods and parameters, out-of-range numbers, a line larger
#      than the limit;
#   4. misbehaving clients do not block others: one sends half a request
#      and stalls, one pipelines 5000 requests without reading (then reads
#      them all, in order), one hangs up mid-request, and connections
#      beyond the limit are refused with an error line;
#   5. the relay removes the socket at exit, refuses to replace a file that
#      is not a socket, and replaces a stale socket.
#
#   test_control_socket.sh RELAY FRONTEND
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 RELAY FRONTEND" >&2
	exit 2
fi
RELAY=$1
FRONTEND=$2

. "$(dirname "$0")/common.sh"

it_need_common
IT_BACKEND=relay
it_need_backend
[ -x "$FRONTEND" ] || it_skip "svq-frontend '$FRONTEND' is not built"
command -v python3 >/dev/null || it_skip "python3 not found"
it_init

CTL=$IT_DIR/ctl.sock
prefix=svq-it-ctl-$$
# Two worker lcores on cpu 1 (the machine may have only two cores).
it_spawn relay "$prefix" "$RELAY" --lcores '0@0,1@1,2@1' --no-pci \
	--file-prefix="$prefix" --log-level='*:warning' -- \
	--vhost "$IT_SOCK,queues=2" --device sim,queues=2 --control "$CTL"
RELAY_PID=$IT_LAST_PID
IT_BACKEND_PID=$RELAY_PID
it_wait_listening "$RELAY_PID" relay "$CTL" "$IT_SOCK"

# ---- 1. permissions ----------------------------------------------------

mode=$(stat -c '%a %U' "$CTL")
[ "$mode" = "600 $(id -un)" ] || it_fail "control socket mode/owner '$mode', want '600 $(id -un)'"
it_log "control socket $CTL: mode 0600, owner $(id -un)"

# ---- 2.-4. the client --------------------------------------------------

IT_LOGS+=("$IT_DIR/client.out" "$IT_DIR/guest.log")
cat >"$IT_DIR/client.py" <<'PY'
import json, os, socket, subprocess, sys, threading, time

ctl, vsock, frontend, wdir = sys.argv[1:5]
FRAMES = 400000

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

class Client:
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(20)
        self.s.connect(ctl)
        self.f = self.s.makefile("rb")
        self.n = 0
    def send_raw(self, data):
        self.s.sendall(data)
    def recv(self):
        line = self.f.readline()
        if not line:
            fail("the relay closed the connection")
        return json.loads(line)
    def call(self, method, params=None, want_error=None):
        self.n += 1
        req = {"id": self.n, "method": method}
        if params is not None:
            req["params"] = params
        self.send_raw(json.dumps(req).encode() + b"\n")
        r = self.recv()
        if r.get("id") != self.n:
            fail(f"{method}: answer for id {r.get('id')}, want {self.n}")
        if want_error is None:
            if "error" in r:
                fail(f"{method} {params}: {r['error']}")
            return r["result"]
        if "error" not in r or r["error"]["code"] != want_error:
            fail(f"{method} {params}: want error {want_error}, got {r}")
        return r["error"]["message"]
    def raw(self, data, want_code):
        self.send_raw(data)
        r = self.recv()
        if "error" not in r or r["error"]["code"] != want_code:
            fail(f"{data[:60]!r}: want error {want_code}, got {r}")
        if r["id"] is not None and not isinstance(r["id"], (int, str)):
            fail(f"bad id in {r}")
        return r

c = Client()

# The guest: sets its device up, streams while every vring moves.
out = open(wdir + "/guest.log", "w")
g = subprocess.Popen([frontend, "--socket", vsock, "--queues", "2", "--mq-start",
                      "--connect-timeout", "5000"], stdin=subprocess.PIPE,
                     stdout=out, stderr=subprocess.STDOUT, text=True, bufsize=1)

def guest_line(prefix, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        lines = [l.strip() for l in open(wdir + "/guest.log") if l.startswith(prefix)]
        if lines:
            return lines[-1]
        if g.poll() is not None:
            fail("the guest exited: " + open(wdir + "/guest.log").read()[-500:])
        time.sleep(0.05)
    fail(f"guest: no '{prefix}' line")

def check_loop(line, count):
    f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    if f.get("received") != str(count) or any(f.get(k) != "0" for k in
            ("lost", "dup", "corrupt", "misqueued", "reordered", "foreign")):
        fail("traffic damaged: " + line)

try:
    methods = [m["method"] for m in c.call("methods")]
    for m in ("ports.list", "port.info", "port.stats", "queue.stats", "stats.clear",
              "cvq.state", "state.save", "state.load", "port.add", "port.del",
              "lcore.move", "mode.set"):
        if m not in methods:
            fail(f"methods lacks {m}")

    g.stdin.write("mac set 52:54:00:aa:bb:02\nvlan add 7\n"
                  "mac table 02:00:00:00:00:0a 01:00:5e:00:00:01\n"
                  "set probe_timeout 5000\n"
               f"loop all {FRAMES}\necho loop-finished\n")
    guest_line("ready ")
    moves = 0
    while "loop pair=all" not in open(wdir + "/guest.log").read():
        q, l = moves % 5, 1 + (moves // 5) % 2
        r = c.call("lcore.move", {"port": 0, "queue": q, "lcore": l})
        if r != {"port": 0, "queue": q, "lcore": l}:
            fail(f"lcore.move answered {r}")
        moves += 1
        time.sleep(0.005)
        if moves > 100000:
            fail("the stream never finished")
    if moves < 10:
        fail(f"only {moves} moves overlapped the stream")
    check_loop(guest_line("loop pair=all"), FRAMES)
    print(f"lcore.move: {moves} live moves while {FRAMES} frames streamed, none damaged")

    ports = c.call("ports.list")
    if len(ports) != 1 or ports[0]["port"] != 0 or not ports[0]["connected"] \
            or ports[0]["path"] != vsock or ports[0]["queue_pairs"] != 2:
        fail(f"ports.list: {ports}")
    info = c.call("port.info", {"port": 0})
    if info["device"]["status"] != 15 or "CTRL_VQ" not in info["features"]["guest"]["names"] \
            or info["control_vring"] != 4 or info["config"]["mac"].lower() != "52:54:00:aa:bb:02" \
            or info["mode"] != "always":
        fail(f"port.info: {info}")
    st = c.call("port.stats", {"port": 0})
    if st["tx_frames"] < FRAMES or st["rx_frames"] < FRAMES or len(st["queues"]) != 5 \
            or st["ctrl_commands"] < 4:
        fail(f"port.stats: { {k: v for k, v in st.items() if k != 'queues'} }")
    q1 = c.call("queue.stats", {"port": 0, "queue": 1})
    if q1["kind"] != "tx" or q1["used_chains"] < FRAMES // 2 or q1["state"] != "running":
        fail(f"queue.stats: {q1}")
    if c.call("stats.clear", {"port": 0}) != {"port": 0}:
        fail("stats.clear port 0")
    if c.call("stats.clear", {"port": "all"}) != {"port": "all"}:
        fail("stats.clear all")
    st = c.call("port.stats", {"port": 0})
    if st["tx_frames"] != 0 or st["queues"][1]["used_chains"] != 0:
        fail(f"counters after stats.clear: {st['tx_frames']}")
    state = c.call("cvq.state", {"port": 0})
    if state["mac"].lower() != "52:54:00:aa:bb:02" or state["vlans"] != [7] \
            or state["mac_table"]["unicast"] != ["02:00:00:00:00:0A"] \
            or state["queue_pairs"] != 2:
        fail(f"cvq.state: {state}")
    r = c.call("state.save", {"port": 0, "file": wdir + "/saved.json"})
    if json.load(open(wdir + "/saved.json")) != state:
        fail("state.save wrote another state than cvq.state")
    r = c.call("state.load", {"port": 0, "file": wdir + "/saved.json"})
    if r != {"port": 0, "replay": "next device restart", "device_running": True}:
        fail(f"state.load file: {r}")
    r = c.call("state.load", {"port": 0, "state": state})
    if r["port"] != 0:
        fail(f"state.load inline: {r}")
    if not c.call("port.info", {"port": 0})["restore_pending"]:
        fail("state.load left no restore pending")
    c.call("mode.set", {"port": 0, "mode": "always"})
    c.call("mode.set", {"port": 0, "mode": "on-migration"})
    if c.call("port.info", {"port": 0})["mode"] != "on-migration":
        fail("mode.set on-migration did not change port.info's mode")
    c.call("mode.set", {"port": 0, "mode": "always"})
    c.call("mode.set", {"port": 0, "mode": "never"}, want_error=22)

    added = c.call("port.add", {"vhost": wdir + "/second.sock,queues=2", "device": "sim,queues=2"})
    if added["port"] != 1 or added["queue_pairs"] != 2 or not os.path.exists(wdir + "/second.sock"):
        fail(f"port.add: {added}")
    c.call("port.add", {"vhost": wdir + "/second.sock"}, want_error=17)
    c.call("port.add", {"vhost": wdir + "/third.sock", "device": "sim,mode=warp"}, want_error=22)
    c.call("port.add", {"vhost": wdir + "/third.sock,queues=99"}, want_error=22)
    if len(c.call("ports.list")) != 2:
        fail("ports.list after port.add")
    c.call("port.del", {"port": 1})
    c.call("port.del", {"port": 1}, want_error=19)
    if os.path.exists(wdir + "/second.sock"):
        fail("port.del left the socket")

    # Errors of the actions.
    c.call("port.info", {"port": 9}, want_error=19)
    c.call("queue.stats", {"port": 0, "queue": 5}, want_error=22)
    c.call("lcore.move", {"port": 0, "queue": 0, "lcore": 0}, want_error=22)
    c.call("lcore.move", {"port": 0, "queue": 0, "lcore": 64}, want_error=22)
    c.call("state.load", {"port": 0, "file": wdir + "/missing.json"}, want_error=22)
    bad = dict(state, vlans=[5000])
    msg = c.call("state.load", {"port": 0, "state": bad}, want_error=22)
    c.call("state.save", {"port": 0, "file": "/nonexistent/dir/x.json"}, want_error=5)

    # ---- 3. malformed requests, one connection throughout ----
    c.raw(b"this is not json\n", -32700)
    c.raw(b'{"id": 1, "method": "ports.list"\n', -32700)
    c.raw(b'{"id": 1, "method": "ports.\xff\xfe"}\n', -32700)
    c.raw(b'{"id": 1, "method": "ports.list", "method": "port.info"}\n', -32700)
    c.raw(b'{"id": 1, "method": "port.info", "params": {"port": 123456789012345678901234567890}}\n', -32700)
    c.raw(b'[1, 2, 3]\n', -32600)
    c.raw(b'"ports.list"\n', -32600)
    c.raw(b'{"id": 1}\n', -32600)
    c.raw(b'{"id": 1, "method": 5}\n', -32600)
    c.raw(b'{"id": {"a": 1}, "method": "ports.list"}\n', -32600)
    c.raw(b'{"id": 1, "method": "ports.list", "extra": 1}\n', -32600)
    c.raw(b'{"id": 1, "method": "ports.list", "params": [0]}\n', -32602)
    r = c.raw(b'{"id": "abc", "method": "no.such.method"}\n', -32601)
    if r["id"] != "abc":
        fail(f"id not echoed: {r}")
    c.call("port.info", {}, want_error=-32602)
    c.call("port.info", {"port": "0"}, want_error=-32602)
    c.call("port.info", {"port": -1}, want_error=-32602)
    c.call("port.info", {"port": 1.5}, want_error=-32602)
    c.call("port.info", {"port": 70000}, want_error=-32602)
    c.call("port.info", {"port": 0, "verbose": True}, want_error=-32602)
    c.call("lcore.move", {"port": 0, "queue": 0}, want_error=-32602)
    c.call("state.save", {"port": 0, "file": ""}, want_error=-32602)
    c.call("state.save", {"port": 0, "file": 7}, want_error=-32602)
    c.call("state.load", {"port": 0, "state": [1]}, want_error=-32602)
    c.call("state.load", {"port": 0, "state": state, "file": "x"}, want_error=-32602)
    c.call("stats.clear", {"port": "some"}, want_error=-32602)
    c.call("port.add", {"vhost": ["x"]}, want_error=-32602)
    # Blank lines are no requests; requests may span no lines.
    c.send_raw(b"\n \r\n")
    c.n += 1
    c.send_raw(b'{"id": %d, "method": "ports.list"}\r\n' % c.n)
    if c.recv().get("id") != c.n:
        fail("a request after blank lines was not answered next")
    # A line above the limit: one error, then the connection goes on.
    c.send_raw(b'{"id": 1, "pad": "' + b"x" * (600 * 1024))
    c.send_raw(b'"}\n')
    r = c.recv()
    if r.get("error", {}).get("code") != -32600 or "longer than" not in r["error"]["message"]:
        fail(f"oversized line: {r}")
    if len(c.call("ports.list")) != 1:
        fail("connection unusable after an oversized line")
    print("malformed requests: error objects, connection kept")

    # ---- 4. misbehaving clients ----
    stalled = Client()
    stalled.send_raw(b'{"id": 1, "method": "ports.li')   # and nothing more
    flood = Client()
    N = 5000
    # Its own thread: the relay stops reading it while answers pile up.
    sender = threading.Thread(target=flood.send_raw, args=(b"".join(
        b'{"id": %d, "method": "port.stats", "params": {"port": 0}}\n' % i
        for i in range(N)),))
    sender.start()
    time.sleep(0.5)
    t0 = time.time()
    for i in range(20):
        c.call("queue.stats", {"port": 0, "queue": i % 5})
    if time.time() - t0 > 5:
        fail("a stalled and a flooding client slowed the others down")
    hangup = Client()
    hangup.send_raw(b'{"id": 1, "method": "port.stats", "params": {"port": 0}}\n')
    hangup.s.close()
    for i in range(N):
        r = flood.recv()
        if r.get("id") != i or "result" not in r:
            fail(f"flood answer {i}: {str(r)[:100]}")
    sender.join()
    print(f"a stalled client, {N} pipelined requests read late, a hang-up: others served")
    stalled.send_raw(b'st"}\n')
    if "result" not in stalled.recv():
        fail("the stalled client's request, finished late, was not answered")

    # Too many connections: the one beyond the limit is told and closed.
    extra = []
    refused = None
    for i in range(20):
        x = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        x.settimeout(5)
        x.connect(ctl)
        try:
            x.sendall(b'{"id": 1, "method": "ports.list"}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass    # refused at once: its error line waits to be read
        line = x.makefile("rb").readline()
        if not line:
            fail("a connection was closed without a word")
        r = json.loads(line)
        if "error" in r:
            refused = r
            x.close()
            break
        extra.append(x)
    if refused is None or "too many" not in refused["error"]["message"]:
        fail(f"connections beyond the limit: {refused}")
    for x in extra:
        x.close()
    stalled.s.close()
    flood.s.close()
    time.sleep(0.3)
    Client().call("ports.list")
    print(f"connection limit: {len(extra) + 3} served, the next refused with '{refused['error']['message']}'")

    # The guest never noticed: it streams on.
    g.stdin.write("loop all 20000\necho loop2-finished\n")
    guest_line("echo loop2-finished")
    check_loop(guest_line("loop pair=all"), 20000)
finally:
    g.kill()
    g.wait()
print("control socket ok")
PY
timeout 300 python3 "$IT_DIR/client.py" "$CTL" "$IT_SOCK" "$FRONTEND" "$IT_DIR" \
	>"$IT_DIR/client.out" 2>&1
rc=$?
cat "$IT_DIR/client.out"
[ "$rc" = 0 ] || it_fail "control socket client (exit $rc)"
it_backend_alive || it_fail "the relay died"

# ---- 5. socket life cycle ----------------------------------------------

it_stop_pid "$RELAY_PID"
[ ! -e "$CTL" ] || it_fail "the relay left $CTL behind"

# start_ctl EXPECT_RC: a short run with --control $CTL.
start_ctl() {
	"$RELAY" -l "$IT_BACKEND_LCORES" --no-pci --file-prefix="$prefix-2" \
		--log-level='*:error' -- --vhost "$IT_DIR/x.sock" --control "$CTL" \
		--duration 1 >"$IT_DIR/short.log" 2>&1
}
IT_PREFIXES+=("$prefix-2")
IT_LOGS+=("$IT_DIR/short.log")
echo "not a socket" >"$CTL"
start_ctl
rc=$?
[ "$rc" = 1 ] && grep -q "^error: --control .*exists and is not a socket" "$IT_DIR/short.log" ||
	it_fail "over a regular file: exit $rc, $(grep error "$IT_DIR/short.log")"
[ "$(cat "$CTL")" = "not a socket" ] || it_fail "the regular file was touched"
rm -f "$CTL"
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$CTL"
[ -S "$CTL" ] || it_fail "cannot make a stale socket"
start_ctl
rc=$?
[ "$rc" = 0 ] && grep -q "control socket $CTL" "$IT_DIR/short.log" ||
	it_fail "over a stale socket: exit $rc, $(grep error "$IT_DIR/short.log")"
[ ! -e "$CTL" ] || it_fail "the relay left $CTL behind"
it_log "socket removed at exit; a regular file refused; a stale socket replaced"
it_log "PASS: control socket"
