"""The console application: an ASGI app serving the pages (pages.py) below a prefix (``/console``), with the
login and CSRF rules of auth.py, the static files of ``static/`` and the Jinja2 templates of ``templates/``.

Made by ``logstore serve`` (server/app.py: writable, the server's store and access keys) and by ``logstore
console`` (cli/console.py: read-only, no keys, loopback). In a read-only console no write route exists: a POST
to one is 403 and no page shows a write control.

Errors: a store error (``AwsError``: a bad expression, a missing table) is shown on the page with AWS's code and
message and status 400 (404 for a missing resource); damaged data (``CorruptionError``) is a 500 page saying
where, never a page of wrong data; anything else is logged and is a 500 page without details.

Thread-safety: handlers run on a thread pool; the app holds only immutable settings and the template cache.
"""
from __future__ import annotations

import concurrent.futures
import logging
import mimetypes
import re
import time
from importlib import resources
from urllib.parse import quote

import jinja2

from logstore.errors import AwsError, CorruptionError, ResourceNotFoundException

from . import auth, pages, web
from .source import Source, StoreProvider

log = logging.getLogger("logstore.console")

PREFIX = "/console"
STATIC = ("console.css", "console.js")

ROUTES: list[tuple[str, re.Pattern, str]] = [(m, re.compile(p + r"\Z"), h) for m, p, h in [
    ("GET", r"/", "tables"),
    ("GET", r"/tables/(?P<table>[^/]+)/items", "items"),
    ("GET", r"/tables/(?P<table>[^/]+)/item", "item"),
    ("GET", r"/tables/(?P<table>[^/]+)/new", "new_item"),
    ("POST", r"/tables/(?P<table>[^/]+)/put", "put_item"),
    ("GET", r"/tables/(?P<table>[^/]+)/delete", "confirm_delete"),
    ("POST", r"/tables/(?P<table>[^/]+)/delete", "delete_item"),
    ("GET", r"/stream", "stream"),              # streams by ARN, in the query: an ARN holds slashes
    ("GET", r"/stream/records", "records"),
    ("GET", r"/stream/tail", "tail"),
    ("GET", r"/stream/tail\.json", "tail_json"),
    ("GET", r"/store", "store"),
]]
WRITES = {"put_item", "delete_item", "new_item", "confirm_delete"}


