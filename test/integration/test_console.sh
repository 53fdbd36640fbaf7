#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The operator console, both ways an operator drives it:
#   1. --cmdline-file: every command, good and bad, on a relay with two
#      ports and no guest; each answer checked, each bad command answered
#      by exactly one "error:" line, the file's summary counts them, and
#      "quit" in the file stops the relay cleanly.
#   2. -i through a pseudo-terminal (python3's pty module): prompt, help,
#      tab completion; a guest (svq-frontend) configures its device
#      through the control queue and streams frames while the console
#      moves every vring between two worker lcores, live: not one frame
#      lost, repeated, corrupted or reordered; the CVQ state, device and
#      statistics commands show what the guest did; clear, state save,
#      port add (a second guest streams through it) and port del; bad
#      commands answered with one line while traffic keeps flowing; quit.
#
#   test_console.sh RELAY FRONTEND
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

# ---- 1. --cmdline-file -------------------------------------------------

# A state for a one-pair port, as test_cli.sh writes it.
cat >"$IT_DIR/one-pair.json" <<'JSON'
{"schema": "svq-relay/net-state", "version": 1, "features": "0x1000a0000",
 "max_queue_pairs": 1, "mac": "52:54:00:53:56:51",
 "rx_mode": {"promisc": true, "allmulti": false, "alluni": false,
             "nomulti": false, "nouni": false, "nobcast": false},
 "mac_table": {"unicast": [], "multicast": [], "unicast_overflow": false,
               "multicast_overflow": false},
 "vlans": [], "guest_offloads": "0x0", "queue_pairs": 1, "rss": {"mode": "off"}}
JSON

# "command<TAB>what the answer must contain"; ERR marks a bad command.
cat >"$IT_DIR/expect.txt" <<EOF
help	set lcore-map <port> <vring> <lcore>
show port info all	port 1 (port1)
show port info 0	vhost-user socket: $IT_DIR/f0.sock (server), waiting for a frontend
show port stats all	port 1 statistics
show port xstats 1	q4_ctrl_device_errors: 0
show queue stats 1 3	port 1 vring 3 (tx): lcore 1, idle
show device 1	max_virtqueue_pairs 2
show device 0	0x00 reset
clear port stats all	statistics cleared for all ports
clear port stats 1	port 1: statistics cleared
set mode 0 always	port 0: mode always
set lcore-map 1 4 1	port 1 vring 4: on lcore 1
state load 0 $IT_DIR/one-pair.json	port 0: state from $IT_DIR/one-pair.json will be replayed when the device starts
show port info 0	restore pending: yes
port add $IT_DIR/f2.sock,queues=2 sim,queues=2	port 2 added: port2 on $IT_DIR/f2.sock, device 'sim,queues=2'
show port info 2	queue pairs: 2, vrings: 5 (control vring 4)
port del 2	port 2 deleted ($IT_DIR/f2.sock)
port add $IT_DIR/f3.sock	port 2 added: port2 on $IT_DIR/f3.sock, device 'sim,mode=loopback'
ERR show port info 7	error: port 7: no such port
ERR show queue stats 1 5	error: port 1: no vring 5 (it has 0..4)
ERR clear port stats 9	error: port 9: no such port
ERR show cvq state 0	error: port 0: no device state yet (the device never started)
ERR state save 0 $IT_DIR/none.json	error: port 0: no device state to save (the device never started)
ERR state load 1 $IT_DIR/one-pair.json	error: port 1: the state does not fit this port
ERR state load 0 $IT_DIR/missing.json	error: port 0: $IT_DIR/missing.json
set mode 0 on-migration	port 0: mode on-migration
show port info 0	mode: on-migration, notify: poll, 0 vrings in passthrough
set mode 0 always	port 0: mode always
ERR set mode 0 sometimes	error: Bad arguments
ERR set lcore-map 0 0 0	error: lcore 0: not a worker lcore of this process
ERR set lcore-map 0 3 1	error: port 0: no vring 3 (it has 0..2)
ERR port add $IT_DIR/f0.sock	error: $IT_DIR/f0.sock is already port 0
ERR port add $IT_DIR/f4.sock,queues=0	error: --vhost $IT_DIR/f4.sock: queues must be 1..64
ERR port add $IT_DIR/f4.sock sim,mode=warp	error: --device sim,mode=warp: cannot create the device
port del 2	port 2 deleted ($IT_DIR/f3.sock)
ERR port del 2	error: port 2: no such port
ERR show port info x	error: Bad arguments
ERR frobnicate	error: Command not found
show port info all	port 1 (port1)
EOF
{
	echo "# a comment, then a blank line"
	echo
	cut -f1 "$IT_DIR/expect.txt" | sed 's/^ERR //'
	echo quit
	echo "show port info all"	# never run: quit ends the file
} >"$IT_DIR/cmds.txt"
nb_cmds=$(wc -l <"$IT_DIR/expect.txt")
nb_err=$(grep -c '^ERR ' "$IT_DIR/expect.txt")

