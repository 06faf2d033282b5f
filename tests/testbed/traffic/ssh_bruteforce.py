#!/usr/bin/env python3
"""SSH brute force against the testbed's SSH-like service: one TCP connection per guess.

Each connection reads the server's SSH banner, sends a client banner and one `AUTH user password`
line (see servers/sshlike.py), the way password-guessing bots open a fresh session per try, which is
what SSH brute-force detection counts. Passwords come from --passwords (comma list, cycled) or are
generated; --hit K makes guess K use --password (to script an eventual success).
"""
from __future__ import annotations

import collections
import secrets
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds  # noqa: E402

CLIENT_BANNER = b"SSH-2.0-libssh_0.9.6\r\n"


def guess(target: str, port: int, user: str, password: str, timeout: float) -> tuple[str, str | None]:
    """One connection, one guess. Returns (outcome, server banner)."""
    try:
        with socket.create_connection((target, port), timeout=timeout) as s:
            reader = s.makefile("rb")
            banner = reader.readline(256).decode("latin-1").strip()
            s.sendall(CLIENT_BANNER + f"AUTH {user} {password}\n".encode())
            answer = reader.readline(64).strip()
    except TimeoutError:
        return "timeout", None
    except ConnectionRefusedError:
        return "refused", None
    except OSError:
        return "reset", None
    return {b"OK": "accepted", b"DENIED": "denied"}.get(answer, "closed"), banner


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=20, duration=30.0)
    p.add_argument("--target", required=True)
    p.add_argument("--port", type=int, default=22)
    p.add_argument("--user", default="root")
    p.add_argument("--passwords", help="comma-separated guesses, cycled (default: random strings)")
    p.add_argument("--password", help="the right password, used for guess number --hit")
    p.add_argument("--hit", type=bounds.positive_count)
    p.add_argument("--rate", type=bounds.positive_float, help="connections per second (default: back to back)")
    p.add_argument("--timeout", type=bounds.positive_float, default=2.0)
    args = p.parse_args()
    wordlist = args.passwords.split(",") if args.passwords else None

    deadline, pacer = bounds.Deadline(args.duration), bounds.Pacer(args.rate)
    outcomes: collections.Counter[str] = collections.Counter()
    banner, tries = None, 0
    while tries < args.count and not deadline.expired():
        pacer.wait()
        tries += 1
        if tries == args.hit and args.password:
            password = args.password
        else:
            password = wordlist[(tries - 1) % len(wordlist)] if wordlist else secrets.token_hex(4)
        outcome, seen = guess(args.target, args.port, args.user, password, min(args.timeout, max(0.05, deadline.remaining())))
        outcomes[outcome] += 1
        banner = banner or seen
    bounds.emit({"tool": "ssh_bruteforce", "target": args.target, "port": args.port, "user": args.user,
                 "attempts": tries, "accepted": outcomes.get("accepted", 0), "outcomes": dict(outcomes),
                 "banner": banner, "seconds": round(deadline.elapsed(), 3)})


if __name__ == "__main__":
    main()
