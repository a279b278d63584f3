"""``logstore process``: run a stream processor (logstore/processors) from the command line, over a table's stream
in a store directory (``--store``) or behind a DynamoDB Streams endpoint (``--endpoint-url``: ``logstore serve``
or AWS, checkpoints in the local ``--checkpoints`` store directory). With ``--lease-table NAME`` several instances
(processes, hosts) share the stream's shards through a lease table (logstore/processors/leases.py), in the
store, at the endpoint, or at ``--lease-endpoint-url``; the checkpoints are then kept in the leases.

Prints, every ``--stats-interval`` seconds, one line per shard being read: records delivered, filtered and given
up on, handler errors, the delivery rate since the last line, the lag (age of the newest record read but not yet
handled; 0 when caught up) and, when there were any, throttled and retried reads and expired iterators;
``--json`` prints them as JSON lines. Warnings (handler failures, throttling, lost leases) go to standard error.

Signals: SIGTERM or SIGINT stops it after the in-flight batches are checkpointed (exit status 0), in every mode;
a second one exits at once (status 130). ``--until-idle`` exits by itself once everything written so far is
handled (exit status 1 if a shard could not be read). A mistake in the command (no credentials, no such table,
a table without a stream, an endpoint that does not answer, a ``--store`` that is not a store) is one line on
standard error and exit status 2.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time

import click

import logstore
from logstore.errors import LogstoreError, ProcessorError
from logstore.processors import Processor, ProcessorConfig, load_handler
from logstore.processors.leases import LeaseSettings
from logstore.processors.retry import classify, error_code

EXIT_ERROR = 2


class UserMistake(click.ClickException):
    """A command that cannot run as given: one line, exit status 2."""

    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _stats_lines(proc: Processor, previous: dict, elapsed: float, as_json: bool) -> list[str]:
    lines = []
    for s in proc.stats():
        rate = (s.records - previous.get(s.shard_id, 0)) / elapsed if elapsed > 0 else 0.0
        previous[s.shard_id] = s.records
        if as_json:
            lines.append(json.dumps({"shard": s.shard_id, "records": s.records, "filtered": s.filtered,
                                     "failed": s.failed, "handler_errors": s.errors,
                                     "records_per_s": round(rate, 1), "lag_ms": s.lag_ms, "done": s.done,
                                     "throttles": s.throttles, "retries": s.retries,
                                     "expired_iterators": s.expired_iterators}))
        else:
            lag = "-" if s.lag_ms is None else f"{s.lag_ms} ms"
            extra = "".join(f", {n} {what}" for n, what in ((s.throttles, "throttled"), (s.retries, "retried"),
                                                             (s.expired_iterators, "expired iterators")) if n)
            lines.append(f"{s.shard_id}  {s.records} records ({s.filtered} filtered, {s.failed} failed, "
                         f"{s.errors} handler errors{extra})  {rate:,.0f} records/s  lag {lag}"
                         f"{'  done' if s.done else ''}")
    if proc.leases is not None:
        lz = proc.leases
        if as_json:
            lines.append(json.dumps({"worker": lz.me, "leases_held": len(lz.held()), "taken": lz.taken,
                                     "stolen": lz.stolen, "lost": lz.lost}))
        else:
            lines.append(f"worker {lz.me}: {len(lz.held())} leases held ({lz.taken} taken, {lz.stolen} stolen, "
                         f"{lz.lost} lost)")
    return lines


def _explain(e: BaseException, where: str) -> str | None:
    """A one-line account of a startup failure that is the user's to fix, or None."""
    try:
        from botocore import exceptions as bx
    except ImportError:   # pragma: no cover
        bx = None
    if bx is not None:
        if isinstance(e, bx.NoCredentialsError):
            return ("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile "
                    "(any pair works with a logstore serve started without --access-key)")
        if isinstance(e, (bx.EndpointConnectionError, bx.ConnectTimeoutError)):
            return f"cannot reach {where}: {e}"
    code = error_code(e)
    if code in ("UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException",
                "AccessDeniedException", "IncompleteSignatureException"):
        return f"{where} refused the credentials ({code}): {e}"
    if code == "ResourceNotFoundException":
        return f"{where}: {e}"
    if isinstance(e, ProcessorError):
        return str(e)
    if isinstance(e, LogstoreError):
        return str(e)
    if classify(e) is not None:
        return f"{where} is not answering properly ({type(e).__name__}: {e})"
    return None


