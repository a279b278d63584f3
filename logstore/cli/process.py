"""``logstore process``: run a stream processor (logstore/processors) from the command line, over a table's stream
in a store directory (``--store``) or behind a DynamoDB Streams endpoint (``--endpoint-url``: ``logstore serve``
or AWS, checkpoints in the local ``--checkpoints`` store directory).

Prints, every ``--stats-interval`` seconds, one line per shard being read: records delivered, filtered and given
up on, the delivery rate since the last line and the lag (store time now minus the time of the last record
handled); ``--json`` prints them as JSON lines. SIGTERM or SIGINT stops it after the in-flight batches are
checkpointed (exit status 0); ``--until-idle`` exits by itself once everything written so far is handled (exit
status 1 if a shard could not be read).
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

import click

import logstore
from logstore.errors import LogstoreError, ProcessorError
from logstore.processors import Processor, ProcessorConfig, load_handler


def _stats_lines(proc: Processor, previous: dict, elapsed: float, as_json: bool) -> list[str]:
    lines = []
    for s in proc.stats():
        rate = (s.records - previous.get(s.shard_id, 0)) / elapsed if elapsed > 0 else 0.0
        previous[s.shard_id] = s.records
        if as_json:
            lines.append(json.dumps({"shard": s.shard_id, "records": s.records, "filtered": s.filtered,
                                     "failed": s.failed, "records_per_s": round(rate, 1), "lag_ms": s.lag_ms,
                                     "done": s.done}))
        else:
            lag = "-" if s.lag_ms is None else f"{s.lag_ms} ms"
            lines.append(f"{s.shard_id}  {s.records} records ({s.filtered} filtered, {s.failed} failed)  "
                         f"{rate:,.0f} records/s  lag {lag}{'  done' if s.done else ''}")
    return lines


@click.command()
@click.option("--table", required=True, help="the table whose stream to process")
@click.option("--handler", "handler_spec", required=True, help="module:function, called as handler(event, context)")
@click.option("--store", "store_path", type=click.Path(file_okay=False), help="store directory (embedded)")
@click.option("--endpoint-url", help="DynamoDB Streams endpoint (remote: logstore serve or AWS)")
@click.option("--region", default="us-east-1", show_default=True, help="region of the remote endpoint")
@click.option("--stream-arn", help="remote: the stream to read (default: the table's newest)")
@click.option("--checkpoints", type=click.Path(file_okay=False), help="remote: local store directory for checkpoints")
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
@click.option("--stats-interval", default=5.0, show_default=True, type=float, help="seconds; 0: no stats")
@click.option("--json", "as_json", is_flag=True, help="stats as JSON lines")
@click.option("--until-idle", is_flag=True, help="exit once everything written so far is handled")
def process(table, handler_spec, store_path, endpoint_url, region, stream_arn, checkpoints, name, batch_size,
            batching_window, starting_position, parallelization_factor, filters, max_retry_attempts,
            max_record_age, bisect_batch_on_function_error, report_batch_item_failures, on_failure,
            poll_interval, stats_interval, as_json, until_idle) -> None:
    """Run HANDLER over every record of TABLE's stream, with Lambda's event source mapping semantics."""
    if (store_path is None) == (endpoint_url is None):
        raise click.UsageError("give exactly one of --store (embedded) and --endpoint-url (remote)")
    if endpoint_url is not None and checkpoints is None:
        raise click.UsageError("--endpoint-url needs --checkpoints DIR (a local store for the checkpoints)")
    sys.path.insert(0, os.getcwd())   # like python -m: handlers in the current directory can be imported
    try:
        handler = load_handler(handler_spec)
        config = ProcessorConfig(
            starting_position=starting_position, batch_size=batch_size, batching_window_s=batching_window,
            parallelization_factor=parallelization_factor, filters=tuple(filters),
            max_retry_attempts=max_retry_attempts, max_record_age_s=max_record_age,
            bisect_on_error=bisect_batch_on_function_error, report_batch_item_failures=report_batch_item_failures,
            on_failure=on_failure, poll_interval_s=poll_interval, name=name or f"{table}:{handler_spec}")
    except (LogstoreError, ImportError, AttributeError) as e:
        raise click.UsageError(str(e)) from None

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with logstore.open(store_path if store_path is not None else checkpoints) as store:
        if endpoint_url is not None:
            import boto3   # only the remote mode needs it
            client = boto3.client("dynamodbstreams", endpoint_url=endpoint_url, region_name=region)
            proc = Processor.remote(client, table, handler, store, config, stream_arn=stream_arn)
            where = endpoint_url
        else:
            proc = Processor.embedded(store, table, handler, config)
            where = store_path
        click.echo(f"processing {table} ({proc.source.stream_arn}) at {where} as {proc.name}", err=True)
        proc.start()
        previous: dict = {}
        last = time.monotonic()
        failed = False
        try:
            while not stop.is_set():
                if until_idle:
                    try:
                        proc.wait_idle(timeout=stats_interval or 3600)
                        break
                    except TimeoutError:
                        pass
                    except ProcessorError as e:     # a shard worker failed (not the handler: that is retried)
                        click.echo(f"error: {e}", err=True)
                        failed = True
                        break
                else:
                    stop.wait(stats_interval or None)
                if proc.errors:
                    click.echo(f"error: {proc.errors[0]!r}", err=True)
                now = time.monotonic()
                if stats_interval:
                    for line in _stats_lines(proc, previous, now - last, as_json):
                        click.echo(line)
                last = now
        finally:
            proc.stop()
        for line in _stats_lines(proc, previous, time.monotonic() - last, as_json):
            click.echo(line)
        click.echo("stopped: every delivered batch is checkpointed", err=True)
    if failed:
        sys.exit(1)
