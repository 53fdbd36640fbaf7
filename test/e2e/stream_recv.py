#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Host-side receiver for the e2e byte stream (standard library only).

Runs inside the test's network namespace. Accepts one TCP connection, reads
until the sender half-closes, hashes what arrived, answers the sender with
one line "bytes=N sha256=HEX" and writes the same line (plus timing) to
--result. The bytes come from the guest, so nothing in them is trusted: we
only count and hash them.
"""

import argparse
import hashlib
import os
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--result", required=True)
    ap.add_argument("--ready", required=True,
                    help="file created once the socket is listening")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds to wait for the connection and per read")
    args = ap.parse_args()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.bind, args.port))
    srv.listen(1)
    srv.settimeout(args.timeout)
    # the harness starts the guest only after this file exists
    open(args.ready, "w").close()

    conn, peer = srv.accept()
    conn.settimeout(args.timeout)
    digest = hashlib.sha256()
    count = 0
    t0 = time.monotonic()
    while True:
        chunk = conn.recv(1 << 16)
        if not chunk:
            break
        digest.update(chunk)
        count += len(chunk)
    secs = time.monotonic() - t0
    line = "bytes=%d sha256=%s" % (count, digest.hexdigest())
    try:
        conn.sendall((line + "\n").encode())
        conn.shutdown(socket.SHUT_WR)
    except OSError as e:
        print("stream_recv: ack not sent: %s" % e, file=sys.stderr)
    conn.close()
    srv.close()

    # write then rename so the harness never reads a half-written line
    tmp = args.result + ".tmp"
    with open(tmp, "w") as f:
        f.write("%s secs=%.2f peer=%s\n" % (line, secs, peer[0]))
    os.rename(tmp, args.result)
    print("stream_recv: " + line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
