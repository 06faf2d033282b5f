#!/usr/bin/env python3
"""Numbered heartbeats across the bridge, for tests that stop and restart the appliance while traffic flows.

  heartbeat.py recv --port 9100 --log FILE --stop-file STOP --duration 600     (in the receiving host, start first)
  heartbeat.py send --target 192.0.2.10 --dst-mac MAC --port 9100 --interval-ms 10 --stop-file STOP --duration 600

send writes one raw UDP frame every --interval-ms (no ARP: the destination MAC is given, so a frame leaves even while
nothing answers), each carrying its sequence number and its send time (CLOCK_MONOTONIC, ns; network namespaces share
that clock with the test). recv appends "seq send_ns recv_ns" for every heartbeat that arrives to --log, flushed per
line, so a test can follow it while it runs.

  heartbeat.py login --target 192.0.2.13 --dst-mac MAC --interval-ms 100 --stop-file STOP --duration 600

login sends, at the same pace, one TCP segment to TARGET:80 carrying an HTTP request with default credentials
(Basic admin:admin, a single frame: the appliance's http-auth-guard needs no handshake), so a camera keeps raising
default-login while the test resets it. Every mode stops when --stop-file exists, after --count frames or at
--duration. Result: {"sent": n} / {"received": n}.
"""
from __future__ import annotations

import argparse
import base64
import os
import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402

MAGIC = b"KBEAT"
BODY = struct.Struct("!5sQQ")  # magic, sequence, send time (ns)


def send(args) -> dict:
    def heartbeat(src_mac: bytes, dst_mac: bytes, src_ip: bytes, dst_ip: bytes, seq: int) -> bytes:
        return packets.udp_frame(src_mac, dst_mac, src_ip, dst_ip, 9101, args.port, BODY.pack(MAGIC, seq, time.monotonic_ns()), seq)
    return paced(args, heartbeat)


def login(args) -> dict:
    auth = base64.b64encode(b"admin:admin").decode()
    request = f"GET / HTTP/1.1\r\nHost: {args.target}\r\nAuthorization: Basic {auth}\r\n\r\n".encode()

    def trigger(src_mac: bytes, dst_mac: bytes, src_ip: bytes, dst_ip: bytes, seq: int) -> bytes:
        segment = packets.tcp_psh(src_ip, dst_ip, 41000 + seq % 1000, 80, request)
        return packets.ethernet(dst_mac, src_mac, packets.ETH_P_IP, packets.ipv4(src_ip, dst_ip, socket.IPPROTO_TCP, segment, seq))
    return paced(args, trigger)


def paced(args, frame) -> dict:
    iface = args.iface or packets.default_iface()
    sock = packets.raw_sender(iface)
    src_mac, src_ip = packets.iface_mac(iface), packets.ip_bytes(packets.iface_ipv4(iface))
    dst_mac, dst_ip = packets.mac_bytes(args.dst_mac), packets.ip_bytes(args.target)
    deadline = bounds.Deadline(args.duration)
    interval = args.interval_ms / 1000.0
    sent = 0
    next_at = time.monotonic()
    while sent < args.count and not deadline.expired() and not os.path.exists(args.stop_file):
        if packets.send_frame(sock, frame(src_mac, dst_mac, src_ip, dst_ip, sent)):
            sent += 1
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    return {"sent": sent}


def recv(args) -> dict:
    deadline = bounds.Deadline(args.duration)
    received = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, open(args.log, "a", encoding="ascii") as log:
        s.bind(("0.0.0.0", args.port))
        s.settimeout(0.1)
        while not deadline.expired() and not os.path.exists(args.stop_file):
            try:
                data = s.recv(64)
            except TimeoutError:
                continue
            now = time.monotonic_ns()
            if len(data) == BODY.size and data[:5] == MAGIC:
                _, seq, sent_ns = BODY.unpack(data)
                log.write(f"{seq} {sent_ns} {now}\n")
                log.flush()
                received += 1
    return {"received": received}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    for mode in ("send", "login"):
        s = sub.add_parser(mode)
        bounds.add_bounds(s, count=1_000_000, duration=60.0)
        s.add_argument("--target", required=True)
        s.add_argument("--dst-mac", required=True)
        s.add_argument("--iface")
        s.add_argument("--port", type=int, default=9100)
        s.add_argument("--interval-ms", type=bounds.positive_float, default=10.0)
        s.add_argument("--stop-file", required=True)
    r = sub.add_parser("recv")
    bounds.add_bounds(r, duration=60.0)
    r.add_argument("--port", type=int, default=9100)
    r.add_argument("--log", required=True)
    r.add_argument("--stop-file", required=True)
    args = p.parse_args()
    bounds.emit({"send": send, "login": login, "recv": recv}[args.mode](args))


if __name__ == "__main__":
    main()
