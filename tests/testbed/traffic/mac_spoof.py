#!/usr/bin/env python3
"""MAC spoofing: send UDP frames whose Ethernet source is another host's MAC (e.g. a device's).

The IP source defaults to our own address, so the frame carries a known device's MAC with the wrong
IP binding — the mismatch the appliance's attribution must flag. --src-ip sets both to the device's
values for a full impersonation.
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=5, duration=10.0)
    p.add_argument("--spoof-mac", required=True, help="source MAC to impersonate, e.g. 02:4b:45:01:00:10")
    p.add_argument("--target", required=True, help="destination IP")
    p.add_argument("--src-ip", help="source IP (default: our own)")
    p.add_argument("--dport", type=int, default=9, help="UDP destination port (default 9, discard)")
    packets.add_raw_args(p, rate=10.0)
    args = p.parse_args()
    iface, sock, dst_mac = packets.raw_setup(args, args.target)
    src_ip = args.src_ip or packets.iface_ipv4(iface)
    frame = packets.udp_frame(packets.mac_bytes(args.spoof_mac), dst_mac, packets.ip_bytes(src_ip),
                              packets.ip_bytes(args.target), 40000, args.dport, b"kalki-testbed mac-spoof")
    result = packets.blast(sock, itertools.repeat(frame), args.count, bounds.Deadline(args.duration), args.rate)
    bounds.emit({"tool": "mac_spoof", "spoofMac": args.spoof_mac, "srcIp": src_ip, "target": args.target, **result})


if __name__ == "__main__":
    main()
