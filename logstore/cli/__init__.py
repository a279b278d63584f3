"""The ``logstore`` command line: one module per command, registered on one click group here.

* ``demo`` writes a table with a stream and reads its change log back.
* Inspection (read-only; work while another process writes; ``--json`` everywhere; see docs/cli.md):
  ``info``, ``tables``, ``streams``, ``shards``, ``records``, ``check``, ``stats``, ``export``.
* ``process`` runs a stream processor (logstore/processors, docs/processors.md).
* ``import`` loads a DynamoDB export (AWS's export-to-S3 layout, or ``export --format dynamodb``) into a table.
* ``console`` serves the web console over a store, read-only (logstore/console, docs/console.md).

``serve`` belongs to logstore.server, a sibling this package never imports; ``logstore/__main__.py`` adds it to
this group and is the ``logstore`` entry point.
"""
from __future__ import annotations

import click

from .check import check
from .console import console
from .demo import demo
from .export import export
from .import_ import import_
from .info import info
from .process import process
from .records import records
from .shards import shards
from .stats import stats
from .streams import streams
from .tables import tables


@click.group()
@click.version_option(package_name="logstore")
def main() -> None:
    """logstore: a persistent change-log storage engine with DynamoDB Streams semantics."""


for command in (demo, info, tables, streams, shards, records, check, stats, export,
                import_, process, console):
    main.add_command(command)
