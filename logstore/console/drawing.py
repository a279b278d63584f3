"""The console's pictures, drawn server-side as inline SVG (no JavaScript, no chart library): the shard lineage
graph of one page of shards, and the Store page's charts (records per minute, items and bytes per table, shards
over time). Colours come from CSS classes, so the pictures follow the dark or light theme.

Lineage layout: one row per shard, in depth-first lineage order (source.py), so a parent sits above its
children's subtrees; x is time: a bar runs from the shard's creation to its close (open shards to now, drawn with
an open end); an edge joins a parent's close to each child's start. Each shard is a link to its records, and
carries ``data-shard``/``data-parent``/``data-children`` so tests (and people using dev tools) can read the graph.

Pure functions: values in, markup (``markupsafe.Markup``, every text escaped) out.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from markupsafe import Markup, escape

ROW_H = 24
LABEL_W = 250
AXIS_H = 28
WIDTH = 1000


def _time_label(ms: int, span_ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    if span_ms > 2 * 86_400_000:
        return dt.strftime("%m-%d %H:%M")
    return dt.strftime("%H:%M:%S") if span_ms < 600_000 else dt.strftime("%H:%M")


def _axis(lo: int, hi: int, x0: float, x1: float, y: float, ticks: int = 6) -> list[str]:
    span = max(1, hi - lo)
    out = [f'<line class="axis" x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}"/>']
    for i in range(ticks + 1):
        t = lo + span * i // ticks
        x = x0 + (x1 - x0) * i / ticks
        out.append(f'<line class="tick" x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + 4:.1f}"/>')
        anchor = "start" if i == 0 else "end" if i == ticks else "middle"
        out.append(f'<text class="tick-label" x="{x:.1f}" y="{y + 16:.1f}" text-anchor="{anchor}">'
                   f'{escape(_time_label(t, span))}</text>')
    return out


def lineage(rows, now_ms: int, href: Callable[[str], str]) -> Markup:
    """The lineage graph of ``rows`` (source.ShardRow, lineage order) with time from the earliest creation among
    them to ``now_ms``."""
    if not rows:
        return Markup("")
    lo = min(r.shard.created_ms for r in rows)
    hi = max(now_ms, max((r.shard.closed_ms or now_ms) for r in rows))
    if hi <= lo:
        hi = lo + 1000
    x0, x1 = LABEL_W, WIDTH - 10
    height = AXIS_H + ROW_H * len(rows) + 8

    def x(ms: int) -> float:
        return x0 + (x1 - x0) * (ms - lo) / (hi - lo)

    row_of = {r.shard.shard_id: i for i, r in enumerate(rows)}
    parts = [f'<svg class="lineage" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'aria-label="shard lineage: {len(rows)} shards, time left to right">']
    parts += _axis(lo, hi, x0, x1, 20 - 4, ticks=6)
    for i, r in enumerate(rows):
        s = r.shard
        y = AXIS_H + i * ROW_H
        parent_row = row_of.get(s.parent_id) if s.parent_id else None
        if parent_row is not None:
            p = rows[parent_row].shard
            px, py = x(p.closed_ms or s.created_ms), AXIS_H + parent_row * ROW_H + ROW_H / 2
            cx, cy = x(s.created_ms), y + ROW_H / 2
            parts.append(f'<path class="edge" data-from="{escape(p.shard_id)}" data-to="{escape(s.shard_id)}" '
                         f'd="M{px:.1f},{py:.1f} C{px + 12:.1f},{py:.1f} {cx - 12:.1f},{cy:.1f} {cx:.1f},{cy:.1f}"/>')
    for i, r in enumerate(rows):
        s = r.shard
        y = AXIS_H + i * ROW_H
        start, end = x(s.created_ms), x(s.closed_ms if s.closed_ms is not None else now_ms)
        end = max(end, start + 3)
        state = "damaged" if r.damaged else "open" if s.is_open else "closed"
        label = ("\u2003" * min(r.depth, 12)) + s.shard_id[-20:]
        title = (f"{s.shard_id} ({state}); parent {s.parent_id or 'none'}; "
                 + (f"damaged: {r.damaged}" if r.damaged else f"{r.records} records; ")
                 + f"hash range {s.lo:#010x}-{s.hi:#010x}")
        parts.append(
            f'<a class="shard {state}" href="{escape(href(s.shard_id))}" data-shard="{escape(s.shard_id)}" '
            f'data-parent="{escape(s.parent_id or "")}" data-children="{escape(" ".join(r.children))}" '
            f'data-records="{r.records}"><title>{escape(title)}</title>'
            f'<rect class="row-hit" x="0" y="{y}" width="{WIDTH}" height="{ROW_H}"/>'
            f'<text class="shard-label" x="4" y="{y + 16}">{escape(label)}</text>'
            f'<rect class="bar" x="{start:.1f}" y="{y + 5}" width="{end - start:.1f}" height="{ROW_H - 10}" rx="3"/>'
            f'<text class="bar-label" x="{min(end + 4, x1 - 60):.1f}" y="{y + 16}">'
            f'{"damaged" if r.damaged else f"{r.records:,}"}</text></a>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(series: list[tuple[str, int]], title: str, unit: Callable[[int], str] = lambda n: f"{n:,}") -> Markup:
    """A horizontal bar chart of (label, value)."""
    if not series:
        return Markup('<p class="muted">nothing to chart</p>')
    top = max(v for _, v in series) or 1
    h = 22
    height = h * len(series) + 6
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%">']
    for i, (label, v) in enumerate(series):
        y = i * h + 3
        w = (WIDTH - 420) * v / top
        parts.append(f'<text class="tick-label" x="0" y="{y + 15}">{escape(label[:40])}</text>'
                     f'<rect class="bar" x="300" y="{y + 3}" width="{max(w, 1):.1f}" height="{h - 8}"/>'
                     f'<text class="tick-label" x="{304 + w:.1f}" y="{y + 15}">{escape(unit(v))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def timeline(points: list[tuple[int, int]], lo: int, hi: int, title: str, step: bool = False) -> Markup:
    """A line (or step) chart of (time ms, value) between ``lo`` and ``hi``."""
    height, top_pad, bottom = 180, 10, 150
    x0, x1 = 60, WIDTH - 10
    if hi <= lo:
        hi = lo + 1000
    top = max((v for _, v in points), default=0) or 1

    def xy(t: int, v: int) -> tuple[float, float]:
        return x0 + (x1 - x0) * (t - lo) / (hi - lo), bottom - (bottom - top_pad) * v / top

    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%">',
             f'<text class="tick-label" x="{x0 - 6}" y="{top_pad + 10}" text-anchor="end">{top:,}</text>',
             f'<text class="tick-label" x="{x0 - 6}" y="{bottom}" text-anchor="end">0</text>']
    parts += _axis(lo, hi, x0, x1, bottom, ticks=6)
    if points:
        coords = []
        prev = None
        for t, v in points:
            t = min(max(t, lo), hi)
            if step and prev is not None:
                coords.append(xy(t, prev))
            coords.append(xy(t, v))
            prev = v
        if step and prev is not None:
            coords.append(xy(hi, prev))
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
        parts.append(f'<polyline class="line" points="{path}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
