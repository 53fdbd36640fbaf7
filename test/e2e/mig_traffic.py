#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Host side of the e2e live migration streams (standard library only).

  mig_traffic.py run ...      inside the test's network namespace: both
                              streams, the guest's control channel, sniffers
  mig_traffic.py analyze ...  afterwards: the verdict, from the run's result
                              and scripts/svq-migrate's results

run: sends a sequence-numbered, checksummed UDP stream to the guest's
migcheck (host->guest), receives and checks the guest's stream
(guest->host), asks the guest for its counters every second, and writes
them to --status. Optional sniffers (AF_PACKET on the bridge ports, one
per relay's TAP) record on which port each datagram of either stream left
or entered the bridge, so a lost datagram can be traced to the port the
bridge sent it to. SIGUSR1 ends the run: the host stops sending, tells the
guest how many it sent (STOP), and waits for the guest's DONE with its
receive counts, lost ranges and memory check; --result gets everything.

The datagram format is test/e2e/guest/migcheck.c's (see there). Everything
from the guest is untrusted: it is parsed defensively and only counted.
"""

import argparse
import array
import errno
import json
import os
import select
import signal
import socket
import struct
import sys
import time
import zlib

MAGIC = 0x4D515653
STREAM_H2G = 1
STREAM_G2H = 2
HDR = struct.Struct("<IIQQII")
HDR_LEN = HDR.size  # 32
MAX_LEN = 1472
PAT_OFFSETS = 509
PAT_LEN = PAT_OFFSETS * 8 + MAX_LEN
MAX_SEQ = 1 << 24
CATCHUP_S = 0.2
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_RCVBUFFORCE = 33
MAX_LOST_LISTED = 20000


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def pattern(stream):
    return b"".join(struct.pack("<Q", splitmix64((stream << 24) | i))
                    for i in range(PAT_LEN // 8))


PATTERN = {s: pattern(s) for s in (STREAM_H2G, STREAM_G2H)}


def payload(stream, seq, plen):
    off = (seq % PAT_OFFSETS) * 8
    return PATTERN[stream][off:off + plen]


def build(stream, seq, size):
    head = HDR.pack(MAGIC, stream, seq, time.time_ns(), size, 0)
    body = payload(stream, seq, size - HDR_LEN)
    crc = zlib.crc32(body, zlib.crc32(head))
    return head[:28] + struct.pack("<I", crc) + body


def check(data, stream):
    """Return the sequence number, or None for a corrupt datagram."""
    n = len(data)
    if n < HDR_LEN or n > MAX_LEN:
        return None
    magic, st, seq, _, length, crc = HDR.unpack_from(data)
    if magic != MAGIC or st != stream or length != n or seq >= MAX_SEQ:
        return None
    zeroed = data[:28] + b"\0\0\0\0"
    if zlib.crc32(data[HDR_LEN:], zlib.crc32(zeroed)) != crc:
        return None
    if data[HDR_LEN:] != payload(stream, seq, n - HDR_LEN):
        return None
    return seq


def udp_snmp():
    """The namespace's Udp counters (/proc/net/snmp is per namespace)."""
    try:
        with open("/proc/net/snmp") as f:
            lines = [l.split() for l in f if l.startswith("Udp:")]
        return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}
    except (OSError, IndexError, ValueError):
        return {}


def iface_stats(name):
    out = {}
    for key in ("tx_packets", "tx_dropped", "rx_packets", "rx_dropped"):
        try:
            with open("/sys/class/net/%s/statistics/%s" % (name, key)) as f:
                out[key] = int(f.read())
        except (OSError, ValueError):
            pass
    return out


def parse_kv(line):
    out = {}
    for word in line.split()[1:]:
        if "=" in word:
            k, v = word.split("=", 1)
            try:
                out[k] = int(v)
            except ValueError:
                try:
                    out[k] = float(v)
                except ValueError:
                    out[k] = v
    return out


