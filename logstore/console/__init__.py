"""The web console: tables, items, streams and their shard lineage, and the store's health, as server-rendered
HTML pages (Jinja2 templates, inline SVG pictures, one small vanilla script), served by ``logstore serve`` at
``/console/`` (writable, behind the server's access keys) and by ``logstore console STORE`` (read-only, over any
store directory, without the writer lock). See docs/console.md.

Layering: above ``api`` (it reads through the Store and the stream layer's catalogue and log), below the two
commands that serve it (``server`` and ``cli``), which both import it and never each other.
"""
from .app import PREFIX, Console

__all__ = ["Console", "PREFIX"]
