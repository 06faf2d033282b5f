#!/usr/bin/env python3
"""TCP connect() port scan: open (connected), closed (refused/RST), filtered (no answer in --timeout).

Bounded by the port list (at most 65535 ports), --count (ports actually tried) and --duration; a few
worker threads (--parallel) keep filtered ports (silently dropped by the appliance) from serialising
the whole scan on timeouts.
"""
from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds  # noqa: E402


def parse_ports(spec: str) -> list[int]:
    ports: list[int] = []
    for part in spec.split(","):
        low, _, high = part.partition("-")
        try:
            a, b = int(low), int(high or low)
        except ValueError:
            bounds.fail("--ports", f"{part!r} is not N or N-M")
        if not 1 <= a <= b <= 65535:
            bounds.fail("--ports", f"{part!r} is outside 1-65535")
        ports.extend(range(a, b + 1))
    return ports


def probe(target: str, port: int, timeout: float) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        # RST on close (linger 0), like scanners do, so no TIME_WAIT or FIN exchange pollutes the capture.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        try:
            s.connect((target, port))
            return "open"
        except ConnectionRefusedError:
            return "closed"
        except (TimeoutError, OSError):
            return "filtered"


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=65535, duration=30.0)
    p.add_argument("--target", required=True)
    p.add_argument("--ports", default="1-1024", help="e.g. 1-1024,8080,49153 (default 1-1024)")
    p.add_argument("--timeout", type=bounds.positive_float, default=0.3)
    p.add_argument("--parallel", type=int, default=8, choices=range(1, 65), metavar="1..64")
    args = p.parse_args()
    todo = parse_ports(args.ports)[: args.count]

    deadline = bounds.Deadline(args.duration)
    results: dict[int, str] = {}
    lock = threading.Lock()

    def worker() -> None:
        while not deadline.expired():
            with lock:
                if not todo:
                    return
                port = todo.pop(0)
            state = probe(args.target, port, min(args.timeout, max(0.01, deadline.remaining())))
            with lock:
                results[port] = state

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=deadline.remaining() + args.timeout + 1)
    counts = {s: sum(1 for v in results.values() if v == s) for s in ("open", "closed", "filtered")}
    bounds.emit({"tool": "tcp_connect_scan", "target": args.target, "scanned": len(results),
                 "open": sorted(p for p, v in results.items() if v == "open"), "counts": counts,
                 "seconds": round(deadline.elapsed(), 3)})


if __name__ == "__main__":
    main()
