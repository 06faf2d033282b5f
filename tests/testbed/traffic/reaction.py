#!/usr/bin/env python3
"""Live reaction time: one trigger frame, then numbered probes at a fixed rate; the receiver logs which arrived.

send (attacker side), per target in turn: one raw TCP segment to TARGET:80 carrying an HTTP request with
default credentials (Authorization: Basic admin:admin -- a single frame, no handshake needed by the
appliance's http-auth-guard), then --probes UDP frames to TARGET:--port, one every --interval-us, each
carrying (target index, sequence number); 10 probes numbered from 1000000 go first, before the trigger, and must
arrive. Send times are taken with perf_counter_ns right after each
send() returns, relative to the trigger's; result: {"targets": [{"target", "triggerNs", "probeOffsetsUs": [...]}]}.

The sender busy-waits between probes; when it loses the CPU, the probes after the stall leave late and the first
dropped probe's offset (the reaction) grows by the stall, which says nothing about the appliance. --rt-priority N
runs it under SCHED_FIFO N (pick one below the appliance's enforcement threads, so they still preempt it) for the
time it sends, so that on a busy machine the instrument stays exact.

recv (device side): a UDP socket on --port records every probe's sequence number until --duration ends;
result: {"received": [seq, ...]} (sorted). The first probe that did NOT arrive is the first attacker
packet the appliance dropped; its offset is the reaction time, exact to one --interval-us.
"""
from __future__ import annotations

import base64
import os
import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402

MAGIC = b"KREACT"
MAX_PROBES = 100_000
PRE_PROBES = 10
PRE_BASE = 1_000_000  # sequence numbers of the probes sent before the trigger


def send(args) -> None:
    targets = [t for t in args.targets.split(",") if t]
    if not targets or args.probes > MAX_PROBES:
        bounds.fail("--targets/--probes", f"need >= 1 target and <= {MAX_PROBES} probes")
    deadline = bounds.Deadline(args.duration)
    if args.rt_priority:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(args.rt_priority))
    iface = args.iface or packets.default_iface()
    sock = packets.raw_sender(iface)
    my_mac, my_ip = packets.iface_mac(iface), packets.ip_bytes(packets.iface_ipv4(iface))
    if args.dst_macs:
        macs = [packets.mac_bytes(m) for m in args.dst_macs.split(",")]
        if len(macs) != len(targets):
            bounds.fail("--dst-macs", "need one MAC per target")
    else:
        macs = [packets.arp_resolve(iface, t) for t in targets]  # also proves each path is bridged
    auth = base64.b64encode(b"admin:admin").decode()
    interval = args.interval_us * 1000
    results = []
    for index, (target, mac) in enumerate(zip(targets, macs)):
        if deadline.expired():
            break
        dst = packets.ip_bytes(target)
        request = f"GET / HTTP/1.1\r\nHost: {target}\r\nAuthorization: Basic {auth}\r\n\r\n".encode()
        trigger = packets.ethernet(mac, my_mac, packets.ETH_P_IP,
                                   packets.ipv4(my_ip, dst, socket.IPPROTO_TCP, packets.tcp_psh(my_ip, dst, 41000 + index, 80, request)))
        probes = [packets.udp_frame(my_mac, mac, my_ip, dst, 42000, args.port, MAGIC + struct.pack("!HI", index, seq) + b"\0" * 16, seq)
                  for seq in range(args.probes)]
        offsets = [0.0] * args.probes
        for k in range(PRE_PROBES):  # before the trigger: these must all arrive (proves the path is bridged)
            packets.send_frame(sock, packets.udp_frame(my_mac, mac, my_ip, dst, 42000, args.port,
                                                       MAGIC + struct.pack("!HI", index, PRE_BASE + k) + b"\0" * 16))
        time.sleep(0.01)
        sock.send(trigger)
        t0 = time.perf_counter_ns()
        due = t0
        for seq, frame in enumerate(probes):
            due += interval
            while time.perf_counter_ns() < due:
                pass
            while not packets.send_frame(sock, frame):
                pass
            offsets[seq] = round((time.perf_counter_ns() - t0) / 1000, 1)
        results.append({"target": target, "index": index, "triggerNs": t0, "probeOffsetsUs": offsets})
        time.sleep(args.gap)
    bounds.emit({"tool": "reaction", "mode": "send", "intervalUs": args.interval_us, "targets": results})


def recv(args) -> None:
    deadline = bounds.Deadline(args.duration)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    s.bind(("0.0.0.0", args.port))
    print("ready", file=sys.stderr, flush=True)
    seen = set()
    while not deadline.expired() and len(seen) < MAX_PROBES + PRE_PROBES:
        s.settimeout(max(0.01, min(0.2, deadline.remaining())))
        try:
            data = s.recv(2048)
        except (TimeoutError, socket.timeout):
            continue
        if data.startswith(MAGIC) and len(data) >= len(MAGIC) + 6:
            _, seq = struct.unpack_from("!HI", data, len(MAGIC))
            seen.add(seq)
    bounds.emit({"tool": "reaction", "mode": "recv", "port": args.port, "received": sorted(seen)})


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=None, duration=5.0)
    p.add_argument("mode", choices=["send", "recv"])
    p.add_argument("--targets", default="", help="send: comma-separated device IPs, attacked one after another")
    p.add_argument("--probes", type=bounds.positive_count, default=1000, help="send: probes per target")
    p.add_argument("--interval-us", type=int, default=50, help="send: microseconds between probes")
    p.add_argument("--gap", type=float, default=0.05, help="send: seconds between targets")
    p.add_argument("--port", type=int, default=9999, help="UDP port of the probes")
    p.add_argument("--iface", help="send: interface (default eth0)")
    p.add_argument("--rt-priority", type=int, default=0, choices=range(0, 51), metavar="0..50",
                   help="send: SCHED_FIFO priority while sending (0 = normal scheduling)")
    p.add_argument("--dst-macs", help="send: the targets' MACs, comma-separated (default: ARP-resolve each)")
    args = p.parse_args()
    send(args) if args.mode == "send" else recv(args)


if __name__ == "__main__":
    main()
