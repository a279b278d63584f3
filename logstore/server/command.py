"""``logstore serve``: run the DynamoDB + DynamoDB Streams HTTP server over a store directory.

Runs uvicorn (httptools parser, uvloop when installed) in this process; with ``--workers N``, uvicorn binds the port
once and runs N worker processes over the same store (LMDB serves several processes; group commit works among the
threads of each; the test endpoints need one worker). SIGTERM and Ctrl-C stop accepting connections, let in-flight
requests finish (up to ``--graceful-timeout`` seconds), then close the store. See docs/server.md.

Owns only option parsing and start-up; the protocol is app.py's.
"""
from __future__ import annotations

import logging
import os

import click

from .limits import DEFAULT_MAX_BODY

log = logging.getLogger("logstore.server")


@click.command()
@click.argument("path", default="logstore-data", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="port (0: any free port, printed)")
@click.option("--access-key", "access_keys", multiple=True, metavar="ID:SECRET",
              help="accept requests signed (SigV4) with this key; repeatable. Also LOGSTORE_ACCESS_KEYS "
                   "(comma-separated). Without any, every request is accepted.")
@click.option("--max-body", default=DEFAULT_MAX_BODY, show_default=True, type=click.IntRange(1),
              help="largest request body in bytes; larger ones are refused (413) without being read")
@click.option("--max-request-line", default=16 * 1024, show_default=True, type=click.IntRange(1),
              help="longest HTTP request line in bytes; longer ones are refused (400)")
@click.option("--max-header-bytes", default=64 * 1024, show_default=True, type=click.IntRange(1),
              help="largest HTTP header block in bytes; larger ones are refused (400)")
@click.option("--max-headers", default=100, show_default=True, type=click.IntRange(1),
              help="most HTTP header fields in a request; more are refused (400)")
@click.option("--body-timeout", default=60.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="seconds a request's whole body may take to arrive (then 408, and nothing runs)")
@click.option("--body-budget", default=64 * 1024 * 1024, show_default=True, type=click.IntRange(1),
              help="request-body bytes each worker holds at once; requests beyond it wait, then ThrottlingException")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(1), help="threads running store calls")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="processes serving the store (reads scale with them; writes group-commit within each)")
@click.option("--maintenance-interval", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="seconds between background rollover, retention trim and TTL sweeps (0: never)")
@click.option("--rollover-seconds", default=None, type=click.FloatRange(min=0, min_open=True),
              help="close and replace open shards older than this (default 4 hours)")
@click.option("--region", default="us-east-1", show_default=True, help="region named in ARNs")
@click.option("--enable-test-endpoints", is_flag=True,
              help="FOR TESTS ONLY: POST /moto-api/reset wipes all state; /logstore-admin/* split shards and "
                   "move the clock")
@click.option("--graceful-timeout", default=30.0, show_default=True, type=click.FloatRange(min=0),
              help="seconds to let in-flight requests finish on SIGTERM/Ctrl-C")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--access-log", is_flag=True, help="log a line per request (off by default: it costs throughput)")
@click.option("--no-console", is_flag=True, help="do not serve the web console at /console/ (docs/console.md)")
def serve(path, host, port, access_keys, max_body, max_request_line, max_header_bytes, max_headers, body_timeout,
          body_budget, threads, workers, maintenance_interval, rollover_seconds, region,
          enable_test_endpoints, graceful_timeout, log_level, access_log, no_console) -> None:
    """Serve DynamoDB and DynamoDB Streams over HTTP from the store at PATH (created if missing)."""
    import uvicorn   # imported here, so that other commands do not pay for the server's imports

    from .app import Settings
    from .auth import parse_keys
    from .protocol import LimitedHttpToolsProtocol

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    specs = list(access_keys) + [s for s in os.environ.get("LOGSTORE_ACCESS_KEYS", "").split(",") if s]
    try:
        keys = parse_keys(specs) or None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--access-key") from None
    if workers > 1 and enable_test_endpoints:
        raise click.BadParameter("the test endpoints need a single worker (a reset must hold the only open copy "
                                 "of the store)", param_hint="--workers")
    settings = Settings(path=os.path.abspath(path), keys=keys, max_body=max_body, threads=threads,
                        test_endpoints=enable_test_endpoints, region=region,
                        maintenance_interval=maintenance_interval or None, workers=workers, console=not no_console,
                        max_request_line=max_request_line, max_header_bytes=max_header_bytes,
                        max_headers=max_headers, body_timeout=body_timeout, body_budget=body_budget,
                        rollover_ms=int(rollover_seconds * 1000) if rollover_seconds is not None else None)
    if keys is None:
        log.warning("no access keys configured: every request is accepted, signed or not")
        if host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("listening on %s without access keys: anyone who can reach this port can read and write",
                        host)
    else:
        log.info("SigV4 verification on, %d access key(s)", len(keys))
    if enable_test_endpoints:
        log.warning("test endpoints enabled: POST /moto-api/reset wipes the store at %s", settings.path)
    common = dict(host=host, port=port, http=LimitedHttpToolsProtocol, loop="auto", lifespan="on", log_level=log_level,
                  access_log=access_log, timeout_graceful_shutdown=graceful_timeout, server_header=False,
                  date_header=False, proxy_headers=False)
    log.info("store %s; %d worker process(es)", settings.path, workers)
    try:
        _run(uvicorn, settings, workers, common)
    except KeyboardInterrupt:   # uvicorn shut down cleanly, then re-raised Ctrl-C's SIGINT: that is the exit asked for
        log.info("stopped")


def _run(uvicorn, settings, workers: int, common: dict) -> None:
    from .app import SETTINGS_ENV, Server
    if workers == 1:
        uvicorn.Server(uvicorn.Config(Server(settings), workers=1, **common)).run()
    else:   # uvicorn binds once and starts the workers, each building its app from the environment
        import logstore
        os.makedirs(settings.path, exist_ok=True)
        logstore.open(settings.path).close()   # create a new store here, not in two workers at once
        os.environ[SETTINGS_ENV] = settings.to_json()
        uvicorn.run("logstore.server.app:from_environment", factory=True, workers=workers, **common)
