#!/usr/bin/env python3
"""Announce a MUD URL over LLDP as a device does when it joins a network (RFC 8520's LLDP extension).

Sends --count LLDPDUs (IEEE 802.1AB) from this host's MAC to the nearest-bridge group 01:80:c2:00:00:0e, one
second apart, built byte by byte: Chassis ID (MAC), Port ID (interface name), TTL, the MUD URL in an
organizationally specific TLV (type 127, IANA OUI 00-00-5E, subtype 1), End of LLDPDU, e.g.
  lldp_announce.py --mud-url https://udoo.example.com/mud/neo.json --count 2
"""
from __future__ import annotations

import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402

ETH_P_LLDP = 0x88CC
NEAREST_BRIDGE = bytes.fromhex("0180c200000e")
IANA_OUI = bytes.fromhex("00005e")
MUD_SUBTYPE = 1
TTL_SECONDS = 120


def tlv(kind: int, value: bytes) -> bytes:
    """A TLV header is 7 bits of type and 9 bits of length, then the value."""
    if len(value) > 511:
        bounds.fail("LLDP TLV", f"type {kind}: {len(value)} bytes is more than the 511 a TLV holds")
    return struct.pack("!H", (kind << 9) | len(value)) + value


def lldpdu(mac: bytes, iface: str, mud_url: str) -> bytes:
    url = mud_url.encode("ascii")
    if not 0 < len(url) <= 255:
        bounds.fail("--mud-url", f"{len(url)} bytes; a MUD URL is 1 to 255")
    return (tlv(1, b"\x04" + mac)                                   # Chassis ID, subtype 4: MAC address
            + tlv(2, b"\x05" + iface.encode())                      # Port ID, subtype 5: interface name
            + tlv(3, struct.pack("!H", TTL_SECONDS))                # Time To Live
            + tlv(127, IANA_OUI + bytes([MUD_SUBTYPE]) + url)       # the MUD URL
            + tlv(0, b""))                                          # End of LLDPDU


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=2, duration=10.0)
    p.add_argument("--mud-url", required=True, help="the device's MUD URL (https)")
    p.add_argument("--iface", default=None)
    args = p.parse_args()
    iface = args.iface or packets.default_iface()
    mac = packets.iface_mac(iface)
    frame = packets.ethernet(NEAREST_BRIDGE, mac, ETH_P_LLDP, lldpdu(mac, iface, args.mud_url))
    deadline = bounds.Deadline(args.duration)
    sent = 0
    with packets.raw_sender(iface) as sock:
        for i in range(args.count):
            if deadline.expired():
                break
            if i > 0:
                time.sleep(min(1.0, deadline.remaining()))
            if packets.send_frame(sock, frame):
                sent += 1
    bounds.emit({"ok": sent > 0, "sent": sent, "bytes": len(frame), "from": packets.mac_text(mac)})


if __name__ == "__main__":
    main()
