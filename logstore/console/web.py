"""The console's small HTTP vocabulary over ASGI: a parsed ``Request`` (method, path below the console's prefix,
query and form fields, cookies, headers), a ``Response``, and ``serve_asgi``, which reads a request's body (bounded),
runs a synchronous handler on a thread pool (store reads block), and sends the response.

Security headers on every response: a Content-Security-Policy allowing only the console's own scripts and styles
(no inline script, no other origin), ``X-Frame-Options: DENY`` (no clickjacking of the write forms), no sniffing,
no referrer, and ``Cache-Control: no-store`` for pages (they show live data).

Thread-safety: values only; ``serve_asgi`` may run any number of requests at once.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

MAX_FORM = (1 << 20) + (1 << 19)  # a form carries at most an item (DynamoDB's 400 KB) and its JSON overhead

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


@dataclass
class Request:
    method: str
    path: str                       # below the prefix, starting with "/"
    query: dict[str, str]
    form: dict[str, str]
    cookies: dict[str, str]
    headers: dict[str, str]
    prefix: str = "/console"
    state: dict = field(default_factory=dict)   # filled by the app: the CSRF token, the login

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, default)

    def url(self, path: str) -> str:
        return self.prefix + path


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    cache: bool = False

    def with_cookie(self, name: str, value: str, path: str, max_age: int | None = None) -> "Response":
        attrs = f"{name}={value}; Path={path}; HttpOnly; SameSite=Strict"
        if max_age is not None:
            attrs += f"; Max-Age={max_age}"
        self.headers.append(("set-cookie", attrs))
        return self


def redirect(location: str, status: int = 303) -> Response:
    return Response(status=status, headers=[("location", location)])


def _fields(raw: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def parse(scope, body: bytes, prefix: str) -> Request:
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower()
        headers[key] = value.decode("latin-1")
    cookies: dict[str, str] = {}
    if "cookie" in headers:
        jar = SimpleCookie()
        try:
            jar.load(headers["cookie"])
        except Exception:  # a malformed cookie header is as good as none
            jar = SimpleCookie()
        cookies = {k: m.value for k, m in jar.items()}
    form = {}
    if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = _fields(body.decode("utf-8", "replace"))
    path = scope["path"][len(prefix):] or "/"
    return Request(scope["method"], path, _fields(scope.get("query_string", b"").decode("latin-1")), form, cookies,
                   headers, prefix)


class _Gone(Exception):
    """The client went away before its request's body was whole: nothing runs (a partial form is never acted
    on), and there is nobody to answer."""


async def _read_body(receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def serve_asgi(scope, receive, send, prefix: str, handle, pool) -> None:
    """Answer one HTTP request with ``handle(Request) -> Response`` run on ``pool``."""
    try:
        body = await _read_body(receive, MAX_FORM)
    except _Gone:
        return
    if body is None:
        return await send_response(send, Response(413, "request too large", "text/plain; charset=utf-8"))
    request = parse(scope, body, prefix)
    response = await asyncio.get_running_loop().run_in_executor(pool, handle, request)
    await send_response(send, response)


async def send_response(send, response: Response) -> None:
    body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
    headers = [(b"content-type", response.content_type.encode()), (b"content-length", str(len(body)).encode())]
    headers += SECURITY_HEADERS
    headers.append((b"cache-control", b"max-age=3600" if response.cache else b"no-store"))
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
