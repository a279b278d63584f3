"""What every inspection command shares: opening a store read-only, turning every failure into a clear message
and an exit status (never a traceback), ``--json`` output, terminal output (rich), progress bars, and the
formatting of times, ages, sizes and sequence numbers.

Exit status of every inspection command: 0 done, 1 ``check`` found problems, 2 the command could not run (a
missing directory, a path that is not a store, an unknown format version, a bad option, a corrupt segment met
while reading). ``LOGSTORE_DEBUG=1`` shows the traceback of an unexpected error.

The inspection commands open the store with ``readonly=True``: they never take the writer lock and never change
``data.mdb``, and they work while another process writes (each reads from snapshots). Not thread-safe: one
command per process.
"""
from __future__ import annotations

import base64
import functools
import json
import os
import sys
import time
import traceback
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator

import click
import lmdb
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from logstore.clock import SYSTEM_CLOCK, Clock
from logstore.errors import CorruptionError, LogstoreError
from logstore.storage import Counters, Environment, SegmentLog
from logstore.stream import StreamCatalog, StreamPolicy
from logstore.stream import ids
from logstore.tables.catalog import TableCatalog
from logstore.tables.indexes import IndexEntries
from logstore.tables.items import ItemStore

EXIT_PROBLEMS = 1
EXIT_ERROR = 2
PROGRESS_AFTER_S = 0.3      # a scan shows a progress bar once it has taken this long, on a terminal only;
                            # LOGSTORE_PROGRESS_AFTER=<seconds> overrides it (0: at once)


class ReadOnlyStore:
    """A store directory opened for inspection: the environment (read-only) and the read-side handles of every
    layer. Use as a context manager."""

    def __init__(self, path: str, walk_pages: bool = True):
        self.path = path
        self.env = Environment(path, readonly=True, walk_pages=walk_pages)
        try:
            self.log = SegmentLog(self.env)
            self.counters = Counters(self.env)
            self.streams = StreamCatalog(self.env)
            self.tables = TableCatalog(self.env)
            self.items = ItemStore(self.env)
            self.entries = IndexEntries(self.env, self.counters)
            self.event_key = ids.store_event_key(self.env)
            with self.env.begin_read() as txn:
                self.policy = self.streams.policy(txn) or StreamPolicy()
        except BaseException:
            self.env.close()
            raise

    def read(self):
        """A read-only snapshot transaction (context manager)."""
        return self.env.begin_read()

    def close(self) -> None:
        self.env.close()

    def __enter__(self) -> "ReadOnlyStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- command scaffolding ---------------------------------------------------------------------------------------

class CommandError(click.ClickException):
    """A failure to report in one line, with exit status 2."""

    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def store_command(fn: Callable) -> Callable:
    """Decorate a click command function taking ``path`` and ``as_json``: adds the PATH argument and ``--json``,
    and turns every failure into a one-line message and exit status 2."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except CorruptionError as e:
            raise CommandError(f"{e} (run `logstore check` on the store for a full report)") from None
        except LogstoreError as e:
            raise CommandError(str(e)) from None
        except lmdb.Error as e:
            raise CommandError(f"LMDB: {e}") from None
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:  # e.g. piped into head: stop quietly
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        except Exception as e:  # never a traceback, unless asked for
            if os.environ.get("LOGSTORE_DEBUG"):
                traceback.print_exc()
            raise CommandError(f"unexpected {type(e).__name__}: {e} (if the store may be damaged, `logstore check` "
                               "reports what is wrong; LOGSTORE_DEBUG=1 shows the traceback)") from None

    run = click.option("--json", "as_json", is_flag=True, help="machine-readable output (JSON)")(run)
    return click.argument("path", type=click.Path(file_okay=True, dir_okay=True))(run)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@contextmanager
def open_store(path: str, walk_pages: bool = True) -> Iterator[ReadOnlyStore]:
    """Open ``path`` for inspection, with a clear error for a missing path or a non-store. The store's pages are
    walked first (storage/pages.py), so damage LMDB would crash or loop on is an error instead; ``check`` walks
    them itself, to report every problem."""
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file or directory")
    if not os.path.isdir(path):
        raise CommandError(f"{path}: not a directory (a logstore store is a directory holding data.mdb)")
    with ReadOnlyStore(path, walk_pages) as store:
        yield store


# -- output ----------------------------------------------------------------------------------------------------

class _Console(Console):
    """rich's console, but a reader that went away (``| head``) ends the command quietly with status 0, as the
    JSON paths do, rather than rich's default status 1."""

    def on_broken_pipe(self) -> None:
        _silence_stdout()
        raise click.exceptions.Exit(0)


class _TrimmedLines:
    """A text stream that writes each line to ``target`` without its trailing spaces. rich pads every line of a
    table to the table's width; on a terminal that is invisible, but piped into a file, ``diff`` or ``grep ' $'``
    it is noise. A line is written once its newline arrives; ``flush`` writes what is left."""

    def __init__(self, target):
        self._target = target
        self._pending = ""

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        if lines:
            self._target.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target.write(self._pending.rstrip(" "))
            self._pending = ""
        self._target.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name):          # encoding, fileno, ...: the target's
        return getattr(self._target, name)


def console() -> Console:
    """The console for standard output: colour and full width on a terminal, plain and wide elsewhere, with no
    trailing spaces on a line (``_TrimmedLines``); an explicit ``COLUMNS`` is honoured either way."""
    terminal = sys.stdout.isatty()
    wide = terminal or os.environ.get("COLUMNS", "").isdigit()
    return _Console(file=sys.stdout if terminal else _TrimmedLines(sys.stdout), highlight=False, soft_wrap=False,
                    width=None if wide else 200)


