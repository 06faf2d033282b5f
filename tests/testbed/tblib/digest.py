"""HTTP Digest (RFC 7616, MD5, qop=auth) pieces shared by the camera server and the login tool."""
from __future__ import annotations

import hashlib
import re

PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 (Digest-MD5 is what the device speaks)


def parse(header: str) -> dict[str, str] | None:
    """Parameters of a `Digest k=v, k="v"` header (WWW-Authenticate or Authorization), lower-cased keys."""
    if not header.startswith("Digest "):
        return None
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in PARAM.finditer(header[7:])}


def response(user: str, realm: str, password: str, method: str, uri: str, nonce: str,
             qop: str | None, nc: str, cnonce: str) -> str:
    ha1 = md5(f"{user}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    if qop == "auth":
        return md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
    return md5(f"{ha1}:{nonce}:{ha2}")


def authorization(challenge: dict[str, str], user: str, password: str, method: str, uri: str,
                  cnonce: str, nc: str = "00000001") -> str:
    """The Authorization header answering a parsed WWW-Authenticate challenge."""
    qop = "auth" if "auth" in (challenge.get("qop") or "").split(",") else None
    realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
    value = (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
             f'response="{response(user, realm, password, method, uri, nonce, qop, nc, cnonce)}", algorithm=MD5')
    if qop:
        value += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
    return value
