"""The ``logstore`` command line: one module per command, registered on one click group here.

Commands so far: ``demo`` (writes records through the storage core and reads them back), ``process`` (runs a
stream processor: logstore/processors).
"""
from __future__ import annotations

import click

from .demo import demo
from .process import process


@click.group()
@click.version_option(package_name="logstore")
def main() -> None:
    """logstore: a persistent change-log storage engine with DynamoDB Streams semantics."""


main.add_command(demo)
main.add_command(process)
