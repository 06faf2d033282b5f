"""Raw Ethernet frames for the attack and benchmark tools (AF_PACKET, root only).

Frames are built by hand instead of through the kernel stack so tools can lie: spoofed source MACs
and IPs, half-open SYNs, gratuitous ARP, random-MAC floods. Checksums are always correct so a frame is
dropped only by the thing under test, never by the receiver's stack.
"""
from __future__ import annotations

import fcntl
import os
import random
import socket
import struct
import time

from . import bounds

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
BROADCAST = b"\xff" * 6
SIOCGIFADDR = 0x8915


# ---- addresses -------------------------------------------------------------------------------------

def mac_bytes(text: str) -> bytes:
    parts = text.split(":")
    if len(parts) != 6 or not all(len(p) in (1, 2) for p in parts):
        bounds.fail("MAC address", f"{text!r} is not aa:bb:cc:dd:ee:ff")
    return bytes(int(p, 16) for p in parts)


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def random_mac(rng: random.Random) -> bytes:
    """A random unicast, locally administered MAC (02-bit set, multicast bit clear): never a real vendor's."""
    first = (rng.randrange(256) & 0xFC) | 0x02
    return bytes([first]) + rng.randbytes(5)


def ip_bytes(text: str) -> bytes:
    try:
        return socket.inet_aton(text)
    except OSError:
        bounds.fail("IPv4 address", f"{text!r} is not dotted-quad")


def iface_mac(iface: str) -> bytes:
    try:
        with open(f"/sys/class/net/{iface}/address", encoding="ascii") as f:
            return mac_bytes(f.read().strip())
    except FileNotFoundError:
        bounds.fail(f"interface {iface}", "not found in this network namespace (run the tool via testbed.sh exec)")


