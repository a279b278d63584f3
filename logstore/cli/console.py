"""``logstore console PATH``: the web console (logstore/console, docs/console.md) over a store directory,
read-only: the store is opened with ``readonly=True`` (no writer lock, not a byte changed; another process may be
writing it), the pages show no write control and every write route answers 403. Prints the console's URL, then
serves until Ctrl-C or SIGTERM.

Binds to 127.0.0.1 by default, like ``serve``; another ``--host`` is allowed, with a warning (no login: the
console over a directory has no access keys to check).
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket

import click

from .common import CommandError

log = logging.getLogger("logstore.console")


class _Root:
    """The console at /console/, and a redirect to it from anywhere else."""

    def __init__(self, console):
        self.console = console

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path.startswith(self.console.prefix + "/"):
            return await self.console(scope, receive, send)
        await send({"type": "http.response.start", "status": 307,
                    "headers": [(b"location", (self.console.prefix + "/").encode()), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


@click.command()
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="port (0: any free port)")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
def console(path: str, host: str, port: int, log_level: str) -> None:
    """Serve the web console over the store at PATH, read-only; prints its URL."""
    import uvicorn   # imported here, so that other commands do not pay for it

    import logstore
    from logstore.console import Console
    from logstore.errors import LogstoreError

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not os.path.isdir(path):
        raise CommandError(f"{path}: no such store directory")
    try:
        store = logstore.open(path, readonly=True)
    except LogstoreError as e:
        raise CommandError(str(e)) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s: anyone who can reach this port can read the store (read-only, no login)",
                    host)
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as e:
        store.close()
        raise CommandError(f"cannot listen on {host}:{port}: {e}") from None
    bound = sock.getsockname()[1]
    app = _Root(Console(lambda: contextlib.nullcontext(store), os.path.abspath(path), readonly=True))
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"logstore console (read-only) of {os.path.abspath(path)}: http://{shown}:{bound}/console/",
               nl=True)
    try:
        config = uvicorn.Config(app, http="httptools", loop="auto", lifespan="off", log_level=log_level,
                                access_log=False, server_header=False, date_header=False)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        store.close()
