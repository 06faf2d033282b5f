#!/usr/bin/env python3
"""Camera-like HTTP service with Digest auth for the testbed's <prefix>-cam namespace (the D-Link camera).

Every path needs RFC 7616 Digest (MD5, qop=auth) as user admin with a password generated per testbed
run, so the factory default admin:admin FAILS, which is the point of KalKi's default-login and
max-login-attempts scenarios. Each attempt is logged with its user and outcome. Like the camera's own
server, Basic credentials are accepted too (the appliance's monitor sends them); with either, the status
page /common/info.cgi answers key=value lines and /reboot.cgi "Reboot ok", any other path a frame.
"""
from __future__ import annotations

import base64
import binascii
import secrets
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import digest, serverbase  # noqa: E402

REALM = "DCS-5020L"
NONCE_TTL = 300.0
JPEG = b"\xff\xd8\xff\xe0" + b"testbed-frame" + b"\xff\xd9"  # a token "image", enough for byte counts


class Nonces:
    """Issued nonces with expiry; a bounded dict because attackers can request millions."""

    def __init__(self, limit: int = 4096):
        self.lock = threading.Lock()
        self.issued: dict[str, float] = {}
        self.limit = limit

    def new(self) -> str:
        nonce = secrets.token_hex(16)
        with self.lock:
            if len(self.issued) >= self.limit:
                self.issued.pop(next(iter(self.issued)))
            self.issued[nonce] = time.monotonic() + NONCE_TTL
        return nonce

    def valid(self, nonce: str) -> bool:
        with self.lock:
            return self.issued.get(nonce, 0.0) > time.monotonic()


def digest_ok(p: dict[str, str], method: str, user: str, password: str) -> bool:
    expected = digest.response(user, REALM, password, method, p.get("uri", ""), p.get("nonce", ""),
                               p.get("qop"), p.get("nc", ""), p.get("cnonce", ""))
    return secrets.compare_digest(expected, p.get("response", ""))


class Handler(serverbase.QuietHandler):
    server_version = "alphapd"  # the D-Link camera's embedded web server

    def _challenge(self, user: str | None, reason: str) -> None:
        nonce = self.server.nonces.new()
        header = f'Digest realm="{REALM}", qop="auth", algorithm=MD5, nonce="{nonce}"'
        self.reply(401, b"401 Unauthorized", "text/plain", {"WWW-Authenticate": header})
        self.record(401, user=user, auth=reason)

    def _basic(self, header: str) -> None:
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            self._challenge(None, "malformed")
            return
        if user != self.server.user or not secrets.compare_digest(password.encode(), self.server.password.encode()):
            self._challenge(user, "denied")
        else:
            self._page(user)

    def _page(self, user: str) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/common/info.cgi":
            uptime = int(time.monotonic() - self.server.started)
            self.reply(200, f"model=DCS-5020L\nbrand=D-Link\nversion=1.15.12\nbuild=0\nhw_version=A\nuptime={uptime}\n".encode(), "text/plain")
        elif path == "/reboot.cgi":
            self.reply(200, b"Reboot ok", "text/plain")
        else:
            self.reply(200, JPEG, "image/jpeg")
        self.record(200, user=user, auth="ok")

    def _serve(self) -> None:
        self.body()
        header = self.headers.get("Authorization", "")
        if header[:6].lower() == "basic ":
            self._basic(header)
            return
        params = digest.parse(header)
        if params is None:
            self._challenge(None, "none")
            return
        user = params.get("username")
        if not self.server.nonces.valid(params.get("nonce", "")):
            self._challenge(user, "stale-nonce")
        elif user != self.server.user or not digest_ok(params, self.command, user, self.server.password):
            self._challenge(user, "denied")
        else:
            self._page(user)

    do_GET = _serve
    do_POST = _serve
    do_HEAD = _serve


def main() -> None:
    p = serverbase.parser(__doc__.splitlines()[0], default_port=80)
    p.add_argument("--user", default="admin")
    p.add_argument("--password", required=True)
    args = p.parse_args()

    def configure(server) -> None:
        server.user, server.password, server.nonces = args.user, args.password, Nonces()
        server.started = time.monotonic()

    serverbase.run(args, "camera", serverbase.Service(serverbase.BoundedHTTPServer, Handler, args.port, configure))


if __name__ == "__main__":
    main()
