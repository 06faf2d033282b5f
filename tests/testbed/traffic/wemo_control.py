#!/usr/bin/env python3
"""WeMo basicevent SOAP control: switch the plug on/off/toggle or read its state, --count times.

Used both as the legitimate controller (from the LAN or cloud) and as the attacker's "WeMo control
attempts" (unauthenticated SetBinaryState from the uplink side).
"""
from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import bounds, httpc  # noqa: E402

SERVICE = "urn:Belkin:service:basicevent:1"
STATE = re.compile(rb"<BinaryState>\s*([01])\s*</BinaryState>")


def soap(action: str, state: int | None) -> tuple[bytes, dict[str, str]]:
    argument = f"<BinaryState>{state}</BinaryState>" if state is not None else ""
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            f'<u:{action} xmlns:u="{SERVICE}">{argument}</u:{action}></s:Body></s:Envelope>').encode()
    headers = {"Content-Type": 'text/xml; charset="utf-8"', "SOAPAction": f'"{SERVICE}#{action}"'}
    return body, headers


def call(args, action: str, state: int | None) -> tuple[httpc.Reply, int | None]:
    body, headers = soap(action, state)
    reply = httpc.request(args.target, args.port, "POST", "/upnp/control/basicevent1", body=body,
                          headers=headers, timeout=args.timeout)
    m = STATE.search(reply.body) if reply.status == 200 else None
    return reply, int(m.group(1)) if m else None


def main() -> None:
    p = bounds.parser(__doc__.splitlines()[0], count=1, duration=30.0)
    p.add_argument("--target", required=True)
    p.add_argument("--port", type=int, default=49153)
    p.add_argument("--action", choices=("on", "off", "toggle", "get"), default="get")
    p.add_argument("--rate", type=bounds.positive_float, help="requests per second (default: back to back)")
    p.add_argument("--timeout", type=bounds.positive_float, default=2.0)
    args = p.parse_args()

    deadline, pacer = bounds.Deadline(args.duration), bounds.Pacer(args.rate)
    outcomes: collections.Counter[str] = collections.Counter()
    last_state, sent = None, 0
    while sent < args.count and not deadline.expired():
        pacer.wait()
        if args.action == "get":
            reply, state = call(args, "GetBinaryState", None)
        else:
            want = {"on": 1, "off": 0}.get(args.action)
            if want is None:  # toggle: flip what the plug reports (or turn on if unknown)
                want = 1 - (last_state if last_state is not None else call(args, "GetBinaryState", None)[1] or 0)
            reply, state = call(args, "SetBinaryState", want)
        sent += 1
        outcomes[httpc.outcome(reply)] += 1
        last_state = state if state is not None else last_state
    bounds.emit({"tool": "wemo_control", "target": args.target, "action": args.action, "requests": sent,
                 "succeeded": outcomes.get("200", 0), "outcomes": dict(outcomes), "binaryState": last_state,
                 "seconds": round(deadline.elapsed(), 3)})


if __name__ == "__main__":
    main()
