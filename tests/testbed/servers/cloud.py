#!/usr/bin/env python3
"""Cloud host services for the testbed's <prefix>-cloud namespace: the far end of device traffic.

- HTTP on --port (80): GET returns JSON naming the client (tests check what crossed, and from whom);
  POST/PUT echo the body length, standing in for device telemetry uploads.
- TCP echo on --echo-port (7): echoes up to 64 KiB per connection, for byte-exact TCP checks.
- UDP echo on --echo-port (7): the latency probe's reflector, single-threaded to keep jitter low.
"""
from __future__ import annotations

import json
import socketserver
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import serverbase  # noqa: E402

MAX_ECHO_BYTES = 64 * 1024


class HttpHandler(serverbase.QuietHandler):
    def _answer(self) -> None:
        received = len(self.body())
        payload = {"service": "cloud", "client": self.client_address[0], "method": self.command,
                   "path": self.path, "received": received}
        self.reply(200, json.dumps(payload).encode(), "application/json")
        self.record(200, received=received)

    do_GET = _answer
    do_POST = _answer
    do_PUT = _answer


class TcpEcho(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        echoed = 0
        while echoed < MAX_ECHO_BYTES:
            data = self.request.recv(4096)
            if not data:
                break
            self.request.sendall(data)
            echoed += len(data)
        self.server.log.event("tcp-echo", client=self.client_address[0], bytes=echoed)


class UdpEcho(socketserver.BaseRequestHandler):
    # Not logged per datagram: the latency probe and benchmarks send thousands.
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(data, self.client_address)


def main() -> None:
    p = serverbase.parser(__doc__.splitlines()[0], default_port=80)
    p.add_argument("--echo-port", type=int, default=7, help="TCP and UDP echo port (default 7)")
    args = p.parse_args()
    serverbase.run(args, "cloud",
                   serverbase.Service(serverbase.BoundedHTTPServer, HttpHandler, args.port),
                   serverbase.Service(serverbase.BoundedTCPServer, TcpEcho, args.echo_port),
                   serverbase.Service(serverbase.BoundedUDPServer, UdpEcho, args.echo_port))


if __name__ == "__main__":
    main()
