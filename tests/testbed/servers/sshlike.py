#!/usr/bin/env python3
"""SSH-like TCP service for the testbed's <prefix>-udoo namespace (the Udoo Neo board's sshd).

Not SSH: it sends a genuine-looking `SSH-2.0-...` banner (what IDS rules and fingerprinting key on),
reads the client's banner, then speaks a one-line toy login so brute force has an outcome:
`AUTH <user> <password>\\n` -> `OK\\n` or `DENIED\\n`, at most 3 tries per connection (like sshd's
MaxAuthTries), then closes. Anything else (e.g. a real SSH client's binary KEXINIT) closes the connection.
"""
from __future__ import annotations

import socketserver
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import serverbase  # noqa: E402

BANNER = b"SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u7\r\n"
MAX_TRIES = 3
MAX_LINE = 256


class Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        log, client = self.server.log, self.client_address[0]
        self.wfile.write(BANNER)
        peer_banner = self.rfile.readline(MAX_LINE).strip().decode("ascii", "replace")
        log.event("connect", client=client, clientBanner=peer_banner)
        for _ in range(MAX_TRIES):
            line = self.rfile.readline(MAX_LINE).decode("ascii", "replace").split()
            if len(line) != 3 or line[0] != "AUTH":
                break
            ok = (line[1], line[2]) == self.server.credentials
            log.event("auth", client=client, user=line[1], ok=ok)
            self.wfile.write(b"OK\n" if ok else b"DENIED\n")
            if ok:
                break


def main() -> None:
    p = serverbase.parser(__doc__.splitlines()[0], default_port=22)
    p.add_argument("--user", default="udooer")
    p.add_argument("--password", required=True)
    args = p.parse_args()
    credentials = (args.user, args.password)
    serverbase.run(args, "ssh", serverbase.Service(serverbase.BoundedTCPServer, Handler, args.port,
                                                   lambda s: setattr(s, "credentials", credentials)))


if __name__ == "__main__":
    main()
