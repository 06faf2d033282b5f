#!/usr/bin/env python3
"""MAC flood: --count frames, each from a different random (locally administered) source MAC.

Stresses per-MAC state (FDB, device attribution tables) the way a CAM-overflow attack does; the
appliance must stay bounded in memory and keep known devices' traffic flowing. Frames are small UDP
datagrams to --target (ARP-resolved) or broadcast if no target is given. --seed makes runs repeatable.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402


def frames(dst_mac: bytes, src_ip: bytes, dst_ip: bytes, rng: random.Random):
    while True:
        yield packets.udp_frame(packets.random_mac(rng), dst_mac, src_ip, dst_ip, 40001, 9, b"kalki-testbed mac-flood")


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=100_000, duration=60.0)
    p.add_argument("--target", help="destination IP (default: broadcast frames to 192.0.2.255)")
    p.add_argument("--seed", type=int, default=1)
    packets.add_raw_args(p)
    args = p.parse_args()
    iface, sock, dst_mac = packets.raw_setup(args, args.target)
    dst_ip = packets.ip_bytes(args.target or "192.0.2.255")
    src_ip = packets.ip_bytes(packets.iface_ipv4(iface))
    result = packets.blast(sock, frames(dst_mac, src_ip, dst_ip, random.Random(args.seed)), args.count,
                           bounds.Deadline(args.duration), args.rate)
    bounds.emit({"tool": "mac_flood", "target": args.target or "broadcast", "seed": args.seed, **result})


if __name__ == "__main__":
    main()
