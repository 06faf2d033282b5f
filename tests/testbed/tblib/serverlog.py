"""Size-bounded JSON-lines event log for the fake device servers.

Tests read these logs to learn what actually reached a device (e.g. "no attacker request arrived
after the state change"), so each event is one JSON object per line. The size cap keeps a flood or a
brute force from filling the disk.
"""
from __future__ import annotations

import json
import os
import threading
import time
from typing import Any


class ServerLog:
    def __init__(self, path: str, server: str, max_bytes: int = 16 * 1024 * 1024):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._file = open(path, "a", encoding="utf-8", buffering=1)
        self._server = server
        self._max = max_bytes
        self._written = self._file.tell()
        self._capped = False
        self._lock = threading.Lock()  # servers are threaded; keep lines whole

    def event(self, kind: str, **fields: Any) -> None:
        record = {"t": round(time.time(), 6), "server": self._server, "event": kind, **fields}
        line = json.dumps(record, sort_keys=True) + "\n"
        with self._lock:
            if self._capped:
                return
            if self._written + len(line) > self._max:
                self._capped = True
                line = json.dumps({"t": time.time(), "server": self._server, "event": "log-capped",
                                   "maxBytes": self._max}) + "\n"
            self._file.write(line)
            self._written += len(line)
