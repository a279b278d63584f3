"""The optional parts of logstore and the extras that install them (pyproject.toml ``[project.optional-dependencies]``).

The core install (``pip install logstore``) is the engine: lmdb, msgpack, cffi, orjson. The command line, the server,
remote processors and the testing helpers need third-party modules the engine never imports; when one is missing,
``missing_extra`` turns the ModuleNotFoundError into one line naming the extra to install, never a traceback.
"""
from __future__ import annotations

# top-level module -> the extra that installs it (the first extra listed that does, for a module several need)
_EXTRA_OF = {
    "click": "cli", "rich": "cli", "jinja2": "cli",
    "uvicorn": "server", "httptools": "server", "uvloop": "server", "botocore": "server",
    "boto3": "remote",
}


def missing_extra(exc: ModuleNotFoundError, extra: str | None = None) -> str | None:
    """The one-line message for ``exc`` if it is a missing optional dependency, else None (a real bug: re-raise).
    ``extra`` names the extra the failing command needs, when the caller knows better than the module map."""
    name = (exc.name or "").partition(".")[0]
    if name not in _EXTRA_OF:
        return None
    extra = extra or _EXTRA_OF[name]
    return (f"logstore: this needs the [{extra}] extra ({name} is not installed): "
            f"pip install 'logstore[{extra}]'")
