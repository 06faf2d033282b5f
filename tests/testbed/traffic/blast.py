#!/usr/bin/env python3
"""Frame-rate generator and receiver counter for the throughput benchmark.

  blast.py recv --duration 8                         (in the receiving host, start first)
  blast.py send --target 192.0.2.100 --frame-size 64 --duration 5 [--rate PPS [--catch-up-ms 5]] [--rt-priority 5]

The sender writes one prebuilt UDP frame in batches of sendmmsg(2) on an AF_PACKET socket (sizes follow RFC 2544 and
include the 4-byte FCS, so "64 B" is 60 bytes on the veth): flat out, or with --rate the frames due every
millisecond in one batch (a per-frame Python loop could not offer more than ~70 k frames/s); --rt-priority sends
under SCHED_FIFO, so a loaded machine does not delay the sender into catch-up bursts (pick one below the path's own
threads). The receiver does not read packets at
all, because a Python read loop would be the bottleneck: it samples the kernel's counters — interface
rx_packets for frames that arrived, and UDP InDatagrams+RcvbufErrors / InCsumErrors for datagrams that
arrived intact / corrupted (a user-space bridge that breaks checksums shows up there). The rate is
computed between the first and the last counter change, so start-up gaps don't dilute it. It writes "counting" on
stderr once it holds its base counters: start the sender after that line, or frames sent meanwhile go uncounted.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, packets  # noqa: E402

DEFAULT_PORT = 9000
SAMPLE_SECONDS = 0.005


def send(args: argparse.Namespace) -> dict:
    iface, sock, dst_mac = packets.raw_setup(args, args.target)
    src_ip = packets.ip_bytes(packets.iface_ipv4(iface))
    payload = b"\0" * packets.udp_payload_for_frame(args.frame_size)
    frame = packets.udp_frame(packets.iface_mac(iface), dst_mac, src_ip, packets.ip_bytes(args.target),
                              DEFAULT_PORT + 1, args.port, payload)
    deadline = bounds.Deadline(args.duration)
    if args.rt_priority:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(args.rt_priority))
    if args.rate:
        result = _paced(sock, frame, args.count, deadline, args.rate, args.catch_up_ms / 1000 if args.catch_up_ms else None)
    else:
        result = _flat_out(sock, frame, args.count, deadline)
    return {"mode": "send", "frameSize": args.frame_size, "l2Bytes": len(frame), "offeredRate": args.rate, **result}


def _flat_out(sock: socket.socket, frame: bytes, count: int, deadline: bounds.Deadline) -> dict:
    sender = packets.BatchSender(sock, frame)
    sent = refused = 0
    while sent < count and not deadline.expired():
        took = sender.send(count - sent)
        sent += took
        if not took:  # queue full: count it and yield the CPU briefly to the path under test
            refused += 1
            time.sleep(0.0001)
    seconds = deadline.elapsed()
    return {"sent": sent, "kernelRefusedBatches": refused, "seconds": round(seconds, 3),
            "framesPerSecond": round(sent / seconds) if seconds > 0 else 0}


PACE_SECONDS = 0.001


def _paced(sock: socket.socket, frame: bytes, count: int, deadline: bounds.Deadline, rate: float,
           catch_up: float | None) -> dict:
    """Offers `rate` frames/s: every millisecond, the frames due by then in sendmmsg batches. A sender the scheduler
    delayed catches up in one burst; with `catch_up` (seconds) only the frames due within that much of now are sent
    and older ones are skipped (counted in "late"), so a delay never turns into a burst longer than that, as a source
    on a wire that cannot send back in time. Frames the kernel refuses are counted and not retried."""
    sender = packets.BatchSender(sock, frame)
    burst = max(1, int(catch_up * rate)) if catch_up is not None else count
    start = time.monotonic()
    sent = refused = late = 0
    longest = 0.0
    tick = start
    while sent + refused + late < count and not deadline.expired():
        now = time.monotonic()
        longest = max(longest, now - tick)  # between two ticks: a tick's sending included
        tick = now
        due = min(count, int((now - start) * rate)) - sent - refused - late
        if due > burst:
            late += due - burst
            due = burst
        while due > 0:
            took = sender.send(due)
            if not took:  # queue full: the frames due now are lost, as on a wire
                refused += due
                break
            sent += took
            due -= took
        time.sleep(PACE_SECONDS)
    seconds = deadline.elapsed()
    return {"sent": sent, "kernelRefused": refused, "late": late, "longestGapMs": round(longest * 1000, 1),
            "seconds": round(seconds, 3), "framesPerSecond": round(sent / seconds) if seconds > 0 else 0}


def _counters(iface: str) -> tuple[int, int, int]:
    with open(f"/sys/class/net/{iface}/statistics/rx_packets", encoding="ascii") as f:
        rx = int(f.read())
    with open("/proc/net/snmp", encoding="ascii") as f:
        udp = [line.split() for line in f if line.startswith("Udp:")]
    fields = dict(zip(udp[0][1:], map(int, udp[1][1:])))
    # Intact = reached UDP with a good checksum, whether queued or dropped for lack of buffer/memory.
    intact = fields["InDatagrams"] + fields["RcvbufErrors"] + fields.get("MemErrors", 0)
    return rx, intact, fields["InCsumErrors"]


def recv(args: argparse.Namespace) -> dict:
    iface = args.iface or packets.default_iface()
    # Bound but never read: it only keeps the kernel from answering each datagram with ICMP
    # port-unreachable (reverse traffic that would load the bridge under test).
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("0.0.0.0", args.port))
    deadline = bounds.Deadline(args.duration)
    base = _counters(iface)
    print("counting", file=sys.stderr, flush=True)
    first = last = None
    last_rx = base[0]
    while not deadline.expired():
        time.sleep(SAMPLE_SECONDS)
        now = time.monotonic()
        current = _counters(iface)
        if current[0] != last_rx:
            first = first if first is not None else now - SAMPLE_SECONDS
            last, last_rx = now, current[0]
        elif last is not None and now - last >= args.idle:
            break  # the sender stopped: no need to sit out the whole duration
    end = _counters(iface)
    frames, udp_ok, udp_bad = (e - b for e, b in zip(end, base))
    seconds = (last - first) if first is not None and last is not None else 0.0
    sink.close()
    return {"mode": "recv", "iface": iface, "frames": frames, "udpIntact": udp_ok, "udpChecksumErrors": udp_bad,
            "seconds": round(seconds, 3), "framesPerSecond": round(frames / seconds) if seconds > 0 else 0}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("send", help="generate frames")
    bounds.add_bounds(s, count=bounds.MAX_COUNT, duration=5.0)
    s.add_argument("--target", required=True, help="receiver IP (its MAC is ARP-resolved)")
    s.add_argument("--frame-size", type=int, default=64, help="RFC 2544 frame size incl. FCS (default 64)")
    s.add_argument("--port", type=int, default=DEFAULT_PORT)
    s.add_argument("--catch-up-ms", type=bounds.positive_float,
                   help="with --rate: send at most this many milliseconds' frames at once after a delay, skip older ones (default: all)")
    s.add_argument("--rt-priority", type=int, default=0, choices=range(0, 99),
                   help="SCHED_FIFO priority while sending (0 = normal scheduling)")
    packets.add_raw_args(s)
    r = sub.add_parser("recv", help="count arriving frames")
    bounds.add_bounds(r, duration=15.0)
    r.add_argument("--iface")
    r.add_argument("--port", type=int, default=DEFAULT_PORT)
    r.add_argument("--idle", type=bounds.positive_float, default=1.0,
                   help="stop after frames stop arriving for this long (default 1 s)")
    args = p.parse_args()
    bounds.emit({"tool": "blast", **(send(args) if args.mode == "send" else recv(args))})


if __name__ == "__main__":
    main()