class Console:
    def __init__(self, provider: StoreProvider, path: str, *, readonly: bool, keys: dict[str, str] | None = None,
                 pool: concurrent.futures.Executor | None = None, prefix: str = PREFIX):
        self.source = Source(provider, path, readonly)
        self.readonly = readonly
        self.keys = keys or None
        self.prefix = prefix
        self.pool = pool or concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="logstore-console")
        self.templates = jinja2.Environment(loader=jinja2.PackageLoader("logstore.console", "templates"),
                                            autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                            undefined=jinja2.StrictUndefined)
        self.templates.filters["q"] = lambda s: quote(str(s), safe="")
        self._static = {name: resources.files("logstore.console").joinpath("static", name).read_bytes()
                        for name in STATIC}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        await web.serve_asgi(scope, receive, send, self.prefix, self.handle, self.pool)

    # -- one request ---------------------------------------------------------------------------------------------

    def handle(self, request: web.Request) -> web.Response:
        try:
            return self._handle(request)
        except AwsError as exc:
            status = 404 if isinstance(exc, ResourceNotFoundException) else 400
            return self.render(request, "error.html", status=status, code=exc.aws_type(), message=exc.message)
        except CorruptionError as exc:   # damaged data is reported, never served
            log.error("console %s %s: %s", request.method, request.path, exc)
            return self.render(request, "error.html", status=500, code="CorruptionError",
                               message=f"{exc} -- the store is damaged here; the Store page's check reports "
                                       "every problem.")
        except Exception:  # the border: logged, no details to the browser
            log.exception("console %s %s: unexpected error", request.method, request.path)
            return self.render(request, "error.html", status=500, code="InternalServerError",
                               message="The console failed to answer; the server's log has the details.")

    def _handle(self, request: web.Request) -> web.Response:
        path = request.path
        if path.startswith("/static/"):
            name = path[len("/static/"):]
            if request.method != "GET" or name not in self._static:
                return web.Response(404, "not found", "text/plain; charset=utf-8")
            return web.Response(200, self._static[name], mimetypes.guess_type(name)[0] or "text/plain", cache=True)
        request.state["csrf"] = request.cookies.get(auth.CSRF_COOKIE) or auth.new_csrf_token()
        response = self._route(request)
        if request.cookies.get(auth.CSRF_COOKIE) != request.state["csrf"]:
            response.with_cookie(auth.CSRF_COOKIE, request.state["csrf"], self.prefix)
        return response

    def _route(self, request: web.Request) -> web.Response:
        now_s = int(time.time())
        if request.path in ("/login", "/logout"):
            return self._login(request, now_s)
        if self.keys is not None:
            user = auth.session(self.keys, request.cookies.get(auth.SESSION_COOKIE), now_s)
            if user is None:
                target = request.prefix + request.path
                return web.redirect(request.url("/login?next=" + quote(target, safe="")))
            request.state["user"] = user
        for method, pattern, name in ROUTES:
            match = pattern.match(request.path)
            if match is None:
                continue
            if method != request.method:
                continue
            if name in WRITES and self.readonly:
                return self.render(request, "error.html", status=403, code="AccessDeniedException",
                                   message="This console is read-only (logstore console): it never writes.")
            if request.method == "POST" and not auth.csrf_ok(request.cookies.get(auth.CSRF_COOKIE),
                                                            request.form.get("csrf"), request.headers):
                return self.render(request, "error.html", status=403, code="AccessDeniedException",
                                   message="The form's CSRF token is missing or wrong: reload the page and "
                                           "try again.")
            return getattr(pages, name)(self, request, **match.groupdict())
        if any(p.match(request.path) for _, p, _ in ROUTES):
            return web.Response(405, "method not allowed", "text/plain; charset=utf-8")
        return self.render(request, "error.html", status=404, code="NotFound",
                           message=f"No console page at {request.prefix}{request.path}")

    def _login(self, request: web.Request, now_s: int) -> web.Response:
        if request.path == "/logout":
            if request.method != "POST" or not auth.csrf_ok(request.cookies.get(auth.CSRF_COOKIE),
                                                             request.form.get("csrf"), request.headers):
                return web.Response(405, "log out with the button", "text/plain; charset=utf-8")
            return web.redirect(request.url("/login")).with_cookie(auth.SESSION_COOKIE, "", self.prefix, 0)
        target = request.form.get("next") or request.arg("next") or request.url("/")
        if not target.startswith(self.prefix + "/"):
            target = request.url("/")
        if self.keys is None:
            return web.redirect(target)
        error = None
        if request.method == "POST":
            if not auth.csrf_ok(request.cookies.get(auth.CSRF_COOKIE), request.form.get("csrf"), request.headers):
                error = "The form's CSRF token is missing or wrong: try again."
            else:
                cookie = auth.login(self.keys, request.form.get("key_id", ""), request.form.get("secret", ""),
                                    now_s)
                if cookie is not None:
                    return web.redirect(target).with_cookie(auth.SESSION_COOKIE, cookie, self.prefix,
                                                            auth.SESSION_S)
                error = "Unknown access key id or wrong secret."
        return self.render(request, "login.html", status=401 if error else 200, error=error, next=target)

    # -- rendering -----------------------------------------------------------------------------------------------

    def render(self, request: web.Request, template: str, status: int = 200, **context) -> web.Response:
        context.update(base=self.prefix, csrf=request.state.get("csrf", ""), readonly=self.readonly,
                       user=request.state.get("user"), login_needed=self.keys is not None)
        return web.Response(status, self.templates.get_template(template).render(**context))

