#!/usr/bin/env python3
"""Minimal user-space L2 relay between two ports (AF_PACKET), for the testbed's own self-check.

Not a product component: it proves the testbed carries frames that a *user-space* bridge copied and
re-injected (as KalkiEdge's SharpPcap bridge does) — in particular that TCP/UDP checksums survive,
which fails on veth unless the hosts' TX checksum offload is off (see tools/offload.py). It runs
inside <prefix>-app between dev0 and up0, bounded by --duration.
"""
from __future__ import annotations

import selectors
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402

SOL_PACKET = 263  # not exported by the socket module
PACKET_IGNORE_OUTGOING = 23  # like pcap_setdirection(PCAP_D_IN): never re-read what we injected


def open_port(iface: str) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(packets.ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    s.bind((iface, 0))
    s.setblocking(False)
    return s


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], duration=30.0)
    p.add_argument("--a", default="dev0")
    p.add_argument("--b", default="up0")
    args = p.parse_args()
    a, b = open_port(args.a), open_port(args.b)
    peer = {a: b, b: a}
    counts = {args.a: 0, args.b: 0}
    names = {a: args.a, b: args.b}
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ)
    sel.register(b, selectors.EVENT_READ)
    deadline = bounds.Deadline(args.duration)
    while not deadline.expired():
        for key, _ in sel.select(timeout=min(0.2, deadline.remaining())):
            src = key.fileobj
            while True:
                try:
                    frame = src.recv(65535)
                except BlockingIOError:
                    break
                packets.send_frame(peer[src], frame)
                counts[names[src]] += 1
    bounds.emit({"relay": f"{args.a}<->{args.b}", "framesFrom": counts, "seconds": round(deadline.elapsed(), 3)})


if __name__ == "__main__":
    main()
