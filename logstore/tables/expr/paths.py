"""Document paths over items: reading a path, writing and removing one copy-on-write, and the overlap rules.

Items are canonical AttributeValue dicts (attrs.py). A bound path is a tuple whose first part is a top-level
attribute name, then map keys (``str``) and list indexes (``int``). Writes never mutate their input: the containers
along the written path are copied and everything else is shared, so the old item stays intact for the record's
OldImage.

List semantics are DynamoDB's: setting an index past the end appends; removing an index shifts the elements after
it down; removing an index past the end does nothing. A path whose parent is missing or of the wrong type is
invalid for update. Pure functions; thread-safe.
"""
from __future__ import annotations

from typing import Any, TypeAlias

from logstore.errors import ValidationException
from logstore.stream.records import AttributeValue, Image

Path: TypeAlias = tuple[str | int, ...]   # a bound document path: a top-level name, then map keys and list indexes

INVALID_PATH = "The document path provided in the update expression is invalid for update"


def get(item: Image | None, parts: Path) -> AttributeValue | None:
    """The AttributeValue at ``parts`` in ``item``, or None if there is none."""
    if item is None:
        return None
    cur: Any = item.get(parts[0])   # type: ignore[arg-type]  # a path's first part is always a name
    for part in parts[1:]:
        if cur is None:
            return None
        if isinstance(part, int):
            seq = cur.get("L")
            cur = seq[part] if seq is not None and part < len(seq) else None
        else:
            m = cur.get("M")
            cur = m.get(part) if m is not None else None
    return cur  # type: ignore[no-any-return]


def _copy_container(av: AttributeValue, part: str | int) -> AttributeValue:
    """A copy of container ``av`` that ``part`` may be written into (ValidationException if it is not one)."""
    if isinstance(part, int):
        if "L" not in av:
            raise ValidationException(INVALID_PATH)
        return {"L": list(av["L"])}
    if "M" not in av:
        raise ValidationException(INVALID_PATH)
    return {"M": dict(av["M"])}


def _slot(holder: AttributeValue, part: str | int) -> Any:
    return holder["L"] if isinstance(part, int) else holder["M"]


def set_at(item: Image, parts: Path, value: AttributeValue) -> None:
    """Store ``value`` at ``parts`` in ``item`` (a copy the caller owns; nested containers are copied here)."""
    top: str = parts[0]  # type: ignore[assignment]  # a path's first part is always a name
    if len(parts) == 1:
        item[top] = value
        return
    parent = item.get(top)
    if parent is None:
        raise ValidationException(INVALID_PATH)
    parent = item[top] = _copy_container(parent, parts[1])
    for i, part in enumerate(parts[1:-1], start=1):
        slot = _slot(parent, part)
        child = slot[part] if (isinstance(part, int) and part < len(slot)) or \
            (not isinstance(part, int) and part in slot) else None
        if child is None:
            raise ValidationException(INVALID_PATH)
        child = _copy_container(child, parts[i + 1])
        slot[part] = child
        parent = child
    last = parts[-1]
    slot = _slot(parent, last)
    if isinstance(last, int) and last >= len(slot):
        slot.append(value)
    else:
        slot[last] = value


def remove_at(item: Image, parts: Path) -> None:
    """Remove the value at ``parts`` from ``item`` (a copy the caller owns) if it is there."""
    top: str = parts[0]  # type: ignore[assignment]  # a path's first part is always a name
    if len(parts) == 1:
        item.pop(top, None)
        return
    parent_path = parts[:-1]
    container = get(item, parent_path)
    if container is None:
        raise ValidationException(INVALID_PATH)
    last = parts[-1]
    if isinstance(last, int):
        if "L" not in container:
            raise ValidationException(INVALID_PATH)
        if last >= len(container["L"]):
            return
    elif "M" not in container:
        raise ValidationException(INVALID_PATH)
    elif last not in container["M"]:
        return
    if len(parent_path) == 1:
        copy = item[top] = _copy_container(item[top], last)
    else:
        copy = _copy_container(container, last)
        set_at(item, parent_path, copy)
    del _slot(copy, last)[last]


def show(parts: Path) -> str:
    """A path as AWS's messages show it: ``[a, b, [2]]``."""
    return "[" + ", ".join(f"[{p}]" if isinstance(p, int) else p for p in parts) + "]"


def check_overlaps(paths: list[Path], kind: str) -> None:
    """DynamoDB's rule that no two paths of one expression overlap (one is a prefix of the other) or conflict
    (they diverge where one indexes a list and the other names a map key)."""
    if all(len(p) == 1 for p in paths) and len(set(paths)) == len(paths):
        return  # the common case: distinct top-level attributes
    for i, p in enumerate(paths):
        for q in paths[i + 1:]:
            k = min(len(p), len(q))
            if p[:k] == q[:k]:
                raise ValidationException(f"Invalid {kind}: Two document paths overlap with each other; must "
                                          f"remove or rewrite one of these paths; path one: {show(p)}, path "
                                          f"two: {show(q)}")
            d = next(j for j in range(k) if p[j] != q[j])
            if isinstance(p[d], int) != isinstance(q[d], int):
                raise ValidationException(f"Invalid {kind}: Two document paths conflict with each other; must "
                                          f"remove or rewrite one of these paths; path one: {show(p)}, path "
                                          f"two: {show(q)}")
