#!/usr/bin/env python3
"""Reachability probes for live tests and the self-check: ping, tcp, http (one JSON line each).

Exit 0 when the expectation holds, 1 when it does not, 2 on usage errors. --expect-fail inverts the
expectation, which is how fail-closed checks read: "this must NOT get through".
  probe.py ping 192.0.2.100 --count 3
  probe.py tcp 192.0.2.100 7 --send hello          (expects the echo back)
  probe.py http http://192.0.2.10/api/x/lights --expect-status 200
"""
from __future__ import annotations

import argparse
import os
import socket
import struct
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402


def ping(args) -> dict:
    ident = os.getpid() & 0xFFFF
    replies, rtts = 0, []
    deadline = bounds.Deadline(args.duration)
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        for seq in range(1, args.count + 1):
            if deadline.expired():
                break
            rtt = _echo_once(s, args.target, ident, seq, min(args.timeout, deadline.remaining()))
            if rtt is not None:
                replies += 1
                rtts.append(round(rtt * 1e6))
    return {"ok": replies > 0, "sent": seq, "replies": replies, "rttMicros": rtts}


def _echo_once(s: socket.socket, target: str, ident: int, seq: int, timeout: float) -> float | None:
    header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    payload = b"kalki-testbed-ping"
    message = header[:2] + struct.pack("!H", packets.checksum(header + payload)) + header[4:] + payload
    start = time.perf_counter()
    s.sendto(message, (target, 0))
    end = start + timeout
    while (left := end - time.perf_counter()) > 0:
        s.settimeout(left)
        try:
            data, (src, _) = s.recvfrom(2048)
        except TimeoutError:
            break
        ihl = (data[0] & 0x0F) * 4
        kind, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if src == target and kind == 0 and rid == ident and rseq == seq:
            return time.perf_counter() - start
    return None


def tcp(args) -> dict:
    start = time.perf_counter()
    try:
        with socket.create_connection((args.target, args.port), timeout=args.timeout) as s:
            connect_us = round((time.perf_counter() - start) * 1e6)
            result = {"ok": True, "connectMicros": connect_us}
            if args.send is not None:
                s.sendall(args.send.encode())
                received = _recv_exactly(s, len(args.send.encode()))
                result.update(ok=received == args.send.encode(), echoed=received.decode("latin-1"))
            elif args.read_banner:
                result["banner"] = s.recv(256).decode("latin-1").strip()
            return result
    except OSError as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


def _recv_exactly(s: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = s.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def http(args) -> dict:
    data = args.data.encode() if args.data is not None else None
    request = urllib.request.Request(args.url, data=data, method=args.method)
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as response:
            status, body = response.status, response.read(4096)
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read(4096)
    except (OSError, urllib.error.URLError) as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}
    ok = status == args.expect_status if args.expect_status else True
    return {"ok": ok, "status": status, "body": body.decode("utf-8", "replace")[:512]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="probe", required=True)
    q = _probe_parser(sub, "ping", count=3)
    q.add_argument("target")
    q = _probe_parser(sub, "tcp")
    q.add_argument("target")
    q.add_argument("port", type=int)
    q.add_argument("--send", help="send this text and require it echoed back")
    q.add_argument("--read-banner", action="store_true", help="report the first line the server sends")
    q = _probe_parser(sub, "http")
    q.add_argument("url")
    q.add_argument("--method", default="GET")
    q.add_argument("--data")
    q.add_argument("--expect-status", type=int)
    args = p.parse_args()
    result = {"ping": ping, "tcp": tcp, "http": http}[args.probe](args)
    result.update(probe=args.probe, expectFail=args.expect_fail)
    bounds.emit(result)
    sys.exit(0 if result["ok"] != args.expect_fail else 1)


def _probe_parser(sub, name: str, count: int | None = None):
    q = sub.add_parser(name)
    bounds.add_bounds(q, count=count, duration=10.0)
    q.add_argument("--timeout", type=bounds.positive_float, default=2.0, help="per-attempt timeout (s)")
    q.add_argument("--expect-fail", action="store_true", help="succeed only if the probe does NOT get through")
    return q


if __name__ == "__main__":
    main()
