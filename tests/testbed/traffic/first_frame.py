#!/usr/bin/env python3
"""When the first frame crosses: a steady trickle of numbered UDP frames, and the wall-clock time the first one arrives.

send (device side): raw UDP frames to --target (its MAC given: no ARP, which would wait a second between tries
while nothing forwards) every --interval-ms until --duration ends (or SIGTERM); "sending" on stderr once the first
frame left; result: {"sent": N}.
recv (far side): a UDP socket on --port; returns at the first datagram that carries MAGIC, with the wall clock
(CLOCK_REALTIME, ns since the epoch) it was read at; {"firstNs": null} when none came within --duration.

Used for "process start -> first frame forwarded": the caller notes the wall clock just before it starts the
bridge, starts both ends while the bridge is down, and subtracts. Resolution: one --interval-ms.
"""
from __future__ import annotations

import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402

MAGIC = b"KFIRST"


def send(args) -> None:
    deadline = bounds.Deadline(args.duration)
    iface = args.iface or packets.default_iface()
    sock = packets.raw_sender(iface)
    my_mac, my_ip = packets.iface_mac(iface), packets.ip_bytes(packets.iface_ipv4(iface))
    dst_mac, dst_ip = packets.mac_bytes(args.dst_mac), packets.ip_bytes(args.target)
    interval = args.interval_ms / 1000.0
    sent = 0
    while not deadline.expired() and sent < args.count:
        frame = packets.udp_frame(my_mac, dst_mac, my_ip, dst_ip, 43000, args.port, MAGIC + struct.pack("!I", sent) + b"\0" * 16)
        if packets.send_frame(sock, frame):
            sent += 1
            if sent == 1:
                print("sending", file=sys.stderr, flush=True)
        time.sleep(interval)
    bounds.emit({"tool": "first_frame", "mode": "send", "sent": sent})


def recv(args) -> None:
    deadline = bounds.Deadline(args.duration)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", args.port))
    print("ready", file=sys.stderr, flush=True)
    while not deadline.expired():
        s.settimeout(max(0.01, min(0.2, deadline.remaining())))
        try:
            data = s.recv(2048)
        except (TimeoutError, socket.timeout):
            continue
        now = time.time_ns()
        if data.startswith(MAGIC) and len(data) >= len(MAGIC) + 4:
            (seq,) = struct.unpack_from("!I", data, len(MAGIC))
            bounds.emit({"tool": "first_frame", "mode": "recv", "firstNs": now, "seq": seq})
            return
    bounds.emit({"tool": "first_frame", "mode": "recv", "firstNs": None, "seq": None})


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=1_000_000, duration=60.0)
    p.add_argument("mode", choices=["send", "recv"])
    p.add_argument("--target", help="send: destination IPv4 address")
    p.add_argument("--dst-mac", help="send: destination MAC")
    p.add_argument("--port", type=int, default=9998, help="UDP port of the frames")
    p.add_argument("--interval-ms", type=bounds.positive_float, default=1.0, help="send: milliseconds between frames")
    p.add_argument("--iface", help="send: interface (default eth0)")
    args = p.parse_args()
    if args.mode == "send" and not (args.target and args.dst_mac):
        bounds.fail("send", "needs --target and --dst-mac")
    send(args) if args.mode == "send" else recv(args)


if __name__ == "__main__":
    main()
