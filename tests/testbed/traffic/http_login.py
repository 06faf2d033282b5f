#!/usr/bin/env python3
"""Repeated HTTP logins (Basic or Digest) with given credentials: default-login and max-login-attempts.

One attempt = one authenticated request (Digest: plus its 401 challenge, on a fresh connection), so
`--count 10` is exactly ten login attempts in the camera's log. Prints one JSON line.
  http_login.py --url http://192.0.2.13/image.jpg --auth digest --user admin --password admin --count 10
"""
from __future__ import annotations

import base64
import collections
import secrets
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, digest, httpc  # noqa: E402


def attempt(url: urllib.parse.SplitResult, auth: str, user: str, password: str, timeout: float) -> httpc.Reply:
    host, port = url.hostname, url.port or 80
    path = url.path or "/"
    if auth == "basic":
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return httpc.request(host, port, "GET", path, headers={"Authorization": f"Basic {token}"}, timeout=timeout)
    challenge_reply = httpc.request(host, port, "GET", path, timeout=timeout)
    challenge = digest.parse(challenge_reply.headers.get("www-authenticate", ""))
    if challenge_reply.status != 401 or challenge is None:
        return challenge_reply  # no Digest challenge: report what we got (200 open, timeout, ...)
    header = digest.authorization(challenge, user, password, "GET", path, cnonce=secrets.token_hex(8))
    return httpc.request(host, port, "GET", path, headers={"Authorization": header}, timeout=timeout)


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=5, duration=30.0)
    p.add_argument("--url", required=True)
    p.add_argument("--auth", choices=("basic", "digest"), default="digest")
    p.add_argument("--user", default="admin")
    p.add_argument("--password", default="admin")
    p.add_argument("--rate", type=bounds.positive_float, help="attempts per second (default: back to back)")
    p.add_argument("--timeout", type=bounds.positive_float, default=2.0)
    args = p.parse_args()
    url = urllib.parse.urlsplit(args.url)
    if url.scheme != "http" or not url.hostname:
        bounds.fail("--url", f"{args.url!r} must be http://HOST[:PORT]/PATH")

    deadline, pacer = bounds.Deadline(args.duration), bounds.Pacer(args.rate)
    outcomes: collections.Counter[str] = collections.Counter()
    attempts = 0
    while attempts < args.count and not deadline.expired():
        pacer.wait()
        outcomes[httpc.outcome(attempt(url, args.auth, args.user, args.password, args.timeout))] += 1
        attempts += 1
    bounds.emit({"tool": "http_login", "url": args.url, "auth": args.auth, "user": args.user,
                 "attempts": attempts, "succeeded": outcomes.get("200", 0), "outcomes": dict(outcomes),
                 "seconds": round(deadline.elapsed(), 3)})


if __name__ == "__main__":
    main()
