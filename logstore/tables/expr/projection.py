"""Projection: the part of an item that a ProjectionExpression (or AttributesToGet, or ReturnValues UPDATED_OLD /
UPDATED_NEW) asks for.

``project(paths, item)`` builds a new item holding only the values at ``paths``, nested as in the item: ``a.b``
gives ``{"a": {"M": {"b": ...}}}``; list indexes keep the selected elements in index order (``l[3], l[1]`` gives
the two elements, index 1 first), as DynamoDB returns them. Paths that are not in the item are left out; an item
with nothing selected projects to ``{}``.

Pure; thread-safe.
"""
from __future__ import annotations

from typing import Any

from logstore.stream.records import AttributeValue, Image

from . import paths as docpaths
from .paths import Path


def check(paths: list[Path]) -> None:
    docpaths.check_overlaps(paths, "ProjectionExpression")


def project(paths: list[Path], item: Image | None) -> Image:
    if item is None:
        return {}
    tree: dict[Any, Any] = {}   # path parts -> subtree, True at a selected leaf
    for parts in paths:
        if docpaths.get(item, parts) is None:
            continue
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = True
    return {name: _build(item[name], sub) for name, sub in tree.items()}


def _build(av: AttributeValue, sub: Any) -> AttributeValue:
    if sub is True:
        return av
    if "L" in av:
        return {"L": [_build(av["L"][i], sub[i]) for i in sorted(sub)]}
    return {"M": {k: _build(av["M"][k], s) for k, s in sub.items()}}