def short_time(iso: str | None) -> str:
    """An ISO time (``iso_time``) to the second, for tables that must stay narrow: ``2026-11-27 10:00:00Z``
    (wraps at the space)."""
    return "-" if iso is None else iso[:19].replace("T", " ") + "Z"


def arn_lines(out: Console, title: str, pairs: list[tuple[str, str]]) -> None:
    """ARNs under a table, one per line and never cut or folded by us (a narrow terminal wraps them, and they copy
    and paste whole): ``name  arn``."""
    if not pairs:
        return
    width = max(len(name) for name, _ in pairs)
    out.print(title, style="bold")
    for name, arn in pairs:
        out.print(f"  {escape(name.ljust(width))}  {escape(arn)}", soft_wrap=True, highlight=False)


def err_console() -> Console:
    return Console(file=sys.stderr, highlight=False, stderr=True)


def _json_default(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_compact = json.JSONEncoder(default=_json_default, ensure_ascii=False)   # made once: records print one each


def to_json(value, *, indent: int | None = None) -> str:
    """JSON text of ``value``; bytes become base64 (as in AWS's JSON wire format)."""
    if indent is None:
        return _compact.encode(value)
    return json.dumps(value, default=_json_default, indent=indent, ensure_ascii=False)


def emit_json(value) -> None:
    click.echo(to_json(value, indent=2))


@contextmanager
def progress(total: int, description: str) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` for a scan of ``total`` steps. On a terminal (standard error), a bar appears once the scan
    has taken more than a moment and disappears when it ends; elsewhere nothing is shown."""
    if not sys.stderr.isatty() or total <= 0:
        yield lambda n=1: None
        return
    start = time.monotonic()
    try:
        after = float(os.environ.get("LOGSTORE_PROGRESS_AFTER", PROGRESS_AFTER_S))
    except ValueError:
        after = PROGRESS_AFTER_S
    state = {"bar": None, "task": None, "done": 0, "next": start + after}

    def advance(n: int = 1) -> None:
        state["done"] += n
        if state["done"] % 64 and n == 1 and state["done"] < total:   # look at the clock only now and then
            return
        now = time.monotonic()
        if now < state["next"]:
            return
        state["next"] = now + 0.1
        bar = state["bar"]
        if bar is None:
            bar = state["bar"] = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                          TimeRemainingColumn(), console=err_console(), transient=True)
            bar.start()
            state["task"] = bar.add_task(description, total=total)
        bar.update(state["task"], completed=state["done"])

    try:
        yield advance
    finally:
        if state["bar"] is not None:
            state["bar"].stop()


# -- formatting ------------------------------------------------------------------------------------------------

def now_ms(clock: Clock = SYSTEM_CLOCK) -> int:
    return clock.now_ms()


def fmt_time(ms: int | None) -> str:
    if ms is None:
        return "-"
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def iso_time(ms: int | None) -> str | None:
    return None if ms is None else fmt_time(ms)


def fmt_age(ms: int | None) -> str:
    """A duration in ms as ``3d4h``, ``2h05m``, ``4m10s``, ``12s``."""
    if ms is None:
        return "-"
    s = max(0, ms) // 1000
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}d{h}h"
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{s:02d}s"
    return f"{s}s"


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def seq_text(seq: int | None) -> str:
    return "-" if seq is None else ids.seq_to_wire(seq)


def parse_seq(text: str) -> int:
    """A sequence number as given on the command line: the 21-digit wire form or the internal integer."""
    value = ids.seq_from_wire(text) if len(text) == ids.SEQ_WIRE_LEN else None
    if value is not None:
        return value
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"not a sequence number: {text!r}") from None
    if not 0 <= value < 1 << 64:
        raise CommandError(f"not a sequence number: {text!r} (the 21-digit wire form, or an integer from 0 to "
                           f"{(1 << 64) - 1})")
    return value


_UNITS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_time(text: str, clock: Clock = SYSTEM_CLOCK) -> int:
    """A time as given on the command line, in ms since the epoch: ISO 8601 (``2026-11-27T10:00:00Z``, a date,
    with or without zone: UTC if none), epoch milliseconds, or an age ago (``90s``, ``15m``, ``2h``, ``1d``)."""
    t = text.strip()
    if t and t[-1] in _UNITS and t[:-1].isdigit():
        return clock.now_ms() - int(t[:-1]) * _UNITS[t[-1]]
    if t.isdigit():
        return int(t)
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"not a time: {text!r} (use ISO 8601, epoch ms, or an age like 15m, 2h, 1d)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


# -- choosing streams ------------------------------------------------------------------------------------------

def select_streams(store: ReadOnlyStore, txn, table: str | None = None, stream: str | None = None) -> list:
    """The streams a command works on: all, those of ``table``, or the one ``stream`` names (its ARN or its
    label). A name that matches nothing is an error."""
    found = []
    for info in store.streams.streams(txn):
        if table is not None and info.table != table:
            continue
        if stream is not None and stream not in (info.arn, info.label):
            continue
        found.append(info)
    if not found and (table is not None or stream is not None):
        what = " and ".join(x for x in (table and f"table {table!r}", stream and f"stream {stream!r}") if x)
        raise CommandError(f"no stream matches {what}")
    return found


stream_options = [
    click.option("--table", help="only streams of this table"),
    click.option("--stream", "stream", help="only this stream (ARN or label)"),
]


def with_stream_options(fn: Callable) -> Callable:
    for option in reversed(stream_options):
        fn = option(fn)
    return fn