def ranges_of(seqs):
    """Sorted ints -> [[first, last], ...]."""
    out = []
    for s in seqs:
        if out and out[-1][1] == s - 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


def parse_ranges(text):
    out = []
    if not text or text == "-":
        return out
    for part in text.split(","):
        try:
            a, b = part.split("-")
            a, b = int(a), int(b)
        except ValueError:
            continue
        if 0 <= a <= b < MAX_SEQ:
            out.append([a, b])
    return out


class Sniffer:
    """One bridge port: which datagrams of our streams crossed it."""

    def __init__(self, label, iface, index, g2h_port, h2g_port):
        self.label, self.iface, self.index = label, iface, index
        self.g2h_port, self.h2g_port = g2h_port, h2g_port
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        except OSError:
            pass
        self.sock.bind((iface, ETH_P_ALL))
        self.sock.setblocking(False)
        self.out_frames = 0     # bridge -> port (toward the relay)
        self.in_frames = 0      # port -> bridge (from the relay)
        self.h2g = 0
        self.g2h = 0
        self.h2g_first = self.h2g_last = None
        self.g2h_first = self.g2h_last = None
        self.others = []        # (t, direction, what) of other frames
        self.base = iface_stats(iface)
        self.drops = 0

    def note_other(self, t, outgoing, frame):
        if len(self.others) >= 200 or len(frame) < 14:
            return
        etype = struct.unpack_from("!H", frame, 12)[0]
        what = "ethertype 0x%04x" % etype
        if etype == 0x0806 and len(frame) >= 42:
            op = struct.unpack_from("!H", frame, 20)[0]
            what = "ARP %s %s -> %s" % (
                {1: "request", 2: "reply"}.get(op, str(op)),
                socket.inet_ntoa(frame[28:32]), socket.inet_ntoa(frame[38:42]))
        elif etype == 0x0800 and len(frame) >= 34:
            what = "IPv4 proto %d %s -> %s" % (
                frame[23], socket.inet_ntoa(frame[26:30]),
                socket.inet_ntoa(frame[30:34]))
        self.others.append((t, "out" if outgoing else "in", what))

    def socket_drops(self):
        """Frames the kernel dropped for this sniffer (PACKET_STATISTICS)."""
        try:
            raw = self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
            self.drops += struct.unpack("II", raw)[1]
        except OSError:
            pass
        return self.drops

    def udp_dgram(self, frame):
        """(dst port, payload) of an IPv4 UDP frame, else None."""
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            return None
        ihl = (frame[14] & 0x0F) * 4
        if frame[14 + 9] != 17 or len(frame) < 14 + ihl + 8:
            return None
        # a fragment has no UDP header of ours
        if struct.unpack_from("!H", frame, 14 + 6)[0] & 0x3FFF:
            return None
        udp = 14 + ihl
        dport = struct.unpack_from("!H", frame, udp + 2)[0]
        return dport, frame[udp + 8:]


