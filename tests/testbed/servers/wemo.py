#!/usr/bin/env python3
"""Fake Belkin WeMo Insight plug (UPnP basicevent service) for the testbed's <prefix>-wemo namespace.

Real WeMo plugs accept unauthenticated SOAP on port 49153; that is exactly why KalKi guards them.
Supported: GET /setup.xml (discovery) and POST /upnp/control/basicevent1 with SOAPAction
GetBinaryState / SetBinaryState.
"""
from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import serverbase  # noqa: E402

SERVICE = "urn:Belkin:service:basicevent:1"
BINARY_STATE = re.compile(rb"<BinaryState>\s*([01])\s*</BinaryState>")
SETUP_XML = b"""<?xml version="1.0"?>
<root xmlns="urn:Belkin:device-1-0"><device>
<deviceType>urn:Belkin:device:insight:1</deviceType><friendlyName>Testbed Insight</friendlyName>
<manufacturer>Belkin International Inc.</manufacturer><modelName>Insight</modelName>
<serviceList><service><serviceType>urn:Belkin:service:basicevent:1</serviceType>
<controlURL>/upnp/control/basicevent1</controlURL></service></serviceList>
</device></root>"""


def soap_response(action: str, state: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        f'<u:{action}Response xmlns:u="{SERVICE}"><BinaryState>{state}</BinaryState></u:{action}Response>'
        "</s:Body></s:Envelope>"
    ).encode()


class Plug:
    def __init__(self):
        self.lock = threading.Lock()
        self.state = 0


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
                plug.state = int(m.group(1))
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
