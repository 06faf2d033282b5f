#!/usr/bin/env python3
"""An MQTT device: connects to --broker HOST[:PORT] with a user and password and publishes --message to --topic.

MQTT 3.1.1 written by hand (stdlib only): CONNECT (clean session, user name and password), PUBLISH at QoS 1 waiting
for each PUBACK, DISCONNECT. --count messages, paced by --rate. The result says whether the broker accepted the
login (CONNACK return code) and how many publishes it acknowledged.
"""
from __future__ import annotations

import socket
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds  # noqa: E402

MAX_TEXT = 65535


def utf8(text: str) -> bytes:
    data = text.encode()
    if len(data) > MAX_TEXT:
        bounds.fail("argument", f"{len(data)} bytes is over MQTT's {MAX_TEXT}-byte string limit")
    return struct.pack("!H", len(data)) + data


def remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + remaining_length(len(body)) + body


def read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        data += chunk
    return data


def read_packet(sock: socket.socket) -> tuple[int, bytes]:
    kind = read_exact(sock, 1)[0]
    length, shift = 0, 0
    for _ in range(4):
        byte = read_exact(sock, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    if length > 1 << 16:
        raise ConnectionError(f"a {length}-byte packet from the broker is more than this device reads")
    return kind, read_exact(sock, length)


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=1, duration=30.0)
    p.add_argument("--broker", required=True, help="HOST or HOST:PORT (1883 by default)")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--client-id", default="testbed-device")
    p.add_argument("--topic", required=True)
    p.add_argument("--message", required=True)
    p.add_argument("--rate", type=bounds.positive_float, help="messages per second (default: back to back)")
    p.add_argument("--timeout", type=bounds.positive_float, default=5.0)
    args = p.parse_args()
    host, _, port = args.broker.partition(":")
    deadline, pacer = bounds.Deadline(args.duration), bounds.Pacer(args.rate)
    result = {"tool": "mqtt_publish", "broker": args.broker, "topic": args.topic, "connack": None, "published": 0, "acknowledged": 0}
    try:
        with socket.create_connection((host, int(port or 1883)), timeout=args.timeout) as sock:
            flags = 0x80 | 0x40 | 0x02  # user name, password, clean session
            connect = utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", 60) + utf8(args.client_id) + utf8(args.user) + utf8(args.password)
            sock.sendall(packet(0x10, connect))
            kind, body = read_packet(sock)
            if kind >> 4 != 2 or len(body) != 2:
                raise ConnectionError(f"expected CONNACK, got packet type {kind >> 4}")
            result["connack"] = body[1]
            packet_id = 0
            while body[1] == 0 and result["published"] < args.count and not deadline.expired():
                pacer.wait()
                packet_id = packet_id % 65535 + 1
                sock.sendall(packet(0x32, utf8(args.topic) + struct.pack("!H", packet_id) + args.message.encode()))
                result["published"] += 1
                kind, ack = read_packet(sock)
                if kind >> 4 == 4 and ack == struct.pack("!H", packet_id):
                    result["acknowledged"] += 1
            sock.sendall(packet(0xE0, b""))
    except (OSError, ConnectionError) as e:
        result["error"] = f"{type(e).__name__}: {e}"
    result["seconds"] = round(deadline.elapsed(), 3)
    bounds.emit(result)
    sys.exit(0 if result["connack"] == 0 and result["acknowledged"] == result["published"] > 0 else 1)


if __name__ == "__main__":
    main()