def run(args):
    stop_req = [False]
    signal.signal(signal.SIGUSR1, lambda *_: stop_req.__setitem__(0, True))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    guest = (args.guest, args.to_guest_port)
    ctl_addr = (args.guest, args.ctl_port)
    size = args.size
    if not HDR_LEN <= size <= MAX_LEN:
        print("mig_traffic: --size must be %d..%d" % (HDR_LEN, MAX_LEN),
              file=sys.stderr)
        return 2

    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    except OSError:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    rx.bind((args.bind, args.from_guest_port))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.setblocking(False)
    ctl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ctl.bind((args.bind, 0))
    ctl.setblocking(False)

    sniffers = []
    for i, spec in enumerate(args.sniff):
        label, _, iface = spec.partition("=")
        sniffers.append(Sniffer(label, iface or label, i + 1,
                                args.from_guest_port, args.to_guest_port))

    snmp0 = udp_snmp()
    t0 = time.time()
    open(args.ready, "w").close()

    # host -> guest
    sent_at = array.array("d")          # realtime each seq was sent
    h2g_port = bytearray()              # 1 + sniffer index it left on
    h2g_errors = 0
    # guest -> host
    seen = bytearray(MAX_SEQ // 8)
    arrived = array.array("d")          # realtime of the first arrival
    g2h_port = bytearray()
    g2h = {"unique": 0, "dup": 0, "corrupt": 0, "ooo": 0, "highest": -1,
           "first_t": None, "last_t": None}
    guest_status, guest_status_t = {}, None
    done_line = None
    started = False

    def grow(arr, n, fill):
        while len(arr) < n:
            arr.append(fill)

    def ctl_send(msg, addr=ctl_addr):
        try:
            ctl.sendto(msg.encode(), addr)
        except OSError:
            pass

    def on_ctl():
        nonlocal guest_status, guest_status_t, done_line, started
        while True:
            try:
                data, _ = ctl.recvfrom(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # ICMP unreachable before the guest listens
            line = data.decode("ascii", "replace").strip()
            if line.startswith("STARTED"):
                started = True
            elif line.startswith("STATUS"):
                guest_status, guest_status_t = parse_kv(line), time.time()
            elif line.startswith("DONE"):
                done_line = line

    def on_rx():
        while True:
            try:
                data = rx.recv(2048)
            except (BlockingIOError, InterruptedError):
                return
            now = time.time()
            seq = check(data, STREAM_G2H)
            if seq is None:
                g2h["corrupt"] += 1
                continue
            byte, bit = seq >> 3, 1 << (seq & 7)
            if seen[byte] & bit:
                g2h["dup"] += 1
                continue
            seen[byte] |= bit
            g2h["unique"] += 1
            if seq < g2h["highest"]:
                g2h["ooo"] += 1
            g2h["highest"] = max(g2h["highest"], seq)
            grow(arrived, seq + 1, 0.0)
            arrived[seq] = now
            if g2h["first_t"] is None:
                g2h["first_t"] = now
            g2h["last_t"] = now

    def on_sniff(sn):
        while True:
            try:
                frame, addr = sn.sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            now = time.time()
            outgoing = addr[2] == PACKET_OUTGOING
            if outgoing:
                sn.out_frames += 1
            else:
                sn.in_frames += 1
            d = sn.udp_dgram(frame)
            if d is None or len(d[1]) < HDR_LEN:
                sn.note_other(now, outgoing, frame)
                continue
            dport, body = d
            magic, stream, seq = struct.unpack_from("<IIQ", body)
            if magic != MAGIC or seq >= MAX_SEQ:
                sn.note_other(now, outgoing, frame)
                continue
            if outgoing and stream == STREAM_H2G and dport == sn.h2g_port:
                sn.h2g += 1
                if sn.h2g_first is None:
                    sn.h2g_first = (seq, now)
                sn.h2g_last = (seq, now)
                grow(h2g_port, seq + 1, 0)
                if h2g_port[seq] == 0:
                    h2g_port[seq] = sn.index
            elif not outgoing and stream == STREAM_G2H and dport == sn.g2h_port:
                sn.g2h += 1
                if sn.g2h_first is None:
                    sn.g2h_first = (seq, now)
                sn.g2h_last = (seq, now)
                grow(g2h_port, seq + 1, 0)
                if g2h_port[seq] == 0:
                    g2h_port[seq] = sn.index

    def write_status():
        st = {"t": time.time(), "host_sent": len(sent_at),
              "host_rx": g2h["unique"], "host_rx_last_t": g2h["last_t"],
              "guest": guest_status, "guest_t": guest_status_t,
              "started": started, "done": done_line is not None}
        tmp = args.status + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f)
        os.rename(tmp, args.status)

    read_fds = [rx, ctl] + [s.sock for s in sniffers]
    by_fd = {s.sock: s for s in sniffers}

    def pump(timeout):
        try:
            r, _, _ = select.select(read_fds, [], [], max(0.0, timeout))
        except InterruptedError:
            return
        for f in r:
            if f is rx:
                on_rx()
            elif f is ctl:
                on_ctl()
            else:
                on_sniff(by_fd[f])

    # 1. START until the guest says it started
    deadline = time.monotonic() + args.start_timeout
    next_start = 0.0
    while not started:
        now = time.monotonic()
        if now > deadline:
            print("mig_traffic: the guest never answered START",
                  file=sys.stderr)
            write_status()
            return 1
        if now >= next_start:
            ctl_send("START")
            next_start = now + 0.5
        pump(0.1)

    # 2. stream until SIGUSR1 (or the overall timeout)
    period = 1.0 / args.rate
    next_tx = time.monotonic()
    next_status = 0.0
    end_by = time.monotonic() + args.timeout
    while not stop_req[0] and time.monotonic() < end_by:
        now = time.monotonic()
        if now - next_tx > CATCHUP_S:
            next_tx = now   # we were descheduled: keep the rate, no burst
        burst = 0
        while next_tx <= now and burst < 64:
            seq = len(sent_at)
            try:
                tx.sendto(build(STREAM_H2G, seq, size), guest)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                # ENOBUFS or an ICMP error from an earlier datagram: this
                # one was not sent, send the same seq again later
                h2g_errors += 1
                if e.errno not in (errno.ENOBUFS, errno.ECONNREFUSED,
                                   errno.EHOSTUNREACH, errno.ENETUNREACH):
                    raise
                break
            sent_at.append(time.time())
            next_tx += period
            burst += 1
        if now >= next_status:
            ctl_send("STATUS")
            write_status()
            next_status = now + 1.0
        pump(min(next_tx, next_status) - time.monotonic())

    # 3. STOP until DONE
    host_sent = len(sent_at)
    t_stop = time.time()
    drain_until = time.monotonic() + 0.5
    while time.monotonic() < drain_until:
        pump(drain_until - time.monotonic())
    deadline = time.monotonic() + args.done_timeout
    next_stop = 0.0
    while done_line is None:
        now = time.monotonic()
        if now > deadline:
            break
        if now >= next_stop:
            ctl_send("STOP sent=%d" % host_sent)
            next_stop = now + 0.5
        pump(0.1)
    # the guest stopped sending before it answered; let the last arrive
    drain_until = time.monotonic() + 1.0
    while time.monotonic() < drain_until:
        pump(drain_until - time.monotonic())
    snmp1 = udp_snmp()

    # ---- results ----
    guest_done = parse_kv(done_line) if done_line else {}
    lost_ranges = parse_ranges(
        done_line.split("lost_ranges=", 1)[1].split()[0]
        if done_line and "lost_ranges=" in done_line else "")
    labels = {0: "none"}
    labels.update({s.index: s.label for s in sniffers})

    def h2g_detail(seq):
        return [seq, sent_at[seq] if seq < len(sent_at) else None,
                labels.get(h2g_port[seq] if seq < len(h2g_port) else 0)]

    h2g_lost = []
    for a, b in lost_ranges:
        for seq in range(a, min(b, host_sent - 1) + 1):
            if len(h2g_lost) >= MAX_LOST_LISTED:
                break
            h2g_lost.append(h2g_detail(seq))

    g2h_sent = guest_done.get("tx_sent")
    g2h_missing = []
    if isinstance(g2h_sent, int) and 0 <= g2h_sent <= MAX_SEQ:
        for seq in range(g2h_sent):
            if not seen[seq >> 3] & (1 << (seq & 7)):
                g2h_missing.append(seq)
    g2h_lost = []
    for seq in g2h_missing[:MAX_LOST_LISTED]:
        before = arrived[seq - 1] if 0 < seq <= len(arrived) else None
        after = arrived[seq + 1] if seq + 1 < len(arrived) else None
        g2h_lost.append([seq, before, after])

    # the longest silences of the guest's stream, in sequence order
    gaps = []
    prev = None
    for seq in range(len(arrived)):
        t = arrived[seq]
        if t == 0.0:
            continue
        if prev is not None:
            gaps.append((t - prev[1], prev[0], seq, prev[1], t))
        prev = (seq, t)
    gaps.sort(reverse=True)
    top_gaps = [{"gap_ms": round(g[0] * 1000, 2), "after_seq": g[1],
                 "seq": g[2], "t_from": g[3], "t_to": g[4]}
                for g in gaps[:5]]

    sniff = {}
    for s in sniffers:
        end = iface_stats(s.iface)
        # The TAP counts a frame as transmitted when its reader (the
        # backend) takes it; what the bridge sent it and the backend never
        # took stayed queued in the TAP or was dropped there.
        taken = end.get("tx_packets", 0) - s.base.get("tx_packets", 0)
        lost_here = sorted(l[0] for l in h2g_lost if l[2] == s.label)
        tail = 0
        if lost_here:
            first = lost_here[0]
            tail = sum(1 for q in range(first, len(h2g_port))
                       if h2g_port[q] == s.index)
        sniff[s.label] = {
            "iface": s.iface, "out_frames": s.out_frames,
            "in_frames": s.in_frames, "h2g": s.h2g, "g2h": s.g2h,
            "h2g_first": s.h2g_first, "h2g_last": s.h2g_last,
            "g2h_first": s.g2h_first, "g2h_last": s.g2h_last,
            "taken": taken, "not_taken": s.out_frames - taken,
            "tap_dropped": end.get("tx_dropped", 0) -
            s.base.get("tx_dropped", 0),
            "h2g_lost": len(lost_here),
            "h2g_from_first_lost": tail,
            "sniffer_drops": s.socket_drops(),
            "others": s.others, "stats": end, "base": s.base}

    result = {
        "t_start": t0, "t_stop": t_stop, "rate": args.rate, "size": size,
        "h2g": {"sent": host_sent, "send_errors": h2g_errors,
                "first_t": sent_at[0] if sent_at else None,
                "last_t": sent_at[-1] if sent_at else None,
                "lost": h2g_lost},
        "g2h": {"guest_sent": g2h_sent, "unique": g2h["unique"],
                "dup": g2h["dup"], "corrupt": g2h["corrupt"],
                "ooo": g2h["ooo"], "lost": len(g2h_missing),
                "lost_detail": g2h_lost, "first_t": g2h["first_t"],
                "last_t": g2h["last_t"], "top_gaps": top_gaps},
        "guest_done": guest_done, "guest_done_line": done_line,
        "guest_lost_ranges": lost_ranges,
        "host_udp": {k: snmp1.get(k, 0) - snmp0.get(k, 0)
                     for k in ("InDatagrams", "InErrors", "RcvbufErrors",
                               "InCsumErrors", "SndbufErrors")},
        "sniff": sniff,
    }
    tmp = args.result + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.rename(tmp, args.result)
    write_status()
    if done_line is None:
        print("mig_traffic: no DONE from the guest", file=sys.stderr)
        return 1
    print("mig_traffic: h2g sent %d, g2h received %d" %
          (host_sent, g2h["unique"]), file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------
# analyze

def analyze(args):
    with open(args.traffic) as f:
        tr = json.load(f)
    mig = {}
    if args.migration and os.path.exists(args.migration):
        with open(args.migration) as f:
            mig = json.load(f)
    fails, notes = [], []
    gd = tr.get("guest_done") or {}
    h2g, g2h = tr["h2g"], tr["g2h"]

    def num(d, k):
        v = d.get(k)
        return v if isinstance(v, int) else None

    # ---- the blackout, from QMP event timestamps ----
    ev = mig.get("events", {})
    t_stop = ev.get("src_stop")
    t_resume = ev.get("dst_resume")
    # the bridge forwards to the old port until the guest's first frame
    # from the destination teaches it the new one
    t_learn = None
    dst_label = args.dst_label
    sn_dst = tr.get("sniff", {}).get(dst_label) if dst_label else None
    if sn_dst:
        cands = [o[0] for o in sn_dst.get("others", [])
                 if o[1] == "in" and t_stop and o[0] > t_stop]
        if sn_dst.get("g2h_first"):
            cands.append(sn_dst["g2h_first"][1])
        t_learn = min(cands) if cands else None

    print("traffic:  rate %d/s each way, %d-byte datagrams, %.0f s" %
          (tr["rate"], tr["size"], tr["t_stop"] - tr["t_start"]))
    if t_stop and t_resume:
        first_g2h = (sn_dst or {}).get("g2h_first")
        print("blackout: source STOP -> destination RESUME %.1f ms; the"
              " guest's first frame out of the destination %s, its first"
              " datagram %s" % (
                  (t_resume - t_stop) * 1000,
                  "%+.1f ms" % ((t_learn - t_resume) * 1000) if t_learn
                  else "not seen",
                  "%+.1f ms of RESUME" % ((first_g2h[1] - t_resume) * 1000)
                  if first_g2h else "not seen"))

    # ---- host -> guest ----
    sent = h2g["sent"]
    uniq, dup, corrupt = (num(gd, "rx_unique"), num(gd, "rx_dup"),
                          num(gd, "rx_corrupt"))
    lost = num(gd, "rx_lost")
    print("h2g:      host sent %d; guest received %s unique, %s duplicated,"
          " %s corrupt, %s lost, %s out of order; guest UDP errors %s/%s/%s"
          " (InErrors/RcvbufErrors/InCsumErrors)" %
          (sent, uniq, dup, corrupt, lost, gd.get("rx_ooo"),
           gd.get("udp_InErrors"), gd.get("udp_RcvbufErrors"),
           gd.get("udp_InCsumErrors")))
    if not gd:
        fails.append("no DONE report from the guest")
    else:
        if dup:
            fails.append("h2g: %d duplicated datagrams" % dup)
        if corrupt:
            fails.append("h2g: %d corrupt datagrams" % corrupt)
        if gd.get("udp_InCsumErrors"):
            fails.append("h2g: the guest's kernel saw %s UDP checksum errors"
                         % gd.get("udp_InCsumErrors"))
    # A lost datagram is the host's (the topology's) doing, not the
    # backends', when all of these hold:
    #  - the bridge sent it to the source's port (a stopped NIC's port:
    #    without an announce the bridge learns the guest's new port only
    #    from its first frame out of the destination);
    #  - it is in the tail of what the source's port got: every datagram
    #    sent there from the first lost one on is lost too;
    #  - the source's backend never took it from its TAP: the port's
    #    frames not taken (bridge->TAP minus what the backend read) are at
    #    least as many as the datagrams lost there;
    #  - it was sent no earlier than --pre-slack before the source's
    #    vrings began to stop (the first GET_VRING_BASE; frames sent just
    #    before it may still sit in the TAP when the vring stops).
    # Anything else lost fails: a datagram the destination's port got, one
    # the source's backend took (it wrote guest memory: its loss would be
    # a dirty page not logged or a used entry not carried over), or one
    # lost while the source was running.
    src_label = args.src_label
    t_vring_stop = args.src_vring_stop or t_stop
    lost_list = h2g["lost"]
    ports = {}
    for _, _, port in lost_list:
        ports[port] = ports.get(port, 0) + 1
    sn_src = tr.get("sniff", {}).get(src_label, {}) if src_label else {}
    why_not = []
    if lost:
        rng = ranges_of([l[0] for l in lost_list])
        desc = ", ".join("%d-%d" % (a, b) for a, b in rng[:8])
        ts = [l[1] for l in lost_list if l[1]]
        if t_stop and ts:
            desc += " (sent %+.1f..%+.1f ms from the source's STOP event)" % (
                (min(ts) - t_stop) * 1000, (max(ts) - t_stop) * 1000)
        print("h2g lost: %s; bridge port: %s" % (
            desc, ", ".join("%s %d" % kv for kv in sorted(ports.items()))))
        if len(lost_list) != lost:
            why_not.append("%d lost but only %d listed" % (lost, len(lost_list)))
        others = {p: n for p, n in ports.items() if p != src_label}
        if others:
            why_not.append("lost on other ports: %s" % ", ".join(
                "%s %d" % kv for kv in sorted(others.items())))
        n_src = ports.get(src_label, 0)
        if n_src:
            if sn_src.get("h2g_from_first_lost") != n_src:
                why_not.append(
                    "not the tail of the source port's stream (%s sent there"
                    " from the first lost one, %d lost)" %
                    (sn_src.get("h2g_from_first_lost"), n_src))
            if sn_src.get("not_taken", 0) < n_src:
                why_not.append(
                    "the source's backend took %d of them from its TAP"
                    " (%d frames not taken there)" %
                    (n_src - sn_src.get("not_taken", 0),
                     sn_src.get("not_taken", 0)))
            if t_vring_stop is None:
                why_not.append("no migration stop time to compare with")
            elif ts and min(ts) < t_vring_stop - args.pre_slack:
                why_not.append(
                    "sent %.1f ms before the source's vrings stopped"
                    " (allowed %.0f ms)" % ((t_vring_stop - min(ts)) * 1000,
                                            args.pre_slack * 1000))
        for label, sn in sorted(tr.get("sniff", {}).items()):
            if label != src_label and sn.get("tap_dropped"):
                why_not.append(
                    "port %s's TAP dropped %d frames its backend did not read"
                    " in time (a stall of that backend, or of the guest's"
                    " RX: see the backend's per-second statistics and the"
                    " guest's progress lines; guest TX retries %s)" % (
                        label, sn["tap_dropped"], gd.get("tx_retry")))
        if why_not:
            fails.append("h2g: %d datagrams lost, not explained by the"
                         " switchover: %s" % (lost, "; ".join(why_not)))
        else:
            first = (min(ts) - t_vring_stop) * 1000 if ts and t_vring_stop \
                else float("nan")
            notes.append(
                "h2g: the %d lost datagrams are the last the bridge sent to"
                " the source's port (%d frames there were never taken by the"
                " stopped source backend), the first sent %.1f ms %s its"
                " vrings began to stop, the last before the bridge learned"
                " the guest's new port (no announce with guest_announce=off)"
                % (lost, sn_src.get("not_taken", 0), abs(first),
                   "after" if first >= 0 else "before"))
    for label, sn in sorted(tr.get("sniff", {}).items()):
        if sn.get("sniffer_drops"):
            notes.append("sniffer %s dropped %d frames: port attribution may"
                         " be incomplete" % (label, sn["sniffer_drops"]))
    if args.h2g_max_lost is not None and lost and lost > args.h2g_max_lost:
        fails.append("h2g: %d lost, more than the %d allowed" %
                     (lost, args.h2g_max_lost))

    # ---- guest -> host ----
    gsent = g2h.get("guest_sent")
    print("g2h:      guest sent %s; host received %d unique, %d duplicated,"
          " %d corrupt, %d lost, %d out of order; host UDP errors %s/%s/%s" %
          (gsent, g2h["unique"], g2h["dup"], g2h["corrupt"], g2h["lost"],
           g2h["ooo"], tr["host_udp"].get("InErrors"),
           tr["host_udp"].get("RcvbufErrors"),
           tr["host_udp"].get("InCsumErrors")))
    if g2h["top_gaps"]:
        gp = g2h["top_gaps"][0]
        where = ""
        if t_stop:
            where = " (from %+.1f ms to %+.1f ms of the source stop)" % (
                (gp["t_from"] - t_stop) * 1000, (gp["t_to"] - t_stop) * 1000)
        print("g2h gap:  longest silence %.1f ms after seq %d%s" %
              (gp["gap_ms"], gp["after_seq"], where))
    if g2h["dup"]:
        fails.append("g2h: %d duplicated datagrams" % g2h["dup"])
    if g2h["corrupt"]:
        fails.append("g2h: %d corrupt datagrams" % g2h["corrupt"])
    if g2h["lost"]:
        host_rcvbuf = tr["host_udp"].get("RcvbufErrors", 0)
        if host_rcvbuf and host_rcvbuf >= g2h["lost"]:
            notes.append("g2h: %d lost, and the host's receive buffer"
                         " overflowed %d times (host side)" %
                         (g2h["lost"], host_rcvbuf))
        else:
            fails.append("g2h: %d datagrams lost (seqs %s)" % (
                g2h["lost"], ", ".join(str(l[0]) for l in
                                       g2h["lost_detail"][:10])))
    if gsent is None:
        fails.append("g2h: the guest did not say how many it sent")

    # ---- memory ----
    print("memory:   block %s pages, %s rewrites, %s bad, generation sum %s;"
          " hot pages %s (rounds %s apart%s)" % (
              gd.get("mem_pages"), gd.get("mem_writes"), gd.get("mem_bad"),
              "ok" if gd.get("mem_gen_ok") == 1 else "WRONG",
              "ok" if gd.get("hot_ok") == 1 else "OUT OF STEP",
              gd.get("hot_spread"),
              "" if gd.get("hot_bad_page", -1) == -1 else
              ", first bad page %s" % gd.get("hot_bad_page")))
    if gd and gd.get("mem_ok") != 1:
        fails.append("memory check: %s bad pages in the block, generation sum"
                     " %s, hot pages %s: a page written before the switchover"
                     " did not reach the destination" % (
                         gd.get("mem_bad"),
                         "ok" if gd.get("mem_gen_ok") == 1 else "wrong",
                         "ok" if gd.get("hot_ok") == 1 else "out of step"))

    # ---- per port ----
    for label, sn in sorted(tr.get("sniff", {}).items()):
        print("port %s (%s): bridge->backend %d frames (%d h2g), %s taken by"
              " the backend, %s not (%s dropped by the TAP);"
              " backend->bridge %d (%d g2h)" % (
                  label, sn["iface"], sn["out_frames"], sn["h2g"],
                  sn.get("taken"), sn.get("not_taken"), sn.get("tap_dropped"),
                  sn["in_frames"], sn["g2h"]))

    for n in notes:
        print("note:     " + n)
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--guest", required=True)
    r.add_argument("--bind", required=True)
    r.add_argument("--to-guest-port", type=int, required=True)
    r.add_argument("--from-guest-port", type=int, required=True)
    r.add_argument("--ctl-port", type=int, required=True)
    r.add_argument("--rate", type=float, default=1000)
    r.add_argument("--size", type=int, default=512)
    r.add_argument("--sniff", action="append", default=[],
                   metavar="LABEL=IFACE")
    r.add_argument("--status", required=True)
    r.add_argument("--result", required=True)
    r.add_argument("--ready", required=True)
    r.add_argument("--start-timeout", type=float, default=60)
    r.add_argument("--done-timeout", type=float, default=60)
    r.add_argument("--timeout", type=float, default=1200,
                   help="stop streaming after this long anyway")
    a = sub.add_parser("analyze")
    a.add_argument("--traffic", required=True)
    a.add_argument("--migration")
    a.add_argument("--src-label", help="sniffer label of the source's port")
    a.add_argument("--dst-label", help="sniffer label of the destination's port")
    a.add_argument("--src-vring-stop", type=float,
                   help="wall-clock time the source's backend got its first"
                   " GET_VRING_BASE (default: the STOP event)")
    a.add_argument("--pre-slack", type=float, default=0.05,
                   help="seconds before the source's vrings stopped a lost"
                   " datagram may have been sent (default 0.05)")
    a.add_argument("--h2g-max-lost", type=int)
    args = ap.parse_args()
    return run(args) if args.cmd == "run" else analyze(args)


if __name__ == "__main__":
    sys.exit(main())
