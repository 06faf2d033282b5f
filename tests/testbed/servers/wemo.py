#!/usr/bin/env python3
"""Fake Belkin WeMo Insight plug (UPnP basicevent service) for the testbed's <prefix>-wemo namespace.

Real WeMo plugs accept unauthenticated SOAP on port 49153; that is exactly why KalKi guards them.
Supported: GET /setup.xml (discovery), POST /upnp/control/basicevent1 with SOAPAction
GetBinaryState / SetBinaryState, and POST /upnp/control/insight1 GetInsightParams (the draw of the
heater it drives while on, 1,200 W, and today's energy).
"""
from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import serverbase  # noqa: E402

SERVICE = "urn:Belkin:service:basicevent:1"
INSIGHT = "urn:Belkin:service:insight:1"
HEATER_MW = 1_200_000
BINARY_STATE = re.compile(rb"<BinaryState>\s*([01])\s*</BinaryState>")
SETUP_XML = b"""<?xml version="1.0"?>
<root xmlns="urn:Belkin:device-1-0"><device>
<deviceType>urn:Belkin:device:insight:1</deviceType><friendlyName>Testbed Insight</friendlyName>
<manufacturer>Belkin International Inc.</manufacturer><modelName>Insight</modelName>
<serviceList><service><serviceType>urn:Belkin:service:basicevent:1</serviceType>
<controlURL>/upnp/control/basicevent1</controlURL></service></serviceList>
</device></root>"""


def soap_response(action: str, state: int, service: str = SERVICE, content: str | None = None) -> bytes:
    content = f"<BinaryState>{state}</BinaryState>" if content is None else content
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        f'<u:{action}Response xmlns:u="{service}">{content}</u:{action}Response>'
        "</s:Body></s:Envelope>"
    ).encode()


class Plug:
    def __init__(self):
        self.lock = threading.Lock()
        self.state = 0
        self.on_since = 0.0
        self.energy_mw_min = 0.0  # today's energy, milliwatt-minutes

    def switch(self, state: int) -> None:
        now = time.monotonic()
        if self.state:
            self.energy_mw_min += HEATER_MW * (now - self.on_since) / 60
        self.state, self.on_since = state, now

    def insight(self) -> str:
        """state|lastchange|onfor|ontoday|ontotal|period|x|currentmw|todaymw|totalmw|threshold."""
        self.switch(self.state)  # books the energy up to now
        current = HEATER_MW if self.state else 0
        today = int(self.energy_mw_min)
        return f"{self.state}|1733300000|0|0|0|1209600|20|{current}|{today}|{today}|8000"


class Handler(serverbase.QuietHandler):
    server_version = "Unspecified, UPnP/1.0, Unspecified"

    def do_GET(self) -> None:
        status = 200 if self.path == "/setup.xml" else 404
        self.reply(status, SETUP_XML if status == 200 else b"", "text/xml")
        self.record(status)

    def do_POST(self) -> None:
        body = self.body()
        action = (self.headers.get("SOAPAction") or "").strip('"').rpartition("#")[2]
        plug = self.server.plug
        if self.path == "/upnp/control/insight1" and action == "GetInsightParams":
            with plug.lock:
                params, state = plug.insight(), plug.state
            self.reply(200, soap_response(action, state, INSIGHT, f"<InsightParams>{params}</InsightParams>"),
                       'text/xml; charset="utf-8"')
            self.record(200, action=action, binaryState=state)
            return
        if self.path != "/upnp/control/basicevent1" or action not in ("GetBinaryState", "SetBinaryState"):
            self.reply(500, b"<s:Fault>Invalid Action</s:Fault>", "text/xml")
            self.record(500, action=action)
            return
        with plug.lock:
            if action == "SetBinaryState":
                m = BINARY_STATE.search(body)
                if not m:
                    self.reply(500, b"<s:Fault>Invalid Args</s:Fault>", "text/xml")
                    self.record(500, action=action)
                    return
                plug.switch(int(m.group(1)))
            state = plug.state
        self.reply(200, soap_response(action, state), 'text/xml; charset="utf-8"')
        self.record(200, action=action, binaryState=state)


def main() -> None:
    args = serverbase.parser(__doc__.splitlines()[0], default_port=49153).parse_args()
    plug = Plug()
    serverbase.run(args, "wemo", serverbase.Service(serverbase.BoundedHTTPServer, Handler, args.port,
                                                    lambda s: setattr(s, "plug", plug)))


if __name__ == "__main__":
    main()