def _logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("logstore.processors")
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def _boto3_client(service: str, endpoint_url: str | None, region: str):
    import boto3   # only the remote modes need it
    from botocore.config import Config
    # one attempt per call: the processor's own retrier backs off, counts and logs every throttle and failure
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region, config=config)


@click.command()
@click.option("--table", required=True, help="the table whose stream to process")
@click.option("--handler", "handler_spec", required=True, help="module:function, called as handler(event, context)")
@click.option("--store", "store_path", type=click.Path(file_okay=False), help="store directory (embedded)")
@click.option("--create", is_flag=True, help="with --store: create the store if the directory holds none")
@click.option("--endpoint-url", help="DynamoDB Streams endpoint (remote: logstore serve or AWS)")
@click.option("--region", default="us-east-1", show_default=True, help="region of the remote endpoint")
@click.option("--stream-arn", help="remote: the stream to read (default: the table's newest)")
@click.option("--checkpoints", type=click.Path(file_okay=False), help="remote: local store directory for checkpoints")
@click.option("--lease-table", help="share the stream's shards with other instances through this DynamoDB table "
              "(created if missing); checkpoints are kept in it")
@click.option("--lease-endpoint-url", help="DynamoDB endpoint of the lease table (default: the stream's endpoint, "
              "or the store)")
@click.option("--worker-id", help="this instance's name in the lease table (default: host:pid:random)")
@click.option("--failover", default=10.0, show_default=True, type=click.FloatRange(0.2, 3600),
              help="seconds without a renewal after which another instance takes a lease")
@click.option("--name", help="processor name checkpoints are kept under (default: table and handler)")
@click.option("--batch-size", default=100, show_default=True, type=int, help="BatchSize (1-10000)")
@click.option("--batching-window", default=0.0, show_default=True, type=float,
              help="MaximumBatchingWindowInSeconds")
@click.option("--starting-position", default="TRIM_HORIZON", show_default=True,
              type=click.Choice(["TRIM_HORIZON", "LATEST"]))
@click.option("--parallelization-factor", default=1, show_default=True, type=int, help="1-10")
@click.option("--filter", "filters", multiple=True, help="a filter pattern (JSON); repeat for several (OR)")
@click.option("--max-retry-attempts", default=-1, show_default=True, type=int, help="-1: until the record expires")
@click.option("--max-record-age", default=-1, show_default=True, type=int, help="seconds; -1: until it expires")
@click.option("--bisect-batch-on-function-error", is_flag=True)
@click.option("--report-batch-item-failures", is_flag=True)
@click.option("--on-failure", help="table:NAME (in the checkpoint store) or file:PATH (JSON lines)")
@click.option("--poll-interval", type=float, help="seconds between reads of an idle shard")
@click.option("--stats-interval", default=5.0, show_default=True, type=click.FloatRange(min=0),
              help="seconds; 0: no stats")
