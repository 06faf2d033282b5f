"""Tiny HTTP client on http.client: one fresh connection per request and no hidden retries.

urllib's auth handlers silently retry (Digest up to 5 times per failure), which would turn one login
attempt into six and skew max-login-attempts counts; the attack tools need one request = one attempt.
"""
from __future__ import annotations

import http.client
from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int | None          # None when no HTTP answer came back (refused, timeout, reset)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def request(host: str, port: int, method: str, path: str, *, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 2.0) -> Reply:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.read(64 * 1024), {k.lower(): v for k, v in response.getheaders()})
    except (OSError, http.client.HTTPException) as e:
        return Reply(None, error=f"{type(e).__name__}: {e}")
    finally:
        conn.close()


def outcome(reply: Reply) -> str:
    """A short label for result histograms: the status code, or the kind of transport failure."""
    if reply.status is not None:
        return str(reply.status)
    if reply.error and "timed out" in reply.error:
        return "timeout"
    if reply.error and "refused" in reply.error.lower():
        return "refused"
    return "error"
