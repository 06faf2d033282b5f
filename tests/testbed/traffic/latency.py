#!/usr/bin/env python3
"""UDP ping-pong latency probe: round-trip times in microseconds, p50/p90/p99, as one JSON line.

  latency.py probe --target 192.0.2.100 --count 2000        (against the cloud's UDP echo on port 7)
  latency.py serve --port 7007 --duration 60                  (a reflector anywhere else)

One probe in flight at a time, spaced by --interval, so the figure is the path's latency and not
queueing behind our own traffic. Python adds a constant ~tens of µs at each end, identical for the
kernel-bridge baseline and the appliance, so compare *differences* between runs, not absolutes.
"""
from __future__ import annotations

import argparse
import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds  # noqa: E402

HEADER = struct.Struct("!IQ")  # sequence, send timestamp (ns): a reply is matched to its probe exactly


def percentile(sorted_values: list[int], q: float) -> int | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))]


def probe(args: argparse.Namespace) -> dict:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((args.target, args.port))
    padding = b"\0" * max(0, args.size - HEADER.size)
    deadline = bounds.Deadline(args.duration)
    rtts: list[int] = []
    sent = 0
    _warm_up(sock, padding, args.timeout)
    while sent < args.count and not deadline.expired():
        sent += 1
        start = time.perf_counter_ns()
        sock.send(HEADER.pack(sent, start) + padding)
        rtt = _await_reply(sock, sent, start, args.timeout)
        if rtt is not None:
            rtts.append(rtt // 1000)
        time.sleep(args.interval)
    rtts.sort()
    return {"mode": "probe", "target": f"{args.target}:{args.port}", "sent": sent, "received": len(rtts),
            "lost": sent - len(rtts), "p50Micros": percentile(rtts, 0.50), "p90Micros": percentile(rtts, 0.90),
            "p99Micros": percentile(rtts, 0.99), "minMicros": rtts[0] if rtts else None,
            "maxMicros": rtts[-1] if rtts else None,
            "meanMicros": round(sum(rtts) / len(rtts), 1) if rtts else None}


def _warm_up(sock: socket.socket, padding: bytes, timeout: float) -> None:
    # The first exchange pays for ARP resolution (and, through a learning bridge, FDB learning):
    # real but not latency of the steady path, so it is excluded from the statistics.
    sock.send(HEADER.pack(0, 0) + padding)
    _await_reply(sock, 0, time.perf_counter_ns(), timeout)


def _await_reply(sock: socket.socket, seq: int, start: int, timeout: float) -> int | None:
    end = start + int(timeout * 1e9)
    while (left := end - time.perf_counter_ns()) > 0:
        sock.settimeout(left / 1e9)
        try:
            data = sock.recv(2048)
        except (TimeoutError, ConnectionRefusedError):
            return None
        now = time.perf_counter_ns()
        if len(data) >= HEADER.size and HEADER.unpack_from(data)[0] == seq:
            return now - start
    return None


def serve(args: argparse.Namespace) -> dict:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", args.port))
    deadline = bounds.Deadline(args.duration)
    echoed = 0
    while echoed < args.count and not deadline.expired():
        sock.settimeout(max(0.01, min(0.5, deadline.remaining())))
        try:
            data, peer = sock.recvfrom(2048)
        except TimeoutError:
            continue
        sock.sendto(data, peer)
        echoed += 1
    return {"mode": "serve", "port": args.port, "echoed": echoed}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    q = sub.add_parser("probe")
    bounds.add_bounds(q, count=1000, duration=30.0)
    q.add_argument("--target", required=True)
    q.add_argument("--port", type=int, default=7, help="UDP echo port (default 7: the cloud server's)")
    q.add_argument("--size", type=int, default=64, help="UDP payload bytes (default 64)")
    q.add_argument("--interval", type=float, default=0.001, help="pause between probes in s (default 0.001)")
    q.add_argument("--timeout", type=bounds.positive_float, default=0.5, help="reply timeout (s)")
    s = sub.add_parser("serve")
    bounds.add_bounds(s, count=bounds.MAX_COUNT, duration=60.0)
    s.add_argument("--port", type=int, default=7007)
    args = p.parse_args()
    bounds.emit({"tool": "latency", **(probe(args) if args.mode == "probe" else serve(args))})


if __name__ == "__main__":
    main()