prefix=svq-it-console-f-$$
IT_PREFIXES+=("$prefix")
log=$IT_DIR/file.log
IT_LOGS+=("$log")
timeout 60 "$RELAY" -l "$IT_BACKEND_LCORES" --no-pci --file-prefix="$prefix" \
	--log-level='*:error' -- --vhost "$IT_DIR/f0.sock" \
	--vhost "$IT_DIR/f1.sock,queues=2" --device sim,queues=2 \
	--cmdline-file "$IT_DIR/cmds.txt" </dev/null >"$log" 2>&1
rc=$?
[ "$rc" = 0 ] || it_fail "--cmdline-file run exited $rc"
python3 - "$IT_DIR/expect.txt" "$log" <<'PY' || it_fail "--cmdline-file answers (see above)"
import sys
expect = [l.split("\t", 1) for l in open(sys.argv[1]).read().splitlines()]
out = open(sys.argv[2]).read().split("\n")
# Split the transcript into (command, answer lines).
blocks, cur = [], None
for line in out:
    if line.startswith("svq> "):
        cur = [line[5:], []]
        blocks.append(cur)
    elif cur is not None:
        cur[1].append(line)
ok = True
if len(blocks) != len(expect) + 1:
    print(f"{len(blocks)} commands echoed, want {len(expect) + 1} (quit included)")
    ok = False
for (cmd, want), (got_cmd, answer) in zip(expect, blocks):
    bad = cmd.startswith("ERR ")
    cmd = cmd[4:] if bad else cmd
    text = "\n".join(answer)
    errors = [l for l in answer if l.startswith("error:")]
    if got_cmd != cmd:
        print(f"echoed '{got_cmd}', want '{cmd}'"); ok = False
    elif want not in text:
        print(f"'{cmd}': answer lacks '{want}':\n{text}"); ok = False
    elif bad and len(errors) != 1:
        print(f"'{cmd}': {len(errors)} error lines, want 1:\n{text}"); ok = False
    elif not bad and errors:
        print(f"'{cmd}': unexpected error: {errors[0]}"); ok = False
sys.exit(0 if ok else 1)
PY
summary=$(grep -o "cmds.txt: .*" "$log")
[ "$summary" = "cmds.txt: $((nb_cmds + 1)) commands, $nb_err failed" ] ||
	it_fail "summary '$summary', want $((nb_cmds + 1)) commands, $nb_err failed"
grep -q "final statistics" "$log" || it_fail "quit in the file did not stop the relay cleanly"
[ ! -e "$IT_DIR/f0.sock" ] || it_fail "the relay left its socket behind"
it_log "--cmdline-file: $nb_cmds commands answered, $nb_err errors of one line each, quit"

# ---- 2. -i on a pseudo-terminal, with guests ---------------------------

prefix=svq-it-console-i-$$
IT_PREFIXES+=("$prefix")
IT_LOGS+=("$IT_DIR/pty.log" "$IT_DIR/guest1.log" "$IT_DIR/guest2.log")
cat >"$IT_DIR/console_pty.py" <<'PY'
# Drive svq-relay -i through a pseudo-terminal, like an operator.
import json, os, pty, re, select, signal, subprocess, sys, time

relay, frontend, wdir, prefix, lcores = sys.argv[1:6]
sock, sock2 = wdir + "/i0.sock", wdir + "/i1.sock"
FRAMES = 400000
log = open(wdir + "/pty.log", "w")
ansi = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
children = []

