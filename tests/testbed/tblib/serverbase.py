"""Common lifecycle for the fake device servers: arguments, pid file, bounded lifetime and concurrency.

Each server is started by `testbed.sh start-servers` inside a device namespace and must stop by itself
(--max-seconds), never hold more than --max-clients connections (a SYN flood or scan must not exhaust
the machine), and time out idle clients (--client-timeout).
"""
from __future__ import annotations

import argparse
import http.server
import os
import signal
import socketserver
import sys
import threading
from dataclasses import dataclass
from typing import Callable

from . import bounds
from .serverlog import ServerLog


def parser(description: str, default_port: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--bind", default="0.0.0.0", help="address to listen on (default all)")
    p.add_argument("--port", type=int, default=default_port, help=f"TCP port (default {default_port})")
    p.add_argument("--log", required=True, help="JSON-lines event log file")
    p.add_argument("--pidfile", help="write the server's pid here (testbed.sh stops servers by pid)")
    p.add_argument("--max-seconds", type=bounds.server_seconds, default=3600.0,
                   help="exit after this many seconds (default 3600)")
    p.add_argument("--max-clients", type=int, default=64, help="concurrent connections cap (default 64)")
    p.add_argument("--client-timeout", type=float, default=5.0, help="idle client timeout in s (default 5)")
    return p


class _Bounded(socketserver.ThreadingMixIn):
    """Threaded server that refuses (closes) connections beyond max_clients instead of spawning threads."""

    daemon_threads = True
    allow_reuse_address = True
    max_clients = 64
    client_timeout = 5.0

    def __init__(self, *args, **kwargs):
        self._slots = threading.BoundedSemaphore(self.max_clients)
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            self.log.event("rejected", client=client_address[0], reason="max-clients")
            self.shutdown_request(request)
            return
        request.settimeout(self.client_timeout)
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address):
        # Clients that vanish mid-request (scans, floods, aborted brute force) are normal here.
        self.log.event("client-error", client=client_address[0], error=str(sys.exc_info()[1]))


class BoundedHTTPServer(_Bounded, http.server.HTTPServer):
    pass


class BoundedTCPServer(_Bounded, socketserver.TCPServer):
    pass


@dataclass
class Service:
    """One listening socket of a server process (the cloud host runs several: HTTP, TCP and UDP echo)."""

    server_class: type
    handler: type
    port: int
    configure: Callable[[object], None] | None = None


def run(args: argparse.Namespace, name: str, *services: Service) -> None:
    """Listen on every service, write the pid file, serve until --max-seconds or SIGTERM, then exit 0."""
    log = ServerLog(args.log, name)
    servers = [_listen(args, log, service) for service in services]
    if args.pidfile:
        with open(args.pidfile, "w", encoding="ascii") as f:
            f.write(f"{os.getpid()}\n")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    # The bound ports: a service asked for port 0 is told its port here.
    log.event("started", bind=args.bind, ports=[server.server_address[1] for server in servers], pid=os.getpid(),
              maxSeconds=args.max_seconds)
    reason = "signal" if stop.wait(args.max_seconds) else "max-seconds"
    for server in servers:
        server.shutdown()
        server.server_close()
    log.event("stopped", reason=reason)


def _listen(args: argparse.Namespace, log: ServerLog, service: Service):
    # A per-listener subclass carries the limits: _Bounded.__init__ needs them before the socket exists.
    limits = {"max_clients": args.max_clients, "client_timeout": args.client_timeout, "log": log}
    server_class = type(service.server_class.__name__, (service.server_class,), limits)
    try:
        server = server_class((args.bind, service.port), service.handler)
    except OSError as e:
        bounds.fail(f"listen on {args.bind}:{service.port}",
                    f"{e.strerror} (another server already running in this namespace?)")
    if service.configure:
        service.configure(server)
    return server


class BoundedUDPServer(socketserver.UDPServer):
    """Single-threaded UDP server: one datagram at a time keeps echo latency low and memory flat."""

    allow_reuse_address = True
    max_packet_size = 2048


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """HTTP handler that logs to the server's JSON log instead of stderr, with JSON/XML reply helpers."""

    protocol_version = "HTTP/1.1"
    server_version = "KalkiTestbed/1.0"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        pass

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, 64 * 1024)) if length > 0 else b""

    def reply(self, status: int, payload: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def record(self, status: int, **fields) -> None:
        self.server.log.event("request", client=self.client_address[0], method=self.command,
                              path=self.path, status=status, **fields)
