#!/usr/bin/env python3
"""Turn off TX checksum offload (and with it SG/TSO) on an interface, without ethtool(8).

Why: a veth hands locally generated TCP/UDP packets to its peer with the checksum only *partially*
computed (CHECKSUM_PARTIAL). A kernel bridge forwards them untouched and all is well, but a
user-space bridge (libpcap/AF_PACKET) copies the frame bytes, re-injects them as ordinary frames,
and the receiver then sees a wrong checksum and silently drops every TCP/UDP packet. Real NICs on
the Pi compute checksums in hardware before the wire, so disabling offload on the testbed *hosts*
makes the veth testbed behave like real cables. Without TSO the hosts also never emit 64 KiB
super-frames, which a real Ethernet link would not carry either.
"""
from __future__ import annotations

import argparse
import array
import fcntl
import socket
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds  # noqa: E402

SIOCETHTOOL = 0x8946
ETHTOOL_GTXCSUM = 0x00000016
ETHTOOL_STXCSUM = 0x00000017


def ethtool_value(iface: str, cmd: int, data: int = 0) -> int:
    """One legacy ethtool get/set ioctl carrying a struct ethtool_value {u32 cmd; u32 data}."""
    value = array.array("I", [cmd, data])
    address, _ = value.buffer_info()
    ifreq = struct.pack("16sP", iface.encode()[:15], address).ljust(40, b"\0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifreq)
        except OSError as e:
            bounds.fail(f"ethtool ioctl 0x{cmd:x} on {iface}", e.strerror or str(e))
    return value[1]


def main() -> None:
    p = argparse.ArgumentParser(description="disable TX checksum offload on interfaces")
    p.add_argument("ifaces", nargs="+")
    for iface in p.parse_args().ifaces:
        ethtool_value(iface, ETHTOOL_STXCSUM, 0)
        if ethtool_value(iface, ETHTOOL_GTXCSUM) != 0:
            bounds.fail(f"tx checksum offload on {iface}", "still on after ETHTOOL_STXCSUM 0")


if __name__ == "__main__":
    main()
