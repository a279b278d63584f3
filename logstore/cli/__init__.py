"""The ``logstore`` command line: one module per command, registered on one click group here.

Commands so far: ``demo`` (writes records through the storage core and reads them back). ``serve`` belongs to
logstore.server, a sibling this package never imports; ``logstore/__main__.py`` adds it to this group.
"""
from __future__ import annotations

import click

from .demo import demo


@click.group()
@click.version_option(package_name="logstore")
def main() -> None:
    """logstore: a persistent change-log storage engine with DynamoDB Streams semantics."""


main.add_command(demo)
