#!/usr/bin/env python3
"""Fake Philips Hue bridge (v1 REST API subset) for the testbed's <prefix>-hue namespace.

Just enough of the API for KalKi's Hue scenarios: the monitor reads lights, the policy sends
`PUT .../lights/<id>/state`, and an attacker brute-forcing usernames gets exactly what a real bridge
answers: HTTP 200 with a JSON error list, type 1 "unauthorized user".
"""
from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import serverbase  # noqa: E402

API = re.compile(r"^/api/([^/]+)(/.*)?$")
LIGHT_STATE = re.compile(r"^/lights/(\d+)/state$")
LIGHT = re.compile(r"^/lights/(\d+)$")


def hue_error(kind: int, address: str, description: str) -> list[dict]:
    return [{"error": {"type": kind, "address": address, "description": description}}]


class Bridge:
    """The bridge's mutable state: three lights, guarded by a lock because the server is threaded."""

    def __init__(self, token: str):
        self.token = token
        self.lock = threading.Lock()
        self.lights = {
            str(i): {"name": f"Hue light {i}", "type": "Extended color light", "modelid": "LCT015",
                     "state": {"on": False, "bri": 254, "hue": 8418, "sat": 140, "reachable": True}}
            for i in (1, 2, 3)
        }

    def get(self, resource: str):
        with self.lock:
            if resource in ("", "/"):
                return {"lights": self.lights, "config": {"name": "Philips hue", "apiversion": "1.50.0"}}
            if resource == "/lights":
                return self.lights
            if resource == "/config":
                return {"name": "Philips hue", "apiversion": "1.50.0", "swversion": "1950207110"}
            m = LIGHT.match(resource)
            if m and m.group(1) in self.lights:
                return self.lights[m.group(1)]
        return hue_error(3, resource, f"resource, {resource}, not available")

    def put_state(self, light: str, changes: dict) -> list[dict]:
        with self.lock:
            if light not in self.lights:
                return hue_error(3, f"/lights/{light}/state", f"resource, /lights/{light}/state, not available")
            state = self.lights[light]["state"]
            result = []
            for key, value in changes.items():
                if key in ("on", "bri", "hue", "sat", "ct", "alert", "effect", "transitiontime"):
                    state[key] = value
                    result.append({"success": {f"/lights/{light}/state/{key}": value}})
                else:
                    result.extend(hue_error(6, f"/lights/{light}/state/{key}",
                                            f"parameter, {key}, not available"))
            return result


class Handler(serverbase.QuietHandler):
    server_version = "nginx"  # what a real bridge's HTTP server calls itself

    def _json(self, payload, auth: str) -> None:
        self.reply(200, json.dumps(payload).encode(), "application/json")
        self.record(200, auth=auth)

    def _route(self) -> tuple[str | None, str]:
        m = API.match(self.path.split("?", 1)[0])
        if not m:
            return None, ""
        return m.group(1), m.group(2) or ""

    def do_GET(self) -> None:
        if self.path == "/description.xml":
            xml = b"<?xml version=\"1.0\"?><root><device><modelName>Philips hue bridge 2015</modelName></device></root>"
            self.reply(200, xml, "text/xml")
            self.record(200)
            return
        token, resource = self._route()
        if token is None:
            self.reply(404, b"", "text/plain")
            self.record(404)
        elif token != self.server.bridge.token:
            self._json(hue_error(1, resource or "/", "unauthorized user"), "unauthorized")
        else:
            self._json(self.server.bridge.get(resource), "ok")

    def do_PUT(self) -> None:
        token, resource = self._route()
        body = self.body()
        m = LIGHT_STATE.match(resource)
        if token is None or not m:
            self._json(hue_error(3, resource, f"resource, {resource}, not available"), "n/a")
        elif token != self.server.bridge.token:
            self._json(hue_error(1, resource, "unauthorized user"), "unauthorized")
        else:
            try:
                changes = json.loads(body or b"{}")
            except ValueError:
                self._json(hue_error(2, resource, "body contains invalid json"), "ok")
                return
            self._json(self.server.bridge.put_state(m.group(1), changes), "ok")

    def do_POST(self) -> None:
        # Creating a user needs the physical link button; the fake bridge's button is never pressed.
        self.body()
        self._json(hue_error(101, "", "link button not pressed"), "n/a")


def main() -> None:
    p = serverbase.parser(__doc__.splitlines()[0], default_port=80)
    p.add_argument("--token", required=True, help="the one whitelisted API username")
    args = p.parse_args()
    bridge = Bridge(args.token)
    serverbase.run(args, "hue", serverbase.Service(serverbase.BoundedHTTPServer, Handler, args.port,
                                                   lambda s: setattr(s, "bridge", bridge)))


if __name__ == "__main__":
    main()
