"""The ``logstore`` command: the cli's commands and the server's ``serve`` on one click group. cli/ and server/
are siblings at the top of the layering and never import each other, so they meet here. Without the extra a
command needs (``[cli]``, ``[server]``), it says which in one line and exits 2 (logstore/extras.py)."""
from __future__ import annotations

import sys

from logstore.extras import missing_extra


def main() -> None:
    """The ``logstore`` entry point."""
    serving = sys.argv[1:2] == ["serve"]
    try:
        if serving:   # the server alone: `logstore serve` needs only the [server] extra, not the cli's
            from logstore.server.command import serve
            serve(args=sys.argv[2:], prog_name="logstore serve")
        else:
            from logstore.cli import main as group
            from logstore.server.command import serve
            group.add_command(serve)
            group()
    except ModuleNotFoundError as exc:
        extra = "server" if serving else None
        message = missing_extra(exc, extra)
        if message is None:
            raise
        print(message, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
