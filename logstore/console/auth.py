"""Who may use the console, and which form posts are genuine.

Login: when ``logstore serve`` has access keys, every console page but the login form and the static files needs
a session cookie. The form takes an access key id and its secret; if they match a configured key, the console sets
``ls_session`` = ``<key id>.<expiry, epoch s>.<HMAC-SHA256 of both under that key's secret>`` (HttpOnly,
SameSite=Strict, Path=/console). Any worker process can verify it (nothing is held server-side), it expires
after SESSION_S, and it stops working when the key is removed or its secret changes. Without access keys the
console is open, like the API (loopback by default: see docs/console.md).

CSRF: every page sets ``ls_csrf`` (a random token, SameSite=Strict) if missing, and every form carries it in a
hidden ``csrf`` field; a POST is accepted only if the field equals the cookie (compared in constant time) and,
when the browser says where the request came from (``Origin``, ``Sec-Fetch-Site``), it came from this origin.

Pure functions over values; the clock is passed in.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

SESSION_COOKIE = "ls_session"
CSRF_COOKIE = "ls_csrf"
SESSION_S = 12 * 3600


def _sign(secret: str, key_id: str, expires: int) -> str:
    message = f"logstore-console|{key_id}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def login(keys: dict[str, str], key_id: str, secret: str, now_s: int) -> str | None:
    """The session cookie's value if ``key_id``/``secret`` is a configured key, else None."""
    expected = keys.get(key_id)
    if expected is None or not hmac.compare_digest(expected.encode(), secret.encode()):
        return None
    expires = now_s + SESSION_S
    return f"{key_id}.{expires}.{_sign(expected, key_id, expires)}"


def session(keys: dict[str, str], cookie: str | None, now_s: int) -> str | None:
    """The key id of a valid, unexpired session cookie, else None."""
    if not cookie:
        return None
    parts = cookie.rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    key_id, expires, sig = parts[0], int(parts[1]), parts[2]
    secret = keys.get(key_id)
    if secret is None or expires < now_s:
        return None
    return key_id if hmac.compare_digest(_sign(secret, key_id, expires), sig) else None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, field: str | None, headers: dict[str, str]) -> bool:
    """Whether a POST is a genuine form post of this console (see the module docstring)."""
    if not cookie or not field or not hmac.compare_digest(cookie.encode(), field.encode()):
        return False
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    host = headers.get("host")
    if origin is not None and origin != "null" and host is not None:
        if origin.split("://", 1)[-1] != host:
            return False
    return True