@click.option("--json", "as_json", is_flag=True, help="stats as JSON lines")
@click.option("--until-idle", is_flag=True, help="exit once everything written so far is handled")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="of the messages on standard error")
def process(table, handler_spec, store_path, create, endpoint_url, region, stream_arn, checkpoints, lease_table,
            lease_endpoint_url, worker_id, failover, name, batch_size, batching_window, starting_position,
            parallelization_factor, filters, max_retry_attempts, max_record_age, bisect_batch_on_function_error,
            report_batch_item_failures, on_failure, poll_interval, stats_interval, as_json, until_idle,
            log_level) -> None:
    """Run HANDLER over every record of TABLE's stream, with Lambda's event source mapping semantics."""
    if (store_path is None) == (endpoint_url is None):
        raise click.UsageError("give exactly one of --store (embedded) and --endpoint-url (remote)")
    if endpoint_url is not None and checkpoints is None and lease_table is None:
        raise click.UsageError("--endpoint-url needs --checkpoints DIR (a local store for the checkpoints) "
                               "or --lease-table NAME")
    if lease_table is None and (lease_endpoint_url or worker_id):
        raise click.UsageError("--lease-endpoint-url and --worker-id need --lease-table")
    if store_path is not None and not create and not os.path.exists(os.path.join(store_path, "data.mdb")):
        raise UserMistake(f"{store_path} is not a logstore store (no data.mdb); give --create to make a new one")
    _logging(log_level)
    sys.path.insert(0, os.getcwd())   # like python -m: handlers in the current directory can be imported
    try:
        handler = load_handler(handler_spec)
        config = ProcessorConfig(
            starting_position=starting_position, batch_size=batch_size, batching_window_s=batching_window,
            parallelization_factor=parallelization_factor, filters=tuple(filters),
            max_retry_attempts=max_retry_attempts, max_record_age_s=max_record_age,
            bisect_on_error=bisect_batch_on_function_error, report_batch_item_failures=report_batch_item_failures,
            on_failure=on_failure, poll_interval_s=poll_interval, name=name or f"{table}:{handler_spec}")
        leases = None
        if lease_table is not None:
            leases = LeaseSettings(lease_table, failover_s=failover,
                                   **({"worker_id": worker_id} if worker_id else {}))
    except (LogstoreError, ImportError, AttributeError) as e:
        raise click.UsageError(str(e)) from None

    stop = threading.Event()
    signals = {"n": 0}

    def on_signal(*_):
        signals["n"] += 1
        if signals["n"] > 1:
            os._exit(130)          # asked twice: do not wait for the in-flight batches
        stop.set()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)

    local_path = store_path if store_path is not None else checkpoints
    where = endpoint_url or store_path
    try:
        store = logstore.open(local_path) if local_path is not None else None
    except LogstoreError as e:
        raise UserMistake(str(e)) from None
    try:
        try:
            lease_client = None
            if leases is not None:
                lease_client = (_boto3_client("dynamodb", lease_endpoint_url or endpoint_url, region)
                                if lease_endpoint_url or endpoint_url else store)
            if endpoint_url is not None:
                client = _boto3_client("dynamodbstreams", endpoint_url, region)
                tables = _boto3_client("dynamodb", endpoint_url, region)
                proc = Processor.remote(client, table, handler, store, config, stream_arn=stream_arn,
                                        leases=leases, lease_client=lease_client, tables_client=tables)
            else:
                proc = Processor.embedded(store, table, handler, config, leases=leases, lease_client=lease_client)
            click.echo(f"processing {table} ({proc.source.stream_arn}) at {where} as {proc.name}"
                       + (f", worker {proc.leases.me} of lease table {lease_table}" if leases else ""), err=True)
            proc.start()
        except Exception as e:  # a user's mistake is one line; anything else a traceback
            message = _explain(e, where)
            if message is None:
                raise
            raise UserMistake(message) from None
        failed = _run(proc, stop, until_idle, stats_interval, as_json)
    finally:
        if store is not None:
            store.close()
    if failed:
        sys.exit(1)


def _run(proc: Processor, stop: threading.Event, until_idle: bool, stats_interval: float, as_json: bool) -> bool:
    """Run until stopped (or idle); True if a shard could not be read. Waits in slices of at most 0.2 s so a
    signal is acted on promptly whatever the intervals."""
    previous: dict = {}
    last = next_stats = time.monotonic()
    failed = False
    reported = 0
    try:
        while not stop.is_set():
            if until_idle:
                try:
                    proc.wait_idle(timeout=0.2)
                    break
                except TimeoutError:
                    pass
                except ProcessorError as e:     # a shard worker failed (not the handler: that is retried)
                    click.echo(f"error: {e}", err=True)
                    failed = True
                    break
            else:
                stop.wait(0.2)
            if len(proc.errors) > reported:
                for e in proc.errors[reported:]:
                    click.echo(f"error: {e!r}", err=True)
                reported = len(proc.errors)
            now = time.monotonic()
            if stats_interval and now >= next_stats + stats_interval:
                for line in _stats_lines(proc, previous, now - last, as_json):
                    click.echo(line)
                last = next_stats = now
    finally:
        proc.stop()
    for line in _stats_lines(proc, previous, time.monotonic() - last, as_json):
        click.echo(line)
    click.echo("stopped: every delivered batch is checkpointed", err=True)
    return failed
