#!/usr/bin/env python3
"""MUD file server (RFC 8520) for live tests: serves the files of --dir over HTTPS, nothing else.

GET /mud/NAME returns --dir/NAME (a MUD file, or its detached CMS signature NAME.p7s) when it exists, else 404;
every request is logged with its path, so a test sees what the appliance fetched. The TLS certificate and key
(PEM) are the test's own, issued for the address the server binds. --port 0 binds a free port; the "started"
event of the log names it.
"""
from __future__ import annotations

import ssl
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tblib import serverbase  # noqa: E402

MAX_FILE_BYTES = 512 * 1024


class MudHandler(serverbase.QuietHandler):
    root: Path = Path("/nonexistent")

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()  # in this client's thread, bounded by its timeout

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        name = self.path.removeprefix("/mud/")
        path = self.root / name
        if name == self.path or "/" in name or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            self.reply(404, b"not found\n", "text/plain")
            self.record(404)
            return
        kind = "application/pkcs7-signature" if name.endswith(".p7s") else "application/mud+json"
        self.reply(200, path.read_bytes(), kind)
        self.record(200)


def main() -> None:
    p = serverbase.parser(__doc__.splitlines()[0], default_port=443)
    p.add_argument("--dir", required=True, help="folder of the MUD files and their .p7s signatures")
    p.add_argument("--cert", required=True, help="server certificate (PEM)")
    p.add_argument("--key", required=True, help="server private key (PEM)")
    args = p.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    handler = type("Handler", (MudHandler,), {"root": Path(args.dir)})

    def tls(server) -> None:
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)

    serverbase.run(args, "mud", serverbase.Service(serverbase.BoundedHTTPServer, handler, args.port, tls))


if __name__ == "__main__":
    main()