def iface_ipv4(iface: str) -> str:
    """The interface's primary IPv4 address (ioctl, so no dependency on iproute2 output formats)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            raw = fcntl.ioctl(s.fileno(), SIOCGIFADDR, struct.pack("256s", iface.encode()[:15]))
        except OSError as e:
            bounds.fail(f"interface {iface}", f"has no IPv4 address ({e.strerror})")
    return socket.inet_ntoa(raw[20:24])


def default_iface() -> str:
    """The single non-loopback interface of a testbed host namespace (hosts have exactly one: eth0)."""
    names = sorted(n for n in os.listdir("/sys/class/net") if n != "lo")
    if "eth0" in names:
        return "eth0"
    if len(names) == 1:
        return names[0]
    bounds.fail("interface", f"cannot guess among {names}; pass --iface")


# ---- frame building --------------------------------------------------------------------------------

def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(src: bytes, dst: bytes, proto: int, payload: bytes, ident: int = 0, ttl: int = 64) -> bytes:
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, ttl, proto, 0,
                         src, dst)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def _l4_checksum(src: bytes, dst: bytes, proto: int, segment: bytes) -> int:
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(segment))
    return checksum(pseudo + segment)


def udp(src_ip: bytes, dst_ip: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    segment = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    csum = _l4_checksum(src_ip, dst_ip, socket.IPPROTO_UDP, segment) or 0xFFFF
    return segment[:6] + struct.pack("!H", csum) + segment[8:]


def tcp_syn(src_ip: bytes, dst_ip: bytes, sport: int, dport: int, seq: int) -> bytes:
    # 20-byte header, SYN only, window 64240, MSS option would make it "nicer" but floods don't bother.
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    csum = _l4_checksum(src_ip, dst_ip, socket.IPPROTO_TCP, segment)
    return segment[:16] + struct.pack("!H", csum) + segment[18:]


def tcp_psh(src_ip: bytes, dst_ip: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    """A TCP segment with PSH+ACK carrying payload, outside any handshake (what a single-frame trigger needs)."""
    segment = struct.pack("!HHIIBBHHH", sport, dport, 1000, 1, 5 << 4, 0x18, 64240, 0, 0) + payload
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(segment))
    csum = checksum(pseudo + segment)
    return segment[:16] + struct.pack("!H", csum) + segment[18:]


def udp_frame(src_mac: bytes, dst_mac: bytes, src_ip: bytes, dst_ip: bytes, sport: int, dport: int,
              payload: bytes, ident: int = 0) -> bytes:
    return ethernet(dst_mac, src_mac, ETH_P_IP,
                    ipv4(src_ip, dst_ip, socket.IPPROTO_UDP, udp(src_ip, dst_ip, sport, dport, payload), ident))


def arp(op: int, sender_mac: bytes, sender_ip: bytes, target_mac: bytes, target_ip: bytes,
        eth_dst: bytes | None = None) -> bytes:
    """op 1 = request, 2 = reply. eth_dst defaults to broadcast for requests, target_mac for replies."""
    body = struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, op, sender_mac, sender_ip, target_mac, target_ip)
    dst = eth_dst if eth_dst is not None else (BROADCAST if op == 1 else target_mac)
    return ethernet(dst, sender_mac, ETH_P_ARP, body)


ETH_MIN = 60  # shortest Ethernet frame without the 4-byte FCS (the kernel pads shorter ones anyway)
FCS = 4
UDP_OVERHEAD = 14 + 20 + 8


def udp_payload_for_frame(frame_size: int) -> int:
    """UDP payload length that makes an Ethernet frame of frame_size bytes *including* the FCS (RFC 2544
    convention: "64-byte frames" are 60 bytes in a capture, since veth carries no FCS)."""
    payload = frame_size - FCS - UDP_OVERHEAD
    if payload < 0 or frame_size > 1518:
        bounds.fail("frame size", f"{frame_size} must be within 64..1518 (RFC 2544 sizes incl. FCS)")
    return payload


# ---- raw sockets -----------------------------------------------------------------------------------

def raw_sender(iface: str) -> socket.socket:
    """An AF_PACKET socket that only sends (protocol 0: the kernel delivers no received frames to it)."""
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        s.bind((iface, 0))
    except PermissionError:
        bounds.fail("raw socket", "needs root (CAP_NET_RAW)")
    except OSError as e:
        bounds.fail(f"raw socket on {iface}", e.strerror or str(e))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    return s


def send_frame(sock: socket.socket, frame: bytes) -> bool:
    """Send one frame; False when the kernel queue is momentarily full (ENOBUFS), which a flood tolerates."""
    try:
        sock.send(frame)
        return True
    except BlockingIOError:
        return False
    except OSError as e:
        if e.errno == 105:  # ENOBUFS
            return False
        raise


def arp_resolve(iface: str, target_ip: str, timeout: float = 2.0) -> bytes:
    """Resolve target_ip's MAC on iface: the kernel's neighbour cache first, else one raw ARP exchange.

    Attack tools need a destination MAC for hand-made frames; asking with ARP (rather than trusting a
    config) also proves the target is reachable across the appliance before the attack starts.
    """
    cached = _arp_cache(iface, target_ip)
    if cached:
        return cached
    my_mac, my_ip = iface_mac(iface), ip_bytes(iface_ipv4(iface))
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP)) as s:
        s.bind((iface, 0))
        want = ip_bytes(target_ip)
        request = arp(1, my_mac, my_ip, b"\0" * 6, want)
        end = time.monotonic() + timeout
        next_send = 0.0
        while time.monotonic() < end:
            if time.monotonic() >= next_send:
                s.send(request)
                next_send = time.monotonic() + 0.5
            s.settimeout(max(0.01, min(0.5, end - time.monotonic())))
            try:
                frame = s.recv(2048)
            except TimeoutError:
                continue
            if len(frame) >= 42 and frame[20:22] == b"\x00\x02" and frame[28:32] == want:
                return frame[22:28]
    bounds.fail(f"ARP for {target_ip} on {iface}", f"no reply within {timeout:g}s (is the path bridged?)")


def _arp_cache(iface: str, ip: str) -> bytes | None:
    try:
        with open("/proc/net/arp", encoding="ascii") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if len(cols) >= 6 and cols[0] == ip and cols[5] == iface and cols[3] != "00:00:00:00:00:00":
                    return mac_bytes(cols[3])
    except OSError:
        pass
    return None


# ---- shared CLI for the raw-frame tools --------------------------------------------------------------

def add_raw_args(p, *, rate: float | None = None) -> None:
    """--iface/--dst-mac/--rate, common to every tool that writes frames by hand."""
    p.add_argument("--iface", help="interface to send on (default: the namespace's eth0)")
    p.add_argument("--dst-mac", help="destination MAC (default: ARP-resolve the target IP)")
    p.add_argument("--rate", type=bounds.positive_float, default=rate,
                   help="frames per second (default: %s)" % (f"{rate:g}" if rate else "as fast as possible"))


def raw_setup(args, target_ip: str | None) -> tuple[str, socket.socket, bytes]:
    """Resolve interface, sending socket and destination MAC for a raw tool (broadcast if no target)."""
    iface = args.iface or default_iface()
    if args.dst_mac:
        dst = mac_bytes(args.dst_mac)
    elif target_ip:
        dst = arp_resolve(iface, target_ip)
    else:
        dst = BROADCAST
    return iface, raw_sender(iface), dst


def blast(sock: socket.socket, frames, count: int, deadline: "bounds.Deadline", rate: float | None) -> dict:
    """Send frames from an iterator, bounded by count and deadline; return sent/dropped/rate figures."""
    pacer = bounds.Pacer(rate)
    sent = refused = 0
    for frame in frames:
        if sent + refused >= count or deadline.expired():
            break
        pacer.wait()
        if send_frame(sock, frame):
            sent += 1
        else:
            refused += 1
    seconds = deadline.elapsed()
    return {"sent": sent, "kernelRefused": refused, "seconds": round(seconds, 3),
            "framesPerSecond": round(sent / seconds) if seconds > 0 else 0}


class BatchSender:
    """Send the same frame many times per system call with sendmmsg(2) (through ctypes, stdlib only).

    A Python send() loop tops out around 70 k frames/s here, slower than a kernel bridge forwards, so
    a benchmark driven by it would measure Python. One sendmmsg of `batch` frames moves the
    generator's limit far above the paths under test.
    """

    def __init__(self, sock: socket.socket, frame: bytes, batch: int = 512):
        import ctypes
        import ctypes.util

        class IoVec(ctypes.Structure):
            _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

        class MsgHdr(ctypes.Structure):
            _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.POINTER(IoVec)),
                        ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                        ("flags", ctypes.c_int)]

        class MMsgHdr(ctypes.Structure):
            _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint)]

        self._libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self._ctypes = ctypes
        self._buffer = ctypes.create_string_buffer(frame, len(frame))
        self._iov = IoVec(ctypes.cast(self._buffer, ctypes.c_void_p), len(frame))
        self._msgs = (MMsgHdr * batch)()
        for m in self._msgs:
            m.hdr.iov = ctypes.pointer(self._iov)
            m.hdr.iovlen = 1
        self._fd = sock.fileno()
        self.batch = batch

    def send(self, n: int) -> int:
        """Try to send n (<= batch) frames; returns how many the kernel took (0 when its queue is full)."""
        sent = self._libc.sendmmsg(self._fd, self._msgs, min(n, self.batch), 0)
        if sent < 0:
            err = self._ctypes.get_errno()
            if err in (105, 11):  # ENOBUFS, EAGAIN: momentarily full
                return 0
            raise OSError(err, os.strerror(err))
        return sent
