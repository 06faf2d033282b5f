#!/usr/bin/env python3
"""Announce a DNS-SD service over mDNS as a device does when it joins a network (RFC 6762 section 8.3).

Sends --count unsolicited responses (PTR, SRV, TXT, A) from this host's address to 224.0.0.251:5353 through
the kernel's UDP stack, one second apart as the RFC asks, e.g. a Hue bridge:
  mdns_announce.py --service _hue._tcp --instance "Philips Hue - 1A2B3C" --host Philips-hue --count 2
"""
from __future__ import annotations

import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402

MDNS_GROUP = "224.0.0.251"
MDNS_PORT = 5353
CLASS_IN_FLUSH = 0x8001
TTL = 4500


def name(*labels: str) -> bytes:
    out = b""
    for label in labels:
        raw = label.encode()
        if not 0 < len(raw) < 64:
            bounds.fail("DNS label", f"{label!r} must be 1 to 63 bytes")
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def record(owner: bytes, rtype: int, rclass: int, data: bytes) -> bytes:
    return owner + struct.pack("!HHIH", rtype, rclass, TTL, len(data)) + data


def announcement(service: str, instance: str, host: str, address: str, port: int) -> bytes:
    kind, proto = service.split(".", 1)
    service_name = name(kind, proto, "local")
    instance_name = name(instance, kind, proto, "local")
    host_name = name(host, "local")
    answers = [
        record(service_name, 12, 1, instance_name),                                       # PTR
        record(instance_name, 33, CLASS_IN_FLUSH, struct.pack("!HHH", 0, 0, port) + host_name),  # SRV
        record(instance_name, 16, CLASS_IN_FLUSH, b"\x0fbridgeid=kalkite"),                # TXT
        record(host_name, 1, CLASS_IN_FLUSH, socket.inet_aton(address)),                    # A
    ]
    header = struct.pack("!HHHHHH", 0, 0x8400, 0, len(answers), 0, 0)
    return header + b"".join(answers)


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=2, duration=10.0)
    p.add_argument("--service", required=True, help="service type, e.g. _hue._tcp")
    p.add_argument("--instance", required=True, help="instance name, e.g. 'Philips Hue - 1A2B3C'")
    p.add_argument("--host", required=True, help="host name without .local")
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--iface", default=None)
    args = p.parse_args()
    if not args.service.startswith("_") or args.service.count(".") != 1:
        bounds.fail("--service", f"{args.service!r} is not a DNS-SD type such as _hue._tcp")
    iface = args.iface or packets.default_iface()
    address = packets.iface_ipv4(iface)
    message = announcement(args.service, args.instance, args.host, address, args.port)
    deadline = bounds.Deadline(args.duration)
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        s.bind((address, MDNS_PORT))
        for i in range(args.count):
            if deadline.expired():
                break
            if i > 0:
                time.sleep(min(1.0, deadline.remaining()))
            s.sendto(message, (MDNS_GROUP, MDNS_PORT))
            sent += 1
    bounds.emit({"ok": sent > 0, "sent": sent, "service": args.service, "from": address})


if __name__ == "__main__":
    main()
