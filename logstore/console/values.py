"""AttributeValues as the console shows them: a readable one-line rendering, DynamoDB JSON (the raw form, and
the editor's), and the attribute-by-attribute difference of a record's old and new images.

Binary values are bytes inside logstore and base64 in DynamoDB JSON (as on AWS's wire). Pure functions.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from logstore.errors import ValidationException

MAX_TEXT = 200   # a readable rendering longer than this is cut, with an ellipsis (the raw JSON has it all)


def readable(value: dict) -> str:
    """One AttributeValue as short text: strings quoted, numbers bare, sets in << >>, binary as b64:..."""
    (kind, v), = value.items()
    if kind == "S":
        return json.dumps(v, ensure_ascii=False)
    if kind == "N":
        return v
    if kind == "B":
        return "b64:" + base64.b64encode(bytes(v)).decode("ascii")
    if kind == "BOOL":
        return "true" if v else "false"
    if kind == "NULL":
        return "null"
    if kind == "SS":
        return "<<" + ", ".join(json.dumps(x, ensure_ascii=False) for x in v) + ">>"
    if kind == "NS":
        return "<<" + ", ".join(v) + ">>"
    if kind == "BS":
        return "<<" + ", ".join("b64:" + base64.b64encode(bytes(x)).decode("ascii") for x in v) + ">>"
    if kind == "L":
        return "[" + ", ".join(readable(x) for x in v) + "]"
    if kind == "M":
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {readable(x)}" for k, x in v.items()) + "}"
    return json.dumps(value)


def short(value: dict, limit: int = MAX_TEXT) -> str:
    text = readable(value)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def type_of(value: dict) -> str:
    return next(iter(value))


def _jsonable(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def to_json(value, indent: int | None = 2) -> str:
    """DynamoDB JSON of an item, a key, a record (binary as base64)."""
    return json.dumps(_jsonable(value), indent=indent, ensure_ascii=False, sort_keys=indent is not None)


def _unbase64(kind: str, v, path: str):
    try:
        if kind == "B":
            return base64.b64decode(v, validate=True)
        return [base64.b64decode(x, validate=True) for x in v]
    except (ValueError, TypeError):
        raise ValidationException(f"{path}: {kind} must hold base64") from None


def _from_wire(value, path: str) -> dict:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValidationException(f"{path}: an AttributeValue is an object with exactly one type key, "
                                  "like {\"S\": \"text\"}")
    (kind, v), = value.items()
    if kind in ("B", "BS"):
        return {kind: _unbase64(kind, v, path)}
    if kind == "M" and isinstance(v, dict):
        return {"M": {k: _from_wire(x, f"{path}.{k}") for k, x in v.items()}}
    if kind == "L" and isinstance(v, list):
        return {"L": [_from_wire(x, f"{path}[{i}]") for i, x in enumerate(v)]}
    return {kind: v}   # the store validates the rest, with DynamoDB's messages


def item_from_json(text: str) -> dict:
    """An item (or a key) from DynamoDB JSON text. ValidationException saying what is wrong."""
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ValidationException(f"not JSON: {e}") from None
    if not isinstance(value, dict) or not value:
        raise ValidationException("an item is a JSON object of attribute name -> AttributeValue")
    return {name: _from_wire(v, name) for name, v in value.items()}


@dataclass(frozen=True, slots=True)
class Change:
    attribute: str
    kind: str            # "added" | "removed" | "changed" | "same"
    old: str | None
    new: str | None


def diff(old: dict | None, new: dict | None) -> list[Change]:
    """The attributes of two images, each added, removed, changed or the same (keys first, then by name)."""
    old, new = old or {}, new or {}
    out = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a is None:
            out.append(Change(name, "added", None, short(b)))
        elif b is None:
            out.append(Change(name, "removed", short(a), None))
        elif a != b:
            out.append(Change(name, "changed", short(a), short(b)))
        else:
            out.append(Change(name, "same", short(a), short(b)))
    return out
