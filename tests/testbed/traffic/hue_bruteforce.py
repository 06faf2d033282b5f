#!/usr/bin/env python3
"""Hue API username brute force: GET /api/<random username>/lights until --count or --duration.

A real bridge answers every wrong guess with HTTP 200 and a type-1 "unauthorized user" error, so
success is judged from the JSON body, not the status. --hit K makes guess number K the real token
(read it from `testbed.sh status --json`), to script a brute force that eventually succeeds.
"""
from __future__ import annotations

import collections
import json
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, httpc  # noqa: E402


def classify(reply: httpc.Reply) -> str:
    if reply.status != 200:
        return httpc.outcome(reply)
    try:
        body = json.loads(reply.body)
    except ValueError:
        return "bad-json"
    if isinstance(body, list) and body and "error" in body[0]:
        return "unauthorized" if body[0]["error"].get("type") == 1 else f"hue-error-{body[0]['error'].get('type')}"
    return "authorized"


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=50, duration=30.0)
    p.add_argument("--target", required=True)
    p.add_argument("--port", type=int, default=80)
    p.add_argument("--token", help="the real username, used for guess number --hit")
    p.add_argument("--hit", type=bounds.positive_count, help="1-based guess that uses --token")
    p.add_argument("--rate", type=bounds.positive_float, help="guesses per second (default: back to back)")
    p.add_argument("--timeout", type=bounds.positive_float, default=2.0)
    args = p.parse_args()
    if (args.hit is None) != (args.token is None):
        bounds.fail("--hit/--token", "give both or neither")

    deadline, pacer = bounds.Deadline(args.duration), bounds.Pacer(args.rate)
    outcomes: collections.Counter[str] = collections.Counter()
    guesses = 0
    while guesses < args.count and not deadline.expired():
        pacer.wait()
        guesses += 1
        username = args.token if guesses == args.hit else secrets.token_hex(20)
        reply = httpc.request(args.target, args.port, "GET", f"/api/{username}/lights", timeout=args.timeout)
        outcomes[classify(reply)] += 1
    bounds.emit({"tool": "hue_bruteforce", "target": args.target, "guesses": guesses,
                 "authorized": outcomes.get("authorized", 0), "outcomes": dict(outcomes),
                 "seconds": round(deadline.elapsed(), 3)})


if __name__ == "__main__":
    main()