def fail(msg):
    print("FAIL: " + msg)
    log.write("FAIL: " + msg + "\n")
    for p in children:
        if p.poll() is None:
            p.kill()
    if relay_pid:
        try:
            os.kill(relay_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    sys.exit(1)

relay_pid = 0
argv = [relay, "--lcores", lcores, "--no-pci", "--file-prefix=" + prefix,
        "--log-level=*:warning", "--", "--vhost", sock + ",queues=2",
        "--device", "sim,queues=2", "-i"]
relay_pid, fd = pty.fork()
if relay_pid == 0:
    os.execv(relay, argv)
buf = ""

def read_more(timeout):
    global buf
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return False
    try:
        data = os.read(fd, 65536)
    except OSError:
        return None
    if not data:
        return None
    text = ansi.sub("", data.decode(errors="replace")).replace("\r", "")
    log.write(text)
    log.flush()
    buf += text
    return True

def wait_for(pat, start, timeout=15):
    end = time.time() + timeout
    while True:
        i = buf.find(pat, start)
        if i >= 0:
            return i
        if time.time() > end or read_more(0.2) is None:
            fail(f"no '{pat}' within {timeout} s; got: {buf[start:][-500:]!r}")

def run(line, timeout=15):
    """Type a command, return its answer (what is printed before the next prompt)."""
    start = len(buf)
    os.write(fd, line.encode() + b"\n")
    i = wait_for("\nsvq> ", start, timeout)
    answer = buf[start:i].split("\n", 1)
    return answer[1] if len(answer) > 1 else ""

def check(line, want, error=False):
    a = run(line)
    errors = [l for l in a.splitlines() if l.startswith("error:") or l in ("Bad arguments", "Command not found")]
    if want not in a:
        fail(f"'{line}': answer lacks '{want}':\n{a}")
    if error and len(errors) != 1:
        fail(f"'{line}': want exactly one error line:\n{a}")
    if not error and errors:
        fail(f"'{line}': unexpected error:\n{a}")
    return a

def guest(name, socket, pairs):
    out = open(f"{wdir}/{name}.log", "w")
    p = subprocess.Popen([frontend, "--socket", socket, "--queues", str(pairs),
                          "--mq-start", "--connect-timeout", "5000"],
                         stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                         text=True, bufsize=1)
    children.append(p)
    return p

def guest_line(name, prefix, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        for l in open(f"{wdir}/{name}.log"):
            if l.startswith(prefix):
                return l.strip()
        time.sleep(0.1)
    fail(f"{name}: no '{prefix}' line within {timeout} s")

def check_loop(line, count):
    f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    if f.get("received") != str(count) or any(f.get(k) != "0" for k in
            ("lost", "dup", "corrupt", "misqueued", "reordered", "foreign")):
        fail("traffic damaged: " + line)

wait_for("svq> ", 0, 30)

# Help and completion.
check("help", "set lcore-map <port> <vring> <lcore>")
start = len(buf)
os.write(fd, b"show po\t")
wait_for("show port ", start, 5)
os.write(fd, b"in\t")
wait_for("info ", start, 5)
start = len(buf)
os.write(fd, b"0\n")
wait_for("\nsvq> ", start)
if "port 0 (port0)" not in buf[start:]:
    fail("completed 'show port info 0' did not answer: " + buf[start:])

# A guest sets its device up and streams; every vring moves between the
# two workers while it does.
g1 = guest("guest1", sock, 2)
g1.stdin.write("mac set 52:54:00:aa:bb:01\nvlan add 100\nvlan add 200\n"
               "set probe_timeout 5000\n"
               f"loop all {FRAMES}\necho loop-finished\n")
guest_line("guest1", "ready ")
workers = [int(x) for x in sys.argv[6].split(",")]
moves = 0
while "loop pair=all" not in open(wdir + "/guest1.log").read():
    q, l = moves % 5, workers[(moves // 5) % len(workers)]
    check(f"set lcore-map 0 {q} {l}", f"port 0 vring {q}: on lcore {l}")
    moves += 1
    time.sleep(0.02)
    if moves > 20000:
        fail("the stream never finished")
if moves < 10:
    fail(f"only {moves} moves overlapped the stream: make it longer")
check_loop(guest_line("guest1", "loop pair=all"), FRAMES)
print(f"live moves: {moves} while {FRAMES} frames streamed, none damaged")

a = check("show port stats 0", "port 0 statistics")
tx = int(re.search(r"TX-frames: (\d+)", a).group(1))
if tx < FRAMES:
    fail(f"TX-frames {tx} < {FRAMES}:\n{a}")
check("show queue stats 0 1", "port 0 vring 1 (tx): lcore")
check("show cvq state 0", "mac: 52:54:00:AA:BB:01")
check("show cvq state 0", "VLANs (2): 100 200")
check("show cvq state 0", "queue pairs: 2 of 2")
state = json.loads(check("show cvq json 0", '"schema"'))
if state["mac"].lower() != "52:54:00:aa:bb:01" or state["vlans"] != [100, 200]:
    fail(f"show cvq json: {state}")
check("show device 0", "0x0f ACKNOWLEDGE DRIVER FEATURES_OK DRIVER_OK")
check("show port info 0", "connected")
check("clear port stats 0", "port 0: statistics cleared")
check("show port stats 0", "TX-frames: 0 ")
check(f"state save 0 {wdir}/saved.json", f"port 0: device state saved to {wdir}/saved.json")
saved = json.load(open(wdir + "/saved.json"))
if saved != state:
    fail("state save wrote another state than show cvq json")

# Hot add: a second guest streams through the new port; hot del.
check(f"port add {sock2} sim", f"port 1 added: port1 on {sock2}")
g2 = guest("guest2", sock2, 1)
g2.stdin.write("set probe_timeout 5000\nloop 0 20000\necho loop2-finished\n")
check_loop(guest_line("guest2", "loop pair=0"), 20000)
check("show port info 1", "connected")
check("port del 1", f"port 1 deleted ({sock2})")
if os.path.exists(sock2):
    fail("port del left the socket")
check("show port info 1", "error: port 1: no such port", error=True)

# Bad commands: one line each, and the guest streams on.
check("show port info 9", "error: port 9: no such port", error=True)
# Mode switches under traffic: the device moves onto the guest rings
# and back (the streams below check nothing was lost).
check("set mode 0 on-migration", "port 0: mode on-migration")
check("show queue stats 0 1", "passthrough")
check("show port info 0", "mode: on-migration, notify: poll, 4 vrings in passthrough, 1 switches")
check("set mode 0 always", "port 0: mode always")
check("show queue stats 0 1", "running")
check("set mode 0 whenever", "Bad arguments", error=True)
check("set lcore-map 0 0 7", "error: lcore 7: not a worker lcore", error=True)
check("set lcore-map 0 9 1", "error: port 0: no vring 9", error=True)
check("state load 0 /nonexistent.json", "error: port 0:", error=True)
check("frobnicate", "Command not found", error=True)
g1.stdin.write("loop all 20000\necho loop3-finished\n")  # timeout set above
guest_line("guest1", "echo loop3-finished")
lines = [l for l in open(wdir + "/guest1.log") if l.startswith("loop pair=all")]
check_loop(lines[-1].strip(), 20000)

# quit stops the relay.
start = len(buf)
os.write(fd, b"quit\n")
wait_for("final statistics", start)
end = time.time() + 15
while time.time() < end:
    pid, status = os.waitpid(relay_pid, os.WNOHANG)
    if pid:
        break
    read_more(0.2)
else:
    fail("the relay did not exit after quit")
relay_pid = 0
for p in children:
    p.kill()
    p.wait()
if os.WEXITSTATUS(status) != 0:
    fail(f"the relay exited {os.WEXITSTATUS(status)} after quit")
print("console session ok")
PY

# Two worker lcores on cpu 1 (this machine may have only two cores).
timeout 240 python3 "$IT_DIR/console_pty.py" "$RELAY" "$FRONTEND" "$IT_DIR" "$prefix" \
	"0@0,1@1,2@1" "1,2" >"$IT_DIR/pty.out" 2>&1
rc=$?
IT_LOGS+=("$IT_DIR/pty.out")
cat "$IT_DIR/pty.out"
[ "$rc" = 0 ] || it_fail "console session (exit $rc)"
it_log "PASS: --cmdline-file and -i console"
